package capture

import (
	"container/heap"
	"io"
)

// Merge joins sources into one stream in timestamp order (a k-way merge;
// ties keep input order). A source that fails is dropped from the merge
// and its error is passed to onErr; the merge goes on with the others.
//
// Data of the packet returned by Next is valid until the next call to Next.
type Merge struct {
	srcs  []Source
	heads []Packet
	h     mergeHeap
	last  int // source whose packet was returned last, or -1
	onErr func(src int, err error)
	init  bool
}

// NewMerge returns a merge of srcs. onErr receives every error but io.EOF.
func NewMerge(srcs []Source, onErr func(src int, err error)) *Merge {
	m := &Merge{srcs: srcs, heads: make([]Packet, len(srcs)), last: -1, onErr: onErr}
	m.h.m = m
	return m
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

func (m *Merge) advance(i int) bool {
	err := m.srcs[i].Next(&m.heads[i])
	if err == nil {
		return true
	}
	if err != io.EOF && m.onErr != nil {
		m.onErr(i, err)
	}
	return false
}

// Next returns the earliest pending packet of all sources, or io.EOF.
func (m *Merge) Next(p *Packet) error {
	if len(m.srcs) == 1 { // fast path: no heap
		err := m.srcs[0].Next(p)
		if err != nil && err != io.EOF {
			if m.onErr != nil {
				m.onErr(0, err)
			}
			m.srcs = m.srcs[:0]
			return io.EOF
		}
		return err
	}
	if !m.init {
		m.init = true
		for i := range m.srcs {
			if m.advance(i) {
				m.h.idx = append(m.h.idx, i)
			}
		}
		heap.Init(&m.h)
	} else if m.last >= 0 {
		// The packet returned last is consumed now: refill its source.
		if m.advance(m.last) {
			heap.Fix(&m.h, 0)
		} else {
			heap.Pop(&m.h)
		}
	}
	if len(m.h.idx) == 0 {
		m.last = -1
		return io.EOF
	}
	m.last = m.h.idx[0]
	*p = m.heads[m.last]
	return nil
}
