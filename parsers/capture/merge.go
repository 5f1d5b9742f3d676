package capture

import (
	"container/heap"
	"io"
)

// Input is one source of a Merge. An open input has Src. A lazy one has
// Open instead, and First, the time of its first packet (read ahead by the
// caller): the merge opens it when its clock reaches that time, and calls
// Close at its end. So a merge of thousands of rotated captures, one after
// the other in time, holds only the few that overlap open at once.
type Input struct {
	Src   Source
	First int64 // a lazy input's first packet's timestamp (0 if it has none)
	Open  func() (Source, error)
	Close func() // nil: nothing to close
}

// Merge joins inputs into one stream in timestamp order (a k-way merge;
// ties keep input order). An input that fails is dropped from the merge
// and its error is passed to onErr; the merge goes on with the others.
// An input is closed at its end, and Close closes those still open.
//
// Data of the packet returned by Next is valid until the next call to Next.
type Merge struct {
	ins    []Input
	heads  []Packet
	opened []bool
	h      mergeHeap
	last   int // input whose packet was returned last, or -1
	onErr  func(src int, err error)
	init   bool
}

// NewMerge returns a merge of ins. onErr receives every error but io.EOF.
func NewMerge(ins []Input, onErr func(src int, err error)) *Merge {
	m := &Merge{ins: ins, heads: make([]Packet, len(ins)), opened: make([]bool, len(ins)), last: -1, onErr: onErr}
	m.h.m = m
	return m
}

// Sources returns a merge of sources that are open already.
func Sources(srcs ...Source) []Input {
	ins := make([]Input, len(srcs))
	for i, s := range srcs {
		ins[i].Src = s
	}
	return ins
}

type mergeHeap struct {
	m   *Merge
	idx []int
}

func (h *mergeHeap) Len() int { return len(h.idx) }
func (h *mergeHeap) Less(i, j int) bool {
	a, b := h.idx[i], h.idx[j]
	ta, tb := h.m.heads[a].Timestamp, h.m.heads[b].Timestamp
	if ta != tb {
		return ta < tb
	}
	return a < b
}
func (h *mergeHeap) Swap(i, j int) { h.idx[i], h.idx[j] = h.idx[j], h.idx[i] }
func (h *mergeHeap) Push(x any)    { h.idx = append(h.idx, x.(int)) }
func (h *mergeHeap) Pop() any {
	x := h.idx[len(h.idx)-1]
	h.idx = h.idx[:len(h.idx)-1]
	return x
}

// advance reads input i's next packet into its head; false: the input
// ended (or failed, or could not be opened) and is closed.
func (m *Merge) advance(i int) bool {
	in := &m.ins[i]
	if in.Src == nil {
		src, err := in.Open()
		if err != nil {
			m.end(i, err)
			return false
		}
		in.Src = src
	}
	m.opened[i] = true
	err := in.Src.Next(&m.heads[i])
	if err == nil {
		return true
	}
	m.end(i, err)
	return false
}

// end closes input i and reports its error, if not the end of the input.
func (m *Merge) end(i int, err error) {
	in := &m.ins[i]
	if in.Close != nil {
		in.Close()
		in.Close = nil
	}
	in.Src, in.Open = nil, nil
	if err != io.EOF && m.onErr != nil {
		m.onErr(i, err)
	}
}

// Next returns the earliest pending packet of all inputs, or io.EOF.
func (m *Merge) Next(p *Packet) error {
	if len(m.ins) == 1 {
		return m.nextOne(p)
	}
	if !m.init {
		m.init = true
		for i := range m.ins {
			in := &m.ins[i]
			switch {
			case in.Src != nil:
				if !m.advance(i) {
					continue
				}
			case in.Open != nil:
				m.heads[i] = Packet{Timestamp: in.First} // a stand-in until it opens
			default:
				continue
			}
			m.h.idx = append(m.h.idx, i)
		}
		heap.Init(&m.h)
	} else if m.last >= 0 {
		// The packet returned last is consumed now: refill its input.
		m.refill(m.last)
	}
	// An input that is not open yet opens when it comes first: its first
	// packet takes the stand-in's place (at the same time, unless the
	// file changed since it was read ahead).
	for len(m.h.idx) > 0 && !m.opened[m.h.idx[0]] {
		m.refill(m.h.idx[0])
	}
	if len(m.h.idx) == 0 {
		m.last = -1
		return io.EOF
	}
	m.last = m.h.idx[0]
	*p = m.heads[m.last]
	return nil
}

// nextOne is Next of a merge of one input: no heap.
func (m *Merge) nextOne(p *Packet) error {
	in := &m.ins[0]
	if in.Src == nil {
		if in.Open == nil {
			return io.EOF // ended
		}
		src, err := in.Open()
		if err != nil {
			m.end(0, err)
			return io.EOF
		}
		in.Src = src
	}
	if err := in.Src.Next(p); err != nil {
		m.end(0, err)
		return io.EOF
	}
	return nil
}

// refill reads the next packet of the input at the top of the heap, or
// drops the input at its end.
func (m *Merge) refill(i int) {
	if m.advance(i) {
		heap.Fix(&m.h, 0)
	} else {
		heap.Pop(&m.h)
	}
}

// Close closes the inputs still open (a run that stopped early).
func (m *Merge) Close() {
	for i := range m.ins {
		if c := m.ins[i].Close; c != nil {
			m.ins[i].Close = nil
			c()
		}
	}
}
