package beacons

import (
	"cmp"
	"math"
	"net/netip"
	"slices"

	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/parsers"
	"github.com/pcap2table/pcap2table/table"
)

// Column indexes of the beacons table, in schema order.
const (
	ColSrcIP = iota
	ColDstIP
	ColDstPort
	ColProto
	ColConnections
	ColFirstTS
	ColLastTS
	ColIntervalMean
	ColIntervalMedian
	ColIntervalStddev
	ColIntervalCV
	ColIntervalMAD
	ColIntervalSkew
	ColBytesMean
	ColBytesStddev
	ColCoverage
	ColScore
	numCols
)

// Schema is the beacons table: one row per (src_ip, dst_ip, dst_port,
// proto) with enough connections.
var Schema = &table.Schema{
	Name:    "beacons",
	Version: 1,
	Doc: "One row per (src_ip, dst_ip, dst_port, proto) — an originator calling a service — with at least `--beacon-min-conns` connections " +
		"(flows), scored for beaconing: the regular call-outs of malware to its command and control. Intervals are the times between " +
		"consecutive connection starts. The score and its parts are defined in docs/beacons.md. Rows are written at the end of the input, " +
		"highest score first.",
	Columns: []table.Column{
		{Name: "src_ip", Type: table.String, Hint: table.Dict, Doc: "The originator of the connections."},
		{Name: "dst_ip", Type: table.String, Hint: table.Dict, Doc: "The responder."},
		{Name: "dst_port", Type: table.Uint16, Doc: "The responder's port (0 without ports, as ICMP)."},
		{Name: "proto", Type: table.String, Hint: table.Dict, Doc: "Transport protocol, as the flows table names it."},
		{Name: "connections", Type: table.Uint64, Doc: "Number of connections (flows) of the pair."},
		{Name: "first_ts", Type: table.Timestamp, Doc: "Start of the first connection."},
		{Name: "last_ts", Type: table.Timestamp, Doc: "Start of the last connection."},
		{Name: "interval_mean", Type: table.Float64, Doc: "Mean interval between connection starts, seconds."},
		{Name: "interval_median", Type: table.Float64, Doc: "Median interval, seconds (exact up to 1024 intervals, then of a uniform sample of 1024)."},
		{Name: "interval_stddev", Type: table.Float64, Doc: "Standard deviation of the intervals, seconds (population)."},
		{Name: "interval_cv", Type: table.Float64, Nullable: true, Doc: "Coefficient of variation: stddev / mean; null when the mean is 0."},
		{Name: "interval_mad", Type: table.Float64, Doc: "Median absolute deviation of the intervals from their median, seconds (same sample as the median)."},
		{Name: "interval_skew", Type: table.Float64, Doc: "Bowley's quartile skewness of the intervals, in [-1, 1] (0 when the quartiles coincide)."},
		{Name: "bytes_mean", Type: table.Float64, Doc: "Mean payload bytes per connection, both directions (orig_bytes + resp_bytes)."},
		{Name: "bytes_stddev", Type: table.Float64, Doc: "Standard deviation of those bytes."},
		{Name: "coverage", Type: table.Float64, Doc: "Share of the capture's time span that the pair's connections span: (last_ts - first_ts) / span, in [0, 1]."},
		{Name: "score", Type: table.Float64, Doc: "Beaconing score in [0, 1]: near 1 for regular call-outs over the whole capture (docs/beacons.md)."},
	},
}

// DefaultMinConns is the default minimum number of connections of a
// pair with a row.
const DefaultMinConns = 10

// Bounds of the memory per pair: a window of the latest starts, to put
// connections that end out of order back in start order, and a reservoir
// sample of the intervals for the order statistics.
const (
	window    = 64
	reservoir = 1024
	// fullCount is the number of connections that earns the full
	// connection-count part of the score (one a day for 24 days, or one
	// an hour for a day, as RITA's).
	fullCount = 24
)

type pairKey struct {
	src, dst netip.Addr
	port     uint16
	proto    uint8
}

