package dns_test

import (
	"testing"

	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/internal/reftest"
	"github.com/pcap2table/pcap2table/parsers"
	"github.com/pcap2table/pcap2table/protocols/dns"
	"github.com/pcap2table/pcap2table/table"
)

// FuzzDNS feeds arbitrary bytes as a UDP message on port 53 (as a query
// and as a response) and as a TCP stream split at an arbitrary point:
// no panic, and every row is whole (each column has one value per row).
// Seeded with the DNS payloads of the real captures.
func FuzzDNS(f *testing.F) {
	seeds := reftest.Payloads(f, capturesDir, []string{
		"pcapplusplus--Tests--Pcap__Test--PcapExamples--example.pcap",
		"pcap-parser--assets--wireshark_samples-test.pcapng",
		"dpkt--examples--data--truncated_dns_2.pcap",
		"tcpdump--tests--dns_tcp.pcap",
	}, func(r *parsers.PacketRow) bool { return r.SrcPort == 53 || r.DstPort == 53 || r.SrcPort == 5353 })
	for _, p := range seeds {
		f.Add(p, uint8(len(p)/2))
	}
	f.Fuzz(func(t *testing.T, data []byte, cut uint8) {
		rows := []parsers.PacketRow{
			udp(1, client, server, 1000, 53, data),
			udp(2, server, client, 53, 1000, data),
		}
		run(t, rows) // through a tracker (a plugin panic fails the test)
		b := table.NewBatch(dns.Schema, 16)
		p := dns.New(flows.NewOutput(b))
		conn := &flows.Conn{ID: 9, IPProto: 6, OrigIP: client, RespIP: server, OrigPort: 1, RespPort: 53, HasPorts: true}
		k := min(int(cut), len(data))
		for _, ev := range []flows.StreamEvent{
			{Dir: flows.FromOrig, Offset: 0, Data: data[:k]},
			{Dir: flows.FromOrig, Offset: uint64(k), Data: data[k:]},
			{Dir: flows.FromResp, Offset: 0, Data: data},
		} {
			p.Stream(conn, &ev)
		}
		p.FlowEnd(conn, nil)
		for c := range b.Cols {
			v := &b.Cols[c]
			if len(v.Valid) != b.N {
				t.Fatalf("column %s has %d values for %d rows", dns.Schema.Columns[c].Name, len(v.Valid), b.N)
			}
		}
		readRows(b)
	})
}
