package pcap2table_test

import (
	"context"
	"fmt"
	"os"

	"github.com/pcap2table/pcap2table"
)

func ExampleConvert() {
	st, err := pcap2table.Convert(context.Background(),
		[]string{"testdata/captures/tcpdump--tests--LINKTYPE_IPV4.pcap"},
		pcap2table.Options{Stdout: os.Stdout, Columns: []string{"frame", "ts", "src_ip", "dst_ip", "dst_port"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(st.Total.Packets, "packet")
	// Output:
	// {"frame":1,"ts":"2025-07-08T17:59:32.592885000Z","src_ip":"192.168.1.100","dst_ip":"9.9.9.9","dst_port":53}
	// 1 packet
}
