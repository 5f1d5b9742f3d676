package beacons

import (
	"cmp"
	"encoding/binary"
	"math"
	"math/bits"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/parsers"
	"github.com/pcap2table/pcap2table/table"
	"golang.org/x/net/publicsuffix"
)

// Column indexes of the beacons table, in schema order.
const (
	ColSrcIP = iota
	ColDstIP
	ColDstName
	ColDstNameSource
	ColDstIPs
	ColDstSources
	ColDstPort
	ColProto
	ColConnections
	ColCallouts
	ColCalloutKind
	ColFirstTS
	ColLastTS
	ColIntervalMean
	ColIntervalMedian
	ColIntervalStddev
	ColIntervalCV
	ColIntervalMAD
	ColIntervalSkew
	ColPeriod
	ColPeriodicityPValue
	ColMissedBeats
	ColJitter
	ColJitterSkew
	ColClientFingerprint
	ColFingerprintDsts
	ColSelfSigned
	ColCertDays
	ColHTTPNoHost
	ColBytesMean
	ColBytesStddev
	ColBytesMedian
	ColBytesMAD
	ColBytesSkew
	ColHourly
	ColCoverage
	ColTSScore
	ColSizeScore
	ColHistScore
	ColDurationScore
	ColPeriodScore
	ColEvidenceScore
	ColPrevalenceScore
	ColScopeScore
	ColScore
	ColStrobe
	ColWhy
	numCols
)