type pair struct {
	key         pairKey
	prev, next  *pair // the list of pairs below the minimum, least recent first
	n           uint64
	first, last int64
	starts      []int64 // the latest starts, sorted, up to window
	ivals       []float64
	seen        uint64 // intervals seen
	iMean, iM2  float64
	bMean, bM2  float64
	protoName   string
}

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
	// Forgotten counts the pairs forgotten at MaxPairs.
	Forgotten uint64
	rng       uint64
	spanLo    int64
	spanHi    int64
	finished  bool
}

// New returns a Scorer writing the pairs with at least minConns
// connections to out (minConns < 2 is 2: an interval needs two).
func New(out *table.Output, minConns int) *Scorer {
	return &Scorer{out: out, min: uint64(max(minConns, 2)), pairs: map[pairKey]*pair{}, rng: 0x9e3779b97f4a7c15,
		spanLo: math.MaxInt64, spanHi: math.MinInt64, MaxPairs: DefaultMaxPairs}
}

// DefaultMaxPairs is the default bound on the pairs kept below the
// minimum of connections: about 80 MiB. A scan or a SYN flood makes
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

// Flow implements flows.Subscriber: the connection counts for its pair.
func (p *Scorer) Flow(row *flows.Row) {
	p.spanLo = min(p.spanLo, row.TSStart)
	p.spanHi = max(p.spanHi, row.TSEnd)
	k := pairKey{src: row.SrcIP, dst: row.DstIP, port: row.DstPort, proto: row.IPProto}
	pr := p.pairs[k]
	if pr == nil {
		if p.MaxPairs > 0 && p.nFew >= p.MaxPairs {
			old := p.few.head
			p.unlink(old)
			delete(p.pairs, old.key)
			p.Forgotten++
		}
		pr = &pair{key: k, first: row.TSStart, last: row.TSStart, protoName: row.Proto}
		p.pairs[k] = pr
		p.pushBack(pr)
	} else if pr.n < p.min {
		p.unlink(pr)
		p.pushBack(pr)
	}
	pr.n++
	if pr.n == p.min {
		p.unlink(pr) // kept from now on
	}
	pr.first = min(pr.first, row.TSStart)
	pr.last = max(pr.last, row.TSStart)
	b := float64(row.Orig.Bytes + row.Resp.Bytes)
	d := b - pr.bMean
	pr.bMean += d / float64(pr.n)
	pr.bM2 += d * (b - pr.bMean)
	// insert the start in order; a full window gives up its oldest
	i, _ := slices.BinarySearch(pr.starts, row.TSStart)
	pr.starts = slices.Insert(pr.starts, i, row.TSStart)
	if len(pr.starts) > window {
		p.interval(pr, pr.starts[1]-pr.starts[0])
		pr.starts = append(pr.starts[:0], pr.starts[1:]...)
	}
}

// interval adds one interval (ns) to the pair's statistics.
func (p *Scorer) interval(pr *pair, ns int64) {
	x := float64(ns) / 1e9
	pr.seen++
	d := x - pr.iMean
	pr.iMean += d / float64(pr.seen)
	pr.iM2 += d * (x - pr.iMean)
	if len(pr.ivals) < reservoir {
		pr.ivals = append(pr.ivals, x)
		return
	}
	// Algorithm R with a fixed-seed xorshift: the same input gives the same table
	p.rng ^= p.rng << 13
	p.rng ^= p.rng >> 7
	p.rng ^= p.rng << 17
	if j := p.rng % pr.seen; j < reservoir {
		pr.ivals[j] = x
	}
}

