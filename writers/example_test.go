package writers_test

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/pcap2table/pcap2table/table"
	"github.com/pcap2table/pcap2table/writers"
)

func ExampleNewCSV() {
	s := &table.Schema{Name: "ports", Columns: []table.Column{
		{Name: "port", Type: table.Uint16, Nullable: true},
		{Name: "ts", Type: table.Timestamp},
	}}
	b := table.NewBatch(s, 2)
	b.Cols[0].AppendUint(53)
	b.Cols[1].AppendInt(1704164645123456789)
	b.N++
	b.Cols[0].AppendNull() // null, not zero: an empty field
	b.Cols[1].AppendInt(1704164646000000000)
	b.N++
	w, _ := writers.NewCSV(os.Stdout, s, writers.Options{})
	w.Write(b)
	w.Close()
	// Output:
	// port,ts
	// 53,2024-01-02T03:04:05.123456789Z
	// ,2024-01-02T03:04:06.000000000Z
}

func ExampleNewDataset() {
	s := &table.Schema{Name: "ports", Columns: []table.Column{
		{Name: "port", Type: table.Uint16},
		{Name: "ts", Type: table.Timestamp},
	}}
	b := table.NewBatch(s, 3)
	for _, ts := range []int64{1704164645e9, 1704165000e9, 1704168000e9} { // 03:04, 03:10, 04:00 on 2024-01-02
		b.Cols[0].AppendUint(53)
		b.Cols[1].AppendInt(ts)
		b.N++
	}
	out, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(out)
	pq, _ := writers.Lookup("parquet")
	d, err := writers.NewDataset(filepath.Join(out, "ports"), pq, s, writers.ByHour, writers.Options{})
	if err != nil {
		panic(err)
	}
	if err := d.Write(b); err != nil {
		d.Abort()
		panic(err)
	}
	if err := d.Commit(); err != nil { // closes the files, then renames the folder into place
		panic(err)
	}
	filepath.WalkDir(out, func(p string, e fs.DirEntry, err error) error {
		if !e.IsDir() {
			rel, _ := filepath.Rel(out, p)
			fmt.Println(filepath.ToSlash(rel))
		}
		return nil
	})
	// Output:
	// ports/date=2024-01-02/hour=03/part-00000.parquet
	// ports/date=2024-01-02/hour=04/part-00000.parquet
}