// Schema is the beacons table: one row per (src_ip, dst_name or dst_ip,
// dst_port, proto) with enough connections.
var Schema = &table.Schema{
	Name:    "beacons",
	Version: 4,
	Doc: "One row per (src_ip, dst_name, dst_port, proto) — an originator calling a service by its name — or, for connections whose " +
		"destination has no name, per (src_ip, dst_ip, dst_port, proto), and per (src_ip, queried domain, resolver port, proto) for DNS queries, " +
		"with at least `--beacon-min-conns` call-outs (callouts), scored for beaconing: the regular call-outs of malware to its command and control. " +
		"Intervals are the times between consecutive call-outs. The score and its parts are defined in docs/beacons.md. Destinations never routed (multicast, " +
		"broadcast, link-local, loopback, unspecified) and those of `--beacon-allow` are left out. Rows are written at the end of the input, " +
		"highest score first, then the strobes (unscored).",
	Columns: []table.Column{
		{Name: "src_ip", Type: table.String, Hint: table.Dict, Doc: "The originator of the connections."},
		{Name: "dst_ip", Type: table.String, Hint: table.Dict, Doc: "The responder; for a pair keyed by dst_name, the address of its latest connection."},
		{Name: "dst_name", Type: table.String, Nullable: true, Hint: table.Dict, Doc: "The name the connections reached the responder by, " +
			"the pair's key when there is one: the TLS server name, else the HTTP Host (without its port), else the name of the DNS answer " +
			"latest before the connection that gave its address; lower case; null when none did (the pair is then keyed by dst_ip)."},
		{Name: "dst_name_source", Type: table.String, Nullable: true, Hint: table.Dict, Doc: "Where dst_name comes from: `tls`, `http` or `dns`; null with dst_name."},
		{Name: "dst_ips", Type: table.Uint32, Doc: "Distinct responder addresses of the pair's connections (counted up to 16): " +
			"more than 1 for a name served from many addresses (a CDN, fast flux)."},
		{Name: "dst_sources", Type: table.Uint32, Doc: "Sources (src_ip) in the capture that connect to this destination (the same dst_name, or dst_ip without a name, dst_port and proto), this one included: 1 for a destination only this source calls, many for a service the whole network uses, as RITA weighs a destination's prevalence. Counted over the pairs held at the end (below --beacon-min-conns too, up to --beacon-max-pairs of those)."},
		{Name: "dst_port", Type: table.Uint16, Doc: "The responder's port (0 without ports, as ICMP)."},
		{Name: "proto", Type: table.String, Hint: table.Dict, Doc: "Transport protocol, as the flows table names it."},
		{Name: "connections", Type: table.Uint64, Doc: "Number of connections (flows) of the pair."},
		{Name: "callouts", Type: table.Uint64, Doc: "Number of call-outs the statistics are of (callout_kind): the connections' starts, " +
			"or inside them their HTTP requests or their bursts of payload after silence, or the DNS queries for dst_name (docs/beacons.md, \"Call-outs\")."},
		{Name: "callout_kind", Type: table.String, Hint: table.Dict, Doc: "What the call-outs are, comma-separated when several: `connections` (a connection's start), " +
			"`requests` (an HTTP request, kept-alive connections included), `bursts` (the originator's payload after 2 s of silence inside a long TCP or UDP session), " +
			"`queries` (a DNS query for a name under dst_name, the pair's dst_ip the resolver)."},
		{Name: "first_ts", Type: table.Timestamp, Doc: "Time of the first call-out."},
		{Name: "last_ts", Type: table.Timestamp, Doc: "Time of the last call-out."},
		{Name: "interval_mean", Type: table.Float64, Doc: "Mean interval between beats, seconds: up to 4096 call-outs, those less than an eighth of the upper quartile of the intervals between call-outs after the previous are one beat with it (an operator's tasking burst after a check-in); past 4096, between call-outs (docs/beacons.md, \"Statistics\")."},
		{Name: "interval_median", Type: table.Float64, Doc: "Median of those intervals, seconds (past 4096 call-outs, of a uniform sample of 1024 intervals between call-outs)."},
		{Name: "interval_stddev", Type: table.Float64, Doc: "Standard deviation of the intervals, seconds (population)."},
		{Name: "interval_cv", Type: table.Float64, Nullable: true, Doc: "Coefficient of variation: stddev / mean; null when the mean is 0."},
		{Name: "interval_mad", Type: table.Float64, Doc: "Median absolute deviation of the intervals from their median, seconds (same sample as the median)."},
		{Name: "interval_skew", Type: table.Float64, Doc: "Bowley's quartile skewness of the intervals, in [-1, 1] (0 when the quartiles coincide)."},
		{Name: "period", Type: table.Float64, Nullable: true, Doc: "The period of the call-outs, seconds: the highest peak of the periodogram of their binned series (or a subharmonic of it), confirmed by the series' autocorrelation at that lag, then the median interval between beats (docs/beacons.md, \"The periodicity test\"). Null when none is: the peak not significant at 1 % (periodicity_pvalue), the autocorrelation not confirming it, or fewer than 4 call-outs."},
		{Name: "periodicity_pvalue", Type: table.Float64, Doc: "Walker's test of that periodogram: the chance that call-outs without a period (a Poisson process) give a peak as high; small for a beacon, despite jitter and missed beats. 1 when not tested (fewer than 4 connections, or all at one instant)."},
		{Name: "missed_beats", Type: table.Float64, Nullable: true, Doc: "Share of the beats the period expects between the first call-out and the last at which none came, in [0, 1]; null with period."},
		{Name: "jitter", Type: table.Float64, Nullable: true, Doc: "Spread of the intervals between beats (each divided by the periods it spans) around the period: the central 90 % of them over the period (a sleep of the period ±10 %, uniform, gives about 0.18); null with period."},
		{Name: "jitter_skew", Type: table.Float64, Nullable: true, Doc: "Bowley's skewness of those intervals, in [-1, 1]: beyond ±0.3 they lean to one side of the period. A uniform jitter that only shortens the sleep (Cobalt Strike's) is as symmetric about its mean as a two-sided one; null with period."},
		{Name: "client_fingerprint", Type: table.String, Nullable: true, Hint: table.Dict, Doc: "The client's fingerprint in the pair's latest connection that had one: `ja4:` and its TLS JA4, else `ua:` and its HTTP User-Agent; null when none had."},
		{Name: "fingerprint_dsts", Type: table.Uint32, Nullable: true, Doc: "Destinations (as dst_sources counts them) that src_ip calls with that fingerprint, over the pairs held: 1 when it uses it with this destination only, as an implant's own TLS stack or User-Agent would; null with client_fingerprint."},
		{Name: "self_signed", Type: table.Bool, Nullable: true, Doc: "The server's certificate in the pair's latest TLS connection that showed one is self-signed (its issuer is its subject); null when none showed one (TLS 1.3 hides it)."},
		{Name: "cert_days", Type: table.Float64, Nullable: true, Doc: "That certificate's validity, days (not_after - not_before): a few days for a throwaway certificate; null with self_signed."},
		{Name: "http_no_host", Type: table.Bool, Nullable: true, Doc: "An HTTP request of the pair had no Host header (a hand-written client's); null when the pair made no HTTP request."},
		{Name: "bytes_mean", Type: table.Float64, Doc: "Mean payload bytes per call-out, both directions (for connections orig_bytes + resp_bytes; for requests their bodies; for bursts the payload to the next burst; for queries the connection's bytes over its queries)."},
		{Name: "bytes_stddev", Type: table.Float64, Doc: "Standard deviation of those bytes."},
		{Name: "bytes_median", Type: table.Float64, Doc: "Median bytes per call-out (exact up to 1024 call-outs, then of a uniform sample of 1024)."},
		{Name: "bytes_mad", Type: table.Float64, Doc: "Median absolute deviation of the bytes per call-out from their median (same sample)."},
		{Name: "bytes_skew", Type: table.Float64, Doc: "Bowley's quartile skewness of the bytes per call-out, in [-1, 1] (0 when the quartiles coincide)."},
		{Name: "hourly", Type: table.String, Doc: "Call-outs by the UTC hour of day: 24 comma-separated counts, hour 0 first " +
			"(DuckDB: `string_split(hourly, ',')::INT[]`)."},
		{Name: "coverage", Type: table.Float64, Doc: "Share of the capture's time span that the pair's call-outs span: (last_ts - first_ts) / span, in [0, 1]."},
		{Name: "ts_score", Type: table.Float64, Doc: "Regularity of the intervals, in [0, 1]: their symmetry (interval_skew) and dispersion (interval_mad / interval_median)."},
		{Name: "size_score", Type: table.Float64, Doc: "Regularity of the bytes per call-out, in [0, 1]: their symmetry (bytes_skew) and dispersion (bytes_mad / bytes_median)."},
		{Name: "hist_score", Type: table.Float64, Doc: "How evenly the call-outs spread over the hours of the day that the capture covers (hourly), in [0, 1]."},
		{Name: "duration_score", Type: table.Float64, Doc: "How much of the capture the call-outs span: the coverage, in [0, 1]."},
		{Name: "period_score", Type: table.Float64, Doc: "Strength of the periodicity test, in [0, 1]: -log10(periodicity_pvalue) / 10, at most 1, when it found a period, else 0."},
		{Name: "evidence_score", Type: table.Float64, Doc: "How much the call-outs are evidence, in [0, 1]: √((beats − 1) / 9), 1 from 10 beats on (beats: the call-outs, tasking bursts counted once, as interval_mean has them): a few intervals can look regular by chance."},
		{Name: "prevalence_score", Type: table.Float64, Doc: "How rare the destination is, in [0.25, 1]: 1 − 0.75 × (dst_sources − 1) / (sources of the capture − 1) (1 with one source): a service the whole network calls is less likely a command and control."},
		{Name: "scope_score", Type: table.Float64, Doc: "0.6 for a pair from a private address (RFC 1918, IPv6 ULA) to a private address it reached by no name — the site's own services, lateral traffic, which RITA leaves out by default — else 1."},
		{Name: "score", Type: table.Float64, Nullable: true, Doc: "Beaconing score in [0, 1]: max(ts_score, period_score) × (0.4 + 0.2·size_score + 0.2·hist_score + 0.2·duration_score) × evidence_score × prevalence_score × scope_score, " +
			"near 1 for regular call-outs over the whole capture (docs/beacons.md); null for a strobe."},
		{Name: "strobe", Type: table.Bool, Doc: "More than one call-out a second on average (over 86 400 a day) over a span of at least a minute: " +
			"not a beacon but a flood or a busy service, not scored and written after the scored rows."},
		{Name: "why", Type: table.String, Doc: "The evidence in short: \"every 60.0 s ±0.4 s, 312 B ±0, 23 h of 24\" " +
			"(median interval ± MAD, median bytes ± MAD, hours of the day with connections of those the capture covers)."},
	},
}

