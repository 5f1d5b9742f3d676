package parsers

import (
	"encoding/binary"

	"github.com/gopacket/gopacket/layers"
)

// The link layers: where a capture's link type starts decoding, and the
// wired headers before the network layer (Ethernet and its VLAN tags,
// Cisco VN-Tag, 802.1ah PBB, Cisco FabricPath, FDDI, Linux SLL, BSD
// loopback, raw IP, PPP and PPPoE, Cisco HDLC, Linux NFLOG, MPLS). The
// wireless ones are in dot11.go.

// Link types gopacket has no constant for.
const (
	linkTypeNFLOG layers.LinkType = 239 // LINKTYPE_NFLOG: Linux netfilter log messages
)

// EtherTypes dispatched by etherStep, besides the common ones.
const (
	etherTypeVNTag = 0x8926 // Cisco VN-Tag (802.1Qbh)
	etherTypePBB   = 0x88e7 // 802.1ah provider backbone bridging: an I-TAG
)

// Header sizes and fields of the link layers decoded here.
const (
	ethHeaderLen   = 14 // destination, source, EtherType
	etherTypeLen   = 2
	vnTagLen       = 6          // 4-byte tag, then the next EtherType
	pbbITagLen     = 4          // flags (8 bits), then the I-SID
	pbbISIDMask    = 0x00ffffff // the I-SID: the low 24 bits of the I-TAG
	chdlcHeaderLen = 4          // address, control, then a 2-byte EtherType
	chdlcProtoOff  = 2          // offset of the EtherType in a Cisco HDLC header

	// NFLOG: a 4-byte header (address family, version, resource id),
	// then netlink attributes (TLVs): 2-byte length (counting its 4-byte
	// header, not the padding) and 2-byte type, both in the host's byte
	// order (little-endian on every capture seen), each padded to 4 bytes.
	nflogHeaderLen    = 4
	nflogTLVHeaderLen = 4
	nflogTLVAlign     = 4
	nflogTypeMask     = 0x3fff // the type without netlink's nested and byte-order flags
	nflogTypePayload  = 9      // NFULA_PAYLOAD: the packet, from its IP header
	afINET            = 2      // AF_INET
	afINET6           = 10     // AF_INET6 (NFLOG is Linux's)
)

// Decodes reports whether the decoder reads packets of link type lt: the
// packets of another get a row of the capture's columns only, with
// decode_error ErrUnsupportedLink.
func Decodes(lt layers.LinkType) bool { return firstStep(lt) != stDone }

// firstStep is the step a packet of link type lt starts with, or stDone
// when the link type is not supported.
func firstStep(lt layers.LinkType) step {
	switch lt {
	case layers.LinkTypeEthernet:
		return stEthernet
	case layers.LinkTypeFDDI:
		return stFDDI
	case layers.LinkTypeLinuxSLL:
		return stSLL
	case layers.LinkTypeLinuxSLL2:
		return stSLL2
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		return stLoopback
	case layers.LinkTypeRaw, 12, 14: // LINKTYPE_RAW and the BSD DLT_RAW values
		return stRawIP
	case layers.LinkTypeIPv4:
		return stIPv4
	case layers.LinkTypeIPv6:
		return stIPv6
	case layers.LinkTypePPP:
		return stPPP
	case 50: // LINKTYPE_PPP_HDLC
		return stPPPHDLC
	case 51: // LINKTYPE_PPP_ETHER: PPPoE
		return stPPPoE
	case layers.LinkTypeIEEE80211Radio:
		return stRadiotap
	case layers.LinkTypeIEEE802_11:
		return stDot11
	case layers.LinkTypeC_HDLC:
		return stCHDLC
	case linkTypeNFLOG:
		return stNFLOG
	}
	return stDone
}

// etherStep maps an EtherType to the next step.
func etherStep(t uint16) step {
	switch t {
	case 0x0800:
		return stIPv4
	case 0x86dd:
		return stIPv6
	case 0x8100, 0x88a8, 0x9100, 0x9200:
		return stEtherType // a VLAN tag: decodeVLAN, then its EtherType
	case 0x8847, 0x8848:
		return stMPLS
	case 0x8864:
		return stPPPoE
	case 0x8903:
		return stFabricPath
	case etherTypeVNTag:
		return stVNTag
	case etherTypePBB:
		return stPBB
	}
	return stDone
}

