package parsers

import (
	"math/bits"
	"net/netip"

	"github.com/pcap2table/pcap2table/table"
)

// Column indexes of the packets table, in schema order.
const (
	ColFile = iota
	ColFrame
	ColTS
	ColCapLen
	ColLength
	ColInterface
	ColLinkType
	ColEthSrc
	ColEthDst
	ColEthType
	ColVLAN
	ColVLANInner
	ColMPLSLabel
	ColTunnel
	ColTunnelID
	ColIPVersion
	ColSrcIP
	ColDstIP
	ColIPProto
	ColIPTTL
	ColIPLen
	ColIPID
	ColFragOffset
	ColMoreFrags
	ColSrcPort
	ColDstPort
	ColTCPFlags
	ColTCPSeq
	ColTCPAck
	ColTCPWin
	ColICMPType
	ColICMPCode
	ColPayloadLen
	ColFlowID
	ColCommunityID
	ColDecodeError
	numPacketCols
)

// Schema is the packets table: one row per packet, in capture order
// (several inputs: merged in timestamp order).
var Schema = &table.Schema{
	Name:    "packets",
	Version: 1,
	// Row groups of 128 Ki rows (DuckDB writes 120 Ki): a row group's
	// dictionaries then hold the addresses of fewer flows, and their
	// lookups stay in cache. Measured on the bench capture, all tables,
	// -j 1: 6 % less CPU than 1 Mi rows, 40 MiB less peak memory, and a
	// file no larger.
	RowGroupRows: 1 << 17,
	Doc: "One row per packet, in capture order (several inputs are merged in timestamp order, ties in input order). " +
		"IP, port and ICMP columns describe the innermost IP packet; `tunnel` and `tunnel_id` say how it was carried. " +
		"Null means absent (the header was not in the packet or could not be decoded); zero means zero.",
	Columns: []table.Column{
		{Name: "file", Type: table.String, Hint: table.Dict, Doc: "Input file name as given on the command line (`-` for stdin)."},
		{Name: "frame", Type: table.Uint64, Hint: table.Delta, Doc: "1-based index of the packet within its file (tshark's `frame.number`)."},
		{Name: "ts", Type: table.Timestamp, Nullable: true, Hint: table.Delta, Doc: "Capture timestamp, exact to the nanosecond (pcapng `if_tsresol`/`if_tsoffset` applied). Null for pcapng simple packet blocks, which carry no timestamp, and for a time outside what timestamp[ns] holds (before 1677-09-21 or after 2262-04-11; `decode_error` says so unless a header failed too): never a made-up time."},
		{Name: "caplen", Type: table.Uint32, Hint: table.Dict, Doc: "Bytes captured."},
		{Name: "length", Type: table.Uint32, Hint: table.Dict, Doc: "Bytes on the wire (the original length); larger than `caplen` when the snaplen cut the packet."},
		{Name: "interface", Type: table.Uint32, Hint: table.Dict, Doc: "pcapng interface id, counted across sections as Wireshark does; 0 for pcap."},
		{Name: "linktype", Type: table.Uint16, Hint: table.Dict, Doc: "LINKTYPE_ value of the packet's interface (1 Ethernet, 113 Linux SLL, 276 SLL2, 101 raw IP, 0 NULL, 127 radiotap, ...)."},
		{Name: "eth_src", Type: table.String, Nullable: true, Hint: table.Dict, Doc: "Source MAC (`aa:bb:cc:dd:ee:ff`) of the innermost Ethernet header; for Linux SLL the link-layer address; for 802.11 data frames the source address (SA)."},
		{Name: "eth_dst", Type: table.String, Nullable: true, Hint: table.Dict, Doc: "Destination MAC of the innermost Ethernet header; for 802.11 data frames the destination address (DA). Null for Linux SLL."},
		{Name: "eth_type", Type: table.Uint16, Nullable: true, Hint: table.Dict, Doc: "EtherType of the payload of the innermost Ethernet (or SLL, Cisco HDLC, or 802.11 LLC/SNAP) header, after any VLAN and VN-Tag tags (0x0800 IPv4, 0x86dd IPv6, 0x0806 ARP, ...)."},
		{Name: "vlan", Type: table.Uint16, Nullable: true, Hint: table.Dict, Doc: "VLAN id of the outermost 802.1Q/802.1ad tag."},
		{Name: "vlan_inner", Type: table.Uint16, Nullable: true, Doc: "VLAN id of the second tag (QinQ)."},
		{Name: "mpls_label", Type: table.Uint32, Nullable: true, Doc: "Outermost MPLS label."},
		{Name: "tunnel", Type: table.String, Nullable: true, Hint: table.Dict, Doc: "Innermost encapsulation that carried the innermost IP packet: `gre` (also GRE in UDP, and Aruba's 802.11 frames in GRE), `erspan` (types I, II and III), `vxlan`, `geneve`, `ipip` (IPv4 or IPv6 in IPv4 or IPv6), `gtpu`, `teredo` (on any UDP port), `ayiya`, `pptp` (enhanced GRE, version 1), `pbb` (802.1ah MAC-in-MAC)."},
		{Name: "tunnel_id", Type: table.Uint32, Nullable: true, Doc: "Identifier of that tunnel: GRE key, ERSPAN session id, VXLAN/Geneve VNI, GTP-U TEID, PPTP call id (the receiving peer's), PBB I-SID. Null when the tunnel has none."},
		{Name: "ip_version", Type: table.Uint8, Nullable: true, Hint: table.Dict, Doc: "4 or 6."},
		{Name: "src_ip", Type: table.String, Nullable: true, Hint: table.Dict, Doc: "Source address of the innermost IP packet (RFC 5952 text form for IPv6)."},
		{Name: "dst_ip", Type: table.String, Nullable: true, Hint: table.Dict, Doc: "Destination address of the innermost IP packet."},
		{Name: "ip_proto", Type: table.Uint8, Nullable: true, Hint: table.Dict, Doc: "Transport protocol number; for IPv6, the one after the extension headers."},
		{Name: "ip_ttl", Type: table.Uint8, Nullable: true, Hint: table.Dict, Doc: "IPv4 TTL or IPv6 hop limit."},
		{Name: "ip_len", Type: table.Uint16, Nullable: true, Hint: table.Dict, Doc: "Total length of the IP packet as its header says (IPv6: payload length + 40)."},
		{Name: "ip_id", Type: table.Uint32, Nullable: true, Doc: "IPv4 identification; for IPv6, the fragment header's identification (null without one)."},
		{Name: "frag_offset", Type: table.Uint16, Nullable: true, Doc: "Fragment offset in bytes (IPv4, or IPv6 with a fragment header)."},
		{Name: "more_frags", Type: table.Bool, Nullable: true, Doc: "More-fragments flag (IPv4, or IPv6 with a fragment header)."},
		{Name: "src_port", Type: table.Uint16, Nullable: true, Hint: table.Dict, Doc: "TCP, UDP or SCTP source port. Null for non-first fragments."},
		{Name: "dst_port", Type: table.Uint16, Nullable: true, Hint: table.Dict, Doc: "TCP, UDP or SCTP destination port."},
		{Name: "tcp_flags", Type: table.Uint16, Nullable: true, Hint: table.Dict, Doc: "TCP flags as tshark's `tcp.flags` bitmask (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20, ECE 0x40, CWR 0x80, AE 0x100, reserved 0xe00). 0 is a packet with no flags; null is not TCP."},
		{Name: "tcp_seq", Type: table.Uint32, Nullable: true, Doc: "Raw TCP sequence number."},
		{Name: "tcp_ack", Type: table.Uint32, Nullable: true, Doc: "Raw TCP acknowledgment number."},
		{Name: "tcp_win", Type: table.Uint16, Nullable: true, Hint: table.Dict, Doc: "Raw TCP window field (not scaled)."},
		{Name: "icmp_type", Type: table.Uint8, Nullable: true, Hint: table.Dict, Doc: "ICMP or ICMPv6 type."},
		{Name: "icmp_code", Type: table.Uint8, Nullable: true, Hint: table.Dict, Doc: "ICMP or ICMPv6 code."},
		{Name: "payload_len", Type: table.Uint32, Nullable: true, Doc: "Bytes after the transport header as the IP/UDP lengths say (TCP: tshark's `tcp.len`; ICMP and ICMPv6: after their 8-byte header, as Zeek counts them); for other IP protocols and non-first fragments, the IP payload length."},
		{Name: "flow_id", Type: table.Uint64, Nullable: true, Hint: table.Dict, Doc: "Deterministic id of the packet's flow (below 2^53) (see the flows table), the key to join it; null for a packet that is not IP, a later fragment whose first fragment was not seen, or a packet whose time is out of range (see `ts`)."},
		{Name: "community_id", Type: table.String, Nullable: true, Hint: table.Dict, Doc: "Community ID v1 of the packet's flow (seed 0 unless `--community-id-seed`); null when `flow_id` is. Later fragments carry their datagram's."},
		{Name: "decode_error", Type: table.String, Nullable: true, Hint: table.Dict, Doc: "Why decoding stopped early (`<layer>: <reason>`); null when every header present was decoded or the next protocol is simply not one this tool decodes."},
	},
}

