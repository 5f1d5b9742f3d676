package beaconeval

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"time"
)

// secs is t in seconds since the epoch.
func secs(t time.Time) float64 { return float64(t.Unix()) + float64(t.Nanosecond())/1e9 }

// Row is one scored pair of a ranking, whatever the scorer.
type Row struct {
	SrcIP string
	// DstIP is the destination address (for a name row, the first of up
	// to 10, all in DstIPs); DstName the name the row is keyed by, if any.
	DstIP   string
	DstIPs  []string
	DstName string
	DstPort uint16
	Proto   string
	// Score ranks the row; Scored is false for a strobe or a null score
	// (ranked last).
	Score  float64
	Scored bool
	Conns  int
}

// key is a row's identity for deterministic ordering.
func (r Row) key() string {
	return r.SrcIP + "|" + r.DstIP + "|" + r.DstName + "|" + r.Proto + "|" + strconv.Itoa(int(r.DstPort))
}

// Ours is the ranking of the beacons table: its rows, scored by their
// score column (null, or a strobe: unscored).
func Ours(rows []BeaconRow) []Row {
	out := make([]Row, 0, len(rows))
	for _, b := range rows {
		r := Row{SrcIP: b.SrcIP, DstIP: b.DstIP, DstIPs: []string{b.DstIP}, DstPort: b.DstPort, Proto: b.Proto}
		if b.DstName != nil {
			r.DstName = *b.DstName
		}
		if b.Score != nil && (b.Strobe == nil || !*b.Strobe) {
			r.Score, r.Scored = *b.Score, true
		}
		out = append(out, r)
	}
	return out
}

// conn is one connection as an anchor sees it.
type conn struct {
	start, bytes float64
	dst          string
	port         uint16
	proto        string
}

// pairKey groups connections: (src, dst address) or (src, name).
type pairKey struct{ src, dst, name string }

// span is the first start and the last end of the flows, in seconds.
func span(flows []Flow) (from, to float64) {
	from, to = math.Inf(1), math.Inf(-1)
	for _, f := range flows {
		from = min(from, secs(f.TSStart))
		to = max(to, secs(f.TSEnd), secs(f.TSStart))
	}
	return from, to
}

// RITA is the ranking by RITA's score (ScoreRITA) of the flows, http
// and tls tables of a capture. Connections of a flow with HTTP requests
// that name a Host are the requests (one connection each, as RITA reads
// http.log; each gets the flow's orig IP bytes divided among them),
// grouped by (src, host); TLS flows with an SNI are grouped by (src,
// SNI); the rest by (src, dst address). Only outbound connections count.
func RITA(t Tables) []Row {
	sni := map[int64]string{}
	for _, h := range t.TLS {
		if h.ServerName != nil && *h.ServerName != "" {
			if _, ok := sni[h.FlowID]; !ok {
				sni[h.FlowID] = hostName(h.ServerName)
			}
		}
	}
	reqs := map[int64][]HTTP{}
	for _, h := range t.HTTP {
		if hostName(h.Host) != "" {
			reqs[h.FlowID] = append(reqs[h.FlowID], h)
		}
	}
	groups := map[pairKey][]conn{}
	for _, f := range t.Flows {
		if f.EndReason == "interim" || !outbound(f.DstIP) {
			continue
		}
		c := conn{start: secs(f.TSStart), bytes: f.OrigIPBytes, dst: f.DstIP, port: f.DstPort, proto: f.Proto}
		if rs := reqs[f.FlowID]; len(rs) > 0 {
			for _, r := range rs {
				c.start, c.bytes = secs(r.TS), f.OrigIPBytes/float64(len(rs))
				k := pairKey{src: f.SrcIP, name: hostName(r.Host)}
				groups[k] = append(groups[k], c)
			}
			continue
		}
		k := pairKey{src: f.SrcIP, dst: f.DstIP}
		if n := sni[f.FlowID]; n != "" {
			k = pairKey{src: f.SrcIP, name: n}
		}
		groups[k] = append(groups[k], c)
	}
	from, to := span(t.Flows)
	var out []Row
	for k, cs := range groups {
		starts, bytes := make([]float64, len(cs)), make([]float64, len(cs))
		for i, c := range cs {
			starts[i], bytes[i] = c.start, c.bytes
		}
		s, ok := ScoreRITA(starts, bytes, from, to)
		if !ok {
			continue
		}
		r := groupRow(k, cs)
		r.Score, r.Scored = s.Score, !s.Strobe
		out = append(out, r)
	}
	return sortRows(out)
}

