package flows_test

import (
	"bytes"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/internal/plugintest"
	"github.com/pcap2table/pcap2table/parsers"
)

// The HTTP download of dpkt's http.pcap (client port 3372): frame 10 is a
// 1380-byte server segment (stream offset 2760), acknowledged by frame 12.
// testdata/edited/http-lost-segment.pcap is the capture without frame 10
// (editcap, see testdata/edited/README.md).
const (
	httpCapture = capturesDir + "/dpkt--examples--data--http.pcap"
	httpLost    = "../testdata/edited/http-lost-segment.pcap"
	lostOffset  = 2760
	lostLen     = 1380
)

// download returns the flow of port 3372 and its server-to-client stream.
func download(t *testing.T, fl []flows.Row, c *collector) (*flows.Row, *dirStream) {
	t.Helper()
	for i := range fl {
		if fl[i].SrcPort == 3372 {
			d := c.dirs[dirKey{fl[i].FlowID, flows.FromResp}]
			if d == nil {
				t.Fatal("no stream from the server")
			}
			return &fl[i], d
		}
	}
	t.Fatal("no flow from port 3372")
	return nil, nil
}

// TestGap drops a data segment from a real TCP stream: the flow reports
// the missing bytes (missed_bytes, history g) and the stream resumes after
// the hole with the bytes the whole capture has there.
func TestGap(t *testing.T) {
	whole := newCollector(t)
	_, fl := trackWith(t, flows.DefaultConfig(), whole, httpCapture)
	wf, ws := download(t, fl, whole)
	if wf.Missed != 0 || ws.nGaps != 0 {
		t.Fatalf("whole capture: missed %d, %d gaps", wf.Missed, ws.nGaps)
	}

	lost := newCollector(t)
	lost.gapAt = map[uint64]uint64{}
	_, fl = trackWith(t, flows.DefaultConfig(), lost, httpLost)
	f, s := download(t, fl, lost)
	if f.Missed != lostLen {
		t.Errorf("missed_bytes %d, want %d", f.Missed, lostLen)
	}
	if h := string(f.History[:f.HistoryLen]); !strings.Contains(h, "g") {
		t.Errorf("history %q has no g", h)
	}
	if f.Orig.Bytes != wf.Orig.Bytes || f.Resp.Bytes != wf.Resp.Bytes {
		t.Errorf("bytes %d/%d, whole capture %d/%d: sequence numbers count lost bytes too", f.Orig.Bytes, f.Resp.Bytes, wf.Orig.Bytes, wf.Resp.Bytes)
	}
	if s.nGaps != 1 || lost.gapAt[lostOffset] != lostLen {
		t.Errorf("gaps %v (%d), want %d bytes at %d", lost.gapAt, s.nGaps, lostLen, lostOffset)
	}
	want := slices.Concat(ws.data[:lostOffset], ws.data[lostOffset+lostLen:])
	if !bytes.Equal(s.data, want) {
		t.Errorf("stream: %d bytes, want the whole capture's %d without the lost %d", len(s.data), len(ws.data), lostLen)
	}
}

// TestLateSegment moves the lost segment after its acknowledgement (as a
// second capture point can deliver it): within the reassembly wait it
// fills the hole, nothing is missed; with no wait (Zeek's behaviour) the
// hole is skipped on the acknowledgement and the late copy is a
// retransmission.
func TestLateSegment(t *testing.T) {
	rows := decodeRows(t, httpCapture)
	// frame 10 after frame 12 (its acknowledgement)
	late := slices.Clone(rows)
	seg := late[9]
	if seg.Frame != 10 || seg.PayloadLen != lostLen {
		t.Fatalf("frame %d with %d bytes: not the segment", seg.Frame, seg.PayloadLen)
	}
	late = slices.Insert(slices.Delete(late, 9, 10), 11, seg)

	whole := newCollector(t)
	_, wf := trackWith(t, flows.DefaultConfig(), whole, httpCapture)
	_, ws := download(t, wf, whole)

	c := newCollector(t)
	fl := feed(flows.DefaultConfig(), c, clone(late))
	f, s := download(t, fl, c)
	if f.Missed != 0 || s.nGaps != 0 || !bytes.Equal(s.data, ws.data) {
		t.Errorf("within the wait: missed %d, %d gaps, stream equal %v", f.Missed, s.nGaps, bytes.Equal(s.data, ws.data))
	}
	if f.OutOfOrder == 0 {
		t.Error("the late segment is not counted out of order")
	}

	cfg := flows.DefaultConfig()
	cfg.ReassemblyWait = 0
	c = newCollector(t)
	fl = feed(cfg, c, clone(late))
	f, s = download(t, fl, c)
	if f.Missed != lostLen || s.nGaps != 1 || f.Retransmits == 0 {
		t.Errorf("no wait: missed %d, %d gaps, %d retransmits; want %d, 1, > 0", f.Missed, s.nGaps, f.Retransmits, lostLen)
	}
}

