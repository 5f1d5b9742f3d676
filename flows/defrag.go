package flows

import (
	"slices"
	"unsafe"

	"github.com/pcap2table/pcap2table/parsers"
)

// IP defragmentation before tracking.
//
// A fragmented datagram counts in its flow as one packet (as Zeek counts
// it), with the length of the whole datagram, and its reassembled TCP
// payload goes to the stream like any segment's. Its fragments' rows in
// the packets table are labelled with the flow as they pass: the first
// fragment (it has the transport header) finds or starts the flow, the
// later ones take it from their datagram. A fragment that arrives before
// its datagram's first fragment is not labelled.
//
// Bounds: a datagram waits for its fragments at most Config.FragTimeout
// of capture time; all waiting datagrams hold at most Config.FragCap bytes
// of memory (their data and bookkeeping: cost) and maxDatagrams datagrams
// (past either, the oldest is given up).
// Overlapping fragments: the bytes seen first win. A datagram given up
// incomplete still counts: its first fragment as a packet of the flow
// (header only) and its other fragments' lengths; without a first fragment
// its fragments are counted in Counters.Unassigned.

// maxDatagrams bounds the datagrams waiting for fragments.
const maxDatagrams = 1 << 16

// maxDatagramLen is the largest IP payload a datagram can reassemble to.
const maxDatagramLen = 65535

// fragKey identifies the fragments of one IP datagram.
type fragKey struct {
	src, dst [16]byte
	id       uint32
	proto    uint8
	v6       bool
}

// fragEntry queues a datagram; an entry whose datagram was given up
// (and maybe started again under the same key) no longer matches seq.
type fragEntry struct {
	k   fragKey
	seq uint64
}

type fragPiece struct {
	ts    int64
	ipLen uint16
}

// datagram is one datagram being reassembled.
type datagram struct {
	first   int64  // the tracker's clock at the first fragment seen (the timeout runs from it)
	seq     uint64 // shard.pos then: the order of datagrams given up together (shard.go)
	have    []span // received payload ranges, merged
	data    []byte
	total   int // payload length, once the last fragment came; -1 before
	hdrLen  int // IP header bytes before the payload (from the first fragment)
	head    parsers.PacketRow
	hasHead bool
	flow    int32 // the flow its fragments are labelled with; none before the first fragment
	flowID  uint64
	others  []fragPiece // fragments but the first, for a datagram given up
}

// datagramCost is the memory a waiting datagram holds besides its
// slices' arrays: the struct, its map entry and its queue entry.
const datagramCost = int(unsafe.Sizeof(datagram{}) + unsafe.Sizeof(fragKey{}) + unsafe.Sizeof(&datagram{}) + unsafe.Sizeof(fragEntry{}))

// cost is the memory the datagram holds, as Config.FragCap counts it.
func (g *datagram) cost() int {
	return datagramCost + cap(g.data) + cap(g.have)*int(unsafe.Sizeof(span{})) + cap(g.others)*int(unsafe.Sizeof(fragPiece{}))
}

type defrag struct {
	m      map[fragKey]*datagram
	queue  []fragEntry // by first fragment seen, for timeouts and the caps; from qHead
	qHead  int
	pieces []fragPiece // scratch for giveUp
	bytes  int         // the cost of the waiting datagrams
	dec    parsers.Decoder
	row    parsers.PacketRow
	spare  []*datagram
	lost   uint64 // fragments of datagrams given up without a first fragment
	done   uint64 // datagrams reassembled
	gaveUp uint64 // datagrams given up incomplete
}

func isFragment(r *parsers.PacketRow) bool {
	return r.Has(parsers.ColFragOffset) && (r.FragOffset > 0 || r.MoreFrags)
}

