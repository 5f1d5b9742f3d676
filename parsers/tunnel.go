package parsers

// The tunnels: GRE (and the ERSPAN it carries) after an IP header, and
// the UDP ones (VXLAN, Geneve, GTP-U, Teredo), recognized by port and
// content. Each sets the tunnel columns and goes on with the packet it
// carries; IP in IP is in decodeTransport.

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
	case 0x6558: // transparent Ethernet bridging
		return stEthernet
	case 0x88be: // ERSPAN type II
		if g.SeqPresent {
			if err := d.erspan.DecodeFromBytes(c.data, d); err != nil {
				row.fail(errTunnelBad)
				return stDone
			}
			row.setTunnel("erspan", uint32(d.erspan.SessionID), true)
			c.data = d.erspan.Payload
		} // else ERSPAN type I: Ethernet follows the GRE header
		return stEthernet
	case 0x880b:
		return stPPP
	}
	row.EthType = uint16(g.Protocol)
	return etherStep(row.EthType)
}

// udpTunnel recognizes a tunnel inside UDP by port and content: c.data
// is the UDP payload.
func (d *Decoder) udpTunnel(row *PacketRow, c *cursor) step {
	data := c.data
	port := func(p uint16) bool { return row.DstPort == p || row.SrcPort == p }
	switch {
	case port(4789) && len(data) >= 8 && data[0]&0x08 != 0:
		return d.decodeVXLAN(row, c)
	case port(6081) && len(data) >= 8 && data[0]>>6 == 0:
		return d.decodeGeneve(row, c)
	case port(2152) && len(data) >= 8 && data[0]>>5 == 1 && data[1] == 0xff:
		return d.decodeGTPU(row, c)
	case port(3544) && row.IPVersion == 4:
		return d.decodeTeredo(row, c)
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

// decodeTeredo skips Teredo's optional authentication (0x0001) and origin
// indication (0x0000) headers, up to the IPv6 packet.
func (d *Decoder) decodeTeredo(row *PacketRow, c *cursor) step {
	p := c.data
	if len(p) >= 4 && p[0] == 0 && p[1] == 1 {
		n := 13 + int(p[2]) + int(p[3])
		if len(p) < n {
			return stDone
		}
		p = p[n:]
	}
	if len(p) >= 8 && p[0] == 0 && p[1] == 0 {
		p = p[8:]
	}
	if len(p) >= 40 && p[0]>>4 == 6 {
		row.setTunnel("teredo", 0, false)
		c.data = p
		return stIPv6
	}
	return stDone
}
