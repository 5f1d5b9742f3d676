package writers

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/bits"
	"slices"

	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding/delta"
	"github.com/parquet-go/parquet-go/encoding/rle"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
	"github.com/pcap2table/pcap2table/table"
)

// Page bounds: a data page ends at a row boundary once it holds pageRows
// rows or pageBytes bytes of PLAIN values.
const (
	pageRows  = 1 << 16
	pageBytes = 1 << 20
)

// column encodes one column's values, a batch at a time, into the pages
// of its chunk of the row group being written: the values go from the
// table.Vector to the page buffers in one loop per type, with no value
// boxed on the way. A dictionary-encoded chunk keeps its dictionary page
// apart (it is written in front of the data pages when the chunk ends).
type column struct {
	src    int // the column's index in the batch
	typ    table.Type
	list   bool
	phys   format.Type
	path   []string
	maxDef uint8 // 0: required, 1: optional; lists one more
	codec  compress.Codec
	delta  bool

	// dictionary encoding, while the dictionary is below its bound
	dict   bool
	fixed  *fixedDict
	bytes  *bytesDict
	inDict bool // the chunk's pages so far are dictionary-encoded

	// the page being filled
	defs, reps []uint8
	idx        []int32 // dictionary indexes
	ints       []int64 // values to delta-encode
	plain      []byte  // PLAIN-encoded values (Bool: one byte per value, packed at the end)
	rows       int
	values     int // level entries (values and nulls)
	nulls      int

	// the chunk
	pages      []byte // the data pages, headers included
	plainPages bool   // a page is PLAIN-encoded
	dictPages  bool   // a page is dictionary-encoded
	chunkVals  int64
	chunkNulls int64
	uncomp     int64 // the data pages' uncompressed size, headers included
	st         stats

	buf      pageBuf
	dictPage []byte // the chunk's dictionary page, once finished
	err      error  // sticky
}

func newColumn(src int, c *table.Column, codec compress.Codec) *column {
	col := &column{src: src, typ: c.Type, list: c.List, codec: codec, path: []string{c.Name}}
	switch c.Type {
	case table.Bool:
		col.phys = format.Boolean
	case table.Uint8, table.Uint16, table.Uint32:
		col.phys = format.Int32
	case table.Float64:
		col.phys = format.Double
	case table.String:
		col.phys = format.ByteArray
	default:
		col.phys = format.Int64
	}
	if c.Nullable {
		col.maxDef = 1
	}
	if c.List {
		col.maxDef++
		col.path = append(col.path, "list", "element")
	}
	switch {
	case c.Hint == table.Dict && c.Type == table.String:
		col.dict, col.bytes = true, newBytesDict(dictMaxBytes)
	case c.Hint == table.Dict && c.Type != table.Bool:
		direct := 0
		switch c.Type {
		case table.Uint8:
			direct = 8
		case table.Uint16:
			direct = 16
		}
		col.dict, col.fixed = true, newFixedDict(dictMaxBytes/col.width(), direct)
	case c.Hint == table.Delta && (col.phys == format.Int32 || col.phys == format.Int64):
		col.delta = true
	}
	col.inDict = col.dict
	col.st.reset()
	return col
}

// width is the PLAIN size of a fixed-width value.
func (c *column) width() int {
	if c.phys == format.Int32 {
		return 4
	}
	return 8
}

// write appends rows [lo, hi) of v, ending pages at row boundaries.
func (c *column) write(v *table.Vector, lo, hi int) {
	for lo < hi && c.err == nil {
		n := min(hi-lo, pageRows-c.rows)
		if c.list {
			c.writeList(v, lo, lo+n)
		} else {
			c.writeLevels(v, lo, lo+n)
			c.writeValues(v, lo, lo+n)
		}
		c.rows += n
		lo += n
		if c.rows >= pageRows || len(c.plain) >= pageBytes {
			c.flushPage()
		}
	}
}

// writeLevels appends the definition levels of rows [lo, hi).
func (c *column) writeLevels(v *table.Vector, lo, hi int) {
	c.values += hi - lo
	if c.maxDef == 0 {
		return
	}
	n := len(c.defs)
	c.defs = slices.Grow(c.defs, hi-lo)[:n+hi-lo]
	defs := c.defs[n:]
	for i, ok := range v.Valid[lo:hi] {
		var d uint8
		if ok {
			d = 1
		}
		defs[i] = d
	}
	c.nulls += bytes.Count(defs, []byte{0})
}

