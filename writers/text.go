package writers

import (
	"bytes"
	"encoding/binary"
	"io"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/pcap2table/pcap2table/table"
)

// textWriter is the CSV and JSONL writer: the two differ only in the
// columns' texts and encoders, which NewCSV and NewJSONL choose.
type textWriter struct {
	out  textOut
	rows textRows
	enc  textEnc
	par  textPar

	flushEach bool
}

// newTextWriter returns a writer of the schema's columns cols, whose
// texts and encoders the caller sets.
func newTextWriter(w io.Writer, o Options, cols []int) *textWriter {
	return &textWriter{
		out:       newTextOut(w),
		rows:      textRows{idx: cols, cols: make([]textCol, len(cols))},
		par:       textPar{jobs: o.Jobs},
		flushEach: o.FlushEachBatch,
	}
}

func (t *textWriter) Write(b *table.Batch) error {
	if t.out.err != nil {
		return t.out.err
	}
	t.rows.bind(b)
	err := t.par.rows(&t.out, &t.enc, b.Len(), t.flushEach, &t.rows)
	t.rows.bind(nil)
	return err
}

func (t *textWriter) Close() error {
	return t.out.flush()
}

// colKind selects how row formats a column's values: inline for the
// common kinds, by the column's encoder for the others.
type colKind uint8

const (
	kindUint       colKind = iota
	kindBool               // true, false
	kindInt                // Int64, and timestamps as epoch_ns
	kindTime               // RFC 3339
	kindTimeJSON           // RFC 3339, quoted
	kindCSVString          // quoted if need be
	kindJSONString         // quoted, escaped
	kindOther              // by textCol.enc
)

// colEnc appends non-null value (or list element) r of column c.
type colEnc func(e *textEnc, b []byte, c *textCol, r int) []byte

// textCol is one column of a text writer: how its values are formatted
// and its texts, chosen once per writer, and the vector of the batch
// being written (bound by textRows.bind), its slices copied for one
// less indirection.
type textCol struct {
	kind colKind
	enc  colEnc    // kindOther's encoder
	elem colEnc    // a list's element encoder (JSON)
	pre  shortText // before a value: CSV's comma, JSONL's `,"name":`
	null shortText // a null, pre included

	valid []bool
	u64   []uint64
	i64   []int64
	f64   []float64
	str   []byte
	off   []int32
	list  []int32
}

// bytes returns string value (or element) r.
func (c *textCol) bytes(r int) []byte { return c.str[c.off[r]:c.off[r+1]] }

// textRows formats the rows of a batch as text.
type textRows struct {
	idx  []int // the schema's index of each column
	cols []textCol
	end  []byte // text after a row's last column

	// segs are the columns bound to the batch being written, each run
	// of columns with one text in every row of it (all null, or one
	// value: the file name, the vlan columns of an untagged capture, ...)
	// merged into one whose rows are all null, its text the run's.
	segs  []textCol
	none  []bool    // all false, the valid of a merged run
	text  []byte    // the texts of the merged runs
	runs  []int     // each merged run's index in segs and end in text
	enc   textEnc   // formats the merged runs' texts
	cell1 []textCol // the column cell formats, kept: it escapes
}

// bind points the columns at batch b's vectors and merges its
// constant runs (nil: drops them, as a writer keeps no batch).
func (t *textRows) bind(b *table.Batch) {
	for i := range t.cols {
		c := &t.cols[i]
		var v table.Vector
		if b != nil {
			v = b.Cols[t.idx[i]]
		}
		c.valid, c.u64, c.i64, c.f64 = v.Valid, v.U64, v.I64, v.F64
		c.str, c.off, c.list = v.Str, v.Off, v.List
	}
	clear(t.segs)
	t.segs = t.segs[:0]
	if b != nil {
		t.merge(b.Len())
	}
}

// mergeRows is the fewest rows of a batch whose constant runs merge
// pays for looking for them.
const mergeRows = 8

// merge sets segs to the columns, each run of columns constant in the
// n rows of the batch merged into one.
func (t *textRows) merge(n int) {
	if n < mergeRows {
		t.segs = append(t.segs, t.cols...)
		return
	}
	if len(t.none) < n {
		t.none = make([]bool, n)
	}
	t.text, t.runs = t.text[:0], t.runs[:0]
	for i := range t.cols {
		c := &t.cols[i]
		if !c.constant(n) {
			t.segs = append(t.segs, *c)
			continue
		}
		if k := len(t.runs); k == 0 || t.runs[k-2] != len(t.segs)-1 {
			t.runs = append(t.runs, len(t.segs), 0) // a new run
			t.segs = append(t.segs, textCol{valid: t.none[:n]})
		}
		t.text = t.cell(t.text, c)
		t.runs[len(t.runs)-1] = len(t.text)
	}
	start := 0
	for k := 0; k < len(t.runs); k += 2 {
		t.segs[t.runs[k]].null = newShort(t.text[start:t.runs[k+1]])
		start = t.runs[k+1]
	}
}

