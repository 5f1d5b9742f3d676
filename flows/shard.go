package flows

import (
	"encoding/binary"
	"time"
	"unsafe"

	"github.com/pcap2table/pcap2table/parsers"
)

// Config sets the timeouts (in capture time), the Community ID seed and
// the reassembly bounds.
type Config struct {
	TCPIdle    time.Duration // a TCP flow without packets for this long ends (idle)
	UDPIdle    time.Duration // the same for UDP, ICMP and other protocols
	Active     time.Duration // a flow older than this ends (active) and a new one continues it; 0: never
	CloseDelay time.Duration // a TCP flow closed by FIN or RST is kept this long for late packets
	Seed       uint16        // Community ID seed

	// ReassemblyWait is how long (capture time) an acknowledged hole in a
	// TCP stream waits for its bytes before they are declared missing.
	ReassemblyWait time.Duration
	// ReassemblyFlowCap bounds the out-of-order bytes waiting behind holes
	// in one flow, and ReassemblyCap those of all flows together.
	ReassemblyFlowCap, ReassemblyCap int64
	// FragTimeout is how long (capture time) an IP datagram waits for its
	// fragments, and FragCap bounds the bytes of all waiting datagrams.
	FragTimeout time.Duration
	FragCap     int64
	// MaxFlows bounds the flows live at once (0: no bound). At the bound a
	// new flow first ends the least recently active one: a flow closed by
	// FIN or RST and kept for late packets if there is one (with its own
	// end_reason), else with end_reason "evicted". Memory is about 1.2 KiB
	// per live flow, so the bound is the tracker's memory bound.
	MaxFlows int
	// VerifyChecksums checks TCP and UDP checksums: a bad one adds 'c' to
	// the history (the packet still counts). Off by default: captures
	// taken on a sending host hold offloaded, wrong checksums.
	VerifyChecksums bool
}

// DefaultConfig is Zeek's defaults: TCP idle 5 min, UDP/ICMP idle 1 min,
// close delay 5 s, and an active timeout of 30 min; holes wait 100 ms,
// and 1 MiB per flow and 64 MiB in all may wait behind them; fragments
// wait 30 s (Linux's ipfrag_time), 16 MiB in all; at most DefaultMaxFlows
// flows live at once.
func DefaultConfig() Config {
	return Config{TCPIdle: 5 * time.Minute, UDPIdle: time.Minute, Active: 30 * time.Minute, CloseDelay: 5 * time.Second,
		ReassemblyWait: 100 * time.Millisecond, ReassemblyFlowCap: 1 << 20, ReassemblyCap: 64 << 20,
		FragTimeout: 30 * time.Second, FragCap: 16 << 20, MaxFlows: DefaultMaxFlows}
}

// DefaultMaxFlows is the default bound on live flows: 1 Mi flows, about
// 1.3 GiB with the writers' buffers (a SYN flood cannot grow it further).
const DefaultMaxFlows = 1 << 20

// idle classes: each has its own idle queue (queue.go).
const (
	classTCP = iota
	classOther
	classClosing
	numClasses
)

const none = -1

type links struct{ prev, next int32 }

type list struct{ head, tail int32 }

