package writers_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/parquet-go/parquet-go"
	"github.com/pcap2table/pcap2table/table"
	"github.com/pcap2table/pcap2table/writers"
)

// listSchema: a nullable list of strings and a required list of uint32.
var listSchema = &table.Schema{Name: "l", Version: 1, Columns: []table.Column{
	{Name: "id", Type: table.Uint64},
	{Name: "names", Type: table.String, List: true, Nullable: true, Hint: table.Dict},
	{Name: "ttls", Type: table.Uint32, List: true},
}}

// listRows are the rows written: nil is a null list.
var listRows = []struct {
	names []string
	ttls  []uint32
}{
	{nil, []uint32{}},
	{[]string{}, []uint32{1}},
	{[]string{"a", `b,"c"` + "\n"}, []uint32{4294967295, 0, 7}},
	{[]string{"é"}, []uint32{}},
}

func writeLists(t *testing.T, format string) []byte {
	t.Helper()
	f, _ := writers.Lookup(format)
	var buf bytes.Buffer
	w, err := f.New(&buf, listSchema, writers.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := table.NewBatch(listSchema, 2)
	for from := 0; from < len(listRows); from += 2 { // two batches: a reused batch
		b.Reset()
		for i := from; i < from+2; i++ {
			r := listRows[i]
			b.Cols[0].AppendUint(uint64(i))
			if r.names == nil {
				b.Cols[1].AppendNull()
			} else {
				for _, s := range r.names {
					b.Cols[1].ElemString(s)
				}
				b.Cols[1].EndList()
			}
			for _, x := range r.ttls {
				b.Cols[2].ElemUint(uint64(x))
			}
			b.Cols[2].EndList()
			b.N++
		}
		if err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// check compares one decoded row with listRows[i].
func checkListRow(t *testing.T, format string, i int, names []string, namesNull bool, ttls []uint32) {
	t.Helper()
	want := listRows[i]
	if namesNull != (want.names == nil) || !namesNull && !reflect.DeepEqual(names, want.names) && !(len(names) == 0 && len(want.names) == 0) {
		t.Errorf("%s row %d: names %q (null %v), want %q", format, i, names, namesNull, want.names)
	}
	if !reflect.DeepEqual(ttls, want.ttls) && !(len(ttls) == 0 && len(want.ttls) == 0) {
		t.Errorf("%s row %d: ttls %v, want %v", format, i, ttls, want.ttls)
	}
}

func TestLists(t *testing.T) {
	t.Run("jsonl", func(t *testing.T) {
		lines := strings.Split(strings.TrimSpace(string(writeLists(t, "jsonl"))), "\n")
		if len(lines) != len(listRows) {
			t.Fatalf("%d lines", len(lines))
		}
		for i, l := range lines {
			var r struct {
				Names *[]string
				TTLs  []uint32
			}
			if err := json.Unmarshal([]byte(l), &r); err != nil {
				t.Fatalf("line %d %s: %v", i, l, err)
			}
			var names []string
			if r.Names != nil {
				names = *r.Names
			}
			checkListRow(t, "jsonl", i, names, r.Names == nil, r.TTLs)
		}
	})
	t.Run("csv", func(t *testing.T) {
		recs, err := csv.NewReader(bytes.NewReader(writeLists(t, "csv"))).ReadAll()
		if err != nil || len(recs) != len(listRows)+1 {
			t.Fatalf("%d records: %v", len(recs), err)
		}
		for i, rec := range recs[1:] {
			var names []string
			var ttls []uint32
			if rec[1] != "" {
				if err := json.Unmarshal([]byte(rec[1]), &names); err != nil {
					t.Fatalf("row %d names %q: %v", i, rec[1], err)
				}
			}
			if err := json.Unmarshal([]byte(rec[2]), &ttls); err != nil {
				t.Fatalf("row %d ttls %q: %v", i, rec[2], err)
			}
			checkListRow(t, "csv", i, names, rec[1] == "", ttls)
		}
	})
	t.Run("arrow", func(t *testing.T) {
		r, err := ipc.NewFileReader(bytes.NewReader(writeLists(t, "arrow")))
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		i := 0
		for k := 0; k < r.NumRecords(); k++ {
			rec, err := r.RecordBatch(k)
			if err != nil {
				t.Fatal(err)
			}
			nl, tl := rec.Column(1).(*array.List), rec.Column(2).(*array.List)
			nv, tv := nl.ListValues().(*array.String), tl.ListValues().(*array.Uint32)
			for j := 0; j < int(rec.NumRows()); j, i = j+1, i+1 {
				var names []string
				lo, hi := nl.ValueOffsets(j)
				for e := lo; e < hi; e++ {
					names = append(names, nv.Value(int(e)))
				}
				var ttls []uint32
				lo, hi = tl.ValueOffsets(j)
				for e := lo; e < hi; e++ {
					ttls = append(ttls, tv.Value(int(e)))
				}
				checkListRow(t, "arrow", i, names, nl.IsNull(j), ttls)
			}
		}
		if i != len(listRows) {
			t.Fatalf("%d rows", i)
		}
	})
	t.Run("parquet", func(t *testing.T) {
		data := writeLists(t, "parquet")
		f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		if lt := f.Schema().Fields()[1].Type().LogicalType(); lt == nil || lt.String() != "LIST" {
			t.Fatalf("names logical type %v, want LIST", lt)
		}
		r := parquet.NewReader(f)
		defer r.Close()
		row := make([]parquet.Row, 1)
		for i := range listRows {
			if n, _ := r.ReadRows(row); n != 1 {
				t.Fatalf("row %d missing", i)
			}
			var names []string
			var ttls []uint32
			namesNull := false
			for _, v := range row[0] {
				switch v.Column() {
				case 1:
					switch v.DefinitionLevel() {
					case 0:
						namesNull = true
					case 2:
						names = append(names, v.String())
					}
				case 2:
					if v.DefinitionLevel() == 1 {
						ttls = append(ttls, uint32(v.Int32()))
					}
				}
			}
			checkListRow(t, "parquet", i, names, namesNull, ttls)
		}
	})
}

// TestListVector: element ranges, nulls and Reset.
func TestListVector(t *testing.T) {
	b := table.NewBatch(listSchema, 1)
	v := &b.Cols[1]
	v.ElemString("x")
	v.ElemString("yz")
	v.EndList()
	v.AppendNull()
	v.EndList()
	for i, want := range [][2]int{{0, 2}, {2, 2}, {2, 2}} {
		if lo, hi := v.Elems(i); lo != want[0] || hi != want[1] {
			t.Errorf("row %d: elements [%d, %d), want %v", i, lo, hi, want)
		}
	}
	if string(v.Bytes(1)) != "yz" || v.Valid[1] || !v.Valid[2] {
		t.Errorf("element 1 %q, valid %v", v.Bytes(1), v.Valid)
	}
	v.Reset()
	v.ElemString("q")
	v.EndList()
	if lo, hi := v.Elems(0); v.Len() != 1 || lo != 0 || hi != 1 || string(v.Bytes(0)) != "q" {
		t.Errorf("after Reset: %d rows, [%d, %d)", v.Len(), lo, hi)
	}
}