// DefaultMinConns is the default minimum number of connections of a
// pair with a row: RITA's, 4. A beacon that calls out every quarter of an
// hour shows 4 connections in an hour of capture, Emotet's every 950 s a
// few more in a day; below ThinEvidence the row's why says the evidence
// is thin.
const DefaultMinConns = 4

// Bounds of the memory per pair: a window of the latest starts, to put
// connections that end out of order back in start order, and a reservoir
// sample of the intervals for the order statistics.
const (
	window    = 64
	reservoir = 1024
)

// pairKey is a pair's key: dst is the zero Addr when name is set.
type pairKey struct {
	src, dst netip.Addr
	name     string
	port     uint16
	proto    uint8
}

// maxAddrs bounds the distinct addresses a pair counts: 16 hashes of 8
// bytes, so that --beacon-max-pairs still bounds the pairs' memory (a
// slice of 64 netip.Addr was up to 1.5 KiB a pair).
const maxAddrs = 16

// Why a pair is left out of the table.
const (
	kept     uint8 = iota
	unrouted       // a destination never routed
	allowed        // an allow-listed destination
)

type pair struct {
	key         pairKey
	prev, next  *pair  // the list of pairs below the minimum, least recent first
	n           uint64 // call-outs
	flows       uint64 // connections
	lastFlow    uint64 // the flow_id of the latest (to count a query pair's flows)
	kinds       uint8  // of call-outs counted (kindConnections, ...)
	left        uint8  // kept, or why the pair is left out (only counted)
	fp          string // the latest client fingerprint: TLS JA4, else the HTTP User-Agent
	selfSigned  int8   // the latest certificate: 1 self-signed, -1 not, 0 none seen
	certDays    float64
	noHost      int8 // 1: an HTTP request without a Host; -1: requests all with one; 0: none seen
	first, last int64
	starts      []int64 // the latest starts, sorted, up to window
	ivals       []float64
	seen        uint64 // intervals seen
	iMean, iM2  float64
	bMean, bM2  float64
	bytes       []float64   // a sample of the bytes per connection
	hourly      *[24]uint32 // of the starts that left the window
	protoName   string
	nameSource  string
	ntp         bool       // every connection so far looks like NTP (timeSync)
	addr        netip.Addr // of the latest connection
	addrs       []uint64   // hashes of the distinct addresses, up to maxAddrs (only when keyed by name)
	times       []int64    // a uniform sample of the starts, up to maxTimes, for the periodicity test
	trng        uint64     // the pair's own sampling state: other pairs' traffic does not move its sample
	srng        uint64     // the same for the samples of intervals and bytes
}

// maxTimes bounds the starts a pair keeps for the periodicity test (32
// KiB): past it a uniform sample, which keeps the period (as missed beats
// would).
const maxTimes = 4096

// Scorer scores the pairs of the flows' rows it is given for regular
// call-outs and writes the beacons table when every flow ended. It is a
// flows.Subscriber: pairs of hosts span a Tracker's shards, so it reads the
// merged rows of all.
type Scorer struct {
	out   *table.Output
	min   uint64
	pairs map[pairKey]*pair
	few   struct{ head, tail *pair } // the pairs with fewer than min connections, least recent first
	nFew  int
	// MaxPairs bounds the pairs with fewer than the minimum of
	// connections that are kept (DefaultMaxPairs; 0: no bound). At the
	// bound a new pair forgets the least recently seen of them; pairs
	// that reached the minimum are all kept.
	MaxPairs int
	// AllDestinations keeps the destinations never routed (Unrouted),
	// which are left out by default.
	AllDestinations bool
	// NTP keeps the pairs that are NTP time synchronization (timeSync),
	// left out by default.
	NTP bool
	// ByAddress keys every pair by its address, ignoring flows.Row.Name.
	ByAddress bool
	// Allow lists destinations left out (nil: none).
	Allow *Allow
	// Forgotten counts the pairs forgotten at MaxPairs.
	Forgotten uint64
	// Unrouted and Allowed count the pairs left out, with at least the
	// minimum of connections, for a destination never routed or an
	// allow-listed one (set by Finish).
	Unrouted, Allowed uint64
	// TimeSync counts the NTP pairs left out (set by Finish).
	TimeSync uint64
	// Strobes counts the strobes (set by Finish).
	Strobes  uint64
	calls    []callout // Flow's scratch
	spanLo   int64
	spanHi   int64
	finished bool
}

