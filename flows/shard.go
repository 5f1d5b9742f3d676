package flows

import (
	"encoding/binary"
	"unsafe"

	"github.com/pcap2table/pcap2table/parsers"
)

// idle classes: each has its own idle queue (queue.go).
const (
	classTCP = iota
	classOther
	classClosing
	classAttempt // a SYN unanswered: ends at the attempt timeout after it
	numClasses
)

const none = -1

type links struct{ prev, next int32 }

type list struct{ head, tail int32 }

// shard is one of a Tracker's shards: it assigns the packets it is given
// to flows and makes a Row per ended flow.
type shard struct {
	cfg     Config
	timeout [numClasses]int64
	active  int64
	// interim is Config.Interim; interims holds every live flow's next
	// interim row time (a heap; an entry of an ended flow is stale)
	interim  int64
	interims qheap
	// weird is the weird table's rows of this shard (nil: not written),
	// detail a buffer for their details
	weird  *Output
	detail []byte
	geo    [2]Geo // AppendConn's look-ups

	ix   index
	ring [16]rowKey // keys of the rows ahead (runJob)
	// scratch holds the key of a row observed without one computed ahead
	scratch rowKey
	pages   []*[pageSize]flow // flow i is pages[i>>pageBits][i&pageMask]
	n       int32             // flow slots in use or free
	free    []int32
	idle    [numClasses]idleQueue
	byAge   list // ordered by start, for the active timeout
	now     int64
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
	rs          reasm
	pl          plugins
	services    []string // service names, by bit of flow.service
	// notes are the plugins' notes of the live flows (Tracker.KeepNotes;
	// nil: none kept); burstGap is NoteBursts' gap (0: none noted)
	notes    map[*flow]*notes
	burstGap int64

	// The rows of the flows ended in a step, and their tags; tag is the
	// merge key of the rows made now (tagCut, tagPacket, tagFrag | value).
	ended     []Row
	endedTags []uint64
	tag       uint64
	sweeping  bool   // giving datagrams up at a boundary: tags by datagram
	pos       uint64 // the global index of the packet observed (or of the boundary)
	cand      []candidate

	// Counters (Tracker.Counters): the flows started and ended, the most
	// live at once, and those ended early at Config.MaxFlows.
	nStarted, nEnded, peakLive, nEvicted uint64
	nInterim                             uint64 // interim rows written
}

// newShard returns a shard with the given configuration.
func newShard(c Config) *shard {
	t := &shard{cfg: c, ix: newIndex(), tunnels: []string{""}}
	t.timeout = [numClasses]int64{int64(c.TCPIdle), int64(c.UDPIdle), int64(c.CloseDelay), int64(c.AttemptTimeout)}
	t.active = int64(c.Active)
	t.interim = int64(c.Interim)
	for i := range t.idle {
		t.idle[i].list = list{none, none}
	}
	t.byAge = list{none, none}
	t.now = -1 << 63
	t.fragTimeout, t.fragCap = int64(c.FragTimeout), int(c.FragCap)
	t.rs.wait = int64(c.ReassemblyWait)
	t.rs.flowCap, t.rs.totalCap = uint64(max(c.ReassemblyFlowCap, 0)), uint64(max(c.ReassemblyCap, 0))
	return t
}

// retain is Tracker.Retain.
func (t *shard) retain(r *parsers.PacketRow, a *Arena) {
	if !r.Has(parsers.ColIPProto) || r.Untimed() {
		return
	}
	if isFragment(r) {
		// the data is all defrag reads; the rest is in it, unused
		r.IPPayload, r.L4, r.Payload = a.keep(r.IPPayload), nil, nil
		return
	}
	r.IPPayload = nil
	if t.cfg.VerifyChecksums {
		r.L4 = a.keep(r.L4)
	} else {
		r.L4 = nil
	}
	if r.IPProto == 6 && t.rs.h != nil || r.IPProto != 6 && len(t.pl.packet) > 0 {
		r.Payload = a.keep(r.Payload)
	} else {
		r.Payload = nil
	}
}

// Flows live in pages of pageSize, so that growing the table copies no
// flow (one growing slice of flows spent a sixth of a flows-only run
// copying itself). A page is 128 flows (about 110 KiB): with 4096 a tracker
// cleared 3 MiB for its first flow, which made the fuzz target, with its
// six trackers an input, ten times slower than its work.
const (
	pageBits = 7
	pageSize = 1 << pageBits
	pageMask = pageSize - 1
)

// flow returns flow i. A page is an array: the index within it needs no
// bounds check.
func (t *shard) flow(i int32) *flow { return &t.pages[i>>pageBits][i&pageMask] }

// newRow appends a row to those of the step, with the current tag.
func (t *shard) newRow() *Row {
	t.ended = append(t.ended, Row{})
	t.endedTags = append(t.endedTags, t.tag)
	return &t.ended[len(t.ended)-1]
}

