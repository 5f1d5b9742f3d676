package flows_test

import (
	"cmp"
	"crypto/sha256"
	"fmt"
	"hash"
	"maps"
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/internal/reftest"
)

// collector is a StreamHandler that hashes each direction of each flow
// and checks the events are in order.
type collector struct {
	t     testing.TB
	dirs  map[dirKey]*dirStream
	gapAt map[uint64]uint64 // if not nil: gap bytes by offset
}

type dirKey struct {
	flow uint64
	dir  flows.Dir
}

type dirStream struct {
	h      hash.Hash
	data   []byte // kept when collector.keep
	n      uint64 // bytes of data
	next   uint64 // expected offset of the next event
	gaps   uint64 // bytes in gaps
	nGaps  int
	ended  bool
	events int
}

func newCollector(t testing.TB) *collector {
	return &collector{t: t, dirs: map[dirKey]*dirStream{}}
}

func (c *collector) Stream(ev *flows.StreamEvent) {
	k := dirKey{ev.FlowID, ev.Dir}
	d := c.dirs[k]
	if d == nil {
		d = &dirStream{h: sha256.New(), next: ev.Offset}
		c.dirs[k] = d
	}
	d.events++
	if d.ended {
		c.t.Errorf("flow %x dir %d: event after the end", ev.FlowID, ev.Dir)
	}
	if ev.Offset != d.next {
		c.t.Errorf("flow %x dir %d: event at offset %d, want %d", ev.FlowID, ev.Dir, ev.Offset, d.next)
	}
	switch {
	case ev.End:
		d.ended = true
	case len(ev.Data) > 0:
		if ev.Gap != 0 {
			c.t.Errorf("flow %x: data and gap in one event", ev.FlowID)
		}
		d.h.Write(ev.Data)
		d.data = append(d.data, ev.Data...)
		d.n += uint64(len(ev.Data))
		d.next += uint64(len(ev.Data))
	case ev.Gap > 0:
		d.gaps += ev.Gap
		d.nGaps++
		if c.gapAt != nil {
			c.gapAt[ev.Offset] += ev.Gap
		}
		d.next += ev.Gap
	default:
		c.t.Errorf("flow %x dir %d: empty event", ev.FlowID, ev.Dir)
	}
}

func endpoint(a netip.Addr, port uint16) string {
	return netip.AddrPortFrom(a, port).String()
}

// TestStreamsWithTshark compares the reassembled payload of every TCP flow
// with tshark's "Follow TCP Stream" (testdata/make-local-refs.sh): per
// direction the same bytes, by length and SHA-256. The differences are of
// two explained kinds (docs/fidelity.md), checked here:
//   - idle split: tshark follows one stream across a silence longer than
//     the TCP idle timeout, where we (as Zeek) end the flow and start
//     another; the concatenation of our flows is tshark's stream, or each
//     is (the later flow is a retransmission, which tshark drops);
//   - stops at a hole: tshark's stream ends where segments are missing,
//     ours skips the hole and goes on; tshark's bytes are ours up to the
//     first gap.
func TestStreamsWithTshark(t *testing.T) {
	var compared, agree int
	kinds := map[string]int{}
	for _, name := range reftest.Captures(t, capturesDir) {
		ref := reftest.ReadTSV(t, filepath.Join(capturesDir, "ref-follow", name+".follow.tsv"))
		if ref == nil {
			continue
		}
		c := newCollector(t)
		_, fl := trackWith(t, flows.DefaultConfig(), c, filepath.Join(capturesDir, name))
		slices.SortStableFunc(fl, func(a, b flows.Row) int { return cmp.Compare(a.TSStart, b.TSStart) })
		// ours: "from to" -> the directions with data, by flow start
		ours := map[string][]*dirStream{}
		for i := range fl {
			f := &fl[i]
			if f.IPProto != 6 {
				continue
			}
			o, r := endpoint(f.SrcIP, f.SrcPort), endpoint(f.DstIP, f.DstPort)
			for _, dir := range []flows.Dir{flows.FromOrig, flows.FromResp} {
				from, to := o, r
				if dir == flows.FromResp {
					from, to = r, o
				}
				d := c.dirs[dirKey{f.FlowID, dir}]
				if d == nil || d.n == 0 {
					continue
				}
				if !d.ended {
					t.Errorf("%s: flow %x dir %d: no end event", name, f.FlowID, dir)
				}
				ours[from+" "+to] = append(ours[from+" "+to], d)
			}
		}
		theirs := map[string][]string{}
		for _, r := range ref {
			if r["bytes"] == "0" {
				continue
			}
			k := r["from"] + " " + r["to"]
			theirs[k] = append(theirs[k], r["bytes"]+" "+r["sha256"])
		}
		for k, want := range theirs {
			var got []string
			var all []byte
			for _, d := range ours[k] {
				got = append(got, digest(d.data))
				all = append(all, d.data...)
			}
			slices.Sort(got)
			slices.Sort(want)
			compared += len(want)
			switch {
			case slices.Equal(got, want):
				agree += len(want)
			case len(want) == 1 && len(got) > 1 && digest(all) == want[0]:
				kinds["idle split"]++
			case len(want) == 1 && len(got) > 1 && allEqual(got, want[0]):
				kinds["idle split, retransmitted"]++
			case len(want) == 1 && len(got) == 1 && ours[k][0].nGaps > 0 && prefixDigest(ours[k][0], want[0]):
				kinds["stops at a hole"]++
			default:
				t.Errorf("%s: stream %s: got %v, tshark %v", name, k, got, want)
			}
		}
		for k, got := range ours {
			if theirs[k] == nil {
				t.Errorf("%s: stream %s: got %d flows, tshark has none", name, k, len(got))
			}
		}
	}
	t.Logf("%d of %d stream directions agree with tshark; explained: %v", agree, compared, kinds)
	if compared < 100 {
		t.Errorf("only %d stream directions compared", compared)
	}
	// The explained differences, as docs/fidelity.md counts them.
	if want := map[string]int{"idle split": 1, "idle split, retransmitted": 1, "stops at a hole": 2}; !maps.Equal(kinds, want) {
		t.Errorf("explained differences %v, want %v", kinds, want)
	}
}

func allEqual(got []string, want string) bool {
	for _, g := range got {
		if g != want {
			return false
		}
	}
	return true
}

func digest(b []byte) string { return fmt.Sprintf("%d %x", len(b), sha256.Sum256(b)) }

// prefixDigest reports whether want ("bytes sha256") is the digest of the
// stream's bytes before its first gap.
func prefixDigest(d *dirStream, want string) bool {
	n, err := strconv.Atoi(strings.Fields(want)[0])
	return err == nil && n <= len(d.data) && digest(d.data[:n]) == want
}
