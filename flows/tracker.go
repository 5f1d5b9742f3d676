package flows

import (
	"encoding/binary"
	"net/netip"

	"github.com/pcap2table/pcap2table/parsers"
	"github.com/pcap2table/pcap2table/table"
)

// Tracker assigns packets to flows and produces a Row per ended flow. It
// runs one shard per job: each packet goes to the shard a symmetric hash
// of the flow's addresses, protocol, VLAN and tunnel id names (ShardOf),
// so that both directions of a flow and every fragment of a datagram meet
// in one shard, and flows stay whole.
//
// The rows come out in one order whatever the number of shards: Observe
// takes a batch of packets, the shards observe their packets of it in
// parallel, and each row they make carries a tag (the index of the packet
// that made it); the rows of the shards are merged by tag. Timeouts
// apply at the end of each batch (a flow past its timeout that gets a
// packet before is ended at that packet): the flows past their timeouts
// then end in the order their first packets came, in chunks so that a
// burst of them (a capture with a long pause) is not held as rows all at
// once. At the end of the input the flows still live end in that order
// too. Each shard's clock is the latest capture time of all the packets
// before, whichever shard they went to. So the flows table, the plugins'
// tables and the packets' flow_id are the same with one shard or eight.
//
// The exception is the bounds: Config.MaxFlows, ReassemblyCap and FragCap
// are shared out between the shards (each has its part), so when a bound
// is reached which flow gives way depends on the number of shards.
//
// The flows' rows go to the Subscribers, and a protocol plugin (made once
// per shard, Register) writes its table's rows into an Output of its
// shard, merged into the table's output in the same order.
//
// A Tracker is used from one goroutine; its shards run on their own (the
// first on the caller's) only within Observe and Close. Close (or Stop)
// ends those goroutines.
type Tracker struct {
	ws     []*shard
	jobs   []shardJob
	work   []chan *shardJob
	done   chan struct{}
	pos    uint64 // global index of the next packet
	now    int64  // the clock: the latest capture time seen
	clock  []int64
	heads  []int
	tags   [][]uint64 // scratch of merge
	outs   []*pluginOut
	subs   []Subscriber
	namer  func(addr netip.Addr, ts int64) (name, source string)
	chunk  int
	closed bool // Close or Stop ran
}

// A Subscriber reads the row of every flow that ends, in the flows
// table's order, on the goroutine that calls Observe and Close: the flows
// table is one, the beacons table another.
type Subscriber interface {
	// Flow is given the row of a flow that ended; it is valid during the
	// call only.
	Flow(row *Row)
	// Finish is told that every flow ended (Close).
	Finish()
}

// pluginOut is a plugin's table: the shards' own Outputs, merged into dst.
type pluginOut struct {
	dst   *table.Output
	local []*Output
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
	interim bool // an interim row is due: the flow goes on
}

// The tags order a step's rows: the flows ended by the step's cut first
// (by rank), then the rows of the packets (by global index), then those
// of the datagrams given up at the boundary (by their first fragment's
// index).
const (
	tagCut    = 0 << 62
	tagPacket = 1 << 62
	tagFrag   = 2 << 62
)

// endChunk is how many flows past their timeouts (or live at the end) end
// in one step over all shards: the rows a burst of timeouts holds at once.
const endChunk = 1024

// NewTracker returns a tracker with configuration c and jobs shards
// (jobs >= 1), the bounds of c shared out between them.
func NewTracker(c Config, jobs int) *Tracker {
	n := max(jobs, 1)
	s := &Tracker{jobs: make([]shardJob, n), heads: make([]int, n), now: -1 << 63, chunk: endChunk}
	part := func(x int64) int64 { return (x + int64(n) - 1) / int64(n) }
	c.ReassemblyCap, c.FragCap = part(c.ReassemblyCap), part(c.FragCap)
	if c.MaxFlows > 0 {
		c.MaxFlows = int(part(int64(c.MaxFlows)))
	}
	for range n {
		s.ws = append(s.ws, newShard(c))
	}
	if n > 1 {
		s.done = make(chan struct{}, n)
		s.work = make([]chan *shardJob, n)
		for w := 1; w < n; w++ {
			s.work[w] = make(chan *shardJob, 1)
			go func(t *shard, work chan *shardJob) {
				for j := range work {
					t.runJob(j)
					s.done <- struct{}{}
				}
			}(s.ws[w], s.work[w])
		}
	}
	return s
}