// writeValues appends the values of the valid rows of [lo, hi): one loop
// per (type, encoding).
func (c *column) writeValues(v *table.Vector, lo, hi int) {
	valid := v.Valid[lo:hi]
	all := c.maxDef == 0 || !slices.Contains(valid, false)
	switch {
	case c.inDict && c.bytes != nil:
		for i := lo; i < hi; i++ {
			if all || valid[i-lo] {
				c.idx = append(c.idx, c.bytes.index(v.Bytes(i)))
			}
		}
	case c.inDict:
		c.writeDictFixed(v, lo, hi, all, valid)
	case c.delta:
		c.writeDelta(v, lo, hi, all, valid)
	default:
		c.writePlain(v, lo, hi, all, valid)
	}
}

func (c *column) writeDelta(v *table.Vector, lo, hi int, all bool, valid []bool) {
	for i := lo; i < hi; i++ {
		if !all && !valid[i-lo] {
			continue
		}
		var x int64
		if c.typ.Unsigned() {
			x = int64(v.U64[i])
			if c.phys == format.Int32 {
				x = int64(int32(uint32(x)))
			}
		} else {
			x = v.I64[i]
		}
		c.ints = append(c.ints, x)
		c.st.int(c.typ, x)
	}
}

// writePlain appends the valid rows of [lo, hi) in PLAIN encoding: the
// common integer types in a loop of their own, the others value by value.
func (c *column) writePlain(v *table.Vector, lo, hi int, all bool, valid []bool) {
	switch c.typ {
	case table.Uint8, table.Uint16, table.Uint32:
		mn, mx := c.st.minU, c.st.maxU
		for i, x := range v.U64[lo:hi] {
			if all || valid[i] {
				c.plain = binary.LittleEndian.AppendUint32(c.plain, uint32(x))
				mn, mx = min(mn, x), max(mx, x)
			}
		}
		c.st.any = c.st.any || mn <= mx
		c.st.minU, c.st.maxU = mn, mx
	case table.Uint64:
		mn, mx := c.st.minU, c.st.maxU
		for i, x := range v.U64[lo:hi] {
			if all || valid[i] {
				c.plain = binary.LittleEndian.AppendUint64(c.plain, x)
				mn, mx = min(mn, x), max(mx, x)
			}
		}
		c.st.any = c.st.any || mn <= mx
		c.st.minU, c.st.maxU = mn, mx
	default:
		for i := lo; i < hi; i++ {
			if all || valid[i-lo] {
				c.appendPlain(v, i)
			}
		}
	}
}

// appendPlain appends value (or list element) e of v in PLAIN encoding and
// counts it in the statistics.
func (c *column) appendPlain(v *table.Vector, e int) {
	switch c.typ {
	case table.Bool:
		c.plain = append(c.plain, byte(v.U64[e]))
		c.st.bool(v.U64[e] != 0)
	case table.Uint8, table.Uint16, table.Uint32:
		c.plain = binary.LittleEndian.AppendUint32(c.plain, uint32(v.U64[e]))
		c.st.int(c.typ, int64(v.U64[e]))
	case table.Uint64:
		c.plain = binary.LittleEndian.AppendUint64(c.plain, v.U64[e])
		c.st.int(c.typ, int64(v.U64[e]))
	case table.Int64, table.Timestamp:
		c.plain = binary.LittleEndian.AppendUint64(c.plain, uint64(v.I64[e]))
		c.st.int(c.typ, v.I64[e])
	case table.Float64:
		c.plain = binary.LittleEndian.AppendUint64(c.plain, math.Float64bits(v.F64[e]))
		c.st.float(v.F64[e])
	case table.String:
		b := v.Bytes(e)
		c.plain = binary.LittleEndian.AppendUint32(c.plain, uint32(len(b)))
		c.plain = append(c.plain, b...)
		c.st.bytes(b)
	}
}

// appendElem appends list element e of v in the page's encoding.
func (c *column) appendElem(v *table.Vector, e int) {
	switch {
	case c.inDict && c.bytes != nil:
		c.idx = append(c.idx, c.bytes.index(v.Bytes(e)))
	case c.inDict:
		var x uint64
		switch c.typ {
		case table.Int64, table.Timestamp:
			x = uint64(v.I64[e])
		case table.Float64:
			x = math.Float64bits(v.F64[e])
		default:
			x = v.U64[e]
		}
		c.idx = append(c.idx, c.fixed.index(x))
	default:
		c.appendPlain(v, e) // lists are never delta-encoded
	}
}

