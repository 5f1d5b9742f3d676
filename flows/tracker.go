package flows

import (
	"cmp"
	"encoding/binary"
	"slices"

	"github.com/pcap2table/pcap2table/parsers"
	"github.com/pcap2table/pcap2table/table"
)

// Shards runs several trackers, one per core: each packet goes to the
// tracker its shard names, a symmetric hash of the flow's addresses,
// protocol, VLAN and tunnel id, so that both directions of a flow and
// every fragment of a datagram meet in one tracker, and flows stay whole.
//
// The rows come out in one order whatever the number of shards: Observe
// takes a batch of packets, the trackers observe their packets of it in
// parallel, and each row they make carries a tag (the index of the packet
// that made it); the rows of the shards are merged by tag. Timeouts
// apply at the end of each batch (a flow past its timeout that gets a
// packet before is ended at that packet, as one tracker does): the flows
// past their timeouts then end in the order their first packets came,
// in chunks so that a burst of them (a capture with a long pause) is not
// held as rows all at once. At the end of the input the flows still live
// end in that order too. Each tracker's clock is the latest capture time
// of all the packets before, whichever shard they went to. So the flows
// table, the plugins' tables and the packets' flow_id are the same with
// one shard or eight.
//
// The exception is the bounds: Config.MaxFlows, ReassemblyCap and FragCap
// are shared out between the shards (each has its part), so when a bound
// is reached which flow gives way depends on the number of shards.
//
// A plugin is made once per shard (Register), except a FlowRowsPlugin,
// made once and fed the merged flows' rows.
//
// A Shards is used from one goroutine; its trackers run on their own (the
// first on the caller's) only within Observe and Close. Stop (or Close)
// ends those goroutines.
type Shards struct {
	ws    []*Tracker
	jobs  []shardJob
	work  []chan *shardJob
	done  chan struct{}
	pos   uint64 // global index of the next packet
	now   int64  // the clock: the latest capture time seen
	clock []int64
	heads []int
	tags  [][]uint64 // scratch of merge
	outs  []*shardOut
	rowPl []FlowRowsPlugin
	chunk int
	// OnFlow receives the flows' rows, in order; valid during the call.
	OnFlow func(row *Row)
	closed bool
}

// shardOut is a plugin's table: the shards' own Outputs, merged into dst.
type shardOut struct {
	dst   *Output
	local []*Output
	b     []*table.Batch
}

// shardJob is the work of one shard for one step.
type shardJob struct {
	rows  []parsers.PacketRow
	idx   []int32 // the rows of this shard
	clock []int64 // the clock at each row
	base  uint64  // the global index of rows[0]
	end   int     // first end this many candidates (tagCut | rank)
	sweep bool    // after the rows: the boundary, at clock now
	eof   bool    // the sweep is the end of the input
	now   int64
}

// candidate is a flow to end at a boundary or at the end, ordered by the
// global index of its first packet (then its id) across shards.
type candidate struct {
	seq, id uint64
	rank    uint64
	i       int32
}

// The tags order a step's rows: the flows ended by the step's cut first
// (by rank), then the rows of the packets (by global index), then those
// of the datagrams given up at the boundary (by their first fragment's
// index).
const (
	tagCut    = 0 << 62
	tagPacket = 1 << 62
	tagFrag   = 2 << 62
	tagFinish = 3 << 62
)

// FlowRowsPlugin is a plugin that reads nothing but the flows' rows (its
// FlowEnd is called with a nil Conn) and writes its rows when it
// finishes. Shards makes one for all shards and feeds it the rows of
// every shard in the flows table's order (a plugin of pairs of hosts,
// whose flows span shards).
type FlowRowsPlugin interface {
	EndHook
	Finisher
	FlowRowsOnly()
}

// NewShards returns n trackers (n >= 1) with configuration c, its bounds
// shared out.
func NewShards(c Config, n int) *Shards {
	n = max(n, 1)
	s := &Shards{jobs: make([]shardJob, n), heads: make([]int, n), now: -1 << 63, chunk: 1024}
	part := func(x int64) int64 { return (x + int64(n) - 1) / int64(n) }
	c.ReassemblyCap, c.FragCap = part(c.ReassemblyCap), part(c.FragCap)
	if c.MaxFlows > 0 {
		c.MaxFlows = int(part(int64(c.MaxFlows)))
	}
	for range n {
		t := NewTracker(c)
		t.sharded = true
		s.ws = append(s.ws, t)
	}
	if n > 1 {
		s.done = make(chan struct{}, n)
		s.work = make([]chan *shardJob, n)
		for w := 1; w < n; w++ {
			s.work[w] = make(chan *shardJob, 1)
			go func(t *Tracker, work chan *shardJob) {
				for j := range work {
					t.runJob(j)
					s.done <- struct{}{}
				}
			}(s.ws[w], s.work[w])
		}
	}
	return s
}