// cell appends c's text in the first row of the batch, the text before
// it included.
func (t *textRows) cell(b []byte, c *textCol) []byte {
	if t.cell1 == nil {
		t.cell1 = make([]textCol, 1)
	}
	t.cell1[0] = *c
	one := textRows{segs: t.cell1}
	b = one.row(&t.enc, b, 0)
	t.cell1[0] = textCol{}
	return b
}

// constant reports whether c has one text in all n rows, n > 0: all
// null, or one value of a kind that is compared (not times, floats,
// lists).
func (c *textCol) constant(n int) bool {
	valid := c.valid[:n]
	switch c.kind {
	case kindUint, kindBool:
		return constant(valid, c.u64)
	case kindInt:
		return constant(valid, c.i64)
	case kindCSVString, kindJSONString:
		return c.constantString(n)
	}
	return !slices.Contains(valid, true)
}

// constant reports whether the rows of valid are all null or all
// valid with one value in x.
func constant[T comparable](valid []bool, x []T) bool {
	if !valid[0] {
		return !slices.Contains(valid, true)
	}
	for _, y := range x[:len(valid)] {
		if y != x[0] {
			return false
		}
	}
	return !slices.Contains(valid, false)
}

// constantString is constant for the n rows of a string column. The
// values of the rows are stored one after the other: when all have one
// length l, they are all the first if their bytes are periodic, each
// equal to the one l before it, one comparison of all the bytes.
func (c *textCol) constantString(n int) bool {
	valid, off := c.valid[:n], c.off[:n+1]
	if !valid[0] {
		return !slices.Contains(valid, true)
	}
	l := off[1] - off[0]
	for r := 1; r < min(n, 4); r++ { // most columns that vary do at once
		if !valid[r] || !bytes.Equal(c.bytes(r), c.bytes(0)) {
			return false
		}
	}
	for r := 1; r < n; r++ {
		if !valid[r] || off[r+1]-off[r] != l {
			return false
		}
	}
	s := c.str[off[0]:off[n]]
	return bytes.Equal(s[l:], s[:len(s)-int(l)])
}

// row appends row r of the bound batch.
func (t *textRows) row(e *textEnc, b []byte, r int) []byte {
	cols := t.segs
	for i := range cols {
		c := &cols[i]
		if cap(b)-len(b) < fixedLen {
			b = grow(b, fixedLen) // for the text before the value
		}
		if !c.valid[r] {
			b = c.null.append(b)
			continue
		}
		b = c.pre.append(b)
		switch c.kind {
		case kindUint:
			b = appendUint(b, c.u64[r])
		case kindBool:
			b = appendBool(b, c.u64[r] != 0)
		case kindInt:
			b = appendInt(b, c.i64[r])
		case kindTime:
			b = e.appendRFC3339(b, c.i64[r], false)
		case kindTimeJSON:
			b = e.appendRFC3339(b, c.i64[r], true)
		case kindCSVString:
			b = appendCSVField(b, c.bytes(r))
		case kindJSONString:
			b = appendJSONString(b, c.bytes(r))
		default:
			b = c.enc(e, b, c, r)
		}
	}
	return append(b, t.end...)
}

// fixedLen is the length of the arrays that putFixed copies.
const fixedLen = 32

// putFixed appends p[:n] (n at most fixedLen) with one copy of all of p,
// quicker than append's call of memmove. b must have room for fixedLen
// more bytes (else it panics): row makes room at each column.
func putFixed(b []byte, p *[fixedLen]byte, n int) []byte {
	l := len(b)
	d := (*[fixedLen]byte)(b[l : l+fixedLen])
	// Two halves: the compiler calls memmove for a copy above 16 bytes
	// between memory it cannot tell apart, and moves 16 inline.
	*(*[16]byte)(d[:16]) = *(*[16]byte)(p[:16])
	*(*[16]byte)(d[16:]) = *(*[16]byte)(p[16:])
	return b[:l+n]
}

