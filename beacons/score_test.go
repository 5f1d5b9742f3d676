package beacons_test

import (
	"math"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"

	"github.com/pcap2table/pcap2table/beacons"
	"github.com/pcap2table/pcap2table/internal/plugintest"
)

// t0 is 2026-03-01 09:00:00 UTC, in ns.
const t0 = int64(1772355600) * 1e9

// series is n connection starts from t0, every gap seconds as next
// returns it, each of the bytes size returns.
func series(n int, next func(rng *rand.Rand) float64, size func(rng *rand.Rand) uint64) (starts []int64, bytes []uint64) {
	rng := rand.New(rand.NewPCG(7, 1))
	ts := t0
	for range n {
		starts = append(starts, ts)
		bytes = append(bytes, size(rng))
		ts += int64(next(rng) * 1e9)
	}
	return starts, bytes
}

func every(s float64) func(*rand.Rand) float64 { return func(*rand.Rand) float64 { return s } }

func jitter(s, frac float64) func(*rand.Rand) float64 {
	return func(r *rand.Rand) float64 { return s * (1 + frac*(2*r.Float64()-1)) }
}

func exponential(s float64) func(*rand.Rand) float64 {
	return func(r *rand.Rand) float64 { return s * r.ExpFloat64() }
}

func fixed(b uint64) func(*rand.Rand) uint64 { return func(*rand.Rand) uint64 { return b } }

func uniform(lo, hi int) func(*rand.Rand) uint64 {
	return func(r *rand.Rand) uint64 { return uint64(lo + r.IntN(hi-lo)) }
}

// score runs the series through a Scorer (with a capture spanning
// [t0, end] when end > 0) and returns its rows.
func score(t *testing.T, starts []int64, bytes []uint64, end int64, setup func(*beacons.Scorer)) []plugintest.Row {
	t.Helper()
	b := newBatch()
	p := beacons.New(outputFor(b), 10)
	if setup != nil {
		setup(p)
	}
	for i, s := range starts {
		row := flowRow(s)
		row.Orig.Bytes, row.Resp.Bytes = bytes[i], 0
		p.Flow(&row)
	}
	if end > 0 { // another pair, too few connections for a row, spans the capture
		for _, ts := range []int64{t0, end} {
			row := flowRow(ts)
			row.TSEnd = ts
			row.DstIP = netip.MustParseAddr("10.9.9.9")
			p.Flow(&row)
		}
	}
	p.Finish()
	return plugintest.Read(t, b)
}

// TestSubScores checks each part of the score on typical series.
func TestSubScores(t *testing.T) {
	type rng = [2]float64 // inclusive bounds
	hour := int64(3600e9)
	for _, tc := range []struct {
		name                   string
		n                      int
		next                   func(*rand.Rand) float64
		size                   func(*rand.Rand) uint64
		end                    int64 // of the capture (0: the pair's)
		ts, sz, hist, dur, all rng
		why                    string
	}{
		{"perfect", 240, every(60), fixed(312), 0, rng{1, 1}, rng{1, 1}, rng{0.95, 1}, rng{0.99, 1}, rng{0.98, 1},
			"every 60.0 s ±0.0 s, 312 B ±0, 4 h of 4; periodic at p < 1e-9"},
		{"jitter 30%", 240, jitter(60, 0.3), fixed(312), 0, rng{0.75, 0.9}, rng{1, 1}, rng{0.9, 1}, rng{0.99, 1}, rng{0.7, 0.9}, ""},
		{"jitter 10%", 240, jitter(60, 0.1), uniform(300, 330), 0, rng{0.88, 1}, rng{0.9, 1}, rng{0.9, 1}, rng{0.99, 1}, rng{0.85, 1}, ""},
		{"exponential", 240, exponential(60), uniform(100, 2000), 0, rng{0.2, 0.5}, rng{0.2, 0.6}, rng{0.8, 1}, rng{0.99, 1}, rng{0.15, 0.45}, ""},
		{"first hour of four", 60, every(60), fixed(312), t0 + 4*hour, rng{1, 1}, rng{1, 1}, rng{0.24, 0.26}, rng{0.24, 0.25}, rng{0.6, 0.7},
			"every 60.0 s ±0.0 s, 312 B ±0, 1 h of 4; periodic at p < 1e-9"},
		{"hourly", 48, every(3600), fixed(1000), 0, rng{1, 1}, rng{1, 1}, rng{0.97, 1}, rng{0.99, 1}, rng{0.99, 1},
			"every 1.0 h ±0.0 h, 1000 B ±0, 24 h of 24; periodic at p < 1e-9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			starts, bytes := series(tc.n, tc.next, tc.size)
			rows := score(t, starts, bytes, tc.end, nil)
			if len(rows) != 1 {
				t.Fatalf("%d rows", len(rows))
			}
			r := rows[0]
			for _, c := range []struct {
				col string
				in  rng
			}{{"ts_score", tc.ts}, {"size_score", tc.sz}, {"hist_score", tc.hist}, {"duration_score", tc.dur}, {"score", tc.all}} {
				if v := r[c.col].(float64); v < c.in[0]-1e-9 || v > c.in[1]+1e-9 {
					t.Errorf("%s %.3f, want in [%.2f, %.2f]", c.col, v, c.in[0], c.in[1])
				}
			}
			if strobe(r) {
				t.Errorf("a strobe")
			}
			if tc.why != "" && r.Str("why") != tc.why {
				t.Errorf("why %q, want %q", r.Str("why"), tc.why)
			}
			if h := strings.Split(r.Str("hourly"), ","); len(h) != 24 {
				t.Errorf("hourly %q", r.Str("hourly"))
			}
			t.Logf("%s: ts %.3f size %.3f hist %.3f dur %.3f score %.3f; %s", tc.name, r["ts_score"], r["size_score"],
				r["hist_score"], r["duration_score"], r["score"], r.Str("why"))
		})
	}
}

