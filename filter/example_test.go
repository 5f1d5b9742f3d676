package filter_test

import (
	"fmt"

	"github.com/gopacket/gopacket/layers"
	"github.com/pcap2table/pcap2table/filter"
)

func Example() {
	f, err := filter.Compile("tcp port 443 and not net 10.0.0.0/8")
	if err != nil {
		fmt.Println(err)
		return
	}
	// An Ethernet frame: IPv4 192.168.1.5 -> 8.8.8.8, TCP 50000 -> 443, SYN.
	frame := ethernet(macB, macA, 0x0800, ipv4(6, []byte{192, 168, 1, 5}, []byte{8, 8, 8, 8}, nil, 0x4000,
		tcpSeg(50000, 443, 0x02, nil)))
	fmt.Println(f.Match(frame, layers.LinkTypeEthernet, uint32(len(frame))))

	_, err = filter.Compile("host www.example.com")
	fmt.Println(err)
	// Output:
	// true
	// filter: at "www.example.com": host names are not resolved: give an address
}

func ExampleFilter_LinkTypeError() {
	f := filter.MustCompile("ether src 00:11:22:33:44:55")
	fmt.Println(f.LinkTypeError(layers.LinkTypeEthernet))
	fmt.Println(f.LinkTypeError(layers.LinkTypeLinuxSLL))
	// Output:
	// <nil>
	// filter: ethernet addresses supported only on ethernet/FDDI/token ring/802.11/ATM LANE/Fibre Channel
}
