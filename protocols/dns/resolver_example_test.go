package dns_test

import (
	"fmt"
	"net/netip"

	"github.com/pcap2table/pcap2table/protocols/dns"
)

// Names answers "which name did the client look up to reach this
// address, at that time?": the latest answer at or before it.
func ExampleNames() {
	n := dns.NewNames()
	a := netip.MustParseAddr("203.0.113.9")
	n.Resolved(100e9, "updates.example.com.", a)
	n.Resolved(500e9, "cdn.example.net", a)
	fmt.Printf("%q\n", n.Lookup(a, 50e9))
	fmt.Printf("%q\n", n.Lookup(a, 200e9))
	fmt.Printf("%q\n", n.Lookup(a, 600e9))
	// Output:
	// ""
	// "updates.example.com"
	// "cdn.example.net"
}