// shortText is a text of a writer, a short one in an array for
// putFixed.
type shortText struct {
	b    [fixedLen]byte
	n    int
	long []byte // a text longer than fixedLen, else nil
}

// newShort returns s as a shortText.
func newShort(s []byte) shortText {
	if len(s) > fixedLen {
		return shortText{long: s}
	}
	var t shortText
	t.n = copy(t.b[:], s)
	return t
}

// append appends the text to b, which has room for fixedLen more bytes.
func (s *shortText) append(b []byte) []byte {
	if s.long != nil {
		return append(b, s.long...)
	}
	return putFixed(b, &s.b, s.n)
}

// scalarEnc returns the kind and (for kindOther) encoder of a non-list
// value of type typ that CSV and JSON write alike, or ok false for those
// they do not (timestamps as RFC 3339, strings).
func scalarEnc(typ table.Type, tf TimeFormat) (k colKind, f colEnc, ok bool) {
	switch typ {
	case table.Bool:
		return kindBool, encBool, true
	case table.Uint8, table.Uint16, table.Uint32, table.Uint64:
		return kindUint, encUint, true
	case table.Int64:
		return kindInt, encInt, true
	case table.Float64:
		return kindOther, encFloat, true
	case table.Timestamp:
		switch tf {
		case Epoch:
			return kindOther, encEpoch, true
		case EpochNs:
			return kindInt, encInt, true
		case EpochUs:
			return kindOther, encEpochUs, true
		}
	}
	return kindOther, nil, false
}

// jsonEnc returns the JSON kind and encoder of a value (or list element)
// of type typ.
func jsonEnc(typ table.Type, tf TimeFormat) (colKind, colEnc) {
	if k, f, ok := scalarEnc(typ, tf); ok {
		return k, f
	}
	if typ == table.Timestamp {
		return kindTimeJSON, encTimeJSON
	}
	return kindJSONString, encJSONString
}

func encBool(_ *textEnc, b []byte, c *textCol, r int) []byte {
	return appendBool(b, c.u64[r] != 0)
}

func encUint(_ *textEnc, b []byte, c *textCol, r int) []byte {
	return appendUint(b, c.u64[r])
}

func encInt(_ *textEnc, b []byte, c *textCol, r int) []byte {
	return appendInt(b, c.i64[r])
}

func encFloat(_ *textEnc, b []byte, c *textCol, r int) []byte {
	return strconv.AppendFloat(b, c.f64[r], 'g', -1, 64)
}

func encEpoch(_ *textEnc, b []byte, c *textCol, r int) []byte {
	return appendEpoch(b, c.i64[r])
}

func encEpochUs(_ *textEnc, b []byte, c *textCol, r int) []byte {
	return appendInt(b, floorDiv(c.i64[r], 1000))
}

// encTimeJSON appends an RFC 3339 timestamp as a JSON string.
func encTimeJSON(e *textEnc, b []byte, c *textCol, r int) []byte {
	return e.appendRFC3339(b, c.i64[r], true)
}

// appendBool appends true or false.
func appendBool(b []byte, x bool) []byte {
	if x {
		return append(b, "true"...)
	}
	return append(b, "false"...)
}

// appendJSONArray appends list value r of c as a JSON array.
func appendJSONArray(e *textEnc, b []byte, c *textCol, r int) []byte {
	lo, hi := int(c.list[r]), int(c.list[r+1])
	b = append(b, '[')
	for i := lo; i < hi; i++ {
		if i > lo {
			b = append(b, ',')
		}
		b = c.elem(e, b, c, i)
	}
	return append(b, ']')
}

// floorDiv is x/d rounded down.
func floorDiv(x, d int64) int64 {
	q := x / d
	if x < 0 && x%d != 0 {
		q--
	}
	return q
}

// appendEpoch appends a timestamp (ns since the epoch) as seconds with 9
// decimals.
func appendEpoch(b []byte, ns int64) []byte {
	sec, frac := ns/1e9, ns%1e9
	if frac < 0 {
		sec--
		frac += 1e9
	}
	if sec < 0 && frac != 0 {
		// -0.5 s is sec -1 + 0.5: write it as a negative decimal.
		b = append(b, '-')
		sec, frac = -sec-1, 1e9-frac
	}
	b = appendInt(b, sec)
	b = append(b, '.')
	return appendFrac9(b, uint32(frac))
}

// rfc3339Len is the length of an RFC 3339 timestamp: the year of an
// int64 of ns has 4 digits, and the fraction always 9, unlike
// time.RFC3339Nano's.
const rfc3339Len = len("2006-01-02T15:04:05.123456789Z")

