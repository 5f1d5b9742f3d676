package flows_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/pcap2table/pcap2table/flows"
)

// TestObserveZeroAllocs asserts that, once every flow exists, the
// pipeline's way of tracking (Retain each packet into a reused arena,
// then Tracker.Observe in batches: dispatch to the shards, observation,
// the boundary's sweep, the merge and the subscriber's rows) allocates
// nothing, with one shard and two, in batches of one packet (a boundary
// after every packet), of 512 and of 8192, without and with a plugin's
// StreamHook (in-order payload is handed over in place) and checksum
// verification.
func TestObserveZeroAllocs(t *testing.T) {
	for _, name := range []string{
		"pcapplusplus--Tests--Pcap__Test--PcapExamples--example.pcap",
		"pcap-parser--assets--wireshark_samples-test.pcapng",
		"pcap-analyzer--assets--frag_tcp_80_ipv4.pcap",
	} {
		for _, stream := range []bool{false, true} {
			for _, shards := range []int{1, 2} {
				for _, batch := range []int{1, 512, 8192} {
					t.Run(fmt.Sprintf("%s/streams,checksums=%v/shards=%d/batch=%d", name, stream, shards, batch), func(t *testing.T) {
						rows := decodeRows(t, filepath.Join(capturesDir, name))
						cfg := flows.DefaultConfig()
						cfg.VerifyChecksums = stream
						tr := flows.NewTracker(cfg, shards)
						defer tr.Close()
						if stream {
							withStreams(tr, func() streamHandler { return discard{} })
						}
						var ended int
						tr.Subscribe(&countRows{n: &ended})
						var arena flows.Arena
						pass := func() {
							arena.Reset()
							for i := range rows {
								tr.Retain(&rows[i], &arena)
							}
							for lo := 0; lo < len(rows); lo += batch {
								tr.Observe(rows[lo:min(lo+batch, len(rows))])
							}
						}
						pass() // every flow now exists, the arena has grown
						pass() // the second pass's new flows (a SYN reopens a closed one) grow the tables once more
						if n := testing.AllocsPerRun(5, pass); n != 0 {
							t.Errorf("Retain and Observe: %v allocations per pass over %d packets", n, len(rows))
						}
						if ended == 0 {
							t.Error("no flow ended while the passes ran: the test misses the ends")
						}
					})
				}
			}
		}
	}
}

// discard is a streamHandler that drops the streams.
type discard struct{}

func (discard) Stream(*flows.StreamEvent) {}

// countRows is a Subscriber that counts the flows' rows.
type countRows struct{ n *int }

func (c *countRows) Flow(*flows.Row) { *c.n++ }
func (c *countRows) Finish()         {}
