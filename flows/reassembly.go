package flows

import (
	"bytes"
	"slices"
)

// TCP payload reassembly.
//
// Each direction of a TCP flow keeps a cursor, delivered: every byte below
// it was delivered in order (or declared missing). Segments beyond it are
// out of order; their sequence ranges are kept as at most maxOOO spans
// (the coverage that drives out_of_order, retransmits and missed_bytes),
// and, when a streamHandler is set, their bytes are held until the hole
// before them fills.
//
// Loss in the capture: when the peer acknowledges bytes that were never
// captured, the receiver had them, so they will not come. The hole is
// skipped once Config.ReassemblyWait of capture time has passed since the
// acknowledgement (a late copy, as from a second capture point, can still
// fill it meanwhile). The skipped bytes are counted in missed_bytes and
// history 'g' (when both endpoints are established, as Zeek counts them),
// the handler gets a gap, and the stream continues after the hole.
//
// Caps: the bytes beyond holes are bounded per flow (Config.ReassemblyFlowCap)
// and over all flows (Config.ReassemblyCap), and the holes per direction
// by maxOOO. A segment that would pass a cap makes its direction give up
// the holes before it (a gap, counted in Counters.CapHits), so memory stays
// bounded whatever the input; their bytes are missed_bytes once the peer
// acknowledges them, as for any hole. The caps count the bytes of the spans, held
// or not, so the flows table is the same with or without a handler.

// Dir is the direction of a flow's stream.
type Dir uint8

const (
	FromOrig Dir = iota // sent by the originator
	FromResp            // sent by the responder
)

// StreamEvent is the next piece of one direction of a TCP flow's
// reassembled payload: bytes, a gap, or the end.
type StreamEvent struct {
	FlowID uint64
	// Dir is the sender's role: as in the flow's row, unless the roles
	// flipped after the flow's first event (then as they were then).
	Dir Dir
	// TS is the capture time of the packet that made the piece
	// deliverable.
	TS int64
	// Offset is the stream offset of the piece: the bytes and gaps handed
	// over before it. The first byte after the SYN is at 0 (without a SYN,
	// the first byte seen).
	Offset uint64
	// Data is the next bytes in sequence order. It is valid only during
	// the call (it points into the packet or into a reused buffer).
	Data []byte
	// Gap, when Data is empty, is the number of bytes missing at Offset:
	// lost from the capture, cut by the snap length, or given up at a cap.
	Gap uint64
	// End says the flow ended: no more events for this direction.
	End bool

	f *flow // for the plugins' Conn
}

// A streamHandler consumes reassembled TCP streams. Stream is called on
// the goroutine that observes the flow's packets, in order for each direction.
type streamHandler interface {
	Stream(ev *StreamEvent)
}

// span is a range of relative sequence numbers [lo, hi).
type span struct{ lo, hi uint64 }

// heldSeg is payload held beyond a hole.
type heldSeg struct {
	lo   uint64
	data []byte
}

func (s *heldSeg) end() uint64 { return s.lo + uint64(len(s.data)) }

// holeSet is the out-of-order state of one direction with holes: the spans
// seen beyond delivered, in order; their bytes held for the handler
// (ordered, without overlaps); and the holes given up before the peer
// acknowledged them (at a cap), whose bytes count as missed once it does
// (bounded: the oldest merge).
type holeSet struct {
	ooo      [maxOOO]span
	nOOO     uint8
	nUnacked uint8
	unacked  [2]unackedHole
	segs     []heldSeg
}

// unackedHole: n bytes of holes below hi were given up unacknowledged.
type unackedHole struct{ hi, n uint64 }

// reasm is the tracker's reassembly state shared by all flows.
type reasm struct {
	h        streamHandler
	wait     int64
	flowCap  uint64
	totalCap uint64
	total    uint64 // bytes in spans beyond holes, all flows

	holes    []holeSet // by endpoint.holes; 0 is unused
	freeHole []int32
	spare    [][]byte // buffers of dropped segments, for reuse

	ev StreamEvent
	// the times a direction gave up its holes, by the bound that was
	// reached: capFlow, capTotal, capHoles
	capHits [3]uint64
}