// Register makes a protocol plugin with newPlugin for each shard and
// registers it; its table's rows are merged into dst in the flows' order.
// Register before the first packet; the order of registration is the
// order of the hooks' calls and of the service names.
func (s *Tracker) Register(newPlugin func(out *Output) Plugin, dst *table.Output) error {
	po := &pluginOut{dst: dst}
	for _, t := range s.ws {
		o := &Output{tag: &t.tag}
		p := newPlugin(o)
		o.b = table.NewBatch(p.Schema(), 64)
		if err := t.register(p); err != nil {
			return err
		}
		po.local = append(po.local, o)
	}
	s.outs = append(s.outs, po)
	return nil
}

// Subscribe adds a reader of the flows' rows. Subscribe before the first
// packet; the subscribers are called in the order they subscribed.
func (s *Tracker) Subscribe(sub Subscriber) { s.subs = append(s.subs, sub) }

// SetNamer sets how a flow whose responder no plugin named (Row.Name) is
// named from its address and start time (a DNS answer seen before it):
// f is called as each ended flow's row is merged, in the rows' order,
// after the batch's plugin hooks ran on every shard and before the
// subscribers read it; it returns "" for no name.
func (s *Tracker) SetNamer(f func(addr netip.Addr, ts int64) (name, source string)) { s.namer = f }

// Retain copies the bytes of r that Observe reads (a fragment's data, the
// segment when checksums are verified, TCP payload when a plugin has a
// StreamHook, other payload when a plugin has a PacketHook) into the
// arena and points r at the copies. A pipeline calls it before the
// packet's buffer is reused, to observe r later; the copies stay valid
// until the arena is Reset.
func (s *Tracker) Retain(r *parsers.PacketRow, a *Arena) {
	s.ws[0].retain(r, a) // every shard copies the same bytes
}

