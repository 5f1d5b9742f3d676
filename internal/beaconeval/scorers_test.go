package beaconeval

import (
	"math"
	"testing"
	"time"

	"github.com/pcap2table/pcap2table/internal/beacongen"
)

// TestScoreMode: the share of whole-second intervals at the mode.
func TestScoreMode(t *testing.T) {
	for _, tc := range []struct {
		name   string
		starts []float64
		want   float64
		ok     bool
	}{
		{"regular", []float64{0, 60, 120, 180, 240}, 1, true},
		{"unsorted", []float64{240, 0, 120, 60, 180}, 1, true},
		{"three of four", []float64{0, 60, 120, 150, 210}, 0.75, true},
		// 60, 61, 59.4 → 59, 119.6 → 120: all differ, the mode is the smallest
		{"all differ", []float64{0, 60, 121, 180.4, 300}, 0.25, true},
		{"rounding", []float64{0, 59.6, 119.7, 180.1}, 1, true},
		{"three connections", []float64{0, 60, 120}, 0, false},
	} {
		got, ok := ScoreMode(tc.starts)
		if ok != tc.ok || !near(got, tc.want) {
			t.Errorf("%s: %v %v, want %v %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

// TestMatch: address, name, port and protocol; names under a DNS
// beacon's domain.
func TestMatch(t *testing.T) {
	httpB := beacongen.Planted{SrcIP: "10.1.0.10", DstIPs: []string{"93.1.2.3"}, DstPort: 80, Proto: "tcp", Host: "poll.ab-0.example"}
	dnsB := beacongen.Planted{SrcIP: "10.1.0.11", DstIPs: []string{"8.8.8.8"}, DstPort: 53, Proto: "udp", Domain: "q.cd-3.example"}
	row := func(src, dst, name string, port uint16, proto string) Row {
		return Row{SrcIP: src, DstIP: dst, DstName: name, DstPort: port, Proto: proto}
	}
	for _, tc := range []struct {
		name string
		r    Row
		p    beacongen.Planted
		want bool
	}{
		{"address", row("10.1.0.10", "93.1.2.3", "", 80, "tcp"), httpB, true},
		{"host", row("10.1.0.10", "93.9.9.9", "poll.ab-0.example", 80, "tcp"), httpB, true},
		{"host upper case", row("10.1.0.10", "93.9.9.9", "Poll.AB-0.example.", 80, "tcp"), httpB, true},
		{"other source", row("10.1.0.12", "93.1.2.3", "", 80, "tcp"), httpB, false},
		{"other port", row("10.1.0.10", "93.1.2.3", "", 443, "tcp"), httpB, false},
		{"other name", row("10.1.0.10", "93.9.9.9", "ab-0.example", 80, "tcp"), httpB, false},
		{"domain", row("10.1.0.11", "9.9.9.9", "q.cd-3.example", 53, "udp"), dnsB, true},
		{"random label", row("10.1.0.11", "9.9.9.9", "xk2j4.q.cd-3.example", 53, "udp"), dnsB, true},
		{"parent of the domain", row("10.1.0.11", "9.9.9.9", "cd-3.example", 53, "udp"), dnsB, false},
		{"look-alike", row("10.1.0.11", "9.9.9.9", "xq.cd-3.example", 53, "udp"), dnsB, false},
		{"tcp", row("10.1.0.11", "8.8.8.8", "", 53, "tcp"), dnsB, false},
	} {
		if got := Match(tc.r, tc.p); got != tc.want {
			t.Errorf("%s: %v", tc.name, got)
		}
	}
}

// TestRankEvaluate: ties go against the beacons; the threshold is the
// (budget+1)-th benign score; unscored rows rank last and detect nothing.
func TestRankEvaluate(t *testing.T) {
	planted := []beacongen.Planted{
		{SrcIP: "10.0.0.1", DstIPs: []string{"1.1.1.1"}, DstPort: 443, Proto: "tcp"},
		{SrcIP: "10.0.0.2", DstIPs: []string{"2.2.2.2"}, DstPort: 443, Proto: "tcp"},
		{SrcIP: "10.0.0.3", DstIPs: []string{"3.3.3.3"}, DstPort: 443, Proto: "tcp"},
	}
	r := func(src, dst string, score float64, scored bool) Row {
		return Row{SrcIP: src, DstIP: dst, DstPort: 443, Proto: "tcp", Score: score, Scored: scored}
	}
	rows := []Row{
		r("10.0.0.3", "3.3.3.3", 0, false), // beacon 2, unscored
		r("10.0.0.9", "9.9.9.1", 0.5, true),
		r("10.0.0.2", "2.2.2.2", 0.7, true), // beacon 1, tied with a benign pair
		r("10.0.0.9", "9.9.9.2", 0.7, true),
		r("10.0.0.1", "1.1.1.1", 0.9, true), // beacon 0
		r("10.0.0.9", "9.9.9.3", 0.6, true),
	}
	rk := Rank(rows, planted)
	wantLabels := []int{0, -1, 1, -1, -1, 2}
	for i, l := range wantLabels {
		if rk.Label[i] != l {
			t.Fatalf("labels %v, want %v", rk.Label, wantLabels)
		}
	}
	for _, tc := range []struct {
		budget    int
		threshold float64
		detected  []bool
	}{
		{0, 0.7, []bool{true, false, false}},
		{1, 0.6, []bool{true, true, false}},
		{3, math.Inf(-1), []bool{true, true, false}},
	} {
		o := Evaluate(rk, 3, tc.budget)
		if o.Threshold != tc.threshold || o.Benign != 3 || o.Rows != 6 {
			t.Errorf("budget %d: threshold %v, %d benign of %d", tc.budget, o.Threshold, o.Benign, o.Rows)
		}
		for i, d := range tc.detected {
			if o.Detected[i] != d {
				t.Errorf("budget %d: detected %v, want %v", tc.budget, o.Detected, tc.detected)
			}
		}
		if o.Rank[0] != 1 || o.Rank[1] != 3 || o.Rank[2] != 6 || o.TopK != 3 || o.TopHits != 2 || !o.AllTop10 || !o.BenignTop5 {
			t.Errorf("budget %d: %+v", tc.budget, o)
		}
	}
}

// TestRITAGrouping: HTTP requests of one kept-alive connection are RITA
// connections of their Host; TLS flows group by SNI over addresses;
// internal destinations are left out.
func TestRITAGrouping(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * 1e9)) }
	str := func(s string) *string { return &s }
	tb := Tables{Flows: []Flow{{FlowID: 1, TSStart: at(0), TSEnd: at(1000), SrcIP: "10.0.0.1", DstIP: "93.1.1.1", DstPort: 80, Proto: "tcp", OrigIPBytes: 4000}}}
	for i := range 5 {
		tb.HTTP = append(tb.HTTP, HTTP{TS: at(float64(1 + 200*i)), FlowID: 1, Host: str("Poll.Example:80")})
		id := int64(10 + i)
		tb.Flows = append(tb.Flows,
			Flow{FlowID: id, TSStart: at(float64(100 + 200*i)), TSEnd: at(float64(101 + 200*i)), SrcIP: "10.0.0.2",
				DstIP: []string{"52.0.0.1", "52.0.0.2"}[i%2], DstPort: 443, Proto: "tcp", OrigIPBytes: 500},
			Flow{FlowID: 100 + id, TSStart: at(float64(50 + 200*i)), TSEnd: at(float64(51 + 200*i)), SrcIP: "10.0.0.2",
				DstIP: "10.0.0.53", DstPort: 53, Proto: "udp", OrigIPBytes: 60})
		tb.TLS = append(tb.TLS, TLS{FlowID: id, ServerName: str("api.example")})
	}
	rows := RITA(tb)
	if len(rows) != 2 {
		t.Fatalf("rows %+v", rows)
	}
	for _, r := range rows {
		switch r.DstName {
		case "poll.example":
			if r.Conns != 5 || r.DstPort != 80 || r.DstIP != "93.1.1.1" {
				t.Errorf("http row %+v", r)
			}
		case "api.example":
			if r.Conns != 5 || len(r.DstIPs) != 2 || r.DstPort != 443 {
				t.Errorf("tls row %+v", r)
			}
		default:
			t.Errorf("row %+v", r)
		}
	}
}