// The reassembly bounds, by index of reasm.capHits and Counters.CapHits.
const (
	CapFlow  = iota // Config.ReassemblyFlowCap: the bytes behind holes in one flow
	CapTotal        // Config.ReassemblyCap: the bytes behind holes in all flows
	CapHoles        // MaxHoles: the holes of one direction
)

// MaxHoles is how many out-of-order pieces one direction of a TCP flow
// keeps beyond holes (a fixed bound).
const MaxHoles = maxOOO

// maxSpare bounds the buffers kept for reuse.
const maxSpare = 1024

// spans returns the direction's spans beyond delivered (do not modify).
func (rs *reasm) spans(e *endpoint) []span {
	if e.holes == 0 {
		return nil
	}
	h := &rs.holes[e.holes]
	return h.ooo[:h.nOOO]
}

// holeSet returns the direction's hole set, making one if it has none.
func (rs *reasm) holeSet(e *endpoint) *holeSet {
	if e.holes == 0 {
		if n := len(rs.freeHole); n > 0 {
			e.holes = rs.freeHole[n-1]
			rs.freeHole = rs.freeHole[:n-1]
		} else {
			if len(rs.holes) == 0 {
				rs.holes = append(rs.holes, holeSet{}) // index 0 means none
			}
			rs.holes = append(rs.holes, holeSet{})
			e.holes = int32(len(rs.holes) - 1)
		}
	}
	return &rs.holes[e.holes]
}

// pending is the number of bytes in the direction's spans.
func (rs *reasm) pending(e *endpoint) uint64 {
	n := uint64(0)
	for _, x := range rs.spans(e) {
		n += x.hi - x.lo
	}
	return n
}

// fits reports whether the span [lo, hi) can be added without passing
// maxOOO spans.
func (rs *reasm) fits(e *endpoint, lo, hi uint64) bool {
	sp := rs.spans(e)
	if len(sp) < maxOOO {
		return true
	}
	for _, x := range sp {
		if lo <= x.hi && x.lo <= hi {
			return true
		}
	}
	return false
}

// dataSent records payload [seq, seq+n) of side s, whose captured bytes
// are data, and reports whether it held bytes not seen before.
func (f *flow) dataSent(rs *reasm, s uint8, seq, n uint64, data []byte, ts int64) bool {
	e := &f.ep[s]
	lo, hi := seq, seq+n
	if e.delivered == 0 {
		e.delivered = lo // the first data seen starts the stream
	}
	if hi <= e.delivered {
		return false
	}
	if lo > e.delivered {
		if rs.h != nil && e.holes != 0 && rs.differs(e, lo, data) {
			f.inconsistent = true
		}
		for _, x := range rs.spans(e) {
			if x.lo <= lo && hi <= x.hi {
				return false // seen already, beyond the hole
			}
		}
		pend := rs.pending(e)
		if pend+n <= rs.flowCap && rs.total+n <= rs.totalCap && rs.fits(e, lo, hi) {
			rs.holeSet(e).addOOO(span{lo, hi})
			rs.total += rs.pending(e) - pend
			if rs.h != nil {
				rs.hold(e, lo, data)
			}
			return true
		}
		switch {
		case pend+n > rs.flowCap:
			rs.capHits[CapFlow]++
		case rs.total+n > rs.totalCap:
			rs.capHits[CapTotal]++
		default:
			rs.capHits[CapHoles]++
		}
		f.skipTo(rs, s, lo, ts) // give up the holes before the segment
	}
	f.advance(rs, s, hi, &heldSeg{lo, data}, ts)
	f.mergeOOO(rs, s, ts)
	return true
}

