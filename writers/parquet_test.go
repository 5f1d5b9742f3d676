package writers_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/pcap2table/pcap2table/table"
	"github.com/pcap2table/pcap2table/writers"
)

// encSchema has a column of every type in every encoding the writer
// chooses (PLAIN, dictionary, delta), required and nullable, and lists.
var encSchema = func() *table.Schema {
	s := &table.Schema{Name: "enc", Version: 1}
	types := []table.Type{table.Bool, table.Uint8, table.Uint16, table.Uint32, table.Uint64, table.Int64, table.Float64, table.String, table.Timestamp}
	for _, ty := range types {
		for _, h := range []table.Hint{table.Plain, table.Dict, table.Delta} {
			for _, null := range []bool{false, true} {
				s.Columns = append(s.Columns, table.Column{Name: fmt.Sprintf("%s_%d_%v", ty, h, null), Type: ty, Hint: h, Nullable: null})
			}
		}
	}
	for _, ty := range []table.Type{table.String, table.Uint16, table.Float64} {
		for _, h := range []table.Hint{table.Plain, table.Dict} {
			for _, null := range []bool{false, true} {
				s.Columns = append(s.Columns, table.Column{Name: fmt.Sprintf("list_%s_%d_%v", ty, h, null), Type: ty, Hint: h, Nullable: null, List: true})
			}
		}
	}
	// a flood of distinct strings: the dictionary passes its bound and the
	// chunk goes on in PLAIN
	s.Columns = append(s.Columns, table.Column{Name: "distinct", Type: table.String, Hint: table.Dict, Nullable: true})
	return s
}()

// encValue is a cell: null, a scalar, or a list's elements.
type encValue struct {
	null bool
	x    uint64 // the bits of a fixed-width value (Bool 0/1)
	s    string
	list []encValue
}

// randomCell makes a cell of column c, row r: few distinct values in most
// rows (so dictionaries help), extremes and runs in others.
func randomCell(rng *rand.Rand, c *table.Column, r int) encValue {
	if c.Nullable && rng.IntN(5) == 0 {
		return encValue{null: true}
	}
	if c.List {
		v := encValue{list: []encValue{}}
		for range rng.IntN(4) {
			v.list = append(v.list, scalar(rng, c, r))
		}
		return v
	}
	return scalar(rng, c, r)
}

func scalar(rng *rand.Rand, c *table.Column, r int) encValue {
	if c.Name == "distinct" {
		return encValue{s: fmt.Sprintf("%064d", r)}
	}
	var x uint64
	switch rng.IntN(4) {
	case 0:
		x = rng.Uint64() // any value
	case 1:
		x = uint64(r) // runs and steps (delta)
	default:
		x = uint64(rng.IntN(7)) // few distinct
	}
	switch c.Type {
	case table.Bool:
		x &= 1
	case table.Uint8:
		x &= math.MaxUint8
	case table.Uint16:
		x &= math.MaxUint16
	case table.Uint32:
		x &= math.MaxUint32
	case table.Float64:
		x = math.Float64bits(float64(int64(x)) / 3)
		if r%97 == 0 {
			x = math.Float64bits(math.NaN())
		}
	case table.String:
		return encValue{s: fmt.Sprintf("v%x", x%1000)}
	}
	return encValue{x: x}
}

func appendCell(v *table.Vector, c *table.Column, e encValue) {
	switch {
	case e.null:
		v.AppendNull()
	case c.List:
		for _, el := range e.list {
			switch c.Type {
			case table.String:
				v.ElemString(el.s)
			case table.Float64:
				v.ElemFloat(math.Float64frombits(el.x))
			default:
				v.ElemUint(el.x)
			}
		}
		v.EndList()
	case c.Type == table.String:
		v.AppendString(e.s)
	case c.Type == table.Float64:
		v.AppendFloat(math.Float64frombits(e.x))
	case c.Type == table.Int64 || c.Type == table.Timestamp:
		v.AppendInt(int64(e.x))
	default:
		v.AppendUint(e.x)
	}
}