// textEnc is the state of one goroutine formatting rows. It caches the
// date and time of the last second formatted: consecutive packets mostly
// share it, and time.AppendFormat is the costliest step of a row.
type textEnc struct {
	// ts is `"2006-01-02T15:04:05.` of second sec, then the 9 digits of
	// the last time formatted and `Z"`; the rest is for putFixed.
	ts  [2 * fixedLen]byte
	sec int64
	set bool // ts holds second sec
	// scratch holds a list's JSON text before it is quoted as a CSV field.
	scratch []byte
}

// appendRFC3339 appends ns as RFC 3339, quoted if json.
func (e *textEnc) appendRFC3339(b []byte, ns int64, json bool) []byte {
	sec, frac := ns/1e9, ns%1e9
	if frac < 0 {
		sec--
		frac += 1e9
	}
	if sec != e.sec || !e.set {
		e.setSecond(sec)
	}
	putFrac9((*[9]byte)(e.ts[21:30]), uint32(frac))
	if cap(b)-len(b) < fixedLen {
		b = grow(b, fixedLen)
	}
	if json {
		return putFixed(b, (*[fixedLen]byte)(e.ts[:]), rfc3339Len+2)
	}
	return putFixed(b, (*[fixedLen]byte)(e.ts[1:]), rfc3339Len)
}

// setSecond caches the text of second sec.
func (e *textEnc) setSecond(sec int64) {
	e.sec, e.set = sec, true
	e.ts[0] = '"'
	time.Unix(sec, 0).UTC().AppendFormat(e.ts[1:1], "2006-01-02T15:04:05.")
	copy(e.ts[30:], `Z"`)
}

// appendFrac9 appends frac (below 1e9) as 9 digits.
func appendFrac9(b []byte, frac uint32) []byte {
	var d [9]byte
	putFrac9(&d, frac)
	return append(b, d[:]...)
}

// putFrac9 writes frac (below 1e9) as 9 digits.
func putFrac9(d *[9]byte, frac uint32) {
	d[0] = byte('0' + frac/1e8)
	binary.LittleEndian.PutUint64(d[1:], digits8(frac%1e8)|zeros8)
}

// textOutSize is how many bytes of text rows are gathered before one
// write to the underlying writer.
const textOutSize = 1 << 20

// textOut gathers formatted rows in one buffer and writes it out when it
// holds textOutSize bytes: rows are formatted straight into the bytes that
// are written, with no second copy into a bufio.Writer. The first write
// error is sticky.
type textOut struct {
	w   io.Writer
	buf []byte
	err error
}

func newTextOut(w io.Writer) textOut {
	return textOut{w: w, buf: make([]byte, 0, textOutSize+4096)}
}

// endRow is called after each row appended to buf (the buffer's bytes
// plus the row): once they fill textOutSize they are written out. It
// returns the buffer for the next row, and false after a write error.
func (o *textOut) endRow(buf []byte) ([]byte, bool) {
	if len(buf) < textOutSize {
		return buf, true
	}
	o.buf = buf
	return o.buf, o.flush() == nil
}

// endBatch keeps buf as the buffer after a batch, writing it out if
// flush (live inputs), and returns the sticky error.
func (o *textOut) endBatch(buf []byte, flush bool) error {
	o.buf = buf
	if flush {
		return o.flush()
	}
	return o.err
}

// flush writes out whatever the buffer holds.
func (o *textOut) flush() error {
	if o.err == nil && len(o.buf) > 0 {
		_, o.err = o.w.Write(o.buf)
	}
	o.buf = o.buf[:0]
	return o.err
}

// appendInt is strconv.AppendInt(b, x, 10).
func appendInt(b []byte, x int64) []byte {
	if x < 0 {
		// -x of math.MinInt64 is itself, whose uint64 is its magnitude.
		return appendUint(append(b, '-'), uint64(-x))
	}
	return appendUint(b, uint64(x))
}

const digits2 = "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