// Register makes a plugin with newPlugin for each shard (or, for a
// FlowRowsPlugin, once) and registers it. The rows of the plugin's table
// are merged into out, as the flows' rows are ordered.
func (s *Shards) Register(newPlugin func(out *Output) Plugin, out *Output) error {
	so := &shardOut{dst: out}
	for w, t := range s.ws {
		var b *table.Batch
		o := &Output{batch: &b, max: 1 << 62, tag: &t.tag}
		p := newPlugin(o)
		if w == 0 {
			if _, ok := p.(FlowRowsPlugin); ok {
				s.rowPl = append(s.rowPl, newPlugin(out).(FlowRowsPlugin))
				return nil
			}
		}
		b = table.NewBatch(p.Schema(), 64)
		if err := t.Register(p); err != nil {
			return err
		}
		so.local, so.b = append(so.local, o), append(so.b, b)
	}
	s.outs = append(s.outs, so)
	return nil
}

// Retain is Tracker.Retain (every shard copies the same bytes).
func (s *Shards) Retain(r *parsers.PacketRow, arena []byte) []byte { return s.ws[0].Retain(r, arena) }

// Observe observes a batch of rows, in capture order, and fills their
// flow_id and community_id; then the flows past their timeouts end. The
// rows of ended flows go to OnFlow and the plugins' rows to their
// Outputs. The bytes the rows point to (see Tracker.Retain) are read
// during the call only.
func (s *Shards) Observe(rows []parsers.PacketRow) {
	n := len(s.ws)
	if cap(s.clock) < len(rows) {
		s.clock = make([]int64, len(rows))
	}
	clock := s.clock[:len(rows)]
	for w := range s.jobs {
		s.jobs[w] = shardJob{rows: rows, idx: s.jobs[w].idx[:0], clock: clock, base: s.pos, sweep: true}
	}
	for i := range rows {
		r := &rows[i]
		if !r.Has(parsers.ColSrcIP) || !r.Has(parsers.ColDstIP) || !r.Has(parsers.ColIPProto) {
			continue
		}
		s.now = max(s.now, r.TS)
		clock[i] = s.now
		w := 0
		if n > 1 {
			w = ShardOf(r, n)
		}
		s.jobs[w].idx = append(s.jobs[w].idx, int32(i))
	}
	s.pos += uint64(len(rows))
	for w := range s.jobs {
		s.jobs[w].now = s.now
	}
	s.run()
	s.endCandidates()
}

// Close ends the flows still live (end_reason eof, or their timeout's if
// it passed), the oldest first, and finishes the plugins. It stops the
// shards' goroutines: the Shards is done.
func (s *Shards) Close() {
	if s.closed {
		return
	}
	for w := range s.jobs {
		s.jobs[w] = shardJob{idx: s.jobs[w].idx[:0], base: s.pos, sweep: true, eof: true, now: s.now}
	}
	s.run()
	s.endCandidates()
	for _, t := range s.ws {
		t.tag = tagFinish
		t.finishPlugins()
	}
	s.merge()
	for _, p := range s.rowPl {
		p.Finish()
	}
	s.Stop()
}

// Stop stops the shards' goroutines without ending the flows (Close does
// both).
func (s *Shards) Stop() {
	if s.closed {
		return
	}
	s.closed = true
	for _, c := range s.work[min(1, len(s.work)):] {
		close(c)
	}
}

// run runs the jobs, the first shard's here, and merges their rows.
func (s *Shards) run() {
	for w := 1; w < len(s.ws); w++ {
		s.work[w] <- &s.jobs[w]
	}
	s.ws[0].runJob(&s.jobs[0])
	for w := 1; w < len(s.ws); w++ {
		<-s.done
	}
	s.merge()
}