// Tracker assigns packets to flows and produces a Row per ended flow.
type Tracker struct {
	cfg     Config
	timeout [numClasses]int64
	active  int64

	ix   index
	ring [16]rowKey // keys of the rows ahead (ObserveBatch)
	// scratch holds the key of a row observed without one computed ahead
	scratch rowKey
	pages   [][]flow // flow i is pages[i>>pageBits][i&pageMask]
	n       int32    // flow slots in use or free
	free    []int32
	idle    [numClasses]idleQueue
	byAge   list // ordered by start, for the active timeout
	now     int64
	due     int64 // no flow times out before this capture time
	// endedNow holds the ids of the flows ended at capture time endedAt
	// that had started then too, or at the same packet: a flow of the same
	// key starting then takes the next generation (newID), so that ids stay
	// unique. At most maxEndedNow of the former; past that, overflow.
	endedNow map[uint64]struct{}
	endedAt  int64
	overflow bool

	tunnels     []string // tunnel names by flow.tunnel; 0 is none
	defrag      defrag
	fragTimeout int64
	fragCap     int
	ended       []Row
	takeNext    bool // ended was handed out: start over on the next append
	rs          reasm
	pl          plugins
	services    []string // service names, by bit of flow.service
	userStream  StreamHandler

	// Driven by a Shards (shard.go): rows are tagged for merging, and
	// timeouts apply at batch boundaries rather than at the packet that
	// reaches them.
	sharded   bool
	sweeping  bool     // giving datagrams up at a boundary: tags by datagram
	pos       uint64   // the global index of the packet observed (or of the boundary)
	tag       uint64   // the merge key of the rows made now (tagCut, tagPacket, tagFrag | value)
	endedTags []uint64 // tag of each row of ended
	cand      []candidate

	// Counters for stats; PeakLive is the most flows live at once;
	// Evicted counts the flows ended early at Config.MaxFlows.
	Started, Ended, PeakLive, Evicted uint64
}

// NewTracker returns a tracker with the given configuration.
func NewTracker(c Config) *Tracker {
	t := &Tracker{cfg: c, ix: newIndex(), tunnels: []string{""}}
	t.timeout = [numClasses]int64{int64(c.TCPIdle), int64(c.UDPIdle), int64(c.CloseDelay)}
	t.active = int64(c.Active)
	for i := range t.idle {
		t.idle[i].list = list{none, none}
	}
	t.byAge = list{none, none}
	t.due = 1<<63 - 1
	t.now = -1 << 63
	t.fragTimeout, t.fragCap = int64(c.FragTimeout), int(c.FragCap)
	t.rs.wait = int64(c.ReassemblyWait)
	t.rs.flowCap, t.rs.totalCap = uint64(max(c.ReassemblyFlowCap, 0)), uint64(max(c.ReassemblyCap, 0))
	return t
}

// SetStreamHandler makes the tracker hold out-of-order TCP payload and
// hand each flow's reassembled streams to h (nil: none; the default, which
// costs no copies).
func (t *Tracker) SetStreamHandler(h StreamHandler) {
	t.userStream = h
	if len(t.pl.stream) == 0 {
		t.rs.h = h
	}
}

// Retain copies the bytes of r that Observe reads (a fragment's data, the
// segment when checksums are verified, TCP payload when a stream handler
// or a plugin's StreamHook is set, other payload when a plugin has a
// PacketHook) to the end of arena, points r at the copies and returns the
// grown arena. A pipeline calls it before the packet's buffer is reused,
// to observe r later. The copies stay valid until arena's bytes are
// overwritten (a slice that grew keeps the old array alive).
func (t *Tracker) Retain(r *parsers.PacketRow, arena []byte) []byte {
	if !r.Has(parsers.ColIPProto) {
		return arena
	}
	keep := func(b []byte) []byte {
		if len(b) == 0 {
			return b
		}
		n := len(arena)
		arena = append(arena, b...)
		return arena[n:len(arena):len(arena)]
	}
	if isFragment(r) {
		// the data is all defrag reads; the rest is in it, unused
		r.IPPayload, r.L4, r.Payload = keep(r.IPPayload), nil, nil
		return arena
	}
	r.IPPayload = nil
	if t.cfg.VerifyChecksums {
		r.L4 = keep(r.L4)
	} else {
		r.L4 = nil
	}
	if r.IPProto == 6 && t.rs.h != nil || r.IPProto != 6 && len(t.pl.packet) > 0 {
		r.Payload = keep(r.Payload)
	} else {
		r.Payload = nil
	}
	return arena
}

// CapHits is the number of times a TCP stream gave up its holes because a
// reassembly cap (per flow, in total, or holes per direction) was reached.
func (t *Tracker) CapHits() uint64 { return t.rs.capHits }

// Waiting is the number of out-of-order TCP payload bytes now waiting
// behind holes, over all flows.
func (t *Tracker) Waiting() uint64 { return t.rs.total }