// New returns a Scorer writing the pairs with at least minConns
// call-outs to out (minConns < 2 is 2: an interval needs two).
func New(out *table.Output, minConns int) *Scorer {
	return &Scorer{out: out, min: uint64(max(minConns, 2)), pairs: map[pairKey]*pair{},
		spanLo: math.MaxInt64, spanHi: math.MinInt64, MaxPairs: DefaultMaxPairs}
}

// DefaultMaxPairs is the default bound on the pairs kept below the
// minimum of connections: about 100 MiB. A scan or a SYN flood makes
// millions of one-connection pairs; a beacon is a pair that comes back.
const DefaultMaxPairs = 1 << 18

func (p *Scorer) unlink(pr *pair) {
	if pr.prev != nil {
		pr.prev.next = pr.next
	} else {
		p.few.head = pr.next
	}
	if pr.next != nil {
		pr.next.prev = pr.prev
	} else {
		p.few.tail = pr.prev
	}
	pr.prev, pr.next = nil, nil
	p.nFew--
}

func (p *Scorer) pushBack(pr *pair) {
	pr.prev, pr.next = p.few.tail, nil
	if p.few.tail != nil {
		p.few.tail.next = pr
	} else {
		p.few.head = pr
	}
	p.few.tail = pr
	p.nFew++
}

// leftOut says why a destination is left out (kept: it is not).
func (p *Scorer) leftOut(row *flows.Row, name string) uint8 {
	switch {
	case !p.AllDestinations && Unrouted(row.DstIP):
		return unrouted
	case p.Allow.Match(row.DstIP, name):
		return allowed
	}
	return kept
}

// Flow implements flows.Subscriber: the connection's call-outs count
// for its pair, or its DNS queries for their names' pairs (an interim row
// of a flow that goes on does not count: its final row will).
func (p *Scorer) Flow(row *flows.Row) {
	if row.Interim {
		return
	}
	p.spanLo = min(p.spanLo, row.TSStart)
	p.spanHi = max(p.spanHi, row.TSEnd)
	name, source := row.Name, row.NameSource
	if p.ByAddress {
		name, source = "", ""
	}
	if p.queries(row) {
		return // its call-outs are its queries, counted for their names
	}
	kind, calls := p.callouts(row)
	pr := p.lookup(row, name, source)
	pr.flows++
	for _, c := range calls {
		p.add(pr, row.DstIP, c.ts, c.bytes)
	}
	if pr.left == kept {
		pr.ntp = pr.ntp && timeSync(row)
		pr.kinds |= kind
		pr.facts(row.Facts)
	}
}

// facts keeps what the flow's facts say of the client and the server.
func (pr *pair) facts(facts []flows.Note) {
	for _, f := range facts {
		switch f.Kind {
		case "tls-ja4":
			pr.fp = "ja4:" + f.Text
		case "http-user-agent":
			pr.fp = "ua:" + f.Text
		case "tls-self-signed":
			pr.selfSigned = 1
		case "tls-cert-days":
			pr.certDays, _ = strconv.ParseFloat(f.Text, 64)
			if pr.selfSigned == 0 {
				pr.selfSigned = -1
			}
		case "http-no-host":
			pr.noHost = 1
		}
	}
	if pr.kinds&kindRequests != 0 && pr.noHost == 0 {
		pr.noHost = -1
	}
}

// A pair's kinds of call-outs (pair.kinds; the callout_kind column).
const (
	kindConnections uint8 = 1 << iota
	kindRequests
	kindBursts
	kindQueries
)

// kindNames names the kinds, in kindConnections' bit order.
var kindNames = [...]string{"connections", "requests", "bursts", "queries"}

// callout is a call-out's time and payload bytes.
type callout struct {
	ts    int64
	bytes float64
}

// callouts are the flow's call-outs: its HTTP requests; or its start and
// its bursts (flows.Tracker.NoteBursts), each with the bytes to the next;
// or, without either, its start with all of its bytes.
func (p *Scorer) callouts(row *flows.Row) (uint8, []callout) {
	p.calls = p.calls[:0]
	for _, n := range row.Notes {
		if n.Kind == "http" {
			p.calls = append(p.calls, callout{n.TS, float64(n.Bytes)})
		}
	}
	if len(p.calls) > 0 {
		return kindRequests, p.calls
	}
	total := row.Orig.Bytes + row.Resp.Bytes
	prev := callout{ts: row.TSStart}
	var before uint64 // bytes before the call-out prev
	for _, n := range row.Notes {
		if n.Kind == "burst" {
			prev.bytes = float64(min(n.Bytes, total) - min(before, n.Bytes, total))
			p.calls = append(p.calls, prev)
			prev, before = callout{ts: n.TS}, n.Bytes
		}
	}
	prev.bytes = float64(total - min(before, total))
	p.calls = append(p.calls, prev)
	if len(p.calls) > 1 {
		return kindBursts, p.calls
	}
	return kindConnections, p.calls
}