// endCandidates ends the flows the shards found past their timeouts (or
// live at the end), chunk at a time, in the order of their first packets.
func (s *Shards) endCandidates() {
	for {
		// the chunk's first candidates over all shards get their ranks
		for w := range s.heads {
			s.heads[w] = 0
		}
		r := 0
		for ; r < s.chunk; r++ {
			best := -1
			for w, t := range s.ws {
				if s.heads[w] < len(t.cand) && (best < 0 || candLess(&t.cand[s.heads[w]], &s.ws[best].cand[s.heads[best]])) {
					best = w
				}
			}
			if best < 0 {
				break
			}
			s.ws[best].cand[s.heads[best]].rank = uint64(r)
			s.heads[best]++
		}
		if r == 0 {
			return
		}
		for w := range s.jobs {
			s.jobs[w] = shardJob{idx: s.jobs[w].idx[:0], end: s.heads[w], now: s.now}
		}
		s.run()
	}
}

func candLess(a, b *candidate) bool { return a.seq < b.seq || a.seq == b.seq && a.id < b.id }

// merge moves the rows the shards made in a step to OnFlow, the
// FlowRowsPlugins and the plugins' Outputs, in the order of their tags.
func (s *Shards) merge() {
	tags := s.tags[:0]
	for _, t := range s.ws {
		tags = append(tags, t.endedTags)
	}
	clear(s.heads)
	for {
		w, lo, hi := nextRun(s.heads, tags)
		if w < 0 {
			break
		}
		for i := lo; i < hi; i++ {
			row := &s.ws[w].ended[i]
			if s.OnFlow != nil {
				s.OnFlow(row)
			}
			for _, p := range s.rowPl {
				p.FlowEnd(nil, row)
			}
		}
	}
	for _, t := range s.ws {
		t.ended, t.endedTags = t.ended[:0], t.endedTags[:0]
	}
	for _, so := range s.outs {
		tags = tags[:0]
		for _, o := range so.local {
			tags = append(tags, o.tags)
		}
		clear(s.heads)
		for {
			w, lo, hi := nextRun(s.heads, tags)
			if w < 0 {
				break
			}
			so.dst.appendRows(so.b[w], lo, hi)
		}
		for w, o := range so.local {
			so.b[w].Reset()
			o.tags = o.tags[:0]
		}
	}
	s.tags = tags[:0]
}

// nextRun returns the shard whose next row has the lowest tag, and the
// run [lo, hi) of its rows that come before any other shard's next one,
// advancing heads past it (w < 0: no rows left). tags[w] are shard w's
// tags, in order; heads[w] the first not yet taken.
func nextRun(heads []int, tags [][]uint64) (w, lo, hi int) {
	w = -1
	next := uint64(1<<64 - 1) // the lowest tag of the other shards
	for x, t := range tags {
		if heads[x] == len(t) {
			continue
		}
		if w < 0 || t[heads[x]] < tags[w][heads[w]] {
			if w >= 0 {
				next = min(next, tags[w][heads[w]])
			}
			w = x
		} else {
			next = min(next, t[heads[x]])
		}
	}
	if w < 0 {
		return -1, 0, 0
	}
	lo, hi = heads[w], heads[w]+1
	for t := tags[w]; hi < len(t) && t[hi] < next; hi++ {
	}
	heads[w] = hi
	return w, lo, hi
}

// appendRows appends rows [lo, hi) of src (a batch of the Output's table),
// handing full batches over.
func (o *Output) appendRows(src *table.Batch, lo, hi int) {
	for lo < hi {
		b := *o.batch
		n := hi - lo
		if o.full != nil {
			n = min(n, max(o.max-b.N, 1))
		}
		b.AppendRows(src, lo, lo+n)
		lo += n
		if b.N >= o.max && o.full != nil {
			o.full()
		}
	}
}

