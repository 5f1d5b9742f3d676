package parsers

import "encoding/binary"

// The tunnels: GRE (and the ERSPAN or Aruba 802.11 frames it carries)
// after an IP header, and the UDP ones (VXLAN, Geneve, GTP-U, Teredo,
// AYIYA, GRE in UDP), recognized by port and content. Each sets the
// tunnel columns and goes on with the packet it carries; IP in IP is in
// decodeTransport.

// GRE protocol types decoded besides EtherTypes.
const (
	greProtoTEB     = 0x6558 // transparent Ethernet bridging
	greProtoERSPAN2 = 0x88be // ERSPAN type II (type I without a sequence number)
	greProtoERSPAN3 = 0x22eb // ERSPAN type III
	greProtoPPP     = 0x880b // PPP (PPTP's enhanced GRE)
	// Aruba access points tunnel 802.11 frames to their controller in
	// GRE with protocol types 0x8200, 0x8210, ... 0x8370, and 0x9000
	// (Wireshark's and Zeek's list).
	greProtoArubaFirst = 0x8200
	greProtoArubaLast  = 0x8370
	greProtoArubaStep  = 0x10
	greProtoAruba9000  = 0x9000
)

// ERSPAN type III header (draft-foschiano-erspan): 12 bytes, then an
// 8-byte platform-specific subheader when the O flag, the last bit of
// the 12, is set.
const (
	erspan3HeaderLen      = 12
	erspan3SubheaderLen   = 8
	erspan3OptFlag        = 0x01  // in the header's last byte
	erspan3FrameTypeOff   = 10    // the byte holding P (1 bit), FT (5 bits), then 2 bits of the hardware id
	erspan3FrameTypeShift = 2     // FT's place in that byte
	erspan3FrameTypeMask  = 0x1f  // FT's 5 bits
	erspan3FrameTypeIP    = 2     // FT: an IP packet follows; 0 is Ethernet
	erspanSessionOff      = 2     // offset of COS, BSO, T and the session id
	erspanSessionMask     = 0x3ff // the session id: the low 10 bits
)

// UDP tunnels: ports and headers.
const (
	udpPortVXLAN  = 4789
	udpPortGeneve = 6081
	udpPortGTPU   = 2152
	udpPortTeredo = 3544
	udpPortAYIYA  = 5072
	udpPortGRE    = 4754 // GRE in UDP (RFC 8086)

	// AYIYA (draft-massar-v6ops-ayiya): an 8-byte fixed header (identity
	// length 2^n and type, signature length 4*m and hash method,
	// authentication method and op code, next header, epoch), then the
	// identity and the signature.
	ayiyaHeaderLen   = 8
	ayiyaSigUnit     = 4 // bytes per unit of the signature length
	ayiyaOpMask      = 0x0f
	ayiyaOpForward   = 1 // the packet after the header is to forward
	ayiyaOpOff       = 2
	ayiyaNextOff     = 3
	ayiyaIDLenShift  = 4 // the identity is 2^(first byte's high nibble) bytes long
	ayiyaSigLenShift = 4 // the signature 4 * (second byte's high nibble)

	// IP protocol numbers: AYIYA's next header, and the ones a Teredo
	// packet recognized by content may carry.
	ipProtoIPv4   = 4
	ipProtoTCP    = 6
	ipProtoUDP    = 17
	ipProtoIPv6   = 41
	ipProtoICMPv6 = 58
	ipProtoNoNext = 59 // IPv6 no next header: a Teredo bubble
	ipProtoSCTP   = 132

	ipv6HeaderLen     = 40
	ipv6PayloadLenOff = 4
	ipv6NextOff       = 6
	ipv6SrcOff        = 8
	ipv6DstOff        = 24

	// Teredo (RFC 4380): optional authentication (0x0001 then the client
	// id and authentication lengths; 13 bytes besides them) and origin
	// indication (0x0000, 8 bytes) headers before the IPv6 packet.
	teredoAuthFixedLen = 13
	teredoOriginLen    = 8
	teredoPrefix       = 0x20010000         // 2001:0::/32
	linkLocalPrefix    = 0xfe80000000000000 // fe80::/64
)

// setTunnel records the tunnel that carried the packet, replacing an
// outer one.
func (r *PacketRow) setTunnel(name string, id uint32, hasID bool) {
	r.Tunnel = name
	r.Set(ColTunnel)
	if hasID {
		r.TunnelID = id
		r.Set(ColTunnelID)
	} else {
		r.Clear(ColTunnelID)
	}
}

