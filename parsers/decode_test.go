package parsers_test

import (
	"encoding/binary"
	"testing"

	"github.com/gopacket/gopacket/layers"
	"github.com/pcap2table/pcap2table/parsers"
	"github.com/pcap2table/pcap2table/parsers/capture"
)

// Packet builders for cases the real captures do not cover.

func be16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func eth(etype uint16, payload []byte) []byte {
	return cat([]byte{0, 1, 2, 3, 4, 5, 0xa, 0xb, 0xc, 0xd, 0xe, 0xf}, be16(etype), payload)
}

func ipv4(proto uint8, src, dst [4]byte, payload []byte, opts ...byte) []byte {
	ihl := 5 + len(opts)/4
	h := []byte{byte(0x40 | ihl), 0}
	h = append(h, be16(uint16(ihl*4+len(payload)))...)
	h = append(h, 0x12, 0x34, 0, 0, 64, proto, 0, 0)
	h = append(h, src[:]...)
	h = append(h, dst[:]...)
	h = append(h, opts...)
	return append(h, payload...)
}

func ipv6(next uint8, payload []byte) []byte {
	h := []byte{0x60, 0, 0, 0}
	h = append(h, be16(uint16(len(payload)))...)
	h = append(h, next, 55)
	src := [16]byte{0x20, 0x01, 0xd, 0xb8, 15: 1}
	dst := [16]byte{0x20, 0x01, 0xd, 0xb8, 15: 2}
	h = append(h, src[:]...)
	h = append(h, dst[:]...)
	return append(h, payload...)
}

func udp(sp, dp uint16, payload []byte) []byte {
	return cat(be16(sp), be16(dp), be16(uint16(8+len(payload))), be16(0), payload)
}

func tcp(sp, dp uint16, flags byte, payload []byte) []byte {
	return cat(be16(sp), be16(dp), be32(1000), be32(2000), []byte{5 << 4, flags}, be16(512), be16(0), be16(0), payload)
}

// ipv6From is ipv6 with the given addresses.
func ipv6From(next uint8, src, dst [16]byte, payload []byte) []byte {
	h := ipv6(next, payload)
	copy(h[8:24], src[:])
	copy(h[24:40], dst[:])
	return h
}

// gre0 is a GRE header (version 0) of protocol proto, with a sequence
// number when seq.
func gre0(proto uint16, seq bool, payload []byte) []byte {
	if seq {
		return cat([]byte{0x10, 0}, be16(proto), be32(1), payload)
	}
	return cat([]byte{0, 0}, be16(proto), payload)
}

// erspan3 is an ERSPAN type III header of session id session, with the
// optional 8-byte subheader when sub (its O flag set).
func erspan3(session uint16, sub bool) []byte {
	h := cat([]byte{0x20, 0x14}, be16(session&0x3ff), be32(5208), be16(0), []byte{0x80, 0x30})
	if sub {
		h[11] |= 1
		h = append(h, 1, 2, 3, 4, 5, 6, 7, 8)
	}
	return h
}

// dot11QoS is an 802.11 QoS data frame, to the DS, whose QoS control
// says A-MSDU when amsdu; body follows the header.
func dot11QoS(amsdu bool, body []byte) []byte {
	qos := byte(0)
	if amsdu {
		qos = 0x80
	}
	return cat([]byte{0x88, 0x01, 0, 0}, // QoS data, to DS; duration
		[]byte{0x40, 0xe3, 0xd6, 0x64, 0xf4, 0x94}, // BSSID
		[]byte{0x66, 0x15, 0x48, 0x3c, 0x47, 0xe7}, // SA
		[]byte{0x00, 0x00, 0x5e, 0x00, 0x01, 0x01}, // DA
		[]byte{0x10, 0}, []byte{qos, 0}, body)
}

// llcSNAP is an LLC/SNAP header for EtherType etype, then payload.
func llcSNAP(etype uint16, payload []byte) []byte {
	return cat([]byte{0xaa, 0xaa, 3, 0, 0, 0}, be16(etype), payload)
}

