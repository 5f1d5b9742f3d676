package pcap2table_test

import (
	"context"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/pcap2table/pcap2table"
	"github.com/pcap2table/pcap2table/beacons"
	"github.com/pcap2table/pcap2table/internal/beacongen"
)

// TestBeaconCallouts: beacons that call out inside one connection are
// found through the parsers and the tracker, as their kind of call-out.
// On six hours of the generated office, a poll every 60 s over one
// kept-alive HTTP connection is a row of requests, a heartbeat every 30 s
// over one raw TCP session a row of bursts, and a TXT query every 90 s
// under one domain a row of queries for that domain; each has one row in
// the top 3 with its period within 5 %, and bytes; the two sessions are
// one connection each, cut every 30 minutes by the active timeout.
func TestBeaconCallouts(t *testing.T) {
	if testing.Short() {
		t.Skip("converts hours of generated traffic")
	}
	cfg := beacongen.DefaultConfig()
	cfg.Duration = 6 * time.Hour
	specs := []beacongen.Spec{
		{Name: "keepalive", Kind: beacongen.KindKeepAliveHTTP, Period: 60, Jitter: 0.1, TwoSided: true},
		{Name: "heartbeat", Kind: beacongen.KindHeartbeatTCP, Period: 30, Jitter: 0.2, Missed: 0.1},
		{Name: "dns", Kind: beacongen.KindDNS, Period: 90, Jitter: 0.1, TwoSided: true},
	}
	dir := t.TempDir()
	capture := filepath.Join(dir, "c.pcap")
	truth, err := beacongen.WriteFile(capture, func(w io.Writer) (beacongen.SpecTruth, error) {
		return beacongen.GenerateSpecs(w, cfg, specs)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pcap2table.Convert(context.Background(), []string{capture}, pcap2table.Options{
		Output: filepath.Join(dir, "beacons.jsonl"), Format: "jsonl", Tables: []string{"beacons"}}); err != nil {
		t.Fatal(err)
	}
	rows := readRows(t, filepath.Join(dir, "beacons.jsonl"))
	for i, p := range truth.Beacons {
		want := map[string]string{"keepalive": "requests", "heartbeat": "bursts", "dns": "queries"}[specs[i].Name]
		found := false
		for rank, r := range rows[:min(3, len(rows))] {
			if r["src_ip"] != p.SrcIP || r["callout_kind"] != want {
				continue
			}
			found = true
			period, _ := r["period"].(float64)
			mean := specs[i].Period // one-sided jitter shortens the sleep by half of it on average
			if !specs[i].TwoSided {
				mean *= 1 - specs[i].Jitter/2
			}
			if d := period/mean - 1; d > 0.05 || d < -0.05 {
				t.Errorf("%s: period %v, want %v ± 5 %%", specs[i].Name, r["period"], mean)
			}
			if c, _ := r["connections"].(float64); want != "queries" && c > 13 {
				t.Errorf("%s: %v connections, want one session cut every 30 minutes (--active-timeout)", specs[i].Name, c)
			}
			if b, _ := r["bytes_median"].(float64); b == 0 {
				t.Errorf("%s: no bytes per call-out", specs[i].Name)
			}
			if want == "queries" && r["dst_name"] != beacons.QueryDomain(p.Domain) {
				t.Errorf("dns: dst_name %v, want %s's registered domain", r["dst_name"], p.Domain)
			}
			t.Logf("%s: rank %d, %v call-outs, score %.3f: %v", specs[i].Name, rank+1, r["callouts"], r["score"], r["why"])
		}
		if !found {
			t.Errorf("%s (%s from %s): no row of %s in the top 3", specs[i].Name, specs[i].Kind, p.SrcIP, want)
		}
	}
}
