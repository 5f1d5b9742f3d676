package flows_test

import (
	"testing"

	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/parsers"
)

// TestAttempt: a TCP flow that began with a SYN and got no answer ends
// 5 s after that SYN (Zeek's tcp_attempt_delay), its retransmissions
// before then included, with end_reason "attempt"; a SYN sent again
// later starts a new flow. An answer, or any originator packet but a
// SYN, makes it a connection like any other.
func TestAttempt(t *testing.T) {
	const s = int64(1e9)
	pkt := func(ts int64, fromClient bool, flags uint16) parsers.PacketRow {
		r := udpRow(1, 40000, ts)
		r.IPProto, r.DstPort, r.TCPFlags = 6, 80, flags
		r.Set(parsers.ColTCPFlags)
		r.Set(parsers.ColTCPSeq)
		if !fromClient {
			r.SrcIP, r.DstIP, r.SrcPort, r.DstPort = r.DstIP, r.SrcIP, r.DstPort, r.SrcPort
		}
		return r
	}
	type want struct {
		pkts   uint64
		reason string
	}
	for _, tc := range []struct {
		name string
		pkts []parsers.PacketRow
		want []want
	}{
		{"linux backoff: 0 1 3 | 7 | 15", []parsers.PacketRow{pkt(0, true, syn), pkt(1*s, true, syn), pkt(3*s, true, syn), pkt(7*s, true, syn), pkt(15*s, true, syn)},
			[]want{{3, "attempt"}, {1, "attempt"}, {1, "eof"}}},
		{"answered in time", []parsers.PacketRow{pkt(0, true, syn), pkt(4*s, false, syn|ack), pkt(10*s, true, ack)},
			[]want{{3, "eof"}}},
		{"answered late", []parsers.PacketRow{pkt(0, true, syn), pkt(6*s, false, syn|ack)},
			[]want{{1, "attempt"}, {1, "eof"}}},
		{"the originator goes on", []parsers.PacketRow{pkt(0, true, syn), pkt(1*s, true, ack), pkt(9*s, true, ack)},
			[]want{{3, "eof"}}},
		{"no SYN first", []parsers.PacketRow{pkt(0, true, ack), pkt(9*s, true, ack)},
			[]want{{2, "eof"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := feed(flows.DefaultConfig(), nil, tc.pkts)
			if len(got) != len(tc.want) {
				t.Fatalf("%d flows, want %d", len(got), len(tc.want))
			}
			for i, w := range tc.want {
				if n := got[i].Orig.Pkts + got[i].Resp.Pkts; n != w.pkts || got[i].EndReason != w.reason {
					t.Errorf("flow %d: %d packets, %s; want %d, %s", i, n, got[i].EndReason, w.pkts, w.reason)
				}
			}
		})
	}
}
