package writers_test

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/parquet-go/parquet-go"
	"github.com/pcap2table/pcap2table/table"
	"github.com/pcap2table/pcap2table/writers"
)

// testSchema has one column of every type, nullable, plus a required one.
var testSchema = &table.Schema{Name: "t", Version: 1, Columns: []table.Column{
	{Name: "id", Type: table.Uint64},
	{Name: "b", Type: table.Bool, Nullable: true},
	{Name: "u8", Type: table.Uint8, Nullable: true, Hint: table.Dict},
	{Name: "u16", Type: table.Uint16, Nullable: true},
	{Name: "u32", Type: table.Uint32, Nullable: true},
	{Name: "u64", Type: table.Uint64, Nullable: true, Hint: table.Delta},
	{Name: "i64", Type: table.Int64, Nullable: true},
	{Name: "f64", Type: table.Float64, Nullable: true},
	{Name: "s", Type: table.String, Nullable: true, Hint: table.Dict},
	{Name: "ts", Type: table.Timestamp, Nullable: true, Hint: table.Delta},
}}

// row i of the test data: every 3rd row is all null, every 3rd+1 all zero
// (zero is not null), the others carry extreme values.
func fill(b *table.Batch, from, n int) {
	for i := from; i < from+n; i++ {
		c := b.Cols
		c[0].AppendUint(uint64(i))
		switch i % 3 {
		case 0:
			for j := 1; j < len(c); j++ {
				c[j].AppendNull()
			}
		case 1:
			c[1].AppendBool(false)
			for j := 2; j <= 5; j++ {
				c[j].AppendUint(0)
			}
			c[6].AppendInt(0)
			c[7].AppendFloat(0)
			c[8].AppendString("")
			c[9].AppendInt(0)
		case 2:
			c[1].AppendBool(true)
			c[2].AppendUint(math.MaxUint8)
			c[3].AppendUint(math.MaxUint16)
			c[4].AppendUint(math.MaxUint32)
			c[5].AppendUint(math.MaxUint64)
			c[6].AppendInt(math.MinInt64)
			c[7].AppendFloat(-1.5)
			c[8].AppendString("a,\"b\"\n\\ é\x01")
			c[9].AppendInt(1704164645123456789)
		}
		b.N++
	}
}

