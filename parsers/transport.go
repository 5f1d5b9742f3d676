package parsers

import "encoding/binary"

// The transport layer: what follows an IP header (or an IPv6 extension
// header), dispatched on row.IPProto. TCP, UDP, SCTP and ICMP end the
// decoding (UDP unless it carries a tunnel, tunnel.go); IP in IP, GRE and
// IPv6 extension headers go on; anything else is payload.

// decodeTransport decodes the header after an IP header (or an extension
// header) and returns the next step: a tunnel, an extension header, or
// stDone.
func (d *Decoder) decodeTransport(row *PacketRow, c *cursor) step {
	switch row.IPProto {
	case 6:
		return d.decodeTCP(row, c)
	case 17:
		return d.decodeUDP(row, c)
	case 132:
		return d.decodeSCTP(row, c)
	case 1:
		return d.decodeICMPv4(row, c)
	case 58:
		return d.decodeICMPv6(row, c)
	case 4: // IPv4 in IP
		row.setTunnel("ipip", 0, false)
		return stIPv4
	case 41: // IPv6 in IP
		row.setTunnel("ipip", 0, false)
		return stIPv6
	case 47:
		return stGRE
	case 0, 43, 60, 135, 139, 140, 253, 254: // IPv6 extension headers
		if row.IPVersion == 6 {
			return stIPv6Ext
		}
	case 44:
		if row.IPVersion == 6 {
			return stIPv6Frag
		}
	}
	row.PayloadLen = uint32(max(c.ipPayload, 0))
	row.Set(ColPayloadLen)
	row.Payload = clip(c.data, int(row.PayloadLen))
	return stDone
}

// tcpDataOffset is the TCP header's length in bytes, or -1 when data
// holds less than the fixed 20 bytes.
func tcpDataOffset(data []byte) int {
	if len(data) < 20 {
		return -1
	}
	return int(data[12]>>4) * 4
}

// decodeTCP decodes the fixed TCP header by hand, not with layers.TCP: it
// also parsed the options, which no column uses (allocating for MPTCP
// ones), and was 9% of the decoding goroutine's time. It fails where
// layers.TCP did: under 20 bytes, a data offset under 5 words or beyond
// the bytes there.
func (d *Decoder) decodeTCP(row *PacketRow, c *cursor) step {
	data := c.data
	off := tcpDataOffset(data)
	if off < 20 || off > len(data) {
		// A header cut by the snaplen, or with a bad data offset: keep
		// the ports if they are there, as tshark does.
		setPorts(row, data)
		if len(data) < 20 {
			row.fail(errTCPTrunc)
		} else {
			row.fail(errTCPBad)
		}
		return stDone
	}
	row.L4 = clip(data, c.ipPayload)
	row.SrcPort = binary.BigEndian.Uint16(data)
	row.DstPort = binary.BigEndian.Uint16(data[2:])
	row.TCPSeq = binary.BigEndian.Uint32(data[4:])
	row.TCPAck = binary.BigEndian.Uint32(data[8:])
	row.TCPFlags = binary.BigEndian.Uint16(data[12:]) & 0x0fff
	row.TCPWin = binary.BigEndian.Uint16(data[14:])
	row.PayloadLen = uint32(max(c.ipPayload-off, 0))
	row.Payload = clip(data[off:], int(row.PayloadLen))
	row.has |= 1<<ColSrcPort | 1<<ColDstPort | 1<<ColTCPFlags | 1<<ColTCPSeq | 1<<ColTCPAck |
		1<<ColTCPWin | 1<<ColPayloadLen
	return stDone
}

// setPorts keeps the ports of a TCP or UDP header that does not decode,
// when its first 4 bytes are there.
func setPorts(row *PacketRow, data []byte) {
	if len(data) >= 4 {
		row.SrcPort = binary.BigEndian.Uint16(data)
		row.DstPort = binary.BigEndian.Uint16(data[2:])
		row.has |= 1<<ColSrcPort | 1<<ColDstPort
	}
}

// decodeUDP decodes a UDP header, and goes on with the tunnel its payload
// may be.
func (d *Decoder) decodeUDP(row *PacketRow, c *cursor) step {
	if err := d.udp.DecodeFromBytes(c.data, d); err != nil {
		setPorts(row, c.data)
		row.fail(errUDPTrunc)
		return stDone
	}
	u := &d.udp
	row.L4 = clip(c.data, c.ipPayload)
	row.SrcPort, row.DstPort = uint16(u.SrcPort), uint16(u.DstPort)
	row.PayloadLen = uint32(max(c.ipPayload-8, 0))
	row.Payload = clip(u.Payload, int(row.PayloadLen))
	row.has |= 1<<ColSrcPort | 1<<ColDstPort | 1<<ColPayloadLen
	c.data = u.Payload
	return d.udpTunnel(row, c)
}

// decodeSCTP decodes an SCTP common header (its chunks are payload).
func (d *Decoder) decodeSCTP(row *PacketRow, c *cursor) step {
	if err := d.sctp.DecodeFromBytes(c.data, d); err != nil {
		row.fail(errSCTPTrunc)
		return stDone
	}
	row.SrcPort, row.DstPort = uint16(d.sctp.SrcPort), uint16(d.sctp.DstPort)
	row.PayloadLen = uint32(max(c.ipPayload-12, 0))
	row.Payload = clip(d.sctp.Payload, int(row.PayloadLen))
	row.has |= 1<<ColSrcPort | 1<<ColDstPort | 1<<ColPayloadLen
	return stDone
}

// decodeICMPv4 decodes an ICMP header's type and code.
func (d *Decoder) decodeICMPv4(row *PacketRow, c *cursor) step {
	if err := d.icmp4.DecodeFromBytes(c.data, d); err != nil {
		row.fail(errICMPTrunc)
		return stDone
	}
	row.ICMPType, row.ICMPCode = d.icmp4.TypeCode.Type(), d.icmp4.TypeCode.Code()
	row.PayloadLen = uint32(max(c.ipPayload-8, 0))
	row.Payload = clip(d.icmp4.Payload, int(row.PayloadLen))
	row.has |= 1<<ColICMPType | 1<<ColICMPCode | 1<<ColPayloadLen
	return stDone
}

// decodeICMPv6 decodes an ICMPv6 header's type and code.
func (d *Decoder) decodeICMPv6(row *PacketRow, c *cursor) step {
	if err := d.icmp6.DecodeFromBytes(c.data, d); err != nil {
		row.fail(errICMPv6Trunc)
		return stDone
	}
	row.ICMPType, row.ICMPCode = d.icmp6.TypeCode.Type(), d.icmp6.TypeCode.Code()
	row.PayloadLen = uint32(max(c.ipPayload-8, 0)) // after the 8-byte header, as ICMPv4's (and Zeek's)
	row.Payload = clip(d.icmp6.Payload[min(4, len(d.icmp6.Payload)):], int(row.PayloadLen))
	row.has |= 1<<ColICMPType | 1<<ColICMPCode | 1<<ColPayloadLen
	return stDone
}
