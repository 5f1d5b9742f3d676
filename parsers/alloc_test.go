package parsers_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/pcap2table/pcap2table/parsers"
	"github.com/pcap2table/pcap2table/table"
)

// TestZeroAllocs asserts that the per-packet path (read, decode, append to
// a batch) allocates nothing, on real captures of the common stacks.
func TestZeroAllocs(t *testing.T) {
	for _, name := range []string{
		"pcapplusplus--Tests--Pcap__Test--PcapExamples--example.pcap",       // Ethernet, IPv4, TCP/UDP/ICMP
		"pcap-parser--assets--wireshark_samples-test.pcapng",                // pcapng, IPv6, Teredo
		"tcpdump--tests--vxlan.pcap",                                        // VXLAN
		"zeek--testing--btest--Traces--http-qinq-0.pcap",                    // QinQ
		"pcapplusplus--Tests--Pcap__Test--PcapExamples--sll2.pcap",          // SLL2
		"pcapplusplus--Tests--Pcap__Test--PcapExamples--ip6_fragments.pcap", // IPv6 fragments
	} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(capturesDir, name))
			if err != nil {
				t.Fatal(err)
			}
			// Decode + append only, packets held in memory, batch warm.
			r, _ := openBytes(data)
			var pkts []parsers.Packet
			var p parsers.Packet
			for r.Next(&p) == nil {
				q := p
				q.Data = bytes.Clone(p.Data)
				pkts = append(pkts, q)
			}
			var d parsers.Decoder
			var row parsers.PacketRow
			b := table.NewBatch(parsers.PacketsSchema, len(pkts))
			files := []string{name}
			run := func() {
				b.Reset()
				for i := range pkts {
					d.Decode(&pkts[i], &row)
					row.AppendTo(b, files, parsers.AllColumns)
				}
			}
			run() // grow the batch's string buffers to their working size
			if n := testing.AllocsPerRun(5, run); n != 0 {
				t.Errorf("decode+append: %.1f allocations per pass over %d packets, want 0", n, len(pkts))
			}
			// Reading: after the first packet (headers and interfaces are
			// read by then), no packet allocates.
			r, _ = openBytes(data)
			if err := r.Next(&p); err != nil {
				t.Fatal(err)
			}
			if n := testing.AllocsPerRun(1, func() {
				for r.Next(&p) == nil {
				}
			}); n != 0 {
				t.Errorf("reader: %.1f allocations over %d packets, want 0", n, len(pkts)-1)
			}
		})
	}
}
