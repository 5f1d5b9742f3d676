package beacongen

import (
	"fmt"
	"net/netip"
)

// Names of the planted beacons' services (under .example: they resolve
// nowhere).
const (
	fixedHost  = "cdn-check.example"
	jitterSNI  = "telemetry.softupd.example"
	sleepSNI   = "api.worktime-sync.example"
	cdnSNI     = "static.assets-cdn.example"
	dnsDomain  = "q.dnslog-sync.example"
	cdnAddrs   = 12
	extResolve = "8.8.8.8"
)

// plant writes the five planted beacons, from hosts[0] to hosts[4].
func (g *gen) plant(seed uint64, hosts []netip.Addr) []Beacon {
	var out []Beacon
	for i, f := range []func(netip.Addr) Beacon{g.fixed, g.jittered, g.sleeper, g.cdn, g.dnsBeacon} {
		g.reseed(seed, uint64(100+i))
		out = append(out, f(hosts[i]))
	}
	return out
}

// fixed: an HTTP poll every 60 s ± 0.5 %; the answer is a small "no task"
// but for the odd task.
func (g *gen) fixed(src netip.Addr) Beacon {
	dst := g.publicAddr()
	path := fmt.Sprintf("/api/v2/poll?id=%s", g.base32(12))
	b := Beacon{Name: "fixed-60s-http", Kind: "fixed", SrcIP: src.String(), DstIPs: []string{dst.String()},
		DstPort: 80, Proto: "tcp", Interval: 60, Jitter: 0.005,
		Note: "HTTP GET every 60 s, 48-byte answer, a 2 to 6 KB task one time in 50"}
	b.Connections = g.every(60, 0.005, func(t int64) {
		n := 48
		if g.rng.IntN(50) == 0 {
			n = 2000 + g.rng.IntN(4000)
		}
		g.tcp(t, src, dst, 80, g.rttTo(dst), g.httpSession(fixedHost, path, agent, n))
	})
	return b
}

// agent is the User-Agent of the HTTP beacon and of browsing.
const agent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

// tlsBeacon writes one TLS check-in of a beacon to dst.
func (g *gen) tlsBeacon(t int64, src, dst netip.Addr, sni string, cert int) {
	g.tcp(t, src, dst, 443, g.rttTo(dst), g.tlsSession(sni, cert, g.sizeAround(220), g.sizeAround(90)))
}

// jittered: TLS every 300 s ± 30 %, uniform.
func (g *gen) jittered(src netip.Addr) Beacon {
	dst := g.publicAddr()
	b := Beacon{Name: "jitter-300s-tls", Kind: "jitter", SrcIP: src.String(), DstIPs: []string{dst.String()},
		DstPort: 443, Proto: "tcp", SNI: jitterSNI, Interval: 300, Jitter: 0.3,
		Note: "TLS every 300 s ± 30 % (uniform)"}
	b.Connections = g.every(300, 0.3, func(t int64) { g.tlsBeacon(t, src, dst, jitterSNI, 2900) })
	return b
}

// sleeper: TLS every 120 s ± 5 % in working hours, silent outside them.
func (g *gen) sleeper(src netip.Addr) Beacon {
	dst := g.publicAddr()
	b := Beacon{Name: "sleep-120s-workhours-tls", Kind: "sleep", SrcIP: src.String(), DstIPs: []string{dst.String()},
		DstPort: 443, Proto: "tcp", SNI: sleepSNI, Interval: 120, Jitter: 0.05,
		Note: "TLS every 120 s ± 5 % from 08:00 to 18:00 UTC only: one long sleep over the night"}
	b.Connections = 0
	g.every(120, 0.05, func(t int64) {
		if working(t) {
			g.tlsBeacon(t, src, dst, sleepSNI, 3400)
			b.Connections++
		}
	})
	return b
}

// cdn: TLS every 180 s ± 20 %, each connection to one of a dozen
// addresses of one provider's /22, all with the same SNI.
func (g *gen) cdn(src netip.Addr) Beacon {
	base := g.publicAddr().As4()
	base[2] &^= 3
	var dsts []netip.Addr
	b := Beacon{Name: "cdn-180s-tls-12addrs", Kind: "cdn", SrcIP: src.String(), DstPort: 443, Proto: "tcp",
		SNI: cdnSNI, Interval: 180, Jitter: 0.2,
		Note: "TLS every 180 s ± 20 %, each connection to one of 12 addresses of one /22, same SNI"}
	for len(dsts) < cdnAddrs {
		a := netip.AddrFrom4([4]byte{base[0], base[1], base[2] + byte(g.rng.IntN(4)), byte(1 + g.rng.IntN(254))})
		if !contains(dsts, a) {
			dsts = append(dsts, a)
			b.DstIPs = append(b.DstIPs, a.String())
		}
	}
	b.Connections = g.every(180, 0.2, func(t int64) {
		g.tlsBeacon(t, src, dsts[g.rng.IntN(len(dsts))], cdnSNI, 4100)
	})
	return b
}

func contains(l []netip.Addr, a netip.Addr) bool {
	for _, x := range l {
		if x == a {
			return true
		}
	}
	return false
}

// dnsBeacon: a TXT query for a random label under one domain every
// 90 s ± 10 %, to an external resolver, from a new port each time.
func (g *gen) dnsBeacon(src netip.Addr) Beacon {
	dst := netip.MustParseAddr(extResolve)
	b := Beacon{Name: "dns-90s-txt", Kind: "dns", SrcIP: src.String(), DstIPs: []string{dst.String()},
		DstPort: 53, Proto: "udp", Domain: dnsDomain, Interval: 90, Jitter: 0.1,
		Note: "TXT query for <random>." + dnsDomain + " every 90 s ± 10 % to an external resolver"}
	b.Connections = g.every(90, 0.1, func(t int64) {
		id := uint16(g.rng.Uint32())
		name := g.base32(16+g.rng.IntN(16)) + "." + dnsDomain
		txt := g.base32(24 + g.rng.IntN(40))
		g.exchange(t, src, dst, g.ephemeral(), 53, g.rttTo(dst), dnsQuery(id, name, 16),
			dnsAnswer(id, name, 16, 0, append([]byte{byte(len(txt))}, txt...)))
	})
	return b
}
