package parsers

import (
	"slices"

	"github.com/pcap2table/pcap2table/table"
)

// AppendRows appends rows to a batch of PacketsSchema, column by column,
// filling only the columns listed in cols (the others stay empty: no writer
// reads them). Column-major loops cost a few ns per value, against about
// 16 ns per value for row-at-a-time appends with a per-value column switch.
// files holds the input names, indexed by PacketRow.File. It does not
// allocate once the batch has grown to its working size.
func AppendRows(b *table.Batch, rows []PacketRow, files []string, cols []int) {
	b.N += len(rows)
	for _, col := range cols {
		v := &b.Cols[col]
		switch col {
		case ColFile:
			for i := range rows {
				v.AppendString(files[rows[i].File])
			}
		case ColFrame:
			fillUint(v, rows, -1, func(r *PacketRow) uint64 { return r.Frame })
		case ColTS:
			base := grow(v, len(rows))
			v.I64 = slices.Grow(v.I64, len(rows))[:base+len(rows)]
			for i := range rows {
				v.I64[base+i] = rows[i].TS
				v.Valid[base+i] = rows[i].has&(1<<ColTS) != 0
			}
		case ColCapLen:
			fillUint(v, rows, -1, func(r *PacketRow) uint64 { return uint64(r.CapLen) })
		case ColLength:
			fillUint(v, rows, -1, func(r *PacketRow) uint64 { return uint64(r.Length) })
		case ColInterface:
			fillUint(v, rows, -1, func(r *PacketRow) uint64 { return uint64(r.Interface) })
		case ColLinkType:
			fillUint(v, rows, -1, func(r *PacketRow) uint64 { return uint64(r.LinkType) })
		case ColEthSrc, ColEthDst, ColTunnel, ColSrcIP, ColDstIP, ColMoreFrags, ColCommunityID, ColDecodeError:
			for i := range rows {
				rows[i].appendCol(b.Cols, files, col)
			}
		default:
			fillUint(v, rows, col, packetUintGetters[col])
		}
	}
}

// packetUintGetters read the nullable unsigned columns (for AppendRows
// and AppendTo alike).
var packetUintGetters = [numPacketCols]func(*PacketRow) uint64{
	ColEthType:    func(r *PacketRow) uint64 { return uint64(r.EthType) },
	ColVLAN:       func(r *PacketRow) uint64 { return uint64(r.VLAN) },
	ColVLANInner:  func(r *PacketRow) uint64 { return uint64(r.VLANInner) },
	ColMPLSLabel:  func(r *PacketRow) uint64 { return uint64(r.MPLSLabel) },
	ColTunnelID:   func(r *PacketRow) uint64 { return uint64(r.TunnelID) },
	ColIPVersion:  func(r *PacketRow) uint64 { return uint64(r.IPVersion) },
	ColIPProto:    func(r *PacketRow) uint64 { return uint64(r.IPProto) },
	ColIPTTL:      func(r *PacketRow) uint64 { return uint64(r.IPTTL) },
	ColIPLen:      func(r *PacketRow) uint64 { return uint64(r.IPLen) },
	ColIPID:       func(r *PacketRow) uint64 { return uint64(r.IPID) },
	ColFragOffset: func(r *PacketRow) uint64 { return uint64(r.FragOffset) },
	ColSrcPort:    func(r *PacketRow) uint64 { return uint64(r.SrcPort) },
	ColDstPort:    func(r *PacketRow) uint64 { return uint64(r.DstPort) },
	ColTCPFlags:   func(r *PacketRow) uint64 { return uint64(r.TCPFlags) },
	ColTCPSeq:     func(r *PacketRow) uint64 { return uint64(r.TCPSeq) },
	ColTCPAck:     func(r *PacketRow) uint64 { return uint64(r.TCPAck) },
	ColTCPWin:     func(r *PacketRow) uint64 { return uint64(r.TCPWin) },
	ColICMPType:   func(r *PacketRow) uint64 { return uint64(r.ICMPType) },
	ColICMPCode:   func(r *PacketRow) uint64 { return uint64(r.ICMPCode) },
	ColPayloadLen: func(r *PacketRow) uint64 { return uint64(r.PayloadLen) },
	ColFlowID:     func(r *PacketRow) uint64 { return r.FlowID },
}

// grow extends v.Valid by n rows and returns the first new index.
func grow(v *table.Vector, n int) int {
	base := len(v.Valid)
	v.Valid = slices.Grow(v.Valid, n)[:base+n]
	return base
}

// fillUint appends get(row) for every row; col >= 0 is the nullable
// column whose presence bit sets Valid (a null stores zero), col < 0 a
// column that is never null.
func fillUint(v *table.Vector, rows []PacketRow, col int, get func(*PacketRow) uint64) {
	base := grow(v, len(rows))
	v.U64 = slices.Grow(v.U64, len(rows))[:base+len(rows)]
	u, valid := v.U64[base:], v.Valid[base:]
	if col < 0 {
		for i := range rows {
			u[i] = get(&rows[i])
			valid[i] = true
		}
		return
	}
	bit := uint64(1) << col
	for i := range rows {
		r := &rows[i]
		if r.has&bit != 0 {
			u[i] = get(r)
			valid[i] = true
		} else {
			u[i] = 0
			valid[i] = false
		}
	}
}
