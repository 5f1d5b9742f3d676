package flows

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
func (t *shard) newID(k *Key, ts int64) uint64 {
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
func (t *shard) endedThen(f *flow) {
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
