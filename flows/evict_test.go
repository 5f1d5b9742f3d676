package flows_test

import (
	"net/netip"
	"testing"

	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/internal/plugintest"
	"github.com/pcap2table/pcap2table/parsers"
)

// TestMaxFlows: with at most 100 live flows, a flood of 1000 one-packet
// flows keeps 100 live, ends the least recently active first (a flow
// with a recent packet outlives older idle ones), and every flow still
// gets its row, the evicted ones with end_reason evicted; in batches of
// one packet, of a few and of all (evictions happen at the packets, not
// at the boundaries).
func TestMaxFlows(t *testing.T) {
	cfg := flows.DefaultConfig()
	cfg.MaxFlows = 100
	t0 := int64(1e18)
	keep := udpRow(0, 1000, t0)
	rows := []parsers.PacketRow{keep}
	for i := 1; i < 1000; i++ {
		rows = append(rows, udpRow(i, 1000, t0+int64(i)*1e6))
		if i%50 == 0 { // flow 0 stays active
			keep.TS = t0 + int64(i)*1e6 + 1
			rows = append(rows, keep)
		}
	}
	for _, batch := range []int{1, 64, len(rows)} {
		tr := flows.NewTracker(cfg, 1)
		fl := &plugintest.Flows{}
		tr.Subscribe(fl)
		for lo := 0; lo < len(rows); lo += batch {
			tr.Observe(rows[lo:min(lo+batch, len(rows))])
			if n := flows.Live(tr); n > 100 {
				t.Fatalf("batch %d: %d flows live", batch, n)
			}
		}
		ended := fl.Rows
		if len(ended) != 900 {
			t.Fatalf("batch %d: ended %d, want 900", batch, len(ended))
		}
		// the oldest idle flows went first: flows 1.. in order, never flow 0
		for i, r := range ended {
			if r.EndReason != "evicted" || r.SrcIP == netip.AddrFrom4([4]byte{10, 0, 0, 0}) {
				t.Fatalf("batch %d: row %d: %v ended %s", batch, i, r.SrcIP, r.EndReason)
			}
			if want := netip.AddrFrom4([4]byte{10, 0, byte((i + 1) >> 8), byte(i + 1)}); r.SrcIP != want {
				t.Fatalf("batch %d: row %d: %v evicted, want %v (the least recently active)", batch, i, r.SrcIP, want)
			}
		}
		tr.Close()
		c := tr.Counters()
		if c.Evicted != 900 || len(fl.Rows) != 1000 || c.PeakLive != 100 || c.Started != 1000 || c.Ended != 1000 {
			t.Fatalf("batch %d: evicted %d, %d rows, peak %d live, started %d, ended %d", batch, c.Evicted, len(fl.Rows), c.PeakLive, c.Started, c.Ended)
		}
		for _, r := range fl.Rows {
			if r.SrcIP == keep.SrcIP && (r.EndReason != "eof" || r.Orig.Pkts != 20) {
				t.Errorf("batch %d: the active flow: %s, %d packets", batch, r.EndReason, r.Orig.Pkts)
			}
		}
	}
}

// tcpRow is a TCP packet between 10.0.0.1:port and 192.0.2.1:80 with the
// flags, from the client unless back.
func tcpRow(port uint16, flags uint16, back bool, ts int64) parsers.PacketRow {
	r := udpRow(1, port, ts)
	r.IPProto, r.DstPort, r.TCPFlags = 6, 80, flags
	r.Set(parsers.ColTCPFlags)
	if back {
		r.SrcIP, r.DstIP, r.SrcPort, r.DstPort = r.DstIP, r.SrcIP, r.DstPort, r.SrcPort
	}
	return r
}

// TestMaxFlowsClosingFirst: at the bound, a flow already closed (waiting
// out its close delay) makes room before any older idle flow, and ends
// with its own reason, not evicted.
func TestMaxFlowsClosingFirst(t *testing.T) {
	cfg := flows.DefaultConfig()
	cfg.MaxFlows = 2
	t0 := int64(1e18)
	rows := []parsers.PacketRow{
		udpRow(9, 53, t0), // the oldest, idle
		tcpRow(40000, 0x02, false, t0+1),
		tcpRow(40000, 0x12, true, t0+2),
		tcpRow(40000, 0x10, false, t0+3),
		tcpRow(40000, 0x11, false, t0+4), // FIN
		tcpRow(40000, 0x11, true, t0+5),  // FIN: closed
		tcpRow(40000, 0x10, false, t0+6),
		udpRow(7, 53, t0+7), // a third flow: the closed one makes room
	}
	for _, batch := range []int{1, len(rows)} {
		tr := flows.NewTracker(cfg, 1)
		fl := &plugintest.Flows{}
		tr.Subscribe(fl)
		for lo := 0; lo < len(rows); lo += batch {
			tr.Observe(rows[lo:min(lo+batch, len(rows))])
		}
		ended := fl.Rows
		tr.Close()
		if c := tr.Counters(); len(ended) != 1 || ended[0].IPProto != 6 || ended[0].EndReason != "fin" || c.Evicted != 0 {
			t.Fatalf("batch %d: ended %v, evicted %d", batch, ended, c.Evicted)
		}
	}
}

// TestEndAfterClose: as Zeek's last_time, a TCP flow's ts_end stops at
// the packet that completes the close; the final ACK after both FINs (or
// a RST after them) still counts as a packet but does not lengthen it.
func TestEndAfterClose(t *testing.T) {
	t0 := int64(1e18)
	for _, tc := range []struct {
		name string
		last parsers.PacketRow
		want int64 // ts_end - t0
		pkts uint64
	}{
		{"final ack", tcpRow(40000, 0x10, false, t0+9e6), 4, 6},
		{"rst after the close", tcpRow(40000, 0x04, true, t0+9e6), 4, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows := []parsers.PacketRow{
				tcpRow(40000, 0x02, false, t0),
				tcpRow(40000, 0x12, true, t0+1),
				tcpRow(40000, 0x10, false, t0+2),
				tcpRow(40000, 0x11, false, t0+3), // FIN
				tcpRow(40000, 0x11, true, t0+4),  // FIN: both closed
				tc.last,
			}
			fl := feedTracker(flows.NewTracker(flows.DefaultConfig(), 1), rows, 1)
			if len(fl) != 1 {
				t.Fatalf("%d flows", len(fl))
			}
			f := fl[0]
			if f.TSEnd-t0 != tc.want || f.Orig.Pkts+f.Resp.Pkts != tc.pkts {
				t.Errorf("ts_end t0+%d, %d packets; want t0+%d, %d", f.TSEnd-t0, f.Orig.Pkts+f.Resp.Pkts, tc.want, tc.pkts)
			}
		})
	}
}
