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
	"github.com/pcap2table/pcap2table/internal/reftest"
	"github.com/pcap2table/pcap2table/parsers"
	"github.com/pcap2table/pcap2table/protocols/dns"
	"github.com/pcap2table/pcap2table/protocols/http"
	"github.com/pcap2table/pcap2table/protocols/tls"
	"github.com/pcap2table/pcap2table/table"
)

// sharded is what a Shards run produced.
type sharded struct {
	flows  []flows.Row
	labels []uint64 // the packets' flow_id (0: none)
	tables []*table.Batch
}

// runShards runs n shards over rows, batch rows at a time, ending chunk
// flows per step, with the dns, http, tls and beacons plugins.
func runShards(cfg flows.Config, rows []parsers.PacketRow, n, batch, chunk int) sharded {
	rows = slices.Clone(rows)
	s := flows.NewShards(cfg, n)
	flows.SetChunk(s, chunk)
	var out sharded
	s.OnFlow = func(r *flows.Row) { out.flows = append(out.flows, *r) }
	plugins := []func(*flows.Output) flows.Plugin{
		func(o *flows.Output) flows.Plugin { return dns.New(o) },
		func(o *flows.Output) flows.Plugin { return http.New(o) },
		func(o *flows.Output) flows.Plugin { return tls.New(o) },
		func(o *flows.Output) flows.Plugin { return beacons.New(o, 2) },
	}
	schemas := []*table.Schema{dns.Schema, http.Schema, tls.Schema, beacons.Schema}
	for i, p := range plugins {
		b := table.NewBatch(schemas[i], 16)
		out.tables = append(out.tables, b)
		if err := s.Register(p, flows.NewOutput(&out.tables[i], 1<<30, nil)); err != nil {
			panic(err)
		}
	}
	for lo := 0; lo < len(rows); lo += batch {
		s.Observe(rows[lo:min(lo+batch, len(rows))])
	}
	s.Close()
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

// TestShardsAsTracker: shards make the flows one Tracker makes, flow_id
// included, on the real captures; only the order of flows ended by
// timeouts may differ, as they end at the batch's end. (An id could differ
// for a datagram given up incomplete that starts a flow earlier than the
// clock: its id hashes the index of the packet at which it was given up,
// and shards give datagrams up at a batch's end; none of the captures has
// one given up before the end.)
func TestShardsAsTracker(t *testing.T) {
	for _, name := range reftest.Captures(t, capturesDir) {
		rows := decodeRows(t, filepath.Join(capturesDir, name))
		want := feed(flows.DefaultConfig(), nil, slices.Clone(rows))
		got := runShards(flows.DefaultConfig(), rows, 3, 100, 10)
		// the tracker ran no plugin
		key := func(r flows.Row) string { r.Service = ""; return fmt.Sprintf("%+v", r) }
		a, b := make([]string, len(want)), make([]string, len(got.flows))
		for i := range want {
			a[i] = key(want[i])
		}
		for i := range got.flows {
			b[i] = key(got.flows[i])
		}
		slices.Sort(a)
		slices.Sort(b)
		if !slices.Equal(a, b) {
			t.Errorf("%s: %d flows from the tracker, %d from the shards, or their rows differ", name, len(a), len(b))
		}
	}
}
