package writers

import (
	"bytes"
	"encoding/binary"
	"io"

	"github.com/pcap2table/pcap2table/table"
)

// NewCSV returns a CSV writer: RFC 4180 with a header line. Null is an
// empty field; an empty string is "" (quoted), so the two stay distinct.
// A list is a JSON array, quoted as a field: no separator character can
// be told apart from the values' own, a JSON array always can.
func NewCSV(w io.Writer, s *table.Schema, o Options) (Writer, error) {
	cols := o.columns(s)
	t := newTextWriter(w, o, cols)
	head := t.out.buf
	for i, ci := range cols {
		col := s.Columns[ci]
		var sep []byte
		if i > 0 {
			sep = []byte{','}
			head = append(head, ',')
		}
		head = appendCSVField(head, []byte(col.Name))
		c := &t.rows.cols[i]
		c.pre, c.null = newShort(sep), newShort(sep)
		c.kind, c.enc = csvEnc(col, o.TimeFormat)
		_, c.elem = jsonEnc(col.Type, o.TimeFormat)
	}
	t.out.buf = append(head, '\n')
	t.rows.end = []byte{'\n'}
	return t, nil
}

// csvEnc returns the CSV kind and encoder of column col.
func csvEnc(col table.Column, tf TimeFormat) (colKind, colEnc) {
	if col.List {
		return kindOther, encCSVList
	}
	if k, f, ok := scalarEnc(col.Type, tf); ok {
		return k, f
	}
	if col.Type == table.Timestamp {
		return kindTime, nil
	}
	return kindCSVString, nil
}

// encCSVList appends a list as a JSON array in a CSV field.
func encCSVList(e *textEnc, b []byte, c *textCol, r int) []byte {
	e.scratch = appendJSONArray(e, e.scratch[:0], c, r)
	return appendCSVField(b, e.scratch)
}

// appendCSVField appends f as a CSV field, quoted if it needs to be.
func appendCSVField(b, f []byte) []byte {
	if !needsQuote(f) {
		return append(b, f...)
	}
	return appendQuoted(b, f)
}

// appendQuoted appends f quoted, its quotes doubled.
func appendQuoted(b, f []byte) []byte {
	b = append(b, '"')
	for {
		i := bytes.IndexByte(f, '"')
		if i < 0 {
			break
		}
		b = append(b, f[:i+1]...)
		b = append(b, '"')
		f = f[i+1:]
	}
	b = append(b, f...)
	return append(b, '"')
}

// needsQuote reports whether f must be quoted: empty (to tell it from
// null), with a space or tab at either end, or holding a comma, quote or
// line break (csvSpecial), looked for 8 bytes at a time.
func needsQuote(f []byte) bool {
	if len(f) == 0 {
		return true
	}
	if f[0] == ' ' || f[0] == '\t' || f[len(f)-1] == ' ' || f[len(f)-1] == '\t' {
		return true
	}
	if len(f) < 8 {
		for _, c := range f {
			if csvSpecial[c] {
				return true
			}
		}
		return false
	}
	for i := 0; i < len(f)-8; i += 8 {
		if x := binary.LittleEndian.Uint64(f[i:]); hasLess(x, '-') && csvSpecial8(x) {
			return true
		}
	}
	// The last 8 bytes, some of them tested already.
	x := binary.LittleEndian.Uint64(f[len(f)-8:])
	return hasLess(x, '-') && csvSpecial8(x)
}

// csvSpecial marks the bytes that make a field quoted wherever they are.
// All are below '-', as the bytes of addresses, names and numbers mostly
// are not: needsQuote calls csvSpecial8 only for the 8 bytes that have
// one below it.
var csvSpecial = [256]bool{',': true, '"': true, '\n': true, '\r': true}

// csvSpecial8 reports whether one of the 8 bytes of x is csvSpecial.
func csvSpecial8(x uint64) bool {
	return hasByte(x, ',') || hasByte(x, '"') || hasByte(x, '\n') || hasByte(x, '\r')
}

// Bytes 0x01 and 0x80 repeated in a uint64.
const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// hasLess reports whether a byte of x is below n (at most 128). The
// borrow of a byte below n may flag a byte above it too, but no byte
// is flagged unless one is below n.
func hasLess(x uint64, n byte) bool {
	return (x-lsb*uint64(n))&^x&msb != 0
}

// hasByte reports whether a byte of x is c.
func hasByte(x uint64, c byte) bool {
	return hasLess(x^(lsb*uint64(c)), 1)
}