// runJob does a shard's part of a step.
func (t *shard) runJob(j *shardJob) {
	// the flows of the cut, by rank
	for _, c := range t.cand[:j.end] {
		t.tag = tagCut | c.rank
		if c.interim {
			t.interimRow(c.i)
			continue
		}
		reason := "eof"
		if exp, r := t.expired(t.flow(c.i), t.now); exp {
			reason = r
		}
		t.end(c.i, reason)
	}
	t.cand = t.cand[:copy(t.cand, t.cand[j.end:])]
	// the packets, their flows looked up a few rows ahead and their
	// memory prefetched, so that the cache misses of a large flow table
	// overlap with the work on the rows before (they were most of a
	// flows-only run's time)
	rows, idx := j.rows, j.idx
	for k := -ahead; k < 0; k++ {
		t.lookAhead(rows, idx, k)
	}
	for k, i := range idx {
		t.lookAhead(rows, idx, k)
		t.now = j.clock[i]
		t.pos = j.base + uint64(i)
		t.tag = tagPacket | t.pos
		if a := &t.ring[k%len(t.ring)]; a.ok {
			t.observeIP(&rows[i], a)
		} else {
			t.observe(&rows[i], a)
		}
	}
	if j.sweep {
		t.now = max(t.now, j.now)
		t.pos = j.base + uint64(len(rows))
		t.sweepAt(j.eof)
	}
}

// ahead is how many rows before it is observed runJob prepares a row;
// it prefetches the row's flow half-way.
const ahead = 8

// rowLines is how many cache lines a row may span.
const rowLines = int(unsafe.Sizeof(parsers.PacketRow{})+63+63) / 64

// rowKey is a row's flow key and its hash, computed before the row is
// observed (runJob).
type rowKey struct {
	k      Key
	h      uint64
	side   uint8
	oneWay bool
	ok     bool // a whole, timed IP packet, keyed: observeIP's
}

// lookAhead does runJob's work ahead of row k of a job (k may be
// negative, before the first): it prefetches row k+2*ahead (the decoder
// wrote it, on another core); prepares row k+ahead, computing the key of
// its flow and prefetching its index bucket; and prefetches the memory of
// the flow row k+ahead/2 probably has (its bucket's first entry, when its
// hash bits match). One call for all: each call costs the loop's
// registers.
func (t *shard) lookAhead(rows []parsers.PacketRow, idx []int32, k int) {
	if n := k + 2*ahead; n < len(idx) {
		prefetchLines(uintptr(unsafe.Pointer(&rows[idx[n]]))&^63, rowLines)
	}
	if n := k + ahead; n < len(idx) {
		r, a := &rows[idx[n]], &t.ring[n%len(t.ring)]
		a.ok = r.Has(parsers.ColSrcIP) && r.Has(parsers.ColDstIP) && r.Has(parsers.ColIPProto) && !r.Untimed() && !isFragment(r)
		if a.ok {
			t.keyOf(r, a)
			prefetch(uintptr(unsafe.Pointer(t.ix.bucket(a.h))))
		}
	}
	if n := k + ahead/2; n >= 0 && n < len(idx) {
		if a := &t.ring[n%len(t.ring)]; a.ok {
			if e := *t.ix.bucket(a.h); e != 0 && uint32(e>>32) == uint32(a.h) {
				prefetchLines(uintptr(unsafe.Pointer(t.flow(int32(uint32(e))-1))), flowHotLines)
			}
		}
	}
}

