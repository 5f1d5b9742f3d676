package parsers

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/gopacket/gopacket/layers"
)

// pcapReader reads the classic libpcap format, both byte orders,
// microsecond and nanosecond magics, and the Kuznetzov variant whose
// record headers are 8 bytes longer.
type pcapReader struct {
	br       byteReader
	order    binary.ByteOrder
	fracMul  int64 // 1000 for µs, 1 for ns
	hdrLen   int   // 16, or 24 for the Kuznetzov variant
	linkType layers.LinkType
	file     int
	frame    uint64
	info     *Info
	err      error // sticky
}

func newPcapReader(br byteReader, file int, info *Info) (*pcapReader, error) {
	h, err := br.peek(24)
	if err != nil {
		return nil, br.errf(0, ErrTruncated, "pcap file header needs 24 bytes, file has %d", len(h))
	}
	r := &pcapReader{br: br, file: file, info: info, fracMul: 1000, hdrLen: 16}
	magic := binary.LittleEndian.Uint32(h)
	switch magic {
	case 0xa1b2c3d4, 0xa1b23c4d, 0xa1b2cd34:
		r.order = binary.LittleEndian
	default:
		r.order = binary.BigEndian
		magic = binary.BigEndian.Uint32(h)
	}
	prec := "µs"
	switch magic {
	case 0xa1b23c4d:
		r.fracMul, prec = 1, "ns"
	case 0xa1b2cd34:
		r.hdrLen = 24
		prec = "µs, Kuznetzov"
	}
	major, minor := r.order.Uint16(h[4:]), r.order.Uint16(h[6:])
	if major != 2 {
		return nil, br.errf(4, ErrUnsupported, "pcap version %d.%d", major, minor)
	}
	info.SnapLen = r.order.Uint32(h[16:])
	// The low 28 bits are the link type; the top bits may carry the FCS length.
	r.linkType = layers.LinkType(r.order.Uint32(h[20:]) & 0x0fffffff)
	info.LinkTypes = []layers.LinkType{r.linkType}
	endian := "little-endian"
	if r.order == binary.BigEndian {
		endian = "big-endian"
	}
	info.Detail = fmt.Sprintf("version %d.%d, %s, %s", major, minor, endian, prec)
	if err := r.br.discard(24); err != nil {
		return nil, br.errf(0, ErrTruncated, "pcap file header")
	}
	return r, nil
}

func (r *pcapReader) Info() *Info { return r.info }

// Next reads the next packet record. Data aliases the read buffer.
func (r *pcapReader) Next(p *Packet) error {
	if r.err != nil {
		return r.err
	}
	r.err = r.next(p)
	return r.err
}

func (r *pcapReader) next(p *Packet) error {
	off := r.br.off
	h, err := r.br.peek(r.hdrLen)
	if err == io.EOF {
		return io.EOF
	}
	if err != nil {
		return r.br.errf(off, ErrTruncated, "packet record header of frame %d has %d of %d bytes", r.frame+1, len(h), r.hdrLen)
	}
	sec := int64(r.order.Uint32(h[0:]))
	frac := int64(r.order.Uint32(h[4:]))
	caplen := r.order.Uint32(h[8:])
	length := r.order.Uint32(h[12:])
	if caplen > MaxCapLen {
		return r.br.errf(off, ErrCorrupt, "frame %d: caplen %d exceeds %d", r.frame+1, caplen, MaxCapLen)
	}
	n := r.hdrLen + int(caplen)
	rec, err := r.br.peek(n)
	if err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return r.br.errf(off, ErrTruncated, "frame %d: record needs %d bytes, file has %d", r.frame+1, n, len(rec))
		}
		return r.br.errf(off, ErrTruncated, "frame %d: %v", r.frame+1, err)
	}
	if err := r.br.discard(n); err != nil {
		return r.br.errf(off, ErrTruncated, "frame %d: %v", r.frame+1, err)
	}
	r.frame++
	*p = Packet{
		Data:      rec[r.hdrLen:n:n],
		Timestamp: sec*1e9 + frac*r.fracMul,
		CapLen:    caplen,
		Length:    length,
		LinkType:  r.linkType,
		Frame:     r.frame,
		File:      r.file,
		Offset:    off,
	}
	return nil
}