// decodeEthernet decodes an Ethernet II header, or an 802.3 one followed
// by LLC/SNAP; other 802.3 frames carry nothing decoded.
func (d *Decoder) decodeEthernet(row *PacketRow, c *cursor) step {
	data := c.data
	if len(data) < 14 {
		row.fail(errEthTrunc)
		return stDone
	}
	copy(row.EthDst[:], data[0:6])
	copy(row.EthSrc[:], data[6:12])
	row.Set(ColEthDst)
	row.Set(ColEthSrc)
	t := binary.BigEndian.Uint16(data[12:])
	data = data[14:]
	if t < 0x0600 { // 802.3 length: LLC follows
		if len(data) >= 8 && data[0] == 0xaa && data[1] == 0xaa && data[2] == 0x03 {
			t = binary.BigEndian.Uint16(data[6:])
			data = data[8:]
		} else {
			return stDone
		}
	}
	row.EthType = t
	row.Set(ColEthType)
	c.data = data
	return stEtherType
}

// decodeFDDI decodes an FDDI header (frame control, destination and
// source, 13 bytes) and the LLC/SNAP header that carries an EtherType;
// other LLC frames carry nothing decoded. FDDI's addresses are not
// Ethernet's (their bits are in another order): eth_src and eth_dst stay
// null.
func (d *Decoder) decodeFDDI(row *PacketRow, c *cursor) step {
	data := c.data
	if len(data) < 13 {
		row.fail(errFDDITrunc)
		return stDone
	}
	data = data[13:]
	if len(data) < 8 || data[0] != 0xaa || data[1] != 0xaa || data[2] != 0x03 {
		return stDone
	}
	row.EthType = binary.BigEndian.Uint16(data[6:])
	row.Set(ColEthType)
	c.data = data[8:]
	return stEtherType
}

// decodeFabricPath decodes the rest of a Cisco FabricPath header
// (EtherType 0x8903 after the outer switch addresses: the 2-byte FTag and
// TTL): the host's own Ethernet frame follows, whose addresses replace
// the outer ones.
func (d *Decoder) decodeFabricPath(row *PacketRow, c *cursor) step {
	if len(c.data) < 2 {
		row.fail(errFabricPathTrunc)
		return stDone
	}
	c.data = c.data[2:]
	return stEthernet
}

// decodeVLAN decodes an 802.1Q/802.1ad tag (stEtherType on a VLAN
// EtherType): the tag's EtherType replaces row.EthType, and stEtherType
// follows again. A tag is one step, as maxDepth counts them.
func (d *Decoder) decodeVLAN(row *PacketRow, c *cursor) step {
	data := c.data
	if len(data) < 4 {
		row.fail(errVLANTrunc)
		return stDone
	}
	id := binary.BigEndian.Uint16(data) & 0x0fff
	switch c.vlanTags {
	case 0:
		row.VLAN = id
		row.Set(ColVLAN)
	case 1:
		row.VLANInner = id
		row.Set(ColVLANInner)
	}
	c.vlanTags++
	row.EthType = binary.BigEndian.Uint16(data[2:])
	c.data = data[4:]
	return stEtherType
}

// decodeVNTag decodes a Cisco VN-Tag (EtherType 0x8926, after the
// addresses or a VLAN tag): its EtherType replaces row.EthType, and
// stEtherType follows again, as after a VLAN tag.
func (d *Decoder) decodeVNTag(row *PacketRow, c *cursor) step {
	data := c.data
	if len(data) < vnTagLen {
		row.fail(errVNTagTrunc)
		return stDone
	}
	row.EthType = binary.BigEndian.Uint16(data[vnTagLen-etherTypeLen:])
	c.data = data[vnTagLen:]
	return stEtherType
}

