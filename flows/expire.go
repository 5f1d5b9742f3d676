package flows

import (
	"cmp"
	"slices"
)

// expired reports whether the flow's idle (or close) timeout passed at
// capture time now, and why it ends then.
func (t *shard) expired(f *flow, now int64) (bool, string) {
	idleAt := f.lastClock + t.timeout[f.class]
	if f.class == classAttempt {
		// Zeek's attempt timer runs from the first SYN, retransmissions
		// or not (its queue key, so the queue's order stays exact)
		idleAt = f.firstClock + t.timeout[classAttempt]
	}
	if t.active > 0 {
		// the deadline that passed first names the end, whenever the
		// end is found (a batch boundary, a later packet)
		if activeAt := f.firstClock + t.active; activeAt <= now && activeAt < idleAt {
			return true, "active"
		}
	}
	switch {
	case idleAt > now:
		return false, ""
	case f.class == classClosing:
		return true, f.closeReason()
	case f.class == classAttempt:
		return true, "attempt"
	}
	return true, "idle"
}

// alive reports that the flow is certainly not past its timeouts at
// capture time now: expired's common case (neither an attempt nor past its
// idle or active deadline), cheap enough to inline.
func (t *shard) alive(f *flow, now int64) bool {
	return f.class != classAttempt && f.lastClock+t.timeout[f.class&(numClasses-1)] > now &&
		(t.active <= 0 || f.firstClock+t.active > now)
}

// sweepAt gives up the datagrams past their timeout (all of them at the
// end) and lists the flows to end: those past their timeouts (all live
// flows at the end), ordered by their first packets.
func (t *shard) sweepAt(eof bool) {
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
	if !eof {
		t.interimsDue()
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
		if c := cmp.Compare(a.id, b.id); c != 0 {
			return c
		}
		if a.interim != b.interim {
			if b.interim {
				return -1 // a flow that ends gives no interim row
			}
			return 1
		}
		return 0
	})
	t.cand = slices.CompactFunc(t.cand, func(a, b candidate) bool { return a.i == b.i })
}