// queries counts the flow's DNS queries (notes of kind "dns") for the
// pairs of their names (QueryDomain), each a call-out with an equal share
// of the flow's bytes; it reports whether the flow had any that count
// (reverse lookups do not).
func (p *Scorer) queries(row *flows.Row) bool {
	n := 0
	for i := range row.Notes {
		if row.Notes[i].Kind == "dns" && QueryDomain(row.Notes[i].Text) != "" {
			n++
		}
	}
	if n == 0 {
		return false
	}
	b := float64(row.Orig.Bytes+row.Resp.Bytes) / float64(n)
	for i := range row.Notes {
		if nt := &row.Notes[i]; nt.Kind == "dns" {
			if d := QueryDomain(nt.Text); d != "" {
				pr := p.lookup(row, d, "query")
				pr.kinds |= kindQueries
				if pr.flows == 0 || pr.lastFlow != row.FlowID {
					pr.flows, pr.lastFlow = pr.flows+1, row.FlowID
				}
				p.add(pr, row.DstIP, nt.TS, b)
			}
		}
	}
	return true
}

// QueryDomain is the domain a query's name is counted for: its
// registered domain, one label below its public suffix on the Public
// Suffix List (golang.org/x/net/publicsuffix), lower case without the
// trailing dot. "x7f2.q.c2.example", "k9a.d4.q.c2.example" and
// "c2.example" are all "c2.example" (a DNS channel's labels vary below a
// fixed domain, however many of them it uses); "www.bbc.co.uk" is
// "bbc.co.uk"; a name under a provider's suffix stays its customer's
// ("a.b.myhost.duckdns.org" is "myhost.duckdns.org"); a name that is a
// public suffix itself, or a single label (a NetBIOS name), is itself. A
// reverse lookup (under in-addr.arpa or ip6.arpa) asks about an address,
// not for a service: it has no domain (""), and a flow of only those
// counts as a connection to its resolver.
func QueryDomain(name string) string {
	name = strings.TrimSuffix(strings.ToLower(name), ".")
	if name == "" || name == "in-addr.arpa" || name == "ip6.arpa" ||
		strings.HasSuffix(name, ".in-addr.arpa") || strings.HasSuffix(name, ".ip6.arpa") {
		return ""
	}
	if d, err := publicsuffix.EffectiveTLDPlusOne(name); err == nil {
		return d
	}
	return name
}

// add counts one call-out at ts with b bytes, to dst, for the pair (only
// counts it for a pair left out).
func (p *Scorer) add(pr *pair, dst netip.Addr, ts int64, b float64) {
	p.count(pr)
	if pr.left != kept {
		return
	}
	pr.first = min(pr.first, ts)
	if ts >= pr.last {
		pr.last, pr.addr = ts, dst
	}
	if h := addrHash(dst); pr.key.name != "" && len(pr.addrs) < maxAddrs && !slices.Contains(pr.addrs, h) {
		pr.addrs = append(pr.addrs, h)
	}
	d := b - pr.bMean
	pr.bMean += d / float64(pr.n)
	pr.bM2 += d * (b - pr.bMean)
	pr.bytes = pr.sample(pr.bytes, pr.n, b)
	pr.sampleTime(ts)
	// insert the start in order; a full window gives up its oldest
	i, _ := slices.BinarySearch(pr.starts, ts)
	pr.starts = slices.Insert(pr.starts, i, ts)
	if len(pr.starts) > window {
		p.interval(pr, pr.starts[1]-pr.starts[0])
		pr.countHour(pr.starts[0])
		pr.starts = append(pr.starts[:0], pr.starts[1:]...)
	}
}

// sampleTime adds the n-th start to the pair's uniform sample of starts
// (Algorithm R, on the pair's own xorshift).
func (pr *pair) sampleTime(ts int64) {
	if len(pr.times) < maxTimes {
		pr.times = append(pr.times, ts)
		return
	}
	if pr.trng == 0 {
		pr.trng = 0x2545f4914f6cdd1d
	}
	pr.trng ^= pr.trng << 13
	pr.trng ^= pr.trng >> 7
	pr.trng ^= pr.trng << 17
	if j := pr.trng % pr.n; j < maxTimes {
		pr.times[j] = ts
	}
}

// countHour counts a start that leaves the window in the hourly
// histogram (made then: most pairs never fill their window).
func (pr *pair) countHour(ts int64) {
	if pr.hourly == nil {
		pr.hourly = new([24]uint32)
	}
	if h := hourOf(ts); pr.hourly[h] < math.MaxUint32 {
		pr.hourly[h]++
	}
}

// lookup finds or makes the pair of the row's source, the name (or,
// without one, the row's destination address), port and protocol.
func (p *Scorer) lookup(row *flows.Row, name, source string) *pair {
	k := pairKey{src: row.SrcIP, dst: row.DstIP, name: name, port: row.DstPort, proto: row.IPProto}
	if name != "" {
		k.dst = netip.Addr{}
	}
	pr := p.pairs[k]
	if pr == nil {
		if p.MaxPairs > 0 && p.nFew >= p.MaxPairs {
			old := p.few.head
			p.unlink(old)
			delete(p.pairs, old.key)
			p.Forgotten++
		}
		pr = &pair{key: k, first: math.MaxInt64, last: math.MinInt64, addr: row.DstIP, protoName: row.Proto, nameSource: source,
			left: p.leftOut(row, name), ntp: !p.NTP && source != "query"}
		p.pairs[k] = pr
		p.pushBack(pr)
	}
	return pr
}

