package beacons_test

import (
	"net/netip"

	"github.com/pcap2table/pcap2table/beacons"
	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/table"
)

func newBatch() *table.Batch { return table.NewBatch(beacons.Schema, 8) }

func outputFor(b *table.Batch) *table.Output { return table.NewOutput(b, 1<<30, nil) }

func flowRow(start int64) flows.Row {
	return flows.Row{TSStart: start, TSEnd: start + 1e9, Proto: "tcp", IPProto: 6,
		SrcIP: netip.MustParseAddr("10.0.0.1"), DstIP: netip.MustParseAddr("198.51.100.2"), SrcPort: 1, DstPort: 443, HasPorts: true,
		Orig: flows.DirStats{Bytes: 100}, Resp: flows.DirStats{Bytes: 300}}
}
