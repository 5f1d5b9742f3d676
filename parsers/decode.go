package parsers

import (
	"encoding/binary"
	"net/netip"

	"github.com/gopacket/gopacket/layers"
	"github.com/pcap2table/pcap2table/parsers/capture"
)

// Decoder decodes the link, network and transport headers of packets into
// a PacketRow. It keeps one instance of each gopacket DecodingLayer and
// reuses them: a Decoder is not safe for concurrent use, and decoding does
// not allocate for the common stacks (Ethernet/SLL/raw/loopback, VLAN,
// MPLS, PPPoE, IPv4/IPv6, TCP/UDP/SCTP/ICMP, and the tunnels).
type Decoder struct {
	sll    layers.LinuxSLL
	sll2   layers.LinuxSLL2
	ip4    layers.IPv4
	ext    layers.IPv6ExtensionSkipper
	frag6  layers.IPv6Fragment
	udp    layers.UDP
	sctp   layers.SCTP
	icmp4  layers.ICMPv4
	icmp6  layers.ICMPv6
	gre    layers.GRE
	vxlan  layers.VXLAN
	geneve layers.Geneve
	gtp    layers.GTPv1U
	erspan layers.ERSPANII

	truncated bool
}

// tcpDataOffset is the TCP header's length in bytes, or -1 when data
// holds less than the fixed 20 bytes.
func tcpDataOffset(data []byte) int {
	if len(data) < 20 {
		return -1
	}
	return int(data[12]>>4) * 4
}

// SetTruncated implements gopacket.DecodeFeedback.
func (d *Decoder) SetTruncated() { d.truncated = true }

// step names what to decode next.
type step uint8

const (
	stDone step = iota
	stEthernet
	stEtherType // dispatch on row.EthType
	stSLL
	stSLL2
	stLoopback
	stRawIP // by version nibble
	stIPv4
	stIPv6
	stIPv6Ext
	stIPv6Frag
	stPPP
	stPPPHDLC
	stPPPoE
	stMPLS
	stRadiotap
	stDot11
	stGRE
	stTransport // dispatch on row.IPProto
)

// Reasons for decode_error. Constants, so that a bad packet costs no
// allocation either.
const (
	errUnsupportedLink = "link: unsupported link type"
	errEthTrunc        = "ethernet: truncated"
	errVLANTrunc       = "vlan: truncated"
	errMPLSTrunc       = "mpls: truncated"
	errPPPTrunc        = "ppp: truncated"
	errPPPoETrunc      = "pppoe: truncated"
	errSLLBad          = "sll: malformed"
	errLoopTrunc       = "loopback: truncated"
	errRadiotapBad     = "radiotap: malformed"
	errDot11Trunc      = "802.11: truncated"
	errIPv4Bad         = "ipv4: malformed header"
	errIPv4Trunc       = "ipv4: truncated"
	errIPv4Version     = "ipv4: bad version"
	errIPv6Bad         = "ipv6: malformed header"
	errIPv6Trunc       = "ipv6: truncated"
	errIPv6ExtBad      = "ipv6: malformed extension header"
	errRawVersion      = "ip: unknown version"
	errTCPBad          = "tcp: malformed header"
	errTCPTrunc        = "tcp: truncated"
	errUDPTrunc        = "udp: truncated"
	errSCTPTrunc       = "sctp: truncated"
	errICMPTrunc       = "icmp: truncated"
	errICMPv6Trunc     = "icmpv6: truncated"
	errGREBad          = "gre: malformed"
	errTunnelBad       = "tunnel: malformed"
	errTooDeep         = "decode: too many nested headers"
)

// maxDepth bounds nested headers (hostile captures nest tunnels forever).
const maxDepth = 512

func firstStep(lt layers.LinkType) step {
	switch lt {
	case layers.LinkTypeEthernet:
		return stEthernet
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
	}
	return stDone
}

