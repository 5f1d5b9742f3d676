package parsers

import (
	"github.com/gopacket/gopacket/layers"
	"github.com/pcap2table/pcap2table/parsers/capture"
)

// The decoder is a loop of steps: each step decodes one header (link.go,
// dot11.go, ip.go, transport.go, tunnel.go) and names the next one, until
// a header carries nothing more to decode or does not decode.

// Decoder decodes the link, network and transport headers of packets into
// a PacketRow. It keeps one instance of each gopacket DecodingLayer and
// reuses them: a Decoder is not safe for concurrent use, and decoding does
// not allocate for the common stacks (Ethernet/SLL/raw/loopback/Cisco
// HDLC/NFLOG, VLAN, VN-Tag, PBB, MPLS, PPPoE, IPv4/IPv6, TCP/UDP/SCTP/ICMP,
// and the tunnels).
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
}

// SetTruncated implements gopacket.DecodeFeedback, which the layers'
// DecodeFromBytes take; the decoder finds truncation from the lengths
// itself (a decode_error), so it has nothing to record.
func (d *Decoder) SetTruncated() {}

// ErrTimeOutOfRange is the decode_error of a packet whose timestamp is
// out of what timestamp[ns] holds (when no header failed to decode).
const ErrTimeOutOfRange = "time: out of range (before 1677-09-21 or after 2262-04-11)"

// ErrUnsupportedLink is the decode_error of the packets of a link type
// the decoder does not read (see Decodes).
const ErrUnsupportedLink = "link: unsupported link type"

// step names what to decode next.
type step uint8

const (
	stDone step = iota
	stEthernet
	stFDDI
	stFabricPath
	stEtherType // dispatch on row.EthType (in run: a VLAN tag, or etherStep's)
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
	stVNTag
	stPBB
	stCHDLC
	stNFLOG
)

// Reasons for decode_error. Constants, so that a bad packet costs no
// allocation either.
const (
	errUnsupportedLink = ErrUnsupportedLink
	errEthTrunc        = "ethernet: truncated"
	errFDDITrunc       = "fddi: truncated"
	errFabricPathTrunc = "fabricpath: truncated"
	errVLANTrunc       = "vlan: truncated"
	errVNTagTrunc      = "vntag: truncated"
	errPBBTrunc        = "pbb: truncated"
	errCHDLCTrunc      = "chdlc: truncated"
	errNFLOGTrunc      = "nflog: truncated"
	errNFLOGBad        = "nflog: malformed tlv"
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
	errERSPANTrunc     = "erspan: truncated"
	errAYIYATrunc      = "ayiya: truncated"
	errAMSDUBad        = "802.11: malformed a-msdu subframe"
	errTunnelBad       = "tunnel: malformed"
	errTooDeep         = "decode: too many nested headers"
)

// maxDepth bounds nested headers (hostile captures nest tunnels forever).
const maxDepth = 512

// cursor is where decoding stands in a packet. The steps read their
// header at data and leave data at what follows it; the run keeps the
// cursor on its stack: passing it to the steps allocates nothing.
type cursor struct {
	data []byte
	// ipPayload is the IP payload length from the headers of the
	// innermost IP packet so far (not the captured bytes), for
	// payload_len.
	ipPayload int
	// vlanTags counts the VLAN tags decoded: the first two fill vlan and
	// vlan_inner.
	vlanTags int
}

// Decode fills row from p. Every packet yields a row: a header that does not
// decode stops decoding and sets DecodeError, keeping what was decoded.
func (d *Decoder) Decode(p *capture.Packet, row *PacketRow) {
	// Cleared in place, then filled: a composite literal would be built
	// on the stack and copied over, twice the stores on every packet.
	*row = PacketRow{}
	row.File = p.File
	row.Frame = p.Frame
	row.TS = p.Timestamp
	row.CapLen = p.CapLen
	row.Length = p.Length
	row.Interface = p.Interface
	row.LinkType = uint16(p.LinkType)
	switch {
	case p.TimeOutOfRange:
		row.has |= untimed
		row.TS = 0
	case !p.NoTimestamp:
		row.Set(ColTS)
	}
	if st := firstStep(p.LinkType); st == stDone {
		row.fail(errUnsupportedLink)
	} else {
		d.run(st, p.Data, row, 0)
	}
	if p.TimeOutOfRange && row.DecodeError == "" {
		row.fail(ErrTimeOutOfRange)
	}
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

// run decodes data from step st, each step naming the next, until one
// returns stDone. ipPayload is the IP payload length the headers before
// data declared (see cursor).
func (d *Decoder) run(st step, data []byte, row *PacketRow, ipPayload int) {
	c := cursor{data: data, ipPayload: ipPayload}
	for depth := 0; st != stDone; depth++ {
		if depth == maxDepth {
			row.fail(errTooDeep)
			return
		}
		switch st {
		case stEthernet:
			st = d.decodeEthernet(row, &c)
		case stEtherType: // not a method: it saves a call on most packets
			if st = etherStep(row.EthType); st == stEtherType {
				st = d.decodeVLAN(row, &c)
			}
		case stFDDI:
			st = d.decodeFDDI(row, &c)
		case stFabricPath:
			st = d.decodeFabricPath(row, &c)
		case stSLL:
			st = d.decodeSLL(row, &c)
		case stSLL2:
			st = d.decodeSLL2(row, &c)
		case stLoopback:
			st = d.decodeLoopback(row, &c)
		case stRawIP:
			st = d.decodeRawIP(row, &c)
		case stPPPHDLC, stPPP:
			st = d.decodePPP(row, &c)
		case stPPPoE:
			st = d.decodePPPoE(row, &c)
		case stMPLS:
			st = d.decodeMPLS(row, &c)
		case stRadiotap:
			st = d.decodeRadiotap(row, &c)
		case stDot11:
			st = d.decodeDot11(row, &c)
		case stVNTag:
			st = d.decodeVNTag(row, &c)
		case stPBB:
			st = d.decodePBB(row, &c)
		case stCHDLC:
			st = d.decodeCHDLC(row, &c)
		case stNFLOG:
			st = d.decodeNFLOG(row, &c)
		case stIPv4:
			st = d.decodeIPv4(row, &c)
		case stIPv6:
			st = d.decodeIPv6(row, &c)
		case stIPv6Ext:
			st = d.decodeIPv6Ext(row, &c)
		case stIPv6Frag:
			st = d.decodeIPv6Frag(row, &c)
		case stTransport:
			st = d.decodeTransport(row, &c)
		case stGRE:
			st = d.decodeGRE(row, &c)
		}
	}
}

// fail stops decoding with reason as decode_error.
func (r *PacketRow) fail(reason string) {
	r.DecodeError = reason
	r.Set(ColDecodeError)
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
