package parsers_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pcap2table/pcap2table/internal/reftest"
	"github.com/pcap2table/pcap2table/parsers"
	"github.com/pcap2table/pcap2table/parsers/capture"
	"github.com/pcap2table/pcap2table/table"
)

// The stage benchmarks run on real captures: a classic pcap and a
// pcapng with several interfaces. `go test -bench . -benchmem ./parsers`.
var benchCaptures = []string{
	"pcapplusplus--Tests--Pcap__Test--PcapExamples--example.pcap",
	"pcap-parser--assets--wireshark_samples-test.pcapng",
}

// readAll returns the capture's packets, their data copied.
func readPackets(b *testing.B, data []byte) []capture.Packet {
	r, err := reftest.OpenBytes(data)
	if err != nil {
		b.Fatal(err)
	}
	var pkts []capture.Packet
	var p capture.Packet
	for r.Next(&p) == nil {
		p.Data = append([]byte(nil), p.Data...)
		pkts = append(pkts, p)
	}
	return pkts
}

// BenchmarkSource is the reader alone: sniffing the format, then every
// packet of the file (bytes/s is the file's size).
func BenchmarkSource(b *testing.B) {
	for _, name := range benchCaptures {
		data, err := os.ReadFile(filepath.Join(capturesDir, name))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(filepath.Ext(name)[1:], func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			n := 0
			for range b.N {
				r, err := reftest.OpenBytes(data)
				if err != nil {
					b.Fatal(err)
				}
				var p capture.Packet
				for r.Next(&p) == nil {
					n++
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/packet")
		})
	}
}

// BenchmarkDecode is the decoder alone (L2-L4 into a reused row), and
// the columnar move of decoded rows into a packets batch (AppendRows,
// every column): both allocate nothing per packet.
func BenchmarkDecode(b *testing.B) {
	for _, name := range benchCaptures {
		data, err := os.ReadFile(filepath.Join(capturesDir, name))
		if err != nil {
			b.Fatal(err)
		}
		pkts := readPackets(b, data)
		b.Run(filepath.Ext(name)[1:], func(b *testing.B) {
			b.ReportAllocs()
			var d parsers.Decoder
			var row parsers.PacketRow
			for range b.N {
				for i := range pkts {
					d.Decode(&pkts[i], &row)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(pkts)), "ns/packet")
		})
		b.Run(filepath.Ext(name)[1:]+"/AppendRows", func(b *testing.B) {
			var d parsers.Decoder
			rows := make([]parsers.PacketRow, len(pkts))
			for i := range pkts {
				d.Decode(&pkts[i], &rows[i])
			}
			all, _ := parsers.Schema.Projection(nil)
			batch := table.NewBatch(parsers.Schema, len(rows))
			files := []string{name}
			parsers.AppendRows(batch, rows, files, all) // grow the buffers
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				batch.Reset()
				parsers.AppendRows(batch, rows, files, all)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(rows)), "ns/packet")
		})
	}
}
