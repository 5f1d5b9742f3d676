//go:build !amd64 && !arm64

package flows

// prefetch does nothing on this architecture (see prefetch_asm.go).
func prefetch(addr uintptr) {}

// prefetchLines does nothing on this architecture.
func prefetchLines(addr uintptr, n int) {}
