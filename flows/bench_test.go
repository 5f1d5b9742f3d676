package flows_test

import (
	"os"
	"testing"

	"github.com/pcap2table/pcap2table/flows"
)

// BenchmarkTracker is the tracking stage alone: the rows of a capture,
// decoded beforehand, observed by a one-shard Tracker in batches of 8192
// rows as Convert observes them (the flows' rows go to a subscriber). The
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
		tr := flows.NewTracker(flows.DefaultConfig(), 1)
		var ended int
		tr.Subscribe(&countRows{n: &ended})
		for i := 0; i < len(rows); i += 8192 {
			tr.Observe(rows[i:min(i+8192, len(rows))])
		}
		tr.Close()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(rows)), "ns/packet")
}