// decodePBB decodes an 802.1ah I-TAG (EtherType 0x88e7, usually after an
// 802.1ad S-tag): the customer's whole Ethernet frame follows, whose
// addresses replace the backbone ones. The I-SID, the service instance,
// is the tunnel id of tunnel "pbb".
func (d *Decoder) decodePBB(row *PacketRow, c *cursor) step {
	data := c.data
	if len(data) < pbbITagLen+ethHeaderLen {
		row.fail(errPBBTrunc)
		return stDone
	}
	row.setTunnel("pbb", binary.BigEndian.Uint32(data)&pbbISIDMask, true)
	c.data = data[pbbITagLen:]
	return stEthernet
}

// decodeCHDLC decodes a Cisco HDLC header (LINKTYPE_C_HDLC): address and
// control bytes, then an EtherType.
func (d *Decoder) decodeCHDLC(row *PacketRow, c *cursor) step {
	data := c.data
	if len(data) < chdlcHeaderLen {
		row.fail(errCHDLCTrunc)
		return stDone
	}
	row.EthType = binary.BigEndian.Uint16(data[chdlcProtoOff:])
	row.Set(ColEthType)
	c.data = data[chdlcHeaderLen:]
	return stEtherType
}

// decodeNFLOG decodes a Linux NFLOG message (LINKTYPE_NFLOG) up to its
// NFULA_PAYLOAD attribute, an IP packet of the header's address family.
// A message without one (the rule logged no packet bytes) carries
// nothing decoded; an attribute whose length is bad is a decode error.
func (d *Decoder) decodeNFLOG(row *PacketRow, c *cursor) step {
	data := c.data
	if len(data) < nflogHeaderLen {
		row.fail(errNFLOGTrunc)
		return stDone
	}
	family := data[0]
	data = data[nflogHeaderLen:]
	for len(data) > 0 {
		if len(data) < nflogTLVHeaderLen {
			row.fail(errNFLOGTrunc)
			return stDone
		}
		n := int(binary.LittleEndian.Uint16(data))
		typ := binary.LittleEndian.Uint16(data[2:]) & nflogTypeMask
		if n < nflogTLVHeaderLen {
			row.fail(errNFLOGBad)
			return stDone
		}
		if typ == nflogTypePayload {
			// clip: the snaplen may have cut the packet short.
			c.data = clip(data[nflogTLVHeaderLen:], n-nflogTLVHeaderLen)
			switch family {
			case afINET:
				return stIPv4
			case afINET6:
				return stIPv6
			}
			return stRawIP
		}
		if n > len(data) {
			row.fail(errNFLOGTrunc)
			return stDone
		}
		n = (n + nflogTLVAlign - 1) &^ (nflogTLVAlign - 1)
		data = data[min(n, len(data)):] // the last attribute may go unpadded
	}
	return stDone
}

// decodeSLL decodes a Linux cooked capture (SLL) header.
func (d *Decoder) decodeSLL(row *PacketRow, c *cursor) step {
	if err := d.sll.DecodeFromBytes(c.data, d); err != nil {
		row.fail(errSLLBad)
		return stDone
	}
	if len(d.sll.Addr) == 6 {
		copy(row.EthSrc[:], d.sll.Addr)
		row.Set(ColEthSrc)
	}
	row.EthType = uint16(d.sll.EthernetType)
	row.Set(ColEthType)
	c.data = d.sll.Payload
	return stEtherType
}

// decodeSLL2 decodes a Linux cooked capture v2 (SLL2) header.
func (d *Decoder) decodeSLL2(row *PacketRow, c *cursor) step {
	if err := d.sll2.DecodeFromBytes(c.data, d); err != nil {
		row.fail(errSLLBad)
		return stDone
	}
	if len(d.sll2.Addr) == 6 {
		copy(row.EthSrc[:], d.sll2.Addr)
		row.Set(ColEthSrc)
	}
	row.EthType = uint16(d.sll2.ProtocolType)
	row.Set(ColEthType)
	c.data = d.sll2.Payload
	return stEtherType
}