// groupRow is the row of a group: its addresses in order of first
// connection (up to 10), and the commonest port and protocol.
func groupRow(k pairKey, cs []conn) Row {
	slices.SortStableFunc(cs, func(a, b conn) int { return cmp.Compare(a.start, b.start) })
	r := Row{SrcIP: k.src, DstName: k.name, Conns: len(cs)}
	type pp struct {
		port  uint16
		proto string
	}
	count := map[pp]int{}
	var best pp
	for _, c := range cs {
		if !slices.Contains(r.DstIPs, c.dst) && len(r.DstIPs) < ritaMaxAddrs {
			r.DstIPs = append(r.DstIPs, c.dst)
		}
		p := pp{c.port, c.proto}
		count[p]++
		if n, b := count[p], count[best]; n > b || (n == b && (p.port < best.port || (p.port == best.port && p.proto < best.proto))) {
			best = p
		}
	}
	r.DstIP, r.DstPort, r.Proto = r.DstIPs[0], best.port, best.proto
	return r
}

// Mode is the ranking by the share of intervals at the mode (ScoreMode)
// of the outbound flows, grouped by (src, dst, dst_port, proto).
func Mode(flows []Flow) []Row {
	type key struct {
		src, dst string
		port     uint16
		proto    string
	}
	starts := map[key][]float64{}
	for _, f := range flows {
		if f.EndReason == "interim" || !outbound(f.DstIP) {
			continue
		}
		k := key{f.SrcIP, f.DstIP, f.DstPort, f.Proto}
		starts[k] = append(starts[k], secs(f.TSStart))
	}
	var out []Row
	for k, ts := range starts {
		s, ok := ScoreMode(ts)
		if !ok {
			continue
		}
		out = append(out, Row{SrcIP: k.src, DstIP: k.dst, DstIPs: []string{k.dst}, DstPort: k.port, Proto: k.proto,
			Score: s, Scored: true, Conns: len(ts)})
	}
	return sortRows(out)
}

// modeMinConns is the fewest connections ScoreMode scores.
const modeMinConns = 4

// ScoreMode is the share of the intervals between the sorted connection
// starts (seconds), rounded to whole seconds, that equal their mode (the
// smallest of several). ok is false below 4 connections.
func ScoreMode(starts []float64) (float64, bool) {
	if len(starts) < modeMinConns {
		return 0, false
	}
	s := slices.Sorted(slices.Values(starts))
	count := map[int64]int{}
	var mode int64
	for i := 1; i < len(s); i++ {
		d := int64(math.Round(s[i] - s[i-1]))
		count[d]++
		if n, m := count[d], count[mode]; n > m || (n == m && d < mode) {
			mode = d
		}
	}
	return float64(count[mode]) / float64(len(s)-1), true
}

// sortRows orders rows by score, highest first, unscored last, then by
// key (a deterministic order; the evaluation breaks ties against the
// beacons, see Rank).
func sortRows(rows []Row) []Row {
	slices.SortFunc(rows, func(a, b Row) int {
		if c := compareScore(a, b); c != 0 {
			return c
		}
		return cmp.Compare(a.key(), b.key())
	})
	return rows
}

// compareScore orders scored rows before unscored ones, higher scores
// first.
func compareScore(a, b Row) int {
	if a.Scored != b.Scored {
		if a.Scored {
			return -1
		}
		return 1
	}
	return cmp.Compare(b.Score, a.Score)
}
