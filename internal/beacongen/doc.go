// Package beacongen writes a generated, ground-truth capture for beacon
// hunting: a day of an office network (browsing bursts, DNS to the
// internal resolver, NTP, SSDP, mDNS and LAN-sync broadcasts) with a few
// planted command-and-control beacons whose source, destinations, port
// and timing are known. Generate writes the capture and returns the
// Truth; the same Config gives the same bytes.
//
// The planted beacons (Truth.Beacons):
//
//   - fixed: HTTP every 60 s with sub-second jitter;
//   - jitter: TLS every 300 s ± 30 % (uniform);
//   - sleep: TLS every 120 s during working hours only, silent at night;
//   - cdn: TLS every 180 s ± 20 %, each connection to one of a dozen
//     addresses of one provider, all with the same SNI;
//   - dns: a query for a random subdomain of one domain every 90 s ± 10 %,
//     over UDP to an external resolver.
//
// The benign background that is periodic too (Truth.Benign) is what a
// beacon scorer should rank below them: NTP polls whose interval doubles
// from 64 s to 1024 s, SSDP M-SEARCH to 239.255.255.250:1900 every 30 s,
// mDNS to 224.0.0.251:5353, LAN-sync broadcasts to 255.255.255.255:17500
// every 30 s, and each host's lookups to the internal resolver 10.0.0.53.
// bench/beacons writes the capture and its truth; bench/beacons/README.md
// tells how to read a scorer's result against it.
package beacongen
