package flows_test

import (
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/pcap2table/pcap2table/beacons"
	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/internal/plugintest"
	"github.com/pcap2table/pcap2table/internal/reftest"
	"github.com/pcap2table/pcap2table/parsers"
	"github.com/pcap2table/pcap2table/protocols/dns"
	"github.com/pcap2table/pcap2table/protocols/http"
	"github.com/pcap2table/pcap2table/protocols/tls"
	"github.com/pcap2table/pcap2table/table"
)

// sharded is what a Tracker's run produced.
type sharded struct {
	flows  []flows.Row
	labels []uint64 // the packets' flow_id (0: none)
	tables []*table.Batch
}

// runShards runs a tracker of n shards over rows, batch rows at a time,
// ending chunk flows per step, with the dns, http and tls plugins and
// the beacons subscriber.
func runShards(cfg flows.Config, rows []parsers.PacketRow, n, batch, chunk int) sharded {
	rows = slices.Clone(rows)
	tr := flows.NewTracker(cfg, n)
	flows.SetChunk(tr, chunk)
	var out sharded
	plugins := []func(*flows.Output) flows.Plugin{
		func(o *flows.Output) flows.Plugin { return dns.New(o) },
		func(o *flows.Output) flows.Plugin { return http.New(o) },
		func(o *flows.Output) flows.Plugin { return tls.New(o) },
	}
	var outs []*table.Output
	for i, s := range []*table.Schema{dns.Schema, http.Schema, tls.Schema, beacons.Schema} {
		o := table.NewOutput(table.NewBatch(s, 16), 1<<30, nil)
		outs = append(outs, o)
		if i < len(plugins) {
			if err := tr.Register(plugins[i], o); err != nil {
				panic(err)
			}
		}
	}
	tr.Subscribe(beacons.New(outs[3], 2))
	out.flows = feedTracker(tr, rows, batch)
	for _, o := range outs {
		out.tables = append(out.tables, o.Batch())
	}
	for i := range rows {
		out.labels = append(out.labels, rows[i].FlowID)
	}
	return out
}

// TestShardsSameRows: the flows, the packets' labels and every plugin's
// rows are the same, in the same order, for 1 to 4 shards, on the real
// captures one after the other (1 500 flows), with the default timeouts
// and with timeouts so short that flows end at most boundaries, in steps
// of a few rows and chunks of a few flows.
func TestShardsSameRows(t *testing.T) {
	// one capture after another: time jumps back and forth between them
	var rows []parsers.PacketRow
	for _, name := range reftest.Captures(t, capturesDir) {
		rows = append(rows, decodeRows(t, filepath.Join(capturesDir, name))...)
	}
	rows = append(rows, fragmentRows(3000)...)
	short := flows.DefaultConfig()
	short.TCPIdle, short.UDPIdle, short.CloseDelay = 3*time.Second, time.Second, 100*time.Millisecond
	short.Active, short.FragTimeout = 10*time.Second, 500*time.Millisecond
	for _, c := range []struct {
		name         string
		cfg          flows.Config
		batch, chunk int
	}{
		{"default", flows.DefaultConfig(), 8192, 1024},
		{"default-small-steps", flows.DefaultConfig(), 7, 3},
		{"short", short, 64, 5},
		{"short-small-steps", short, 5, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			one := runShards(c.cfg, rows, 1, c.batch, c.chunk)
			if len(one.flows) < 100 {
				t.Fatalf("only %d flows", len(one.flows))
			}
			for n := 2; n <= 4; n++ {
				got := runShards(c.cfg, rows, n, c.batch, c.chunk)
				if len(got.flows) != len(one.flows) {
					t.Fatalf("%d shards: %d flows, 1 shard: %d", n, len(got.flows), len(one.flows))
				}
				for i := range one.flows {
					if !reflect.DeepEqual(got.flows[i], one.flows[i]) {
						t.Fatalf("%d shards: flow row %d differs:\n%+v\n%+v", n, i, got.flows[i], one.flows[i])
					}
				}
				if !slices.Equal(got.labels, one.labels) {
					t.Errorf("%d shards: packet labels differ", n)
				}
				for i, b := range one.tables {
					if b.N == 0 && i < 3 {
						t.Errorf("table %s: no rows", b.Schema.Name)
					}
					if !reflect.DeepEqual(got.tables[i].Cols, b.Cols) || got.tables[i].N != b.N {
						t.Errorf("%d shards: table %s differs (%d and %d rows)", n, b.Schema.Name, got.tables[i].N, b.N)
					}
				}
			}
		})
	}
}

