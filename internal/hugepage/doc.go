// Package hugepage asks Linux to back a short-lived process's anonymous
// memory (the Go heap, the runtime's metadata, the binary's zeroed data)
// with transparent huge pages where the system leaves that choice to the
// program.
//
// The Go runtime does not ask for huge pages (since Go 1.21.1), and most
// Linux distributions set transparent_hugepage to "madvise", so a Go
// program gets 4 KiB pages. pcap2table touches 70-190 MiB in a burst that
// lasts a second or two: on the development VM each first touch of a page
// cost about 6 µs in the kernel (17 k faults, a tenth of a flows-only
// run's CPU) and the random access of the flow tracker missed the TLB. With
// huge pages the same runs, interleaved with runs without, took 13-17 %
// less time (flows alone 0.69 -> 0.57 s) for 10-15 MiB more resident
// memory (2 MiB is the unit of growth). See BENCHMARKS.md.
//
// Advise is for a command's main, before its work; a library must leave
// its host's memory alone.
package hugepage