// PacketRow is the decoded view of one packet, filled by a Decoder and
// reused for every packet. Nullable fields are valid only when their
// column's bit is set (see Has).
type PacketRow struct {
	File       int
	Frame      uint64
	TS         int64
	CapLen     uint32
	Length     uint32
	Interface  uint32
	LinkType   uint16
	EthSrc     [6]byte
	EthDst     [6]byte
	EthType    uint16
	VLAN       uint16
	VLANInner  uint16
	MPLSLabel  uint32
	Tunnel     string // a constant; never allocated per packet
	TunnelID   uint32
	IPVersion  uint8
	SrcIP      netip.Addr
	DstIP      netip.Addr
	IPProto    uint8
	IPTTL      uint8
	IPLen      uint16
	IPID       uint32
	FragOffset uint16
	MoreFrags  bool
	SrcPort    uint16
	DstPort    uint16
	TCPFlags   uint16
	TCPSeq     uint32
	TCPAck     uint32
	TCPWin     uint16
	ICMPType   uint8
	ICMPCode   uint8
	PayloadLen uint32
	FlowID     uint64
	// CommunityID holds the base64 text "1:..." (30 bytes) when set.
	CommunityID [30]byte
	DecodeError string // a constant; never allocated per packet

	// Payload is the captured part of the transport payload (TCP, UDP,
	// SCTP, ICMP data, or what follows an IP header of another protocol),
	// and IPPayload the captured part of a fragment's data (what follows
	// the IPv4 header or the IPv6 fragment header); nil otherwise. Neither
	// is a column. They point into the packet's buffer: valid only until
	// the source's next Next (copy what must outlive it).
	Payload   []byte
	IPPayload []byte
	// L4 is the captured part of the TCP or UDP segment (header and
	// payload, up to the IP length), for checksums; same lifetime.
	L4 []byte

	has uint64 // bit i set: nullable column i is present; untimed
}