// count counts a call-out of the pair: below the minimum it is the most
// recently seen of the few; at the minimum it is kept from then on.
func (p *Scorer) count(pr *pair) {
	if pr.n < p.min {
		p.unlink(pr)
		pr.n++
		if pr.n < p.min {
			p.pushBack(pr)
		}
		return
	}
	pr.n++
}

// interval adds one interval (ns) to the pair's statistics.
func (p *Scorer) interval(pr *pair, ns int64) {
	x := float64(ns) / 1e9
	pr.seen++
	d := x - pr.iMean
	pr.iMean += d / float64(pr.seen)
	pr.iM2 += d * (x - pr.iMean)
	pr.ivals = pr.sample(pr.ivals, pr.seen, x)
}

// sample adds x, the seen-th value of a series, to a uniform reservoir
// sample v of the series.
func (pr *pair) sample(v []float64, seen uint64, x float64) []float64 {
	if len(v) < reservoir {
		return append(v, x)
	}
	// Algorithm R with a fixed-seed xorshift of the pair's own: the same
	// input gives the same table, whatever the order Finish meets the
	// pairs in (a generator shared by the pairs made the table differ
	// from run to run once a pair had more than 1024 intervals)
	if pr.srng == 0 {
		pr.srng = 0x9e3779b97f4a7c15
	}
	pr.srng ^= pr.srng << 13
	pr.srng ^= pr.srng >> 7
	pr.srng ^= pr.srng << 17
	if j := pr.srng % seen; j < reservoir {
		v[j] = x
	}
	return v
}

// scored is a pair with a row, and its statistics.
type scored struct {
	k       pairKey
	pr      *pair
	s       Stats
	per     Periodicity
	sources int // dst_sources
	fpDsts  int // fingerprint_dsts
}

// destOf is a pair's destination: its key without the source.
func destOf(k pairKey) pairKey {
	k.src = netip.Addr{}
	return k
}

// sources counts the sources of every destination of the pairs held,
// and the distinct sources of them all.
func (p *Scorer) sources() (map[pairKey]int, int) {
	n := map[pairKey]int{}
	all := map[netip.Addr]struct{}{}
	for k := range p.pairs {
		n[destOf(k)]++
		all[k.src] = struct{}{}
	}
	return n, len(all)
}

// fingerprint is a source's client fingerprint.
type fingerprint struct {
	src netip.Addr
	fp  string
}

// fingerprints counts the destinations each source calls with each of
// its fingerprints, over the pairs held.
func (p *Scorer) fingerprints() map[fingerprint]int {
	n := map[fingerprint]int{}
	for k, pr := range p.pairs {
		if pr.fp != "" {
			n[fingerprint{k.src, pr.fp}]++
		}
	}
	return n
}

// Finish implements flows.Subscriber: the scored rows, highest score
// first, then the strobes, most connections first.
func (p *Scorer) Finish() {
	if p.finished {
		return
	}
	p.finished = true
	var rows []scored
	sources, all := p.sources()
	fps := p.fingerprints()
	span := float64(p.spanHi-p.spanLo) / 1e9
	e := exposure(p.spanLo, p.spanHi)
	for k, pr := range p.pairs {
		if pr.n < p.min {
			continue
		}
		switch pr.left {
		case unrouted:
			p.Unrouted++
			continue
		case allowed:
			p.Allowed++
			continue
		}
		if pr.ntp {
			p.TimeSync++
			continue
		}
		for i, ts := range pr.starts {
			if i > 0 {
				p.interval(pr, ts-pr.starts[i-1])
			}
			pr.countHour(ts)
		}
		pr.starts = nil
		slices.Sort(pr.times)
		per := periodicity(pr.times)
		src, share := sources[destOf(k)], 0.0
		if all > 1 {
			share = float64(src-1) / float64(all-1)
		}
		r := scored{k, pr, pr.stats(span, &e, &per, share), per, src, fps[fingerprint{k.src, pr.fp}]}
		pr.times = nil
		if r.s.Strobe {
			p.Strobes++
		}
		rows = append(rows, r)
	}
	slices.SortFunc(rows, compareRows)
	for i := range rows {
		p.row(&rows[i])
	}
	p.pairs = nil
}

// compareRows orders the scored rows by score, highest first, then the
// strobes by connections, most first; ties by key.
func compareRows(a, b scored) int {
	switch {
	case a.s.Strobe != b.s.Strobe:
		if a.s.Strobe {
			return 1
		}
		return -1
	case a.s.Strobe:
		if c := cmp.Compare(b.pr.n, a.pr.n); c != 0 {
			return c
		}
	default:
		if c := cmp.Compare(b.s.Score, a.s.Score); c != 0 {
			return c
		}
	}
	if c := a.k.src.Compare(b.k.src); c != 0 {
		return c
	}
	if c := a.k.dst.Compare(b.k.dst); c != 0 {
		return c
	}
	return cmp.Or(cmp.Compare(a.k.name, b.k.name), cmp.Compare(a.k.port, b.k.port), cmp.Compare(a.k.proto, b.k.proto))
}

