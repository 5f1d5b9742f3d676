// Package beacons writes the beacons table: a Scorer reads the flows'
// rows as they end (a flows.Subscriber), groups their call-outs — the
// connections' starts, or the HTTP requests, bursts and DNS queries the
// parsers and the tracker noted inside them (flows.Row.Notes) — by
// (originator, responder's name or address, responder port, protocol)
// and, when every flow ended, writes one row per pair with enough
// call-outs: the statistics of the intervals between them and of their
// bytes, a periodicity test, the call-outs by hour of the day, context
// (prevalence, fingerprints, certificates) and a beaconing score defined
// in docs/beacons.md, with its parts and a phrase saying why. Pairs of more
// than one connection a second are strobes, unscored; destinations never
// routed (Unrouted) and those of an Allow list are left out and counted.
//
// Memory per pair is bounded: a window of the latest 64 starts (which
// puts connections that ended out of order back in start order), running
// sums for the means and deviations, 24 hourly counts, and reservoir
// samples of at most 1024 intervals and 1024 byte counts for the
// medians, quartiles and MADs.
package beacons
