package flows_test

import (
	"net/netip"
	"testing"

	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/parsers"
)

// TestUDPOriginator: the sender of a UDP flow's first packet is its
// originator, unless Zeek would flip it: a packet from a likely server
// port to one that is not, and not to 255.255.255.255 (Zeek's own DHCP
// test: the server's unicast OFFER seen first flips, its broadcast NAK
// does not; 68, the client's port, is not a server port).
func TestUDPOriginator(t *testing.T) {
	for _, tc := range []struct {
		name         string
		sport, dport uint16
		dst          string
		orig         string
	}{
		{"client first", 40000, 53, "192.0.2.1", "10.0.0.1"},
		{"dns reply first", 53, 40000, "192.0.2.1", "192.0.2.1"},
		{"dhcp offer first", 67, 68, "192.0.2.1", "192.0.2.1"},
		{"dhcp broadcast nak", 67, 68, "255.255.255.255", "10.0.0.1"},
		{"both server ports", 53, 123, "192.0.2.1", "10.0.0.1"},
		{"dhcp client port", 68, 40000, "192.0.2.1", "10.0.0.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := udpRow(1, tc.sport, 1e9)
			r.DstPort, r.DstIP = tc.dport, netip.MustParseAddr(tc.dst)
			got := feed(flows.DefaultConfig(), nil, []parsers.PacketRow{r})
			if len(got) != 1 || got[0].SrcIP.String() != tc.orig {
				t.Fatalf("originator %v, want %s", got[0].SrcIP, tc.orig)
			}
		})
	}
}
