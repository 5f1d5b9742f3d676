package beacons_test

import (
	"math"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"

	"github.com/pcap2table/pcap2table/beacons"
	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/internal/plugintest"
)

// scoreFlows gives the rows to a Scorer (minimum 4) and returns its table.
func scoreFlows(t *testing.T, rows []flows.Row) []plugintest.Row {
	t.Helper()
	b := newBatch()
	p := beacons.New(outputFor(b), beacons.DefaultMinConns)
	for i := range rows {
		p.Flow(&rows[i])
	}
	p.Finish()
	return plugintest.Read(t, b)
}

// TestCallouts: what a flow's notes make its call-outs. HTTP requests in
// one kept-alive connection are call-outs of kind requests; DNS queries
// count for their domain's pair, not the resolver's; a flow without notes
// is one call-out, its start.
func TestCallouts(t *testing.T) {
	const t0 = int64(1_700_000_000e9)
	keptAlive := flowRow(t0)
	keptAlive.TSEnd = t0 + 3600e9
	for i := range 60 {
		keptAlive.Notes = append(keptAlive.Notes, flows.Note{TS: t0 + int64(i)*60e9, Kind: "http", Bytes: 48})
	}
	keptAlive.Facts = []flows.Note{{Kind: "http-user-agent", Text: "curl/8.0"}, {Kind: "http-no-host"}}

	var dnsFlows []flows.Row
	for i := range 30 {
		r := flowRow(t0 + int64(i)*90e9)
		r.Proto, r.IPProto, r.DstPort, r.DstIP = "udp", 17, 53, netip.MustParseAddr("10.0.0.53")
		r.Notes = []flows.Note{{TS: r.TSStart, Kind: "dns", Text: "K" + string(rune('a'+i%26)) + "x.Q.c2.example."}}
		dnsFlows = append(dnsFlows, r)
	}
	got := scoreFlows(t, append([]flows.Row{keptAlive}, dnsFlows...))
	byKind := map[string]plugintest.Row{}
	for _, r := range got {
		byKind[r.Str("callout_kind")] = r
	}
	if len(got) != 2 {
		t.Fatalf("%d rows, want 2 (the requests' and the queries'): %v", len(got), got)
	}
	req := byKind["requests"]
	if req == nil || req.Uint("callouts") != 60 || req.Uint("connections") != 1 || req.Str("client_fingerprint") != "ua:curl/8.0" || req["http_no_host"] != uint64(1) {
		t.Fatalf("requests row %v", req)
	}
	q := byKind["queries"]
	if q == nil || q.Str("dst_name") != "c2.example" || q.Str("dst_name_source") != "query" || q.Uint("callouts") != 30 || q.Str("dst_ip") != "10.0.0.53" {
		t.Fatalf("queries row %v", q)
	}
	if p, _ := q["period"].(float64); p < 89 || p > 91 {
		t.Fatalf("queries' period %v, want 90 s", q["period"])
	}
}

