package beaconeval

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/pcap2table/pcap2table/internal/beacongen"
)

// TestRunTiny runs the evaluation end to end on one cell (no jitter, no
// missed beats) of one two-hour office background: the report has its
// tables, and the plain HTTP and TLS beacons are found by all three
// methods.
func TestRunTiny(t *testing.T) {
	if testing.Short() {
		t.Skip("converts a generated capture")
	}
	cfg := DefaultConfig()
	cfg.Seeds, cfg.Hours, cfg.Hosts, cfg.K = []uint64{1}, 2, 14, 3
	cfg.Jitters, cfg.Missed, cfg.MaxPeriod, cfg.TempDir = []float64{0}, []float64{0}, 300, t.TempDir()
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Captures) != 1 || len(res.Captures[0].Planted) != 3 || len(res.Captures[0].Outcomes) != len(Methods) {
		t.Fatalf("captures %+v", res.Captures)
	}
	c := res.Captures[0]
	for i, p := range c.Planted {
		if p.Spec.Kind != beacongen.KindHTTP && p.Spec.Kind != beacongen.KindTLS {
			continue
		}
		for m, o := range c.Outcomes {
			if !o.Detected[i] || o.Rank[i] < 1 || o.Rank[i] > 10 {
				t.Errorf("%s: %s: rank %d, score %v, detected %v (threshold %v)", p.Spec.Name, Methods[m], o.Rank[i], o.Score[i], o.Detected[i], o.Threshold)
			}
		}
	}
	var a, b bytes.Buffer
	res.Report(&a)
	res.Report(&b)
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("the report differs between two renderings")
	}
	report := a.String()
	for _, want := range []string{"# Beacon detection", "## Recall at 2 false positives per capture", "## Precision of the top",
		"## Every planted beacon in the top 10", "## A benign pair in the top 5", "## By kind", "## Misses of ours",
		"| jitter \\ missed | 0 % |", "| 0 % | ", "| office seed 1 |"} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
}
