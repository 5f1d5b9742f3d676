package pcap2table_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pcap2table/pcap2table"
	"github.com/pcap2table/pcap2table/flows"
)

// TestInterimRows: with flows.Config.Interim, a real capture's flows
// table holds interim rows besides the final ones, and its final rows
// and the beacons table are what they are without it.
func TestInterimRows(t *testing.T) {
	in := captures + "pcapplusplus--Tests--Pcap__Test--PcapExamples--example.pcap"
	dir := t.TempDir()
	run := func(interim time.Duration) (flowRows, beacons string, st *pcap2table.Stats) {
		cfg := flows.DefaultConfig()
		cfg.Interim = interim
		out := filepath.Join(dir, "out") + string(filepath.Separator)
		st, err := pcap2table.Convert(context.Background(), []string{in}, pcap2table.Options{Output: out, Format: "jsonl",
			Tables: []string{"flows", "beacons"}, Flows: &cfg, BeaconMinConns: 2})
		if err != nil {
			t.Fatal(err)
		}
		f, _ := os.ReadFile(filepath.Join(out, "flows.jsonl"))
		b, _ := os.ReadFile(filepath.Join(out, "beacons.jsonl"))
		return string(f), string(b), st
	}
	wantFlows, wantBeacons, _ := run(0)
	gotFlows, gotBeacons, st := run(500 * time.Millisecond)
	var final []string
	interim := 0
	for _, line := range strings.SplitAfter(gotFlows, "\n") {
		if strings.Contains(line, `"end_reason":"interim"`) {
			interim++
			continue
		}
		final = append(final, line)
	}
	if interim == 0 || uint64(interim) != st.FlowsInterim {
		t.Fatalf("%d interim rows, stats say %d", interim, st.FlowsInterim)
	}
	if strings.Join(final, "") != wantFlows {
		t.Fatal("the final rows differ from those without interim rows")
	}
	if gotBeacons != wantBeacons {
		t.Fatal("interim rows changed the beacons table")
	}
}