// stats computes the pair's statistics and score; span is the capture's
// span in seconds, e its exposure by hour of the day.
// per is its periodicity, share the share of the capture's other sources
// that call its destination too.
func (pr *pair) stats(span float64, e *[24]float64, per *Periodicity, share float64) Stats {
	var s Stats
	s.Mean = pr.iMean
	if pr.seen > 0 {
		s.Stddev = math.Sqrt(pr.iM2 / float64(pr.seen))
	}
	if s.Mean > 0 {
		s.CV, s.HasCV = s.Stddev/s.Mean, true
	}
	raw := slices.Clone(pr.ivals)
	slices.Sort(raw)
	gap := quantile(raw, 0.75) / 8 // before robustStats reuses raw
	iv := robustStats(raw)
	beats := pr.n // what the statistics rest on: the call-outs, or their beats
	if b := beatIntervals(pr.times, pr.n, gap); len(b) >= 2 {
		beats = uint64(len(b) + 1)
		s.Mean, s.Stddev = meanStddev(b)
		s.CV, s.HasCV = 0, false
		if s.Mean > 0 {
			s.CV, s.HasCV = s.Stddev/s.Mean, true
		}
		iv = robustStats(b)
	}
	s.Median, s.MAD, s.Skew = iv.median, iv.mad, iv.skew
	bs := robustStats(pr.bytes)
	s.BytesMedian, s.BytesMAD, s.BytesSkew = bs.median, bs.mad, bs.skew
	s.BytesMean = pr.bMean
	s.BytesStddev = math.Sqrt(pr.bM2 / float64(pr.n))
	if span > 0 {
		s.Coverage = min(1, float64(pr.last-pr.first)/1e9/span)
	}
	s.Hourly = *pr.hourly
	for h := range s.Hourly {
		if s.Hourly[h] > 0 {
			s.Hours++
		}
		if e[h] > 0 {
			s.Covered++
		}
	}
	s.Hist = histScore(&s.Hourly, e)
	own := float64(pr.last-pr.first) / 1e9
	s.Strobe = own >= strobeSpan && float64(pr.n) > own*strobeRate
	if per.Period > 0 {
		s.Period = min(1, -math.Log10(max(per.PValue, 1e-300))/10)
	}
	s.Beats = beats
	s.Evidence = math.Sqrt(min(1, float64(beats-1)/(ThinEvidence-1)))
	s.Prevalence = 1 - 0.75*share
	s.Scope = 1
	if pr.key.name == "" && pr.key.src.IsPrivate() && pr.addr.IsPrivate() {
		s.Scope = internalScope
	}
	s.score()
	return s
}

// beatIntervals returns the intervals (seconds) between the beats of the
// sorted call-out times when they are all there (n of them): a call-out
// less than gap seconds after the previous one belongs to its beat, as
// an operator's tasking burst after a check-in does. It returns nil when
// the times are a sample (a sample's intervals are not the pair's) or
// the gap is 0.
func beatIntervals(times []int64, n uint64, gap float64) []float64 {
	if uint64(len(times)) != n || gap <= 0 || len(times) < 2 {
		return nil
	}
	var out []float64
	prev := times[0]
	for _, t := range times[1:] {
		d := float64(t-prev) / 1e9
		if d < gap {
			prev = t
			continue
		}
		out = append(out, d)
		prev = t
	}
	return out
}

// meanStddev is v's mean and population standard deviation.
func meanStddev(v []float64) (float64, float64) {
	var m, m2 float64
	for i, x := range v {
		d := x - m
		m += d / float64(i+1)
		m2 += d * (x - m)
	}
	return m, math.Sqrt(m2 / float64(len(v)))
}

// internalScope is scope_score for a pair from a private address to a
// private address, without a name: the site's own services and lateral
// traffic, which RITA leaves out by default (its internal subnets), while
// a command and control answers from outside.
const internalScope = 0.6

// A pair is a strobe with more than strobeRate connections a second on
// average over a span (first to last start) of at least strobeSpan
// seconds: more than 86 400 a day.
const (
	strobeRate = 1.0
	strobeSpan = 60.0
)