// Observe observes a batch of rows, in capture order, and fills their
// flow_id and community_id; then the flows past their timeouts end. The
// rows of ended flows go to the subscribers and the plugins' rows to
// their outputs. The bytes the rows point to (see Retain) are read during
// the call only.
func (s *Tracker) Observe(rows []parsers.PacketRow) {
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
		if !r.Has(parsers.ColSrcIP) || !r.Has(parsers.ColDstIP) || !r.Has(parsers.ColIPProto) || r.Untimed() {
			// no flow: not IP, or no time to give it; the first shard
			// writes its weird row, in order
			if s.ws[0].weird != nil && r.Has(parsers.ColDecodeError) && !r.Elsewhere() {
				clock[i] = s.now
				s.jobs[0].idx = append(s.jobs[0].idx, int32(i))
			}
			continue
		}
		s.now = max(s.now, r.TS)
		clock[i] = s.now
		if r.Elsewhere() {
			continue // another run's flow: only its time counts here
		}
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
// it passed), the oldest first, and finishes the subscribers. It stops the shards' goroutines: the Tracker is done.
func (s *Tracker) Close() {
	if s.closed {
		return
	}
	for w := range s.jobs {
		s.jobs[w] = shardJob{idx: s.jobs[w].idx[:0], base: s.pos, sweep: true, eof: true, now: s.now}
	}
	s.run()
	s.endCandidates()
	for _, sub := range s.subs {
		sub.Finish()
	}
	s.Stop()
}

// Hold ends the flows past their timeouts at the end of the input, as a
// batch boundary would, finishes the subscribers and stops: the flows
// still open end nowhere, for a later run that reads their packets again
// to end them (pcap2table watch). It returns the input (parsers.PacketRow's
// File) of the oldest open flow's first packet, or -1 when none is open.
func (s *Tracker) Hold() int {
	if s.closed {
		return -1
	}
	for w := range s.jobs {
		s.jobs[w] = shardJob{idx: s.jobs[w].idx[:0], base: s.pos, sweep: true, now: s.now}
	}
	s.run()
	s.endCandidates()
	for _, sub := range s.subs {
		sub.Finish()
	}
	oldest := -1
	for _, t := range s.ws {
		for i := t.byAge.head; i != none; i = t.flow(i).age.next {
			if f := t.flow(i); oldest < 0 || int(f.firstFile) < oldest {
				oldest = int(f.firstFile)
			}
		}
	}
	s.Stop()
	return oldest
}

// Stop stops the shards' goroutines without ending the flows (Close does
// both).
func (s *Tracker) Stop() {
	if s.closed {
		return
	}
	s.closed = true
	for _, c := range s.work[min(1, len(s.work)):] {
		close(c)
	}
}

// run runs the jobs, the first shard's here, and merges their rows.
func (s *Tracker) run() {
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
func (s *Tracker) endCandidates() {
	for {
		// the chunk's first candidates over all shards get their ranks
		clear(s.heads)
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

// merge moves the rows the shards made in a step to the subscribers and
// the plugins' outputs, in the order of their tags.
func (s *Tracker) merge() {
	tags := s.tags[:0]
	for _, t := range s.ws {
		tags = append(tags, t.endedTags)
	}
	s.eachRun(tags, func(w, lo, hi int) {
		for i := lo; i < hi; i++ {
			r := &s.ws[w].ended[i]
			if s.namer != nil && r.Name == "" {
				r.Name, r.NameSource = s.namer(r.DstIP, r.TSStart)
			}
			for _, sub := range s.subs {
				sub.Flow(r)
			}
		}
	})
	for _, t := range s.ws {
		t.ended, t.endedTags = t.ended[:0], t.endedTags[:0]
	}
	for _, po := range s.outs {
		tags = tags[:0]
		for _, o := range po.local {
			tags = append(tags, o.tags)
		}
		s.eachRun(tags, func(w, lo, hi int) { po.dst.AppendRows(po.local[w].b, lo, hi) })
		for _, o := range po.local {
			o.b.Reset()
			o.tags = o.tags[:0]
		}
	}
	s.tags = tags[:0]
}

// eachRun calls f for each run of rows of the shards, in the order of
// their tags (nextRun).
func (s *Tracker) eachRun(tags [][]uint64, f func(w, lo, hi int)) {
	clear(s.heads)
	for {
		w, lo, hi := nextRun(s.heads, tags)
		if w < 0 {
			return
		}
		f(w, lo, hi)
	}
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

// ShardOf returns the shard (in [0, n)) of the row's flow: a hash of its
// addresses in either order, IP protocol, VLAN and tunnel id, so both
// directions of a flow and all fragments of a datagram share it. The row
// has IP addresses and protocol.
func ShardOf(r *parsers.PacketRow, n int) int {
	return int((flowHash(r) >> 32) * uint64(n) >> 32)
}

// flowHash is the symmetric hash of ShardOf and PartOf.
func flowHash(r *parsers.PacketRow) uint64 {
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
	x ^= uint64(keyTunnelID(r)) << 24
	return mix(x, k2)
}

// PartOf returns the part (in [0, n)) of the packet's row when the
// packets are split among n conversions (pcap2table's Options.Parts): a
// row of a flow is in ShardOf's part, so both directions of a flow and
// every fragment of a datagram are in one; a row no flow takes (not IP,
// or without a time: see Observe) is in part 0.
func PartOf(r *parsers.PacketRow, n int) int {
	if n <= 1 || !r.Has(parsers.ColSrcIP) || !r.Has(parsers.ColDstIP) || !r.Has(parsers.ColIPProto) || r.Untimed() {
		return 0
	}
	// the hash's low half: ShardOf takes the high half, so a part's
	// packets still spread over the shards of its run's tracker
	return int(uint64(uint32(flowHash(r))) * uint64(n) >> 32)
}

// Counters are the tracker's counters, summed over its shards.
type Counters struct {
	// Started and Ended count the flows; Evicted those ended early at
	// Config.MaxFlows.
	Started, Ended, Evicted uint64
	// Interim counts the interim rows written (Config.Interim).
	Interim uint64
	// CapHits counts the times a TCP stream gave up its holes at a
	// reassembly bound, by bound (CapFlow, CapTotal, CapHoles).
	CapHits [3]uint64
	// PeakLive is the sum of each shard's most flows live at once: with
	// several shards, a bound of the most live at once over all.
	PeakLive uint64
	// Datagrams counts the IP datagrams reassembled from fragments,
	// Incomplete those given up incomplete, and Unassigned the fragments
	// of given-up datagrams whose first fragment never came (they count
	// in no flow).
	Datagrams, Incomplete, Unassigned uint64
	// PluginPanics counts, by table, the plugins' hook calls that
	// panicked (nil when none did).
	PluginPanics map[string]uint64
}

// Counters sums the shards' counters; call it after Close.
func (s *Tracker) Counters() Counters {
	var c Counters
	for _, t := range s.ws {
		c.Started += t.nStarted
		c.Ended += t.nEnded
		c.Evicted += t.nEvicted
		c.Interim += t.nInterim
		for i, n := range t.rs.capHits {
			c.CapHits[i] += n
		}
		c.PeakLive += t.peakLive
		d := &t.defrag
		c.Datagrams += d.done
		c.Incomplete += d.gaveUp
		c.Unassigned += d.lost
		for k, v := range t.pl.panics {
			if c.PluginPanics == nil {
				c.PluginPanics = map[string]uint64{}
			}
			c.PluginPanics[k] += v
		}
	}
	return c
}