// TestReassemblyCaps makes the caps tiny: the stream gives up its hole at
// once (a cap hit), and the flow and stream stay whole otherwise.
func TestReassemblyCaps(t *testing.T) {
	rows := decodeRows(t, httpLost)
	for _, cs := range []struct {
		cfg   func(*flows.Config)
		bound int
	}{
		{func(c *flows.Config) { c.ReassemblyFlowCap = 100 }, flows.CapFlow},
		{func(c *flows.Config) { c.ReassemblyCap = 100 }, flows.CapTotal},
	} {
		c := flows.DefaultConfig()
		cs.cfg(&c)
		col := newCollector(t)
		tr := flows.NewTracker(c, 1)
		withStreams(tr, func() streamHandler { return col })
		fl := &plugintest.Flows{}
		tr.Subscribe(fl)
		for i := range rows {
			tr.Observe(rows[i : i+1])
		}
		if w := flows.Waiting(tr); w != 0 {
			t.Errorf("%d bytes waiting after a cap hit", w)
		}
		tr.Close()
		if hits := tr.Counters().CapHits; hits[cs.bound] == 0 {
			t.Errorf("no hit of cap %d: %v", cs.bound, hits)
		}
		f, s := download(t, fl.Rows, col)
		if s.nGaps != 1 || s.gaps != lostLen || f.Missed != lostLen {
			t.Errorf("gaps %d (%d bytes), missed %d; want 1 gap of %d", s.nGaps, s.gaps, f.Missed, lostLen)
		}
	}
}

// TestDefragOrder feeds the fragments of real fragmented captures in
// reverse order and with a duplicate: the flows and streams are those of
// the capture in order.
func TestDefragOrder(t *testing.T) {
	for _, name := range []string{
		"pcapplusplus--Tests--ExamplesTest--pcap_examples--frag_http_req.pcap",
		"pcapplusplus--Tests--Pcap__Test--PcapExamples--ip6_fragments.pcap",
		"pcap-analyzer--assets--frag_tcp_80_ipv4.pcap",
	} {
		t.Run(name, func(t *testing.T) {
			rows := decodeRows(t, filepath.Join(capturesDir, name))
			c := newCollector(t)
			want := feed(flows.DefaultConfig(), c, clone(rows))
			// reverse the fragments of each datagram, and repeat its last one
			var shuffled []parsers.PacketRow
			frag := func(r *parsers.PacketRow) bool {
				return r.Has(parsers.ColFragOffset) && (r.FragOffset > 0 || r.MoreFrags)
			}
			for i := 0; i < len(rows); {
				j := i
				for j < len(rows) && frag(&rows[j]) && rows[j].IPID == rows[i].IPID {
					j++
				}
				if j == i {
					shuffled = append(shuffled, rows[i])
					i++
					continue
				}
				run := slices.Clone(rows[i:j])
				slices.Reverse(run)
				// the datagram completes on the (reversed) last fragment: keep
				// the original last timestamp on it so flows compare equal
				for k := range run {
					run[k].TS = rows[i+k].TS
				}
				shuffled = append(shuffled, run[0])
				shuffled = append(shuffled, run...)
				i = j
			}
			c2 := newCollector(t)
			got := feed(flows.DefaultConfig(), c2, shuffled)
			if len(got) != len(want) {
				t.Fatalf("%d flows, in order %d", len(got), len(want))
			}
			// the flows start at other times (ids differ): match by tuple
			byTuple := func(fl []flows.Row) {
				slices.SortFunc(fl, func(a, b flows.Row) int { return strings.Compare(tuple(&a), tuple(&b)) })
			}
			byTuple(want)
			byTuple(got)
			for i := range want {
				w, g := &want[i], &got[i]
				if tuple(w) != tuple(g) || w.Orig.Pkts != g.Orig.Pkts || w.Resp.Pkts != g.Resp.Pkts || w.Orig.IPBytes != g.Orig.IPBytes ||
					w.Resp.IPBytes != g.Resp.IPBytes || w.Orig.Bytes != g.Orig.Bytes {
					t.Errorf("flow %s: %+v / %+v, in order %s: %+v / %+v", tuple(g), g.Orig, g.Resp, tuple(w), w.Orig, w.Resp)
				}
				for _, dir := range []flows.Dir{flows.FromOrig, flows.FromResp} {
					d, d2 := c.dirs[dirKey{w.FlowID, dir}], c2.dirs[dirKey{g.FlowID, dir}]
					if (d == nil) != (d2 == nil) || d != nil && !bytes.Equal(d.data, d2.data) {
						t.Errorf("flow %s: stream %d differs", tuple(g), dir)
					}
				}
			}
		})
	}
}

