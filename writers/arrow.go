package writers

import (
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/pcap2table/pcap2table/table"
)

func arrowType(t table.Type) arrow.DataType {
	switch t {
	case table.Bool:
		return arrow.FixedWidthTypes.Boolean
	case table.Uint8:
		return arrow.PrimitiveTypes.Uint8
	case table.Uint16:
		return arrow.PrimitiveTypes.Uint16
	case table.Uint32:
		return arrow.PrimitiveTypes.Uint32
	case table.Uint64:
		return arrow.PrimitiveTypes.Uint64
	case table.Int64:
		return arrow.PrimitiveTypes.Int64
	case table.Float64:
		return arrow.PrimitiveTypes.Float64
	case table.String:
		return arrow.BinaryTypes.String
	case table.Timestamp:
		return &arrow.TimestampType{Unit: arrow.Nanosecond, TimeZone: "UTC"}
	}
	panic(fmt.Sprintf("no arrow type for %v", t))
}

// ArrowSchema maps a table schema (projected on cols) to an Arrow schema.
func ArrowSchema(s *table.Schema, cols []int, md map[string]string) *arrow.Schema {
	fields := make([]arrow.Field, len(cols))
	for i, ci := range cols {
		c := &s.Columns[ci]
		t := arrowType(c.Type)
		if c.List {
			t = arrow.ListOfNonNullable(t)
		}
		fields[i] = arrow.Field{Name: c.Name, Type: t, Nullable: c.Nullable}
	}
	// in key order: a map's order changes from run to run, and the bytes
	// of the output must not
	keys := slices.Sorted(maps.Keys(md))
	vals := make([]string, len(keys))
	for i, k := range keys {
		vals[i] = md[k]
	}
	meta := arrow.NewMetadata(keys, vals)
	return arrow.NewSchema(fields, &meta)
}

// ipcWriter is what ipc.Writer and ipc.FileWriter have in common.
type ipcWriter interface {
	Write(arrow.RecordBatch) error
	Close() error
}

type arrowWriter struct {
	w    ipcWriter
	rb   *array.RecordBuilder
	cols []int
	err  error
}

// NewArrowFile returns an Arrow IPC file writer (.arrow, .feather).
func NewArrowFile(w io.Writer, s *table.Schema, o Options) (Writer, error) {
	return newArrow(w, s, o, true)
}

// NewArrowStream returns an Arrow IPC stream writer (.arrows), which can be
// read while it is written (a pipe).
func NewArrowStream(w io.Writer, s *table.Schema, o Options) (Writer, error) {
	return newArrow(w, s, o, false)
}

func newArrow(w io.Writer, s *table.Schema, o Options, file bool) (Writer, error) {
	cols := o.columns(s)
	schema := ArrowSchema(s, cols, o.Metadata)
	mem := memory.NewGoAllocator()
	opts := []ipc.Option{ipc.WithSchema(schema), ipc.WithAllocator(mem)}
	switch o.Compression {
	case "", "none", "uncompressed":
	case "zstd":
		opts = append(opts, ipc.WithZstd())
	case "lz4":
		opts = append(opts, ipc.WithLZ4())
	default:
		return nil, fmt.Errorf("unknown arrow compression %q (want none, zstd or lz4)", o.Compression)
	}
	a := &arrowWriter{rb: array.NewRecordBuilder(mem, schema), cols: cols}
	if file {
		fw, err := ipc.NewFileWriter(w, opts...)
		if err != nil {
			return nil, fmt.Errorf("arrow: %w", err)
		}
		a.w = fw
	} else {
		a.w = ipc.NewWriter(w, opts...)
	}
	return a, nil
}

func (a *arrowWriter) Write(b *table.Batch) error {
	if a.err != nil {
		return a.err
	}
	n := b.Len()
	for j, ci := range a.cols {
		v := &b.Cols[ci]
		fb := a.rb.Field(j)
		if lb, ok := fb.(*array.ListBuilder); ok && v.IsList {
			for r := 0; r < n; r++ {
				if !v.Valid[r] {
					lb.AppendNull()
					continue
				}
				lb.Append(true)
				lo, hi := v.Elems(r)
				if err := appendArrow(lb.ValueBuilder(), v, lo, hi, nil); err != nil {
					a.err = err
					return err
				}
			}
			continue
		}
		if err := appendArrow(fb, v, 0, n, v.Valid); err != nil {
			a.err = err
			return err
		}
	}
	rec := a.rb.NewRecordBatch()
	defer rec.Release()
	if err := a.w.Write(rec); err != nil {
		a.err = fmt.Errorf("arrow: %w", err)
	}
	return a.err
}

// appendArrow appends values [lo, hi) of v to fb; valid is indexed from
// lo, nil when every value is valid (list elements).
func appendArrow(fb array.Builder, v *table.Vector, lo, hi int, valid []bool) error {
	ok := func(r int) bool { return valid == nil || valid[r] }
	n := hi - lo
	switch fb := fb.(type) {
	case *array.BooleanBuilder:
		fb.Reserve(n)
		for r := lo; r < hi; r++ {
			if ok(r) {
				fb.UnsafeAppend(v.U64[r] != 0)
			} else {
				fb.UnsafeAppendBoolToBitmap(false)
			}
		}
	case *array.Uint8Builder:
		fb.Reserve(n)
		for r := lo; r < hi; r++ {
			if ok(r) {
				fb.UnsafeAppend(uint8(v.U64[r]))
			} else {
				fb.UnsafeAppendBoolToBitmap(false)
			}
		}
	case *array.Uint16Builder:
		fb.Reserve(n)
		for r := lo; r < hi; r++ {
			if ok(r) {
				fb.UnsafeAppend(uint16(v.U64[r]))
			} else {
				fb.UnsafeAppendBoolToBitmap(false)
			}
		}
	case *array.Uint32Builder:
		fb.Reserve(n)
		for r := lo; r < hi; r++ {
			if ok(r) {
				fb.UnsafeAppend(uint32(v.U64[r]))
			} else {
				fb.UnsafeAppendBoolToBitmap(false)
			}
		}
	case *array.Uint64Builder:
		fb.AppendValues(v.U64[lo:hi], sub(valid, lo, hi))
	case *array.Int64Builder:
		fb.AppendValues(v.I64[lo:hi], sub(valid, lo, hi))
	case *array.TimestampBuilder:
		fb.Reserve(n)
		for r := lo; r < hi; r++ {
			if ok(r) {
				fb.UnsafeAppend(arrow.Timestamp(v.I64[r]))
			} else {
				fb.UnsafeAppendBoolToBitmap(false)
			}
		}
	case *array.Float64Builder:
		fb.AppendValues(v.F64[lo:hi], sub(valid, lo, hi))
	case *array.StringBuilder:
		fb.Reserve(n)
		fb.ReserveData(int(v.Off[hi] - v.Off[lo]))
		for r := lo; r < hi; r++ {
			if ok(r) {
				fb.BinaryBuilder.Append(v.Bytes(r))
			} else {
				fb.AppendNull()
			}
		}
	default:
		return fmt.Errorf("arrow: unexpected builder %T", fb)
	}
	return nil
}

func sub(valid []bool, lo, hi int) []bool {
	if valid == nil {
		return nil
	}
	return valid[lo:hi]
}

func (a *arrowWriter) Close() error {
	a.rb.Release()
	if a.err != nil {
		a.w.Close()
		return a.err
	}
	if err := a.w.Close(); err != nil {
		a.err = fmt.Errorf("arrow: %w", err)
	}
	return a.err
}
