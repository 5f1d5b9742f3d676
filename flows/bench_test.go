package flows_test

import (
	"os"
	"testing"

	"github.com/pcap2table/pcap2table/flows"
)

// BenchmarkTracker is the tracking stage alone: the rows of a capture,
// decoded beforehand, observed in batches as Convert observes them. The
// capture is bench/'s generated 2 M-packet one (PCAP2TABLE_BENCH_CAPTURE
// picks another); without it the benchmark is skipped.
func BenchmarkTracker(b *testing.B) {
	path := os.Getenv("PCAP2TABLE_BENCH_CAPTURE")
	if path == "" {
		path = "../bench/out/bench-2000000.pcap"
	}
	if _, err := os.Stat(path); err != nil {
		b.Skip("no bench capture: run bench/run.sh once")
	}
	rows := decodeRows(b, path)
	for i := range rows {
		rows[i].Payload, rows[i].IPPayload, rows[i].L4 = nil, nil, nil
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		tr := flows.NewTracker(flows.DefaultConfig())
		for i := 0; i < len(rows); i += 8192 {
			for rs := rows[i:min(i+8192, len(rows))]; len(rs) > 0; {
				rs = rs[tr.ObserveBatch(rs, 8192):]
				tr.TakeEnded()
			}
		}
		for tr.CloseSome(8192) {
			tr.TakeEnded()
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(rows)), "ns/packet")
}