// TestQueryDomain: the domain a query counts for.
func TestQueryDomain(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"", ""},
		{"localhost", "localhost"},
		{"example.com.", "example.com"},
		{"WWW.Example.COM", "example.com"},
		{"a7x.q.c2.example", "c2.example"},
		{"x.y.z.t.evil.com", "evil.com"},
		{"www.bbc.co.uk", "bbc.co.uk"},
		{"co.uk", "co.uk"},
		{"a.b.myhost.duckdns.org", "myhost.duckdns.org"},
		{"brwc0cb383d1f42", "brwc0cb383d1f42"},
		{"5.1.168.192.in-addr.arpa.", ""},
		{"b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0.1.2.3.4.ip6.arpa", ""},
	} {
		if got := beacons.QueryDomain(tc.name); got != tc.want {
			t.Errorf("QueryDomain(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestContext: the false-positive context columns. A JA4 the source uses
// with one destination only has fingerprint_dsts 1, one it uses with two
// has 2; a self-signed certificate and its days; no HTTP, no http_no_host.
func TestContext(t *testing.T) {
	const t0 = int64(1_700_000_000e9)
	var rows []flows.Row
	for i := range 10 {
		for j, dst := range []string{"203.0.113.1", "203.0.113.2", "203.0.113.3"} {
			r := flowRow(t0 + int64(i)*300e9 + int64(j)*1e9)
			r.DstIP = netip.MustParseAddr(dst)
			fp := "t13d_browser"
			if j == 0 {
				fp = "t13d_implant"
			}
			r.Facts = []flows.Note{{Kind: "tls-ja4", Text: fp}, {Kind: "tls-cert-days", Text: "7.0"}}
			if j == 0 {
				r.Facts = append(r.Facts, flows.Note{Kind: "tls-self-signed"})
			}
			rows = append(rows, r)
		}
	}
	got := scoreFlows(t, rows)
	if len(got) != 3 {
		t.Fatalf("%d rows, want 3", len(got))
	}
	checkScore(t, got)
	for _, r := range got {
		implant := r.Str("dst_ip") == "203.0.113.1"
		wantDsts, wantFP, selfSigned := uint64(2), "ja4:t13d_browser", uint64(0) // bools read as 0 and 1
		if implant {
			wantDsts, wantFP, selfSigned = 1, "ja4:t13d_implant", 1
		}
		if r.Str("client_fingerprint") != wantFP || r.Uint("fingerprint_dsts") != wantDsts || r["self_signed"] != selfSigned ||
			r["cert_days"] != 7.0 || r["http_no_host"] != nil {
			t.Errorf("%s: %v", r.Str("dst_ip"), r)
		}
	}
}

// TestSameTable: the same rows give the same table, run after run, with
// pairs past the reservoir's 1024 intervals (a generator shared by the
// pairs, which Finish meets in map order, made them differ).
func TestSameTable(t *testing.T) {
	const t0 = int64(1_700_000_000e9)
	var rows []flows.Row
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 1500 {
		for j := range 24 {
			r := flowRow(t0 + int64(i)*60e9 + rng.Int64N(20e9))
			r.DstIP = netip.AddrFrom4([4]byte{203, 0, 113, byte(j)})
			r.Orig.Bytes = uint64(100 + rng.IntN(1000))
			rows = append(rows, r)
		}
	}
	var first []plugintest.Row
	for run := range 6 {
		got := scoreFlows(t, rows)
		if run == 0 {
			first = got
			continue
		}
		for i := range got {
			for c, v := range got[i] {
				if first[i][c] != v {
					t.Fatalf("run %d, row %d, %s: %v against %v", run, i, c, v, first[i][c])
				}
			}
		}
	}
}

// TestScope: a pair between private addresses without a name has
// scope_score 0.6 and its score scaled by it; named, or to a public
// address, 1.
func TestScope(t *testing.T) {
	const t0 = int64(1_700_000_000e9)
	var rows []flows.Row
	for i := range 20 {
		for _, dst := range []string{"192.168.1.5", "198.51.100.5", "10.9.9.9"} {
			r := flowRow(t0 + int64(i)*60e9)
			r.DstIP = netip.MustParseAddr(dst)
			if dst == "10.9.9.9" {
				r.Name, r.NameSource = "intranet.example", "tls"
			}
			rows = append(rows, r)
		}
	}
	got := scoreFlows(t, rows)
	checkScore(t, got)
	for _, r := range got {
		want := 1.0
		if r.Str("dst_ip") == "192.168.1.5" {
			want = 0.6
		}
		if r["scope_score"] != want {
			t.Errorf("%s (%v): scope_score %v, want %v", r.Str("dst_ip"), r["dst_name"], r["scope_score"], want)
		}
	}
}

// TestTaskingBeats: call-outs seconds after a check-in (an operator's
// tasking) join its beat: the intervals, the timing score and the
// evidence are of the beats, and a row of few beats says so.
func TestTaskingBeats(t *testing.T) {
	const t0 = int64(1_700_000_000e9)
	rng := rand.New(rand.NewPCG(5, 6))
	var rows []flows.Row
	beacon := func(dst string, beats int) {
		ts := t0
		for i := range beats {
			ts += int64((570 + rng.Float64()*60) * 1e9) // 600 s ± 5 %
			r := flowRow(ts)
			r.DstIP = netip.MustParseAddr(dst)
			rows = append(rows, r)
			if i%2 == 0 { // tasked: 3 more call-outs 2 s apart
				for k := range 3 {
					r.TSStart, r.TSEnd = ts+int64(k+1)*2e9, ts+int64(k+1)*2e9+1e9
					rows = append(rows, r)
				}
			}
		}
	}
	beacon("203.0.113.1", 60)
	beacon("203.0.113.2", 6)
	got := scoreFlows(t, rows)
	if len(got) != 2 {
		t.Fatalf("%d rows, want 2", len(got))
	}
	for _, r := range got {
		many := r.Str("dst_ip") == "203.0.113.1"
		med, _ := r["interval_median"].(float64)
		if math.Abs(med-600) > 30 || many && r["ts_score"].(float64) < 0.85 { // 5 intervals can skew by chance
			t.Errorf("%s: median interval %v, ts_score %v: tasking not one beat", r.Str("dst_ip"), med, r["ts_score"])
		}
		why := r.Str("why")
		if thin := strings.HasPrefix(why, "thin evidence, 6 beats: "); thin == many {
			t.Errorf("%s: why %q", r.Str("dst_ip"), why)
		}
		if ev := r["evidence_score"].(float64); many != (ev == 1) {
			t.Errorf("%s: evidence_score %v", r.Str("dst_ip"), ev)
		}
	}
	checkScore(t, got)
}

// checkScore checks each scored row's score against its parts, as
// docs/beacons.md defines it.
func checkScore(t *testing.T, rows []plugintest.Row) {
	t.Helper()
	f := func(r plugintest.Row, c string) float64 { v, _ := r[c].(float64); return v }
	for _, r := range rows {
		if r["score"] == nil {
			continue
		}
		want := max(f(r, "ts_score"), f(r, "period_score")) *
			(0.4 + 0.2*f(r, "size_score") + 0.2*f(r, "hist_score") + 0.2*f(r, "duration_score")) *
			f(r, "evidence_score") * f(r, "prevalence_score") * f(r, "scope_score")
		if got := f(r, "score"); math.Abs(got-want) > 1e-12 {
			t.Errorf("%s -> %s: score %v, its parts make %v", r.Str("src_ip"), r.Str("dst_ip"), got, want)
		}
	}
}
