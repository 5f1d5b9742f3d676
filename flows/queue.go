package flows

// The idle queues. Each class (TCP, other, closing) has one: flows wait
// there for their idle timeout, ordered by the time they were queued,
// which bounds their deadlines from below. A flow is not moved for each
// of its packets (that cost a cache miss on its neighbours per packet):
// it is queued when it starts or changes class, in a list, at the
// tracker's clock, which never goes back, so the list stays in order.
// When its turn comes with packets since, it is queued again at the time
// of its last packet: into a heap, since that time is earlier than those
// queued since. So the earliest entry of a queue is exact, and the flows
// found past their timeouts at some capture time are exactly those whose
// deadlines passed, whatever other flows share the tracker (shard.go).

// Where a flow is queued (flow.qstate).
const (
	qNone = iota // taken out: about to end
	qList
	qHeap
)

// idleQueue is a class's queue: the list of flows queued at the clock
// and the heap of those queued again. A heap entry whose flow ended or
// was queued since is stale, dropped when it comes up.
type idleQueue struct {
	list list
	heap qheap
}

type qent struct {
	key int64 // the flow's queued time
	id  uint64
	i   int32
}

// enqueue queues flow i in its class's list at its last packet's clock
// (the tracker's clock then).
func (t *shard) enqueue(i int32) {
	f := t.flow(i)
	f.queued, f.qstate = f.lastClock, qList
	t.push(&t.idle[f.class].list, i, false)
}

// dequeue takes flow i out of its queue.
func (t *shard) dequeue(i int32) {
	f := t.flow(i)
	if f.qstate == qList {
		t.unlink(&t.idle[f.class].list, i, false)
	}
	f.qstate = qNone // a heap entry goes stale
}

// requeue queues flow i (out of its queue) again, at its last packet.
func (t *shard) requeue(i int32) {
	f := t.flow(i)
	f.queued, f.qstate = f.lastClock, qHeap
	t.idle[f.class].heap.push(qent{f.lastClock, f.id, i})
}

// oldest returns the earliest queued flow of class c and its queue time
// (none when the queue is empty), dropping stale heap entries.
func (t *shard) oldest(c int) (int32, int64) {
	q := &t.idle[c]
	for len(q.heap) > 0 {
		e := q.heap[0]
		if f := t.flow(e.i); f.inUse && f.id == e.id && f.qstate == qHeap && int(f.class) == c && f.queued == e.key {
			break
		}
		q.heap.pop()
	}
	i, key := int32(none), int64(1<<63-1)
	if h := q.list.head; h != none {
		i, key = h, t.flow(h).queued
	}
	if len(q.heap) > 0 && q.heap[0].key < key {
		i, key = q.heap[0].i, q.heap[0].key
	}
	return i, key
}

// takeOldest takes flow i, which oldest(c) returned, out of its queue.
func (t *shard) takeOldest(c int, i int32) {
	if t.flow(i).qstate == qHeap {
		t.idle[c].heap.pop()
	}
	t.dequeue(i)
}

// qheap is a min-heap of queue entries by key: the idle queues' flows
// queued again, and the interim rows' due times (interim.go).
type qheap []qent

// push adds e.
func (q *qheap) push(e qent) {
	h := append(*q, e)
	for j := len(h) - 1; j > 0; {
		p := (j - 1) / 2
		if h[p].key <= h[j].key {
			break
		}
		h[p], h[j] = h[j], h[p]
		j = p
	}
	*q = h
}

// pop removes the earliest entry and returns it.
func (q *qheap) pop() qent {
	h := *q
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	h = h[:n]
	for j := 0; ; {
		l := 2*j + 1
		if l >= n {
			break
		}
		if r := l + 1; r < n && h[r].key < h[l].key {
			l = r
		}
		if h[j].key <= h[l].key {
			break
		}
		h[j], h[l] = h[l], h[j]
		j = l
	}
	*q = h
	return top
}

// timedOut visits the flows of class c whose idle timeouts may have
// passed at capture time now, earliest first: fn gets each one past its
// timeout (or its active timeout), taken out of its queue when take is
// set, and returns false to stop; the others had packets since they were
// queued and are queued again.
func (t *shard) timedOut(c int, now int64, take bool, fn func(i int32, reason string) bool) {
	for {
		i, key := t.oldest(c)
		if i == none || key+t.timeout[c] > now {
			return
		}
		exp, reason := t.expired(t.flow(i), now)
		if !exp {
			t.takeOldest(c, i)
			t.requeue(i)
			continue
		}
		if take {
			t.takeOldest(c, i)
		}
		if !fn(i, reason) {
			return
		}
	}
}

func (t *shard) ln(i int32, age bool) *links {
	if age {
		return &t.flow(i).age
	}
	return &t.flow(i).idle
}

func (t *shard) push(l *list, i int32, age bool) {
	n := t.ln(i, age)
	n.prev, n.next = l.tail, none
	if l.tail != none {
		t.ln(l.tail, age).next = i
	} else {
		l.head = i
	}
	l.tail = i
}

func (t *shard) unlink(l *list, i int32, age bool) {
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
