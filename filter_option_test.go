package pcap2table_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pcap2table/pcap2table"
)

// TestFilterOption: Options.Filter keeps the packets a tcpdump filter
// selects before they are decoded (the filter package agrees with
// tcpdump cell by cell): on a real capture every row kept is what the
// expression says, the others are counted as filtered out, and the flows
// of the kept packets are those of the matching traffic; a filter that
// does not compile is a usage error naming it.
func TestFilterOption(t *testing.T) {
	in := captures + "pcapplusplus--Tests--Pcap__Test--PcapExamples--example.pcap"
	dir := t.TempDir()
	for _, tc := range []struct {
		expr string
		keep func(r map[string]any) bool
	}{
		{"tcp port 80", func(r map[string]any) bool {
			return r["ip_proto"] == 6.0 && (r["src_port"] == 80.0 || r["dst_port"] == 80.0)
		}},
		{"udp and not port 53", func(r map[string]any) bool {
			return r["ip_proto"] == 17.0 && r["src_port"] != 53.0 && r["dst_port"] != 53.0
		}},
	} {
		out := filepath.Join(dir, "p.jsonl")
		st, err := pcap2table.Convert(context.Background(), []string{in}, pcap2table.Options{Output: out, Filter: tc.expr})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(out)
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		for _, l := range lines {
			var r map[string]any
			if err := json.Unmarshal([]byte(l), &r); err != nil {
				t.Fatal(err)
			}
			if !tc.keep(r) {
				t.Fatalf("%s kept %s", tc.expr, l)
			}
		}
		if len(lines) == 0 || st.Total.Filtered == 0 || uint64(len(lines))+st.Total.Filtered != 4631 {
			t.Fatalf("%s: %d rows kept, %d filtered out, of 4631", tc.expr, len(lines), st.Total.Filtered)
		}
	}
	_, err := pcap2table.Convert(context.Background(), []string{in}, pcap2table.Options{Output: filepath.Join(dir, "x.jsonl"), Filter: "tcp port"})
	var ue *pcap2table.UsageError
	if !errors.As(err, &ue) || !strings.HasPrefix(err.Error(), "--filter: ") {
		t.Fatalf("a bad filter: %v", err)
	}
}