// Decode fills row from p. Every packet yields a row: a header that does not
// decode stops decoding and sets DecodeError, keeping what was decoded.
func (d *Decoder) Decode(p *capture.Packet, row *PacketRow) {
	*row = PacketRow{
		File:      p.File,
		Frame:     p.Frame,
		TS:        p.Timestamp,
		CapLen:    p.CapLen,
		Length:    p.Length,
		Interface: p.Interface,
		LinkType:  uint16(p.LinkType),
	}
	if !p.NoTimestamp {
		row.Set(ColTS)
	}
	st := firstStep(p.LinkType)
	if st == stDone {
		row.fail(errUnsupportedLink)
		return
	}
	d.run(st, p.Data, row, 0)
}

func (r *PacketRow) fail(reason string) {
	r.DecodeError = reason
	r.Set(ColDecodeError)
}

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

// etherStep maps an EtherType to the next step.
func etherStep(t uint16) step {
	switch t {
	case 0x0800:
		return stIPv4
	case 0x86dd:
		return stIPv6
	case 0x8100, 0x88a8, 0x9100, 0x9200:
		return stEtherType // a VLAN tag: handled in run
	case 0x8847, 0x8848:
		return stMPLS
	case 0x8864:
		return stPPPoE
	}
	return stDone
}

// DecodeDatagram decodes the transport header (and what it carries) of a
// datagram reassembled from IP fragments. row holds the IP fields of its
// first fragment, payload the whole IP payload (what follows the IPv4
// header or the IPv6 fragment header); the fragment columns are cleared.
// row.Payload then points into payload.
func (d *Decoder) DecodeDatagram(row *PacketRow, payload []byte) {
	row.clearTransport()
	row.Clear(ColDecodeError)
	row.DecodeError = ""
	row.FragOffset, row.MoreFrags, row.IPPayload = 0, false, nil
	d.run(stTransport, payload, row, len(payload))
}

