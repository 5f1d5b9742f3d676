package capture

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/bits"
	"strings"

	"github.com/gopacket/gopacket/layers"
)

// pcapng block types.
const (
	ngSHB = 0x0A0D0D0A
	ngIDB = 0x00000001
	ngOPB = 0x00000002 // obsolete packet block
	ngSPB = 0x00000003
	ngEPB = 0x00000006
)

type ngInterface struct {
	linkType layers.LinkType
	snapLen  uint32
	// Timestamp units: per second = 10^exp10 or 2^exp2.
	pow2     bool
	exp      uint8
	offsetNs int64 // if_tsoffset, in ns
	// offsetBad: if_tsoffset is beyond what an int64 of ns holds, so no
	// packet of the interface has a time that can be written
	offsetBad bool
	global    uint32
}

// ngReader reads pcapng: several sections (each with its own byte order),
// several interfaces with their own link types and timestamp resolutions,
// enhanced, simple and obsolete packet blocks. Other blocks are skipped.
type ngReader struct {
	br      byteReader
	order   binary.ByteOrder
	ifaces  []ngInterface // of the current section
	nGlobal uint32        // interfaces seen in all sections
	file    int
	frame   uint64
	info    *Info
	err     error
	scratch []byte
}

func newNgReader(br byteReader, file int, info *Info) (*ngReader, error) {
	r := &ngReader{br: br, file: file, info: info}
	if err := r.readSHB(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *ngReader) Info() *Info { return r.info }

// block reads a whole block of length n starting at the current offset and
// consumes it. The slice aliases the read buffer unless the block is larger
// than the buffer.
func (r *ngReader) block(n int) ([]byte, error) {
	off := r.br.off
	if n <= ReadBufferSize {
		b, err := r.br.peek(n)
		if err != nil {
			return nil, r.br.errf(off, ErrTruncated, "block of %d bytes runs past the end of the file (%d bytes left)", n, len(b))
		}
		if err := r.br.discard(n); err != nil {
			return nil, r.br.errf(off, ErrTruncated, "%v", err)
		}
		return b, nil
	}
	if cap(r.scratch) < n {
		r.scratch = make([]byte, n)
	}
	b := r.scratch[:n]
	m, err := io.ReadFull(r.br.r, b)
	r.br.off += int64(m)
	if err != nil {
		return nil, r.br.errf(off, ErrTruncated, "block of %d bytes runs past the end of the file (%d bytes left)", n, m)
	}
	return b, nil
}

func (r *ngReader) readSHB() error {
	off := r.br.off
	h, err := r.br.peek(12)
	if err != nil {
		return r.br.errf(off, ErrTruncated, "section header block needs 12 bytes, file has %d", len(h))
	}
	switch binary.LittleEndian.Uint32(h[8:]) {
	case 0x1A2B3C4D:
		r.order = binary.LittleEndian
	case 0x4D3C2B1A:
		r.order = binary.BigEndian
	default:
		return r.br.errf(off+8, ErrCorrupt, "bad byte-order magic %#x in section header", binary.LittleEndian.Uint32(h[8:]))
	}
	n := r.order.Uint32(h[4:])
	if n < 28 || n%4 != 0 || n > maxBlockLen {
		return r.br.errf(off, ErrCorrupt, "section header block length %d", n)
	}
	b, err := r.block(int(n))
	if err != nil {
		return err
	}
	major, minor := r.order.Uint16(b[12:]), r.order.Uint16(b[14:])
	if major != 1 || (minor != 0 && minor != 2) {
		return r.br.errf(off+12, ErrUnsupported, "pcapng section version %d.%d", major, minor)
	}
	if r.order.Uint32(b[n-4:]) != n {
		return r.br.errf(off, ErrCorrupt, "section header block lengths differ")
	}
	r.ifaces = r.ifaces[:0]
	if r.info.Detail == "" {
		endian := "little-endian"
		if r.order == binary.BigEndian {
			endian = "big-endian"
		}
		r.info.Detail = fmt.Sprintf("version %d.%d, %s", major, minor, endian)
	}
	return nil
}

// Next reads blocks until a packet block. Data aliases the read buffer.
func (r *ngReader) Next(p *Packet) error {
	if r.err != nil {
		return r.err
	}
	r.err = r.next(p)
	return r.err
}

func (r *ngReader) next(p *Packet) error {
	for {
		off := r.br.off
		h, err := r.br.peek(8)
		if err == io.EOF {
			return io.EOF
		}
		if err != nil {
			return r.br.errf(off, ErrTruncated, "block header has %d of 8 bytes", len(h))
		}
		typ := r.order.Uint32(h)
		if typ == ngSHB {
			if err := r.readSHB(); err != nil {
				return err
			}
			continue
		}
		n := r.order.Uint32(h[4:])
		if n < 12 || n%4 != 0 || n > maxBlockLen {
			return r.br.errf(off, ErrCorrupt, "block type %#x has length %d", typ, n)
		}
		switch typ {
		case ngEPB, ngSPB, ngOPB:
			b, err := r.block(int(n))
			if err != nil {
				return err
			}
			if r.order.Uint32(b[n-4:]) != n {
				return r.br.errf(off, ErrCorrupt, "block lengths differ")
			}
			return r.packet(p, typ, b[8:n-4], off)
		case ngIDB:
			b, err := r.block(int(n))
			if err != nil {
				return err
			}
			if err := r.readIDB(b[8:n-4], off); err != nil {
				return err
			}
		default: // statistics, name resolution, secrets, custom, unknown
			if err := r.br.discard(int(n)); err != nil {
				return r.br.errf(off, ErrTruncated, "block of %d bytes runs past the end of the file", n)
			}
		}
	}
}

func (r *ngReader) readIDB(b []byte, off int64) error {
	if len(b) < 8 {
		return r.br.errf(off, ErrCorrupt, "interface description block too short")
	}
	ifc := ngInterface{
		linkType: layers.LinkType(r.order.Uint16(b)),
		snapLen:  r.order.Uint32(b[4:]),
		exp:      6,
		global:   r.nGlobal,
	}
	desc := Interface{LinkType: ifc.linkType, SnapLen: ifc.snapLen}
	opts := b[8:]
	for len(opts) >= 4 {
		code, l := r.order.Uint16(opts), int(r.order.Uint16(opts[2:]))
		if code == 0 {
			break
		}
		if 4+l > len(opts) {
			return r.br.errf(off, ErrCorrupt, "interface option %d overruns its block", code)
		}
		v := opts[4 : 4+l]
		text := func() string { return strings.TrimRight(string(v), "\x00") }
		switch {
		case code == 1:
			desc.Note = text()
		case code == 2:
			desc.Name = text()
		case code == 3:
			desc.Description = text()
		case code == 11 && l > 1 && v[0] == 0: // if_filter: a libpcap filter string
			desc.Filter = strings.TrimRight(string(v[1:]), "\x00")
		case code == 12:
			desc.OS = text()
		case code == 9 && l >= 1: // if_tsresol
			ifc.pow2 = v[0]&0x80 != 0
			ifc.exp = v[0] & 0x7f
			if (!ifc.pow2 && ifc.exp > 19) || (ifc.pow2 && ifc.exp > 63) {
				return r.br.errf(off, ErrUnsupported, "if_tsresol %#x", v[0])
			}
		case code == 14 && l >= 8: // if_tsoffset, signed seconds
			secs := int64(r.order.Uint64(v))
			if secs > math.MaxInt64/int64(1e9) || secs < math.MinInt64/int64(1e9) {
				ifc.offsetBad = true // no packet of the interface has a time
			} else {
				ifc.offsetNs = secs * 1e9
			}
		}
		opts = opts[4+(l+3)&^3:]
	}
	if len(r.ifaces) >= 1<<16 {
		return r.br.errf(off, ErrUnsupported, "more than 65536 interfaces in one section")
	}
	r.ifaces = append(r.ifaces, ifc)
	r.info.Interfaces = append(r.info.Interfaces, desc)
	r.nGlobal++
	r.info.LinkTypes = appendLinkType(r.info.LinkTypes, ifc.linkType)
	if r.info.SnapLen < ifc.snapLen {
		r.info.SnapLen = ifc.snapLen
	}
	return nil
}

func appendLinkType(l []layers.LinkType, t layers.LinkType) []layers.LinkType {
	for _, x := range l {
		if x == t {
			return l
		}
	}
	return append(l, t)
}

// ns converts timestamp units of an interface to ns since the epoch; ok
// is false when the time is outside what an int64 of ns holds.
func (ifc *ngInterface) ns(units uint64) (ns int64, ok bool) {
	var u uint64
	switch {
	case ifc.pow2:
		hi, lo := bits.Mul64(units, 1e9)
		if hi>>ifc.exp != 0 {
			return 0, false
		}
		u = lo
		if ifc.exp > 0 {
			u = lo>>ifc.exp | hi<<(64-ifc.exp)
		}
	case ifc.exp <= 9:
		m := uint64(pow10[9-ifc.exp])
		if units > math.MaxInt64/m {
			return 0, false
		}
		u = units * m
	default:
		u = units / uint64(pow10[ifc.exp-9])
	}
	if u > math.MaxInt64 || ifc.offsetBad {
		return 0, false
	}
	ns = int64(u)
	if off := ifc.offsetNs; off > 0 && ns > math.MaxInt64-off {
		return 0, false // ns >= 0: only a positive offset can overflow
	}
	return ns + ifc.offsetNs, true
}

var pow10 = [...]int64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18}

