package parsers

import (
	"slices"
	"unsafe"

	"github.com/pcap2table/pcap2table/table"
)

// AppendRows appends rows to a batch of Schema, column by column,
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
		case ColFrame, ColCapLen, ColLength, ColInterface, ColLinkType:
			fillUint(v, rows, -1, packetUintFields[col])
		case ColTS:
			base := grow(v, len(rows))
			v.I64 = slices.Grow(v.I64, len(rows))[:base+len(rows)]
			for i := range rows {
				v.I64[base+i] = rows[i].TS
				v.Valid[base+i] = rows[i].has&(1<<ColTS) != 0
			}
		case ColEthSrc, ColEthDst, ColTunnel, ColSrcIP, ColDstIP, ColMoreFrags, ColCommunityID, ColDecodeError:
			for i := range rows {
				rows[i].appendCol(b.Cols, files, col)
			}
		default:
			fillUint(v, rows, col, packetUintFields[col])
		}
	}
}

// packetUintGetters read the nullable unsigned columns one row at a time,
// for AppendTo (AppendRows reads them at packetUintFields' offsets).
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

// A uintField locates an unsigned integer field of PacketRow: its offset
// and size in bytes.
type uintField struct {
	off  uintptr
	size uintptr
}

// packetUintFields locate the fields of the unsigned columns, for
// fillUint; packetUintGetters read the nullable ones one row at a time
// for AppendTo (TestAppendRowsEqualsAppendTo keeps the two equal).
var packetUintFields = func() (f [numPacketCols]uintField) {
	var r PacketRow
	f[ColFrame] = uintField{unsafe.Offsetof(r.Frame), unsafe.Sizeof(r.Frame)}
	f[ColCapLen] = uintField{unsafe.Offsetof(r.CapLen), unsafe.Sizeof(r.CapLen)}
	f[ColLength] = uintField{unsafe.Offsetof(r.Length), unsafe.Sizeof(r.Length)}
	f[ColInterface] = uintField{unsafe.Offsetof(r.Interface), unsafe.Sizeof(r.Interface)}
	f[ColLinkType] = uintField{unsafe.Offsetof(r.LinkType), unsafe.Sizeof(r.LinkType)}
	f[ColEthType] = uintField{unsafe.Offsetof(r.EthType), unsafe.Sizeof(r.EthType)}
	f[ColVLAN] = uintField{unsafe.Offsetof(r.VLAN), unsafe.Sizeof(r.VLAN)}
	f[ColVLANInner] = uintField{unsafe.Offsetof(r.VLANInner), unsafe.Sizeof(r.VLANInner)}
	f[ColMPLSLabel] = uintField{unsafe.Offsetof(r.MPLSLabel), unsafe.Sizeof(r.MPLSLabel)}
	f[ColTunnelID] = uintField{unsafe.Offsetof(r.TunnelID), unsafe.Sizeof(r.TunnelID)}
	f[ColIPVersion] = uintField{unsafe.Offsetof(r.IPVersion), unsafe.Sizeof(r.IPVersion)}
	f[ColIPProto] = uintField{unsafe.Offsetof(r.IPProto), unsafe.Sizeof(r.IPProto)}
	f[ColIPTTL] = uintField{unsafe.Offsetof(r.IPTTL), unsafe.Sizeof(r.IPTTL)}
	f[ColIPLen] = uintField{unsafe.Offsetof(r.IPLen), unsafe.Sizeof(r.IPLen)}
	f[ColIPID] = uintField{unsafe.Offsetof(r.IPID), unsafe.Sizeof(r.IPID)}
	f[ColFragOffset] = uintField{unsafe.Offsetof(r.FragOffset), unsafe.Sizeof(r.FragOffset)}
	f[ColSrcPort] = uintField{unsafe.Offsetof(r.SrcPort), unsafe.Sizeof(r.SrcPort)}
	f[ColDstPort] = uintField{unsafe.Offsetof(r.DstPort), unsafe.Sizeof(r.DstPort)}
	f[ColTCPFlags] = uintField{unsafe.Offsetof(r.TCPFlags), unsafe.Sizeof(r.TCPFlags)}
	f[ColTCPSeq] = uintField{unsafe.Offsetof(r.TCPSeq), unsafe.Sizeof(r.TCPSeq)}
	f[ColTCPAck] = uintField{unsafe.Offsetof(r.TCPAck), unsafe.Sizeof(r.TCPAck)}
	f[ColTCPWin] = uintField{unsafe.Offsetof(r.TCPWin), unsafe.Sizeof(r.TCPWin)}
	f[ColICMPType] = uintField{unsafe.Offsetof(r.ICMPType), unsafe.Sizeof(r.ICMPType)}
	f[ColICMPCode] = uintField{unsafe.Offsetof(r.ICMPCode), unsafe.Sizeof(r.ICMPCode)}
	f[ColPayloadLen] = uintField{unsafe.Offsetof(r.PayloadLen), unsafe.Sizeof(r.PayloadLen)}
	f[ColFlowID] = uintField{unsafe.Offsetof(r.FlowID), unsafe.Sizeof(r.FlowID)}
	return f
}()

// fillUint appends field f of every row; col >= 0 is the nullable column
// whose presence bit sets Valid (a null stores zero), col < 0 a column
// that is never null. It reads the field at its offset, a load per row:
// a getter function per column was an indirect call per value (5 % of an
// all-tables run).
func fillUint(v *table.Vector, rows []PacketRow, col int, f uintField) {
	base := grow(v, len(rows))
	v.U64 = slices.Grow(v.U64, len(rows))[:base+len(rows)]
	u, valid := v.U64[base:], v.Valid[base:]
	bit := uint64(0)
	if col >= 0 {
		bit = uint64(1) << col
	}
	switch f.size {
	case 1:
		fillField[uint8](u, valid, rows, bit, f.off)
	case 2:
		fillField[uint16](u, valid, rows, bit, f.off)
	case 4:
		fillField[uint32](u, valid, rows, bit, f.off)
	case 8:
		fillField[uint64](u, valid, rows, bit, f.off)
	default:
		panic("parsers: no unsigned field of that size")
	}
}

// fillField is fillUint for a field of type T at offset off; bit 0: never
// null.
func fillField[T uint8 | uint16 | uint32 | uint64](u []uint64, valid []bool, rows []PacketRow, bit uint64, off uintptr) {
	u, valid = u[:len(rows)], valid[:len(rows)]
	if bit == 0 {
		for i := range rows {
			u[i] = uint64(*(*T)(unsafe.Add(unsafe.Pointer(&rows[i]), off)))
			valid[i] = true
		}
		return
	}
	for i := range rows {
		r := &rows[i]
		if r.has&bit != 0 {
			u[i] = uint64(*(*T)(unsafe.Add(unsafe.Pointer(r), off)))
			valid[i] = true
		} else {
			u[i] = 0
			valid[i] = false
		}
	}
}