// Flows live in pages of pageSize, so that growing the table copies no
// flow (one growing slice of flows spent a sixth of a flows-only run
// copying itself). A page is 128 flows (96 KiB): with 4096 a tracker
// cleared 3 MiB for its first flow, which made the fuzz target, with its
// six trackers an input, ten times slower than its work.
const (
	pageBits = 7
	pageSize = 1 << pageBits
	pageMask = pageSize - 1
)

func (t *Tracker) flow(i int32) *flow { return &t.pages[i>>pageBits][i&pageMask] }

// Live is the number of flows being tracked.
func (t *Tracker) Live() int { return t.ix.n }

// PendingRows is the number of ended flows not yet taken.
func (t *Tracker) PendingRows() int {
	if t.takeNext {
		return 0
	}
	return len(t.ended)
}

// TakeEnded returns the rows of the flows ended since the last call, in
// the order they ended. They are valid until the next call to Observe,
// Close or TakeEnded.
func (t *Tracker) TakeEnded() []Row {
	if t.takeNext {
		return nil
	}
	t.takeNext = true
	return t.ended
}

func (t *Tracker) newRow() *Row {
	if t.takeNext {
		t.ended = t.ended[:0]
		t.takeNext = false
	}
	t.ended = append(t.ended, Row{})
	if t.sharded {
		t.endedTags = append(t.endedTags, t.tag)
	}
	return &t.ended[len(t.ended)-1]
}

// Observe assigns the packet to its flow (creating, continuing or ending
// flows) and fills the row's flow_id and community_id. Packets without IP
// addresses belong to no flow. An IP fragment is held until its datagram
// is whole (defrag.go), which then counts as one packet.
func (t *Tracker) Observe(r *parsers.PacketRow) {
	t.observe(r, nil)
	t.pos++
}

// ObserveBatch observes rows in order, as Observe would each, and returns
// how many it observed: all of them, or fewer once PendingRows reaches
// maxPending (take the ended flows, then go on with the rest). It is
// faster than Observe row by row: the rows' flows are looked up a few rows
// ahead and their memory prefetched, so that the cache misses of a large
// flow table overlap with the work on the rows before (they were most of
// a flows-only run's time).
func (t *Tracker) ObserveBatch(rows []parsers.PacketRow, maxPending int) int {
	const ahead = 8 // rows between prefetching a bucket and observing its row
	for j := 0; j < min(ahead, len(rows)); j++ {
		t.prepare(&rows[j], &t.ring[j%len(t.ring)])
	}
	for i := range rows {
		if j := i + ahead; j < len(rows) {
			t.prepare(&rows[j], &t.ring[j%len(t.ring)])
		}
		if j := i + ahead/2; j < len(rows) {
			t.prefetchFlow(&t.ring[j%len(t.ring)])
		}
		t.observe(&rows[i], &t.ring[i%len(t.ring)])
		t.pos++
		if t.PendingRows() >= maxPending {
			return i + 1
		}
	}
	return len(rows)
}

// rowKey is a row's flow key and its hash, computed before the row is
// observed (ObserveBatch).
type rowKey struct {
	k      Key
	h      uint64
	side   uint8
	oneWay bool
	ok     bool // a whole IP packet, keyed
}

// prepare computes the key of the row's flow and prefetches its index
// bucket.
func (t *Tracker) prepare(r *parsers.PacketRow, a *rowKey) {
	a.ok = r.Has(parsers.ColSrcIP) && r.Has(parsers.ColDstIP) && r.Has(parsers.ColIPProto) && !isFragment(r)
	if !a.ok {
		return
	}
	t.keyOf(r, a)
	prefetch(uintptr(unsafe.Pointer(t.ix.bucket(a.h))))
}

// prefetchFlow prefetches the memory of the flow a prepared key probably
// has (its bucket's first entry, when its hash bits match).
func (t *Tracker) prefetchFlow(a *rowKey) {
	if !a.ok {
		return
	}
	e := *t.ix.bucket(a.h)
	if e == 0 || uint32(e>>32) != uint32(a.h) {
		return
	}
	prefetchLines(uintptr(unsafe.Pointer(t.flow(int32(uint32(e))-1))), int(unsafe.Sizeof(flow{})+63)/64)
}

