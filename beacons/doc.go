// Package beacons writes the beacons table: a Scorer reads the flows'
// rows as they end (a flows.Subscriber), groups them by (originator,
// responder, responder port, protocol) and, when every flow ended, writes
// one row per pair with enough connections: the statistics of the
// intervals between connection starts and of the bytes per connection,
// and a beaconing score defined in docs/beacons.md.
//
// Memory per pair is bounded: a window of the latest 64 starts (which
// puts connections that ended out of order back in start order), running
// sums for the means and deviations, and a reservoir sample of at most
// 1024 intervals for the median, quartiles and MAD.
package beacons
