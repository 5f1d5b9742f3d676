package flows

// SetChunk sets how many flows a Shards ends per step (tests: small
// chunks cut bursts of timeouts across many steps).
func SetChunk(s *Shards, n int) { s.chunk = n }