// TestFragTimeout drops the last fragment of each datagram: after the
// timeout (here the end of input) the incomplete datagrams still count
// (and a first fragment alone is not checksummed: its checksum covers the
// whole datagram).
func TestFragTimeout(t *testing.T) {
	rows := decodeRows(t, filepath.Join(capturesDir, "pcapplusplus--Tests--ExamplesTest--pcap_examples--frag_http_req.pcap"))
	var kept []parsers.PacketRow
	for _, r := range rows {
		if r.Has(parsers.ColFragOffset) && r.FragOffset > 0 && !r.MoreFrags {
			continue
		}
		kept = append(kept, r)
	}
	cfg := flows.DefaultConfig()
	cfg.FragTimeout = time.Millisecond
	cfg.VerifyChecksums = true
	tr := flows.NewTracker(cfg, 1)
	fl := feedTracker(tr, kept, 1)
	c := tr.Counters()
	if c.Datagrams != 0 || c.Incomplete == 0 || c.Unassigned != 0 {
		t.Errorf("reassembled %d, incomplete %d, unassigned %d", c.Datagrams, c.Incomplete, c.Unassigned)
	}
	var pkts uint64
	for _, f := range fl {
		pkts += f.Orig.Pkts + f.Resp.Pkts
		if h := string(f.History[:f.HistoryLen]); strings.ContainsAny(h, "Cc") {
			t.Errorf("flow %s: history %q: a checksum checked on a fragment", tuple(&f), h)
		}
	}
	ip := 0
	for _, r := range kept {
		if r.Has(parsers.ColSrcIP) {
			ip++
		}
	}
	if pkts != uint64(ip) {
		t.Errorf("flows count %d packets, the capture has %d IP packets left", pkts, ip)
	}
}

func tuple(f *flows.Row) string {
	return f.Proto + " " + endpoint(f.SrcIP, f.SrcPort) + " " + endpoint(f.DstIP, f.DstPort)
}

// clone copies rows (the tracker labels them).
func clone(rows []parsers.PacketRow) []parsers.PacketRow { return slices.Clone(rows) }

// TestCapGiveUpMissed: the bytes of a hole given up at a reassembly cap
// are missed_bytes (and history g) once the peer acknowledges them: the
// receiver had them, the capture did not; a hole that no acknowledgement
// ever covers is not counted (the sender may have lost it too, and a
// retransmission, seen or not, would fill it), as the end of a flow
// treats any hole.
func TestCapGiveUpMissed(t *testing.T) {
	const t0 = int64(1e18)
	seg := func(back bool, flags uint16, seq, ack uint32, n int, ts int64) parsers.PacketRow {
		r := tcpRow(40000, flags, back, t0+ts)
		r.TCPSeq, r.TCPAck = seq, ack
		r.Payload = make([]byte, n)
		r.PayloadLen = uint32(n)
		r.IPLen = uint16(40 + n)
		r.Set(parsers.ColIPLen)
		return r
	}
	for _, acked := range []bool{false, true} {
		rows := []parsers.PacketRow{
			seg(false, 0x02, 1000, 0, 0, 0),      // SYN
			seg(true, 0x12, 5000, 1001, 0, 1),    // SYN-ACK
			seg(false, 0x10, 1001, 5001, 0, 2),   // ACK
			seg(false, 0x18, 1001, 5001, 100, 3), // bytes 1..100
			seg(false, 0x18, 1201, 5001, 100, 4), // 201..300: 101..200 lost
			seg(false, 0x18, 1301, 5001, 100, 5), // 301..400: past the 150-byte cap
			seg(true, 0x10, 5001, 1101, 0, 6),    // acknowledges 1..100 only
			seg(false, 0x11, 1401, 5001, 0, 7),   // FIN
			seg(true, 0x11, 5001, 1101, 0, 8),    // FIN, the hole unacknowledged
			seg(false, 0x10, 1402, 5002, 0, 9),
		}
		if acked {
			rows[6].TCPAck = 1401 // ...or acknowledged, with everything
		}
		cfg := flows.DefaultConfig()
		cfg.ReassemblyFlowCap = 150
		tr := flows.NewTracker(cfg, 1)
		fl := &plugintest.Flows{}
		tr.Subscribe(fl)
		plugintest.Feed(tr, rows, 1)
		if hits := tr.Counters().CapHits[flows.CapFlow]; hits != 1 || len(fl.Rows) != 1 {
			t.Fatalf("acked %v: %d cap hits, %d flows", acked, hits, len(fl.Rows))
		}
		f := fl.Rows[0]
		hist := string(f.History[:f.HistoryLen])
		wantMissed, wantG := uint64(0), false
		if acked {
			wantMissed, wantG = 100, true
		}
		if f.Missed != wantMissed || strings.ContainsAny(hist, "gG") != wantG {
			t.Errorf("acked %v: missed %d, history %s; want %d, g %v", acked, f.Missed, hist, wantMissed, wantG)
		}
	}
}
