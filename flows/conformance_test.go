package flows_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/internal/plugintest"
	"github.com/pcap2table/pcap2table/internal/reftest"
	"github.com/pcap2table/pcap2table/parsers"
	"github.com/pcap2table/pcap2table/table"
)

const capturesDir = "../testdata/captures"

// track decodes a capture and runs the tracker over it, returning the
// labelled packet rows and the flows.
func track(t testing.TB, paths ...string) ([]parsers.PacketRow, []flows.Row) {
	t.Helper()
	return trackWith(t, flows.DefaultConfig(), nil, paths...)
}

// trackWith is track with a configuration and a stream handler.
func trackWith(t testing.TB, cfg flows.Config, h streamHandler, paths ...string) ([]parsers.PacketRow, []flows.Row) {
	t.Helper()
	rows := decodeRows(t, paths...)
	return rows, feed(cfg, h, rows)
}

// decodeRows decodes captures (merged by time) into rows that own their
// payload bytes.
func decodeRows(t testing.TB, paths ...string) []parsers.PacketRow {
	t.Helper()
	return reftest.Decode(t, paths...)
}

// feed runs a tracker of one shard over rows (labelling them), a batch
// per packet (the timeouts apply after every packet), with the stream
// handler h (nil: none), and returns the flows.
func feed(cfg flows.Config, h streamHandler, rows []parsers.PacketRow) []flows.Row {
	return feedBatches(cfg, 1, h, rows, 1)
}

// feedBatches runs a tracker of the given shards over rows (labelling
// them) in batches of batch rows, with the stream handler h (nil: none;
// one shard only, as each shard calls its handler on its own goroutine),
// and returns the flows.
func feedBatches(cfg flows.Config, shards int, h streamHandler, rows []parsers.PacketRow, batch int) []flows.Row {
	tr := flows.NewTracker(cfg, shards)
	if h != nil {
		if shards > 1 {
			panic("feedBatches: one stream handler for several shards")
		}
		withStreams(tr, func() streamHandler { return h })
	}
	return feedTracker(tr, rows, batch)
}

// feedTracker subscribes to tr's flows, feeds it rows in batches of
// batch rows and closes it (plugintest.Feed), returning the flows' rows.
func feedTracker(tr *flows.Tracker, rows []parsers.PacketRow, batch int) []flows.Row {
	fl := &plugintest.Flows{}
	tr.Subscribe(fl)
	plugintest.Feed(tr, rows, batch)
	return fl.Rows
}

// A streamHandler consumes the reassembled TCP streams, one event at a
// time, as a plugin's StreamHook does, without the Conn.
type streamHandler interface {
	Stream(ev *flows.StreamEvent)
}

// streamPlugin is a plugin that hands the stream events to a
// streamHandler; it writes no rows.
type streamPlugin struct{ h streamHandler }

func (p streamPlugin) Schema() *table.Schema                       { return testSchema }
func (p streamPlugin) Stream(_ *flows.Conn, ev *flows.StreamEvent) { p.h.Stream(ev) }

// withStreams registers a streamPlugin with each shard of tr, its handler
// made by mk (once per shard: a shard calls its own on its goroutine).
func withStreams(tr *flows.Tracker, mk func() streamHandler) {
	out := table.NewOutput(table.NewBatch(testSchema, 1), 1<<30, nil)
	if err := tr.Register(func(*flows.Output) flows.Plugin { return streamPlugin{mk()} }, out); err != nil {
		panic(err)
	}
}

// TestCommunityIDWithTshark compares every packet's community_id with
// tshark's communityid field on the real captures.
func TestCommunityIDWithTshark(t *testing.T) {
	var total, agree, both, unexplained int
	kinds := map[string]int{}
	for _, name := range reftest.Captures(t, capturesDir) {
		ref := reftest.ReadTSV(t, filepath.Join(capturesDir, "ref-nodefrag", name+".packets.tsv"))
		if ref == nil {
			ref = reftest.ReadTSV(t, filepath.Join(capturesDir, "ref", name+".packets.tsv"))
		}
		rows, _ := track(t, filepath.Join(capturesDir, name))
		for i := range rows {
			if i >= len(ref) {
				break
			}
			total++
			want := ref[i]["communityid"]
			got := ""
			if rows[i].Has(parsers.ColCommunityID) {
				got = string(rows[i].CommunityID[:])
			}
			if got == want {
				agree++
				if got != "" {
					both++
				}
				continue
			}
			kind := "differs"
			switch {
			case rows[i].Has(parsers.ColFragOffset) && rows[i].FragOffset > 0:
				// A later fragment: tshark hashes its addresses only
				// (IPv4) or nothing (IPv6); ours is its datagram's flow.
				kind = "explained: later fragment"
			case rows[i].Tunnel == "teredo" && rows[i].IPProto != 17 && rows[i].IPProto != 6:
				// tshark hashes the inner IPv6 addresses with the outer
				// UDP protocol and ports; the inner packet has no transport.
				kind = "explained: teredo"
			case want == "":
				kind = "only ours"
			case got == "":
				kind = "only tshark"
			}
			kinds[kind]++
			if !strings.HasPrefix(kind, "explained") {
				unexplained++
			}
			if kinds[kind] <= 3 {
				t.Logf("%s frame %d: %s: ours %q tshark %q (%s)", name, i+1, kind, got, want, ref[i]["frame.protocols"])
			}
		}
	}
	t.Logf("community_id: %d of %d packets agree (%d with a value), disagreements %v", agree, total, both, kinds)
	if unexplained > 0 {
		t.Errorf("%d packets' community_id differ from tshark's without an explanation", unexplained)
	}
	if both < 9000 {
		t.Errorf("only %d packets compared with a value: captures missing?", both)
	}
}

