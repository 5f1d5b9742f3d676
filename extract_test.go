package pcap2table_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/pcap2table/pcap2table"
	"github.com/pcap2table/pcap2table/parsers/capture"
	"github.com/pcap2table/pcap2table/sniff"
)

// extFlow is a row of the flows table: its columns as JSON, and the few
// the tests pick flows by.
type extFlow struct {
	cols    map[string]json.RawMessage
	id      uint64
	proto   string
	src     string
	dstPort int // -1: null
	start   time.Time
	end     time.Time
}

// extPacketRow is a row of the packets table, as far as the tests need.
type extPacketRow struct {
	File   string  `json:"file"`
	Frame  uint64  `json:"frame"`
	FlowID *uint64 `json:"flow_id"`
}

// extConvert converts inputs to the packets and flows tables (JSONL) and
// reads them back.
func extConvert(t *testing.T, inputs []string, dedup bool) ([]extPacketRow, []extFlow) {
	t.Helper()
	dir := t.TempDir()
	if _, err := pcap2table.Convert(context.Background(), inputs, pcap2table.Options{
		Output: dir, Tables: []string{"packets", "flows"}, Format: "jsonl", Jobs: 1, Dedup: dedup}); err != nil {
		t.Fatal(err)
	}
	var pkts []extPacketRow
	extReadLines(t, filepath.Join(dir, "packets.jsonl"), func(line []byte) {
		var p extPacketRow
		if err := json.Unmarshal(line, &p); err != nil {
			t.Fatal(err)
		}
		pkts = append(pkts, p)
	})
	return pkts, extReadFlows(t, filepath.Join(dir, "flows.jsonl"))
}

func extReadFlows(t *testing.T, path string) []extFlow {
	t.Helper()
	var fl []extFlow
	extReadLines(t, path, func(line []byte) {
		f := extFlow{dstPort: -1}
		if err := json.Unmarshal(line, &f.cols); err != nil {
			t.Fatal(err)
		}
		var s struct {
			ID      uint64    `json:"flow_id"`
			Proto   string    `json:"proto"`
			Src     string    `json:"src_ip"`
			DstPort *int      `json:"dst_port"`
			Start   time.Time `json:"ts_start"`
			End     time.Time `json:"ts_end"`
		}
		if err := json.Unmarshal(line, &s); err != nil {
			t.Fatal(err)
		}
		f.id, f.proto, f.src, f.start, f.end = s.ID, s.Proto, s.Src, s.Start, s.End
		if s.DstPort != nil {
			f.dstPort = *s.DstPort
		}
		fl = append(fl, f)
	})
	return fl
}

func extReadLines(t *testing.T, path string, f func([]byte)) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for line := range bytes.Lines(b) {
		if len(bytes.TrimSpace(line)) > 0 {
			f(line)
		}
	}
}

// extCapture reads a capture with the project's reader; Data is copied.
func extCapture(t *testing.T, path string) ([]capture.Packet, *capture.Info) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := sniff.Open(f, capture.ReadBufferSize)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, err := capture.Open(s, 0, path)
	if err != nil {
		t.Fatal(err)
	}
	var out []capture.Packet
	for {
		var p capture.Packet
		err := r.Next(&p)
		if err == io.EOF {
			return out, r.Info()
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		p.Data = slices.Clone(p.Data)
		out = append(out, p)
	}
}

// extIface is what an output interface should say.
type extIface struct {
	name     string
	linkType layers.LinkType
	snapLen  uint32
}

