package tls_test

import (
	"path/filepath"
	"sync"
	"testing"

	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/internal/plugintest"
	"github.com/pcap2table/pcap2table/internal/reftest"
	"github.com/pcap2table/pcap2table/parsers"
	"github.com/pcap2table/pcap2table/protocols/tls"
	"github.com/pcap2table/pcap2table/table"
)

// hellos returns the bodies (after the 4-byte handshake header) of the
// ClientHellos and ServerHellos that begin a TCP segment of the real
// captures, whole in that segment's first record. They are read once.
func hellos(tb testing.TB) (ch, sh [][]byte) {
	tb.Helper()
	helloCache.once.Do(func() {
		for _, path := range tlsCaptures(tb) {
			for _, r := range reftest.Decode(tb, path) {
				p := r.Payload
				if r.IPProto != 6 || len(p) < 9 || p[0] != 22 || p[1] != 3 || (p[5] != 1 && p[5] != 2) {
					continue
				}
				rec := int(p[3])<<8 | int(p[4])
				n := int(p[6])<<16 | int(p[7])<<8 | int(p[8])
				if 4+n > rec || 9+n > len(p) {
					continue
				}
				if p[5] == 1 {
					helloCache.ch = append(helloCache.ch, p[9:9+n])
				} else {
					helloCache.sh = append(helloCache.sh, p[9:9+n])
				}
			}
		}
	})
	ch, sh = helloCache.ch, helloCache.sh
	if len(ch) < 10 || len(sh) < 10 {
		tb.Logf("%d ClientHellos and %d ServerHellos in the captures, want >= 10 each", len(ch), len(sh))
	}
	return ch, sh
}

var helloCache struct {
	once   sync.Once
	ch, sh [][]byte
}

// BenchmarkParseClientHello parses every ClientHello of the real
// captures (one op: all of them) into a reused Hello.
func BenchmarkParseClientHello(b *testing.B) {
	ch, _ := hellos(b)
	var h tls.Hello
	size := 0
	for _, m := range ch {
		size += len(m)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		for _, m := range ch {
			if err := tls.ParseClientHello(m, &h); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkParseServerHello is the same for the ServerHellos.
func BenchmarkParseServerHello(b *testing.B) {
	_, sh := hellos(b)
	var h tls.Hello
	size := 0
	for _, m := range sh {
		size += len(m)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		for _, m := range sh {
			if err := tls.ParseServerHello(m, &h); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// TestParseZeroAllocs: parsing into a Hello that has held bigger hellos
// allocates nothing (the table's hot path reuses one).
func TestParseZeroAllocs(t *testing.T) {
	ch, sh := hellos(t)
	var h tls.Hello
	run := func() {
		for _, m := range ch {
			_ = tls.ParseClientHello(m, &h)
		}
		for _, m := range sh {
			_ = tls.ParseServerHello(m, &h)
		}
	}
	run()
	if n := testing.AllocsPerRun(10, run); n != 0 {
		t.Errorf("%v allocations parsing the real hellos", n)
	}
}

// tlsCaptures lists the real captures with TLS or QUIC handshakes: those
// of testdata/captures that tshark found TLS in, and the TLS traces of
// the peers' suites (testdata/peers) that the golden tests read.
func tlsCaptures(tb testing.TB) []string {
	tb.Helper()
	var paths []string
	for _, name := range reftest.Captures(tb, capturesDir) {
		if reftest.ReadTSV(tb, filepath.Join(capturesDir, "ref", name+".tls.tsv")) != nil {
			paths = append(paths, filepath.Join(capturesDir, name))
		}
	}
	for _, pattern := range []string{"zeek/tls--*.pcap", "suricata-verify/tls-*/*.pcap", "suricata-verify/ja4-quic/*.pcap"} {
		m, err := filepath.Glob(filepath.Join(peersDir, pattern))
		if err != nil {
			tb.Fatal(err)
		}
		paths = append(paths, m...)
	}
	return paths
}

const peersDir = "../../testdata/peers"

// event is a plugin call recorded from the tracker: a stream event, a
// packet (QUIC) or a flow's end.
type event struct {
	conn   flows.Conn
	stream *flows.StreamEvent
	dir    flows.Dir
	packet *parsers.PacketRow
	end    bool
}

// recorder records the calls the tracker makes to the tls plugin.
type recorder struct {
	*tls.Plugin
	events *[]event
}

// conn keeps the exported fields of c: the recorded flow, detached from
// the tracker.
func conn(c *flows.Conn) flows.Conn {
	return flows.Conn{ID: c.ID, CommunityID: c.CommunityID, Start: c.Start, IPProto: c.IPProto, OrigIP: c.OrigIP, RespIP: c.RespIP,
		OrigPort: c.OrigPort, RespPort: c.RespPort, HasPorts: c.HasPorts}
}

func (r recorder) Stream(c *flows.Conn, ev *flows.StreamEvent) {
	e := *ev
	e.Data = append([]byte(nil), ev.Data...)
	*r.events = append(*r.events, event{conn: conn(c), stream: &e})
	r.Plugin.Stream(c, ev)
}

func (r recorder) Packet(c *flows.Conn, dir flows.Dir, row *parsers.PacketRow) {
	p := *row
	p.Payload = append([]byte(nil), row.Payload...)
	*r.events = append(*r.events, event{conn: conn(c), dir: dir, packet: &p})
	r.Plugin.Packet(c, dir, row)
}

func (r recorder) FlowEnd(c *flows.Conn, row *flows.Row) {
	*r.events = append(*r.events, event{conn: conn(c), end: true})
	r.Plugin.FlowEnd(c, row)
}

// BenchmarkPlugin replays the calls the tracker made to the plugin over
// the real captures that have TLS or QUIC handshakes (one op: all of
// them): records, handshake messages, hellos, certificates and rows.
func BenchmarkPlugin(b *testing.B) {
	var events []event
	for _, path := range tlsCaptures(b) {
		plugintest.Run(b, reftest.Decode(b, path), tls.Schema, func(o *flows.Output) flows.Plugin {
			return recorder{tls.New(o), &events}
		})
	}
	if len(events) == 0 {
		b.Fatal("no TLS in the captures")
	}
	batch := table.NewBatch(tls.Schema, 256)
	b.ReportAllocs()
	for b.Loop() {
		batch.Reset()
		p := tls.New(flows.NewOutput(batch))
		for i := range events {
			e := &events[i]
			switch {
			case e.stream != nil:
				p.Stream(&e.conn, e.stream)
			case e.packet != nil:
				p.Packet(&e.conn, e.dir, e.packet)
			case e.end:
				p.FlowEnd(&e.conn, nil)
			}
		}
	}
}