// conv is one direction-aware conversation total.
type conv struct {
	framesAB, framesBA uint64
	bytesAB, bytesBA   uint64 // frame bytes; tshark's are exact only below 1 kB ("N bytes")
	exactAB, exactBA   bool
}

// convKey names a conversation by protocol and its two endpoints in
// tshark's order ("addr:port").
type convKey struct{ proto, a, b string }

// readConv parses tshark's -z conv,tcp -z conv,udp output.
func readConv(t testing.TB, path string) map[convKey]*conv {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	out := map[convKey]*conv{}
	proto := ""
	for _, line := range strings.Split(string(data), "\n") {
		switch {
		case strings.HasPrefix(line, "TCP Conversations"):
			proto = "tcp"
			continue
		case strings.HasPrefix(line, "UDP Conversations"):
			proto = "udp"
			continue
		}
		f := strings.Fields(line)
		if len(f) < 9 || f[1] != "<->" {
			continue
		}
		// A <-> B  framesBA bytes unit  framesAB bytes unit  ...
		var c conv
		var ok1, ok2 bool
		c.framesBA, ok1 = atou(f[3])
		c.bytesBA, c.exactBA = parseBytes(f[4], f[5])
		c.framesAB, ok2 = atou(f[6])
		c.bytesAB, c.exactAB = parseBytes(f[7], f[8])
		if !ok1 || !ok2 {
			continue
		}
		k := convKey{proto, f[0], f[2]}
		if prev := out[k]; prev != nil { // the same tuple reused: add up
			prev.framesAB += c.framesAB
			prev.framesBA += c.framesBA
			prev.exactAB, prev.exactBA = false, false
			continue
		}
		out[k] = &c
	}
	return out
}

func atou(s string) (uint64, bool) {
	var n uint64
	if s == "" {
		return 0, false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}

func parseBytes(n, unit string) (uint64, bool) {
	v, ok := atou(n)
	return v, ok && unit == "bytes"
}

// TestConversationsWithTshark compares, per TCP and UDP conversation,
// the frames and bytes each way with tshark's conversations table. Our
// flows of one 5-tuple are added up first (tshark's UDP conversations
// have no timeout and no VLAN in the key).
func TestConversationsWithTshark(t *testing.T) {
	var total, agree int
	kinds := map[string]int{}
	for _, name := range reftest.Captures(t, capturesDir) {
		ref := readConv(t, filepath.Join(capturesDir, "ref", name+".conv.txt"))
		if len(ref) == 0 {
			continue
		}
		rows, _ := track(t, filepath.Join(capturesDir, name))
		ours := map[convKey]*conv{}
		fragDatagram := map[convKey]bool{}
		for i := range rows {
			r := &rows[i]
			if !r.Has(parsers.ColFlowID) {
				continue
			}
			proto := map[uint8]string{6: "tcp", 17: "udp"}[r.IPProto]
			if proto == "" {
				continue
			}
			// find the conversation by the flow's endpoints: the first
			// fragment of a datagram names it
			src := r.SrcIP.String() + ":"
			dst := r.DstIP.String() + ":"
			if r.Has(parsers.ColSrcPort) {
				src += itoa(r.SrcPort)
				dst += itoa(r.DstPort)
			}
			k, ab := convKey{proto, src, dst}, true
			if ref[k] == nil && ref[convKey{proto, dst, src}] != nil {
				k, ab = convKey{proto, dst, src}, false
			}
			if !r.Has(parsers.ColSrcPort) {
				continue // a later fragment: tshark puts the datagram on it
			}
			if r.MoreFrags {
				fragDatagram[k] = true
			}
			c := ours[k]
			if c == nil {
				c = &conv{}
				ours[k] = c
			}
			if ab {
				c.framesAB++
				c.bytesAB += uint64(r.Length)
			} else {
				c.framesBA++
				c.bytesBA += uint64(r.Length)
			}
		}
		for k, want := range ref {
			total++
			got := ours[k]
			if got != nil && got.framesAB == want.framesAB && got.framesBA == want.framesBA &&
				(!want.exactAB || got.bytesAB == want.bytesAB) && (!want.exactBA || got.bytesBA == want.bytesBA) {
				agree++
				continue
			}
			kind := "unexplained"
			switch {
			case got == nil && (tunnelPort[portOf(k.a)] || tunnelPort[portOf(k.b)]):
				kind = "tunnel carrier" // tshark also lists the outer UDP conversation
			case fragDatagram[k]:
				kind = "reassembled datagram" // tshark counts it once, on its last fragment
			case name == "tcpdump--tests--ipv6-routing-header.pcap":
				kind = "routing header final destination" // tshark keys by it; see docs/fidelity.md
			}
			kinds[kind]++
			t.Logf("%s: %v: %s: ours %+v tshark %+v", name, k, kind, got, *want)
		}
	}
	t.Logf("conversations: %d of %d agree with tshark; disagreements %v", agree, total, kinds)
	// The kinds docs/fidelity.md explains, and how many of each.
	want := map[string]int{"tunnel carrier": 5, "reassembled datagram": 4, "routing header final destination": 2}
	for k, n := range kinds {
		if n > want[k] {
			t.Errorf("%d conversations differ from tshark as %q (explained: %d)", n, k, want[k])
		}
	}
	if agree < 1300 {
		t.Errorf("only %d conversations agree: captures missing?", agree)
	}
}

// tunnelPort: UDP ports of tunnels whose inner packets make the flows.
var tunnelPort = map[string]bool{"4789": true, "3544": true, "6081": true, "2152": true}

func portOf(ep string) string { return ep[strings.LastIndexByte(ep, ':')+1:] }

func itoa(x uint16) string {
	var b [5]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + x%10)
		x /= 10
		if x == 0 {
			break
		}
	}
	return string(b[i:])
}