func (r *ngReader) packet(p *Packet, typ uint32, b []byte, off int64) error {
	var (
		ifID           uint32
		units          uint64
		caplen, length uint32
		data           []byte
	)
	switch typ {
	case ngEPB, ngOPB:
		if len(b) < 20 {
			return r.br.errf(off, ErrCorrupt, "packet block too short")
		}
		if typ == ngEPB {
			ifID = r.order.Uint32(b)
		} else {
			ifID = uint32(r.order.Uint16(b))
		}
		units = uint64(r.order.Uint32(b[4:]))<<32 | uint64(r.order.Uint32(b[8:]))
		caplen, length = r.order.Uint32(b[12:]), r.order.Uint32(b[16:])
		if caplen > MaxCapLen {
			return r.br.errf(off, ErrCorrupt, "frame %d: caplen %d exceeds %d", r.frame+1, caplen, MaxCapLen)
		}
		if int(caplen) > len(b)-20 {
			return r.br.errf(off, ErrCorrupt, "frame %d: caplen %d overruns its block", r.frame+1, caplen)
		}
		data = b[20 : 20+caplen]
	case ngSPB:
		if len(b) < 4 {
			return r.br.errf(off, ErrCorrupt, "simple packet block too short")
		}
		length = r.order.Uint32(b)
		caplen = min(length, uint32(len(b)-4))
		if len(r.ifaces) > 0 && r.ifaces[0].snapLen > 0 {
			caplen = min(caplen, r.ifaces[0].snapLen)
		}
		data = b[4 : 4+caplen]
	}
	if int(ifID) >= len(r.ifaces) {
		return r.br.errf(off, ErrCorrupt, "frame %d: interface %d not described (the section has %d)", r.frame+1, ifID, len(r.ifaces))
	}
	ifc := &r.ifaces[ifID]
	r.frame++
	var ts int64
	timed := true
	if typ != ngSPB { // a simple packet block has no timestamp
		ts, timed = ifc.ns(units)
	}
	*p = Packet{
		Data:      data[:caplen:caplen],
		Timestamp: ts,
		CapLen:    caplen,
		Length:    length,
		Interface: ifc.global,
		LinkType:  ifc.linkType,
		Frame:     r.frame,
		File:      r.file,
		Offset:    off,

		NoTimestamp:    typ == ngSPB,
		TimeOutOfRange: !timed,
	}
	return nil
}
