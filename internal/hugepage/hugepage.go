package hugepage

import (
	"os"
	"strings"
)

// DefaultReserve is the address space Advise adds to the heap: more than
// the heap of any run measured here (about 190 MiB for packets+flows on
// 2 M packets). It costs no memory until it is used.
const DefaultReserve = 256 << 20

// Advise marks the process's anonymous memory as eligible for transparent
// huge pages (MADV_HUGEPAGE), after growing the Go heap by reserve bytes
// of address space that it frees again untouched: memory the heap maps
// later would get 4 KiB pages again, so the heap the run will use is
// mapped, and advised, up front. It reports whether it advised anything.
//
// It does nothing (false, nil) off Linux, on 32-bit platforms, when the
// system's mode is not "madvise" (with "always" there is nothing to ask,
// with "never" nothing to get), and when GODEBUG has disablethp=1, Go's
// own switch for turning huge pages off. Failing to advise is not an
// error for the caller's work: the error says why, for a test or a log.
func Advise(reserve int) (bool, error) {
	if disabled(os.Getenv("GODEBUG")) {
		return false, nil
	}
	return advise(reserve)
}

// disabled reports whether a GODEBUG value turns huge pages off.
func disabled(godebug string) bool {
	on := false
	for kv := range strings.SplitSeq(godebug, ",") {
		if k, v, ok := strings.Cut(strings.TrimSpace(kv), "="); ok && k == "disablethp" {
			on = v == "1" // the last setting wins, as in the runtime
		}
	}
	return on
}

// mode returns the selected value of a transparent_hugepage/enabled file
// ("always [madvise] never" → "madvise").
func mode(s string) string {
	if _, rest, ok := strings.Cut(s, "["); ok {
		if m, _, ok := strings.Cut(rest, "]"); ok {
			return m
		}
	}
	return ""
}
