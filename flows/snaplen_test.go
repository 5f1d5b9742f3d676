package flows_test

import (
	"testing"

	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/parsers"
)

// TestSnaplenMissed: payload the snap length cut off is missing from the
// capture: it counts in missed_bytes (history G) once the peer
// acknowledges it, as Zeek counts a headers-only capture's whole payload
// (its baseline core.tcp.rxmit-history); the byte counts still come
// from sequence numbers. Unacknowledged cut bytes are not missed.
func TestSnaplenMissed(t *testing.T) {
	seg := func(ts int64, fromClient bool, flags uint16, seq, ack uint32, plen, cut uint32) parsers.PacketRow {
		r := udpRow(1, 40000, ts)
		r.IPProto, r.DstPort, r.TCPFlags, r.TCPSeq, r.TCPAck = 6, 80, flags, seq, ack
		r.PayloadLen, r.Length, r.CapLen = plen, 54+plen, 54+plen-cut
		r.IPLen = 40 + uint16(plen)
		for _, c := range []int{parsers.ColTCPFlags, parsers.ColTCPSeq, parsers.ColTCPAck} {
			r.Set(c)
		}
		if !fromClient {
			r.SrcIP, r.DstIP, r.SrcPort, r.DstPort = r.DstIP, r.SrcIP, r.DstPort, r.SrcPort
		}
		return r
	}
	for _, tc := range []struct {
		name    string
		last    parsers.PacketRow // after the handshake and a 100-byte request, 60 of it cut
		missed  uint64
		history string
	}{
		{"acknowledged", seg(4e6, false, ack, 5001, 1101, 0, 0), 60, "ShADaG"},
		{"not acknowledged", seg(4e6, false, ack, 5001, 1001, 0, 0), 0, "ShADa"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := feed(flows.DefaultConfig(), nil, []parsers.PacketRow{
				seg(1e6, true, syn, 1000, 0, 0, 0),
				seg(2e6, false, syn|ack, 5000, 1001, 0, 0),
				seg(3e6, true, ack, 1001, 5001, 0, 0),
				seg(3e6, true, ack|psh, 1001, 5001, 100, 60),
				tc.last,
			})
			if len(got) != 1 || !got[0].Truncated || got[0].Missed != tc.missed || string(got[0].History[:got[0].HistoryLen]) != tc.history || got[0].Orig.Bytes != 100 {
				t.Fatalf("missed %d, history %s, orig_bytes %d; want %d, %s, 100", got[0].Missed, got[0].History[:got[0].HistoryLen], got[0].Orig.Bytes, tc.missed, tc.history)
			}
		})
	}
}

// TestTCPHeaderCut: a TCP packet whose header the snap length cut (the
// decoder sets no flags, decode_error says why) starts its flow but
// counts for nothing, as Zeek logs it (its VN-Tag trace: OTH, no
// history, 0 packets).
func TestTCPHeaderCut(t *testing.T) {
	r := udpRow(1, 443, 1e9)
	r.IPProto, r.DstPort = 6, 56960
	got := feed(flows.DefaultConfig(), nil, []parsers.PacketRow{r})
	if len(got) != 1 || got[0].Truncated || got[0].Orig.Pkts+got[0].Resp.Pkts != 0 || got[0].Orig.IPBytes != 0 || got[0].HistoryLen != 0 || got[0].ConnState != "OTH" {
		t.Fatalf("%+v", got)
	}
}

// TestSeqWrap: a connection whose sequence numbers wrap past 2^32, from
// an ISN near the top and over more than 4 GiB sent: its byte counts
// come from the 64-bit unwrapped sequence numbers, nothing is taken for
// missing, retransmitted or out of order.
func TestSeqWrap(t *testing.T) {
	const seg, n = 65000, 70000 // 4.55 GB: past 2^32 bytes
	isn := uint32(0xffffff00)
	mk := func(ts int64, fromClient bool, flags uint16, seq, ack, plen uint32) parsers.PacketRow {
		r := udpRow(1, 40000, ts)
		r.IPProto, r.DstPort, r.TCPFlags, r.TCPSeq, r.TCPAck = 6, 80, flags, seq, ack
		r.PayloadLen, r.IPLen = plen, uint16(min(40+plen, 65535))
		for _, c := range []int{parsers.ColTCPFlags, parsers.ColTCPSeq, parsers.ColTCPAck} {
			r.Set(c)
		}
		if !fromClient {
			r.SrcIP, r.DstIP, r.SrcPort, r.DstPort = r.DstIP, r.SrcIP, r.DstPort, r.SrcPort
		}
		return r
	}
	rows := []parsers.PacketRow{
		mk(1e6, true, syn, isn, 0, 0),
		mk(2e6, false, syn|ack, 7, isn+1, 0),
		mk(3e6, true, ack, isn+1, 8, 0),
	}
	seq := isn + 1 // wraps: uint32 arithmetic, as on the wire
	for i := range n {
		ts := int64(4e6) + int64(i)*1e4
		rows = append(rows, mk(ts, true, ack|psh, seq, 8, seg))
		seq += seg
		if i%10 == 9 || i == n-1 {
			rows = append(rows, mk(ts+1, false, ack, 8, seq, 0))
		}
	}
	end := int64(4e6) + n*1e4
	rows = append(rows, mk(end, true, fin|ack, seq, 8, 0), mk(end+1, false, fin|ack, 8, seq+1, 0), mk(end+2, true, ack, seq+1, 9, 0))
	got := feed(flows.DefaultConfig(), nil, rows)
	if len(got) != 1 {
		t.Fatalf("%d flows", len(got))
	}
	f := got[0]
	if f.Orig.Bytes != seg*n || f.Missed != 0 || f.Retransmits != 0 || f.OutOfOrder != 0 || f.ConnState != "SF" {
		t.Fatalf("orig_bytes %d (want %d), missed %d, retransmits %d, out of order %d, %s %s", f.Orig.Bytes, seg*n, f.Missed, f.Retransmits, f.OutOfOrder, f.ConnState, f.History[:f.HistoryLen])
	}
}
