package writers

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"slices"
	"sync"

	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
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

// parquetWriter writes column by column: each batch becomes one run of
// values per column, with no reflection and no per-row allocation.
type parquetWriter struct {
	w        *parquet.GenericWriter[any]
	cols     []int
	schema   *table.Schema
	groups   [][]int           // positions in cols, encoded concurrently
	vals     [][]parquet.Value // one buffer per group
	rows     int               // rows in the current row group
	maxRows  int
	err      error
	nullable []bool
}

// NewParquet returns a Parquet writer: zstd by default, dictionary-encoded
// strings and enums, delta-encoded frame numbers and timestamps, row
// groups of about RowGroupRows rows.
func NewParquet(w io.Writer, s *table.Schema, o Options) (Writer, error) {
	codec, err := parquetCodec(o.Compression)
	if err != nil {
		return nil, err
	}
	cols := o.columns(s)
	g := &orderedGroup{Group: parquet.Group{}}
	nullable := make([]bool, len(cols))
	for i, ci := range cols {
		c := &s.Columns[ci]
		g.fields = append(g.fields, &namedField{Node: parquetNode(c), name: c.Name})
		nullable[i] = c.Nullable
	}
	opts := []parquet.WriterOption{
		parquet.NewSchema(s.Name, g),
		parquet.Compression(codec),
		parquet.CreatedBy("pcap2table", "", ""),
		// Statistics in every data page header repeat what the page index
		// and the column chunk hold (readers use those); computing them
		// took a second pass over each page's values.
		parquet.DataPageStatistics(false),
		// A column of mostly distinct strings (the source addresses of a
		// SYN flood) grew its dictionary without bound (1 Mi entries a row
		// group: the packets table of a 2 M-flow flood peaked at 544 MiB);
		// past 4 MiB a column chunk goes on in PLAIN encoding.
		parquet.DictionaryMaxBytes(dictMaxBytes),
	}
	for _, k := range slices.Sorted(maps.Keys(o.Metadata)) { // a map's order changes from run to run
		opts = append(opts, parquet.KeyValueMetadata(k, o.Metadata[k]))
	}
	pw := &parquetWriter{
		w:        parquet.NewGenericWriter[any](w, opts...),
		cols:     cols,
		schema:   s,
		maxRows:  o.RowGroupRows,
		nullable: nullable,
	}
	if pw.maxRows <= 0 {
		pw.maxRows = DefaultRowGroupRows
	}
	// Column writers are independent: encode the columns on several
	// goroutines (page encoding and compression dominate), one per column
	// so that the scheduler balances them over the cores (columns differ
	// in cost: a group per core waited on its slowest; all tables ran 4 %
	// faster on 2 cores with a goroutine per column). One job: inline.
	ng := 1
	if o.Jobs > 1 {
		ng = max(len(cols), 1)
	}
	pw.groups = make([][]int, ng)
	pw.vals = make([][]parquet.Value, ng)
	for j := range cols {
		pw.groups[j%ng] = append(pw.groups[j%ng], j)
	}
	return pw, nil
}

func (p *parquetWriter) Write(b *table.Batch) error {
	if p.err != nil {
		return p.err
	}
	n := b.Len()
	for off := 0; off < n; {
		m := min(n-off, p.maxRows-p.rows)
		if err := p.writeRange(b, off, off+m); err != nil {
			p.err = fmt.Errorf("parquet: %w", err)
			return p.err
		}
		off += m
		p.rows += m
		if p.rows >= p.maxRows {
			if err := p.flushPages(); err != nil {
				p.err = fmt.Errorf("parquet: %w", err)
				return p.err
			}
			if err := p.w.Flush(); err != nil {
				p.err = fmt.Errorf("parquet: %w", err)
				return p.err
			}
			p.rows = 0
		}
	}
	return nil
}

func (p *parquetWriter) writeRange(b *table.Batch, lo, hi int) error {
	return p.eachGroup(func(g int) error { return p.writeGroup(b, lo, hi, g) })
}

// eachGroup runs f for every column group, the groups on their own
// goroutines.
func (p *parquetWriter) eachGroup(f func(g int) error) error {
	if len(p.groups) == 1 {
		return f(0)
	}
	errs := make([]error, len(p.groups))
	var wg sync.WaitGroup
	for g := 1; g < len(p.groups); g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[g] = f(g)
		}()
	}
	errs[0] = f(0)
	wg.Wait()
	return errors.Join(errs...)
}

// flushPages encodes and compresses the values the column writers still
// buffer, the columns in groups on several goroutines, ahead of the
// (serial) end of a row group. Without it the last pages of every column
// were compressed one column after the other when a row group ended: for
// a table smaller than a row group (a flows table), all of them.
func (p *parquetWriter) flushPages() error {
	cws := p.w.ColumnWriters()
	return p.eachGroup(func(g int) error {
		for _, j := range p.groups[g] {
			if err := cws[j].Flush(); err != nil {
				return err
			}
		}
		return nil
	})
}