// writeList appends rows [lo, hi) of a list column: one level entry per
// element, or one for a null or empty list. Definition levels: a null
// list 0, an empty one maxDef-1, an element maxDef; repetition level 0
// starts a row, 1 goes on with its list.
func (c *column) writeList(v *table.Vector, lo, hi int) {
	for r := lo; r < hi; r++ {
		e0, e1 := v.Elems(r)
		if !v.Valid[r] || e0 == e1 {
			d := c.maxDef - 1
			if !v.Valid[r] {
				d = 0
			}
			c.defs = append(c.defs, d)
			c.reps = append(c.reps, 0)
			c.values++
			c.nulls++
			continue
		}
		for e := e0; e < e1; e++ {
			c.defs = append(c.defs, c.maxDef)
			c.reps = append(c.reps, min(uint8(e-e0), 1))
			c.values++
			c.appendElem(v, e)
		}
	}
}

// writeDictFixed appends the dictionary indexes of the valid rows of
// [lo, hi) of a fixed-width column.
func (c *column) writeDictFixed(v *table.Vector, lo, hi int, all bool, valid []bool) {
	switch c.typ {
	case table.Int64, table.Timestamp:
		for i, x := range v.I64[lo:hi] {
			if all || valid[i] {
				c.idx = append(c.idx, c.fixed.index(uint64(x)))
			}
		}
	case table.Float64:
		for i, x := range v.F64[lo:hi] {
			if all || valid[i] {
				c.idx = append(c.idx, c.fixed.index(math.Float64bits(x)))
			}
		}
	default:
		for i, x := range v.U64[lo:hi] {
			if all || valid[i] {
				c.idx = append(c.idx, c.fixed.index(x))
			}
		}
	}
}

// flushPage encodes, compresses and appends the page being filled to the
// chunk (a DataPageV2: levels uncompressed, values compressed).
func (c *column) flushPage() {
	if c.values == 0 || c.err != nil {
		return
	}
	b := &c.buf
	body, enc := c.encodeBody(b)
	b.levels = b.levels[:0]
	var repLen, defLen int
	if c.list {
		b.levels = c.encodeLevels(b, c.reps, 1)
		repLen = len(b.levels)
	}
	if c.maxDef > 0 {
		b.levels = c.encodeLevels(b, c.defs, uint(bits.Len8(c.maxDef)))
		defLen = len(b.levels) - repLen
	}
	comp, err := c.codec.Encode(b.scratch[:0], body)
	if err != nil {
		c.err = err
		return
	}
	b.scratch = comp
	h := format.PageHeader{
		Type:                 format.DataPageV2,
		UncompressedPageSize: int32(len(b.levels) + len(body)),
		CompressedPageSize:   int32(len(b.levels) + len(comp)),
		DataPageHeaderV2: thrift.New(format.DataPageHeaderV2{
			NumValues: int32(c.values), NumNulls: int32(c.nulls), NumRows: int32(c.rows),
			Encoding:                   enc,
			DefinitionLevelsByteLength: int32(defLen), RepetitionLevelsByteLength: int32(repLen),
			IsCompressed: thrift.New(true),
			Statistics:   format.Statistics{NullCount: int64(c.nulls)},
		}),
	}
	n := len(c.pages)
	c.pages = c.appendHeader(c.pages, &h)
	c.uncomp += int64(len(c.pages)-n) + int64(h.UncompressedPageSize)
	c.pages = append(c.pages, b.levels...)
	c.pages = append(c.pages, comp...)
	c.chunkVals += int64(c.values)
	c.chunkNulls += int64(c.nulls)
	if enc == format.Plain || enc == format.DeltaBinaryPacked {
		c.plainPages = true
	} else {
		c.dictPages = true
	}
	c.defs, c.reps, c.idx, c.ints, c.plain = c.defs[:0], c.reps[:0], c.idx[:0], c.ints[:0], c.plain[:0]
	c.rows, c.values, c.nulls = 0, 0, 0
	if c.inDict && c.dictFull() {
		c.inDict = false // the chunk goes on in PLAIN (a flood of distinct values)
	}
}

// encodeBody encodes the page's values (into b.body, but for PLAIN values
// but booleans, which are their own encoding: c.plain is returned) and
// returns them and their encoding.
func (c *column) encodeBody(b *pageBuf) ([]byte, format.Encoding) {
	var err error
	switch {
	case c.inDict:
		w := max(bits.Len(uint(max(c.dictLen()-1, 0))), 1)
		b.body = append(b.body[:0], byte(w))
		b.scratch, err = (&rle.Encoding{BitWidth: w}).EncodeInt32(b.scratch, c.idx)
		b.body = append(b.body, b.scratch...)
		c.setErr(err)
		return b.body, format.RLEDictionary
	case c.delta && c.phys == format.Int32:
		b.i32 = b.i32[:0]
		for _, x := range c.ints {
			b.i32 = append(b.i32, int32(x))
		}
		b.body, err = (&delta.BinaryPackedEncoding{}).EncodeInt32(b.body, b.i32)
		c.setErr(err)
		return b.body, format.DeltaBinaryPacked
	case c.delta:
		b.body, err = (&delta.BinaryPackedEncoding{}).EncodeInt64(b.body, c.ints)
		c.setErr(err)
		return b.body, format.DeltaBinaryPacked
	case c.typ == table.Bool:
		b.body = packBits(b.body[:0], c.plain)
		return b.body, format.Plain
	}
	return c.plain, format.Plain
}

