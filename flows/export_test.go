package flows

// SetChunk sets how many flows a Tracker ends per step (tests: small
// chunks cut bursts of timeouts across many steps).
func SetChunk(s *Tracker, n int) { s.chunk = n }

// EndChunk is endChunk, the flows a Tracker ends per step, for tests.
const EndChunk = endChunk

// MaxEndedNow is maxEndedNow, for tests.
const MaxEndedNow = maxEndedNow

// EndedNowLen is how many ids the tracker's shards remember of flows
// ended at the instant they started (the most of any shard).
func EndedNowLen(s *Tracker) int {
	n := 0
	for _, t := range s.ws {
		n = max(n, len(t.endedNow))
	}
	return n
}

// Live is the number of flows being tracked, over all shards.
func Live(s *Tracker) int {
	n := 0
	for _, t := range s.ws {
		n += t.ix.n
	}
	return n
}

// Waiting is the number of out-of-order TCP payload bytes waiting behind
// holes, over all flows of all shards.
func Waiting(s *Tracker) uint64 {
	n := uint64(0)
	for _, t := range s.ws {
		n += t.rs.total
	}
	return n
}
