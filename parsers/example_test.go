package parsers_test

import (
	"fmt"
	"io"
	"net/netip"
	"os"

	"github.com/pcap2table/pcap2table/parsers"
	"github.com/pcap2table/pcap2table/parsers/capture"
	"github.com/pcap2table/pcap2table/sniff"
)

// Read every packet of a capture and decode its headers into a reused row.
func ExampleDecoder() {
	f, err := os.Open("../testdata/captures/tcpdump--tests--vxlan.pcap")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	s, err := sniff.Open(f, capture.ReadBufferSize)
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := capture.Open(s, 0, "vxlan.pcap")
	if err != nil {
		fmt.Println(err)
		return
	}
	var (
		p   capture.Packet
		d   parsers.Decoder
		row parsers.PacketRow
	)
	for r.Next(&p) == nil {
		d.Decode(&p, &row)
		if row.Has(parsers.ColICMPType) {
			fmt.Println(row.Frame, row.Tunnel, row.TunnelID, row.SrcIP, "->", row.DstIP, "icmp type", row.ICMPType)
		}
	}
	if err := r.Next(&p); err != io.EOF {
		fmt.Println(err)
	}
	// Output:
	// 1 vxlan 100 192.168.203.3 -> 192.168.203.5 icmp type 8
	// 4 vxlan 100 192.168.203.5 -> 192.168.203.3 icmp type 0
	// 5 vxlan 100 192.168.203.3 -> 192.168.203.5 icmp type 8
	// 6 vxlan 100 192.168.203.5 -> 192.168.203.3 icmp type 0
	// 7 vxlan 100 192.168.203.3 -> 192.168.203.5 icmp type 8
	// 8 vxlan 100 192.168.203.5 -> 192.168.203.3 icmp type 0
	// 9 vxlan 100 192.168.203.3 -> 192.168.203.5 icmp type 8
	// 10 vxlan 100 192.168.203.5 -> 192.168.203.3 icmp type 0
}

func ExampleAppendAddr() {
	b := parsers.AppendAddr(nil, netip.MustParseAddr("2001:db8:0:0:1:0:0:1"))
	b = append(b, ' ')
	b = parsers.AppendAddr(b, netip.MustParseAddr("10.2.188.214"))
	fmt.Println(string(b))
	// Output: 2001:db8::1:0:0:1 10.2.188.214
}
