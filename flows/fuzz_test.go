package flows_test

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"reflect"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/parsers"
	"github.com/pcap2table/pcap2table/table"
)

// FuzzTracker feeds the tracker packets built from the input, 12 bytes
// each (direction and protocol, flags, sequence and acknowledgment
// numbers, payload length, time step, now and then back in time), between
// a few hosts and ports, some of them IP fragments, with small reassembly
// caps, a plugin's StreamHook and, for some inputs, at most 3 live flows.
// It runs them in batches of one packet (the timeouts apply after every
// packet) and in uneven batches with small chunks of timeouts, and with
// one, two and three shards. It checks that nothing panics, that every
// flow ends exactly once with a flow_id of its own, that every packet's
// flow_id names a flow row, that the counters agree with the rows, that
// each stream's events follow one another (offsets continuous, nothing
// after the end, an end for each), that nothing waits behind holes after
// Close; that any number of shards makes the same rows in the same order
// and the same labels (the bounds shared out between shards set out of
// reach); and that batches of other sizes count the same packets, in the
// same rows but for the order when no fragment is involved.
func FuzzTracker(f *testing.F) {
	f.Add([]byte("\x00\x02\x00\x00\x00\x01\x00\x00\x00\x00\x00\x01" +
		"\x01\x12\x00\x00\x00\x05\x00\x00\x00\x02\x00\x01" +
		"\x00\x10\x00\x00\x00\x02\x00\x00\x00\x06\x00\x01" +
		"\x00\x18\x00\x00\x00\x02\x00\x00\x00\x06\x10\x01" +
		"\x01\x11\x00\x00\x00\x06\x00\x00\x00\x12\x00\xff"))
	// UDP from port 40000, another flow 99 s later (the first times out),
	// then port 40000 again back at the first one's time
	f.Add([]byte("\x10\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01" +
		"\x30\x00\x00\x00\x00\x00\x00\x00\x00\x00\x63\x64" +
		"\x10\x00\x00\x00\x00\x00\x00\x00\x00\x00\x63\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// a hang is a failure: the goroutines' stacks, and the input kept
		watchdog := time.AfterFunc(20*time.Second, func() {
			buf := make([]byte, 1<<20)
			panic("FuzzTracker: an input ran 20 s:\n" + string(buf[:runtime.Stack(buf, true)]))
		})
		defer watchdog.Stop()
		cfg := flows.DefaultConfig()
		cfg.ReassemblyFlowCap, cfg.ReassemblyCap, cfg.FragCap = 600, 1000, 1000
		if len(data)%2 == 1 {
			cfg.ReassemblyWait = 0
		}
		if len(data)%4 >= 2 {
			cfg.MaxFlows = 3 // evictions, some at the instant a flow started
		}
		payload := make([]byte, 256)
		for i := range payload {
			payload[i] = byte(i)
		}
		hosts := []netip.Addr{netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2")}
		var all []parsers.PacketRow
		frags := false
		ts := int64(1e18)
		for len(data) >= 12 {
			c := data[:12]
			data = data[12:]
			var r parsers.PacketRow
			dir, v6 := c[0]&1, c[0]&2 != 0
			src, dst := hosts[0], hosts[1]
			if v6 {
				src, dst = hosts[2], hosts[3]
			}
			sport, dport := uint16(40000+int(c[0]>>5)), uint16(80)
			if dir == 1 {
				src, dst, sport, dport = dst, src, dport, sport
			}
			if c[11] == 0xff {
				ts -= int64(c[10]) * 1e9 // back in time, up to ~4 min
			} else {
				ts += int64(c[11]) * int64(c[10]|1) * 1e7 // up to ~11 min steps
			}
			r.TS = ts
			r.SrcIP, r.DstIP = src, dst
			r.Set(parsers.ColSrcIP)
			r.Set(parsers.ColDstIP)
			r.Set(parsers.ColIPProto)
			r.IPLen = 40 + uint16(c[10])
			r.Set(parsers.ColIPLen)
			r.PayloadLen = uint32(c[10])
			r.Payload = payload[:c[10]]
			switch c[0] >> 2 & 7 {
			case 0, 1, 2, 3: // TCP
				r.IPProto = 6
				r.SrcPort, r.DstPort = sport, dport
				r.Set(parsers.ColSrcPort)
				r.Set(parsers.ColDstPort)
				r.TCPFlags = uint16(c[1])
				r.Set(parsers.ColTCPFlags)
				r.TCPSeq = binary.BigEndian.Uint32(c[2:])
				r.TCPAck = binary.BigEndian.Uint32(c[6:])
				r.TCPWin = uint16(c[1] & 0x40)
				r.Set(parsers.ColTCPWin)
			case 4, 5: // UDP
				r.IPProto = 17
				r.SrcPort, r.DstPort = sport, dport
				r.Set(parsers.ColSrcPort)
				r.Set(parsers.ColDstPort)
			case 6: // ICMP
				r.IPProto = 1
				if v6 {
					r.IPProto = 58
				}
				r.ICMPType, r.ICMPCode = c[1], c[2]
				r.Set(parsers.ColICMPType)
				r.Set(parsers.ColICMPCode)
			default: // a fragment or another protocol
				r.IPProto = c[1]
				r.IPID = uint32(c[2])
				r.FragOffset = uint16(c[3]) * 8
				r.Set(parsers.ColFragOffset)
				r.MoreFrags = c[4]&1 != 0
				r.Set(parsers.ColMoreFrags)
				r.IPPayload, r.Payload = r.Payload, nil
				if r.FragOffset == 0 && c[1]&1 == 0 { // a first fragment with ports
					r.IPProto = 17
					r.SrcPort, r.DstPort = sport, dport
					r.Set(parsers.ColSrcPort)
					r.Set(parsers.ColDstPort)
				} else if r.FragOffset > 0 {
					r.Set(parsers.ColPayloadLen)
				}
			}
			frags = frags || r.FragOffset > 0 || r.MoreFrags
			all = append(all, r)
		}
		chunk := 1 + len(data)%7 // rows per batch
		ends := 1 + len(data)%3  // flows ended per step
		// one shard, the configuration's bounds: a batch per packet, then
		// uneven batches
		runFuzz(t, cfg, all, 1, 1, 0)
		runFuzz(t, cfg, all, 1, chunk, ends)
		// one to three shards, in uneven batches: the same rows in the
		// same order, every flow ended once (the caps, shared out between
		// shards, are set out of reach)
		scfg := cfg
		scfg.ReassemblyCap, scfg.FragCap = 1<<40, 1<<40
		scfg.MaxFlows = 0
		var first fuzzRun
		for _, n := range []int{1, 2, 3} {
			got := runFuzz(t, scfg, all, n, chunk, ends)
			if n == 1 {
				first = got
				continue
			}
			if !reflect.DeepEqual(got.rows, first.rows) {
				t.Fatalf("%d shards: %d rows differ from one shard's %d", n, len(got.rows), len(first.rows))
			}
			if !slices.Equal(got.labels, first.labels) {
				t.Fatalf("%d shards: the packets' flow_ids differ from one shard's", n)
			}
			if got.c.Datagrams != first.c.Datagrams || got.c.Incomplete != first.c.Incomplete || got.c.Unassigned != first.c.Unassigned {
				t.Fatalf("%d shards: datagrams %+v, one shard %+v", n, got.c, first.c)
			}
		}
		// the flows ended per step change when rows are handed on, not
		// the rows nor their order
		if got := runFuzz(t, scfg, all, 1, chunk, 0); !reflect.DeepEqual(got.rows, first.rows) || !slices.Equal(got.labels, first.labels) {
			t.Fatalf("%d flows ended per step: %d rows differ from those of the default's %d", ends, len(first.rows), len(got.rows))
		}
		// batches of one packet and uneven ones, the bounds out of reach:
		// the same packets counted, and without fragments the same rows
		// and labels
		sameFlows(t, runFuzz(t, scfg, all, 1, 1, 0), first, !frags)
	})
}

// fuzzRun is what one run of FuzzTracker's tracker made.
type fuzzRun struct {
	rows   []flows.Row
	labels []uint64 // the packets' flow_id (0: none)
	c      flows.Counters
}

// runFuzz runs rows (a copy) through a tracker of n shards with a
// streamCheck plugin, in batches of batch rows, ending ends flows per step
// (0: the default), and checks the run.
func runFuzz(t *testing.T, cfg flows.Config, rows []parsers.PacketRow, n, batch, ends int) fuzzRun {
	t.Helper()
	rows = slices.Clone(rows)
	tr := flows.NewTracker(cfg, n)
	if ends > 0 {
		flows.SetChunk(tr, ends)
	}
	var checks []*streamCheck
	err := tr.Register(func(*flows.Output) flows.Plugin {
		sc := &streamCheck{t: t, next: map[dirKey]uint64{}, ended: map[dirKey]bool{}}
		checks = append(checks, sc)
		return sc
	}, table.NewOutput(table.NewBatch(testSchema, 1), 1<<30, nil))
	if err != nil {
		t.Fatal(err)
	}
	got := feedTracker(tr, rows, batch)
	run := fuzzRun{rows: got, c: tr.Counters()}
	where := fmt.Sprintf("%d shards, batches of %d", n, batch)
	if t.Failed() {
		t.FailNow() // a stream check failed on a shard's goroutine
	}
	if c := run.c; c.Started != c.Ended || int(c.Ended) != len(got) || flows.Live(tr) != 0 {
		t.Fatalf("%s: started %d, ended %d, %d rows, live %d", where, c.Started, c.Ended, len(got), flows.Live(tr))
	}
	if cfg.MaxFlows > 0 && n == 1 && run.c.PeakLive > uint64(cfg.MaxFlows) {
		t.Fatalf("%s: %d flows live at once, bound %d", where, run.c.PeakLive, cfg.MaxFlows)
	}
	if len(run.c.PluginPanics) > 0 {
		t.Fatalf("%s: plugin panics %v", where, run.c.PluginPanics)
	}
	ended := map[uint64]int{}
	for _, r := range got {
		if r.FlowID >= 1<<flows.IDBits {
			t.Fatalf("%s: flow_id %d is not below 2^%d", where, r.FlowID, flows.IDBits)
		}
		if ended[r.FlowID]++; ended[r.FlowID] > 1 {
			t.Fatalf("%s: flow_id %d ended twice", where, r.FlowID)
		}
	}
	for i := range rows {
		if rows[i].Has(parsers.ColFlowID) {
			if ended[rows[i].FlowID] == 0 {
				t.Fatalf("%s: packet %d's flow_id %d has no flow row", where, i, rows[i].FlowID)
			}
			run.labels = append(run.labels, rows[i].FlowID)
		} else {
			run.labels = append(run.labels, 0)
		}
	}
	for _, sc := range checks {
		for k := range sc.next {
			if !sc.ended[k] {
				t.Fatalf("%s: stream %v has no end", where, k)
			}
		}
	}
	if w := flows.Waiting(tr); w != 0 {
		t.Fatalf("%s: %d bytes still waiting after Close", where, w)
	}
	return run
}

// sameFlows checks that two runs of the same packets in batches of other
// sizes, without bounds reached, counted the same packets and datagrams;
// and, when no fragment is involved, that they made the same rows but
// for their order, and labelled the packets alike. (A datagram is given
// up at the boundary after its timeout, into the flow of its first
// fragment or, if that flow timed out by then, a new one: which depends
// on the boundaries.)
func sameFlows(t *testing.T, a, b fuzzRun, rows bool) {
	t.Helper()
	count := func(r fuzzRun) (pkts, bytes uint64) {
		for _, f := range r.rows {
			pkts += f.Orig.Pkts + f.Resp.Pkts
			bytes += f.Orig.IPBytes + f.Resp.IPBytes
		}
		return pkts, bytes
	}
	ap, ab := count(a)
	bp, bb := count(b)
	if ap != bp || ab != bb {
		t.Fatalf("batches: %d packets (%d bytes) in the flows, in batches of one packet %d (%d)", bp, bb, ap, ab)
	}
	if a.c.Datagrams != b.c.Datagrams || a.c.Incomplete != b.c.Incomplete || a.c.Unassigned != b.c.Unassigned {
		t.Fatalf("batches: datagrams %+v, in batches of one packet %+v", b.c, a.c)
	}
	if !rows {
		return
	}
	key := func(r fuzzRun) []string {
		var out []string
		for _, f := range r.rows {
			out = append(out, fmt.Sprintf("%+v", f))
		}
		slices.Sort(out)
		return out
	}
	if !slices.Equal(a.labels, b.labels) {
		t.Fatalf("batches: the packets' flow_ids differ from those in batches of one packet")
	}
	if ka, kb := key(a), key(b); !slices.Equal(ka, kb) {
		for i := range min(len(ka), len(kb)) {
			if ka[i] != kb[i] {
				t.Fatalf("batches: %d rows, in batches of one packet %d; first difference:\n%s\n%s", len(kb), len(ka), kb[i], ka[i])
			}
		}
		t.Fatalf("batches: %d rows, in batches of one packet %d", len(kb), len(ka))
	}
}

// streamCheck is a plugin that checks that the events of each stream
// follow one another.
type streamCheck struct {
	t     *testing.T
	next  map[dirKey]uint64
	ended map[dirKey]bool
}

func (c *streamCheck) Schema() *table.Schema { return testSchema }

// Stream is the plugin's StreamHook. It runs on its shard's goroutine:
// it reports with Errorf, and runFuzz fails the test after the run.
func (c *streamCheck) Stream(_ *flows.Conn, ev *flows.StreamEvent) {
	k := dirKey{ev.FlowID, ev.Dir}
	if c.ended[k] {
		c.t.Errorf("stream %v: event after the end", k)
	}
	if n, ok := c.next[k]; ok && n != ev.Offset {
		c.t.Errorf("stream %v: event at %d, want %d", k, ev.Offset, n)
	}
	if (len(ev.Data) > 0) == (ev.Gap > 0) && !ev.End {
		c.t.Errorf("stream %v: event with %d bytes and a gap of %d", k, len(ev.Data), ev.Gap)
	}
	c.next[k] = ev.Offset + uint64(len(ev.Data)) + ev.Gap
	c.ended[k] = ev.End
}
