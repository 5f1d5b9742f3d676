package pcap2table_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pcap2table/pcap2table"
)

// The packets of one flow, by the flow_id its row in the flows table has
// (pcap2table dump.pcap --tables flows), written to pcapng for Wireshark.
func ExampleExtract() {
	dir, err := os.MkdirTemp("", "extract")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	st, err := pcap2table.Extract(context.Background(),
		[]string{"testdata/captures/dpkt--examples--data--http.pcap"},
		pcap2table.Selection{FlowIDs: []uint64{3703767687004052}},
		pcap2table.ExtractOptions{Output: filepath.Join(dir, "flow.pcapng")})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d packets of %d flow, %d interface\n", st.Packets, st.Flows, st.Interfaces)
	// Output:
	// 34 packets of 1 flow, 1 interface
}

// The flows a filter over the flows table's columns matches: here the
// UDP flows to port 53 (two passes over the capture: the flows are known
// when they end).
func ExampleExtract_filter() {
	dir, err := os.MkdirTemp("", "extract")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	st, err := pcap2table.Extract(context.Background(),
		[]string{"testdata/captures/dpkt--examples--data--http.pcap"},
		pcap2table.Selection{DstPort: []uint16{53}, Proto: []string{"udp"}},
		pcap2table.ExtractOptions{Output: filepath.Join(dir, "dns.pcap")})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d flow chosen: %d packets in %s\n", st.Selected, st.Packets, st.Format)
	// Output:
	// 1 flow chosen: 2 packets in pcap
}