// TestExtract converts real captures, picks flows from the flows table,
// extracts them, and reads the output back: exactly the packets whose
// flow_id was chosen, in the packets table's order, with their bytes,
// lengths, timestamps, link types and interfaces; converted again, the
// output gives the same rows of the flows table for those flows, flow_id
// included.
func TestExtract(t *testing.T) {
	const http = captures + "dpkt--examples--data--http.pcap"
	const multi = captures + "zeek--testing--btest--Traces--pcapng-multi-interface.pcapng"
	const test100 = captures + "pcapng-test-generator--output_be--advanced--test100.pcapng"
	const many = captures + "pcapplusplus--Tests--Pcap__Test--PcapExamples--many_interfaces-1.pcapng"
	all := func(extFlow) bool { return true }
	// every IPv4 packet twice, as a SPAN port shows them (dedup_test.go)
	mirror := filepath.Join(t.TempDir(), "mirrored.pcap")
	mirrored(t, http, mirror, 50*time.Microsecond, nil)
	for _, tc := range []struct {
		name   string
		inputs []string
		format string
		// pick is the flows the test wants; filter, when set, chooses
		// them in Extract (else their ids do)
		pick   func(extFlow) bool
		filter pcap2table.Selection
		flows  int // how many flows pick picks
		ifaces []extIface
		tshark bool // check that tshark reads it (a second each: a few cases)
		dedup  bool
		// backwards: the capture's time goes backwards, so that flow_id
		// hashes the index of the flow's first packet (docs/flows.md),
		// which the output changes
		backwards bool
	}{
		{name: "one tcp connection", inputs: []string{http}, flows: 1,
			pick: func(f extFlow) bool {
				return f.proto == "tcp" && f.src == "145.254.160.237" && f.start.Format("15:04:05") == "10:17:07"
			},
			ifaces: []extIface{{"", layers.LinkTypeEthernet, 65535}}},
		{name: "every flow", inputs: []string{http}, flows: 3, pick: all},
		{name: "two flows to classic pcap", inputs: []string{http}, format: "pcap", flows: 2, tshark: true,
			pick: func(f extFlow) bool { return f.dstPort == 80 }},
		{name: "filter: dst port and proto", inputs: []string{http}, flows: 2,
			pick:   func(f extFlow) bool { return f.dstPort == 80 && f.proto == "tcp" },
			filter: pcap2table.Selection{DstPort: []uint16{80}, Proto: []string{"tcp"}}},
		{name: "filter: host prefix and ip_proto number", inputs: []string{http}, flows: 1,
			pick:   func(f extFlow) bool { return f.dstPort == 53 },
			filter: pcap2table.Selection{Host: []netip.Prefix{netip.MustParsePrefix("145.253.0.0/16")}, Proto: []string{"17"}}},
		{name: "filter: from", inputs: []string{http}, flows: 2,
			// the first connection lasts 10:17:07-10:17:37, the DNS lookup 10:17:09.86-10:17:10.23, the second connection starts at 10:17:10.30
			pick:   func(f extFlow) bool { return f.dstPort == 80 },
			filter: pcap2table.Selection{From: time.Date(2004, 5, 13, 10, 17, 10, 250e6, time.UTC), To: time.Date(2004, 5, 13, 10, 17, 10, 300e6, time.UTC)}},
		{name: "filter: to", inputs: []string{http}, flows: 2,
			pick:   func(f extFlow) bool { return f.start.Before(time.Date(2004, 5, 13, 10, 17, 10, 290e6, time.UTC)) },
			filter: pcap2table.Selection{From: time.Date(2004, 5, 13, 10, 17, 9, 900e6, time.UTC), To: time.Date(2004, 5, 13, 10, 17, 10, 290e6, time.UTC)}},
		{name: "pcapng, two interfaces of two link types", inputs: []string{test100}, flows: 2, tshark: true,
			pick:   func(f extFlow) bool { return f.src == "192.168.0.10" || f.src == "192.168.1.139" }, // the two with timestamps
			ifaces: []extIface{{"eth0", layers.LinkTypeEthernet, 0}, {"null1", layers.LinkTypeNull, 0}}},
		{name: "pcapng, flows on two interfaces", inputs: []string{multi}, flows: 3, pick: all},
		{name: "pcapng of eleven interfaces", inputs: []string{many}, flows: 7,
			pick: func(f extFlow) bool { return f.proto == "udp" && f.dstPort == 53 }},
		{name: "two inputs merged: an interface per input and interface", inputs: []string{http, multi}, flows: 6, pick: all, tshark: true,
			ifaces: []extIface{{"", layers.LinkTypeEthernet, 65535}, {"eth0", layers.LinkTypeEthernet, 262144},
				{`\Device\NPF_{5AE6EDB4-EFF9-46B3-A3C2-EE50C688A9E6}`, layers.LinkTypeEthernet, 262144}}},
		{name: "--dedup: the copies are not written", inputs: []string{mirror}, dedup: true, flows: 1,
			pick: func(f extFlow) bool { return f.dstPort == 53 }},
		{name: "without --dedup: the copies are a flow of their own (VLAN 42)", inputs: []string{mirror}, flows: 2, backwards: true,
			pick: func(f extFlow) bool { return f.dstPort == 53 }},
		{name: "IPv4 fragments", inputs: []string{captures + "pcapplusplus--Tests--ExamplesTest--pcap_examples--frag_http_req.pcap"}, flows: 1, pick: all},
		{name: "IPv4 fragments of TCP", inputs: []string{captures + "pcap-analyzer--assets--frag_tcp_80_ipv4.pcap"}, flows: 2, pick: all},
		{name: "IPv6 fragments", inputs: []string{captures + "pcapplusplus--Tests--Pcap__Test--PcapExamples--ip6_fragments.pcap"}, flows: 1, tshark: true,
			pick: func(f extFlow) bool { return f.dstPort == 5353 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pkts, fl := extConvert(t, tc.inputs, tc.dedup)
			picked := map[uint64]extFlow{}
			var ids []uint64
			for _, f := range fl {
				if tc.pick(f) {
					picked[f.id] = f
					ids = append(ids, f.id)
				}
			}
			if len(picked) != tc.flows {
				t.Fatalf("the test picks %d flows, want %d", len(picked), tc.flows)
			}
			sel := tc.filter
			filtered := !extEmpty(sel)
			if !filtered {
				sel.FlowIDs = ids
			}
			format := tc.format
			if format == "" {
				format = "pcapng"
			}
			out := filepath.Join(t.TempDir(), "out."+format)
			var warnings []error
			st, err := pcap2table.Extract(context.Background(), tc.inputs, sel, pcap2table.ExtractOptions{
				Output: out, Dedup: tc.dedup, OnWarning: func(err error) { warnings = append(warnings, err) }})
			if err != nil || len(warnings) > 0 {
				t.Fatalf("Extract: %v (warnings %v)", err, warnings)
			}

			// the packets the packets table labels with the flows chosen,
			// in its order, as the inputs hold them
			orig := map[string]map[uint64]capture.Packet{}
			for i, in := range tc.inputs {
				ps, _ := extCapture(t, in)
				orig[in] = map[uint64]capture.Packet{}
				for _, p := range ps {
					p.File = i
					orig[in][p.Frame] = p
				}
			}
			var want []capture.Packet
			for _, r := range pkts {
				if r.FlowID != nil {
					if _, ok := picked[*r.FlowID]; ok {
						want = append(want, orig[r.File][r.Frame])
					}
				}
			}
			got, info := extCapture(t, out)
			if info.Format != format {
				t.Errorf("wrote %s, want %s", info.Format, format)
			}
			if len(got) != len(want) || st.Packets != uint64(len(want)) || st.Flows != tc.flows {
				t.Fatalf("wrote %d packets (stats: %d of %d flows), want %d of %d flows", len(got), st.Packets, st.Flows, len(want), tc.flows)
			}
			ifaceOf := map[[2]uint64]uint32{} // (input, interface) → output interface
			for i, g := range got {
				w := want[i]
				if !bytes.Equal(g.Data, w.Data) || g.CapLen != w.CapLen || g.Length != w.Length || g.Timestamp != w.Timestamp || g.LinkType != w.LinkType {
					t.Fatalf("packet %d: got %d/%d bytes at %d, link type %d; want frame %d of %s: %d/%d bytes at %d, link type %d",
						i+1, g.CapLen, g.Length, g.Timestamp, g.LinkType, w.Frame, tc.inputs[w.File], w.CapLen, w.Length, w.Timestamp, w.LinkType)
				}
				k := [2]uint64{uint64(w.File), uint64(w.Interface)}
				o, ok := ifaceOf[k]
				if !ok {
					o = uint32(len(ifaceOf)) // numbered as they first come
					ifaceOf[k] = o
				}
				if g.Interface != o {
					t.Fatalf("packet %d: interface %d, want %d (interface %d of %s)", i+1, g.Interface, o, w.Interface, tc.inputs[w.File])
				}
			}
			if format == "pcapng" {
				if st.Interfaces != len(ifaceOf) {
					t.Errorf("stats: %d interfaces, want %d", st.Interfaces, len(ifaceOf))
				}
				extCheckIfaces(t, out, len(ifaceOf), tc.ifaces)
			}

			// converted again, the output gives the same flows
			_, again := extConvert(t, []string{out}, false)
			if len(again) != len(picked) {
				t.Fatalf("the output converts to %d flows, want %d", len(again), len(picked))
			}
			for _, a := range again {
				f, ok := picked[a.id]
				if tc.backwards { // the ids hash the flows' places in the input: match by tuple and start
					for _, p := range picked {
						if bytes.Equal(p.cols["community_id"], a.cols["community_id"]) && p.start.Equal(a.start) {
							f, ok = p, true
						}
					}
				}
				if !ok {
					t.Fatalf("the output converts to flow %d, not one of %v", a.id, ids)
				}
				for k, v := range f.cols {
					// the end of the input comes sooner without the other flows' packets
					if k != "end_reason" && !(tc.backwards && k == "flow_id") && !bytes.Equal(a.cols[k], v) {
						t.Errorf("flow %d: %s is %s, was %s", a.id, k, a.cols[k], v)
					}
				}
			}
			if tc.tshark {
				extTshark(t, out, want)
			}
		})
	}
}