// decodeGRE decodes a GRE header, and an ERSPAN type II header after it.
func (d *Decoder) decodeGRE(row *PacketRow, c *cursor) step {
	if err := d.gre.DecodeFromBytes(c.data, d); err != nil {
		row.fail(errGREBad)
		return stDone
	}
	g := &d.gre
	if g.Version == 1 {
		// enhanced GRE (PPTP, RFC 2637): the key field is the payload
		// length, then the call id of the peer the packet goes to
		row.setTunnel("pptp", g.Key&0xffff, g.KeyPresent)
	} else {
		row.setTunnel("gre", g.Key, g.KeyPresent)
	}
	c.data = g.Payload
	switch g.Protocol {
	case greProtoTEB:
		return stEthernet
	case greProtoERSPAN2:
		if g.SeqPresent {
			if err := d.erspan.DecodeFromBytes(c.data, d); err != nil {
				row.fail(errTunnelBad)
				return stDone
			}
			row.setTunnel("erspan", uint32(d.erspan.SessionID), true)
			c.data = d.erspan.Payload
		} // else ERSPAN type I: Ethernet follows the GRE header
		return stEthernet
	case greProtoERSPAN3:
		return d.decodeERSPAN3(row, c)
	case greProtoPPP:
		return stPPP
	}
	if arubaGRE(uint16(g.Protocol)) {
		return stDot11
	}
	row.EthType = uint16(g.Protocol)
	return etherStep(row.EthType)
}

// arubaGRE reports whether a GRE protocol type is one of those Aruba
// access points carry 802.11 frames in. An 802.11 data frame whose QoS
// control says A-MSDU holds several packets: the row is the first one's
// (dot11).
func arubaGRE(t uint16) bool {
	return t >= greProtoArubaFirst && t <= greProtoArubaLast && t%greProtoArubaStep == 0 || t == greProtoAruba9000
}

// decodeERSPAN3 decodes an ERSPAN type III header (GRE protocol 0x22eb)
// and its optional subheader; the mirrored Ethernet frame follows (or an
// IP packet, when the frame type says so).
func (d *Decoder) decodeERSPAN3(row *PacketRow, c *cursor) step {
	p := c.data
	if len(p) < erspan3HeaderLen {
		row.fail(errERSPANTrunc)
		return stDone
	}
	n := erspan3HeaderLen
	if p[erspan3HeaderLen-1]&erspan3OptFlag != 0 {
		n += erspan3SubheaderLen
		if len(p) < n {
			row.fail(errERSPANTrunc)
			return stDone
		}
	}
	row.setTunnel("erspan", uint32(binary.BigEndian.Uint16(p[erspanSessionOff:])&erspanSessionMask), true)
	c.data = p[n:]
	if (p[erspan3FrameTypeOff]>>erspan3FrameTypeShift)&erspan3FrameTypeMask == erspan3FrameTypeIP {
		return stRawIP
	}
	return stEthernet
}

// udpTunnel recognizes a tunnel inside UDP by port and content: c.data
// is the UDP payload.
func (d *Decoder) udpTunnel(row *PacketRow, c *cursor) step {
	data := c.data
	port := func(p uint16) bool { return row.DstPort == p || row.SrcPort == p }
	switch {
	case port(udpPortVXLAN) && len(data) >= 8 && data[0]&0x08 != 0:
		return d.decodeVXLAN(row, c)
	case port(udpPortGeneve) && len(data) >= 8 && data[0]>>6 == 0:
		return d.decodeGeneve(row, c)
	case port(udpPortGTPU) && len(data) >= 8 && data[0]>>5 == 1 && data[1] == 0xff:
		return d.decodeGTPU(row, c)
	case port(udpPortTeredo) && row.IPVersion == 4:
		return d.decodeTeredo(row, c)
	case port(udpPortAYIYA) && len(data) > 0:
		return d.decodeAYIYA(row, c)
	case port(udpPortGRE) && len(data) > 0:
		return stGRE // RFC 8086: a GRE header, as after an IP header
	case row.IPVersion == 4 && len(data) >= ipv6HeaderLen && (data[0]>>4 == 6 || data[0] == 0):
		return d.decodeTeredoByContent(row, c) // an IPv6 header or a Teredo one
	}
	return stDone
}

// decodeVXLAN decodes a VXLAN header; Ethernet follows.
func (d *Decoder) decodeVXLAN(row *PacketRow, c *cursor) step {
	if err := d.vxlan.DecodeFromBytes(c.data, d); err != nil {
		return stDone
	}
	row.setTunnel("vxlan", d.vxlan.VNI, d.vxlan.ValidIDFlag)
	c.data = d.vxlan.Payload
	return stEthernet
}

// decodeGeneve decodes a Geneve header; Ethernet or the EtherType it
// names follows.
func (d *Decoder) decodeGeneve(row *PacketRow, c *cursor) step {
	if err := d.geneve.DecodeFromBytes(c.data, d); err != nil {
		return stDone
	}
	row.setTunnel("geneve", d.geneve.VNI, true)
	c.data = d.geneve.Payload
	if d.geneve.Protocol == 0x6558 {
		return stEthernet
	}
	row.EthType = uint16(d.geneve.Protocol)
	return etherStep(row.EthType)
}

