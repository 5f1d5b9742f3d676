package flows

import "net/netip"

// likelyServerPorts approximates Zeek's likely_server_ports (the ports
// its analyzers register; for DHCP only the server's, 67), used to pick the originator of a flow whose
// handshake was not seen.
var likelyServerPorts = func() (m [65536 / 64]uint64) {
	for _, p := range []uint16{
		20, 21, 22, 23, 25, 42, 53, 67, 69, 80, 81, 88, 110, 111, 113, 119, 123, 135,
		137, 138, 139, 143, 161, 162, 179, 389, 443, 445, 464, 465, 502, 513, 514, 515, 520,
		546, 547, 563, 585, 587, 614, 631, 636, 749, 750, 853, 873, 989, 990, 992, 993, 994, 995,
		1080, 1194, 1433, 1434, 1521, 1701, 1723, 1812, 1813, 1883, 2049, 2123, 2152, 2181,
		2375, 2376, 2379, 2811, 3128, 3260, 3268, 3269, 3306, 3389, 3478, 3544, 4789, 5060, 5061,
		5072, 5222, 5223, 5269, 5353, 5355, 5432, 5671, 5672, 5900, 5985, 5986, 6081, 6379,
		6443, 6666, 6667, 6668, 6669, 8000, 8008, 8080, 8081, 8443, 8883, 8888, 9000, 9092,
		9200, 9300, 11211, 20000, 27017,
	} {
		m[p/64] |= 1 << (p % 64)
	}
	return m
}()

// limitedBroadcast says whether a is 255.255.255.255, which Zeek never
// makes a UDP flow's originator by flipping.
func limitedBroadcast(a netip.Addr) bool { return a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) }

func likelyServerPort(p uint16) bool { return likelyServerPorts[p/64]&(1<<(p%64)) != 0 }
