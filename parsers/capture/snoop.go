package capture

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/gopacket/gopacket/layers"
)

// snoopReader reads Solaris snoop files (RFC 1761, version 2): a 16-byte
// header (magic, version, datalink type), then records of a 24-byte
// big-endian header (original and included lengths, record length,
// cumulative drops, seconds, microseconds), the included bytes, and
// padding to the record length.
type snoopReader struct {
	br       byteReader
	linkType layers.LinkType
	file     int
	frame    uint64
	info     *Info
	pending  int   // bytes of the last record, discarded at the next call
	err      error // sticky
}

const (
	snoopHeaderLen = 16
	snoopRecordLen = 24
	snoopVersion   = 2
)

// snoopLinkTypes maps snoop's datalink types to link types: IEEE 802.3
// and Ethernet are Ethernet, 802.5 Token Ring, FDDI FDDI (snoop writes
// its MAC addresses bit-swapped; the IP layer is unaffected). Others have
// no decoder: their packets are rows with a decode error.
var snoopLinkTypes = map[uint32]layers.LinkType{
	0: layers.LinkTypeEthernet,
	2: layers.LinkTypeTokenRing,
	4: layers.LinkTypeEthernet,
	8: layers.LinkTypeFDDI,
}

func newSnoopReader(br byteReader, file int, info *Info) (*snoopReader, error) {
	h, err := br.peek(snoopHeaderLen)
	if err != nil {
		return nil, br.errf(0, ErrTruncated, "snoop file header needs %d bytes, file has %d", snoopHeaderLen, len(h))
	}
	version, dl := binary.BigEndian.Uint32(h[8:]), binary.BigEndian.Uint32(h[12:])
	if version != snoopVersion {
		return nil, br.errf(8, ErrUnsupported, "snoop version %d", version)
	}
	lt, ok := snoopLinkTypes[dl]
	if !ok {
		lt = layers.LinkType(0xffff) // no such link type: rows say so
	}
	r := &snoopReader{br: br, file: file, info: info, linkType: lt}
	info.LinkTypes = []layers.LinkType{lt}
	info.Detail = fmt.Sprintf("version %d, datalink %d", version, dl)
	if err := r.br.discard(snoopHeaderLen); err != nil {
		return nil, br.errf(0, ErrTruncated, "snoop file header")
	}
	return r, nil
}

func (r *snoopReader) Info() *Info { return r.info }

// Next reads the next packet record. Data aliases the read buffer.
func (r *snoopReader) Next(p *Packet) error {
	if r.err != nil {
		return r.err
	}
	r.err = r.next(p)
	return r.err
}

func (r *snoopReader) next(p *Packet) error {
	if err := r.br.discard(r.pending); err != nil {
		return r.br.errf(r.br.off, ErrTruncated, "%v", err)
	}
	r.pending = 0
	off := r.br.off
	h, err := r.br.peek(snoopRecordLen)
	if err == io.EOF {
		return io.EOF
	}
	if err != nil {
		return r.br.errf(off, ErrTruncated, "packet record header of frame %d has %d of %d bytes", r.frame+1, len(h), snoopRecordLen)
	}
	length, caplen := binary.BigEndian.Uint32(h), binary.BigEndian.Uint32(h[4:])
	recLen := binary.BigEndian.Uint32(h[8:])
	sec, usec := binary.BigEndian.Uint32(h[16:]), binary.BigEndian.Uint32(h[20:])
	switch {
	case caplen > MaxCapLen:
		return r.br.errf(off, ErrCorrupt, "frame %d: included length %d exceeds %d", r.frame+1, caplen, MaxCapLen)
	case recLen < snoopRecordLen+caplen || recLen > snoopRecordLen+MaxCapLen+8:
		return r.br.errf(off, ErrCorrupt, "frame %d: record length %d does not hold its %d bytes", r.frame+1, recLen, caplen)
	}
	n := snoopRecordLen + int(caplen)
	rec, err := r.br.peek(n)
	if err != nil {
		return r.br.errf(off, ErrTruncated, "frame %d: record needs %d bytes, file has %d", r.frame+1, n, len(rec))
	}
	r.frame++
	*p = Packet{
		Data:      rec[snoopRecordLen:n:n],
		Timestamp: int64(sec)*1e9 + int64(usec)*1e3,
		CapLen:    caplen,
		Length:    max(length, caplen),
		LinkType:  r.linkType,
		Frame:     r.frame,
		File:      r.file,
		Offset:    off,
	}
	r.pending = int(recLen) // the padding too; a cut in it shows at the next call
	return nil
}
