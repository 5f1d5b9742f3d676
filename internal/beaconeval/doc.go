// Package beaconeval measures how well beacon scores find planted
// command-and-control beacons (issue 29). It plants configured beacons
// (internal/beacongen Specs) into generated office days and real
// captures, converts each capture with pcap2table.Convert, and ranks the
// (source, destination) pairs with three scorers:
//
//   - ours: the beacons table that pcap2table writes (its score column);
//   - RITA: RITA v5's beacon score, implemented from its description
//     (four sub-scores on timestamps, bytes, the 24-bin histogram and
//     duration; names from HTTP Host and TLS SNI), over the flows, http
//     and tls tables;
//   - mode: the share of the intervals between connection starts, in
//     whole seconds, that equal their mode (Flare's and Microsoft
//     Sentinel's beacon hunting queries), over the flows table.
//
// Each planted beacon is matched to the rows of each ranking (Match); the
// metrics are recall at a fixed budget of false positives per capture,
// the precision of the top rows, and per capture whether every beacon is
// in the top 10 and whether a benign pair is in the top 5. Run renders
// the report as Markdown; bench/beaconeval is its command.
package beaconeval
