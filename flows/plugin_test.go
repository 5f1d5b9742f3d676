package flows_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/parsers"
	"github.com/pcap2table/pcap2table/table"
)

var testSchema = &table.Schema{Name: "test", Columns: []table.Column{{Name: "flow_id", Type: table.Uint64}}}

// recorder counts hook calls; it panics on the packets of flows from
// host panicHost.
type recorder struct {
	starts, packets, ends int
	panicHost             byte
	service               string
	ignoreHost            byte // Ignore the flows from this host at their first packet
}

func (r *recorder) Schema() *table.Schema   { return testSchema }
func (r *recorder) FlowStart(c *flows.Conn) { r.starts++ }
func (r *recorder) Packet(c *flows.Conn, dir flows.Dir, p *parsers.PacketRow) {
	if c.OrigIP.As4()[3] == r.panicHost {
		panic("a plugin bug")
	}
	r.packets++
	if c.OrigIP.As4()[3] == r.ignoreHost {
		c.Ignore()
	}
	if r.service != "" {
		c.SetService(r.service)
	}
}
func (r *recorder) FlowEnd(c *flows.Conn, row *flows.Row) { r.ends++ }

// TestPlugins: hooks are called per flow and packet; a hook's panic is
// counted and turns the plugin off for that flow only (but for its end),
// as Conn.Ignore does; services of two plugins are joined (in
// alphabetical order). With one shard and two, each shard's own plugins
// (their calls added up).
func TestPlugins(t *testing.T) {
	for _, shards := range []int{1, 2} {
		tr := flows.NewTracker(flows.DefaultConfig(), shards)
		var as, bs []*recorder
		for _, mk := range []func() *recorder{
			func() *recorder { r := &recorder{panicHost: 2, service: "dns"}; as = append(as, r); return r },
			func() *recorder {
				r := &recorder{panicHost: 255, service: "http", ignoreHost: 3}
				bs = append(bs, r)
				return r
			},
		} {
			if err := tr.Register(func(*flows.Output) flows.Plugin { return mk() }, table.NewOutput(table.NewBatch(testSchema, 1), 1<<30, nil)); err != nil {
				t.Fatal(err)
			}
		}
		if len(as) != shards || len(bs) != shards {
			t.Fatalf("shards %d: %d and %d plugins made", shards, len(as), len(bs))
		}
		var rows []parsers.PacketRow
		for i := range 3 {
			for host := 1; host <= 3; host++ {
				rows = append(rows, udpRow(host, 1000, int64(i)*1e9))
			}
		}
		fl := feedTracker(tr, rows, 1)
		if len(fl) != 3 {
			t.Fatalf("shards %d: %d flows, want 3", shards, len(fl))
		}
		sum := func(rs []*recorder) recorder {
			var s recorder
			for _, r := range rs {
				s.starts += r.starts
				s.packets += r.packets
				s.ends += r.ends
			}
			return s
		}
		if a := sum(as); a.starts != 3 || a.ends != 3 || a.packets != 6 {
			t.Errorf("shards %d: plugin a: %+v (want 3 starts, 6 packets: host 2's flow off after its panic, 3 ends)", shards, a)
		}
		if b := sum(bs); b.packets != 7 || b.ends != 3 {
			t.Errorf("shards %d: plugin b: %+v, want every packet but the 2 after host 3's Ignore, and every end", shards, b)
		}
		if p := tr.Counters().PluginPanics; p["test"] != 1 || len(p) != 1 {
			t.Errorf("shards %d: panics: %v, want test: 1", shards, p)
		}
		for _, r := range fl {
			want := "dns,http"
			if r.SrcIP.As4()[3] == 2 {
				want = "http" // a failed on its first packet
			}
			if r.Service != want {
				t.Errorf("shards %d: flow from %v: service %q, want %q", shards, r.SrcIP, r.Service, want)
			}
		}
	}
}

// TestRegisterLimit: a tracker takes 16 plugins, on every shard.
func TestRegisterLimit(t *testing.T) {
	for _, shards := range []int{1, 2} {
		tr := flows.NewTracker(flows.DefaultConfig(), shards)
		for i := range 17 {
			err := tr.Register(func(*flows.Output) flows.Plugin { return &recorder{} }, table.NewOutput(table.NewBatch(testSchema, 1), 1<<30, nil))
			if (err != nil) != (i >= 16) {
				t.Errorf("shards %d: registering plugin %d: %v", shards, i+1, err)
			}
		}
		tr.Close()
	}
}

// counter is a plugin that writes one row per flow: its id.
type counter struct{ out *flows.Output }

func (c *counter) Schema() *table.Schema { return testSchema }

func (c *counter) FlowEnd(conn *flows.Conn, _ *flows.Row) {
	c.out.Batch().Cols[0].AppendUint(conn.ID)
	c.out.EndRow()
}

// TestNewOutput: an Output without a tracker keeps the plugin's rows in
// its batch.
func TestNewOutput(t *testing.T) {
	b := table.NewBatch(testSchema, 4)
	c := &counter{out: flows.NewOutput(b)}
	for id := range uint64(3) {
		c.FlowEnd(&flows.Conn{ID: 10 + id}, nil)
	}
	if b.N != 3 || !slices.Equal(b.Cols[0].U64, []uint64{10, 11, 12}) || c.out.Batch() != b {
		t.Errorf("%d rows %v", b.N, b.Cols[0].U64)
	}
}

func ExampleTracker_Register() {
	out := table.NewOutput(table.NewBatch(testSchema, 1024), 1024, nil)
	tr := flows.NewTracker(flows.DefaultConfig(), 1)
	if err := tr.Register(func(o *flows.Output) flows.Plugin { return &counter{out: o} }, out); err != nil {
		panic(err)
	}
	var rows []parsers.PacketRow
	for host := 1; host <= 3; host++ {
		rows = append(rows, udpRow(host, 1000, 0))
	}
	tr.Observe(rows)
	tr.Close()
	fmt.Println(out.Batch().Len(), "rows")
	// Output: 3 rows
}

// printFlows is a Subscriber that prints each flow's source and end.
type printFlows struct{}

func (printFlows) Flow(row *flows.Row) { fmt.Println(row.SrcIP, row.EndReason) }
func (printFlows) Finish()             { fmt.Println("finished") }

// Two shards track the flows of a batch of packets; the rows come out
// in the same order as with one.
func ExampleTracker() {
	out := table.NewOutput(table.NewBatch(testSchema, 1024), 1024, nil)
	tr := flows.NewTracker(flows.DefaultConfig(), 2)
	if err := tr.Register(func(o *flows.Output) flows.Plugin { return &counter{out: o} }, out); err != nil {
		panic(err)
	}
	tr.Subscribe(printFlows{})
	var rows []parsers.PacketRow
	for host := 1; host <= 3; host++ {
		rows = append(rows, udpRow(host, 1000, int64(host)))
	}
	tr.Observe(rows)
	tr.Close()
	b := out.Batch()
	fmt.Println(b.Len(), "rows; packet 2 is in flow", rows[1].FlowID == b.Cols[0].U64[1])
	// Output:
	// 10.0.0.1 eof
	// 10.0.0.2 eof
	// 10.0.0.3 eof
	// finished
	// 3 rows; packet 2 is in flow true
}
