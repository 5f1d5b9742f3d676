package flows

import (
	"time"

	"github.com/pcap2table/pcap2table/parsers"
)

// Config sets the timeouts (in capture time) and the Community ID seed.
type Config struct {
	TCPIdle    time.Duration // a TCP flow without packets for this long ends (idle)
	UDPIdle    time.Duration // the same for UDP, ICMP and other protocols
	Active     time.Duration // a flow older than this ends (active) and a new one continues it; 0: never
	CloseDelay time.Duration // a TCP flow closed by FIN or RST is kept this long for late packets
	Seed       uint16        // Community ID seed
}

// DefaultConfig is Zeek's defaults: TCP idle 5 min, UDP/ICMP idle 1 min,
// close delay 5 s, and an active timeout of 30 min.
func DefaultConfig() Config {
	return Config{TCPIdle: 5 * time.Minute, UDPIdle: time.Minute, Active: 30 * time.Minute, CloseDelay: 5 * time.Second}
}

// idle classes: each has its own list ordered by last packet.
const (
	classTCP = iota
	classOther
	classClosing
	numClasses
)

const none = -1

type links struct{ prev, next int32 }

type list struct{ head, tail int32 }

// Tracker assigns packets to flows and produces a FlowRow per ended flow.
type Tracker struct {
	cfg     Config
	timeout [numClasses]int64
	active  int64

	idx   map[Key]int32
	pages [][]flow // flow i is pages[i>>pageBits][i&pageMask]
	n     int32    // flow slots in use or free
	free  []int32
	idle  [numClasses]list
	byAge list // ordered by start, for the active timeout
	now   int64
	due   int64 // no flow times out before this capture time

	tunnels  []string // tunnel names by flow.tunnel; 0 is none
	frags    map[fragKey]fragRef
	ended    []FlowRow
	takeNext bool // ended was handed out: start over on the next append

	// Counters for stats.
	Started, Ended uint64
}

// NewTracker returns a tracker with the given configuration.
func NewTracker(c Config) *Tracker {
	t := &Tracker{cfg: c, idx: make(map[Key]int32), frags: make(map[fragKey]fragRef), tunnels: []string{""}}
	t.timeout = [numClasses]int64{int64(c.TCPIdle), int64(c.UDPIdle), int64(c.CloseDelay)}
	t.active = int64(c.Active)
	for i := range t.idle {
		t.idle[i] = list{none, none}
	}
	t.byAge = list{none, none}
	t.due = 1<<63 - 1
	return t
}

// Flows live in pages of pageSize, so that growing the table copies no
// flow (one growing slice of flows spent a sixth of a flows-only run
// copying itself).
const (
	pageBits = 12
	pageSize = 1 << pageBits
	pageMask = pageSize - 1
)

func (t *Tracker) flow(i int32) *flow { return &t.pages[i>>pageBits][i&pageMask] }

// Live is the number of flows being tracked.
func (t *Tracker) Live() int { return len(t.idx) }

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
func (t *Tracker) TakeEnded() []FlowRow {
	if t.takeNext {
		return nil
	}
	t.takeNext = true
	return t.ended
}

func (t *Tracker) newRow() *FlowRow {
	if t.takeNext {
		t.ended = t.ended[:0]
		t.takeNext = false
	}
	t.ended = append(t.ended, FlowRow{})
	return &t.ended[len(t.ended)-1]
}

// fragKey identifies the fragments of one IP datagram.
type fragKey struct {
	src, dst [16]byte
	id       uint32
	proto    uint8
}

type fragRef struct {
	flow int32
	id   uint64 // the flow's id, to see the slot was not reused
	ts   int64
}

// maxFrags bounds the datagrams whose later fragments are attributed to
// their flow; past it the oldest half is forgotten.
const maxFrags = 1 << 16

