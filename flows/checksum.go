package flows

import (
	"encoding/binary"

	"github.com/pcap2table/pcap2table/parsers"
)

// ChecksumOK verifies the TCP or UDP checksum of the row's segment
// (parsers.PacketRow.L4). checked is false when it cannot be verified: not
// TCP or UDP, the segment cut by the snap length, or a UDP checksum of 0
// (none sent).
func ChecksumOK(r *parsers.PacketRow) (ok, checked bool) {
	b := r.L4
	var want int
	switch r.IPProto {
	case 6:
		if len(b) < 20 {
			return false, false
		}
		want = int(b[12]>>4)*4 + int(r.PayloadLen)
	case 17:
		if len(b) < 8 || b[6] == 0 && b[7] == 0 {
			return false, false
		}
		want = 8 + int(r.PayloadLen)
	default:
		return false, false
	}
	if len(b) != want || !r.SrcIP.IsValid() || !r.DstIP.IsValid() {
		return false, false
	}
	// the pseudo-header: addresses, protocol, segment length
	var s uint64
	if r.SrcIP.Is4() {
		a, d := r.SrcIP.As4(), r.DstIP.As4()
		s = uint64(binary.BigEndian.Uint32(a[:])) + uint64(binary.BigEndian.Uint32(d[:]))
	} else {
		a, d := r.SrcIP.As16(), r.DstIP.As16()
		s = sum16(a[:], sum16(d[:], 0))
	}
	s += uint64(r.IPProto) + uint64(len(b))
	s = sum16(b, s)
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return s == 0xffff, true
}

// sum16 adds b to the ones' complement sum s, 32 bits at a time (folded
// later: 2^16 is 1 modulo 2^16-1).
func sum16(b []byte, s uint64) uint64 {
	for len(b) >= 8 {
		v := binary.BigEndian.Uint64(b)
		s += v>>32 + v&0xffffffff
		b = b[8:]
	}
	for len(b) >= 2 {
		s += uint64(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint64(b[0]) << 8
	}
	return s
}
