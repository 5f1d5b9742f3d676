package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/pcap2table/pcap2table"
)

// TestSummary: the summary line counts in words that agree with their
// numbers, and names where the tables went.
func TestSummary(t *testing.T) {
	for _, tc := range []struct {
		st   pcap2table.Stats
		want string
	}{
		{pcap2table.Stats{Files: []*pcap2table.FileStats{{Format: "pcap"}}, Total: pcap2table.FileStats{Packets: 1},
			Flows: 1, Tables: []pcap2table.TableStats{{Name: "flows", Output: "f.csv", Rows: 1, Bytes: 100}}},
			"pcap2table: 1 packet, 1 flow in 1.50 s; wrote flows 1 row (100 B) to f.csv"},
		{pcap2table.Stats{Files: []*pcap2table.FileStats{{Format: "pcap"}, {Format: "pcapng"}, {Error: "not a capture"}},
			Total: pcap2table.FileStats{Packets: 2, DecodeErrs: map[string]uint64{"x": 2}},
			Tables: []pcap2table.TableStats{{Name: "packets", Output: "out/packets.parquet", Rows: 2, Bytes: 3 << 20},
				{Name: "dns", Output: "out/dns.parquet", Rows: 0, Bytes: 1 << 10}}},
			"pcap2table: 2 packets from 2 files (1 skipped) in 1.50 s; wrote packets 2 rows, dns 0 rows (3.0 MiB) to out/; 2 packets with a decode error (see pcap2table stats)"},
		{pcap2table.Stats{Files: []*pcap2table.FileStats{{Format: "pcap"}}, Total: pcap2table.FileStats{Packets: 9}, Flows: 9,
			BeaconsUnrouted: 3, BeaconsNTP: 2, BeaconsAllowed: 1, BeaconStrobes: 2, Tables: []pcap2table.TableStats{{Name: "beacons", Output: "b.csv", Rows: 2, Bytes: 10}}},
			"pcap2table: 9 packets, 9 flows in 1.50 s; wrote beacons 2 rows (10 B) to b.csv; beacons: 3 pairs to never-routed destinations left out " +
				"(--beacon-all-destinations), 2 NTP pairs left out (--beacon-ntp), 1 pair allow-listed left out, 2 strobes unscored"},
	} {
		if got := summary(&tc.st, 1500*time.Millisecond); got != tc.want {
			t.Errorf("got  %s\nwant %s", got, tc.want)
		}
	}
}

// TestWarnBounds: each reassembly bound reached is named, with its
// count in words.
func TestWarnBounds(t *testing.T) {
	var b bytes.Buffer
	e := &env{stderr: &b}
	f := &convertFlags{rFlowCap: 1 << 20, rCap: 64 << 20, maxFlows: 10}
	warnBounds(e, &pcap2table.Stats{FlowsEvicted: 1, ReassemblyFlowCapHits: 1, ReassemblyTotalCapHits: 2, ReassemblyHoleHits: 3, FragmentsUnassigned: 1}, f)
	for _, want := range []string{
		"pcap2table: warning: 1 flow ended early (end_reason evicted) to keep at most 10 flows live",
		"lost segments once: a flow held more than --reassembly-flow-cap (1.0 MiB)",
		"lost segments twice: all flows together held more than --reassembly-cap (64.0 MiB)",
		"lost segments 3 times: a direction had more than 4 out-of-order pieces",
		"pcap2table: warning: 1 IP fragment belongs to no flow: its datagram",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("warnings lack %q:\n%s", want, b.String())
		}
	}
}