func (t *Tracker) observe(r *parsers.PacketRow, a *rowKey) {
	if !r.Has(parsers.ColSrcIP) || !r.Has(parsers.ColDstIP) || !r.Has(parsers.ColIPProto) {
		return
	}
	if ts := r.TS; ts > t.now {
		t.now = ts
		if ts >= t.due && !t.sharded {
			t.expire(ts)
		}
	}
	if isFragment(r) {
		t.fragment(r, addr16(r.SrcIP), addr16(r.DstIP))
		return
	}
	t.observeIP(r, a)
}

// observeIP counts a whole IP packet (or reassembled datagram) in its flow
// and labels the row; it returns the flow and the packet's side. a is the
// row's key computed ahead, or nil.
func (t *Tracker) observeIP(r *parsers.PacketRow, a *rowKey) (int32, uint8) {
	i, side := t.flowFor(r, a)
	f := t.flow(i)
	f.lastClock = t.now
	f.observe(&t.rs, r, side, t.cfg.VerifyChecksums)
	if len(t.pl.packet) > 0 {
		t.packetHooks(f, side, r)
	}
	t.touch(i)
	t.label(r, f)
	return i, side
}

// keyOf computes the key of the packet's flow, its hash and which side
// sent the packet.
func (t *Tracker) keyOf(r *parsers.PacketRow, a *rowKey) {
	src, dst := addr16(r.SrcIP), addr16(r.DstIP)
	k := &a.k
	*k = Key{Proto: r.IPProto, V6: !r.SrcIP.Is4()}
	sport, dport, oneWay := uint16(0), uint16(0), false
	switch k.Proto {
	case 6, 17, 132:
		if r.Has(parsers.ColSrcPort) {
			sport, dport, k.HasPorts = r.SrcPort, r.DstPort, true
		}
	case 1, 58:
		if r.Has(parsers.ColICMPType) {
			sport, dport, oneWay = ICMPPorts(k.Proto == 58, r.ICMPType, r.ICMPCode)
			k.HasPorts = true
		}
	}
	fwd := oneWay || lessKey(&src, sport, &dst, dport)
	if fwd {
		k.A, k.B, k.PortA, k.PortB = src, dst, sport, dport
	} else {
		k.A, k.B, k.PortA, k.PortB = dst, src, dport, sport
	}
	if r.Has(parsers.ColVLAN) {
		k.VLAN = r.VLAN
	}
	if r.Has(parsers.ColTunnelID) {
		k.TunnelID = r.TunnelID
	}
	a.side, a.oneWay = 0, oneWay
	if !fwd {
		a.side = 1
	}
	a.h = t.ix.hash(k)
}

// flowFor finds or starts the flow of the packet (a SYN on a closed
// connection's key starts a new one) and says which side sent it. a is
// the packet's key computed ahead, or nil.
func (t *Tracker) flowFor(r *parsers.PacketRow, a *rowKey) (int32, uint8) {
	if a == nil || !a.ok {
		a = &t.scratch
		t.keyOf(r, a)
	}
	pos, i, ok := t.ix.find(&a.k, a.h, t)
	if ok {
		// The flow ends here when its timeout passed (the lazy queues had
		// not ended it yet) or a SYN reuses its closed connection's key;
		// the packet starts a new one.
		old := t.flow(i)
		exp, reason := t.expired(old, t.now)
		if !exp && a.k.Proto == 6 && r.Has(parsers.ColTCPFlags) && old.reused(r.TCPFlags) {
			exp, reason = true, old.closeReason()
		}
		if exp {
			t.end(i, reason)
			ok = false
		}
	}
	if !ok {
		removed := i != none
		if t.cfg.MaxFlows > 0 && t.ix.n >= t.cfg.MaxFlows {
			t.evict()
			removed = true
		}
		if removed {
			// an end above removed an entry: entries after pos may
			// have shifted back into it
			pos, _, _ = t.ix.find(&a.k, a.h, t)
		}
		i = t.start(&a.k, a.h, pos, r, a.side, a.oneWay)
	}
	return i, a.side
}

