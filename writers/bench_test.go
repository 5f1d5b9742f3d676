package writers_test

import (
	"io"
	"os"
	"testing"

	"github.com/pcap2table/pcap2table/parsers"
	"github.com/pcap2table/pcap2table/parsers/capture"
	"github.com/pcap2table/pcap2table/sniff"
	"github.com/pcap2table/pcap2table/table"
	"github.com/pcap2table/pcap2table/writers"
)

// BenchmarkWriters encodes the packets table of a real capture (4631
// packets, every column) in each format to io.Discard: one op is one
// batch of all its rows, the file's footer once at the end.
// `go test -bench Writers -benchmem ./writers`.
func BenchmarkWriters(b *testing.B) {
	const name = "../testdata/captures/pcapplusplus--Tests--Pcap__Test--PcapExamples--example.pcap"
	f, err := os.Open(name)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	s, err := sniff.Open(f, capture.ReadBufferSize)
	if err != nil {
		b.Fatal(err)
	}
	r, err := capture.Open(s, 0, name)
	if err != nil {
		b.Fatal(err)
	}
	var rows []parsers.PacketRow
	var d parsers.Decoder
	var p capture.Packet
	for r.Next(&p) == nil {
		rows = append(rows, parsers.PacketRow{})
		d.Decode(&p, &rows[len(rows)-1])
	}
	all, _ := parsers.Schema.Projection(nil)
	batch := table.NewBatch(parsers.Schema, len(rows))
	parsers.AppendRows(batch, rows, []string{name}, all)
	for _, format := range writers.Names() {
		fm, _ := writers.Lookup(format)
		b.Run(format, func(b *testing.B) {
			b.ReportAllocs()
			w, err := fm.New(io.Discard, parsers.Schema, writers.Options{})
			if err != nil {
				b.Fatal(err)
			}
			for range b.N {
				if err := w.Write(batch); err != nil {
					b.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch.N), "ns/row")
		})
	}
}
