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
			if len(got) != 1 || got[0].Missed != tc.missed || string(got[0].History[:got[0].HistoryLen]) != tc.history || got[0].Orig.Bytes != 100 {
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
	if len(got) != 1 || got[0].Orig.Pkts+got[0].Resp.Pkts != 0 || got[0].Orig.IPBytes != 0 || got[0].HistoryLen != 0 || got[0].ConnState != "OTH" {
		t.Fatalf("%+v", got)
	}
}
