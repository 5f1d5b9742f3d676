//go:build amd64 || arm64

package flows

// prefetch asks the CPU to bring the cache line at addr in, without
// waiting for it (PREFETCHT0, PRFM PLDL1KEEP): it never faults, so any
// address will do. Go has no prefetch of its own outside the runtime.
//
//go:noescape
func prefetch(addr uintptr)

// prefetchLines prefetches n cache lines (64 bytes) from addr, in one
// call: an assembly function is never inlined.
//
//go:noescape
func prefetchLines(addr uintptr, n int)
