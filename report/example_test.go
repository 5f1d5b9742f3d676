package report_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pcap2table/pcap2table/report"
)

// Write converts a capture and writes its page: one self-contained HTML
// file that runs no script.
func ExampleWrite() {
	out := filepath.Join(os.TempDir(), "example-report.html")
	defer os.Remove(out)
	st, err := report.Write(context.Background(),
		[]string{"../testdata/captures/pcapplusplus--Tests--Pcap__Test--PcapExamples--example.pcap"}, out, report.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(st.Total.Packets, "packets")
	// Output: 4631 packets
}