// untimed is a bit of PacketRow.has beyond the columns': the packet's
// timestamp is out of range (capture.Packet.TimeOutOfRange).
const untimed = 1 << 63

// elsewhere is a bit of PacketRow.has: the packet is another run's (a
// split conversion's other part: see SetElsewhere).
const elsewhere = 1 << 62

// SetElsewhere marks the row as another run's, in a conversion split
// among several (pcap2table's Options.Parts): the flow tracker takes its
// time as the clock's, as the whole conversion's would, but gives it to
// no flow; it goes in no table. Decoding the next packet into the row
// clears the mark.
func (r *PacketRow) SetElsewhere() { r.has |= elsewhere }

// Elsewhere reports whether SetElsewhere marked the row.
func (r *PacketRow) Elsewhere() bool { return r.has&elsewhere != 0 }

// Untimed reports whether the packet's timestamp could not be written
// (out of what timestamp[ns] holds): its ts is null and it belongs to no
// flow, as a flow's times would be made up.
func (r *PacketRow) Untimed() bool { return r.has&untimed != 0 }

// Has reports whether column col is non-null in the row.
func (r *PacketRow) Has(col int) bool { return r.has&(1<<col) != 0 }

// Set marks column col as present.
func (r *PacketRow) Set(col int) { r.has |= 1 << col }

// Clear marks column col as null.
func (r *PacketRow) Clear(col int) { r.has &^= 1 << col }

const hexDigits = "0123456789abcdef"

func appendMAC(b []byte, m *[6]byte) []byte {
	for i, x := range m {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, hexDigits[x>>4], hexDigits[x&15])
	}
	return b
}

// AllColumns selects every column for AppendTo.
const AllColumns = ^uint64(0)

// AppendTo appends the row to a batch of Schema, filling only the
// columns whose bit is set in want (the others stay empty: no writer reads
// them). files holds the input names, indexed by File. It does not
// allocate once the batch has grown to its working size. The pipeline
// moves whole row buffers with AppendRows, which is faster; AppendTo is
// for one row at a time.
func (r *PacketRow) AppendTo(b *table.Batch, files []string, want uint64) {
	b.N++
	for m := want & (1<<numPacketCols - 1); m != 0; m &= m - 1 {
		r.appendCol(b.Cols, files, bits.TrailingZeros64(m))
	}
}

// appendCol appends one column of the row: null when the schema says the
// column is nullable and the row does not have it.
func (r *PacketRow) appendCol(c []table.Vector, files []string, col int) {
	v := &c[col]
	if Schema.Columns[col].Nullable && !r.Has(col) {
		v.AppendNull()
		return
	}
	switch col {
	case ColFile:
		v.AppendString(files[r.File])
	case ColFrame:
		v.AppendUint(r.Frame)
	case ColTS:
		v.AppendInt(r.TS)
	case ColCapLen:
		v.AppendUint(uint64(r.CapLen))
	case ColLength:
		v.AppendUint(uint64(r.Length))
	case ColInterface:
		v.AppendUint(uint64(r.Interface))
	case ColLinkType:
		v.AppendUint(uint64(r.LinkType))
	case ColEthSrc:
		v.Str = appendMAC(v.Str, &r.EthSrc)
		v.EndString()
	case ColEthDst:
		v.Str = appendMAC(v.Str, &r.EthDst)
		v.EndString()
	case ColTunnel:
		v.AppendString(r.Tunnel)
	case ColSrcIP:
		v.Str = AppendAddr(v.Str, r.SrcIP)
		v.EndString()
	case ColDstIP:
		v.Str = AppendAddr(v.Str, r.DstIP)
		v.EndString()
	case ColMoreFrags:
		v.AppendBool(r.MoreFrags)
	case ColCommunityID:
		v.AppendBytes(r.CommunityID[:])
	case ColDecodeError:
		v.AppendString(r.DecodeError)
	default:
		v.AppendUint(packetUintGetters[col](r))
	}
}