// evict ends the least recently active flow to make room for a new one
// (Config.MaxFlows): a closing flow (closed by FIN or RST, kept for late
// packets) if any, with its own reason; else the flow of the idle queues
// with the oldest last packet, as "evicted".
func (t *Tracker) evict() {
	if i, _ := t.oldest(classClosing); i != none {
		t.end(i, t.flow(i).closeReason())
		return
	}
	victim := int32(none)
	for c := range t.idle {
		// the queues are lazy: a flow with packets since it was queued
		// is queued again, until the oldest is what its place says
		for {
			i, key := t.oldest(c)
			if i == none {
				break
			}
			if f := t.flow(i); f.lastClock != key {
				t.takeOldest(c, i)
				t.requeue(i)
				continue
			}
			if victim == none || t.flow(i).lastClock < t.flow(victim).lastClock {
				victim = i
			}
			break
		}
	}
	if victim != none {
		t.Evicted++
		t.end(victim, "evicted")
	}
}

func (t *Tracker) label(r *parsers.PacketRow, f *flow) {
	r.FlowID = f.id
	r.Set(parsers.ColFlowID)
	r.CommunityID = f.cid
	r.Set(parsers.ColCommunityID)
}

func lessKey(a *[16]byte, pa uint16, b *[16]byte, pb uint16) bool {
	// big-endian words compare as the bytes do
	a0, b0 := binary.BigEndian.Uint64(a[:8]), binary.BigEndian.Uint64(b[:8])
	if a0 != b0 {
		return a0 < b0
	}
	a1, b1 := binary.BigEndian.Uint64(a[8:]), binary.BigEndian.Uint64(b[8:])
	if a1 != b1 {
		return a1 < b1
	}
	return pa < pb
}

// start creates the flow of key k, whose first packet came from side.
func (t *Tracker) start(k *Key, h uint64, pos uint32, r *parsers.PacketRow, side uint8, oneWay bool) int32 {
	var i int32
	if n := len(t.free); n > 0 {
		i = t.free[n-1]
		t.free = t.free[:n-1]
	} else {
		if int(t.n>>pageBits) == len(t.pages) {
			// a new page: the flows never move, nothing is copied
			t.pages = append(t.pages, make([]flow, pageSize))
		}
		i = t.n
		t.n++
	}
	f := t.flow(i)
	*f = flow{key: *k, inUse: true, first: r.TS, last: r.TS, origSide: side, tunnel: t.tunnelIndex(r.Tunnel)}
	f.idle, f.age = links{none, none}, links{none, none}
	f.firstClock, f.lastClock = t.now, t.now
	f.firstSeq = t.pos
	f.hasVLAN = r.Has(parsers.ColVLAN)
	f.hasTunnelID = r.Has(parsers.ColTunnelID)
	f.id = t.newID(k, r.TS)
	var sa, da = addrFrom16(k.A, k.V6), addrFrom16(k.B, k.V6)
	// written in place: f.cid has room for exactly the 30 bytes
	AppendCommunityID(f.cid[:0], t.cfg.Seed, sa, da, k.Proto, k.PortA, k.PortB, k.HasPorts, oneWay)
	f.class = classOther
	if k.Proto == 6 {
		f.class = classTCP
	}
	f.initRoles(r, side)
	t.ix.insert(pos, h, i)
	t.PeakLive = max(t.PeakLive, uint64(t.ix.n))
	t.enqueue(i)
	t.push(&t.byAge, i, true)
	t.due = min(t.due, f.firstClock+t.timeout[f.class])
	if t.active > 0 {
		t.due = min(t.due, f.firstClock+t.active)
	}
	t.Started++
	if len(t.pl.start) > 0 {
		t.startHooks(f)
	}
	return i
}

