package flows

// SetChunk sets how many flows a Shards ends per step (tests: small
// chunks cut bursts of timeouts across many steps).
func SetChunk(s *Shards, n int) { s.chunk = n }

// MaxEndedNow is maxEndedNow, for tests.
const MaxEndedNow = maxEndedNow

// EndedNowLen is how many ids the tracker remembers of flows ended at the
// instant they started.
func EndedNowLen(t *Tracker) int { return len(t.endedNow) }
