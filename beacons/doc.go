// Package beacons is the beacons table's plugin: it groups the flows by
// (originator, responder, responder port, protocol) as they end (a
// flows.EndHook) and, at the end of the input (a flows.Finisher),
// writes one row per pair with enough connections: the statistics of the
// intervals between connection starts and of the bytes per connection,
// and a beaconing score defined in docs/beacons.md.
//
// Memory per pair is bounded: a window of the latest 64 starts (which
// puts connections that ended out of order back in start order), running
// sums for the means and deviations, and a reservoir sample of at most
// 1024 intervals for the median, quartiles and MAD.
package beacons
