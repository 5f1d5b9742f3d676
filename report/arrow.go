package report

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// batch is one record batch of a table, its columns looked up by name, so
// that columns added to a table later are seen and columns missing read
// as null.
type batch struct {
	n    int
	cols map[string]arrow.Array
	// names are the columns in the file's order.
	names []string
}

// eachBatch calls fn for every record batch of the Arrow IPC file at
// path. A missing file is a table that was not written: no batches.
func eachBatch(path string, fn func(b *batch)) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := ipc.NewFileReader(f, ipc.WithAllocator(memory.DefaultAllocator))
	if err != nil {
		return fmt.Errorf("reading back %s: %w", path, err)
	}
	defer r.Close()
	for i := 0; i < r.NumRecords(); i++ {
		rec, err := r.RecordBatch(i)
		if err != nil {
			return fmt.Errorf("reading back %s: %w", path, err)
		}
		b := &batch{n: int(rec.NumRows()), cols: map[string]arrow.Array{}}
		for j, fld := range rec.Schema().Fields() {
			b.cols[fld.Name] = rec.Column(j)
			b.names = append(b.names, fld.Name)
		}
		fn(b)
	}
	return nil
}

// col is the column called name, nil when it is missing or null at row i.
func (b *batch) col(name string, i int) arrow.Array {
	a := b.cols[name]
	if a == nil || a.IsNull(i) {
		return nil
	}
	return a
}

// str is a string cell, "" when null or missing. Invalid UTF-8 (a
// capture may hold anything) is replaced.
func (b *batch) str(name string, i int) string {
	if a, ok := b.col(name, i).(*array.String); ok {
		return strings.ToValidUTF8(a.Value(i), "\uFFFD")
	}
	return ""
}

// num is a numeric cell; false when null, missing or not a number.
func (b *batch) num(name string, i int) (float64, bool) {
	switch a := b.col(name, i).(type) {
	case *array.Uint8:
		return float64(a.Value(i)), true
	case *array.Uint16:
		return float64(a.Value(i)), true
	case *array.Uint32:
		return float64(a.Value(i)), true
	case *array.Uint64:
		return float64(a.Value(i)), true
	case *array.Int64:
		return float64(a.Value(i)), true
	case *array.Float64:
		return a.Value(i), true
	}
	return 0, false
}

// ts is a timestamp cell in ns since the epoch; false when null or missing.
func (b *batch) ts(name string, i int) (int64, bool) {
	if a, ok := b.col(name, i).(*array.Timestamp); ok {
		return int64(a.Value(i)), true
	}
	return 0, false
}

// text is any cell as the page shows it: "" for null.
func (b *batch) text(name string, i int) string {
	switch a := b.col(name, i).(type) {
	case nil:
		return ""
	case *array.String:
		return strings.ToValidUTF8(a.Value(i), "\uFFFD")
	case *array.Float64:
		return fmtFloat(a.Value(i))
	case *array.Timestamp:
		return fmtTime(int64(a.Value(i)))
	case *array.List:
		return listText(a, i)
	default:
		return strings.ToValidUTF8(a.ValueStr(i), "\uFFFD")
	}
}

// listText joins the values of a list cell with commas.
func listText(a *array.List, i int) string {
	start, end := a.ValueOffsets(i)
	vals := a.ListValues()
	var parts []string
	for j := int(start); j < int(end); j++ {
		if vals.IsNull(j) {
			continue
		}
		if s, ok := vals.(*array.String); ok {
			parts = append(parts, strings.ToValidUTF8(s.Value(j), "\uFFFD"))
		} else {
			parts = append(parts, vals.ValueStr(j))
		}
	}
	return strings.Join(parts, ", ")
}

// fmtFloat shows a float with four significant digits.
func fmtFloat(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// fmtTime shows a timestamp (ns) in UTC to the millisecond.
func fmtTime(ns int64) string {
	return time.Unix(0, ns).UTC().Format("2006-01-02 15:04:05.000Z")
}