// extEmpty reports whether a selection is empty.
func extEmpty(s pcap2table.Selection) bool {
	return s.String() == ""
}

// extCheckIfaces reads the interfaces of a pcapng output with gopacket's
// reader.
func extCheckIfaces(t *testing.T, path string, n int, want []extIface) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewNgReader(f, pcapgo.DefaultNgReaderOptions)
	if err != nil {
		t.Fatal(err)
	}
	for { // the interfaces are read as their packets come
		if _, _, err := r.ReadPacketData(); err != nil {
			break
		}
	}
	if r.NInterfaces() != n {
		t.Fatalf("%d interfaces, want %d", r.NInterfaces(), n)
	}
	for i, w := range want {
		g, err := r.Interface(i)
		if err != nil {
			t.Fatal(err)
		}
		if g.Name != w.name || g.LinkType != w.linkType || g.SnapLength != w.snapLen {
			t.Errorf("interface %d: %q, link type %d, snap length %d; want %q, %d, %d", i, g.Name, g.LinkType, g.SnapLength, w.name, w.linkType, w.snapLen)
		}
	}
}

// extTshark checks that tshark, when installed, reads the output as the
// packets it holds.
func extTshark(t *testing.T, path string, want []capture.Packet) {
	t.Helper()
	if _, err := exec.LookPath("tshark"); err != nil {
		return
	}
	out, err := exec.Command("tshark", "-r", path, "-T", "fields", "-e", "frame.cap_len", "-e", "frame.len", "-e", "frame.time_epoch").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(want) {
		t.Fatalf("tshark reads %d packets, want %d", len(lines), len(want))
	}
	for i, l := range lines {
		w := want[i]
		ts := fmt.Sprintf("%d.%09d", w.Timestamp/1e9, w.Timestamp%1e9)
		if f := strings.Split(l, "\t"); len(f) != 3 || f[0] != strconv.Itoa(int(w.CapLen)) || f[1] != strconv.Itoa(int(w.Length)) || f[2] != ts {
			t.Fatalf("tshark reads packet %d as %q, want %d, %d, %s", i+1, l, w.CapLen, w.Length, ts)
		}
	}
}