func (p *Scorer) row(r *scored) {
	k, pr, s := r.k, r.pr, &r.s
	v := p.out.Batch().Cols
	v[ColSrcIP].Str = parsers.AppendAddr(v[ColSrcIP].Str, k.src)
	v[ColSrcIP].EndString()
	v[ColDstIP].Str = parsers.AppendAddr(v[ColDstIP].Str, pr.addr)
	v[ColDstIP].EndString()
	if k.name != "" {
		v[ColDstName].AppendString(k.name)
		v[ColDstNameSource].AppendString(pr.nameSource)
		v[ColDstIPs].AppendUint(uint64(len(pr.addrs)))
	} else {
		v[ColDstName].AppendNull()
		v[ColDstNameSource].AppendNull()
		v[ColDstIPs].AppendUint(1)
	}
	v[ColDstSources].AppendUint(uint64(r.sources))
	v[ColDstPort].AppendUint(uint64(k.port))
	v[ColProto].AppendString(pr.protoName)
	v[ColConnections].AppendUint(pr.flows)
	v[ColCallouts].AppendUint(pr.n)
	v[ColCalloutKind].AppendString(pr.kindString())
	v[ColFirstTS].AppendInt(pr.first)
	v[ColLastTS].AppendInt(pr.last)
	v[ColIntervalMean].AppendFloat(s.Mean)
	v[ColIntervalMedian].AppendFloat(s.Median)
	v[ColIntervalStddev].AppendFloat(s.Stddev)
	if s.HasCV {
		v[ColIntervalCV].AppendFloat(s.CV)
	} else {
		v[ColIntervalCV].AppendNull()
	}
	v[ColIntervalMAD].AppendFloat(s.MAD)
	v[ColIntervalSkew].AppendFloat(s.Skew)
	if per := &r.per; per.Period > 0 {
		v[ColPeriod].AppendFloat(per.Period)
		v[ColPeriodicityPValue].AppendFloat(per.PValue)
		v[ColMissedBeats].AppendFloat(per.MissedBeats)
		v[ColJitter].AppendFloat(per.Jitter)
		v[ColJitterSkew].AppendFloat(per.JitterSkew)
	} else {
		v[ColPeriod].AppendNull()
		v[ColPeriodicityPValue].AppendFloat(per.PValue)
		v[ColMissedBeats].AppendNull()
		v[ColJitter].AppendNull()
		v[ColJitterSkew].AppendNull()
	}
	p.context(v, r)
	v[ColBytesMean].AppendFloat(s.BytesMean)
	v[ColBytesStddev].AppendFloat(s.BytesStddev)
	v[ColBytesMedian].AppendFloat(s.BytesMedian)
	v[ColBytesMAD].AppendFloat(s.BytesMAD)
	v[ColBytesSkew].AppendFloat(s.BytesSkew)
	for h, c := range s.Hourly {
		if h > 0 {
			v[ColHourly].Str = append(v[ColHourly].Str, ',')
		}
		v[ColHourly].Str = strconv.AppendUint(v[ColHourly].Str, uint64(c), 10)
	}
	v[ColHourly].EndString()
	v[ColCoverage].AppendFloat(s.Coverage)
	v[ColTSScore].AppendFloat(s.TS)
	v[ColSizeScore].AppendFloat(s.Size)
	v[ColHistScore].AppendFloat(s.Hist)
	v[ColDurationScore].AppendFloat(s.Duration)
	v[ColPeriodScore].AppendFloat(s.Period)
	v[ColEvidenceScore].AppendFloat(s.Evidence)
	v[ColPrevalenceScore].AppendFloat(s.Prevalence)
	v[ColScopeScore].AppendFloat(s.Scope)
	if s.Strobe {
		v[ColScore].AppendNull()
	} else {
		v[ColScore].AppendFloat(s.Score)
	}
	v[ColStrobe].AppendBool(s.Strobe)
	noun, n := pr.kindNoun(), pr.n
	if !s.Strobe && s.Beats > 0 && s.Beats < pr.n {
		noun, n = "beats", s.Beats // tasking bursts counted once, as evidence_score counts them
	}
	v[ColWhy].AppendString(r.per.explain(s.Why(n, noun, pr.last-pr.first), s.Median))
	p.out.EndRow()
}

// context writes the false-positive context columns.
func (p *Scorer) context(v []table.Vector, r *scored) {
	pr := r.pr
	if pr.fp != "" {
		v[ColClientFingerprint].AppendString(pr.fp)
		v[ColFingerprintDsts].AppendUint(uint64(r.fpDsts))
	} else {
		v[ColClientFingerprint].AppendNull()
		v[ColFingerprintDsts].AppendNull()
	}
	if pr.selfSigned != 0 {
		v[ColSelfSigned].AppendBool(pr.selfSigned > 0)
		v[ColCertDays].AppendFloat(pr.certDays)
	} else {
		v[ColSelfSigned].AppendNull()
		v[ColCertDays].AppendNull()
	}
	if pr.noHost != 0 {
		v[ColHTTPNoHost].AppendBool(pr.noHost > 0)
	} else {
		v[ColHTTPNoHost].AppendNull()
	}
}

// kindString names the pair's kinds of call-outs, comma-separated.
func (pr *pair) kindString() string {
	if pr.kinds&(pr.kinds-1) == 0 {
		return kindNames[bits.TrailingZeros8(max(pr.kinds, 1))]
	}
	var b []byte
	for i, n := range kindNames {
		if pr.kinds&(1<<i) != 0 {
			if len(b) > 0 {
				b = append(b, ',')
			}
			b = append(b, n...)
		}
	}
	return string(b)
}

// kindNoun is what the why column counts: "connections" unless every
// call-out is of one other kind.
func (pr *pair) kindNoun() string {
	if pr.kinds&(pr.kinds-1) == 0 && pr.kinds > kindConnections {
		return kindNames[bits.TrailingZeros8(pr.kinds)]
	}
	if pr.kinds == kindConnections {
		return "connections"
	}
	return "call-outs"
}

// timeSync reports whether a connection looks like NTP: UDP to port 123
// whose payloads, both ways, are NTP messages (48 bytes, 68 or 72 with a
// MAC), a few at most. NTP clients poll their servers on a schedule by
// design, as regular as any beacon (ntpd settles at every 1024 s): such
// pairs are left out unless Scorer.NTP. A channel that hides in port 123
// must also keep to these sizes.
func timeSync(row *flows.Row) bool {
	if row.IPProto != 17 || row.DstPort != 123 {
		return false
	}
	return ntpBytes(row.Orig.Bytes) && ntpBytes(row.Resp.Bytes)
}

// ntpBytes reports whether n bytes are up to 8 NTP messages of one size.
func ntpBytes(n uint64) bool {
	for _, size := range []uint64{48, 68, 72} {
		if n%size == 0 && n <= 8*size {
			return true
		}
	}
	return false
}

// addrHash is a 64-bit hash of an address, to count distinct addresses.
func addrHash(a netip.Addr) uint64 {
	b := a.As16()
	lo, hi := binary.LittleEndian.Uint64(b[:8]), binary.LittleEndian.Uint64(b[8:])
	return (lo*0x9e3779b97f4a7c15 ^ hi) * 0xbf58476d1ce4e5b9
}
