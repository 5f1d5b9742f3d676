// Package plugintest runs a protocol plugin over decoded packets and
// reads its table back as plain values, for the plugins' tests.
package plugintest

import (
	"testing"

	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/parsers"
	"github.com/pcap2table/pcap2table/table"
)

// Row is one row of a plugin's table: column name → value. A null is
// nil; others are uint64 (Bool and unsigned), int64 (Int64, Timestamp),
// float64, string, or for list columns []uint64, []int64, []float64 or
// []string.
type Row map[string]any

// Run registers the plugin that mk makes with a new tracker, feeds it
// rows (Feed, a batch per packet) and returns its table's rows and the
// flows' rows. Batches of 7 rows of the plugin's table make the batch
// hand-over part of every test. A plugin panic fails the test.
func Run(t testing.TB, rows []parsers.PacketRow, s *table.Schema, mk func(*flows.Output) flows.Plugin) ([]Row, []flows.Row) {
	t.Helper()
	tr := flows.NewTracker(flows.DefaultConfig(), 1)
	var got []Row
	out := table.NewOutput(table.NewBatch(s, 8), 7, func(full *table.Batch) *table.Batch {
		got = append(got, Read(t, full)...)
		full.Reset()
		return full
	})
	if err := tr.Register(mk, out); err != nil {
		t.Fatal(err)
	}
	fl := &Flows{}
	tr.Subscribe(fl)
	Feed(tr, rows, 1)
	out.Flush()
	if n := tr.Counters().PluginPanics; len(n) > 0 {
		t.Errorf("plugin panics: %v", n)
	}
	return got, fl.Rows
}

// Subscribe runs a tracker over rows (Feed, a batch per packet) with the
// subscriber that mk makes, and returns the rows of its table.
func Subscribe(t testing.TB, rows []parsers.PacketRow, s *table.Schema, mk func(*table.Output) flows.Subscriber) []Row {
	t.Helper()
	out := table.NewOutput(table.NewBatch(s, 8), 1<<30, nil)
	tr := flows.NewTracker(flows.DefaultConfig(), 1)
	tr.Subscribe(mk(out))
	Feed(tr, rows, 1)
	return Read(t, out.Batch())
}

// Flows keeps the row of every flow that ends: a flows.Subscriber.
type Flows struct {
	Rows     []flows.Row
	Finished int // calls of Finish
}

// Flow implements flows.Subscriber.
func (f *Flows) Flow(row *flows.Row) { f.Rows = append(f.Rows, *row) }

// Finish implements flows.Subscriber.
func (f *Flows) Finish() { f.Finished++ }

// Track runs a tracker of the given configuration and shards over rows
// (Feed, in batches of batch rows), labelling them, and returns the
// flows' rows.
func Track(cfg flows.Config, shards int, rows []parsers.PacketRow, batch int) []flows.Row {
	tr := flows.NewTracker(cfg, shards)
	fl := &Flows{}
	tr.Subscribe(fl)
	Feed(tr, rows, batch)
	return fl.Rows
}

// Feed observes rows in batches of batch rows (1: the timeouts apply
// after every packet) and closes the tracker.
func Feed(tr *flows.Tracker, rows []parsers.PacketRow, batch int) {
	for lo := 0; lo < len(rows); lo += batch {
		tr.Observe(rows[lo:min(lo+batch, len(rows))])
	}
	tr.Close()
}

// Read returns a batch's rows, checking that every column holds one
// value per row and that non-nullable columns hold no null.
func Read(t testing.TB, b *table.Batch) []Row {
	t.Helper()
	rows := make([]Row, b.N)
	for i := range rows {
		rows[i] = Row{}
	}
	for c := range b.Cols {
		col := &b.Schema.Columns[c]
		v := &b.Cols[c]
		if len(v.Valid) != b.N {
			t.Fatalf("column %s has %d values for %d rows", col.Name, len(v.Valid), b.N)
		}
		for i := 0; i < b.N; i++ {
			if !v.Valid[i] {
				if !col.Nullable {
					t.Fatalf("row %d: null in non-nullable column %s", i, col.Name)
				}
				rows[i][col.Name] = nil
				continue
			}
			if !col.List {
				rows[i][col.Name] = value(v, i)
				continue
			}
			lo, hi := v.Elems(i)
			switch col.Type {
			case table.String:
				l := []string{}
				for e := lo; e < hi; e++ {
					l = append(l, string(v.Bytes(e)))
				}
				rows[i][col.Name] = l
			case table.Int64, table.Timestamp:
				rows[i][col.Name] = append([]int64{}, v.I64[lo:hi]...)
			case table.Float64:
				rows[i][col.Name] = append([]float64{}, v.F64[lo:hi]...)
			default:
				rows[i][col.Name] = append([]uint64{}, v.U64[lo:hi]...)
			}
		}
	}
	return rows
}

func value(v *table.Vector, i int) any {
	switch v.Type {
	case table.String:
		return string(v.Bytes(i))
	case table.Int64, table.Timestamp:
		return v.I64[i]
	case table.Float64:
		return v.F64[i]
	}
	return v.U64[i]
}

// Str returns a String column's value, "" for null.
func (r Row) Str(col string) string {
	s, _ := r[col].(string)
	return s
}

// Uint returns an unsigned column's value, 0 for null.
func (r Row) Uint(col string) uint64 {
	u, _ := r[col].(uint64)
	return u
}

// StreamEvents runs the plugin that mk makes over rows, like Run, and
// returns the most stream events it was handed for one flow: a plugin
// that calls Conn.Ignore on a flow that is not its protocol gets one or
// two, one that does not gets every segment.
func StreamEvents(t testing.TB, rows []parsers.PacketRow, s *table.Schema, mk func(*flows.Output) flows.Plugin) int {
	t.Helper()
	c := &counter{n: map[uint64]int{}}
	tr := flows.NewTracker(flows.DefaultConfig(), 1)
	err := tr.Register(func(out *flows.Output) flows.Plugin {
		c.Plugin = mk(out)
		c.stream, _ = c.Plugin.(flows.StreamHook)
		c.end, _ = c.Plugin.(flows.EndHook)
		return c
	}, table.NewOutput(table.NewBatch(s, 8), 1<<20, func(b *table.Batch) *table.Batch { b.Reset(); return b }))
	if err != nil {
		t.Fatal(err)
	}
	if c.stream == nil {
		t.Fatal("the plugin has no StreamHook")
	}
	Feed(tr, rows, 1)
	most := 0
	for _, n := range c.n {
		most = max(most, n)
	}
	return most
}

// counter counts a plugin's stream events per flow.
type counter struct {
	flows.Plugin
	stream flows.StreamHook
	end    flows.EndHook
	n      map[uint64]int
}

func (c *counter) Stream(conn *flows.Conn, ev *flows.StreamEvent) {
	c.n[conn.ID]++
	c.stream.Stream(conn, ev)
}

func (c *counter) FlowEnd(conn *flows.Conn, row *flows.Row) {
	if c.end != nil {
		c.end.FlowEnd(conn, row)
	}
}
