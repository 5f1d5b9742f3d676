package beacons_test

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/pcap2table/pcap2table/beacons"
)

// An allow-list leaves known-good destinations out of the beacons table:
// addresses and prefixes match dst_ip, names match dst_name.
func ExampleParseAllow() {
	list := `# the office's time server, the monitoring network, the updater
192.0.2.123
10.20.0.0/16
*.update.example.com
`
	a, err := beacons.ParseAllow(strings.NewReader(list))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(a.Match(netip.MustParseAddr("10.20.3.4"), ""))
	fmt.Println(a.Match(netip.MustParseAddr("198.51.100.7"), "cdn.update.example.com"))
	fmt.Println(a.Match(netip.MustParseAddr("198.51.100.7"), "c2.example.net"))
	// Output:
	// true
	// true
	// false
}
