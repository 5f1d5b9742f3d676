package http

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"io"
)

// Content codings. Zeek's request_body_len and response_body_len count
// a body after its gzip or deflate coding is undone, so the table does
// too: the coded bytes of a message are kept (at most maxCoded per
// message and maxCodedAll in all, so memory stays bounded whatever the
// input) and inflated when the message ends, counting what comes out (at
// most maxInflated: a decompression bomb stops there). A body past the
// bounds, or that does not inflate, keeps its coded length and says why
// in error.
const (
	codingNone = iota
	codingGzip
	codingDeflate

	maxCoded    = 4 << 20
	maxCodedAll = 64 << 20
	maxInflated = 1 << 30
	// keptCoded is the largest coded buffer kept for the next message.
	keptCoded = 64 << 10
)

// inflater holds the decompressors, reused from message to message.
type inflater struct {
	src  bytes.Reader
	gz   *gzip.Reader
	fl   io.ReadCloser
	held int // coded bytes kept by all directions
}

// contentCoding reads a Content-Encoding value: gzip (x-gzip) or deflate;
// anything else (identity, br, several codings) is left as it is.
func contentCoding(v []byte) uint8 {
	switch {
	case bytes.EqualFold(v, []byte("gzip")), bytes.EqualFold(v, []byte("x-gzip")):
		return codingGzip
	case bytes.EqualFold(v, []byte("deflate")):
		return codingDeflate
	}
	return codingNone
}

// keepCoded keeps bytes of a coded body for inflating at its end.
func (z *inflater) keepCoded(d *parser, b []byte) {
	if d.coding == codingNone || d.codedOver || len(b) == 0 {
		return
	}
	if len(d.coded)+len(b) > maxCoded || z.held+len(b) > maxCodedAll {
		z.drop(d)
		d.codedOver = true
		return
	}
	d.coded = append(d.coded, b...)
	z.held += len(b)
}

// drop forgets a direction's coded bytes.
func (z *inflater) drop(d *parser) {
	z.held -= len(d.coded)
	if cap(d.coded) > keptCoded {
		d.coded = nil
	} else {
		d.coded = d.coded[:0]
	}
}

// decoded ends the coded body of t's message in direction d: its length
// becomes the inflated length.
func (z *inflater) decoded(d *parser, t *txn) {
	if d.coding == codingNone {
		return
	}
	body := &t.reqBody
	if d.resp {
		body = &t.respBody
	}
	switch {
	case d.codedOver:
		t.addErr("coded body past 4 MiB: its length is the coded bytes'")
	case len(d.coded) > 0:
		n, err := z.inflate(d.coding, d.coded)
		if err != nil {
			t.addErr("body not decoded: " + err.Error())
		}
		if err == nil || n > 0 {
			*body = n
		}
	}
	z.drop(d)
	d.coding, d.codedOver = codingNone, false
}

// inflate returns the length of b decoded. deflate is zlib's format as
// the coding says, or raw deflate as many servers send it (Zeek reads
// both).
func (z *inflater) inflate(coding uint8, b []byte) (uint64, error) {
	var r io.Reader
	switch coding {
	case codingGzip:
		z.src.Reset(b)
		if z.gz == nil {
			gz, err := gzip.NewReader(&z.src)
			if err != nil {
				return 0, err
			}
			z.gz = gz
		} else if err := z.gz.Reset(&z.src); err != nil {
			return 0, err
		}
		z.gz.Multistream(false)
		r = z.gz
	default:
		if len(b) >= 2 && b[0]&0x0f == 8 && (uint16(b[0])<<8|uint16(b[1]))%31 == 0 {
			b = b[2:] // a zlib header; its checksum at the end is not read
		}
		z.src.Reset(b)
		if z.fl == nil {
			z.fl = flate.NewReader(&z.src)
		} else if err := z.fl.(flate.Resetter).Reset(&z.src, nil); err != nil {
			return 0, err
		}
		r = z.fl
	}
	n, err := io.Copy(io.Discard, io.LimitReader(r, maxInflated))
	return uint64(n), err
}
