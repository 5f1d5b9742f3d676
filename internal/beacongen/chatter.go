package beacongen

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// Multicast and broadcast groups of the chatter.
var (
	ssdpGroup = netip.MustParseAddr("239.255.255.250")
	mdnsGroup = netip.MustParseAddr("224.0.0.251")
	broadcast = netip.MustParseAddr("255.255.255.255")
	mediaTV   = netip.MustParseAddr("10.1.9.200")
)

// ntp writes an ntpd's polls of host to each of servers, from boot (a
// negative boot: already settled at 1024 s at the start). The poll
// interval starts at 64 s and doubles after 4 to 8 polls up to 1024 s,
// and each interval is 2^poll × (1 + r/4096), r < 256, as ntpd dithers.
func (g *gen) ntp(host netip.Addr, servers []netip.Addr, boot int64) []Pair {
	var out []Pair
	for _, s := range servers {
		poll, left, from := 6, 4+g.rng.IntN(5), boot
		if boot < g.start {
			poll, from = 10, g.start
		}
		for t := from + int64(g.rng.Float64()*16e9); t < g.end-margin; {
			g.exchange(t, host, s, 123, 123, g.rttTo(s), g.ntpPacket(3, poll), g.ntpPacket(4, poll))
			t += int64(float64(int64(1)<<poll) * (1 + float64(g.rng.IntN(256))/4096) * 1e9)
			if left--; left == 0 && poll < 10 {
				poll, left = poll+1, 4+g.rng.IntN(5)
			}
		}
		out = append(out, Pair{Kind: "ntp", SrcIP: host.String(), DstIP: s.String(), DstPort: 123, Proto: "udp",
			Note: "ntpd polls, 64 s doubling to 1024 s"})
	}
	return out
}

// ntpPacket is an NTPv4 packet of mode 3 (client) or 4 (server).
func (g *gen) ntpPacket(mode byte, poll int) []byte {
	b := make([]byte, 48)
	b[0] = 4<<3 | mode
	b[2], b[3] = byte(poll), 0xe9
	if mode == 4 {
		b[1] = 2
		copy(b[12:16], []byte{10, 0, 0, 1})
		binary.BigEndian.PutUint32(b[16:], g.rng.Uint32())
	}
	for i := 24; i < 48; i += 4 {
		binary.BigEndian.PutUint32(b[i:], g.rng.Uint32())
	}
	return b
}

// ssdp writes host's M-SEARCH to 239.255.255.250:1900 every 30 s ± 1 s,
// each from a new port, answered now and then by the TV.
func (g *gen) ssdp(host netip.Addr) Pair {
	search := []byte("M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\n" +
		"ST: urn:dial-multiscreen-org:service:dial:1\r\nUSER-AGENT: Google Chrome/131.0 Windows\r\n\r\n")
	answer := []byte("HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nEXT:\r\nLOCATION: http://10.1.9.200:8008/ssdp/device-desc.xml\r\n" +
		"SERVER: Linux/3.8.13, UPnP/1.0, Portable SDK for UPnP devices/1.6.18\r\nST: urn:dial-multiscreen-org:service:dial:1\r\n\r\n")
	g.every(30, 1.0/30, func(t int64) {
		port := g.ephemeral()
		g.udp(t, host, ssdpGroup, port, 1900, search)
		if g.rng.IntN(8) == 0 {
			g.udp(t+ms(20+500*g.rng.Float64()), mediaTV, host, 1900, port, answer)
		}
	})
	return Pair{Kind: "ssdp", SrcIP: host.String(), DstIP: ssdpGroup.String(), DstPort: 1900, Proto: "udp",
		Note: "SSDP M-SEARCH every 30 s ± 1 s (multicast)"}
}

// mdns writes host's mDNS queries (5353 to 224.0.0.251:5353) at Poisson
// times, mean 4 minutes, for a service or two.
func (g *gen) mdns(host netip.Addr) Pair {
	services := []string{"_googlecast._tcp.local", "_airplay._tcp.local", "_ipp._tcp.local", "_spotify-connect._tcp.local", "_companion-link._tcp.local"}
	g.poisson(func(int64) float64 { return 240 }, func(t int64) {
		q := dnsQuery(0, services[g.rng.IntN(len(services))], 12)
		q[2] = 0 // no recursion
		g.udp(t, host, mdnsGroup, 5353, 5353, q)
	})
	return Pair{Kind: "mdns", SrcIP: host.String(), DstIP: mdnsGroup.String(), DstPort: 5353, Proto: "udp",
		Note: "mDNS queries at random times (multicast)"}
}

// lansync writes a Dropbox-like LAN sync discovery broadcast, from and
// to port 17500, every 30 s.
func (g *gen) lansync(host netip.Addr) Pair {
	body := []byte(fmt.Sprintf(`{"host_int": %d, "version": [2, 0], "displayname": "", "port": 17500, "namespaces": [%d, %d]}`,
		g.rng.Uint64()>>1, g.rng.Uint32(), g.rng.Uint32()))
	g.every(30, 0.001, func(t int64) { g.udp(t, host, broadcast, 17500, 17500, body) })
	return Pair{Kind: "lansync", SrcIP: host.String(), DstIP: broadcast.String(), DstPort: 17500, Proto: "udp",
		Note: "LAN sync discovery broadcast every 30 s from port 17500: UDP flows continue, so with the default timeouts the flows table cuts one long flow at each active timeout (30 min)"}
}