// addOOO inserts a span in order, merging overlaps (the caller checked it
// fits).
func (h *holeSet) addOOO(sp span) {
	i := uint8(0)
	for i < h.nOOO && h.ooo[i].lo < sp.lo {
		i++
	}
	if h.nOOO == maxOOO {
		// it overlaps a span: merge it there
		for k := range h.ooo[:h.nOOO] {
			if x := &h.ooo[k]; sp.lo <= x.hi && x.lo <= sp.hi {
				x.lo, x.hi = min(x.lo, sp.lo), max(x.hi, sp.hi)
				break
			}
		}
	} else {
		copy(h.ooo[i+1:h.nOOO+1], h.ooo[i:h.nOOO])
		h.ooo[i] = sp
		h.nOOO++
	}
	out := h.ooo[:0]
	for _, x := range h.ooo[:h.nOOO] {
		if n := len(out); n > 0 && x.lo <= out[n-1].hi {
			out[n-1].hi = max(out[n-1].hi, x.hi)
			continue
		}
		out = append(out, x)
	}
	h.nOOO = uint8(len(out))
}

// mergeOOO advances delivered over the spans it now reaches.
func (f *flow) mergeOOO(rs *reasm, s uint8, ts int64) {
	e := &f.ep[s]
	for e.holes != 0 {
		h := &rs.holes[e.holes]
		if h.nOOO == 0 || h.ooo[0].lo > e.delivered {
			return
		}
		sp := h.ooo[0]
		copy(h.ooo[:], h.ooo[1:h.nOOO])
		h.nOOO--
		rs.total -= sp.hi - sp.lo
		f.advance(rs, s, sp.hi, nil, ts)
	}
}

// sendInOrder records payload [lo, hi) of e in dataSent's common case,
// and reports whether it could: no stream handler (handler false) and no
// spans beyond delivered, and the payload reaching past delivered from at
// or below it, new data (dataSent's true). Else dataSent does the work.
// It is small enough to inline: the common case without dataSent's call.
func (e *endpoint) sendInOrder(lo, hi uint64, handler bool) bool {
	if handler || e.holes != 0 || e.delivered == 0 || lo > e.delivered || hi <= e.delivered {
		return false
	}
	e.delivered = hi
	return true
}

// ackInOrder takes the peer's acknowledgement relAck of e's data in
// ackReceived's common case, and reports whether it could: no FIN, cut
// bytes or spans to account for, and every byte it acknowledges (and
// acknowledged before) delivered, so that nothing waits. Else
// ackReceived does the work. It is small enough to inline: the common
// case without ackReceived's call.
func (e *endpoint) ackInOrder(relAck uint64) bool {
	if e.finCnt != 0 || e.delivered == 0 || e.cut != 0 || e.holes != 0 || relAck > e.delivered || e.acked > e.delivered {
		return false
	}
	e.acked = max(e.acked, relAck)
	return true
}

// ackReceived notes that the peer acknowledged side s's data below relAck.
func (f *flow) ackReceived(rs *reasm, s uint8, relAck uint64, ts int64) {
	e := &f.ep[s]
	if e.finCnt > 0 && relAck >= e.finSeq {
		relAck = e.finSeq - 1 // the FIN's octet is not data
	}
	if e.delivered == 0 {
		e.delivered = 1 // no data seen yet: the stream starts after the SYN
	}
	if relAck > e.acked {
		e.acked = relAck
		if e.cut > 0 && relAck >= e.cutEnd {
			f.missed(s, uint64(e.cut))
			e.cut = 0
		}
		if e.holes != 0 {
			h := &rs.holes[e.holes]
			for h.nUnacked > 0 && h.unacked[0].hi <= relAck {
				f.missed(s, h.unacked[0].n)
				h.unacked[0] = h.unacked[1]
				h.nUnacked--
			}
		}
	}
	if e.acked > e.delivered && !e.waiting {
		e.waiting, e.ackSince = true, ts
	}
}

// checkAcked skips the acknowledged holes of side s whose wait is over.
func (f *flow) checkAcked(rs *reasm, s uint8, ts int64) {
	e := &f.ep[s]
	if !e.waiting {
		return
	}
	if e.acked > e.delivered && ts-e.ackSince < rs.wait {
		return
	}
	e.waiting = false
	if e.acked > e.delivered {
		f.skipTo(rs, s, e.acked, ts)
	}
}

