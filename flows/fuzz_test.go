package flows_test

import (
	"encoding/binary"
	"net/netip"
	"reflect"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/parsers"
)

// FuzzTracker feeds the tracker packets built from the input, 12 bytes
// each (direction and protocol, flags, sequence and acknowledgment
// numbers, payload length, time step, now and then back in time), between
// a few hosts and ports, some of them IP fragments, with small reassembly
// caps, a stream handler and, for some inputs, at most 3 live flows. It
// checks that nothing panics, that every flow ends exactly once with a
// flow_id of its own, that every packet's flow_id names a flow row, and
// that each stream's events follow one another (offsets continuous,
// nothing after the end, an end for each).
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
		tr := flows.NewTracker(cfg)
		sc := &streamCheck{t: t, next: map[dirKey]uint64{}, ended: map[dirKey]bool{}}
		tr.SetStreamHandler(sc)
		payload := make([]byte, 256)
		for i := range payload {
			payload[i] = byte(i)
		}
		hosts := []netip.Addr{netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2")}
		ids := map[uint64]bool{}
		var all []parsers.PacketRow // as built, for the batch run below
		var rows []flows.Row
		ended := map[uint64]int{}
		take := func() {
			for _, r := range tr.TakeEnded() {
				ended[r.FlowID]++
				rows = append(rows, r)
			}
		}
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
			all = append(all, r)
			tr.Observe(&r)
			if r.Has(parsers.ColFlowID) {
				ids[r.FlowID] = true
			}
			take()
		}
		tr.Close()
		take()
		if tr.Started != tr.Ended || tr.Live() != 0 {
			t.Fatalf("started %d, ended %d, live %d", tr.Started, tr.Ended, tr.Live())
		}
		for id := range ids {
			if ended[id] == 0 {
				t.Fatalf("packet flow_id %d has no flow row", id)
			}
		}
		for id, n := range ended {
			if n > 1 {
				t.Fatalf("flow_id %d ended %d times", id, n)
			}
		}
		for k := range sc.next {
			if !sc.ended[k] {
				t.Fatalf("stream %v has no end", k)
			}
		}
		if tr.Waiting() != 0 {
			t.Fatalf("%d bytes still waiting after Close", tr.Waiting())
		}
		// ObserveBatch, in uneven batches that stop early to take the
		// ended flows, gives the same rows in the same order.
		bt := flows.NewTracker(cfg)
		var brows []flows.Row
		chunk := 1 + len(data)%7
		for i := 0; i < len(all); i += chunk {
			for rs := all[i:min(i+chunk, len(all))]; len(rs) > 0; {
				rs = rs[bt.ObserveBatch(rs, 2):]
				brows = append(brows, bt.TakeEnded()...)
			}
		}
		bt.Close()
		brows = append(brows, bt.TakeEnded()...)
		if !reflect.DeepEqual(rows, brows) {
			t.Fatalf("ObserveBatch: %d rows differ from Observe's %d", len(brows), len(rows))
		}
		// Shards, one and three, in those batches: the same rows in the
		// same order, every flow ended once (the caps, shared out between
		// shards, are set out of reach)
		scfg := cfg
		scfg.ReassemblyCap, scfg.FragCap = 1<<40, 1<<40
		scfg.MaxFlows = 0
		var shardRows [][]flows.Row
		for _, n := range []int{1, 3} {
			s := flows.NewShards(scfg, n)
			flows.SetChunk(s, 1+len(data)%3)
			var got []flows.Row
			s.OnFlow = func(r *flows.Row) { got = append(got, *r) }
			for i := 0; i < len(all); i += chunk {
				s.Observe(slices.Clone(all[i:min(i+chunk, len(all))]))
			}
			s.Close()
			if c := s.Counters(); c.Started != c.Ended || int(c.Ended) != len(got) {
				t.Fatalf("%d shards: started %d, ended %d, %d rows", n, c.Started, c.Ended, len(got))
			}
			seen := map[uint64]bool{}
			for _, r := range got {
				if seen[r.FlowID] {
					t.Fatalf("%d shards: flow_id %d twice", n, r.FlowID)
				}
				seen[r.FlowID] = true
			}
			shardRows = append(shardRows, got)
		}
		if !reflect.DeepEqual(shardRows[0], shardRows[1]) {
			t.Fatalf("3 shards: %d rows differ from one shard's %d", len(shardRows[1]), len(shardRows[0]))
		}
	})
}

// streamCheck checks that the events of each stream follow one another.
type streamCheck struct {
	t     *testing.T
	next  map[dirKey]uint64
	ended map[dirKey]bool
}

func (c *streamCheck) Stream(ev *flows.StreamEvent) {
	k := dirKey{ev.FlowID, ev.Dir}
	if c.ended[k] {
		c.t.Fatalf("stream %v: event after the end", k)
	}
	if n, ok := c.next[k]; ok && n != ev.Offset {
		c.t.Fatalf("stream %v: event at %d, want %d", k, ev.Offset, n)
	}
	if (len(ev.Data) > 0) == (ev.Gap > 0) && !ev.End {
		c.t.Fatalf("stream %v: event with %d bytes and a gap of %d", k, len(ev.Data), ev.Gap)
	}
	c.next[k] = ev.Offset + uint64(len(ev.Data)) + ev.Gap
	c.ended[k] = ev.End
}
