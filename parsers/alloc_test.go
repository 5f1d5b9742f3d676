package parsers_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/pcap2table/pcap2table/internal/reftest"
	"github.com/pcap2table/pcap2table/parsers"
	"github.com/pcap2table/pcap2table/parsers/capture"
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
			r, _ := reftest.OpenBytes(data)
			var pkts []capture.Packet
			var p capture.Packet
			for r.Next(&p) == nil {
				q := p
				q.Data = bytes.Clone(p.Data)
				pkts = append(pkts, q)
			}
			var d parsers.Decoder
			var row parsers.PacketRow
			b := table.NewBatch(parsers.Schema, len(pkts))
			files := []string{name}
			all, _ := parsers.Schema.Projection(nil)
			// Row at a time (AppendTo), and as the pipeline does it: decode
			// into a row buffer, then AppendRows column by column.
			rowAtATime := func() {
				b.Reset()
				for i := range pkts {
					d.Decode(&pkts[i], &row)
					row.AppendTo(b, files, parsers.AllColumns)
				}
			}
			rowbuf := make([]parsers.PacketRow, len(pkts))
			columnar := func() {
				b.Reset()
				for i := range pkts {
					d.Decode(&pkts[i], &rowbuf[i])
				}
				parsers.AppendRows(b, rowbuf, files, all)
			}
			for name, run := range map[string]func(){"AppendTo": rowAtATime, "AppendRows": columnar} {
				run() // grow the batch's string buffers to their working size
				if n := testing.AllocsPerRun(5, run); n != 0 {
					t.Errorf("decode+%s: %.1f allocations per pass over %d packets, want 0", name, n, len(pkts))
				}
			}
			// Reading: after the first packet (headers and interfaces are
			// read by then), no packet allocates.
			r, _ = reftest.OpenBytes(data)
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

// TestAppendRowsEqualsAppendTo: the column-major path fills the same
// values as the row-at-a-time path, for every column, on real captures.
func TestAppendRowsEqualsAppendTo(t *testing.T) {
	for _, name := range []string{"pcap-parser--assets--wireshark_samples-test.pcapng", "tcpdump--tests--vxlan.pcap", "pcapng-test-generator--output_be--advanced--test100.pcapng"} {
		data, err := os.ReadFile(filepath.Join(capturesDir, name))
		if err != nil {
			t.Fatal(err)
		}
		r, _ := reftest.OpenBytes(data)
		var p capture.Packet
		var d parsers.Decoder
		var rows []parsers.PacketRow
		for r.Next(&p) == nil {
			var row parsers.PacketRow
			d.Decode(&p, &row)
			if len(rows)%2 == 0 { // the tracker's columns, too
				row.FlowID = uint64(len(rows)+1) * 0x9e3779b97f4a7c15
				row.Set(parsers.ColFlowID)
			}
			rows = append(rows, row)
		}
		files := []string{name}
		all, _ := parsers.Schema.Projection(nil)
		a := table.NewBatch(parsers.Schema, len(rows))
		b := table.NewBatch(parsers.Schema, len(rows))
		for i := range rows {
			rows[i].AppendTo(a, files, parsers.AllColumns)
		}
		parsers.AppendRows(b, rows, files, all)
		if a.Len() != b.Len() {
			t.Fatalf("%s: %d vs %d rows", name, a.Len(), b.Len())
		}
		for c := range a.Cols {
			va, vb := &a.Cols[c], &b.Cols[c]
			for i := 0; i < a.Len(); i++ {
				if va.Valid[i] != vb.Valid[i] ||
					va.Valid[i] && (va.Type == table.String && string(va.Bytes(i)) != string(vb.Bytes(i)) ||
						va.Type.Unsigned() && va.U64[i] != vb.U64[i] ||
						va.Type == table.Timestamp && va.I64[i] != vb.I64[i]) {
					t.Fatalf("%s: column %s row %d differs", name, parsers.Schema.Columns[c].Name, i)
				}
			}
		}
	}
}