// TestExtractNotFound: a flow id that matches no packet is a warning and
// ErrFlowNotFound when others matched (the output holds theirs), and
// ErrNoMatch with no output when none did.
func TestExtractNotFound(t *testing.T) {
	const http = captures + "dpkt--examples--data--http.pcap"
	_, fl := extConvert(t, []string{http}, false)
	known := fl[0].id
	const unknown = 12345
	for _, tc := range []struct {
		name    string
		sel     pcap2table.Selection
		err     error
		file    bool
		missing []uint64
	}{
		{"known and unknown", pcap2table.Selection{FlowIDs: []uint64{known, unknown}}, pcap2table.ErrFlowNotFound, true, []uint64{unknown}},
		{"known and unknown, twice", pcap2table.Selection{FlowIDs: []uint64{unknown, known, unknown, known}}, pcap2table.ErrFlowNotFound, true, []uint64{unknown}},
		{"unknown only", pcap2table.Selection{FlowIDs: []uint64{unknown}}, pcap2table.ErrNoMatch, false, []uint64{unknown}},
		{"a filter matching nothing", pcap2table.Selection{Dst: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}}, pcap2table.ErrNoMatch, false, nil},
		{"a port on flows without", pcap2table.Selection{Port: []uint16{0}}, pcap2table.ErrNoMatch, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.pcapng")
			var warnings []string
			st, err := pcap2table.Extract(context.Background(), []string{http}, tc.sel, pcap2table.ExtractOptions{
				Output: out, OnWarning: func(err error) { warnings = append(warnings, err.Error()) }})
			if !errors.Is(err, tc.err) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
			if tc.err == pcap2table.ErrNoMatch && errors.Is(err, pcap2table.ErrFlowNotFound) {
				t.Errorf("err %v is ErrFlowNotFound too", err)
			}
			if !slices.Equal(st.Missing, tc.missing) {
				t.Errorf("missing %v, want %v", st.Missing, tc.missing)
			}
			if len(tc.missing) > 0 && !strings.Contains(err.Error(), "flow_id "+strconv.Itoa(unknown)) {
				t.Errorf("the error does not name the id: %v", err)
			}
			if tc.file && (len(warnings) != 1 || !strings.Contains(warnings[0], strconv.Itoa(unknown))) {
				t.Errorf("warnings %q, want one naming %d", warnings, unknown)
			}
			_, serr := os.Stat(out)
			if (serr == nil) != tc.file {
				t.Errorf("output exists: %v, want %v", serr == nil, tc.file)
			}
			extNoTemporaries(t, filepath.Dir(out))
		})
	}
}