// decodeLoopback decodes the 4-byte address family of a BSD loopback
// (DLT_NULL/DLT_LOOP) header, in either byte order.
func (d *Decoder) decodeLoopback(row *PacketRow, c *cursor) step {
	if len(c.data) < 4 {
		row.fail(errLoopTrunc)
		return stDone
	}
	fam := binary.LittleEndian.Uint32(c.data)
	if fam > 0xffff {
		fam = binary.BigEndian.Uint32(c.data)
	}
	c.data = c.data[4:]
	switch fam {
	case 2:
		return stIPv4
	case 10, 23, 24, 28, 30: // AF_INET6 on Linux, Windows, BSDs, macOS
		return stIPv6
	}
	// Some writers put an EtherType in the low 16 bits (Wireshark accepts it).
	switch uint16(fam) {
	case 0x0800:
		return stIPv4
	case 0x86dd:
		return stIPv6
	}
	return stDone
}

// decodeRawIP picks IPv4 or IPv6 by the version nibble, for captures of
// bare IP packets.
func (d *Decoder) decodeRawIP(row *PacketRow, c *cursor) step {
	if len(c.data) == 0 {
		row.fail(errIPv4Trunc)
		return stDone
	}
	switch c.data[0] >> 4 {
	case 4:
		return stIPv4
	case 6:
		return stIPv6
	}
	row.fail(errRawVersion)
	return stDone
}

// decodePPP decodes a PPP header, with or without the HDLC-like framing's
// address and control bytes.
func (d *Decoder) decodePPP(row *PacketRow, c *cursor) step {
	if len(c.data) >= 2 && c.data[0] == 0xff && c.data[1] == 0x03 {
		c.data = c.data[2:]
	}
	return pppProtocol(row, c)
}

// decodePPPoE decodes a PPPoE header and the PPP header of its session
// packets.
func (d *Decoder) decodePPPoE(row *PacketRow, c *cursor) step {
	// version/type, code, session id, length; then PPP protocol
	if len(c.data) < 6 {
		row.fail(errPPPoETrunc)
		return stDone
	}
	if c.data[1] != 0 { // discovery packets carry no PPP
		return stDone
	}
	c.data = c.data[6:]
	return pppProtocol(row, c)
}

// pppProtocol decodes a PPP protocol field, compressed to one byte or not,
// and goes on with IPv4 or IPv6.
func pppProtocol(row *PacketRow, c *cursor) step {
	data := c.data
	if len(data) < 1 {
		row.fail(errPPPTrunc)
		return stDone
	}
	var proto uint16
	if data[0]&1 == 1 { // compressed 1-byte protocol field
		proto, data = uint16(data[0]), data[1:]
	} else {
		if len(data) < 2 {
			row.fail(errPPPTrunc)
			return stDone
		}
		proto, data = binary.BigEndian.Uint16(data), data[2:]
	}
	c.data = data
	switch proto {
	case 0x21:
		return stIPv4
	case 0x57:
		return stIPv6
	}
	return stDone
}

// decodeMPLS decodes an MPLS label stack, keeping the outermost label,
// and guesses what follows the bottom of the stack: IPv4 or IPv6 by the
// version nibble, else Ethernet (after a pseudowire control word).
func (d *Decoder) decodeMPLS(row *PacketRow, c *cursor) step {
	data := c.data
	for {
		if len(data) < 4 {
			row.fail(errMPLSTrunc)
			return stDone
		}
		v := binary.BigEndian.Uint32(data)
		if !row.Has(ColMPLSLabel) {
			row.MPLSLabel = v >> 12
			row.Set(ColMPLSLabel)
		}
		data = data[4:]
		if v&0x100 != 0 { // bottom of stack
			break
		}
	}
	c.data = data
	if len(data) == 0 {
		return stDone
	}
	switch data[0] >> 4 {
	case 4:
		return stIPv4
	case 6:
		return stIPv6
	case 0: // pseudowire control word, then Ethernet
		if len(data) < 4 {
			row.fail(errMPLSTrunc)
			return stDone
		}
		c.data = data[4:]
	}
	return stEthernet
}
