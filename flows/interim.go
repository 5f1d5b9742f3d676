package flows

// Interim rows (Config.Interim): a long flow is written every Interim of
// capture time while it lasts, with end_reason "interim" and its counts
// so far (when it had packets since its previous row), and once more
// when it ends. Each live flow has an entry in the
// shard's interims heap, keyed by when its next interim row is due; the
// sweep at a batch boundary takes the due ones as candidates, ranked
// with the flows that end there, so that the rows come in the same order
// whatever the number of shards. The subscribers other than the flows
// table (beacons) skip them: Row.Interim.

// interimsDue lists as candidates the live flows whose interim row is
// due at the shard's clock, and queues their next one.
func (t *shard) interimsDue() {
	for len(t.interims) > 0 && t.interims[0].key <= t.now {
		e := t.interims.pop()
		f := t.flow(e.i)
		if !f.inUse || f.id != e.id {
			continue // the flow ended: a stale entry
		}
		if f.lastClock > e.key-t.interim {
			// a packet since the flow's previous row (or its first
			// packet): a row with something new
			t.cand = append(t.cand, candidate{seq: f.firstSeq, id: f.id, i: e.i, interim: true})
		}
		next := e.key + t.interim
		for next <= t.now {
			next += t.interim // a quiet stretch longer than Interim: one row for it
		}
		t.interims.push(qent{next, f.id, e.i})
	}
}

// interimRow writes flow i's row so far; the flow goes on.
func (t *shard) interimRow(i int32) {
	f := t.flow(i)
	row := t.newRow()
	f.row(row, "interim")
	row.Interim = true
	row.Tunnel = t.tunnels[f.tunnel]
	row.Service = t.serviceString(f.service)
	row.Name, row.NameSource = f.name, f.nameSource
	t.enrich(row)
	t.nInterim++
}