// run decodes from step st. ipPayload is the IP payload length from the
// headers of the innermost IP packet so far (not the captured bytes), for
// payload_len.
func (d *Decoder) run(st step, data []byte, row *PacketRow, ipPayload int) {
	var vlanTags int
	for depth := 0; st != stDone; depth++ {
		if depth == maxDepth {
			row.fail(errTooDeep)
			return
		}
		switch st {
		case stEthernet:
			if len(data) < 14 {
				row.fail(errEthTrunc)
				return
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
					return
				}
			}
			row.EthType = t
			row.Set(ColEthType)
			st = stEtherType
		case stEtherType:
			switch row.EthType {
			case 0x8100, 0x88a8, 0x9100, 0x9200:
				if len(data) < 4 {
					row.fail(errVLANTrunc)
					return
				}
				id := binary.BigEndian.Uint16(data) & 0x0fff
				switch vlanTags {
				case 0:
					row.VLAN = id
					row.Set(ColVLAN)
				case 1:
					row.VLANInner = id
					row.Set(ColVLANInner)
				}
				vlanTags++
				row.EthType = binary.BigEndian.Uint16(data[2:])
				data = data[4:]
				st = stEtherType
			default:
				st = etherStep(row.EthType)
			}
		case stSLL:
			if err := d.sll.DecodeFromBytes(data, d); err != nil {
				row.fail(errSLLBad)
				return
			}
			if len(d.sll.Addr) == 6 {
				copy(row.EthSrc[:], d.sll.Addr)
				row.Set(ColEthSrc)
			}
			row.EthType = uint16(d.sll.EthernetType)
			row.Set(ColEthType)
			data = d.sll.Payload
			st = stEtherType
		case stSLL2:
			if err := d.sll2.DecodeFromBytes(data, d); err != nil {
				row.fail(errSLLBad)
				return
			}
			if len(d.sll2.Addr) == 6 {
				copy(row.EthSrc[:], d.sll2.Addr)
				row.Set(ColEthSrc)
			}
			row.EthType = uint16(d.sll2.ProtocolType)
			row.Set(ColEthType)
			data = d.sll2.Payload
			st = stEtherType
		case stLoopback:
			if len(data) < 4 {
				row.fail(errLoopTrunc)
				return
			}
			fam := binary.LittleEndian.Uint32(data)
			if fam > 0xffff {
				fam = binary.BigEndian.Uint32(data)
			}
			data = data[4:]
			switch fam {
			case 2:
				st = stIPv4
			case 10, 23, 24, 28, 30: // AF_INET6 on Linux, Windows, BSDs, macOS
				st = stIPv6
			default:
				// Some writers put an EtherType in the low 16 bits (Wireshark accepts it).
				switch uint16(fam) {
				case 0x0800:
					st = stIPv4
				case 0x86dd:
					st = stIPv6
				default:
					return
				}
			}
		case stRawIP:
			if len(data) == 0 {
				row.fail(errIPv4Trunc)
				return
			}
			switch data[0] >> 4 {
			case 4:
				st = stIPv4
			case 6:
				st = stIPv6
			default:
				row.fail(errRawVersion)
				return
			}
		case stPPPHDLC, stPPP:
			if len(data) >= 2 && data[0] == 0xff && data[1] == 0x03 {
				data = data[2:]
			}
			fallthrough
		case stPPPoE:
			if st == stPPPoE {
				// version/type, code, session id, length; then PPP protocol
				if len(data) < 6 {
					row.fail(errPPPoETrunc)
					return
				}
				if data[1] != 0 { // discovery packets carry no PPP
					return
				}
				data = data[6:]
			}
			if len(data) < 1 {
				row.fail(errPPPTrunc)
				return
			}
			var proto uint16
			if data[0]&1 == 1 { // compressed 1-byte protocol field
				proto, data = uint16(data[0]), data[1:]
			} else {
				if len(data) < 2 {
					row.fail(errPPPTrunc)
					return
				}
				proto, data = binary.BigEndian.Uint16(data), data[2:]
			}
			switch proto {
			case 0x21:
				st = stIPv4
			case 0x57:
				st = stIPv6
			default:
				return
			}
		case stMPLS:
			for {
				if len(data) < 4 {
					row.fail(errMPLSTrunc)
					return
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
			if len(data) == 0 {
				return
			}
			switch data[0] >> 4 {
			case 4:
				st = stIPv4
			case 6:
				st = stIPv6
			case 0: // pseudowire control word, then Ethernet
				if len(data) < 4 {
					row.fail(errMPLSTrunc)
					return
				}
				data = data[4:]
				st = stEthernet
			default:
				st = stEthernet
			}
		case stRadiotap:
			if len(data) < 8 {
				row.fail(errRadiotapBad)
				return
			}
			hl := int(binary.LittleEndian.Uint16(data[2:]))
			if hl < 8 || hl > len(data) {
				row.fail(errRadiotapBad)
				return
			}
			if radiotapFCS(data[:hl]) && len(data)-hl >= 4 {
				data = data[hl : len(data)-4]
			} else {
				data = data[hl:]
			}
			st = stDot11
		case stDot11:
			var ok bool
			data, ok = d.dot11(data, row)
			if !ok {
				return
			}
			st = stEtherType
		case stIPv4:
			if err := d.ip4.DecodeFromBytes(data, d); err != nil {
				if len(data) > 0 && data[0]>>4 != 4 {
					row.fail(errIPv4Version)
				} else if len(data) < 20 {
					row.fail(errIPv4Trunc)
				} else {
					row.fail(errIPv4Bad)
				}
				return
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
			ipPayload = int(ip.Length) - int(ip.IHL)*4
			if ipPayload < 0 {
				ipPayload = 0
			}
			data = ip.Payload
			row.IPPayload = nil
			if ip.FragOffset != 0 || row.MoreFrags {
				row.IPPayload = clip(data, ipPayload)
			}
			if ip.FragOffset != 0 { // not the first fragment: no transport header
				row.PayloadLen = uint32(ipPayload)
				row.Set(ColPayloadLen)
				row.Payload = row.IPPayload
				return
			}
			st = stTransport
		case stIPv6:
			// The 40-byte fixed header is decoded here: gopacket's IPv6
			// refuses a zero payload length without a jumbo option (a
			// Teredo bubble has one) and folds hop-by-hop into the header.
			if len(data) < 40 {
				if len(data) > 0 && data[0]>>4 != 6 {
					row.fail(errIPv6Bad)
				} else {
					row.fail(errIPv6Trunc)
				}
				return
			}
			if data[0]>>4 != 6 {
				row.fail(errIPv6Bad)
				return
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
			ipPayload = int(plen)
			data = data[40:]
			if plen != 0 && int(plen) < len(data) {
				data = data[:plen] // drop Ethernet padding
			}
			st = stTransport
		case stIPv6Ext:
			if err := d.ext.DecodeFromBytes(data, d); err != nil {
				row.fail(errIPv6ExtBad)
				return
			}
			ipPayload -= len(d.ext.Contents)
			row.IPProto = uint8(d.ext.NextHeader)
			data = d.ext.Payload
			st = stTransport
		case stIPv6Frag:
			if err := d.frag6.DecodeFromBytes(data, d); err != nil {
				row.fail(errIPv6ExtBad)
				return
			}
			f := &d.frag6
			ipPayload -= 8
			row.IPProto = uint8(f.NextHeader)
			row.IPID = f.Identification
			row.FragOffset = f.FragmentOffset * 8
			row.MoreFrags = f.MoreFragments
			row.has |= 1<<ColIPID | 1<<ColFragOffset | 1<<ColMoreFrags
			data = f.Payload
			row.IPPayload = clip(data, ipPayload)
			if f.FragmentOffset != 0 {
				row.PayloadLen = uint32(max(ipPayload, 0))
				row.Set(ColPayloadLen)
				row.Payload = row.IPPayload
				return
			}
			st = stTransport
		case stTransport:
			st, data = d.transport(row, data, &ipPayload)
		case stGRE:
			if err := d.gre.DecodeFromBytes(data, d); err != nil {
				row.fail(errGREBad)
				return
			}
			g := &d.gre
			row.setTunnel("gre", g.Key, g.KeyPresent)
			data = g.Payload
			switch g.Protocol {
			case 0x6558: // transparent Ethernet bridging
				st = stEthernet
			case 0x88be: // ERSPAN type II
				if g.SeqPresent {
					if err := d.erspan.DecodeFromBytes(data, d); err != nil {
						row.fail(errTunnelBad)
						return
					}
					row.setTunnel("erspan", uint32(d.erspan.SessionID), true)
					data = d.erspan.Payload
				} // else ERSPAN type I: Ethernet follows the GRE header
				st = stEthernet
			case 0x880b:
				st = stPPP
			default:
				row.EthType = uint16(g.Protocol)
				st = etherStep(row.EthType)
			}
		}
	}
}

// transport decodes the header after an IP header (or an extension header)
// and returns the next step: a tunnel, or stDone.
func (d *Decoder) transport(row *PacketRow, data []byte, ipPayload *int) (step, []byte) {
	switch row.IPProto {
	case 6:
		// The fixed header by hand, not layers.TCP: it also parsed the
		// options, which no column uses (allocating for MPTCP ones), and
		// was 9% of the decoding goroutine's time. It fails where
		// layers.TCP did: under 20 bytes, a data offset under 5 words or
		// beyond the bytes there.
		if off := tcpDataOffset(data); off < 20 || off > len(data) {
			// A header cut by the snaplen, or with a bad data offset: keep
			// the ports if they are there, as tshark does.
			if len(data) >= 4 {
				row.SrcPort = binary.BigEndian.Uint16(data)
				row.DstPort = binary.BigEndian.Uint16(data[2:])
				row.has |= 1<<ColSrcPort | 1<<ColDstPort
			}
			if len(data) < 20 {
				row.fail(errTCPTrunc)
			} else {
				row.fail(errTCPBad)
			}
			return stDone, nil
		}
		off := tcpDataOffset(data)
		row.L4 = clip(data, *ipPayload)
		row.SrcPort = binary.BigEndian.Uint16(data)
		row.DstPort = binary.BigEndian.Uint16(data[2:])
		row.TCPSeq = binary.BigEndian.Uint32(data[4:])
		row.TCPAck = binary.BigEndian.Uint32(data[8:])
		row.TCPFlags = binary.BigEndian.Uint16(data[12:]) & 0x0fff
		row.TCPWin = binary.BigEndian.Uint16(data[14:])
		row.PayloadLen = uint32(max(*ipPayload-off, 0))
		row.Payload = clip(data[off:], int(row.PayloadLen))
		row.has |= 1<<ColSrcPort | 1<<ColDstPort | 1<<ColTCPFlags | 1<<ColTCPSeq | 1<<ColTCPAck |
			1<<ColTCPWin | 1<<ColPayloadLen
		return stDone, nil
	case 17:
		if err := d.udp.DecodeFromBytes(data, d); err != nil {
			if len(data) >= 4 {
				row.SrcPort = binary.BigEndian.Uint16(data)
				row.DstPort = binary.BigEndian.Uint16(data[2:])
				row.has |= 1<<ColSrcPort | 1<<ColDstPort
			}
			row.fail(errUDPTrunc)
			return stDone, nil
		}
		u := &d.udp
		row.L4 = clip(data, *ipPayload)
		row.SrcPort, row.DstPort = uint16(u.SrcPort), uint16(u.DstPort)
		row.PayloadLen = uint32(max(*ipPayload-8, 0))
		row.Payload = clip(u.Payload, int(row.PayloadLen))
		row.has |= 1<<ColSrcPort | 1<<ColDstPort | 1<<ColPayloadLen
		return d.udpTunnel(row, u.Payload, ipPayload)
	case 132:
		if err := d.sctp.DecodeFromBytes(data, d); err != nil {
			row.fail(errSCTPTrunc)
			return stDone, nil
		}
		row.SrcPort, row.DstPort = uint16(d.sctp.SrcPort), uint16(d.sctp.DstPort)
		row.PayloadLen = uint32(max(*ipPayload-12, 0))
		row.Payload = clip(d.sctp.Payload, int(row.PayloadLen))
		row.has |= 1<<ColSrcPort | 1<<ColDstPort | 1<<ColPayloadLen
		return stDone, nil
	case 1:
		if err := d.icmp4.DecodeFromBytes(data, d); err != nil {
			row.fail(errICMPTrunc)
			return stDone, nil
		}
		row.ICMPType, row.ICMPCode = d.icmp4.TypeCode.Type(), d.icmp4.TypeCode.Code()
		row.PayloadLen = uint32(max(*ipPayload-8, 0))
		row.Payload = clip(d.icmp4.Payload, int(row.PayloadLen))
		row.has |= 1<<ColICMPType | 1<<ColICMPCode | 1<<ColPayloadLen
		return stDone, nil
	case 58:
		if err := d.icmp6.DecodeFromBytes(data, d); err != nil {
			row.fail(errICMPv6Trunc)
			return stDone, nil
		}
		row.ICMPType, row.ICMPCode = d.icmp6.TypeCode.Type(), d.icmp6.TypeCode.Code()
		row.PayloadLen = uint32(max(*ipPayload-4, 0))
		row.Payload = clip(d.icmp6.Payload, int(row.PayloadLen))
		row.has |= 1<<ColICMPType | 1<<ColICMPCode | 1<<ColPayloadLen
		return stDone, nil
	case 4: // IPv4 in IP
		row.setTunnel("ipip", 0, false)
		return stIPv4, data
	case 41: // IPv6 in IP
		row.setTunnel("ipip", 0, false)
		return stIPv6, data
	case 47:
		return stGRE, data
	case 0, 43, 60, 135, 139, 140, 253, 254: // IPv6 extension headers
		if row.IPVersion == 6 {
			return stIPv6Ext, data
		}
	case 44:
		if row.IPVersion == 6 {
			return stIPv6Frag, data
		}
	}
	row.PayloadLen = uint32(max(*ipPayload, 0))
	row.Set(ColPayloadLen)
	row.Payload = clip(data, int(row.PayloadLen))
	return stDone, nil
}

// clip returns at most the first n bytes of b.
func clip(b []byte, n int) []byte {
	if n < len(b) {
		if n < 0 {
			n = 0
		}
		return b[:n]
	}
	return b
}

// udpTunnel recognizes a tunnel inside UDP by port and content.
func (d *Decoder) udpTunnel(row *PacketRow, data []byte, ipPayload *int) (step, []byte) {
	port := func(p uint16) bool { return row.DstPort == p || row.SrcPort == p }
	switch {
	case port(4789) && len(data) >= 8 && data[0]&0x08 != 0:
		if err := d.vxlan.DecodeFromBytes(data, d); err != nil {
			return stDone, nil
		}
		row.setTunnel("vxlan", d.vxlan.VNI, d.vxlan.ValidIDFlag)
		return stEthernet, d.vxlan.Payload
	case port(6081) && len(data) >= 8 && data[0]>>6 == 0:
		if err := d.geneve.DecodeFromBytes(data, d); err != nil {
			return stDone, nil
		}
		row.setTunnel("geneve", d.geneve.VNI, true)
		switch d.geneve.Protocol {
		case 0x6558:
			return stEthernet, d.geneve.Payload
		default:
			row.EthType = uint16(d.geneve.Protocol)
			return etherStep(row.EthType), d.geneve.Payload
		}
	case port(2152) && len(data) >= 8 && data[0]>>5 == 1 && data[1] == 0xff:
		if err := d.gtp.DecodeFromBytes(data, d); err != nil {
			return stDone, nil
		}
		p := d.gtp.Payload
		if len(p) == 0 {
			return stDone, nil
		}
		row.setTunnel("gtpu", d.gtp.TEID, true)
		switch p[0] >> 4 {
		case 4:
			return stIPv4, p
		case 6:
			return stIPv6, p
		}
	case port(3544) && row.IPVersion == 4:
		// Teredo: optional authentication (0x0001) and origin indication
		// (0x0000) headers, then IPv6.
		p := data
		if len(p) >= 4 && p[0] == 0 && p[1] == 1 {
			n := 13 + int(p[2]) + int(p[3])
			if len(p) < n {
				return stDone, nil
			}
			p = p[n:]
		}
		if len(p) >= 8 && p[0] == 0 && p[1] == 0 {
			p = p[8:]
		}
		if len(p) >= 40 && p[0]>>4 == 6 {
			row.setTunnel("teredo", 0, false)
			return stIPv6, p
		}
	}
	return stDone, nil
}

// clearTransport forgets transport fields of an outer packet when an inner
// IP header is found.
func (r *PacketRow) clearTransport() {
	r.has &^= 1<<ColSrcPort | 1<<ColDstPort | 1<<ColTCPFlags | 1<<ColTCPSeq | 1<<ColTCPAck |
		1<<ColTCPWin | 1<<ColICMPType | 1<<ColICMPCode | 1<<ColPayloadLen
	r.Payload, r.L4 = nil, nil
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

// dot11 decodes an 802.11 MAC header and, for data frames, the LLC/SNAP
// header. It returns the payload after the EtherType, or false when the
// frame carries no decodable network packet.
func (d *Decoder) dot11(data []byte, row *PacketRow) ([]byte, bool) {
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
	if subtype&0x8 != 0 { // QoS data
		hl += 2
		if flags&0x80 != 0 { // +HTC
			hl += 4
		}
	}
	if subtype&0x4 != 0 || flags&0x40 != 0 { // null data, or protected
		return nil, false
	}
	if len(data) < hl+8 {
		row.fail(errDot11Trunc)
		return nil, false
	}
	p := data[hl:]
	if p[0] != 0xaa || p[1] != 0xaa || p[2] != 0x03 {
		return nil, false
	}
	row.EthType = binary.BigEndian.Uint16(p[6:])
	row.Set(ColEthType)
	return p[8:], true
}