// runJob does a shard's part of a step.
func (t *Tracker) runJob(j *shardJob) {
	// the flows of the cut, by rank
	for _, c := range t.cand[:j.end] {
		t.tag = tagCut | c.rank
		reason := "eof"
		if exp, r := t.expired(t.flow(c.i), t.now); exp {
			reason = r
		}
		t.end(c.i, reason)
	}
	t.cand = t.cand[:copy(t.cand, t.cand[j.end:])]
	// the packets, their flows looked up a few rows ahead (ObserveBatch)
	const ahead = 8
	rows, idx := j.rows, j.idx
	for k := 0; k < min(ahead, len(idx)); k++ {
		t.prepare(&rows[idx[k]], &t.ring[k%len(t.ring)])
	}
	for k, i := range idx {
		if a := k + ahead; a < len(idx) {
			t.prepare(&rows[idx[a]], &t.ring[a%len(t.ring)])
		}
		if a := k + ahead/2; a < len(idx) {
			t.prefetchFlow(&t.ring[a%len(t.ring)])
		}
		t.now = j.clock[i]
		t.pos = j.base + uint64(i)
		t.tag = tagPacket | t.pos
		t.observe(&rows[i], &t.ring[k%len(t.ring)])
	}
	if j.sweep {
		t.now = max(t.now, j.now)
		t.pos = j.base + uint64(len(rows))
		t.sweepAt(j.eof)
	}
}

// sweepAt gives up the datagrams past their timeout (all of them at the
// end) and lists the flows to end: those past their timeouts (all live
// flows at the end), ordered by their first packets.
func (t *Tracker) sweepAt(eof bool) {
	t.sweeping = true
	if eof {
		for d := &t.defrag; d.qHead < len(d.queue); {
			t.giveUp(d.pop())
		}
	} else {
		t.expireFrags(t.now)
	}
	t.sweeping = false
	t.cand = t.cand[:0]
	add := func(i int32) {
		f := t.flow(i)
		t.cand = append(t.cand, candidate{seq: f.firstSeq, id: f.id, i: i})
	}
	if eof {
		for i := t.byAge.head; i != none; i = t.flow(i).age.next {
			add(i)
		}
	} else {
		now := t.now
		for c := range t.idle {
			t.timedOut(c, now, true, func(i int32, _ string) bool {
				add(i)
				return true
			})
		}
		if t.active > 0 {
			for i := t.byAge.head; i != none && t.flow(i).firstClock+t.active <= now; i = t.flow(i).age.next {
				add(i)
			}
		}
	}
	slices.SortFunc(t.cand, func(a, b candidate) int {
		if c := cmp.Compare(a.seq, b.seq); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	t.cand = slices.CompactFunc(t.cand, func(a, b candidate) bool { return a.i == b.i })
}

// ShardOf returns the shard (in [0, n)) of the row's flow: a hash of its
// addresses in either order, IP protocol, VLAN and tunnel id, so both
// directions of a flow and all fragments of a datagram share it. The row
// has IP addresses and protocol.
func ShardOf(r *parsers.PacketRow, n int) int {
	a, b := addr16(r.SrcIP), addr16(r.DstIP)
	// each address folded to a word and mixed (index.go's mix), so that
	// a sum of two is as good as either; the sum does not care for their
	// order
	const k1, k2 = 0x9e3779b97f4a7c15, 0xbf58476d1ce4e5b9
	x := mix(binary.LittleEndian.Uint64(a[:8])^binary.LittleEndian.Uint64(a[8:]), k1) +
		mix(binary.LittleEndian.Uint64(b[:8])^binary.LittleEndian.Uint64(b[8:]), k1)
	x ^= uint64(r.IPProto)
	if r.Has(parsers.ColVLAN) {
		x ^= uint64(r.VLAN) << 8
	}
	if r.Has(parsers.ColTunnelID) {
		x ^= uint64(r.TunnelID) << 24
	}
	x = mix(x, k2)
	return int((x >> 32) * uint64(n) >> 32)
}

// Counters are the trackers' counters, summed over the shards.
type Counters struct {
	Started, Ended, Evicted, CapHits uint64
	// PeakLive is the sum of each shard's most flows live at once: with
	// several shards, a bound of the most live at once over all.
	PeakLive                          uint64
	Datagrams, Incomplete, Unassigned uint64
	PluginPanics                      map[string]uint64 // by table; nil when none
}

// Counters sums the shards' counters; call it after Close.
func (s *Shards) Counters() Counters {
	var c Counters
	for _, t := range s.ws {
		c.Started += t.Started
		c.Ended += t.Ended
		c.Evicted += t.Evicted
		c.CapHits += t.CapHits()
		c.PeakLive += t.PeakLive
		d, i, u := t.FragStats()
		c.Datagrams += d
		c.Incomplete += i
		c.Unassigned += u
		for k, v := range t.PluginPanics() {
			if c.PluginPanics == nil {
				c.PluginPanics = map[string]uint64{}
			}
			c.PluginPanics[k] += v
		}
	}
	return c
}
