package flows_test

import (
	"testing"

	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/parsers"
)

// TestTunnelKey: a tunnel's id is part of the flow key where it names
// the tunnel (a VXLAN VNI, a GRE key: two tenants may reuse addresses),
// but not where each direction has its own (a GTP-U TEID, a PPTP call
// id): there one connection is one flow, as in Zeek, and the flow's
// tunnel_id is its first packet's.
func TestTunnelKey(t *testing.T) {
	for _, tc := range []struct {
		tunnel     string
		flows      int
		firstIDOut uint32
	}{
		{"vxlan", 2, 7},
		{"gre", 2, 7},
		{"gtpu", 1, 7},
		{"pptp", 1, 7},
	} {
		t.Run(tc.tunnel, func(t *testing.T) {
			query := udpRow(1, 40000, 1e9)
			reply := udpRow(1, 40000, 2e9)
			reply.SrcIP, reply.DstIP = query.DstIP, query.SrcIP
			reply.SrcPort, reply.DstPort = query.DstPort, query.SrcPort
			for i, r := range []*parsers.PacketRow{&query, &reply} {
				r.Tunnel, r.TunnelID = tc.tunnel, uint32(7+i)
				r.Set(parsers.ColTunnel)
				r.Set(parsers.ColTunnelID)
			}
			got := feed(flows.DefaultConfig(), nil, []parsers.PacketRow{query, reply})
			if len(got) != tc.flows {
				t.Fatalf("%d flows, want %d: %+v", len(got), tc.flows, got)
			}
			if got[0].TunnelID != tc.firstIDOut || (tc.flows == 1 && (got[0].Orig.Pkts != 1 || got[0].Resp.Pkts != 1)) {
				t.Fatalf("flow: tunnel_id %d, %d/%d packets", got[0].TunnelID, got[0].Orig.Pkts, got[0].Resp.Pkts)
			}
		})
	}
}