func strobe(r plugintest.Row) bool { return r.Uint("strobe") == 1 }

// TestStrobe: a pair calling twice a second for ten minutes is a strobe,
// unscored and written after the scored rows, however regular.
func TestStrobe(t *testing.T) {
	b := newBatch()
	p := beacons.New(outputFor(b), 10)
	starts, _ := series(1200, every(0.5), fixed(0))
	for _, s := range starts {
		row := flowRow(s)
		row.DstIP = netip.MustParseAddr("10.0.0.3")
		p.Flow(&row)
	}
	starts, _ = series(20, exponential(30), fixed(0))
	for _, s := range starts {
		row := flowRow(s)
		p.Flow(&row)
	}
	p.Finish()
	rows := plugintest.Read(t, b)
	if len(rows) != 2 {
		t.Fatalf("%d rows", len(rows))
	}
	if rows[0].Str("dst_ip") != "198.51.100.2" || strobe(rows[0]) || rows[0]["score"] == nil {
		t.Errorf("first row %v", rows[0])
	}
	s := rows[1]
	if s.Str("dst_ip") != "10.0.0.3" || !strobe(s) || s["score"] != nil || s["ts_score"].(float64) != 1 {
		t.Errorf("strobe row %v", s)
	}
	if !strings.HasPrefix(s.Str("why"), "strobe: 2.0 connections/s, every 500 ms ±0 ms") {
		t.Errorf("why %q", s.Str("why"))
	}
	if p.Strobes != 1 {
		t.Errorf("%d strobes", p.Strobes)
	}
}

// TestLeftOut: destinations never routed are left out unless
// AllDestinations; allow-listed ones always; both are counted.
func TestLeftOut(t *testing.T) {
	allow, err := beacons.ParseAllow(strings.NewReader("10.0.0.0/30 # lab\nupdates.example.com\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		dst       string
		all       bool
		allow     *beacons.Allow
		rows      int
		unrouted  uint64
		allowedTo uint64
	}{
		{"unicast", "192.0.2.1", false, nil, 1, 0, 0},
		{"multicast", "224.0.0.251", false, nil, 0, 1, 0},
		{"multicast brought back", "224.0.0.251", true, nil, 1, 0, 0},
		{"broadcast", "255.255.255.255", false, nil, 0, 1, 0},
		{"directed broadcast, private", "192.168.152.255", false, nil, 0, 1, 0},
		{"a public .255 is a host", "198.51.100.255", false, nil, 1, 0, 0},
		{"link-local", "169.254.1.1", false, nil, 0, 1, 0},
		{"ipv6 multicast", "ff02::fb", false, nil, 0, 1, 0},
		{"ipv6 link-local", "fe80::1", false, nil, 0, 1, 0},
		{"loopback", "127.0.0.1", false, nil, 0, 1, 0},
		{"unspecified", "0.0.0.0", false, nil, 0, 1, 0},
		{"allow-listed", "10.0.0.2", false, allow, 0, 0, 1},
		{"allow-listed, all destinations", "10.0.0.2", true, allow, 0, 0, 1},
		{"outside the allow-list", "10.0.0.9", false, allow, 1, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBatch()
			p := beacons.New(outputFor(b), 10)
			p.AllDestinations, p.Allow = tc.all, tc.allow
			for i := range 20 {
				row := flowRow(t0 + int64(i)*60e9)
				row.DstIP = netip.MustParseAddr(tc.dst)
				p.Flow(&row)
			}
			p.Finish()
			rows := plugintest.Read(t, b)
			if len(rows) != tc.rows || p.Unrouted != tc.unrouted || p.Allowed != tc.allowedTo {
				t.Errorf("%d rows, %d unrouted, %d allowed; want %d, %d, %d", len(rows), p.Unrouted, p.Allowed, tc.rows, tc.unrouted, tc.allowedTo)
			}
		})
	}
}

// TestJitterRanks: jittered beacons (up to ±30%) outrank every random
// pair of the same rate.
func TestJitterRanks(t *testing.T) {
	worst := 1.0
	for _, j := range []float64{0, 0.1, 0.2, 0.3} {
		starts, bytes := series(200, jitter(60, j), uniform(300, 320))
		worst = math.Min(worst, score(t, starts, bytes, 0, nil)[0]["score"].(float64))
	}
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 3))
		starts, bytes := series(200, func(*rand.Rand) float64 { return 60 * rng.ExpFloat64() }, uniform(300, 320))
		if s := score(t, starts, bytes, 0, nil)[0]["score"].(float64); s >= worst {
			t.Errorf("random pair %d scores %.3f, the worst jittered beacon %.3f", seed, s, worst)
		}
	}
}
