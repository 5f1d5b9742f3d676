package flows_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/pcap2table/pcap2table/flows"
)

// TestObserveZeroAllocs asserts that following packets of known flows
// allocates nothing (a new flow may: it grows the flow table), with and
// without a stream handler (in-order payload is handed over in place) and
// checksum verification.
func TestObserveZeroAllocs(t *testing.T) {
	for _, name := range []string{
		"pcapplusplus--Tests--Pcap__Test--PcapExamples--example.pcap",
		"pcap-parser--assets--wireshark_samples-test.pcapng",
		"pcap-analyzer--assets--frag_tcp_80_ipv4.pcap",
	} {
		for _, stream := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/streams,checksums=%v", name, stream), func(t *testing.T) {
				rows, _ := track(t, filepath.Join(capturesDir, name))
				tr := flows.NewTracker(flows.DefaultConfig())
				if stream {
					tr.SetStreamHandler(discard{})
				}
				for i := range rows {
					tr.Observe(&rows[i]) // every flow now exists
				}
				tr.TakeEnded()
				n := testing.AllocsPerRun(5, func() {
					for i := range rows {
						tr.Observe(&rows[i])
						if tr.PendingRows() > 0 {
							tr.TakeEnded()
						}
					}
				})
				if n != 0 {
					t.Errorf("%v allocations per pass over %d packets", n, len(rows))
				}
				// the pipeline's way: Retain into a reused arena, then
				// ObserveBatch
				var arena []byte
				pass := func() {
					arena = arena[:0]
					for i := range rows {
						arena = tr.Retain(&rows[i], arena)
					}
					for rs := rows; len(rs) > 0; {
						rs = rs[tr.ObserveBatch(rs, 64):]
						tr.TakeEnded()
					}
				}
				pass() // the arena grows once
				if n := testing.AllocsPerRun(5, pass); n != 0 {
					t.Errorf("Retain and ObserveBatch: %v allocations per pass over %d packets", n, len(rows))
				}
			})
		}
	}
}

// discard is a StreamHandler that drops the streams.
type discard struct{}

func (discard) Stream(*flows.StreamEvent) {}

// TestShardsZeroAllocs: once every flow exists, a Shards of one or two
// trackers observes batches of their packets (dispatch, observation, the
// boundary's sweep and the merge) without allocating.
func TestShardsZeroAllocs(t *testing.T) {
	rows, _ := track(t, filepath.Join(capturesDir, "pcapplusplus--Tests--Pcap__Test--PcapExamples--example.pcap"))
	for _, n := range []int{1, 2} {
		s := flows.NewShards(flows.DefaultConfig(), n)
		var ended int
		s.OnFlow = func(*flows.Row) { ended++ }
		pass := func() {
			for lo := 0; lo < len(rows); lo += 512 {
				s.Observe(rows[lo:min(lo+512, len(rows))])
			}
		}
		pass()
		pass() // the second pass's new flows (a SYN reopens a closed one) grow the tables once more
		if a := testing.AllocsPerRun(5, pass); a != 0 {
			t.Errorf("%d shards: %v allocations per pass over %d packets", n, a, len(rows))
		}
		s.Close()
	}
}