// extNoTemporaries checks that no temporary output is left in dir.
func extNoTemporaries(t *testing.T, dir string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary %s left behind", e.Name())
		}
	}
}

// TestExtractRefused: what Extract refuses before it writes anything.
func TestExtractRefused(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.pcap")
	src, err := os.ReadFile(captures + "dpkt--examples--data--http.pcap")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in, src, 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.pcap")
	if err := os.Symlink(in, link); err != nil {
		t.Fatal(err)
	}
	_, fl := extConvert(t, []string{in}, false)
	id := pcap2table.Selection{FlowIDs: []uint64{fl[0].id}}
	for _, tc := range []struct {
		name   string
		inputs []string
		sel    pcap2table.Selection
		o      pcap2table.ExtractOptions
		want   string
	}{
		{"output is the input", []string{in}, id, pcap2table.ExtractOptions{Output: in}, "refusing to write " + in + ": it is the input " + in},
		{"output is the input by a symlink", []string{in}, id, pcap2table.ExtractOptions{Output: link}, "refusing to write " + link},
		{"no output", []string{in}, id, pcap2table.ExtractOptions{}, "no output given"},
		{"nothing chosen", []string{in}, pcap2table.Selection{}, pcap2table.ExtractOptions{Output: filepath.Join(dir, "x.pcapng")}, "nothing to extract"},
		{"not a flow id", []string{in}, pcap2table.Selection{FlowIDs: []uint64{1 << 60}}, pcap2table.ExtractOptions{Output: filepath.Join(dir, "x.pcapng")}, "is not a flow_id"},
		{"unknown proto", []string{in}, pcap2table.Selection{Proto: []string{"tpc"}}, pcap2table.ExtractOptions{Output: filepath.Join(dir, "x.pcapng")}, `unknown --proto "tpc"`},
		{"unknown extension", []string{in}, id, pcap2table.ExtractOptions{Output: filepath.Join(dir, "x.parquet")}, "cannot tell the format"},
		{"a folder", []string{in}, id, pcap2table.ExtractOptions{Output: dir}, "is a folder"},
		{"a filter on stdin", []string{"-"}, pcap2table.Selection{Proto: []string{"tcp"}}, pcap2table.ExtractOptions{Output: filepath.Join(dir, "x.pcapng"), Stdin: bytes.NewReader(src)}, "stdin (-) cannot be"},
		{"from after to", []string{in}, pcap2table.Selection{From: time.Unix(2, 0), To: time.Unix(1, 0)}, pcap2table.ExtractOptions{Output: filepath.Join(dir, "x.pcapng")}, "is not before --to"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := pcap2table.Extract(context.Background(), tc.inputs, tc.sel, tc.o)
			var ue *pcap2table.UsageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want a usage error with %q", err, tc.want)
			}
		})
	}
	if b, _ := os.ReadFile(in); !bytes.Equal(b, src) {
		t.Fatal("the input changed")
	}
	if _, err := os.Stat(filepath.Join(dir, "x.pcapng")); err == nil {
		t.Fatal("an output was written")
	}
	extNoTemporaries(t, dir)
}