// writeGroup writes rows [lo, hi) of the columns of group g.
func (p *parquetWriter) writeGroup(b *table.Batch, lo, hi, g int) error {
	cws := p.w.ColumnWriters()
	for _, j := range p.groups[g] {
		v := &b.Cols[p.cols[j]]
		if v.IsList {
			if err := p.writeList(cws[j], v, lo, hi, g, p.nullable[j]); err != nil {
				return err
			}
			continue
		}
		def := 0
		if p.nullable[j] {
			def = 1
		}
		n := hi - lo
		if cap(p.vals[g]) < n {
			p.vals[g] = make([]parquet.Value, n)
		}
		vals := p.vals[g][:n]
		fillValues(vals, v, lo, def)
		if _, err := cws[j].WriteRowValues(vals); err != nil {
			return err
		}
	}
	return nil
}

// fillValues sets vals to rows [lo, lo+len(vals)) of v, with definition
// level def for the values that are not null: one loop per column type
// rather than a type switch per value.
func fillValues(vals []parquet.Value, v *table.Vector, lo, def int) {
	valid := v.Valid[lo : lo+len(vals)]
	// SetDefinitionLevel inlines; Level (a copy of the value) did not,
	// and cost a tenth of the writer's time.
	switch v.Type {
	case table.Bool:
		for i, u := range v.U64[lo : lo+len(vals)] {
			vals[i] = parquet.BooleanValue(u != 0)
			vals[i].SetDefinitionLevel(def)
		}
	case table.Uint8, table.Uint16, table.Uint32:
		for i, u := range v.U64[lo : lo+len(vals)] {
			vals[i] = parquet.Int32Value(int32(uint32(u)))
			vals[i].SetDefinitionLevel(def)
		}
	case table.Uint64:
		for i, u := range v.U64[lo : lo+len(vals)] {
			vals[i] = parquet.Int64Value(int64(u))
			vals[i].SetDefinitionLevel(def)
		}
	case table.Int64, table.Timestamp:
		for i, x := range v.I64[lo : lo+len(vals)] {
			vals[i] = parquet.Int64Value(x)
			vals[i].SetDefinitionLevel(def)
		}
	case table.Float64:
		for i, x := range v.F64[lo : lo+len(vals)] {
			vals[i] = parquet.DoubleValue(x)
			vals[i].SetDefinitionLevel(def)
		}
	case table.String:
		for i := range vals {
			vals[i] = parquet.ByteArrayValue(v.Bytes(lo + i))
			vals[i].SetDefinitionLevel(def)
		}
	}
	if def == 0 {
		return // not nullable: every row valid
	}
	for i, ok := range valid {
		if !ok {
			vals[i] = parquet.NullValue()
		}
	}
}

// writeList writes rows [lo, hi) of a list column: one value per element,
// or one null value for an empty or null list. Definition levels: a null
// list 0, an empty one 1 (0 when not nullable), an element one more;
// repetition level 0 starts a row, 1 continues its list.
func (p *parquetWriter) writeList(cw *parquet.ColumnWriter, v *table.Vector, lo, hi, g int, nullable bool) error {
	empty := 0
	if nullable {
		empty = 1
	}
	vals := p.vals[g][:0]
	for r := lo; r < hi; r++ {
		if !v.Valid[r] || v.List[r] == v.List[r+1] {
			x := parquet.NullValue()
			if v.Valid[r] {
				x.SetDefinitionLevel(empty)
			}
			vals = append(vals, x)
			continue
		}
		e0, e1 := v.Elems(r)
		for e := e0; e < e1; e++ {
			var x parquet.Value
			switch v.Type {
			case table.Bool:
				x = parquet.BooleanValue(v.U64[e] != 0)
			case table.Uint8, table.Uint16, table.Uint32:
				x = parquet.Int32Value(int32(uint32(v.U64[e])))
			case table.Uint64:
				x = parquet.Int64Value(int64(v.U64[e]))
			case table.Int64, table.Timestamp:
				x = parquet.Int64Value(v.I64[e])
			case table.Float64:
				x = parquet.DoubleValue(v.F64[e])
			case table.String:
				x = parquet.ByteArrayValue(v.Bytes(e))
			}
			x.SetDefinitionLevel(empty + 1)
			if e > e0 {
				x.SetRepetitionLevel(1)
			}
			vals = append(vals, x)
		}
	}
	p.vals[g] = vals
	_, err := cw.WriteRowValues(vals)
	return err
}

func (p *parquetWriter) Close() error {
	if p.err != nil {
		return p.err
	}
	if p.rows > 0 {
		if err := p.flushPages(); err != nil {
			p.err = fmt.Errorf("parquet: %w", err)
			return p.err
		}
	}
	if err := p.w.Close(); err != nil {
		p.err = fmt.Errorf("parquet: %w", err)
	}
	return p.err
}
