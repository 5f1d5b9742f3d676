package writers_test

import (
	"os"

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
