package http_test

import (
	"testing"

	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/internal/plugintest"
	"github.com/pcap2table/pcap2table/internal/reftest"
	"github.com/pcap2table/pcap2table/parsers"
	"github.com/pcap2table/pcap2table/protocols/http"
	"github.com/pcap2table/pcap2table/table"
)

// FuzzHTTP feeds arbitrary bytes as both directions of a flow on port 80,
// the client's split at an arbitrary point with a gap there, the server's
// whole: no panic, and every row is whole. Seeded with the TCP payloads
// of the real captures' HTTP flows.
func FuzzHTTP(f *testing.F) {
	seeds := reftest.Payloads(f, capturesDir, []string{
		"dpkt--examples--data--http.pcap",
		"zeek--testing--btest--Traces--http-qinq-0.pcap",
		"pcapplusplus--Tests--ExamplesTest--pcap_examples--frag_http_req.pcap",
		"gopacket--pcap--test_loopback.pcap",
	}, func(r *parsers.PacketRow) bool { return r.IPProto == 6 })
	for _, p := range seeds {
		f.Add(p, uint8(len(p)/2), uint8(3))
	}
	f.Add([]byte("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"), uint8(20), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, cut, gap uint8) {
		b := table.NewBatch(http.Schema, 16)
		p := http.New(flows.NewOutput(b))
		conn := &flows.Conn{ID: 9, IPProto: 6, OrigIP: client, RespIP: server, OrigPort: 1, RespPort: 80, HasPorts: true}
		k := min(int(cut), len(data))
		for _, ev := range []flows.StreamEvent{
			{Dir: flows.FromOrig, Offset: 0, Data: data[:k]},
			{Dir: flows.FromResp, Offset: 0, Data: data},
			{Dir: flows.FromOrig, Offset: uint64(k), Gap: uint64(gap)},
			{Dir: flows.FromOrig, Offset: uint64(k + int(gap)), Data: data[k:]},
			{Dir: flows.FromResp, Offset: uint64(len(data)), Data: data},
			{Dir: flows.FromOrig, End: true},
			{Dir: flows.FromResp, End: true},
		} {
			if len(ev.Data) == 0 && ev.Gap == 0 && !ev.End {
				continue
			}
			p.Stream(conn, &ev)
		}
		p.FlowEnd(conn, nil)
		plugintest.Read(t, b)
	})
}
