package parsers

import (
	"encoding/binary"
	"net/netip"

	"github.com/gopacket/gopacket/layers"
)

// The network layer: IPv4, IPv6 and the IPv6 extension headers. Each IP
// header starts the innermost IP packet over: it sets the IP columns,
// forgets the transport ones of an outer packet, and its payload length
// bounds payload_len from there on.

// decodeIPv4 decodes an IPv4 header. A fragment other than the first has
// no transport header: its payload is the row's payload.
func (d *Decoder) decodeIPv4(row *PacketRow, c *cursor) step {
	data := c.data
	if err := d.ip4.DecodeFromBytes(data, d); err != nil {
		if len(data) > 0 && data[0]>>4 != 4 {
			row.fail(errIPv4Version)
		} else if len(data) < 20 {
			row.fail(errIPv4Trunc)
		} else {
			row.fail(errIPv4Bad)
		}
		return stDone
	}
	ip := &d.ip4
	row.IPVersion = 4
	row.SrcIP = netip.AddrFrom4([4]byte(ip.SrcIP.To4()))
	row.DstIP = netip.AddrFrom4([4]byte(ip.DstIP.To4()))
	row.IPProto = uint8(ip.Protocol)
	row.IPTTL = ip.TTL
	row.IPLen = ip.Length
	row.IPID = uint32(ip.Id)
	row.FragOffset = ip.FragOffset * 8
	row.MoreFrags = ip.Flags&layers.IPv4MoreFragments != 0
	row.has |= 1<<ColIPVersion | 1<<ColSrcIP | 1<<ColDstIP | 1<<ColIPProto | 1<<ColIPTTL |
		1<<ColIPLen | 1<<ColIPID | 1<<ColFragOffset | 1<<ColMoreFrags
	row.clearTransport()
	c.ipPayload = max(int(ip.Length)-int(ip.IHL)*4, 0)
	c.data = ip.Payload
	row.IPPayload = nil
	if ip.FragOffset != 0 || row.MoreFrags {
		row.IPPayload = clip(c.data, c.ipPayload)
	}
	if ip.FragOffset != 0 { // not the first fragment: no transport header
		row.PayloadLen = uint32(c.ipPayload)
		row.Set(ColPayloadLen)
		row.Payload = row.IPPayload
		return stDone
	}
	return stTransport
}

// decodeIPv6 decodes the 40-byte fixed IPv6 header. It is decoded here:
// gopacket's IPv6 refuses a zero payload length without a jumbo option (a
// Teredo bubble has one) and folds hop-by-hop into the header.
func (d *Decoder) decodeIPv6(row *PacketRow, c *cursor) step {
	data := c.data
	if len(data) < 40 {
		if len(data) > 0 && data[0]>>4 != 6 {
			row.fail(errIPv6Bad)
		} else {
			row.fail(errIPv6Trunc)
		}
		return stDone
	}
	if data[0]>>4 != 6 {
		row.fail(errIPv6Bad)
		return stDone
	}
	plen := binary.BigEndian.Uint16(data[4:])
	row.IPVersion = 6
	row.SrcIP = netip.AddrFrom16([16]byte(data[8:24]))
	row.DstIP = netip.AddrFrom16([16]byte(data[24:40]))
	row.IPProto = data[6]
	row.IPTTL = data[7]
	row.IPLen = plen + 40
	row.has |= 1<<ColIPVersion | 1<<ColSrcIP | 1<<ColDstIP | 1<<ColIPProto | 1<<ColIPTTL | 1<<ColIPLen
	row.has &^= 1<<ColIPID | 1<<ColFragOffset | 1<<ColMoreFrags
	row.clearTransport()
	row.IPPayload = nil
	c.ipPayload = int(plen)
	data = data[40:]
	if plen != 0 && int(plen) < len(data) {
		data = data[:plen] // drop Ethernet padding
	}
	c.data = data
	return stTransport
}

// decodeIPv6Ext skips an IPv6 extension header (other than a fragment
// header), taking its next header as the IP protocol.
func (d *Decoder) decodeIPv6Ext(row *PacketRow, c *cursor) step {
	if err := d.ext.DecodeFromBytes(c.data, d); err != nil {
		row.fail(errIPv6ExtBad)
		return stDone
	}
	c.ipPayload -= len(d.ext.Contents)
	row.IPProto = uint8(d.ext.NextHeader)
	c.data = d.ext.Payload
	return stTransport
}

// decodeIPv6Frag decodes an IPv6 fragment header into the fragment
// columns. A fragment other than the first has no transport header: its
// payload is the row's payload.
func (d *Decoder) decodeIPv6Frag(row *PacketRow, c *cursor) step {
	if err := d.frag6.DecodeFromBytes(c.data, d); err != nil {
		row.fail(errIPv6ExtBad)
		return stDone
	}
	f := &d.frag6
	c.ipPayload -= 8
	row.IPProto = uint8(f.NextHeader)
	row.IPID = f.Identification
	row.FragOffset = f.FragmentOffset * 8
	row.MoreFrags = f.MoreFragments
	row.has |= 1<<ColIPID | 1<<ColFragOffset | 1<<ColMoreFrags
	c.data = f.Payload
	row.IPPayload = clip(c.data, c.ipPayload)
	if f.FragmentOffset != 0 {
		row.PayloadLen = uint32(max(c.ipPayload, 0))
		row.Set(ColPayloadLen)
		row.Payload = row.IPPayload
		return stDone
	}
	return stTransport
}

// clearTransport forgets transport fields of an outer packet when an inner
// IP header is found.
func (r *PacketRow) clearTransport() {
	r.has &^= 1<<ColSrcPort | 1<<ColDstPort | 1<<ColTCPFlags | 1<<ColTCPSeq | 1<<ColTCPAck |
		1<<ColTCPWin | 1<<ColICMPType | 1<<ColICMPCode | 1<<ColPayloadLen
	r.Payload, r.L4 = nil, nil
}
