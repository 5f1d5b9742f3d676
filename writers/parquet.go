package writers

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"maps"
	"reflect"
	"slices"
	"sync"

	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
	"github.com/pcap2table/pcap2table/table"
)

// orderedGroup is a parquet group node that keeps its fields in schema
// order (parquet.Group is a map and sorts fields by name).
type orderedGroup struct {
	parquet.Group
	fields []parquet.Field
}

func (g *orderedGroup) Fields() []parquet.Field { return g.fields }

type namedField struct {
	parquet.Node
	name string
}

func (f *namedField) Name() string { return f.name }

// Value is only used by parquet-go's reflection-based row writing, which
// this package does not use.
func (f *namedField) Value(reflect.Value) reflect.Value { return reflect.Value{} }

func parquetCodec(name string) (compress.Codec, error) {
	switch name {
	case "", "zstd":
		// The fastest level: measured 2x cheaper than the default level on
		// packet columns, for files a few percent larger.
		return &zstdCodec{level: zstd.SpeedFastest}, nil
	case "zstd-default":
		return &zstdCodec{level: zstd.SpeedDefault}, nil
	case "snappy":
		return &parquet.Snappy, nil
	case "gzip":
		return &parquet.Gzip, nil
	case "lz4":
		return &parquet.Lz4Raw, nil
	case "none", "uncompressed":
		return &parquet.Uncompressed, nil
	}
	return nil, fmt.Errorf("unknown parquet compression %q (want zstd, snappy, gzip, lz4 or none)", name)
}

func parquetNode(c *table.Column) parquet.Node {
	var n parquet.Node
	switch c.Type {
	case table.Bool:
		n = parquet.Leaf(parquet.BooleanType)
	case table.Uint8:
		n = parquet.Uint(8)
	case table.Uint16:
		n = parquet.Uint(16)
	case table.Uint32:
		n = parquet.Uint(32)
	case table.Uint64:
		n = parquet.Uint(64)
	case table.Int64:
		n = parquet.Int(64)
	case table.Float64:
		n = parquet.Leaf(parquet.DoubleType)
	case table.String:
		n = parquet.String()
	case table.Timestamp:
		n = parquet.TimestampAdjusted(parquet.Nanosecond, true)
	}
	switch c.Hint {
	case table.Dict:
		n = parquet.Encoded(n, &parquet.RLEDictionary)
	case table.Delta:
		if c.Type != table.String && c.Type != table.Bool && c.Type != table.Float64 {
			n = parquet.Encoded(n, &parquet.DeltaBinaryPacked)
		}
	}
	if c.List {
		// the three-level LIST of the format's spec, required elements
		n = parquet.List(n)
	}
	if c.Nullable {
		n = parquet.Optional(n)
	}
	return n
}

// dictMaxBytes bounds the dictionary of a column chunk.
const dictMaxBytes = 4 << 20

// parquetWriter writes Parquet column by column: each batch's values go
// from the table's vectors into the pages of their column's chunk (see
// column), and each row group's chunks are written one after the other
// when it ends, then the footer. parquet-go provides the footer's schema
// (from an empty file it writes with the table's schema: the same schema,
// types, column orders and metadata as its own writer's), the formats'
// thrift structures, the level, dictionary-index and delta encodings and
// the codecs; its own writer took every value as a boxed parquet.Value
// through a map-backed dictionary, half the CPU of a packets run.
type parquetWriter struct {
	out     io.Writer
	offset  int64 // bytes written
	meta    *format.FileMetaData
	cols    []*column
	rows    int // rows in the current row group
	maxRows int
	jobs    int
	err     error // sticky
}

// NewParquet returns a Parquet writer: zstd by default, dictionary-encoded
// strings and enums, delta-encoded frame numbers and timestamps, row
// groups of about RowGroupRows rows, DataPageV2 pages.
func NewParquet(w io.Writer, s *table.Schema, o Options) (Writer, error) {
	codec, err := parquetCodec(o.Compression)
	if err != nil {
		return nil, err
	}
	meta, err := parquetFooter(s, o)
	if err != nil {
		return nil, err
	}
	pw := &parquetWriter{out: w, meta: meta, maxRows: o.RowGroupRows, jobs: o.Jobs}
	if pw.maxRows <= 0 {
		pw.maxRows = DefaultRowGroupRows
	}
	for _, ci := range o.columns(s) {
		pw.cols = append(pw.cols, newColumn(ci, &s.Columns[ci], codec))
	}
	return pw, nil
}