// observe observes a row of the shard: a whole IP packet, a fragment, or
// a row without a flow (its weird row). a is its key computed ahead.
func (t *shard) observe(r *parsers.PacketRow, a *rowKey) {
	if !r.Has(parsers.ColSrcIP) || !r.Has(parsers.ColDstIP) || !r.Has(parsers.ColIPProto) || r.Untimed() {
		if t.weird != nil && r.Has(parsers.ColDecodeError) {
			t.weirdPacket(r, 0, nil)
		}
		return
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
func (t *shard) observeIP(r *parsers.PacketRow, a *rowKey) (int32, uint8) {
	i, f, side := t.flowFor(r, a)
	f.lastClock = t.now
	f.observe(&t.rs, r, side, t.cfg.VerifyChecksums)
	if t.burstGap > 0 && r.PayloadLen > 0 {
		t.burst(f, side, r)
	}
	if len(t.pl.packet) > 0 {
		t.packetHooks(f, side, r)
	}
	if f.wantClass() != f.class {
		t.touch(i, f)
	}
	t.label(r, f)
	if t.weird != nil && r.Has(parsers.ColDecodeError) {
		t.weirdPacket(r, f.id, &f.cid)
	}
	return i, side
}

// keyOf computes the key of the packet's flow, its hash and which side
// sent the packet.
func (t *shard) keyOf(r *parsers.PacketRow, a *rowKey) {
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
	k.TunnelID = keyTunnelID(r)
	a.side, a.oneWay = 0, oneWay
	if !fwd {
		a.side = 1
	}
	a.h = t.ix.hash(k)
}

// flowFor finds or starts the flow of the packet (a SYN on a closed
// connection's key starts a new one): it returns the flow's slot, the
// flow, and which side sent the packet. a is the packet's key computed
// ahead, or nil.
func (t *shard) flowFor(r *parsers.PacketRow, a *rowKey) (int32, *flow, uint8) {
	if a == nil || !a.ok {
		a = &t.scratch
		t.keyOf(r, a)
	}
	pos, i, old := t.ix.find(&a.k, a.h, t)
	if old != nil {
		// The flow ends here when its timeout passed (the lazy queues had
		// not ended it yet) or a SYN reuses its closed connection's key;
		// the packet starts a new one.
		exp, reason := false, ""
		if !t.alive(old, t.now) {
			exp, reason = t.expired(old, t.now)
		}
		if !exp && a.k.Proto == 6 && r.Has(parsers.ColTCPFlags) && old.reused(r.TCPFlags) {
			exp, reason = true, old.closeReason()
		}
		if !exp {
			return i, old, a.side
		}
		t.end(i, reason)
	}
	removed := i != none
	if t.cfg.MaxFlows > 0 && t.ix.n >= t.cfg.MaxFlows {
		t.evict()
		removed = true
	}
	if removed {
		// an end above removed an entry: entries after pos may have
		// shifted back into it
		pos, _, _ = t.ix.find(&a.k, a.h, t)
	}
	i = t.start(&a.k, a.h, pos, r, a.side, a.oneWay)
	return i, t.flow(i), a.side
}

// evict ends the least recently active flow to make room for a new one
// (Config.MaxFlows): a closing flow (closed by FIN or RST, kept for late
// packets) if any, with its own reason; else the flow of the idle queues
// with the oldest last packet, as "evicted".
func (t *shard) evict() {
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
		t.nEvicted++
		t.end(victim, "evicted")
	}
}

func (t *shard) label(r *parsers.PacketRow, f *flow) {
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
func (t *shard) start(k *Key, h uint64, pos uint32, r *parsers.PacketRow, side uint8, oneWay bool) int32 {
	var i int32
	if n := len(t.free); n > 0 {
		i = t.free[n-1]
		t.free = t.free[:n-1]
	} else {
		if int(t.n>>pageBits) == len(t.pages) {
			// a new page: the flows never move, nothing is copied
			t.pages = append(t.pages, new([pageSize]flow))
		}
		i = t.n
		t.n++
	}
	f := t.flow(i)
	*f = flow{key: *k, inUse: true, first: r.TS, last: r.TS, end: r.TS, origSide: side, tunnel: t.tunnelIndex(r.Tunnel)}
	f.idle, f.age = links{none, none}, links{none, none}
	f.firstClock, f.lastClock = t.now, t.now
	f.firstSeq = t.pos
	f.hasVLAN = r.Has(parsers.ColVLAN)
	f.hasTunnelID, f.tunnelID = r.Has(parsers.ColTunnelID), r.TunnelID
	f.firstFile = int32(r.File)
	f.id = t.newID(k, r.TS)
	var sa, da = addrFrom16(k.A, k.V6), addrFrom16(k.B, k.V6)
	// written in place: f.cid has room for exactly the 30 bytes
	AppendCommunityID(f.cid[:0], t.cfg.Seed, sa, da, k.Proto, k.PortA, k.PortB, k.HasPorts, oneWay)
	f.class = classOther
	if k.Proto == 6 {
		f.class = classTCP
	}
	f.initRoles(r, side)
	if k.Proto == 6 && t.cfg.AttemptTimeout > 0 && r.Has(parsers.ColTCPFlags) && r.TCPFlags&(flagSYN|flagACK) == flagSYN {
		f.attempt, f.class = true, classAttempt
	}
	t.ix.insert(pos, h, i)
	if t.interim > 0 {
		t.interims.push(qent{f.firstClock + t.interim, f.id, i})
	}
	t.peakLive = max(t.peakLive, uint64(t.ix.n))
	t.enqueue(i)
	t.push(&t.byAge, i, true)
	t.nStarted++
	if len(t.pl.start) > 0 {
		t.startHooks(f)
	}
	return i
}

// tunnelIndex interns a tunnel name (the decoder's few constants).
func (t *shard) tunnelIndex(name string) uint8 {
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
func (t *shard) end(i int32, reason string) {
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
	row.Name, row.NameSource = f.name, f.nameSource
	if t.notes != nil {
		t.giveNotes(f, row)
	}
	t.enrich(row)
	if t.weird != nil {
		t.weirdFlow(row)
	}
	f.inUse = false
	t.free = append(t.free, i)
	t.nEnded++
}

// touch keeps the idle queue of flow i (f) right after a packet. The
// queues are lazy (queue.go): a flow is not moved for each packet, only
// when its class changes.
func (t *shard) touch(i int32, f *flow) {
	c := f.wantClass()
	if c == f.class {
		return
	}
	t.dequeue(i)
	f.class = c
	t.enqueue(i)
}