// write encodes rows in several batches, reusing one batch as the
// pipeline does, so a writer that kept a slice of a batch would fail.
func write(t *testing.T, format string, rows int, o writers.Options) []byte {
	t.Helper()
	f, ok := writers.Lookup(format)
	if !ok {
		t.Fatal(format)
	}
	var buf bytes.Buffer
	w, err := f.New(&buf, testSchema, o)
	if err != nil {
		t.Fatal(err)
	}
	b := table.NewBatch(testSchema, 7)
	for from := 0; from < rows; from += 7 {
		b.Reset()
		fill(b, from, min(7, rows-from))
		if err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestCSV(t *testing.T) {
	got := string(write(t, "csv", 3, writers.Options{}))
	want := "id,b,u8,u16,u32,u64,i64,f64,s,ts\n" +
		"0,,,,,,,,,\n" +
		"1,false,0,0,0,0,0,0,\"\",1970-01-01T00:00:00.000000000Z\n" +
		"2,true,255,65535,4294967295,18446744073709551615,-9223372036854775808,-1.5,\"a,\"\"b\"\"\n\\ é\x01\",2024-01-02T03:04:05.123456789Z\n"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestJSONL(t *testing.T) {
	got := strings.Split(string(write(t, "jsonl", 3, writers.Options{TimeFormat: writers.EpochNs})), "\n")
	want := []string{
		`{"id":0,"b":null,"u8":null,"u16":null,"u32":null,"u64":null,"i64":null,"f64":null,"s":null,"ts":null}`,
		`{"id":1,"b":false,"u8":0,"u16":0,"u32":0,"u64":0,"i64":0,"f64":0,"s":"","ts":0}`,
		`{"id":2,"b":true,"u8":255,"u16":65535,"u32":4294967295,"u64":18446744073709551615,"i64":-9223372036854775808,"f64":-1.5,"s":"a,\"b\"\n\\ é\u0001","ts":1704164645123456789}`,
		``,
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("line %d:\n got %s\nwant %s", i, got[i], want[i])
		}
		if want[i] != "" && !json.Valid([]byte(got[i])) {
			t.Fatalf("line %d is not JSON", i)
		}
	}
}

func TestTimeFormats(t *testing.T) {
	for _, tc := range []struct {
		tf   writers.TimeFormat
		ns   int64
		want string
	}{
		{writers.RFC3339, 1704164645123456789, "2024-01-02T03:04:05.123456789Z"},
		{writers.RFC3339, 1704164645000000000, "2024-01-02T03:04:05.000000000Z"}, // never trimmed
		{writers.RFC3339, -1, "1969-12-31T23:59:59.999999999Z"},
		{writers.Epoch, 1704164645123456789, "1704164645.123456789"},
		{writers.Epoch, 5, "0.000000005"},
		{writers.Epoch, -500000000, "-0.500000000"},
		{writers.Epoch, -1500000000, "-1.500000000"},
		{writers.EpochNs, 1704164645123456789, "1704164645123456789"},
		{writers.EpochUs, 1704164645123456789, "1704164645123456"},
		{writers.EpochUs, -1, "-1"},
	} {
		s := &table.Schema{Name: "t", Columns: []table.Column{{Name: "ts", Type: table.Timestamp}}}
		b := table.NewBatch(s, 2)
		b.Cols[0].AppendInt(tc.ns)
		b.Cols[0].AppendInt(tc.ns) // the second takes the cached-second path
		b.N = 2
		var buf bytes.Buffer
		w, _ := writers.NewCSV(&buf, s, writers.Options{TimeFormat: tc.tf})
		w.Write(b)
		w.Close()
		if want := "ts\n" + tc.want + "\n" + tc.want + "\n"; buf.String() != want {
			t.Errorf("%v %d: got %q, want %q", tc.tf, tc.ns, buf.String(), want)
		}
	}
}

func TestParquetRoundTrip(t *testing.T) {
	const rows = 100
	data := write(t, "parquet", rows, writers.Options{RowGroupRows: 30, Metadata: map[string]string{"k": "v"}})
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if f.NumRows() != rows || len(f.RowGroups()) != 4 {
		t.Fatalf("%d rows in %d row groups", f.NumRows(), len(f.RowGroups()))
	}
	if v, ok := f.Lookup("k"); !ok || v != "v" {
		t.Fatal("metadata lost")
	}
	// Column order and types are the schema's.
	fields := f.Schema().Fields()
	for i, c := range testSchema.Columns {
		if fields[i].Name() != c.Name || fields[i].Optional() != c.Nullable {
			t.Fatalf("field %d: %s optional=%v", i, fields[i].Name(), fields[i].Optional())
		}
	}
	for i, want := range map[int]string{3: "INT(16,false)", 5: "INT(64,false)", 9: "TIMESTAMP(isAdjustedToUTC=true,unit=NANOS)", 8: "STRING"} {
		if lt := fields[i].Type().LogicalType(); lt == nil || lt.String() != want {
			t.Errorf("%s logical type %v, want %s", fields[i].Name(), lt, want)
		}
	}
	r := parquet.NewReader(f)
	defer r.Close()
	row := make([]parquet.Row, 1)
	for i := 0; i < rows; i++ {
		if n, err := r.ReadRows(row); n != 1 {
			t.Fatalf("row %d: %v", i, err) // the last row may come with io.EOF
		}
		vals := row[0]
		if vals[0].Uint64() != uint64(i) {
			t.Fatalf("row %d: id %v", i, vals[0])
		}
		for j := 1; j < len(vals); j++ {
			v := vals[j]
			switch i % 3 {
			case 0:
				if !v.IsNull() {
					t.Fatalf("row %d col %d: %v, want null", i, j, v)
				}
			case 1:
				if v.IsNull() {
					t.Fatalf("row %d col %d: null, want zero", i, j)
				}
			case 2:
				if j == 5 && v.Uint64() != math.MaxUint64 || j == 8 && v.String() != "a,\"b\"\n\\ é\x01" || j == 9 && v.Int64() != 1704164645123456789 {
					t.Fatalf("row %d col %d: %v", i, j, v)
				}
			}
		}
	}
}

func TestArrowRoundTrip(t *testing.T) {
	const rows = 50
	for _, format := range []string{"arrow", "arrows"} {
		data := write(t, format, rows, writers.Options{})
		var recs []arrow.RecordBatch
		if format == "arrow" {
			r, err := ipc.NewFileReader(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < r.NumRecords(); i++ {
				rec, err := r.RecordBatch(i)
				if err != nil {
					t.Fatal(err)
				}
				rec.Retain()
				recs = append(recs, rec)
			}
			r.Close()
		} else {
			r, err := ipc.NewReader(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			for r.Next() {
				rec := r.RecordBatch()
				rec.Retain()
				recs = append(recs, rec)
			}
			r.Release()
		}
		n := 0
		for _, rec := range recs {
			if ts := rec.Schema().Field(9).Type.(*arrow.TimestampType); ts.Unit != arrow.Nanosecond || ts.TimeZone != "UTC" {
				t.Fatalf("ts type %v", ts)
			}
			u16 := rec.Column(3).(*array.Uint16)
			s := rec.Column(8).(*array.String)
			for k := 0; k < int(rec.NumRows()); k++ {
				i := n + k
				if (i%3 == 0) != u16.IsNull(k) || (i%3 == 0) != s.IsNull(k) {
					t.Fatalf("%s row %d: null mismatch", format, i)
				}
				if i%3 == 2 && (u16.Value(k) != math.MaxUint16 || s.Value(k) != "a,\"b\"\n\\ é\x01") {
					t.Fatalf("%s row %d: %d %q", format, i, u16.Value(k), s.Value(k))
				}
				if i%3 == 1 && (u16.Value(k) != 0 || s.Value(k) != "") {
					t.Fatalf("%s row %d: zero lost", format, i)
				}
			}
			n += int(rec.NumRows())
			rec.Release()
		}
		if n != rows {
			t.Fatalf("%s: %d rows", format, n)
		}
	}
}

func TestColumnsAndRegistry(t *testing.T) {
	got := string(write(t, "csv", 3, writers.Options{Columns: []int{8, 0}}))
	if !strings.HasPrefix(got, "s,id\n,0\n\"\",1\n") {
		t.Fatalf("projection: %q", got)
	}
	for path, want := range map[string]string{"a.parquet": "parquet", "b.ARROW": "arrow", "c.feather": "arrow",
		"d.arrows": "arrows", "e.csv": "csv", "f.ndjson": "jsonl", "g.jsonl": "jsonl"} {
		if f, ok := writers.ByExtension(path); !ok || f.Name != want {
			t.Errorf("%s: %v", path, f.Name)
		}
	}
	if _, ok := writers.ByExtension("x.txt"); ok {
		t.Error("x.txt has a format")
	}
	if _, err := writers.NewParquet(&bytes.Buffer{}, testSchema, writers.Options{Compression: "nope"}); err == nil {
		t.Error("bad compression accepted")
	}
}

// failWriter fails after n bytes, like a full disk.
type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		return 0, os.ErrClosed
	}
	f.n -= len(p)
	return len(p), nil
}

func TestStickyErrors(t *testing.T) {
	for _, format := range writers.Names() {
		f, _ := writers.Lookup(format)
		w, err := f.New(&failWriter{n: 100}, testSchema, writers.Options{})
		if err != nil {
			continue // the header itself did not fit
		}
		b := table.NewBatch(testSchema, 1<<12)
		fill(b, 0, 1<<12)
		err1 := w.Write(b)
		err2 := w.Close()
		if err1 == nil && err2 == nil {
			t.Errorf("%s: no error from a failing writer", format)
		}
		if err1 != nil && w.Write(b) == nil {
			t.Errorf("%s: error is not sticky", format)
		}
	}
}

func TestAtomicFile(t *testing.T) {
	dir := t.TempDir()
	final := filepath.Join(dir, "out.csv")
	f, err := writers.Create(final)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("x\n")
	if _, err := os.Stat(final); !os.IsNotExist(err) {
		t.Fatal("final name exists before Commit")
	}
	f.Abort()
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("Abort left %v", entries)
	}
	f, _ = writers.Create(final)
	f.WriteString("y\n")
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(final); string(b) != "y\n" {
		t.Fatalf("content %q", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("Commit left %v", entries)
	}
}
