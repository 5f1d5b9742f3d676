package sniff_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/pcap2table/pcap2table/sniff"
)

func ExampleOpen() {
	f, err := os.Open("../testdata/captures/tcpdump--tests--tcp-handshake-nano.pcap")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	s, err := sniff.Open(f, 1<<20)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	fmt.Println(s.Format.Name)

	_, err = sniff.Open(strings.NewReader("GET / HTTP/1.1\r\n"), 4096)
	fmt.Println(err)
	// Output:
	// pcap
	// not a capture: text
}