// readCell is the cell of a column of a row read back by parquet-go.
func readCell(c *table.Column, vals []parquet.Value) encValue {
	if c.List {
		if len(vals) == 1 && vals[0].IsNull() {
			if c.Nullable && vals[0].DefinitionLevel() == 0 {
				return encValue{null: true}
			}
			return encValue{list: []encValue{}}
		}
		out := encValue{list: []encValue{}}
		for _, v := range vals {
			out.list = append(out.list, readScalar(c, v))
		}
		return out
	}
	if vals[0].IsNull() {
		return encValue{null: true}
	}
	return readScalar(c, vals[0])
}

func readScalar(c *table.Column, v parquet.Value) encValue {
	switch c.Type {
	case table.Bool:
		if v.Boolean() {
			return encValue{x: 1}
		}
		return encValue{}
	case table.Uint8, table.Uint16, table.Uint32:
		return encValue{x: uint64(uint32(v.Int32()))}
	case table.Float64:
		return encValue{x: math.Float64bits(v.Double())}
	case table.String:
		return encValue{s: string(v.ByteArray())}
	}
	return encValue{x: uint64(v.Int64())}
}

func sameCell(a, b encValue) bool {
	if a.null != b.null || a.x != b.x || a.s != b.s || (a.list == nil) != (b.list == nil) || len(a.list) != len(b.list) {
		return false
	}
	for i := range a.list {
		if !sameCell(a.list[i], b.list[i]) {
			return false
		}
	}
	return true
}

