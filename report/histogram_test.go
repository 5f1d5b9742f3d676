package report

import (
	"context"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/pcap2table/pcap2table/internal/beacongen"
)

// TestBeaconHistograms: on the ground-truth capture (beacons over HTTP,
// TLS to 12 CDN addresses under one name, DNS), each beacon's histogram
// holds the gaps between all its call-outs: its flows are found by the
// key the beacons table used (dst_name when it has one, else dst_ip), its
// DNS queries (callout_kind queries) in the dns table by their domain.
func TestBeaconHistograms(t *testing.T) {
	if testing.Short() {
		t.Skip("converts a day of generated traffic")
	}
	path := filepath.Join(t.TempDir(), "truth.pcap")
	if _, err := beacongen.WriteFile(path, func(w io.Writer) (beacongen.Truth, error) {
		return beacongen.Generate(w, beacongen.DefaultConfig())
	}); err != nil {
		t.Fatal(err)
	}
	d, _, err := Build(context.Background(), []string{path}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	conns, name := slices.Index(d.BeaconCols, "callouts"), slices.Index(d.BeaconCols, "dst_name")
	if conns < 0 || name < 0 || len(d.Beacons) == 0 {
		t.Fatalf("columns %v, %d rows", d.BeaconCols, len(d.Beacons))
	}
	named, queries := 0, 0
	for _, b := range d.Beacons {
		if b.Kind == "queries" {
			queries++
		}
		n, err := strconv.Atoi(b.Cells[conns].Text)
		if err != nil {
			t.Fatalf("callouts %q", b.Cells[conns].Text)
		}
		if b.Cells[name].Text != "" {
			named++
		}
		if b.Gaps != n-1 {
			t.Errorf("beacon %v of %s: %d gaps in its histogram, %d call-outs", b.key, b.Kind, b.Gaps, n)
		}
	}
	if named == 0 || queries == 0 {
		t.Errorf("%d beacons keyed by name, %d of DNS queries: the test checks nothing of them", named, queries)
	}
}

// TestCalloutsOf: where a beacon's call-outs are listed, whatever the
// order or mix of its kinds.
func TestCalloutsOf(t *testing.T) {
	for _, tc := range []struct{ kinds, want string }{
		{"", ofConnections},
		{"connections", ofConnections},
		{"requests", ofRequests},
		{"connections,requests", ofRequestsAndConnections},
		{"queries", ofQueries},
		{"bursts", ""},
		{"connections,bursts", ""},
		{"requests,bursts", ""},
	} {
		if got := calloutsOf(tc.kinds); got != tc.want {
			t.Errorf("calloutsOf(%q) = %q, want %q", tc.kinds, got, tc.want)
		}
	}
}