// Observe assigns the packet to its flow (creating, continuing or ending
// flows) and fills the row's flow_id and community_id. Packets without IP
// addresses belong to no flow.
func (t *Tracker) Observe(r *parsers.PacketRow) {
	if !r.Has(parsers.ColSrcIP) || !r.Has(parsers.ColDstIP) || !r.Has(parsers.ColIPProto) {
		return
	}
	if ts := r.TS; ts > t.now {
		t.now = ts
		if ts >= t.due {
			t.expire(ts)
		}
	}
	src, dst := addr16(r.SrcIP), addr16(r.DstIP)
	v6 := !r.SrcIP.Is4()
	proto := r.IPProto

	// A later fragment carries no ports: it belongs to the flow of its
	// datagram's first fragment, if that was seen.
	if r.Has(parsers.ColFragOffset) && r.FragOffset > 0 {
		fk := fragKey{src: src, dst: dst, id: r.IPID, proto: proto}
		if ref, ok := t.frags[fk]; ok && t.flow(ref.flow).id == ref.id && t.flow(ref.flow).inUse {
			f := t.flow(ref.flow)
			f.side(f.sideOf(src)).add(r.TS, uint32(r.IPLen))
			f.last = max(f.last, r.TS)
			t.touch(ref.flow)
			t.label(r, f)
		}
		return
	}

	var k Key
	k.Proto, k.V6 = proto, v6
	sport, dport, oneWay := uint16(0), uint16(0), false
	switch proto {
	case 6, 17, 132:
		if r.Has(parsers.ColSrcPort) {
			sport, dport, k.HasPorts = r.SrcPort, r.DstPort, true
		}
	case 1, 58:
		if r.Has(parsers.ColICMPType) {
			sport, dport, oneWay = ICMPPorts(proto == 58, r.ICMPType, r.ICMPCode)
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
	side := uint8(0)
	if !fwd {
		side = 1
	}

	i, ok := t.idx[k]
	gen := uint32(0)
	if ok && proto == 6 && r.Has(parsers.ColTCPFlags) && t.flow(i).reused(r.TCPFlags) {
		if old := t.flow(i); old.first == r.TS {
			gen = old.gen + 1 // same key, same instant: keep the ids apart
		}
		t.end(i, t.flow(i).closeReason())
		ok = false
	}
	if !ok {
		i = t.start(&k, r, side, oneWay, gen)
	}
	f := t.flow(i)
	f.observe(r, side)
	if r.Has(parsers.ColMoreFrags) && r.MoreFrags {
		if len(t.frags) >= maxFrags {
			t.pruneFrags()
		}
		t.frags[fragKey{src: src, dst: dst, id: r.IPID, proto: proto}] = fragRef{flow: i, id: f.id, ts: r.TS}
	}
	t.touch(i)
	t.label(r, f)
}

func (t *Tracker) label(r *parsers.PacketRow, f *flow) {
	r.FlowID = f.id
	r.Set(parsers.ColFlowID)
	r.CommunityID = f.cid
	r.Set(parsers.ColCommunityID)
}

// pruneFrags forgets the older half of the remembered datagrams.
func (t *Tracker) pruneFrags() {
	var oldest, newest int64 = 1<<63 - 1, -1 << 63
	for _, ref := range t.frags {
		oldest, newest = min(oldest, ref.ts), max(newest, ref.ts)
	}
	mid := oldest + (newest-oldest)/2
	for k, ref := range t.frags {
		if ref.ts <= mid {
			delete(t.frags, k)
		}
	}
}

func lessKey(a *[16]byte, pa uint16, b *[16]byte, pb uint16) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return pa < pb
}

// start creates the flow of key k, whose first packet came from side.
func (t *Tracker) start(k *Key, r *parsers.PacketRow, side uint8, oneWay bool, gen uint32) int32 {
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
	f.hasVLAN = r.Has(parsers.ColVLAN)
	f.hasTunnelID = r.Has(parsers.ColTunnelID)
	f.gen = gen
	f.id = flowID(k, r.TS, gen)
	var sa, da = addrFrom16(k.A, k.V6), addrFrom16(k.B, k.V6)
	// written in place: f.cid has room for exactly the 30 bytes
	AppendCommunityID(f.cid[:0], t.cfg.Seed, sa, da, k.Proto, k.PortA, k.PortB, k.HasPorts, oneWay)
	f.class = classOther
	if k.Proto == 6 {
		f.class = classTCP
	}
	f.initRoles(r, side)
	t.idx[*k] = i
	t.push(&t.idle[f.class], i, false)
	t.push(&t.byAge, i, true)
	if t.active > 0 {
		t.due = min(t.due, f.first+t.active)
	}
	t.Started++
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
	t.unlink(&t.idle[f.class], i, false)
	t.unlink(&t.byAge, i, true)
	delete(t.idx, f.key)
	row := t.newRow()
	f.row(row, reason)
	row.Tunnel = t.tunnels[f.tunnel]
	f.inUse = false
	t.free = append(t.free, i)
	t.Ended++
}

// touch moves the flow to the tail of its idle list (it just had a
// packet), changing lists if its class changed.
func (t *Tracker) touch(i int32) {
	f := t.flow(i)
	c := f.wantClass()
	t.unlink(&t.idle[f.class], i, false)
	f.class = c
	t.push(&t.idle[c], i, false)
	t.due = min(t.due, f.last+t.timeout[c])
}

// expire ends the flows whose timeouts have passed at capture time now.
// Observe calls it only once now reaches due, not for every packet.
func (t *Tracker) expire(now int64) {
	for c := range t.idle {
		l := &t.idle[c]
		for l.head != none {
			f := t.flow(l.head)
			if f.last+t.timeout[c] > now {
				break
			}
			reason := "idle"
			if c == classClosing {
				reason = f.closeReason()
			}
			t.end(l.head, reason)
		}
	}
	if t.active > 0 {
		for t.byAge.head != none {
			f := t.flow(t.byAge.head)
			if f.first+t.active > now {
				break
			}
			t.end(t.byAge.head, "active")
		}
	}
	// The list heads hold the earliest deadlines; later packets only
	// move deadlines later (touch lowers due for a flow that closes).
	t.due = 1<<63 - 1
	for c, l := range t.idle {
		if l.head != none {
			t.due = min(t.due, t.flow(l.head).last+t.timeout[c])
		}
	}
	if t.active > 0 && t.byAge.head != none {
		t.due = min(t.due, t.flow(t.byAge.head).first+t.active)
	}
}

// Close ends every live flow (end_reason eof), in the order they started.
func (t *Tracker) Close() {
	for t.CloseSome(1 << 30) {
	}
}

// CloseSome ends up to n live flows (end_reason eof), the oldest first,
// and reports whether flows remain: the rows of a large table can be taken
// n at a time, rather than all held at once.
func (t *Tracker) CloseSome(n int) bool {
	for ; n > 0 && t.byAge.head != none; n-- {
		t.end(t.byAge.head, "eof")
	}
	return t.byAge.head != none
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
