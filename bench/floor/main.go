// Command floor is the read+decode floor of DESIGN.md: a pcapgo zero-copy
// read loop over a 1 MiB bufio buffer with a gopacket DecodingLayerParser
// (Ethernet, IPv4, IPv6, TCP, UDP, ICMP), touching the 5-tuple of every
// packet and writing nothing. pcap2table's conversions are measured as
// ratios to it.
package main

import (
	"bufio"
	"fmt"
	"os"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/pcap2table/pcap2table/internal/hugepage"
)

func main() {
	// as pcap2table does, so that ratios to the floor measure the code,
	// not the page size
	hugepage.Advise(hugepage.DefaultReserve) //nolint:errcheck
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	r, err := pcapgo.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var (
		eth   layers.Ethernet
		ip4   layers.IPv4
		ip6   layers.IPv6
		tcp   layers.TCP
		udp   layers.UDP
		icmp4 layers.ICMPv4
		icmp6 layers.ICMPv6
	)
	p := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &ip4, &ip6, &tcp, &udp, &icmp4, &icmp6)
	p.IgnoreUnsupported = true
	decoded := make([]gopacket.LayerType, 0, 8)
	var n, sum uint64
	for {
		data, _, err := r.ZeroCopyReadPacketData()
		if err != nil {
			break
		}
		_ = p.DecodeLayers(data, &decoded)
		for _, t := range decoded {
			switch t {
			case layers.LayerTypeIPv4:
				sum += uint64(ip4.SrcIP[3]) + uint64(ip4.DstIP[3])
			case layers.LayerTypeIPv6:
				sum += uint64(ip6.SrcIP[15]) + uint64(ip6.DstIP[15])
			case layers.LayerTypeTCP:
				sum += uint64(tcp.SrcPort) + uint64(tcp.DstPort)
			case layers.LayerTypeUDP:
				sum += uint64(udp.SrcPort) + uint64(udp.DstPort)
			}
		}
		n++
	}
	fmt.Fprintf(os.Stderr, "floor: %d packets (checksum %d)\n", n, sum)
}