// amsduSub is an A-MSDU subframe carrying msdu (padded to 4 bytes when pad).
func amsduSub(msdu []byte, pad bool) []byte {
	b := cat([]byte{2, 2, 2, 2, 2, 2, 4, 4, 4, 4, 4, 4}, be16(uint16(len(msdu))), msdu)
	for pad && len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// ayiya is an AYIYA header with a 16-byte identity and a 20-byte
// (SHA-1) signature, op code op and next header next, then payload.
func ayiya(op, next byte, payload []byte) []byte {
	return cat([]byte{0x41, 0x52, 0x10 | op, next}, be32(1257655293), make([]byte, 16), make([]byte, 20), payload)
}

// nflogTLV is an NFLOG attribute (little-endian length and type), padded
// to 4 bytes.
func nflogTLV(typ uint16, v []byte) []byte {
	b := binary.LittleEndian.AppendUint16(nil, uint16(4+len(v)))
	b = binary.LittleEndian.AppendUint16(b, typ)
	b = append(b, v...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

var (
	teredoClient = [16]byte{0x20, 0x01, 0, 0, 0x41, 0x37, 0x9e, 0x50, 0x80, 0, 0xf1, 0x2a, 0xb9, 0xc8, 0x28, 0x15}
	googleV6     = [16]byte{0x20, 0x01, 0x48, 0x60, 0, 0, 0x20, 0x01, 15: 0x68}
	docV6a       = [16]byte{0x20, 0x01, 0xd, 0xb8, 15: 1}
	docV6b       = [16]byte{0x20, 0x01, 0xd, 0xb8, 15: 2}
)

var (
	a1 = [4]byte{10, 0, 0, 1}
	a2 = [4]byte{10, 0, 0, 2}
	b1 = [4]byte{192, 168, 1, 1}
	b2 = [4]byte{192, 168, 1, 2}
)

func TestDecodeEncapsulations(t *testing.T) {
	inner := ipv4(6, b1, b2, tcp(1234, 80, 0x18, []byte("GET /")))
	for _, tc := range []struct {
		name     string
		link     layers.LinkType
		data     []byte
		src, dst string
		proto    uint8
		sport    int // -1: null
		tunnel   string
		tunnelID int64 // -1: null
		vlan     int
		err      string
	}{
		{"raw ipv6 (229)", layers.LinkTypeIPv6, ipv6(17, udp(5353, 53, nil)), "2001:db8::1", "2001:db8::2", 17, 5353, "", -1, -1, ""},
		{"bsd raw (12)", 12, inner, "192.168.1.1", "192.168.1.2", 6, 1234, "", -1, -1, ""},
		{"bsd raw (14)", 14, ipv6(6, tcp(1, 2, 2, nil)), "2001:db8::1", "2001:db8::2", 6, 1, "", -1, -1, ""},
		{"loop (108), network order", layers.LinkTypeLoop, cat(be32(2), inner), "192.168.1.1", "192.168.1.2", 6, 1234, "", -1, -1, ""},
		{"null (0), host order ipv6", layers.LinkTypeNull, cat([]byte{30, 0, 0, 0}, ipv6(17, udp(1, 2, nil))), "2001:db8::1", "2001:db8::2", 17, 1, "", -1, -1, ""},
		{"ipv4 options", layers.LinkTypeEthernet, eth(0x0800, ipv4(17, a1, a2, udp(9, 10, nil), 0x94, 4, 0, 0)), "10.0.0.1", "10.0.0.2", 17, 9, "", -1, -1, ""},
		{"6in4", layers.LinkTypeEthernet, eth(0x0800, ipv4(41, a1, a2, ipv6(17, udp(7, 8, nil)))), "2001:db8::1", "2001:db8::2", 17, 7, "ipip", -1, -1, ""},
		{"ipip", layers.LinkTypeEthernet, eth(0x0800, ipv4(4, a1, a2, inner)), "192.168.1.1", "192.168.1.2", 6, 1234, "ipip", -1, -1, ""},
		{"geneve", layers.LinkTypeEthernet, eth(0x0800, ipv4(17, a1, a2, udp(5000, 6081,
			cat([]byte{0, 0}, be16(0x6558), be32(0x00abcd00), eth(0x0800, inner))))), "192.168.1.1", "192.168.1.2", 6, 1234, "geneve", 0xabcd, -1, ""},
		{"gtp-u", layers.LinkTypeEthernet, eth(0x0800, ipv4(17, a1, a2, udp(2152, 2152,
			cat([]byte{0x30, 0xff}, be16(uint16(len(inner))), be32(0xdeadbeef), inner)))), "192.168.1.1", "192.168.1.2", 6, 1234, "gtpu", 0xdeadbeef, -1, ""},
		{"gre with key", layers.LinkTypeEthernet, eth(0x0800, ipv4(47, a1, a2,
			cat([]byte{0x20, 0}, be16(0x0800), be32(77), inner))), "192.168.1.1", "192.168.1.2", 6, 1234, "gre", 77, -1, ""},
		{"pptp (enhanced gre)", layers.LinkTypeEthernet, eth(0x0800, ipv4(47, a1, a2,
			cat([]byte{0x30, 0x81}, be16(0x880b), be16(uint16(4+len(inner))), be16(0x1780), be32(1), be32(2), // key, seq and ack; version 1
				[]byte{0xff, 0x03}, be16(0x0021), inner))), "192.168.1.1", "192.168.1.2", 6, 1234, "pptp", 0x1780, -1, ""},
		{"erspan ii", layers.LinkTypeEthernet, eth(0x0800, ipv4(47, a1, a2,
			cat([]byte{0x10, 0}, be16(0x88be), be32(1), // GRE with sequence
				[]byte{0x10, 0x00, 0x00, 0x2a, 0, 0, 0, 0}, // ERSPAN II: version 1, session 42
				eth(0x0800, inner)))), "192.168.1.1", "192.168.1.2", 6, 1234, "erspan", 42, -1, ""},
		{"qinq + pppoe", layers.LinkTypeEthernet, eth(0x88a8, cat(be16(100), be16(0x8100), be16(200), be16(0x8864),
			[]byte{0x11, 0, 0, 1}, be16(uint16(2+len(inner))), be16(0x0021), inner)), "192.168.1.1", "192.168.1.2", 6, 1234, "", -1, 100, ""},
		{"sctp", layers.LinkTypeEthernet, eth(0x0800, ipv4(132, a1, a2, cat(be16(2905), be16(2905), be32(1), be32(0)))), "10.0.0.1", "10.0.0.2", 132, 2905, "", -1, -1, ""},
		{"ppp in hdlc (50)", 50, cat([]byte{0xff, 0x03}, be16(0x0021), inner), "192.168.1.1", "192.168.1.2", 6, 1234, "", -1, -1, ""},
		{"tcp cut by the snaplen", layers.LinkTypeEthernet, eth(0x0800, ipv4(6, a1, a2, tcp(443, 5555, 0x10, nil)))[:14+20+10], "10.0.0.1", "10.0.0.2", 6, 443, "", -1, -1, "tcp: truncated"},
		{"tcp bad data offset", layers.LinkTypeEthernet, eth(0x0800, ipv4(6, a1, a2, cat(be16(22), be16(2222), be32(1), be32(2), []byte{3 << 4, 0x10}, be16(9), be32(0)))), "10.0.0.1", "10.0.0.2", 6, 22, "", -1, -1, "tcp: malformed header"},
		{"ipv4 bad header length", layers.LinkTypeEthernet, eth(0x0800, []byte{0x41, 0, 0, 20, 0, 0, 0, 0, 64, 6, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8}), "", "", 0, -1, "", -1, -1, "ipv4: malformed header"},
		{"fddi (10), llc/snap", layers.LinkTypeFDDI, cat([]byte{0x50, 0xaa, 0, 4, 0, 0x82, 0xa7, 0xaa, 0, 4, 0, 0x83, 0xa7, 0xaa, 0xaa, 3, 0, 0, 0}, be16(0x0800), inner),
			"192.168.1.1", "192.168.1.2", 6, 1234, "", -1, -1, ""},
		{"fddi, other llc", layers.LinkTypeFDDI, cat(make([]byte, 13), []byte{0x42, 0x42, 3}, inner), "", "", 0, -1, "", -1, -1, ""},
		{"fddi truncated", layers.LinkTypeFDDI, make([]byte, 12), "", "", 0, -1, "", -1, -1, "fddi: truncated"},
		{"fabricpath, then a vlan", layers.LinkTypeEthernet, eth(0x8903, cat([]byte{0x80, 0x3f}, eth(0x8100, cat(be16(30), be16(0x0800), inner)))),
			"192.168.1.1", "192.168.1.2", 6, 1234, "", -1, 30, ""},
		{"fabricpath truncated", layers.LinkTypeEthernet, eth(0x8903, []byte{0x80}), "", "", 0, -1, "", -1, -1, "fabricpath: truncated"},
		{"unknown link type", 284, inner, "", "", 0, -1, "", -1, -1, "link: unsupported link type"},

		// VN-Tag (0x8926): 4 bytes, then the next EtherType.
		{"vntag", layers.LinkTypeEthernet, eth(0x8926, cat(be32(0x33), be16(0x0800), inner)), "192.168.1.1", "192.168.1.2", 6, 1234, "", -1, -1, ""},
		{"vntag in vlan sandwich", layers.LinkTypeEthernet, eth(0x8100, cat(be16(250), be16(0x8926), be32(0x33), be16(0x8100), be16(250), be16(0x0800), inner)),
			"192.168.1.1", "192.168.1.2", 6, 1234, "", -1, 250, ""},
		{"vntag truncated", layers.LinkTypeEthernet, eth(0x8100, cat(be16(250), be16(0x8926), be32(0x33), []byte{0x08})), "", "", 0, -1, "", -1, 250, "vntag: truncated"},

		// PBB (802.1ah): an I-TAG, then the customer's Ethernet frame.
		{"pbb after an s-tag", layers.LinkTypeEthernet, eth(0x88a8, cat(be16(100), be16(0x88e7), be32(0x00012345), eth(0x0800, inner))),
			"192.168.1.1", "192.168.1.2", 6, 1234, "pbb", 0x12345, 100, ""},
		{"pbb, then a c-tag", layers.LinkTypeEthernet, eth(0x88e7, cat(be32(0x40abcdef), eth(0x8100, cat(be16(7), be16(0x86dd), ipv6(17, udp(5353, 53, nil)))))),
			"2001:db8::1", "2001:db8::2", 17, 5353, "pbb", 0xabcdef, 7, ""},
		{"pbb truncated", layers.LinkTypeEthernet, eth(0x88e7, cat(be32(0x00012345), eth(0x0800, nil)[:13])), "", "", 0, -1, "", -1, -1, "pbb: truncated"},

		// ERSPAN type III: GRE 0x22eb, 12 bytes (+8 with the O flag), Ethernet.
		{"erspan iii", layers.LinkTypeEthernet, eth(0x0800, ipv4(47, a1, a2, gre0(0x22eb, true, cat(erspan3(0x155, false), eth(0x0800, inner))))),
			"192.168.1.1", "192.168.1.2", 6, 1234, "erspan", 0x155, -1, ""},
		{"erspan iii with subheader", layers.LinkTypeEthernet, eth(0x0800, ipv4(47, a1, a2, gre0(0x22eb, true, cat(erspan3(7, true), eth(0x0800, inner))))),
			"192.168.1.1", "192.168.1.2", 6, 1234, "erspan", 7, -1, ""},
		{"erspan iii, ip frame type", layers.LinkTypeEthernet, eth(0x0800, ipv4(47, a1, a2, gre0(0x22eb, true, cat(erspan3(9, false)[:10], []byte{0x88, 0x30}, inner)))),
			"192.168.1.1", "192.168.1.2", 6, 1234, "erspan", 9, -1, ""},
		{"erspan iii truncated", layers.LinkTypeEthernet, eth(0x0800, ipv4(47, a1, a2, gre0(0x22eb, true, erspan3(7, false)[:11]))),
			"10.0.0.1", "10.0.0.2", 47, -1, "gre", -1, -1, "erspan: truncated"},
		{"erspan iii subheader truncated", layers.LinkTypeEthernet, eth(0x0800, ipv4(47, a1, a2, gre0(0x22eb, true, erspan3(7, true)[:16]))),
			"10.0.0.1", "10.0.0.2", 47, -1, "gre", -1, -1, "erspan: truncated"},

		// Aruba GRE: 802.11 frames, an A-MSDU's first subframe decoded.
		{"aruba gre, a-msdu", layers.LinkTypeEthernet, eth(0x0800, ipv4(47, a1, a2, gre0(0x8240, false,
			dot11QoS(true, cat(amsduSub(llcSNAP(0x0800, inner), true), amsduSub(llcSNAP(0x0800, ipv4(17, a2, a1, udp(1, 2, nil))), false)))))),
			"192.168.1.1", "192.168.1.2", 6, 1234, "gre", -1, -1, ""},
		{"aruba gre (0x9000), qos data", layers.LinkTypeEthernet, eth(0x0800, ipv4(47, a1, a2, gre0(0x9000, false, dot11QoS(false, llcSNAP(0x0800, inner))))),
			"192.168.1.1", "192.168.1.2", 6, 1234, "gre", -1, -1, ""},
		{"a-msdu subframe too short", layers.LinkTypeEthernet, eth(0x0800, ipv4(47, a1, a2, gre0(0x8200, false,
			dot11QoS(true, cat([]byte{2, 2, 2, 2, 2, 2, 4, 4, 4, 4, 4, 4}, be16(6), llcSNAP(0x0800, inner)))))),
			"10.0.0.1", "10.0.0.2", 47, -1, "gre", -1, -1, "802.11: malformed a-msdu subframe"},
		{"a-msdu truncated", layers.LinkTypeEthernet, eth(0x0800, ipv4(47, a1, a2, gre0(0x8370, false, dot11QoS(true, make([]byte, 20))))),
			"10.0.0.1", "10.0.0.2", 47, -1, "gre", -1, -1, "802.11: truncated"},

		// AYIYA (UDP 5072): 8 bytes, identity, signature, then IPv6 or IPv4.
		{"ayiya, ipv6", layers.LinkTypeEthernet, eth(0x0800, ipv4(17, a1, a2, udp(53859, 5072, ayiya(1, 41, ipv6(6, tcp(53382, 80, 2, nil)))))),
			"2001:db8::1", "2001:db8::2", 6, 53382, "ayiya", -1, -1, ""},
		{"ayiya, ipv4", layers.LinkTypeEthernet, eth(0x0800, ipv4(17, a1, a2, udp(5072, 40000, ayiya(1, 4, inner)))),
			"192.168.1.1", "192.168.1.2", 6, 1234, "ayiya", -1, -1, ""},
		{"ayiya heartbeat", layers.LinkTypeEthernet, eth(0x0800, ipv4(17, a1, a2, udp(53859, 5072, ayiya(0, 59, nil)))),
			"10.0.0.1", "10.0.0.2", 17, 53859, "", -1, -1, ""},
		{"ayiya truncated", layers.LinkTypeEthernet, eth(0x0800, ipv4(17, a1, a2, udp(53859, 5072, ayiya(1, 41, nil)[:30]))),
			"10.0.0.1", "10.0.0.2", 17, 53859, "", -1, -1, "ayiya: truncated"},
		{"ayiya short", layers.LinkTypeEthernet, eth(0x0800, ipv4(17, a1, a2, udp(53859, 5072, []byte{0x41, 0x52, 0x11, 0x29, 0}))),
			"10.0.0.1", "10.0.0.2", 17, 53859, "", -1, -1, "ayiya: truncated"},

		// GRE in UDP (port 4754, RFC 8086).
		{"gre in udp", layers.LinkTypeEthernet, eth(0x0800, ipv4(17, a1, a2, udp(50000, 4754, gre0(0x0800, false, inner)))),
			"192.168.1.1", "192.168.1.2", 6, 1234, "gre", -1, -1, ""},
		{"gre in udp with key, ipv6", layers.LinkTypeEthernet, eth(0x0800, ipv4(17, a1, a2, udp(50000, 4754, cat([]byte{0x20, 0}, be16(0x86dd), be32(9), ipv6(17, udp(7, 8, nil)))))),
			"2001:db8::1", "2001:db8::2", 17, 7, "gre", 9, -1, ""},
		{"gre in udp truncated", layers.LinkTypeEthernet, eth(0x0800, ipv4(17, a1, a2, udp(50000, 4754, []byte{0x20, 0, 0x08, 0, 0, 0}))),
			"10.0.0.1", "10.0.0.2", 17, 50000, "", -1, -1, "gre: malformed"},

		// Teredo on another port than 3544, recognized by content.
		{"teredo on another port", layers.LinkTypeEthernet, eth(0x0800, ipv4(17, a1, a2, udp(32900, 3797, ipv6From(58, googleV6, teredoClient, []byte{129, 0, 0, 0, 0xd3, 0x73, 0xb6, 0x9b})))),
			"2001:4860:0:2001::68", "2001:0:4137:9e50:8000:f12a:b9c8:2815", 58, -1, "teredo", -1, -1, ""},
		{"teredo on another port, origin indication", layers.LinkTypeEthernet, eth(0x0800, ipv4(17, a1, a2, udp(32900, 3797,
			cat([]byte{0, 0, 0xf1, 0x2a}, be32(0xb9c82815), ipv6From(6, teredoClient, googleV6, tcp(1286, 80, 2, nil)))))),
			"2001:0:4137:9e50:8000:f12a:b9c8:2815", "2001:4860:0:2001::68", 6, 1286, "teredo", -1, -1, ""},
		{"teredo bubble with payload on another port", layers.LinkTypeEthernet, eth(0x0800, ipv4(17, a1, a2, udp(3797, 32900, cat(ipv6From(59, teredoClient, googleV6, nil), []byte{1, 2, 3, 4})))),
			"2001:0:4137:9e50:8000:f12a:b9c8:2815", "2001:4860:0:2001::68", 59, -1, "teredo", -1, -1, ""},
		{"teredo-like, payload length off by one", layers.LinkTypeEthernet, eth(0x0800, ipv4(17, a1, a2, udp(3797, 32900, cat(ipv6From(17, teredoClient, googleV6, udp(1, 2, nil)), []byte{0})))),
			"10.0.0.1", "10.0.0.2", 17, 3797, "", -1, -1, ""},
		{"teredo-like, no teredo address", layers.LinkTypeEthernet, eth(0x0800, ipv4(17, a1, a2, udp(3797, 32900, ipv6From(17, docV6a, docV6b, udp(1, 2, nil))))),
			"10.0.0.1", "10.0.0.2", 17, 3797, "", -1, -1, ""},
		{"teredo-like, next header 0", layers.LinkTypeEthernet, eth(0x0800, ipv4(17, a1, a2, udp(3797, 32900, ipv6From(0, teredoClient, googleV6, make([]byte, 8))))),
			"10.0.0.1", "10.0.0.2", 17, 3797, "", -1, -1, ""},

		// Link types: Cisco HDLC (104) and NFLOG (239).
		{"cisco hdlc (104)", layers.LinkTypeC_HDLC, cat([]byte{0x0f, 0}, be16(0x0800), inner), "192.168.1.1", "192.168.1.2", 6, 1234, "", -1, -1, ""},
		{"cisco hdlc, ipv6", layers.LinkTypeC_HDLC, cat([]byte{0x8f, 0}, be16(0x86dd), ipv6(17, udp(7, 8, nil))), "2001:db8::1", "2001:db8::2", 17, 7, "", -1, -1, ""},
		{"cisco hdlc truncated", layers.LinkTypeC_HDLC, []byte{0x0f, 0, 0x08}, "", "", 0, -1, "", -1, -1, "chdlc: truncated"},
		{"nflog (239)", 239, cat([]byte{2, 0, 0, 5}, nflogTLV(1, []byte{0x08, 0, 3, 0}), nflogTLV(10, []byte("drop\x00")), nflogTLV(9, inner)),
			"192.168.1.1", "192.168.1.2", 6, 1234, "", -1, -1, ""},
		{"nflog, ipv6, payload unpadded", 239, cat([]byte{10, 0, 0, 0}, nflogTLV(9, ipv6(17, udp(7, 8, []byte{1})))[:4+40+9]), "2001:db8::1", "2001:db8::2", 17, 7, "", -1, -1, ""},
		{"nflog without payload", 239, cat([]byte{2, 0, 0, 0}, nflogTLV(1, []byte{0x08, 0, 3, 0})), "", "", 0, -1, "", -1, -1, ""},
		{"nflog truncated", 239, []byte{2, 0, 0}, "", "", 0, -1, "", -1, -1, "nflog: truncated"},
		{"nflog tlv too short", 239, cat([]byte{2, 0, 0, 0}, []byte{2, 0, 9, 0}, inner), "", "", 0, -1, "", -1, -1, "nflog: malformed tlv"},
		{"nflog tlv beyond the data", 239, cat([]byte{2, 0, 0, 0}, []byte{200, 0, 1, 0, 1, 2}), "", "", 0, -1, "", -1, -1, "nflog: truncated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var d parsers.Decoder
			var r parsers.PacketRow
			p := capture.Packet{Data: tc.data, CapLen: uint32(len(tc.data)), Length: uint32(len(tc.data)), LinkType: tc.link, Frame: 1}
			d.Decode(&p, &r)
			got := func(col int, s string) string {
				if !r.Has(col) {
					return ""
				}
				return s
			}
			if g := got(parsers.ColSrcIP, r.SrcIP.String()); g != tc.src {
				t.Errorf("src %q, want %q", g, tc.src)
			}
			if g := got(parsers.ColDstIP, r.DstIP.String()); g != tc.dst {
				t.Errorf("dst %q, want %q", g, tc.dst)
			}
			if tc.src != "" && r.IPProto != tc.proto {
				t.Errorf("proto %d, want %d", r.IPProto, tc.proto)
			}
			if sp := int(r.SrcPort); !r.Has(parsers.ColSrcPort) && tc.sport != -1 || r.Has(parsers.ColSrcPort) && sp != tc.sport {
				t.Errorf("src port %d (present %v), want %d", sp, r.Has(parsers.ColSrcPort), tc.sport)
			}
			if g := got(parsers.ColTunnel, r.Tunnel); g != tc.tunnel {
				t.Errorf("tunnel %q, want %q", g, tc.tunnel)
			}
			if id := int64(r.TunnelID); r.Has(parsers.ColTunnelID) != (tc.tunnelID >= 0) || r.Has(parsers.ColTunnelID) && id != tc.tunnelID {
				t.Errorf("tunnel id %d (present %v), want %d", id, r.Has(parsers.ColTunnelID), tc.tunnelID)
			}
			if v := int(r.VLAN); r.Has(parsers.ColVLAN) != (tc.vlan >= 0) || r.Has(parsers.ColVLAN) && v != tc.vlan {
				t.Errorf("vlan %d, want %d", v, tc.vlan)
			}
			if g := got(parsers.ColDecodeError, r.DecodeError); g != tc.err {
				t.Errorf("decode_error %q, want %q", g, tc.err)
			}
		})
	}
}

// TestEncapsulationsZeroAllocs: decoding the headers of
// encapsulationSeeds (which no capture of TestZeroAllocs has) allocates
// nothing either.
func TestEncapsulationsZeroAllocs(t *testing.T) {
	var d parsers.Decoder
	var r parsers.PacketRow
	for _, s := range encapsulationSeeds() {
		p := capture.Packet{Data: s.data, CapLen: uint32(len(s.data)), Length: uint32(len(s.data)), LinkType: s.lt, Frame: 1}
		if n := testing.AllocsPerRun(10, func() { d.Decode(&p, &r) }); n != 0 {
			t.Errorf("link type %d, % x...: %.1f allocations per packet, want 0", s.lt, s.data[:min(len(s.data), 24)], n)
		}
		if !r.Has(parsers.ColSrcIP) || r.DecodeError != "" {
			t.Errorf("link type %d, % x...: not decoded (%q)", s.lt, s.data[:min(len(s.data), 24)], r.DecodeError)
		}
	}
}

// TestDecodeTCP checks the hand-decoded TCP header: every field, the
// payload after options, and the failures layers.TCP had.
func TestDecodeTCP(t *testing.T) {
	opts := []byte{2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7} // MSS, NOP, NOP, SACK-ok, NOP, WS
	hdr := func(off byte, flagsHi, flags byte, o []byte) []byte {
		return cat(be16(443), be16(50000), be32(0xdeadbeef), be32(0x01020304), []byte{off<<4 | flagsHi, flags}, be16(65535), be16(0), be16(0), o)
	}
	for _, tc := range []struct {
		name    string
		seg     []byte
		payload string
		flags   uint16
		err     string
	}{
		{"options and payload", cat(hdr(8, 0, 0x18, opts), []byte("hello")), "hello", 0x18, ""},
		{"ns bit", hdr(5, 1, 0x12, nil), "", 0x112, ""},
		{"data offset beyond the segment", hdr(15, 0, 0x10, nil), "", 0, "tcp: malformed header"},
		{"data offset under 5", hdr(4, 0, 0x10, nil), "", 0, "tcp: malformed header"},
		{"19 bytes", hdr(5, 0, 0x10, nil)[:19], "", 0, "tcp: truncated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := eth(0x0800, ipv4(6, a1, a2, tc.seg))
			var d parsers.Decoder
			var r parsers.PacketRow
			p := capture.Packet{Data: data, CapLen: uint32(len(data)), Length: uint32(len(data)), LinkType: layers.LinkTypeEthernet, Frame: 1}
			d.Decode(&p, &r)
			if r.SrcPort != 443 || r.DstPort != 50000 || !r.Has(parsers.ColSrcPort) {
				t.Errorf("ports %d %d", r.SrcPort, r.DstPort)
			}
			if r.DecodeError != tc.err {
				t.Fatalf("decode error %q, want %q", r.DecodeError, tc.err)
			}
			if tc.err != "" {
				if r.Has(parsers.ColTCPSeq) || r.Has(parsers.ColPayloadLen) {
					t.Error("a failed header has sequence or payload columns")
				}
				return
			}
			if r.TCPSeq != 0xdeadbeef || r.TCPAck != 0x01020304 || r.TCPWin != 65535 || r.TCPFlags != tc.flags {
				t.Errorf("seq %#x ack %#x win %d flags %#x", r.TCPSeq, r.TCPAck, r.TCPWin, r.TCPFlags)
			}
			if string(r.Payload) != tc.payload || r.PayloadLen != uint32(len(tc.payload)) {
				t.Errorf("payload %q (%d), want %q", r.Payload, r.PayloadLen, tc.payload)
			}
			if len(r.L4) != len(tc.seg) {
				t.Errorf("l4 %d bytes, want %d", len(r.L4), len(tc.seg))
			}
		})
	}
}
