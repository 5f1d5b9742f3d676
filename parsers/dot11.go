package parsers

import "encoding/binary"

// The wireless link layers: a radiotap header, then an 802.11 MAC header
// whose data frames carry an LLC/SNAP header and a network packet (or,
// in an A-MSDU, several).

const (
	llcSNAPLen             = 8    // DSAP, SSAP, control, OUI, EtherType
	qosAMSDU               = 0x80 // QoS control: the frame is an A-MSDU
	amsduSubframeHeaderLen = 14   // destination, source, length
	amsduLenOff            = 12   // the subframe's length (big-endian): LLC/SNAP and packet
)

// decodeRadiotap skips a radiotap header, and the frame check sequence it
// may announce at the end of the frame, up to the 802.11 header.
func (d *Decoder) decodeRadiotap(row *PacketRow, c *cursor) step {
	data := c.data
	if len(data) < 8 {
		row.fail(errRadiotapBad)
		return stDone
	}
	hl := int(binary.LittleEndian.Uint16(data[2:]))
	if hl < 8 || hl > len(data) {
		row.fail(errRadiotapBad)
		return stDone
	}
	if radiotapFCS(data[:hl]) && len(data)-hl >= 4 {
		c.data = data[hl : len(data)-4]
	} else {
		c.data = data[hl:]
	}
	return stDot11
}

// radiotapFCS reports whether a radiotap header says the frame ends with an FCS.
func radiotapFCS(h []byte) bool {
	present := binary.LittleEndian.Uint32(h[4:])
	off := 8
	for p := present; p&(1<<31) != 0; { // extended presence bitmaps
		if off+4 > len(h) {
			return false
		}
		p = binary.LittleEndian.Uint32(h[off:])
		off += 4
	}
	if present&(1<<1) == 0 { // no Flags field
		return false
	}
	if present&1 != 0 { // TSFT: 8 bytes, 8-aligned
		off = (off+7)&^7 + 8
	}
	return off < len(h) && h[off]&0x10 != 0
}

// decodeDot11 decodes an 802.11 MAC header and, for data frames, the
// LLC/SNAP header, setting row.EthType; it stops at frames that carry no
// decodable network packet.
func (d *Decoder) decodeDot11(row *PacketRow, c *cursor) step {
	p, ok := dot11(c.data, row)
	if !ok {
		return stDone
	}
	c.data = p
	return stEtherType
}

// dot11 decodes an 802.11 MAC header and, for data frames, the LLC/SNAP
// header. It returns the payload after the EtherType, or false when the
// frame carries no decodable network packet.
func dot11(data []byte, row *PacketRow) ([]byte, bool) {
	if len(data) < 10 {
		row.fail(errDot11Trunc)
		return nil, false
	}
	fc0, flags := data[0], data[1]
	if (fc0>>2)&3 != 2 { // not a data frame
		return nil, false
	}
	subtype := fc0 >> 4
	if len(data) < 24 {
		row.fail(errDot11Trunc)
		return nil, false
	}
	a1, a2, a3 := data[4:10], data[10:16], data[16:22]
	toDS, fromDS := flags&1 != 0, flags&2 != 0
	hl := 24
	var sa, da []byte
	switch {
	case !toDS && !fromDS:
		da, sa = a1, a2
	case toDS && !fromDS:
		da, sa = a3, a2
	case !toDS && fromDS:
		da, sa = a1, a3
	default:
		if len(data) < 30 {
			row.fail(errDot11Trunc)
			return nil, false
		}
		da, sa = a3, data[24:30]
		hl = 30
	}
	copy(row.EthSrc[:], sa)
	copy(row.EthDst[:], da)
	row.Set(ColEthSrc)
	row.Set(ColEthDst)
	// qos is the offset of the QoS control field, -1 without one.
	qos := -1
	if subtype&0x8 != 0 { // QoS data
		qos = hl
		hl += 2
		if flags&0x80 != 0 { // +HTC
			hl += 4
		}
	}
	if subtype&0x4 != 0 || flags&0x40 != 0 { // null data, or protected
		return nil, false
	}
	if len(data) < hl+llcSNAPLen {
		row.fail(errDot11Trunc)
		return nil, false
	}
	p := data[hl:]
	if qos >= 0 && data[qos]&qosAMSDU != 0 {
		// An A-MSDU: subframes of destination, source, length, then
		// LLC/SNAP and the packet, each padded to 4 bytes. The row is the
		// first subframe's packet (one row per captured frame); the others
		// are not decoded.
		if len(p) < amsduSubframeHeaderLen+llcSNAPLen {
			row.fail(errDot11Trunc)
			return nil, false
		}
		n := int(binary.BigEndian.Uint16(p[amsduLenOff:]))
		if n < llcSNAPLen {
			row.fail(errAMSDUBad)
			return nil, false
		}
		copy(row.EthDst[:], p[0:6])
		copy(row.EthSrc[:], p[6:12])
		p = clip(p[amsduSubframeHeaderLen:], n)
	}
	if p[0] != 0xaa || p[1] != 0xaa || p[2] != 0x03 {
		return nil, false
	}
	row.EthType = binary.BigEndian.Uint16(p[6:])
	row.Set(ColEthType)
	return p[llcSNAPLen:], true
}
