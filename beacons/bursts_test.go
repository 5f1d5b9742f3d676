package beacons_test

import (
	"math"
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/pcap2table/pcap2table/beacons"
	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/internal/plugintest"
	"github.com/pcap2table/pcap2table/parsers"
)

// udpPacket is a UDP packet of payload bytes from src:sport to dst:dport.
func udpPacket(ts int64, src, dst netip.Addr, sport, dport uint16, payload int) parsers.PacketRow {
	var r parsers.PacketRow
	r.TS = ts
	r.SrcIP, r.DstIP = src, dst
	r.IPProto, r.SrcPort, r.DstPort = 17, sport, dport
	r.IPLen, r.PayloadLen = uint16(28+payload), uint32(payload)
	for _, c := range []int{parsers.ColSrcIP, parsers.ColDstIP, parsers.ColIPProto, parsers.ColSrcPort, parsers.ColDstPort, parsers.ColIPLen, parsers.ColPayloadLen} {
		r.Set(c)
	}
	return r
}

// session is one UDP session: at each beat the client sends twice 100
// ms apart and the server answers, then both are silent.
func session(beats []int64, client, server netip.Addr) []parsers.PacketRow {
	var rows []parsers.PacketRow
	for _, t := range beats {
		rows = append(rows,
			udpPacket(t, client, server, 5000, 9000, 40),
			udpPacket(t+1e8, client, server, 5000, 9000, 40),
			udpPacket(t+15e7, server, client, 9000, 5000, 120))
	}
	return rows
}

// scoreWithBursts runs a tracker that notes bursts, with a Scorer, over
// rows; it returns the beacons table.
func scoreWithBursts(t *testing.T, rows []parsers.PacketRow) []plugintest.Row {
	t.Helper()
	tr := flows.NewTracker(flows.DefaultConfig(), 1)
	tr.NoteBursts(beacons.BurstGap)
	out := outputFor(newBatch())
	tr.Subscribe(beacons.New(out, beacons.DefaultMinConns))
	plugintest.Feed(tr, rows, 64)
	return plugintest.Read(t, out.Batch())
}

// TestBursts: a heartbeat inside one long UDP session (a RAT's) is a
// beacon of bursts: one row of one connection whose call-outs are the
// beats, each burst the packets both ways until the next; a session as
// busy but never silent for BurstGap is one call-out, and no row.
func TestBursts(t *testing.T) {
	client, server := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("198.51.100.7")
	rng := rand.New(rand.NewPCG(1, 2))
	var beats []int64
	for i := range 80 { // 26 min: within the active timeout (30 min)
		beats = append(beats, int64(i)*20e9+int64(rng.IntN(400))*1e6) // every 20 s, 0-0.4 s late
	}
	got := scoreWithBursts(t, session(beats, client, server))
	if len(got) != 1 {
		t.Fatalf("%d rows, want 1", len(got))
	}
	r := got[0]
	if k := r.Str("callout_kind"); k != "bursts" || r.Uint("callouts") != 80 || r.Uint("connections") != 1 {
		t.Fatalf("kind %q, %d call-outs in %d connections; want bursts, 80 in 1", k, r.Uint("callouts"), r.Uint("connections"))
	}
	if p, ok := r["period"].(float64); !ok || math.Abs(p-20) > 0.5 {
		t.Fatalf("period %v, want 20 s", r["period"])
	}
	if b := r["bytes_median"].(float64); b != 200 {
		t.Fatalf("bytes per burst %v, want 200 (40 + 40 + 120)", b)
	}

	var busy []int64
	for i := range 2000 {
		busy = append(busy, int64(i)*15e8) // every 1.5 s: never BurstGap of silence
	}
	if got := scoreWithBursts(t, session(busy, client, server)); len(got) != 0 {
		t.Fatalf("a session never silent: %d rows, want none", len(got))
	}
}