func (c *column) setErr(err error) {
	if err != nil && c.err == nil {
		c.err = err
	}
}

// encodeLevels returns b.levels with levels appended in the RLE/bit-packed
// hybrid (no length prefix: DataPageV2).
func (c *column) encodeLevels(b *pageBuf, levels []uint8, width uint) []byte {
	var err error
	b.scratch, err = (&rle.Encoding{BitWidth: int(width)}).EncodeLevels(b.scratch, levels)
	c.setErr(err)
	return append(b.levels, b.scratch...)
}

func (c *column) appendHeader(dst []byte, h *format.PageHeader) []byte {
	b, err := thrift.Marshal(new(thrift.CompactProtocol), h)
	c.setErr(err)
	return append(dst, b...)
}

// packBits packs one byte per bool into bits, the first value in the
// lowest bit.
func packBits(dst, vals []byte) []byte {
	for i := 0; i < len(vals); i += 8 {
		var b byte
		for j, v := range vals[i:min(i+8, len(vals))] {
			b |= (v & 1) << j
		}
		dst = append(dst, b)
	}
	return dst
}

func (c *column) dictLen() int {
	if c.bytes != nil {
		return c.bytes.len()
	}
	return c.fixed.len()
}

func (c *column) dictFull() bool {
	if c.bytes != nil {
		return c.bytes.full()
	}
	return c.fixed.full()
}

// finish ends the chunk: it flushes the last page and encodes the
// dictionary page, and returns the chunk's dictionary page (nil when
// none) and its data pages. They stay valid until reset.
func (c *column) finish() (dictPage, pages []byte) {
	c.flushPage()
	if !c.dictPages || c.err != nil {
		return nil, c.pages
	}
	b := &c.buf
	b.body = c.appendDict(b.body[:0])
	comp, err := c.codec.Encode(b.scratch[:0], b.body)
	if err != nil {
		c.err = err
		return nil, nil
	}
	b.scratch = comp
	h := format.PageHeader{
		Type:                 format.DictionaryPage,
		UncompressedPageSize: int32(len(b.body)),
		CompressedPageSize:   int32(len(comp)),
		DictionaryPageHeader: thrift.New(format.DictionaryPageHeader{NumValues: int32(c.dictLen()), Encoding: format.Plain}),
	}
	// kept until the row group is written
	c.dictPage = c.appendHeader(c.dictPage[:0], &h)
	c.uncomp += int64(len(c.dictPage)) + int64(len(b.body))
	c.dictPage = append(c.dictPage, comp...)
	return c.dictPage, c.pages
}

// appendDict appends the dictionary's values in PLAIN encoding and counts
// them in the statistics.
func (c *column) appendDict(dst []byte) []byte {
	if c.bytes != nil {
		for i := range c.bytes.len() {
			b := c.bytes.value(i)
			dst = binary.LittleEndian.AppendUint32(dst, uint32(len(b)))
			dst = append(dst, b...)
			c.st.bytes(b)
		}
		return dst
	}
	for _, x := range c.fixed.vals {
		switch c.phys {
		case format.Int32:
			dst = binary.LittleEndian.AppendUint32(dst, uint32(x))
		default:
			dst = binary.LittleEndian.AppendUint64(dst, x)
		}
		c.st.bits(c.typ, x)
	}
	return dst
}

// meta is the chunk's metadata, its pages written at offset.
func (c *column) meta(offset int64, dictLen int) format.ColumnMetaData {
	m := format.ColumnMetaData{
		Type:                  c.phys,
		PathInSchema:          c.path,
		Codec:                 c.codec.CompressionCodec(),
		NumValues:             c.chunkVals,
		TotalUncompressedSize: c.uncomp,
		TotalCompressedSize:   int64(dictLen + len(c.pages)),
		DataPageOffset:        offset + int64(dictLen),
		Statistics:            c.st.format(c.typ, c.chunkNulls),
	}
	if dictLen > 0 {
		m.DictionaryPageOffset = offset
		m.Encoding = append(m.Encoding, format.Plain)
	}
	if c.maxDef > 0 || c.list {
		m.Encoding = append(m.Encoding, format.RLE)
	}
	if c.dictPages {
		m.Encoding = append(m.Encoding, format.RLEDictionary)
	}
	if c.plainPages {
		e := format.Plain
		if c.delta {
			e = format.DeltaBinaryPacked
		}
		if !slices.Contains(m.Encoding, e) {
			m.Encoding = append(m.Encoding, e)
		}
	}
	slices.Sort(m.Encoding)
	return m
}