// appendUint is strconv.AppendUint(b, x, 10) with fixed-length appends
// from a table of digit pairs for values below 100000 (ports, lengths,
// flags, protocol numbers: most of a row's numbers).
func appendUint(b []byte, x uint64) []byte {
	switch {
	case x < 10:
		return append(b, byte('0'+x))
	case x < 100:
		return append(b, digits2[2*x], digits2[2*x+1])
	case x < 1000:
		h, l := x/100, x%100*2
		return append(b, byte('0'+h), digits2[l], digits2[l+1])
	case x < 10000:
		h, l := x/100*2, x%100*2
		return append(b, digits2[h], digits2[h+1], digits2[l], digits2[l+1])
	case x < 100000:
		a, m, l := x/10000, x/100%100*2, x%100*2
		return append(b, byte('0'+a), digits2[m], digits2[m+1], digits2[l], digits2[l+1])
	}
	return appendUintLong(b, x)
}

// appendUintLong is appendUint of x of 6 digits or more, in blocks of 8
// digits (digits8).
func appendUintLong(b []byte, x uint64) []byte {
	switch {
	case x < 1e6:
		return appendDigits(b, uint32(x), 6)
	case x < 1e7:
		return appendDigits(b, uint32(x), 7)
	case x < 1e8:
		return appendDigits(b, uint32(x), 8)
	case x < 1e16:
		return append8(appendUint(b, x/1e8), uint32(x%1e8))
	}
	b = appendUint(b, x/1e16)
	return append8(append8(b, uint32(x/1e8%1e8)), uint32(x%1e8))
}

// zeros8 is '0' in each of 8 bytes.
const zeros8 = 0x3030303030303030

// digits8 returns the 8 decimal digits of x (below 1e8), one a byte, the
// first in the lowest (as they are stored): 12345678 is
// 0x0807060504030201. It splits x in halves of 4 digits, the halves in
// pairs, the pairs in digits, dividing all lanes at once by a multiply
// and a shift (exact for these ranges).
func digits8(x uint32) uint64 {
	v := uint64(x/10000) | uint64(x%10000)<<32
	q := v * 10486 >> 20 & 0x0000007f0000007f // /100 in 32-bit lanes
	v = q | (v-q*100)<<16
	q = v * 103 >> 10 & 0x000f000f000f000f // /10 in 16-bit lanes
	return q | (v-q*10)<<8
}

// append8 appends x (below 1e8) as 8 digits.
func append8(b []byte, x uint32) []byte {
	return binary.LittleEndian.AppendUint64(b, digits8(x)|zeros8)
}

// appendDigits appends the last n of the 8 digits of x (below 1e8),
// in one 8-byte store.
func appendDigits(b []byte, x uint32, n int) []byte {
	l := len(b)
	if cap(b)-l < 8 {
		b = grow(b, 8)
	}
	binary.LittleEndian.PutUint64(b[l:l+8], (digits8(x)|zeros8)>>(64-8*n))
	return b[:l+n]
}

// grow returns b with room for n more bytes. It is not inlined, to
// keep its callers small enough to be.
//
//go:noinline
func grow(b []byte, n int) []byte {
	return slices.Grow(b, n)
}

// parRows is the fewest rows per goroutine worth formatting apart.
const parRows = 1024

// textPar formats the rows of a large batch in chunks on several
// goroutines, each with its own encoder (and time cache) and buffer,
// and writes the chunks out in order: the bytes are those of formatting
// the rows one after the other, on up to jobs goroutines.
type textPar struct {
	jobs int
	encs []textEnc
	bufs [][]byte
	wg   sync.WaitGroup
}

// rows formats rows [0, n) of t into o, in parallel when n and p.jobs
// allow; enc is the encoder of the first chunk (and of all rows when
// sequential). It returns the sticky error.
func (p *textPar) rows(o *textOut, enc *textEnc, n int, flush bool, t *textRows) error {
	k := min(p.jobs, n/parRows)
	if k <= 1 {
		buf := o.buf
		for r := 0; r < n; r++ {
			buf = t.row(enc, buf, r)
			var ok bool
			if buf, ok = o.endRow(buf); !ok {
				return o.err
			}
		}
		return o.endBatch(buf, flush)
	}
	for len(p.encs) < k {
		p.encs = append(p.encs, textEnc{})
		p.bufs = append(p.bufs, nil)
	}
	for c := 1; c < k; c++ {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			b := p.bufs[c][:0]
			for r := c * n / k; r < (c+1)*n/k; r++ {
				b = t.row(&p.encs[c], b, r)
			}
			p.bufs[c] = b
		}()
	}
	buf := o.buf
	for r := 0; r < n/k; r++ {
		buf = t.row(enc, buf, r)
	}
	o.buf = buf
	p.wg.Wait()
	o.flush()
	for c := 1; c < k && o.err == nil; c++ {
		_, o.err = o.w.Write(p.bufs[c])
	}
	return o.err
}