// decodeGTPU decodes a GTP-U header carrying an IPv4 or IPv6 packet.
func (d *Decoder) decodeGTPU(row *PacketRow, c *cursor) step {
	if err := d.gtp.DecodeFromBytes(c.data, d); err != nil {
		return stDone
	}
	p := d.gtp.Payload
	if len(p) == 0 {
		return stDone
	}
	row.setTunnel("gtpu", d.gtp.TEID, true)
	c.data = p
	switch p[0] >> 4 {
	case 4:
		return stIPv4
	case 6:
		return stIPv6
	}
	return stDone
}

// teredoHeaders is the length of Teredo's optional authentication
// (0x0001) and origin indication (0x0000) headers at the start of p, or
// -1 when an authentication header announces more bytes than p holds.
func teredoHeaders(p []byte) int {
	n := 0
	if len(p) >= 4 && p[0] == 0 && p[1] == 1 {
		n = teredoAuthFixedLen + int(p[2]) + int(p[3])
		if len(p) < n {
			return -1
		}
	}
	if len(p)-n >= teredoOriginLen && p[n] == 0 && p[n+1] == 0 {
		n += teredoOriginLen
	}
	return n
}

// decodeTeredo skips Teredo's optional headers, up to the IPv6 packet,
// on Teredo's port.
func (d *Decoder) decodeTeredo(row *PacketRow, c *cursor) step {
	n := teredoHeaders(c.data)
	if n < 0 {
		return stDone
	}
	p := c.data[n:]
	if len(p) >= ipv6HeaderLen && p[0]>>4 == 6 {
		row.setTunnel("teredo", 0, false)
		c.data = p
		return stIPv6
	}
	return stDone
}

// decodeTeredoByContent recognizes Teredo on a port other than Teredo's
// (a client talks to a relay or a peer on any port), as Zeek does by
// content; strictly, as any UDP payload comes here. After the optional
// headers there must be an IPv6 header whose payload length accounts for
// exactly the rest of the UDP payload (from the headers' lengths, so that
// a packet cut by the snaplen is recognized too), a next header that is
// TCP, UDP, ICMPv6, SCTP or none, and a Teredo (2001:0::/32) or
// link-local source or destination. A bubble (no next header, payload
// length 0) may have bytes after it: Zeek takes those too.
func (d *Decoder) decodeTeredoByContent(row *PacketRow, c *cursor) step {
	n := teredoHeaders(c.data)
	if n < 0 {
		return stDone
	}
	p := c.data[n:]
	if len(p) < ipv6HeaderLen || p[0]>>4 != 6 {
		return stDone
	}
	plen := int(binary.BigEndian.Uint16(p[ipv6PayloadLenOff:]))
	rest := int(row.PayloadLen) - n // the UDP payload after the headers
	switch next := p[ipv6NextOff]; {
	case next == ipProtoNoNext && plen == 0 && rest >= ipv6HeaderLen:
	case plen+ipv6HeaderLen != rest:
		return stDone
	case next != ipProtoTCP && next != ipProtoUDP && next != ipProtoICMPv6 && next != ipProtoSCTP && next != ipProtoNoNext:
		return stDone
	}
	if !teredoAddr(p[ipv6SrcOff:]) && !teredoAddr(p[ipv6DstOff:]) {
		return stDone
	}
	row.setTunnel("teredo", 0, false)
	c.data = p
	return stIPv6
}

// teredoAddr reports whether the IPv6 address at the start of a is a
// Teredo (2001:0::/32) or a link-local (fe80::/64) one.
func teredoAddr(a []byte) bool {
	return binary.BigEndian.Uint32(a) == teredoPrefix || binary.BigEndian.Uint64(a) == linkLocalPrefix
}

// decodeAYIYA decodes an AYIYA header (UDP port 5072). Only a "forward"
// message carries a packet, IPv4 or IPv6 as its next header says; the
// others (heartbeats) carry nothing decoded.
func (d *Decoder) decodeAYIYA(row *PacketRow, c *cursor) step {
	p := c.data
	if len(p) < ayiyaHeaderLen {
		row.fail(errAYIYATrunc)
		return stDone
	}
	if p[ayiyaOpOff]&ayiyaOpMask != ayiyaOpForward {
		return stDone
	}
	var st step
	switch p[ayiyaNextOff] {
	case ipProtoIPv4:
		st = stIPv4
	case ipProtoIPv6:
		st = stIPv6
	default:
		return stDone
	}
	n := ayiyaHeaderLen + 1<<(p[0]>>ayiyaIDLenShift) + int(p[1]>>ayiyaSigLenShift)*ayiyaSigUnit
	if len(p) < n {
		row.fail(errAYIYATrunc)
		return stDone
	}
	row.setTunnel("ayiya", 0, false)
	c.data = p[n:]
	return st
}