// fragmentRows makes n packets of 300 hosts, 20 ms apart: UDP packets,
// first fragments of datagrams that never complete, later fragments
// without a first, and whole datagrams in two fragments; the datagrams
// given up at a boundary come from many shards at once.
func fragmentRows(n int) []parsers.PacketRow {
	var rows []parsers.PacketRow
	x := uint32(1)
	for i := range n {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		host := int(x % 300)
		ts := int64(2e18) + int64(i)*int64(20*time.Millisecond)
		r := udpRow(host, uint16(1000+x%7), ts)
		switch x % 4 {
		case 1, 2: // a fragment: the first or a later one, of datagram x%50
			r.Set(parsers.ColFragOffset)
			r.IPID = x % 50
			r.IPPayload = make([]byte, 16)
			if x%4 == 1 {
				r.MoreFrags = true
			} else {
				r.FragOffset = 8 * (1 + uint16(x%3))
				r.Clear(parsers.ColSrcPort)
				r.Clear(parsers.ColDstPort)
			}
		case 3: // both halves of a datagram
			r.Set(parsers.ColFragOffset)
			r.IPID, r.MoreFrags, r.IPPayload = 1000+x%1000, true, make([]byte, 16)
			last := r
			last.TS += int64(time.Millisecond)
			last.MoreFrags, last.FragOffset, last.PayloadLen = false, 16, 8
			last.Clear(parsers.ColSrcPort)
			last.Clear(parsers.ColDstPort)
			rows = append(rows, r, last)
			continue
		}
		rows = append(rows, r)
	}
	return rows
}

// TestShardsBatchSizes: on each real capture, a tracker of one, two and
// three shards makes the same flows, labels and plugin rows, in the same
// order, in batches of one packet and of 8192; and the two batch sizes
// make the same flows (flow_id included), labels and plugin rows but for
// their order: a timeout acted on at another boundary ends the flow with
// the same row, at another place among the rows. (A datagram given up
// incomplete is an exception, as the boundary after its timeout decides
// whether its first fragment's flow timed out by then, and the id of a
// flow it starts earlier than the clock hashes the index of that
// boundary; none of the captures has one given up before the end.)
func TestShardsBatchSizes(t *testing.T) {
	for _, name := range reftest.Captures(t, capturesDir) {
		rows := decodeRows(t, filepath.Join(capturesDir, name))
		var sets [][]string
		for _, batch := range []int{1, 8192} {
			one := runShards(flows.DefaultConfig(), rows, 1, batch, flows.EndChunk)
			for n := 2; n <= 3; n++ {
				got := runShards(flows.DefaultConfig(), rows, n, batch, flows.EndChunk)
				if !reflect.DeepEqual(got.flows, one.flows) {
					t.Errorf("%s: batch %d, %d shards: %d flows differ from one shard's %d", name, batch, n, len(got.flows), len(one.flows))
				}
				if !slices.Equal(got.labels, one.labels) {
					t.Errorf("%s: batch %d, %d shards: packet labels differ", name, batch, n)
				}
				for i, b := range one.tables {
					if !reflect.DeepEqual(got.tables[i].Cols, b.Cols) || got.tables[i].N != b.N {
						t.Errorf("%s: batch %d, %d shards: table %s differs (%d and %d rows)", name, batch, n, b.Schema.Name, got.tables[i].N, b.N)
					}
				}
			}
			// the flows, the labels and the plugins' rows, in any order
			var set []string
			for _, r := range one.flows {
				set = append(set, fmt.Sprintf("flow %+v", r))
			}
			for i, id := range one.labels {
				set = append(set, fmt.Sprintf("label %d %d", i, id))
			}
			for _, b := range one.tables {
				for _, r := range plugintest.Read(t, b) {
					set = append(set, fmt.Sprintf("%s %v", b.Schema.Name, r))
				}
			}
			slices.Sort(set)
			sets = append(sets, set)
		}
		if !slices.Equal(sets[0], sets[1]) {
			for i := range min(len(sets[0]), len(sets[1])) {
				if sets[0][i] != sets[1][i] {
					t.Errorf("%s: batches of 8192 and of one packet differ:\n%s\n%s", name, sets[1][i], sets[0][i])
					break
				}
			}
			t.Errorf("%s: %d rows in batches of 8192, %d in batches of one packet", name, len(sets[1]), len(sets[0]))
		}
	}
}