// Finish implements flows.Subscriber: the rows, highest score first.
func (p *Scorer) Finish() {
	if p.finished {
		return
	}
	p.finished = true
	type scored struct {
		k pairKey
		s Stats
	}
	var rows []scored
	span := float64(p.spanHi-p.spanLo) / 1e9
	for k, pr := range p.pairs {
		if pr.n < p.min {
			continue
		}
		for i := 1; i < len(pr.starts); i++ {
			p.interval(pr, pr.starts[i]-pr.starts[i-1])
		}
		pr.starts = nil
		rows = append(rows, scored{k, pr.stats(span)})
	}
	slices.SortFunc(rows, func(a, b scored) int {
		if c := cmp.Compare(b.s.Score, a.s.Score); c != 0 {
			return c
		}
		if c := a.k.src.Compare(b.k.src); c != 0 {
			return c
		}
		if c := a.k.dst.Compare(b.k.dst); c != 0 {
			return c
		}
		return cmp.Or(cmp.Compare(a.k.port, b.k.port), cmp.Compare(a.k.proto, b.k.proto))
	})
	for _, r := range rows {
		p.row(r.k, p.pairs[r.k], &r.s)
	}
	p.pairs = nil
}

// Stats are a pair's statistics and score (docs/beacons.md).
type Stats struct {
	Mean, Median, Stddev, CV, MAD, Skew float64
	HasCV                               bool
	BytesMean, BytesStddev              float64
	Coverage, Score                     float64
	// The parts of the score.
	Regularity, Steadiness, Symmetry, Timing, Size, Count float64
}

func (pr *pair) stats(span float64) Stats {
	var s Stats
	s.Mean = pr.iMean
	if pr.seen > 0 {
		s.Stddev = math.Sqrt(pr.iM2 / float64(pr.seen))
	}
	if s.Mean > 0 {
		s.CV, s.HasCV = s.Stddev/s.Mean, true
	}
	v := slices.Clone(pr.ivals)
	slices.Sort(v)
	s.Median = quantile(v, 0.5)
	q1, q3 := quantile(v, 0.25), quantile(v, 0.75)
	if q3 > q1 {
		s.Skew = (q1 + q3 - 2*s.Median) / (q3 - q1)
	}
	for i := range v {
		v[i] = math.Abs(v[i] - s.Median)
	}
	slices.Sort(v)
	s.MAD = quantile(v, 0.5)
	s.BytesMean = pr.bMean
	s.BytesStddev = math.Sqrt(pr.bM2 / float64(pr.n))
	if span > 0 {
		s.Coverage = min(1, float64(pr.last-pr.first)/1e9/span)
	}
	score(&s, pr.n)
	return s
}

// score fills the score and its parts (docs/beacons.md).
func score(s *Stats, n uint64) {
	if s.Median > 0 {
		s.Regularity = max(0, 1-s.MAD/s.Median)
	}
	if s.HasCV {
		s.Steadiness = max(0, 1-s.CV)
	}
	s.Symmetry = 1 - math.Abs(s.Skew)
	s.Timing = (s.Regularity + s.Steadiness + s.Symmetry) / 3
	s.Size = 1
	if s.BytesMean > 0 {
		s.Size = max(0, 1-s.BytesStddev/s.BytesMean)
	}
	s.Count = min(1, float64(n)/fullCount)
	s.Score = s.Timing * (0.4 + 0.2*s.Size + 0.2*s.Coverage + 0.2*s.Count)
}

// quantile is the q-quantile of sorted v, interpolated linearly (0 when
// v is empty).
func quantile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return 0
	}
	pos := q * float64(len(v)-1)
	i := int(pos)
	if i+1 >= len(v) {
		return v[len(v)-1]
	}
	return v[i] + (pos-float64(i))*(v[i+1]-v[i])
}

func (p *Scorer) row(k pairKey, pr *pair, s *Stats) {
	v := p.out.Batch().Cols
	v[ColSrcIP].Str = parsers.AppendAddr(v[ColSrcIP].Str, k.src)
	v[ColSrcIP].EndString()
	v[ColDstIP].Str = parsers.AppendAddr(v[ColDstIP].Str, k.dst)
	v[ColDstIP].EndString()
	v[ColDstPort].AppendUint(uint64(k.port))
	v[ColProto].AppendString(pr.protoName)
	v[ColConnections].AppendUint(pr.n)
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
	v[ColBytesMean].AppendFloat(s.BytesMean)
	v[ColBytesStddev].AppendFloat(s.BytesStddev)
	v[ColCoverage].AppendFloat(s.Coverage)
	v[ColScore].AppendFloat(s.Score)
	p.out.EndRow()
}