// fragment takes a fragment's row: it labels the row with its flow when
// known, and observes the datagram when the fragment completes it.
func (t *shard) fragment(r *parsers.PacketRow, src, dst [16]byte) {
	d := &t.defrag
	if d.m == nil {
		d.m = make(map[fragKey]*datagram)
	}
	k := fragKey{src: src, dst: dst, id: r.IPID, proto: r.IPProto, v6: !r.SrcIP.Is4()}
	// A datagram past its timeout is given up when a fragment of its key
	// comes, which then starts a new one; the others wait for the sweep
	// at the batch boundary, so what one datagram becomes does not depend
	// on the others beside it.
	if g := d.m[k]; g != nil && g.first+t.fragTimeout <= t.now {
		t.giveUp(fragEntry{k, g.seq})
	}
	g := d.m[k]
	before := 0 // the datagram's cost before this fragment
	if g != nil {
		before = g.cost()
	}
	if g == nil {
		for len(d.m) >= maxDatagrams || (d.bytes > t.fragCap && d.qHead < len(d.queue)) {
			t.giveUp(d.pop())
		}
		if n := len(d.spare); n > 0 {
			g = d.spare[n-1]
			d.spare = d.spare[:n-1]
		} else {
			g = new(datagram)
		}
		*g = datagram{first: t.now, seq: t.pos, total: -1, flow: none, have: g.have[:0], data: g.data[:0], others: g.others[:0]}
		d.m[k] = g
		if d.qHead > 0 && d.qHead >= len(d.queue)/2 {
			d.queue = d.queue[:copy(d.queue, d.queue[d.qHead:])]
			d.qHead = 0
		}
		d.queue = append(d.queue, fragEntry{k, t.pos})
	}
	off, data := int(r.FragOffset), r.IPPayload
	end := off + len(data)
	if end > maxDatagramLen {
		end = maxDatagramLen
		data = data[:max(end-off, 0)]
	}
	if off == 0 && !g.hasHead {
		g.head, g.hasHead = *r, true
		// kept past the packet: no slices into its buffer (and a
		// fragment's segment has no checksum of its own to check)
		g.head.Payload, g.head.IPPayload, g.head.L4 = nil, nil, nil
		g.hdrLen = int(r.IPLen) - len(r.IPPayload)
		i, f, _ := t.flowFor(&g.head, nil)
		g.flow, g.flowID = i, f.id
		t.touch(i, f)
	} else {
		g.others = append(g.others, fragPiece{r.TS, r.IPLen})
	}
	if !r.MoreFrags && g.total < 0 {
		// the last fragment (a fragment without more has an offset): its
		// data length from the headers, not the captured bytes
		g.total = off + int(r.PayloadLen)
	}
	if t.weird != nil {
		t.fragOverlap(r, g, off, end, data)
	}
	// copy the bytes not received yet
	if end > len(g.data) {
		g.data = slices.Grow(g.data, end-len(g.data))[:end]
	}
	pos := off
	for _, h := range g.have {
		if pos >= end {
			break
		}
		if int(h.hi) <= pos {
			continue
		}
		if int(h.lo) > pos {
			copy(g.data[pos:min(end, int(h.lo))], data[pos-off:])
		}
		pos = max(pos, int(h.hi))
	}
	if pos < end {
		copy(g.data[pos:end], data[pos-off:])
	}
	if off < end {
		g.have = addSpan(g.have, span{uint64(off), uint64(end)})
	}
	d.bytes += g.cost() - before
	if g.flow != none && t.flow(g.flow).inUse && t.flow(g.flow).id == g.flowID {
		t.label(r, t.flow(g.flow))
	}
	if g.hasHead && g.total >= 0 && len(g.have) == 1 && g.have[0].lo == 0 && int(g.have[0].hi) >= g.total {
		// complete: observe the datagram as one packet
		d.done++
		row := &d.row
		*row = g.head
		row.TS = r.TS
		row.IPLen = uint16(min(g.hdrLen+g.total, 65535))
		d.dec.DecodeDatagram(row, g.data[:g.total])
		t.observeIP(row, nil) // before forget: the row points into g.data
		t.forget(k, g)
	}
}

func addSpan(have []span, sp span) []span {
	i := 0
	for i < len(have) && have[i].lo < sp.lo {
		i++
	}
	have = slices.Insert(have, i, sp)
	out := have[:0]
	for _, x := range have {
		if n := len(out); n > 0 && x.lo <= out[n-1].hi {
			out[n-1].hi = max(out[n-1].hi, x.hi)
			continue
		}
		out = append(out, x)
	}
	return out
}

// forget removes a datagram (its queue entry is dropped lazily).
func (t *shard) forget(k fragKey, g *datagram) {
	d := &t.defrag
	d.bytes -= g.cost()
	delete(d.m, k)
	if len(d.spare) < 64 && cap(g.data) <= 1<<17 {
		d.spare = append(d.spare, g)
	}
}

// expireFrags gives up the datagrams older than the fragment timeout.
func (t *shard) expireFrags(now int64) {
	d := &t.defrag
	for d.qHead < len(d.queue) {
		e := d.queue[d.qHead]
		if g := d.m[e.k]; g != nil && g.seq == e.seq && g.first+t.fragTimeout > now {
			break
		}
		t.giveUp(d.pop())
	}
}

func (d *defrag) pop() fragEntry {
	e := d.queue[d.qHead]
	d.qHead++
	if d.qHead == len(d.queue) {
		d.queue, d.qHead = d.queue[:0], 0
	}
	return e
}

// giveUp ends an incomplete datagram: what was received still counts.
func (t *shard) giveUp(e fragEntry) {
	d := &t.defrag
	k := e.k
	g := d.m[k]
	if g == nil || g.seq != e.seq {
		return // reassembled or given up before
	}
	if t.sweeping {
		t.tag = tagFrag | g.seq
	}
	d.gaveUp++
	head, hasHead := g.head, g.hasHead
	d.pieces = append(d.pieces[:0], g.others...)
	others := d.pieces
	t.forget(k, g)
	if !hasHead {
		d.lost += uint64(len(others))
		return
	}
	i, side := t.observeIP(&head, nil)
	f := t.flow(i)
	for _, o := range others {
		f.side(side).add(o.ts, uint32(o.ipLen))
		f.last = max(f.last, o.ts)
		f.end = max(f.end, o.ts)
	}
	t.touch(i, f)
}
