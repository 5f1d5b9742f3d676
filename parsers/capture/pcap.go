package capture

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"

	"github.com/gopacket/gopacket/layers"
)

// pcapReader reads the classic libpcap format, both byte orders,
// microsecond and nanosecond magics, the Kuznetzov variant whose record
// headers are 8 bytes longer, and files before version 2.3 (and DG/UX's
// 543.0), whose records hold the lengths in the other order.
type pcapReader struct {
	br   byteReader
	swap bool // a big-endian file: words are byte-swapped (u16, u32)
	// oldLens: the file predates 2.3, when libpcap swapped caplen and
	// len; as libpcap does, the smaller of the two is the caplen
	// (files were written both ways under the old version numbers)
	oldLens  bool
	fracMul  int64 // 1000 for µs, 1 for ns
	hdrLen   int   // 16, or 24 for the Kuznetzov variant
	linkType layers.LinkType
	file     int
	frame    uint64
	info     *Info
	err      error // sticky
	// win holds bytes already in the read buffer, from the current offset:
	// records are parsed from it without a bufio call each; used counts the
	// bytes of win consumed but not yet discarded from the bufio.Reader.
	win  []byte
	used int
}

func newPcapReader(br byteReader, file int, info *Info) (*pcapReader, error) {
	h, err := br.peek(24)
	if err != nil {
		return nil, br.errf(0, ErrTruncated, "pcap file header needs 24 bytes, file has %d", len(h))
	}
	r := &pcapReader{br: br, file: file, info: info, fracMul: 1000, hdrLen: 16}
	magic := binary.LittleEndian.Uint32(h)
	switch magic {
	case 0xa1b2c3d4, 0xa1b23c4d, 0xa1b2cd34: // little-endian
	default:
		r.swap = true
		magic = bits.ReverseBytes32(magic)
	}
	prec := "µs"
	switch magic {
	case 0xa1b23c4d:
		r.fracMul, prec = 1, "ns"
	case 0xa1b2cd34:
		r.hdrLen = 24
		prec = "µs, Kuznetzov"
	}
	major, minor := r.u16(h[4:]), r.u16(h[6:])
	switch {
	case major == 2 && minor < 3, major == 543 && minor == 0:
		r.oldLens = true
	case major != 2:
		return nil, br.errf(4, ErrUnsupported, "pcap version %d.%d", major, minor)
	}
	info.SnapLen = r.u32(h[16:])
	// The low 28 bits are the link type; the top bits may carry the FCS length.
	r.linkType = layers.LinkType(r.u32(h[20:]) & 0x0fffffff)
	info.LinkTypes = []layers.LinkType{r.linkType}
	endian := "little-endian"
	if r.swap {
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

// u32 reads a word of the file's byte order. Not through a
// binary.ByteOrder: a call through the interface is not inlined, and the
// four per record header were 6% of the decoding goroutine's time in a
// flows-alone profile.
func (r *pcapReader) u32(b []byte) uint32 {
	v := binary.LittleEndian.Uint32(b)
	if r.swap {
		v = bits.ReverseBytes32(v)
	}
	return v
}

// u16 reads a half-word of the file's byte order.
func (r *pcapReader) u16(b []byte) uint16 {
	v := binary.LittleEndian.Uint16(b)
	if r.swap {
		v = bits.ReverseBytes16(v)
	}
	return v
}

// lens reads a record header's caplen and len.
func (r *pcapReader) lens(h []byte) (caplen, length uint32) {
	caplen, length = r.u32(h[8:]), r.u32(h[12:])
	if r.oldLens && caplen > length {
		caplen, length = length, caplen
	}
	return caplen, length
}

func (r *pcapReader) next(p *Packet) error {
	hl := r.hdrLen
	if left := len(r.win) - r.used; left < hl || r.capLen(r.win[r.used:]) > MaxCapLen ||
		left < hl+int(r.capLen(r.win[r.used:])) {
		// Not a whole, plausible record in the window: refill checks it.
		if err := r.refill(); err != nil {
			return err
		}
	}
	off := r.br.off + int64(r.used)
	h := r.win[r.used:]
	sec := int64(r.u32(h[0:]))
	frac := int64(r.u32(h[4:]))
	caplen, length := r.lens(h)
	n := hl + int(caplen)
	r.used += n
	r.frame++
	*p = Packet{
		Data:      h[hl:n:n],
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

// capLen reads a record header's caplen.
func (r *pcapReader) capLen(h []byte) uint32 {
	c, _ := r.lens(h)
	return c
}

// refill makes the next whole record available in win, or reports why it
// is not there: the end of the input, a cut-short record, or an
// impossible caplen.
func (r *pcapReader) refill() error {
	if err := r.br.discard(r.used); err != nil {
		return r.br.errf(r.br.off, ErrTruncated, "%v", err)
	}
	r.used, r.win = 0, nil
	off := r.br.off
	h, err := r.br.peek(r.hdrLen)
	if err == io.EOF {
		return io.EOF
	}
	if err != nil {
		return r.br.errf(off, ErrTruncated, "packet record header of frame %d has %d of %d bytes", r.frame+1, len(h), r.hdrLen)
	}
	caplen := r.capLen(h)
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
	// Take every buffered byte as the window (at least this record).
	r.win, _ = r.br.r.Peek(max(r.br.r.Buffered(), n))
	return nil
}