// tunnelIndex interns a tunnel name (the decoder's few constants).
func (t *Tracker) tunnelIndex(name string) uint8 {
	for i, n := range t.tunnels {
		if n == name {
			return uint8(i)
		}
	}
	if len(t.tunnels) == 256 {
		return 0 // cannot happen: the decoder names a handful of tunnels
	}
	t.tunnels = append(t.tunnels, name)
	return uint8(len(t.tunnels) - 1)
}

// end produces the flow's row and forgets it.
func (t *Tracker) end(i int32, reason string) {
	f := t.flow(i)
	if f.first == t.now || f.firstSeq == t.pos {
		t.endedThen(f)
	}
	t.dequeue(i)
	t.unlink(&t.byAge, i, true)
	t.ix.remove(t.ix.hash(&f.key), i)
	if f.key.Proto == 6 {
		f.flush(&t.rs, f.origSide, f.last)
		f.flush(&t.rs, f.origSide^1, f.last)
	}
	row := t.newRow()
	f.row(row, reason)
	row.Tunnel = t.tunnels[f.tunnel]
	if len(t.pl.end) > 0 {
		t.endHooks(f, row)
	}
	row.Service = t.serviceString(f.service)
	f.inUse = false
	t.free = append(t.free, i)
	t.Ended++
}

// touch keeps the flow's idle queue right after a packet. The queues are
// lazy (queue.go): a flow is not moved for each packet, only when its
// class changes.
func (t *Tracker) touch(i int32) {
	f := t.flow(i)
	c := f.wantClass()
	if c == f.class {
		return
	}
	t.dequeue(i)
	f.class = c
	t.enqueue(i)
	t.due = min(t.due, f.lastClock+t.timeout[c])
}

// expired reports whether the flow's idle (or close) timeout passed at
// capture time now, and why it ends then.
func (t *Tracker) expired(f *flow, now int64) (bool, string) {
	if f.lastClock+t.timeout[f.class] > now {
		if t.active > 0 && f.firstClock+t.active <= now {
			return true, "active" // expire's budget had left it
		}
		return false, ""
	}
	if f.class == classClosing {
		return true, f.closeReason()
	}
	return true, "idle"
}

// expireBudget bounds the flows one call to expire ends: a burst of
// timeouts (a scan's flows, all idle at once) is spread over the packets
// that follow, and the rows of ended flows waiting to be taken stay few.
// A flow past its timeout but not yet ended is ended when its next packet
// comes (flowFor) or at the end (CloseSome), with the same row, so only
// the order of rows depends on the budget.
const expireBudget = 256

// expire ends the flows whose timeouts have passed at capture time now,
// up to expireBudget of them. Observe calls it only once now reaches due,
// not for every packet.
func (t *Tracker) expire(now int64) {
	// datagrams first: one given up incomplete still counts in its flow
	t.expireFrags(now)
	budget := expireBudget
	for c := range t.idle {
		if budget == 0 {
			break
		}
		t.timedOut(c, now, false, func(i int32, reason string) bool {
			t.end(i, reason)
			budget--
			return budget > 0
		})
	}
	if t.active > 0 {
		for t.byAge.head != none && budget > 0 {
			f := t.flow(t.byAge.head)
			if f.firstClock+t.active > now {
				break
			}
			t.end(t.byAge.head, "active")
			budget--
		}
	}
	// The queues' oldest hold the earliest deadlines; later packets only
	// move deadlines later (touch lowers due for a flow that closes).
	t.due = 1<<63 - 1
	for c := range t.idle {
		if i, key := t.oldest(c); i != none {
			t.due = min(t.due, key+t.timeout[c])
		}
	}
	if t.active > 0 && t.byAge.head != none {
		t.due = min(t.due, t.flow(t.byAge.head).firstClock+t.active)
	}
	if d := &t.defrag; d.qHead < len(d.queue) {
		if g := d.m[d.queue[d.qHead].k]; g != nil {
			t.due = min(t.due, g.first+t.fragTimeout)
		}
	}
}

// Close ends every live flow (end_reason eof), in the order they started.
func (t *Tracker) Close() {
	t.closeFrags()
	for t.CloseSome(1 << 30) {
	}
}

