package flows_test

import (
	"net/netip"
	"testing"

	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/parsers"
)

// TestMaxFlows: with at most 100 live flows, a flood of 1000 one-packet
// flows keeps 100 live, ends the least recently active first (a flow
// with a recent packet outlives older idle ones), and every flow still
// gets its row, the evicted ones with end_reason evicted.
func TestMaxFlows(t *testing.T) {
	cfg := flows.DefaultConfig()
	cfg.MaxFlows = 100
	tr := flows.NewTracker(cfg)
	t0 := int64(1e18)
	keep := udpRow(0, 1000, t0)
	var ended []flows.Row
	observe := func(r parsers.PacketRow) {
		tr.Observe(&r)
		ended = append(ended, tr.TakeEnded()...)
		if tr.Live() > 100 {
			t.Fatalf("%d flows live", tr.Live())
		}
	}
	observe(keep)
	for i := 1; i < 1000; i++ {
		observe(udpRow(i, 1000, t0+int64(i)*1e6))
		if i%50 == 0 { // flow 0 stays active
			keep.TS = t0 + int64(i)*1e6 + 1
			observe(keep)
		}
	}
	if tr.Evicted != 900 || len(ended) != 900 {
		t.Fatalf("evicted %d, ended %d, want 900", tr.Evicted, len(ended))
	}
	// the oldest idle flows went first: flows 1.. in order, never flow 0
	for i, r := range ended {
		if r.EndReason != "evicted" || r.SrcIP == netip.AddrFrom4([4]byte{10, 0, 0, 0}) {
			t.Fatalf("row %d: %v ended %s", i, r.SrcIP, r.EndReason)
		}
		if want := netip.AddrFrom4([4]byte{10, 0, byte((i + 1) >> 8), byte(i + 1)}); r.SrcIP != want {
			t.Fatalf("row %d: %v evicted, want %v (the least recently active)", i, r.SrcIP, want)
		}
	}
	tr.Close()
	ended = append(ended, tr.TakeEnded()...)
	if len(ended) != 1000 || tr.PeakLive != 100 {
		t.Fatalf("%d rows, peak %d live", len(ended), tr.PeakLive)
	}
	for _, r := range ended {
		if r.SrcIP == keep.SrcIP && (r.EndReason != "eof" || r.Orig.Pkts != 20) {
			t.Errorf("the active flow: %s, %d packets", r.EndReason, r.Orig.Pkts)
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
	tr := flows.NewTracker(cfg)
	t0 := int64(1e18)
	var ended []flows.Row
	for _, r := range []parsers.PacketRow{
		udpRow(9, 53, t0), // the oldest, idle
		tcpRow(40000, 0x02, false, t0+1),
		tcpRow(40000, 0x12, true, t0+2),
		tcpRow(40000, 0x10, false, t0+3),
		tcpRow(40000, 0x11, false, t0+4), // FIN
		tcpRow(40000, 0x11, true, t0+5),  // FIN: closed
		tcpRow(40000, 0x10, false, t0+6),
		udpRow(7, 53, t0+7), // a third flow: the closed one makes room
	} {
		tr.Observe(&r)
		ended = append(ended, tr.TakeEnded()...)
	}
	if len(ended) != 1 || ended[0].IPProto != 6 || ended[0].EndReason != "fin" || tr.Evicted != 0 {
		t.Fatalf("ended %v, evicted %d", ended, tr.Evicted)
	}
}
