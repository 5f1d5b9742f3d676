package writers

import (
	"io"
	"strconv"

	"github.com/pcap2table/pcap2table/table"
)

// csvWriter writes RFC 4180 CSV with a header line. Null is an empty
// field; an empty string is "" (quoted), so the two stay distinct.
type csvWriter struct {
	out  textOut
	s    *table.Schema
	cols []int
	enc  textEnc
	par  textPar
	b    *table.Batch // being written

	flushEach bool
}

// NewCSV returns a CSV writer.
func NewCSV(w io.Writer, s *table.Schema, o Options) (Writer, error) {
	c := &csvWriter{out: newTextOut(w), s: s, cols: o.columns(s), enc: textEnc{tf: o.TimeFormat}, flushEach: o.FlushEachBatch, par: textPar{jobs: o.Jobs}}
	for i, ci := range c.cols {
		if i > 0 {
			c.out.buf = append(c.out.buf, ',')
		}
		c.out.buf = appendCSVField(c.out.buf, []byte(s.Columns[ci].Name))
	}
	c.out.buf = append(c.out.buf, '\n')
	return c, nil
}

func needsQuote(b []byte) bool {
	if len(b) == 0 {
		return true // distinguishes "" from null
	}
	if b[0] == ' ' || b[0] == '\t' || b[len(b)-1] == ' ' || b[len(b)-1] == '\t' {
		return true
	}
	for _, c := range b {
		if c == ',' || c == '"' || c == '\n' || c == '\r' {
			return true
		}
	}
	return false
}

func appendCSVField(b, f []byte) []byte {
	if !needsQuote(f) {
		return append(b, f...)
	}
	b = append(b, '"')
	for _, c := range f {
		if c == '"' {
			b = append(b, '"')
		}
		b = append(b, c)
	}
	return append(b, '"')
}

func (c *csvWriter) Write(b *table.Batch) error {
	if c.out.err != nil {
		return c.out.err
	}
	c.b = b
	err := c.par.rows(&c.out, &c.enc, b.Len(), c.flushEach, c.row)
	c.b = nil
	return err
}

// row appends row r of the batch being written.
func (c *csvWriter) row(e *textEnc, buf []byte, r int) []byte {
	for i, ci := range c.cols {
		if i > 0 {
			buf = append(buf, ',')
		}
		v := &c.b.Cols[ci]
		if !v.Valid[r] {
			continue
		}
		buf = e.appendValue(buf, v, r, false)
	}
	return append(buf, '\n')
}

// appendValue appends a non-null value as text. For JSON, strings are
// quoted and escaped and timestamps in text forms are quoted. A list is a
// JSON array, in CSV too (quoted as a field): no separator character can
// be told apart from the values' own, a JSON array always can.
func (e *textEnc) appendValue(buf []byte, v *table.Vector, r int, json bool) []byte {
	if !v.IsList {
		return e.appendScalar(buf, v, r, json)
	}
	lo, hi := v.Elems(r)
	if json {
		return e.appendArray(buf, v, lo, hi)
	}
	e.scratch = e.appendArray(e.scratch[:0], v, lo, hi)
	return appendCSVField(buf, e.scratch)
}

// appendArray appends elements [lo, hi) of a list vector as a JSON array.
func (e *textEnc) appendArray(buf []byte, v *table.Vector, lo, hi int) []byte {
	buf = append(buf, '[')
	for i := lo; i < hi; i++ {
		if i > lo {
			buf = append(buf, ',')
		}
		buf = e.appendScalar(buf, v, i, true)
	}
	return append(buf, ']')
}

// appendScalar appends value (or list element) i of v.
func (e *textEnc) appendScalar(buf []byte, v *table.Vector, r int, json bool) []byte {
	switch v.Type {
	case table.Bool:
		if v.U64[r] != 0 {
			return append(buf, "true"...)
		}
		return append(buf, "false"...)
	case table.Uint8, table.Uint16, table.Uint32, table.Uint64:
		return appendUint(buf, v.U64[r])
	case table.Int64:
		return strconv.AppendInt(buf, v.I64[r], 10)
	case table.Float64:
		return strconv.AppendFloat(buf, v.F64[r], 'g', -1, 64)
	case table.Timestamp:
		if json && e.tf == RFC3339 {
			buf = append(buf, '"')
			buf = e.appendTime(buf, v.I64[r])
			return append(buf, '"')
		}
		return e.appendTime(buf, v.I64[r])
	case table.String:
		if json {
			return appendJSONString(buf, v.Bytes(r))
		}
		return appendCSVField(buf, v.Bytes(r))
	}
	return buf
}

func (c *csvWriter) Close() error {
	return c.out.flush()
}