// skipTo gives up the holes of side s below x: their bytes are
// missed_bytes as soon as the peer acknowledged them (at once, or later for
// a hole given up at a cap), and the stream goes on from x and the spans
// after it.
func (f *flow) skipTo(rs *reasm, s uint8, x uint64, ts int64) {
	e := &f.ep[s]
	if x <= e.delivered {
		return
	}
	// the holes below x: acknowledged bytes are missed now, the others
	// once an acknowledgement covers them
	var acked, unacked uint64
	cur := e.delivered
	hole := func(lo, hi uint64) {
		a := min(hi, max(lo, e.acked))
		acked += a - lo
		unacked += hi - a
	}
	for _, sp := range rs.spans(e) {
		if cur >= x {
			break
		}
		if sp.lo > cur {
			hole(cur, min(sp.lo, x))
		}
		cur = max(cur, sp.hi)
	}
	if cur < x {
		hole(cur, x)
	}
	f.missed(s, acked)
	if unacked > 0 {
		h := rs.holeSet(e)
		if h.nUnacked == uint8(len(h.unacked)) {
			h.unacked[0].n += h.unacked[1].n
			h.unacked[0].hi = h.unacked[1].hi
			h.nUnacked--
		}
		h.unacked[h.nUnacked] = unackedHole{hi: x, n: unacked}
		h.nUnacked++
	}
	f.advance(rs, s, x, nil, ts)
	f.mergeOOO(rs, s, ts)
}

// missed counts n bytes of side s missing from the capture (a content
// gap, as Zeek counts it only while both sides are established).
func (f *flow) missed(s uint8, n uint64) {
	e, p := &f.ep[s], &f.ep[s^1]
	if n > 0 && e.state == tcpEstablished && p.state == tcpEstablished {
		e.missed += n
		f.scaledHistory(s, 'G', &e.gapCnt, &e.gapThresh)
	}
}

// flush ends side s's stream at the end of the flow: acknowledged holes
// are skipped (and counted) without waiting, then whatever is held is
// delivered, and the handler learns the end.
func (f *flow) flush(rs *reasm, s uint8, ts int64) {
	e := &f.ep[s]
	if e.acked > e.delivered {
		f.skipTo(rs, s, e.acked, ts)
	}
	if sp := rs.spans(e); len(sp) > 0 {
		f.skipTo(rs, s, sp[len(sp)-1].hi, ts)
	}
	e.waiting = false
	if rs.h != nil && e.delivered != 0 {
		rs.ev = StreamEvent{f: f, FlowID: f.id, Dir: f.dir(s), TS: ts, Offset: e.streamed, End: true}
		rs.h.Stream(&rs.ev)
	}
	if e.holes != 0 {
		rs.release(e, 1<<64-1)
		h := &rs.holes[e.holes]
		*h = holeSet{segs: h.segs[:0]} // keep the segments' array for reuse
		rs.freeHole = append(rs.freeHole, e.holes)
		e.holes = 0
	}
}

// dir is side s's direction in stream events: relative to the
// originator as it was at the flow's first event, so that a role flip
// later (a SYN/SYN-ACK reversal after data, rare) does not move a stream
// under the other direction mid-way.
func (f *flow) dir(s uint8) Dir {
	if f.streamOrig == 0 {
		f.streamOrig = 1 + f.origSide
	}
	if s == f.streamOrig-1 {
		return FromOrig
	}
	return FromResp
}

