package beacongen

import (
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"time"
)

// packet is one Ethernet frame and its capture time (ns since the epoch).
type packet struct {
	ts   int64
	data []byte
}

// gen holds the packets written so far and the random source.
type gen struct {
	rng        *rand.Rand
	start, end int64 // capture span, ns
	pkts       []packet
	ipID       uint16
}

// Well-known addresses of the simulated network.
var (
	gatewayMAC = [6]byte{0x02, 0x00, 0x5e, 0x00, 0x00, 0x01}
	resolver   = netip.MustParseAddr("10.0.0.53")
)

// mac is the Ethernet address of a on the local segment: its own for an
// internal host, the multicast or broadcast mapping, else the gateway's.
func mac(a netip.Addr) [6]byte {
	b := a.As4()
	switch {
	case a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return [6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	case a.IsMulticast():
		return [6]byte{0x01, 0x00, 0x5e, b[1] & 0x7f, b[2], b[3]}
	case b[0] == 10:
		return [6]byte{0x02, 0x42, b[0], b[1], b[2], b[3]}
	}
	return gatewayMAC
}

// csum is the Internet checksum of b, starting from sum.
func csum(sum uint32, b []byte) uint16 {
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}

// emit writes an IPv4 packet of protocol proto carrying l4 (whose
// checksum field, at ckOff, is filled here) at ts.
func (g *gen) emit(ts int64, src, dst netip.Addr, proto uint8, l4 []byte, ckOff int) {
	s4, d4 := src.As4(), dst.As4()
	var pseudo uint32
	pseudo += uint32(binary.BigEndian.Uint16(s4[0:])) + uint32(binary.BigEndian.Uint16(s4[2:]))
	pseudo += uint32(binary.BigEndian.Uint16(d4[0:])) + uint32(binary.BigEndian.Uint16(d4[2:]))
	pseudo += uint32(proto) + uint32(len(l4))
	ck := csum(pseudo, l4)
	if proto == 17 && ck == 0 {
		ck = 0xffff
	}
	binary.BigEndian.PutUint16(l4[ckOff:], ck)

	b := make([]byte, 14+20, 14+20+len(l4))
	dm, sm := mac(dst), mac(src)
	copy(b[0:6], dm[:])
	copy(b[6:12], sm[:])
	binary.BigEndian.PutUint16(b[12:], 0x0800)
	ip := b[14:34]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(20+len(l4)))
	g.ipID++
	binary.BigEndian.PutUint16(ip[4:], g.ipID)
	ip[6] = 0x40 // don't fragment
	ip[8] = 64
	if !src.IsPrivate() {
		ip[8] = 50 + byte(g.rng.IntN(8))
	}
	if dst.IsMulticast() {
		ip[8] = 1
	}
	ip[9] = proto
	copy(ip[12:16], s4[:])
	copy(ip[16:20], d4[:])
	binary.BigEndian.PutUint16(ip[10:], csum(0, ip))
	g.pkts = append(g.pkts, packet{ts: ts, data: append(b, l4...)})
}

// udp writes one UDP datagram at ts.
func (g *gen) udp(ts int64, src, dst netip.Addr, sport, dport uint16, payload []byte) {
	l4 := make([]byte, 8, 8+len(payload))
	binary.BigEndian.PutUint16(l4[0:], sport)
	binary.BigEndian.PutUint16(l4[2:], dport)
	binary.BigEndian.PutUint16(l4[4:], uint16(8+len(payload)))
	g.emit(ts, src, dst, 17, append(l4, payload...), 6)
}

// TCP flags.
const (
	fin = 0x01
	syn = 0x02
	psh = 0x08
	ack = 0x10
)

// segment writes one TCP segment at ts.
func (g *gen) segment(ts int64, src, dst netip.Addr, sport, dport uint16, seq, ackn uint32, flags byte, payload []byte) {
	hl := 20
	if flags&syn != 0 {
		hl = 24 // MSS option
	}
	l4 := make([]byte, hl, hl+len(payload))
	binary.BigEndian.PutUint16(l4[0:], sport)
	binary.BigEndian.PutUint16(l4[2:], dport)
	binary.BigEndian.PutUint32(l4[4:], seq)
	if flags&ack != 0 {
		binary.BigEndian.PutUint32(l4[8:], ackn)
	}
	l4[12] = byte(hl/4) << 4
	l4[13] = flags
	binary.BigEndian.PutUint16(l4[14:], 64240)
	if hl == 24 {
		copy(l4[20:], []byte{2, 4, 0x05, 0xb4}) // MSS 1460
	}
	g.emit(ts, src, dst, 6, append(l4, payload...), 16)
}

// ephemeral is a random client port.
func (g *gen) ephemeral() uint16 { return uint16(49152 + g.rng.IntN(16384)) }

// ms is d milliseconds in ns, as int64.
func ms(d float64) int64 { return int64(d * float64(time.Millisecond)) }