// TestParquetEncodings writes 80 k random rows (several pages per chunk,
// several row groups, a dictionary past its bound) in uneven batches and
// reads every cell back with parquet-go, with the chunks' statistics.
func TestParquetEncodings(t *testing.T) {
	const rows = 80_000
	rng := rand.New(rand.NewPCG(1, 2))
	s := encSchema
	cells := make([][]encValue, len(s.Columns))
	for ci := range s.Columns {
		cells[ci] = make([]encValue, rows)
		for r := range rows {
			cells[ci][r] = randomCell(rng, &s.Columns[ci], r)
		}
	}
	var files [2][]byte
	for jobs := 1; jobs <= 2; jobs++ {
		var buf bytes.Buffer
		w, err := writers.NewParquet(&buf, s, writers.Options{RowGroupRows: 70_000, Jobs: jobs})
		if err != nil {
			t.Fatal(err)
		}
		b := table.NewBatch(s, 9000)
		for lo := 0; lo < rows; {
			hi := min(lo+1+rng.IntN(9000), rows)
			b.Reset()
			for ci := range s.Columns {
				for r := lo; r < hi; r++ {
					appendCell(&b.Cols[ci], &s.Columns[ci], cells[ci][r])
				}
			}
			b.N = hi - lo
			if err := w.Write(b); err != nil {
				t.Fatal(err)
			}
			lo = hi
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		files[jobs-1] = buf.Bytes()
	}
	if !bytes.Equal(files[0], files[1]) {
		t.Fatal("the file depends on the number of jobs")
	}
	data := files[0]
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if f.NumRows() != rows || len(f.RowGroups()) != 2 {
		t.Fatalf("%d rows in %d row groups", f.NumRows(), len(f.RowGroups()))
	}
	r := parquet.NewReader(f)
	defer r.Close()
	row := make([]parquet.Row, 1)
	byCol := make([][]parquet.Value, len(s.Columns))
	for i := range rows {
		if n, err := r.ReadRows(row); n != 1 {
			t.Fatalf("row %d: %v", i, err)
		}
		for ci := range byCol {
			byCol[ci] = byCol[ci][:0]
		}
		for _, v := range row[0] {
			byCol[v.Column()] = append(byCol[v.Column()], v)
		}
		for ci := range s.Columns {
			if got := readCell(&s.Columns[ci], byCol[ci]); !sameCell(got, cells[ci][i]) {
				t.Fatalf("row %d column %s: read %+v, wrote %+v", i, s.Columns[ci].Name, got, cells[ci][i])
			}
		}
	}
	checkStats(t, f, s, cells)
	checkEncodings(t, f, s)
}

// checkStats compares every chunk's null count, minimum and maximum with
// the cells'.
func checkStats(t *testing.T, f *parquet.File, s *table.Schema, cells [][]encValue) {
	t.Helper()
	first := 0
	for g, rg := range f.Metadata().RowGroups {
		n := int(rg.NumRows)
		for ci, cc := range rg.Columns {
			c := &s.Columns[ci]
			var vals []encValue
			nulls := 0
			for _, e := range cells[ci][first : first+n] {
				switch {
				case e.null || c.List && len(e.list) == 0:
					nulls++
				case c.List:
					vals = append(vals, e.list...)
				default:
					vals = append(vals, e)
				}
			}
			st := cc.MetaData.Statistics
			if int(st.NullCount) != nulls {
				t.Errorf("row group %d %s: null count %d, want %d", g, c.Name, st.NullCount, nulls)
			}
			lo, hi, ok := bounds(c, vals)
			if !ok {
				if st.MinValue != nil || st.MaxValue != nil {
					t.Errorf("row group %d %s: bounds of no values", g, c.Name)
				}
				continue
			}
			if !bytes.Equal(st.MinValue, lo) || !bytes.Equal(st.MaxValue, hi) {
				t.Errorf("row group %d %s: bounds %x..%x, want %x..%x", g, c.Name, st.MinValue, st.MaxValue, lo, hi)
			}
		}
		first += n
	}
}

// bounds are the PLAIN bytes of the least and greatest values in the
// column's order, NaN left out.
func bounds(c *table.Column, vals []encValue) (lo, hi []byte, ok bool) {
	vals = slices.DeleteFunc(slices.Clone(vals), func(e encValue) bool {
		return c.Type == table.Float64 && math.IsNaN(math.Float64frombits(e.x))
	})
	if len(vals) == 0 {
		return nil, nil, false
	}
	less := func(a, b encValue) int {
		switch c.Type {
		case table.String:
			return bytes.Compare([]byte(a.s), []byte(b.s))
		case table.Float64:
			x, y := math.Float64frombits(a.x), math.Float64frombits(b.x)
			return cmpOrd(x, y)
		case table.Int64, table.Timestamp:
			return cmpOrd(int64(a.x), int64(b.x))
		}
		return cmpOrd(a.x, b.x)
	}
	mn, mx := slices.MinFunc(vals, less), slices.MaxFunc(vals, less)
	enc := func(e encValue, isMin bool) []byte {
		switch c.Type {
		case table.String:
			return []byte(e.s)
		case table.Bool:
			return []byte{byte(e.x)}
		case table.Uint8, table.Uint16, table.Uint32:
			return binary.LittleEndian.AppendUint32(nil, uint32(e.x))
		case table.Float64:
			if f := math.Float64frombits(e.x); f == 0 {
				if isMin {
					return binary.LittleEndian.AppendUint64(nil, math.Float64bits(math.Copysign(0, -1)))
				}
				return binary.LittleEndian.AppendUint64(nil, 0)
			}
		}
		return binary.LittleEndian.AppendUint64(nil, e.x)
	}
	return enc(mn, true), enc(mx, false), true
}

func cmpOrd[T int64 | uint64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// checkEncodings checks each chunk says the encodings its hint asks for,
// and that the flood of distinct strings went on in PLAIN.
func checkEncodings(t *testing.T, f *parquet.File, s *table.Schema) {
	t.Helper()
	for ci, cc := range f.Metadata().RowGroups[0].Columns {
		c := &s.Columns[ci]
		encs := fmt.Sprint(cc.MetaData.Encoding)
		want := "PLAIN"
		switch {
		case c.Name == "distinct":
			want = "PLAIN RLE RLE_DICTIONARY"
		case c.Hint == table.Dict && c.Type != table.Bool:
			want = "RLE_DICTIONARY"
		case c.Hint == table.Delta && !c.List && c.Type != table.Bool && c.Type != table.Float64 && c.Type != table.String:
			want = "DELTA_BINARY_PACKED"
		}
		if !bytes.Contains([]byte(encs), []byte(want)) {
			t.Errorf("%s: encodings %s, want %s", c.Name, encs, want)
		}
	}
}

// TestParquetNoRows writes a valid file of no rows.
func TestParquetNoRows(t *testing.T) {
	var buf bytes.Buffer
	w, err := writers.NewParquet(&buf, encSchema, writers.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if f.NumRows() != 0 || len(f.Schema().Fields()) != len(encSchema.Columns) {
		t.Fatalf("%d rows, %d columns", f.NumRows(), len(f.Schema().Fields()))
	}
}
