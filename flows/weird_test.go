package flows_test

import (
	"net/netip"
	"testing"

	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/parsers"
	"github.com/pcap2table/pcap2table/table"
)

// weirdNames runs rows through a tracker of the given shards that writes
// the weird table, and returns its rows' names and details.
func weirdNames(t *testing.T, shards int, rows []parsers.PacketRow) (names, details []string) {
	t.Helper()
	b := table.NewBatch(flows.WeirdSchema, 64)
	tr := flows.NewTracker(flows.DefaultConfig(), shards)
	tr.SetWeird(table.NewOutput(b, 1<<20, nil))
	tr.Observe(rows)
	tr.Close()
	for i := range b.N {
		names = append(names, string(b.Cols[flows.WeirdColName].Bytes(i)))
		details = append(details, string(b.Cols[flows.WeirdColDetail].Bytes(i)))
	}
	return names, details
}

// TestWeirdFragments: fragments that overlap bytes of an earlier one of
// their datagram are weird rows: fragment_overlap when they repeat the
// same bytes, fragment_inconsistency when they say something else (the
// first copy is what the flow gets); the same rows for any shards.
func TestWeirdFragments(t *testing.T) {
	frag := func(off uint16, more bool, payload string) parsers.PacketRow {
		var r parsers.PacketRow
		r.TS = 1e9 + int64(off)
		r.SrcIP, r.DstIP = netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
		r.IPProto, r.IPID, r.FragOffset, r.MoreFrags = 17, 77, off, more
		r.IPPayload = []byte(payload)
		r.PayloadLen, r.IPLen = uint32(len(payload)), uint16(20+len(payload))
		for _, c := range []int{parsers.ColSrcIP, parsers.ColDstIP, parsers.ColIPProto, parsers.ColFragOffset, parsers.ColIPLen, parsers.ColIPID} {
			r.Set(c)
		}
		return r
	}
	udp := "\x13\x88\x00\x35\x00\x18\x00\x00" // 5000 -> 53, length 24
	for _, tc := range []struct {
		name  string
		rows  []parsers.PacketRow
		names []string
	}{
		{"no overlap", []parsers.PacketRow{frag(0, true, udp+"abcdefgh"), frag(16, false, "ijklmnop")}, nil},
		{"the same bytes again", []parsers.PacketRow{frag(0, true, udp+"abcdefgh"), frag(8, true, "abcdefgh"), frag(16, false, "ijklmnop")},
			[]string{"fragment_overlap"}},
		{"other bytes", []parsers.PacketRow{frag(0, true, udp+"abcdefgh"), frag(8, true, "abcdEVIL"), frag(16, false, "ijklmnop")},
			[]string{"fragment_inconsistency"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for shards := 1; shards <= 2; shards++ {
				names, details := weirdNames(t, shards, tc.rows)
				if len(names) != len(tc.names) {
					t.Fatalf("%d shards: weird rows %v (%v), want %v", shards, names, details, tc.names)
				}
				for i := range names {
					if names[i] != tc.names[i] || details[i] != "8 bytes overlap an earlier fragment of IP id 77; the first copy is kept" {
						t.Fatalf("%d shards: row %s %q", shards, names[i], details[i])
					}
				}
			}
		})
	}
}

// streamSink is a plugin that reads TCP streams and writes nothing: with
// it the tracker holds segments beyond holes.
type streamSink struct{}

func (streamSink) Schema() *table.Schema                  { return flows.WeirdSchema }
func (streamSink) Stream(*flows.Conn, *flows.StreamEvent) {}

// TestWeirdInconsistentRetransmission: a segment sent again beyond a
// hole with other bytes than the copy held is a
// tcp_inconsistent_retransmission row at the flow's end (the same bytes
// again are not).
func TestWeirdInconsistentRetransmission(t *testing.T) {
	seg := func(ts int64, fromClient bool, flags uint16, seq, ackN uint32, payload string) parsers.PacketRow {
		r := udpRow(1, 40000, ts)
		r.IPProto, r.DstPort, r.TCPFlags, r.TCPSeq, r.TCPAck = 6, 80, flags, seq, ackN
		r.Payload, r.PayloadLen, r.IPLen = []byte(payload), uint32(len(payload)), uint16(40+len(payload))
		for _, c := range []int{parsers.ColTCPFlags, parsers.ColTCPSeq, parsers.ColTCPAck} {
			r.Set(c)
		}
		if !fromClient {
			r.SrcIP, r.DstIP, r.SrcPort, r.DstPort = r.DstIP, r.SrcIP, r.DstPort, r.SrcPort
		}
		return r
	}
	for _, tc := range []struct {
		again string
		want  int
	}{{"EFGH", 0}, {"EVIL", 1}} {
		rows := []parsers.PacketRow{
			seg(1e6, true, syn, 1000, 0, ""),
			seg(2e6, false, syn|ack, 5000, 1001, ""),
			seg(3e6, true, ack, 1001, 5001, ""),
			seg(4e6, true, ack|psh, 1005, 5001, "EFGH"), // beyond a hole of 4 bytes
			seg(5e6, true, ack|psh, 1005, 5001, tc.again),
			seg(6e6, true, ack|psh, 1001, 5001, "ABCD"), // the hole filled
		}
		b := table.NewBatch(flows.WeirdSchema, 64)
		tr := flows.NewTracker(flows.DefaultConfig(), 1)
		tr.SetWeird(table.NewOutput(b, 1<<20, nil))
		if err := tr.Register(func(*flows.Output) flows.Plugin { return streamSink{} }, table.NewOutput(table.NewBatch(flows.WeirdSchema, 8), 1<<20, nil)); err != nil {
			t.Fatal(err)
		}
		tr.Observe(rows)
		tr.Close()
		n := 0
		for i := range b.N {
			if string(b.Cols[flows.WeirdColName].Bytes(i)) == "tcp_inconsistent_retransmission" {
				n++
			}
		}
		if n != tc.want {
			t.Fatalf("sent again as %q: %d inconsistent rows, want %d", tc.again, n, tc.want)
		}
	}
}