// parquetFooter returns the footer of a file of the table's columns and
// no rows, as parquet-go writes it: the writer adds the row groups.
func parquetFooter(s *table.Schema, o Options) (*format.FileMetaData, error) {
	g := &orderedGroup{Group: parquet.Group{}}
	for _, ci := range o.columns(s) {
		c := &s.Columns[ci]
		g.fields = append(g.fields, &namedField{Node: parquetNode(c), name: c.Name})
	}
	opts := []parquet.WriterOption{parquet.NewSchema(s.Name, g), parquet.CreatedBy("pcap2table", "", "")}
	for _, k := range slices.Sorted(maps.Keys(o.Metadata)) { // a map's order changes from run to run
		opts = append(opts, parquet.KeyValueMetadata(k, o.Metadata[k]))
	}
	var buf bytes.Buffer
	if err := parquet.NewGenericWriter[any](&buf, opts...).Close(); err != nil {
		return nil, fmt.Errorf("parquet: %w", err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		return nil, fmt.Errorf("parquet: %w", err)
	}
	m := *f.Metadata()
	m.RowGroups = nil
	return &m, nil
}

func (p *parquetWriter) Write(b *table.Batch) error {
	if p.err != nil {
		return p.err
	}
	n := b.Len()
	for off := 0; off < n; {
		m := min(n-off, p.maxRows-p.rows)
		p.eachColumn(func(_ int, c *column) { c.write(&b.Cols[c.src], off, off+m) })
		off += m
		p.rows += m
		if p.rows >= p.maxRows {
			p.endRowGroup()
		}
		if p.err != nil {
			return p.err
		}
	}
	return nil
}

// eachColumn runs f for every column: with more than one job, each on a
// goroutine of its own, so that the scheduler balances the columns (which
// differ in cost) over the cores.
func (p *parquetWriter) eachColumn(f func(i int, c *column)) {
	if p.jobs <= 1 || len(p.cols) == 1 {
		for i, c := range p.cols {
			f(i, c)
		}
		return
	}
	var wg sync.WaitGroup
	for i, c := range p.cols[1:] {
		wg.Go(func() { f(i+1, c) })
	}
	f(0, p.cols[0])
	wg.Wait()
}

// endRowGroup ends every column's chunk (their last pages and dictionary
// pages encoded in parallel) and writes the row group.
func (p *parquetWriter) endRowGroup() {
	type chunk struct{ dict, pages []byte }
	chunks := make([]chunk, len(p.cols))
	p.eachColumn(func(i int, c *column) { chunks[i].dict, chunks[i].pages = c.finish() })
	for _, c := range p.cols {
		if c.err != nil {
			p.fail(c.err)
			return
		}
	}
	if err := p.magic(); err != nil {
		return
	}
	rg := format.RowGroup{NumRows: int64(p.rows), FileOffset: p.offset, Ordinal: int16(len(p.meta.RowGroups))}
	for i, c := range p.cols {
		m := c.meta(p.offset, len(chunks[i].dict))
		start := p.offset
		if p.write(chunks[i].dict) != nil || p.write(chunks[i].pages) != nil {
			return
		}
		rg.Columns = append(rg.Columns, format.ColumnChunk{FileOffset: start, MetaData: m})
		rg.TotalByteSize += m.TotalUncompressedSize
		rg.TotalCompressedSize += m.TotalCompressedSize
		c.reset()
	}
	p.meta.RowGroups = append(p.meta.RowGroups, rg)
	p.meta.NumRows += int64(p.rows)
	p.rows = 0
}

// magic writes the file's leading magic bytes, once.
func (p *parquetWriter) magic() error {
	if p.offset > 0 {
		return nil
	}
	return p.write([]byte("PAR1"))
}

func (p *parquetWriter) write(b []byte) error {
	if p.err != nil {
		return p.err
	}
	n, err := p.out.Write(b)
	p.offset += int64(n)
	if err != nil {
		p.fail(err)
	}
	return p.err
}

func (p *parquetWriter) fail(err error) {
	if p.err == nil {
		p.err = fmt.Errorf("parquet: %w", err)
	}
}

// Close writes the last row group and the footer.
func (p *parquetWriter) Close() error {
	if p.err != nil {
		return p.err
	}
	if p.rows > 0 {
		p.endRowGroup()
	}
	if p.magic() != nil {
		return p.err
	}
	footer, err := thrift.Marshal(new(thrift.CompactProtocol), p.meta)
	if err != nil {
		p.fail(err)
		return p.err
	}
	footer = binary.LittleEndian.AppendUint32(footer, uint32(len(footer)))
	footer = append(footer, "PAR1"...)
	p.write(footer) //nolint:errcheck // sticky in p.err
	// The columns' pages and dictionaries go now, not with the writer:
	// the other tables of a run close after this one, and their last
	// row groups need the memory.
	p.cols = nil
	return p.err
}