// CloseSome ends up to n live flows (end_reason eof), the oldest first,
// and reports whether flows remain: the rows of a large table can be taken
// n at a time, rather than all held at once.
func (t *Tracker) CloseSome(n int) bool {
	if t.defrag.qHead < len(t.defrag.queue) {
		t.closeFrags() // incomplete datagrams still count
	}
	for ; n > 0 && t.byAge.head != none; n-- {
		reason := "eof"
		if exp, r := t.expired(t.flow(t.byAge.head), t.now); exp {
			reason = r // timed out before the end; the lazy queues had not ended it
		}
		t.end(t.byAge.head, reason)
	}
	if t.byAge.head == none {
		t.finishPlugins()
		return false
	}
	return true
}

func (t *Tracker) ln(i int32, age bool) *links {
	if age {
		return &t.flow(i).age
	}
	return &t.flow(i).idle
}

func (t *Tracker) push(l *list, i int32, age bool) {
	n := t.ln(i, age)
	n.prev, n.next = l.tail, none
	if l.tail != none {
		t.ln(l.tail, age).next = i
	} else {
		l.head = i
	}
	l.tail = i
}

func (t *Tracker) unlink(l *list, i int32, age bool) {
	n := t.ln(i, age)
	if n.prev != none {
		t.ln(n.prev, age).next = n.next
	} else if l.head == i {
		l.head = n.next
	}
	if n.next != none {
		t.ln(n.next, age).prev = n.prev
	} else if l.tail == i {
		l.tail = n.prev
	}
	n.prev, n.next = none, none
}

// newID returns the id of a flow of key k whose first packet, the one
// observed now, has capture time ts.
//
// A flow that starts earlier than a packet before it (capture time went
// backwards: pcapng sections appended, a clock stepped back) may share key
// and first time with a flow that ended long ago, which nothing remembers;
// its id also hashes the packet's index in the input (t.pos). Any other
// flow of the key starts at the time of the clock: one that ended long
// ago started earlier.
//
// That leaves the flows of the key that ended at this very moment, at the
// instant they started (evicted at Config.MaxFlows, a connection closed
// and its tuple reused within a nanosecond) or at the packet they started
// at (datagrams given up together, evicting one another): the id is that
// of the first generation none of them has. Past maxEndedNow of those
// at one instant (a flood of flows evicted as they start, all with one
// timestamp), the flows starting at that instant hash their index too.
//
// So flow_id is unique within a conversion, and the same for any number
// of shards (the index and the clock are the global ones), short of a
// bound: Config.MaxFlows, or maxEndedNow, both reached only at thousands
// of flows ending within the nanosecond they started.
func (t *Tracker) newID(k *Key, ts int64) uint64 {
	var seq uint64
	if ts < t.now || t.overflow && t.endedAt == ts {
		seq = t.pos + 1
	}
	id := flowID(k, ts, 0, seq)
	if t.endedAt == t.now {
		for gen := uint32(1); ; gen++ {
			if _, dup := t.endedNow[id]; !dup {
				break
			}
			id = flowID(k, ts, gen, seq)
		}
	}
	return id
}

// maxEndedNow bounds the ids endedNow keeps of flows that ended at the
// instant they started (about 2 MiB), whatever the input; those that end
// at the packet they started at are kept in any case, being no more than
// the datagrams given up at once.
const maxEndedNow = 1 << 16

// endedThen remembers the id of a flow ending at the instant or at the
// packet it started at (newID), until the clock moves.
func (t *Tracker) endedThen(f *flow) {
	if t.endedAt != t.now {
		if len(t.endedNow) > 64 {
			t.endedNow = nil // clear would cost its capacity at every instant after
		}
		clear(t.endedNow)
		t.endedAt, t.overflow = t.now, false
	}
	if len(t.endedNow) >= maxEndedNow && f.firstSeq != t.pos {
		t.overflow = true // the flows starting now hash their index (newID)
		return
	}
	if t.endedNow == nil {
		t.endedNow = make(map[uint64]struct{})
	}
	t.endedNow[f.id] = struct{}{}
}