// reset readies the column for the next row group's chunk.
func (c *column) reset() {
	c.pages = c.pages[:0]
	c.plainPages, c.dictPages = false, false
	c.chunkVals, c.chunkNulls, c.uncomp = 0, 0, 0
	c.st.reset()
	if c.dict {
		c.inDict = true
		if c.bytes != nil {
			c.bytes.reset()
		} else {
			c.fixed.reset()
		}
	}
}

// stats are a chunk's minimum and maximum, in the order of the column's
// logical type: unsigned integers unsigned, strings byte by byte.
type stats struct {
	any          bool
	minI, maxI   int64
	minU, maxU   uint64
	minF, maxF   float64
	minB, maxB   []byte
	falseS, true bool
}

func (s *stats) reset() {
	s.any, s.falseS, s.true = false, false, false
	s.minI, s.maxI = math.MaxInt64, math.MinInt64
	s.minU, s.maxU = math.MaxUint64, 0
	s.minF, s.maxF = math.Inf(1), math.Inf(-1)
	s.minB, s.maxB = s.minB[:0], s.maxB[:0]
}

func (s *stats) int(t table.Type, x int64) {
	s.any = true
	if t.Unsigned() {
		u := uint64(x)
		if t != table.Uint64 {
			u = uint64(uint32(x))
		}
		s.minU, s.maxU = min(s.minU, u), max(s.maxU, u)
		return
	}
	s.minI, s.maxI = min(s.minI, x), max(s.maxI, x)
}

// bits counts a dictionary value given as its bits.
func (s *stats) bits(t table.Type, x uint64) {
	if t == table.Float64 {
		s.float(math.Float64frombits(x))
		return
	}
	s.int(t, int64(x))
}

func (s *stats) float(x float64) {
	if math.IsNaN(x) {
		return // NaN is left out of the bounds (the format's rule)
	}
	s.any = true
	s.minF, s.maxF = min(s.minF, x), max(s.maxF, x)
}

func (s *stats) bool(b bool) {
	s.any = true
	if b {
		s.true = true
	} else {
		s.falseS = true
	}
}

func (s *stats) bytes(b []byte) {
	if !s.any {
		s.any = true
		s.minB, s.maxB = append(s.minB[:0], b...), append(s.maxB[:0], b...)
		return
	}
	if bytes.Compare(b, s.minB) < 0 {
		s.minB = append(s.minB[:0], b...)
	}
	if bytes.Compare(b, s.maxB) > 0 {
		s.maxB = append(s.maxB[:0], b...)
	}
}

// format is the chunk's statistics as the footer holds them.
func (s *stats) format(t table.Type, nulls int64) format.Statistics {
	f := format.Statistics{NullCount: nulls}
	if !s.any {
		return f
	}
	le := binary.LittleEndian
	switch {
	case t == table.Bool:
		f.MinValue, f.MaxValue = []byte{boolByte(!s.falseS)}, []byte{boolByte(s.true)}
	case t == table.Uint64:
		f.MinValue, f.MaxValue = le.AppendUint64(nil, s.minU), le.AppendUint64(nil, s.maxU)
	case t.Unsigned():
		f.MinValue, f.MaxValue = le.AppendUint32(nil, uint32(s.minU)), le.AppendUint32(nil, uint32(s.maxU))
	case t == table.Float64:
		lo, hi := s.minF, s.maxF
		if lo == 0 {
			lo = math.Copysign(0, -1) // the format's rule for zero bounds
		}
		if hi == 0 {
			hi = 0
		}
		f.MinValue, f.MaxValue = le.AppendUint64(nil, math.Float64bits(lo)), le.AppendUint64(nil, math.Float64bits(hi))
	case t == table.String:
		f.MinValue, f.MaxValue = bytes.Clone(s.minB), bytes.Clone(s.maxB)
	default:
		f.MinValue, f.MaxValue = le.AppendUint64(nil, uint64(s.minI)), le.AppendUint64(nil, uint64(s.maxI))
	}
	return f
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}
