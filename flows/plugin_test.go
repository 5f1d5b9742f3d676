package flows_test

import (
	"fmt"
	"testing"

	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/parsers"
	"github.com/pcap2table/pcap2table/table"
)

var testSchema = &table.Schema{Name: "test", Columns: []table.Column{{Name: "flow_id", Type: table.Uint64}}}

// recorder counts hook calls; it panics on the packets of flows from
// host panicHost.
type recorder struct {
	starts, packets, ends, finishes int
	panicHost                       byte
	service                         string
	ignoreHost                      byte // Ignore the flows from this host at their first packet
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
func (r *recorder) Finish()                               { r.finishes++ }

// TestPlugins: hooks are called per flow and packet; a hook's panic is
// counted and turns the plugin off for that flow only (but for its end),
// as Conn.Ignore does; services of two plugins are joined in registration
// order.
func TestPlugins(t *testing.T) {
	tr := flows.NewTracker(flows.DefaultConfig())
	a := &recorder{panicHost: 2, service: "dns"}
	b := &recorder{panicHost: 255, service: "http", ignoreHost: 3}
	for _, p := range []flows.Plugin{a, b} {
		if err := tr.Register(p); err != nil {
			t.Fatal(err)
		}
	}
	var rows []flows.Row
	for i := range 3 {
		for host := 1; host <= 3; host++ {
			r := udpRow(host, 1000, int64(i)*1e9)
			tr.Observe(&r)
		}
	}
	tr.Close()
	rows = append(rows, tr.TakeEnded()...)
	if len(rows) != 3 {
		t.Fatalf("%d flows, want 3", len(rows))
	}
	if a.starts != 3 || a.ends != 3 || a.finishes != 1 || a.packets != 6 {
		t.Errorf("plugin a: %+v (want 3 starts, 6 packets: host 2's flow off after its panic, 3 ends, 1 finish)", a)
	}
	if b.packets != 7 || b.ends != 3 {
		t.Errorf("plugin b: %+v, want every packet but the 2 after host 3's Ignore, and every end", b)
	}
	if n := tr.PluginPanics()["test"]; n != 1 {
		t.Errorf("panics: %v, want test: 1", tr.PluginPanics())
	}
	for _, r := range rows {
		want := "dns,http"
		if r.SrcIP.As4()[3] == 2 {
			want = "http" // a failed on its first packet
		}
		if r.Service != want {
			t.Errorf("flow from %v: service %q, want %q", r.SrcIP, r.Service, want)
		}
	}
	for i := range 15 {
		if err := tr.Register(&recorder{}); (err != nil) != (i >= 14) {
			t.Errorf("registering plugin %d: %v", i+3, err)
		}
	}
}

// counter is a plugin that writes one row per flow: its id.
type counter struct{ out *flows.Output }

func (c *counter) Schema() *table.Schema { return testSchema }

func (c *counter) FlowEnd(conn *flows.Conn, _ *flows.Row) {
	c.out.Batch().Cols[0].AppendUint(conn.ID)
	c.out.EndRow()
}

func ExampleTracker_Register() {
	b := table.NewBatch(testSchema, 1024)
	tr := flows.NewTracker(flows.DefaultConfig())
	if err := tr.Register(&counter{out: flows.NewOutput(&b, 1024, nil)}); err != nil {
		panic(err)
	}
	for host := 1; host <= 3; host++ {
		r := udpRow(host, 1000, 0)
		tr.Observe(&r)
	}
	tr.Close()
	fmt.Println(b.Len(), "rows")
	// Output: 3 rows
}

// Two shards track the flows of a batch of packets; the rows come out
// in the same order as with one.
func ExampleShards() {
	b := table.NewBatch(testSchema, 1024)
	s := flows.NewShards(flows.DefaultConfig(), 2)
	if err := s.Register(func(out *flows.Output) flows.Plugin { return &counter{out: out} }, flows.NewOutput(&b, 1024, nil)); err != nil {
		panic(err)
	}
	s.OnFlow = func(row *flows.Row) { fmt.Println(row.SrcIP, row.EndReason) }
	var rows []parsers.PacketRow
	for host := 1; host <= 3; host++ {
		rows = append(rows, udpRow(host, 1000, int64(host)))
	}
	s.Observe(rows)
	s.Close()
	fmt.Println(b.Len(), "rows; packet 2 is in flow", rows[1].FlowID == b.Cols[0].U64[1])
	// Output:
	// 10.0.0.1 eof
	// 10.0.0.2 eof
	// 10.0.0.3 eof
	// 3 rows; packet 2 is in flow true
}