// advance moves side s's cursor to `to`, handing the bytes in between to
// the handler: from the held segments first (the first copy seen wins),
// then from cur (the packet being processed, if any), and as a gap where
// neither has them.
func (f *flow) advance(rs *reasm, s uint8, to uint64, cur *heldSeg, ts int64) {
	e := &f.ep[s]
	if to <= e.delivered {
		return
	}
	if rs.h == nil {
		e.delivered = to
		return
	}
	var segs []heldSeg
	if e.holes != 0 {
		segs = rs.holes[e.holes].segs
	}
	pos, k := e.delivered, 0
	for pos < to {
		for k < len(segs) && segs[k].end() <= pos {
			k++
		}
		next := to // where the next held segment starts
		if k < len(segs) {
			if segs[k].lo <= pos {
				end := min(to, segs[k].end())
				rs.data(f, s, segs[k].data[pos-segs[k].lo:end-segs[k].lo], ts)
				pos = end
				continue
			}
			next = min(to, segs[k].lo)
		}
		if cur != nil && cur.lo <= pos && pos < cur.end() {
			end := min(next, cur.end())
			rs.data(f, s, cur.data[pos-cur.lo:end-cur.lo], ts)
			pos = end
			continue
		}
		if cur != nil && cur.lo > pos {
			next = min(next, cur.lo)
		}
		rs.ev = StreamEvent{f: f, FlowID: f.id, Dir: f.dir(s), TS: ts, Offset: e.streamed, Gap: next - pos}
		e.streamed += next - pos
		rs.h.Stream(&rs.ev)
		pos = next
	}
	e.delivered = to
	if e.holes != 0 {
		rs.release(e, to)
	}
}

func (rs *reasm) data(f *flow, s uint8, b []byte, ts int64) {
	e := &f.ep[s]
	rs.ev = StreamEvent{f: f, FlowID: f.id, Dir: f.dir(s), TS: ts, Offset: e.streamed, Data: b}
	e.streamed += uint64(len(b))
	rs.h.Stream(&rs.ev)
}

// hold keeps a copy of the bytes of [lo, lo+len(data)) that no held
// segment has yet.
func (rs *reasm) hold(e *endpoint, lo uint64, data []byte) {
	if len(data) == 0 {
		return
	}
	h := rs.holeSet(e)
	pos, end, i := lo, lo+uint64(len(data)), 0
	for pos < end {
		for i < len(h.segs) && h.segs[i].end() <= pos {
			i++
		}
		next := end
		if i < len(h.segs) {
			if h.segs[i].lo <= pos {
				pos = h.segs[i].end()
				i++
				continue
			}
			next = min(end, h.segs[i].lo)
		}
		h.segs = slices.Insert(h.segs, i, heldSeg{pos, rs.copyOf(data[pos-lo : next-lo])})
		i++
		pos = next
	}
}

// differs says whether data, sent at lo, says other bytes than those
// held for the same sequence numbers: a retransmission that is not one
// (an evasion, or a broken stack). Only bytes still held beyond a hole
// can be compared: delivered bytes are not kept.
func (rs *reasm) differs(e *endpoint, lo uint64, data []byte) bool {
	end := lo + uint64(len(data))
	for _, s := range rs.holes[e.holes].segs {
		a, b := max(lo, s.lo), min(end, s.end())
		if a < b && !bytes.Equal(data[a-lo:b-lo], s.data[a-s.lo:b-s.lo]) {
			return true
		}
	}
	return false
}

func (rs *reasm) copyOf(b []byte) []byte {
	n := len(rs.spare)
	for i := n - 1; i >= 0 && i >= n-8; i-- { // look at a few only
		if c := rs.spare[i]; cap(c) >= len(b) {
			rs.spare[i] = rs.spare[n-1]
			rs.spare = rs.spare[:n-1]
			return append(c[:0], b...)
		}
	}
	c := make([]byte, len(b), max(len(b), 2048))
	copy(c, b)
	return c
}

// release drops the held bytes of e below `to`.
func (rs *reasm) release(e *endpoint, to uint64) {
	h := &rs.holes[e.holes]
	k := 0
	for k < len(h.segs) && h.segs[k].end() <= to {
		if len(rs.spare) < maxSpare && cap(h.segs[k].data) <= 1<<16 {
			rs.spare = append(rs.spare, h.segs[k].data[:0])
		}
		h.segs[k].data = nil
		k++
	}
	if k > 0 {
		h.segs = append(h.segs[:0], h.segs[k:]...)
	}
	if len(h.segs) > 0 && h.segs[0].lo < to {
		h.segs[0].data = h.segs[0].data[to-h.segs[0].lo:]
		h.segs[0].lo = to
	}
}
