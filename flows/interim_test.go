package flows_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/parsers"
)

// TestInterim: with Config.Interim, a flow that goes on past it is
// written every Interim while it lasts (end_reason interim, Row.Interim,
// its counts so far, the same flow_id), then once at its end; a flow
// without packets since its previous row (here: a one-packet flow) gets
// no interim row; a quiet stretch longer than
// Interim gives one interim row, not one per interval missed. The rows
// are the same, in the same order, for 1 to 3 shards and any batch size.
func TestInterim(t *testing.T) {
	const s = int64(1e9)
	var rows []parsers.PacketRow
	for i := range int64(10) {
		rows = append(rows, udpRow(1, 5000, i*s)) // 0 s .. 9 s, every second
	}
	rows = append(rows, udpRow(2, 6000, 2*s+1), udpRow(1, 5000, 20*s)) // a short flow; a quiet stretch of 11 s
	cfg := flows.DefaultConfig()
	cfg.Interim = 3 * time.Second
	want := feedBatches(cfg, 1, nil, rows, 1)
	type brief struct {
		reason string
		pkts   uint64
	}
	var got []brief
	var ids []uint64
	for _, r := range want {
		got = append(got, brief{r.EndReason, r.Orig.Pkts})
		if r.Interim != (r.EndReason == "interim") {
			t.Fatalf("row %+v: Interim %v", r, r.Interim)
		}
		if r.SrcPort == 5000 {
			ids = append(ids, r.FlowID)
		}
	}
	// the long flow: interim rows when its next batch boundary passes 3,
	// 6, 9 s (after the packets at 3, 6, 9 s), then one for the quiet
	// stretch at 20 s (12 s was due), then its end; the short flow once
	wantBriefs := []brief{{"interim", 4}, {"interim", 7}, {"interim", 10}, {"interim", 11}, {"eof", 11}, {"eof", 1}}
	if !reflect.DeepEqual(got, wantBriefs) {
		t.Fatalf("rows %v, want %v", got, wantBriefs)
	}
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("flow ids %v: one flow has one id", ids)
		}
	}
	// sweeps come at batch boundaries: with another batch size the rows'
	// counts differ, but never with the number of shards
	for _, batch := range []int{1, 4} {
		one := feedBatches(cfg, 1, nil, rows, batch)
		for shards := 2; shards <= 3; shards++ {
			if got := feedBatches(cfg, shards, nil, rows, batch); !reflect.DeepEqual(got, one) {
				t.Errorf("%d shards, batches of %d: rows differ from one shard's", shards, batch)
			}
		}
	}
	cfg.Interim = 0
	if n := len(feedBatches(cfg, 1, nil, rows, 1)); n != 2 {
		t.Fatalf("without Interim: %d rows, want 2", n)
	}
}