// TestExtractPcapLinkTypes: a pcap output holds one link type: packets
// of two are refused, and nothing is left.
func TestExtractPcapLinkTypes(t *testing.T) {
	const test100 = captures + "pcapng-test-generator--output_be--advanced--test100.pcapng"
	_, fl := extConvert(t, []string{test100}, false)
	var ids []uint64
	for _, f := range fl {
		ids = append(ids, f.id)
	}
	out := filepath.Join(t.TempDir(), "out.pcap")
	_, err := pcap2table.Extract(context.Background(), []string{test100}, pcap2table.Selection{FlowIDs: ids}, pcap2table.ExtractOptions{Output: out})
	if err == nil || !strings.Contains(err.Error(), "a pcap file holds one link type, but the packets chosen have Ethernet (1)") || !strings.Contains(err.Error(), "write pcapng") {
		t.Fatalf("err %v", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("an output was left")
	}
	extNoTemporaries(t, filepath.Dir(out))
}

// TestExtractStdin: flow ids need one pass, so stdin works, and the
// output can go to stdout.
func TestExtractStdin(t *testing.T) {
	const http = captures + "dpkt--examples--data--http.pcap"
	_, fl := extConvert(t, []string{http}, false)
	src, err := os.ReadFile(http)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	st, err := pcap2table.Extract(context.Background(), []string{"-"}, pcap2table.Selection{FlowIDs: []uint64{fl[0].id}},
		pcap2table.ExtractOptions{Output: "-", Stdin: bytes.NewReader(src), Stdout: &out})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "stdout.pcapng")
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	got, info := extCapture(t, path)
	if info.Format != "pcapng" || uint64(len(got)) != st.Packets || st.Packets == 0 || int64(out.Len()) != st.Bytes {
		t.Fatalf("%s of %d packets (%d bytes); stats %+v", info.Format, len(got), out.Len(), st)
	}
}

// TestExtractSameBytes: the output is the same for any number of jobs.
func TestExtractSameBytes(t *testing.T) {
	const many = captures + "pcapplusplus--Tests--Pcap__Test--PcapExamples--many_interfaces-1.pcapng"
	sel := pcap2table.Selection{Proto: []string{"udp", "tcp"}}
	var first []byte
	for _, jobs := range []int{1, 3} {
		out := filepath.Join(t.TempDir(), "out.pcapng")
		if _, err := pcap2table.Extract(context.Background(), []string{many}, sel, pcap2table.ExtractOptions{Output: out, Jobs: jobs}); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = b
		} else if !bytes.Equal(b, first) {
			t.Fatalf("-j %d writes other bytes than -j 1", jobs)
		}
	}
}

// TestExtractInterrupted: a canceled run writes nothing when nothing was
// extracted yet.
func TestExtractInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out := filepath.Join(t.TempDir(), "out.pcapng")
	_, err := pcap2table.Extract(ctx, []string{captures + "dpkt--examples--data--http.pcap"}, pcap2table.Selection{Proto: []string{"tcp"}},
		pcap2table.ExtractOptions{Output: out})
	if !errors.Is(err, pcap2table.ErrInterrupted) {
		t.Fatalf("err %v, want ErrInterrupted", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("an output was left")
	}
}

// TestExtractInterruptedLive: interrupted while a live input is idle, the
// run writes the packets extracted so far, and the output is whole.
func TestExtractInterruptedLive(t *testing.T) {
	const http = captures + "dpkt--examples--data--http.pcap"
	_, fl := extConvert(t, []string{http}, false)
	src, err := os.ReadFile(http)
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe() // stdin of a capture still running
	defer pw.Close()
	go pw.Write(src)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := &pcap2table.Progress{}
	go func() { // once every byte is read, the capture goes quiet: interrupt it
		for p.BytesRead.Load() < int64(len(src)) {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(50 * time.Millisecond)
		cancel()
	}()
	out := filepath.Join(t.TempDir(), "out.pcapng")
	st, err := pcap2table.Extract(ctx, []string{"-"}, pcap2table.Selection{FlowIDs: []uint64{fl[0].id}},
		pcap2table.ExtractOptions{Output: out, Stdin: pr, Progress: p})
	if !errors.Is(err, pcap2table.ErrInterrupted) {
		t.Fatalf("err %v, want ErrInterrupted", err)
	}
	got, _ := extCapture(t, out)
	if st.Packets != 34 || len(got) != 34 {
		t.Fatalf("wrote %d packets (stats %d), want 34", len(got), st.Packets)
	}
}
