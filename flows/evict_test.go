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
	var ended []flows.FlowRow
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
