package writers

import (
	"bytes"
	"testing"
	"unsafe"

	"github.com/parquet-go/parquet-go/format"
	"github.com/pcap2table/pcap2table/table"
)

// memSchema has a PLAIN, a dictionary and a delta column.
var memSchema = &table.Schema{Name: "mem", Version: 1, Columns: []table.Column{
	{Name: "plain", Type: table.Uint64},
	{Name: "dict", Type: table.Uint32, Hint: table.Dict},
	{Name: "delta", Type: table.Int64, Hint: table.Delta},
}}

func memBatch(n int) *table.Batch {
	b := table.NewBatch(memSchema, n)
	for i := range n {
		b.Cols[0].AppendUint(uint64(i) * 0x9e3779b97f4a7c15)
		b.Cols[1].AppendUint(uint64(i % 7))
		b.Cols[2].AppendInt(int64(i))
	}
	b.N = n
	return b
}

// A PLAIN page is compressed from the values the column gathered, not
// from a copy of them in the page buffer (a page-sized buffer more).
func TestPlainPageNotCopied(t *testing.T) {
	codec, _ := parquetCodec("zstd")
	c := newColumn(0, &memSchema.Columns[0], codec)
	b := memBatch(1000)
	c.write(&b.Cols[0], 0, b.N)
	var pb pageBuf
	body, enc := c.encodeBody(&pb)
	if enc != format.Plain || len(body) != 8*b.N {
		t.Fatalf("encoding %v, %d bytes", enc, len(body))
	}
	if unsafe.SliceData(body) != unsafe.SliceData(c.plain) || cap(pb.body) != 0 {
		t.Errorf("the PLAIN values were copied: %d bytes of page buffer", cap(pb.body))
	}
}

// The columns' buffers (their pages, dictionaries and page values) go
// at Close, not with the writer: the tables of a run that close later
// need the memory.
func TestParquetCloseReleasesColumns(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewParquet(&buf, memSchema, Options{Jobs: 2, RowGroupRows: 3 * pageRows})
	if err != nil {
		t.Fatal(err)
	}
	b := memBatch(8192)
	for range 5 * pageRows / b.N { // a row group and part of another
		if err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	p := w.(*parquetWriter)
	if len(p.cols) != len(memSchema.Columns) {
		t.Fatalf("%d columns", len(p.cols))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if p.cols != nil {
		t.Errorf("%d columns kept after Close", len(p.cols))
	}
	if p.meta.NumRows != 5*pageRows || len(p.meta.RowGroups) != 2 {
		t.Errorf("%d rows in %d row groups", p.meta.NumRows, len(p.meta.RowGroups))
	}
}
