package flows

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"net/netip"
)

// CommunityIDLen is the length of a Community ID v1 string: "1:" and the
// base64 of a SHA-1 digest.
const CommunityIDLen = 30

// icmpCounterpart maps ICMP request/reply types to their counterpart, as
// the Community ID spec does (ICMPv4: echo, timestamp, information, router
// solicitation/advertisement, address mask).
var icmpCounterpart = counterparts(8, 0, 13, 14, 15, 16, 10, 9, 17, 18)

// icmp6Counterpart is the same for ICMPv6: echo, router and neighbor
// discovery, multicast listener query/report, who-are-you, and home agent
// address discovery.
var icmp6Counterpart = counterparts(128, 129, 133, 134, 135, 136, 130, 131, 139, 140, 144, 145)

// counterparts builds a lookup table from pairs of types (both ways);
// entry t is the counterpart of type t plus one, 0 when it has none.
func counterparts(pairs ...uint8) (t [256]uint16) {
	for i := 0; i < len(pairs); i += 2 {
		a, b := pairs[i], pairs[i+1]
		t[a], t[b] = uint16(b)+1, uint16(a)+1
	}
	return t
}

// ICMPPorts returns the port equivalents of an ICMP(v6) packet: its type,
// and the counterpart type (or, for a type without one, the code), and
// whether the message is one-way (it has no counterpart).
func ICMPPorts(v6 bool, typ, code uint8) (sport, dport uint16, oneWay bool) {
	m := &icmpCounterpart
	if v6 {
		m = &icmp6Counterpart
	}
	if c := m[typ]; c != 0 {
		return uint16(typ), c - 1, false
	}
	return uint16(typ), uint16(code), true
}

// AppendCommunityID appends the Community ID v1 of a flow tuple to dst.
// The tuple is ordered as the spec says (the smaller address and port
// first) unless oneWay; ports are hashed only if hasPorts (TCP, UDP, SCTP,
// ICMP, ICMPv6). For ICMP give the ports from ICMPPorts.
func AppendCommunityID(dst []byte, seed uint16, src, dstAddr netip.Addr, proto uint8, sport, dport uint16, hasPorts, oneWay bool) []byte {
	src, dstAddr = src.Unmap(), dstAddr.Unmap()
	if !oneWay && !lessEndpoint(src, sport, dstAddr, dport) {
		src, dstAddr, sport, dport = dstAddr, src, dport, sport
	}
	var buf [2 + 16 + 16 + 4 + 4]byte
	b := binary.BigEndian.AppendUint16(buf[:0], seed)
	b = appendAddrBytes(b, src)
	b = appendAddrBytes(b, dstAddr)
	b = append(b, proto, 0)
	if hasPorts {
		b = binary.BigEndian.AppendUint16(b, sport)
		b = binary.BigEndian.AppendUint16(b, dport)
	}
	sum := sha1.Sum(b)
	dst = append(dst, '1', ':')
	return base64.StdEncoding.AppendEncode(dst, sum[:])
}

// lessEndpoint reports whether (a, pa) sorts before (b, pb): by address
// bytes, then port.
func lessEndpoint(a netip.Addr, pa uint16, b netip.Addr, pb uint16) bool {
	if c := a.Compare(b); c != 0 {
		return c < 0
	}
	return pa < pb
}

// appendAddrBytes appends the 4 or 16 bytes of a in network order.
func appendAddrBytes(b []byte, a netip.Addr) []byte {
	if a.Is4() {
		x := a.As4()
		return append(b, x[:]...)
	}
	x := a.As16()
	return append(b, x[:]...)
}
