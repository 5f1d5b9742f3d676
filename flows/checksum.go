package flows

import (
	"encoding/binary"

	"github.com/gopacket/gopacket"

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
	// the pseudo-header: addresses, protocol, segment length; the sum
	// over it and the segment (its checksum included) folds to 0 when valid
	var pseudo [36]byte
	var p []byte
	if r.SrcIP.Is4() {
		a, d := r.SrcIP.As4(), r.DstIP.As4()
		p = append(append(pseudo[:0], a[:]...), d[:]...)
	} else {
		a, d := r.SrcIP.As16(), r.DstIP.As16()
		p = append(append(pseudo[:0], a[:]...), d[:]...)
	}
	p = binary.BigEndian.AppendUint16(append(p, 0, r.IPProto), uint16(len(b)))
	return gopacket.FoldChecksum(gopacket.ComputeChecksum(b, gopacket.ComputeChecksum(p, 0))) == 0, true
}
