package pcap2table_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pcap2table/pcap2table"
)

var update = flag.Bool("update", false, "rewrite golden files and docs/schema.md")

const captures = "testdata/captures/"

// TestGolden converts a few real captures to JSONL and compares with the
// reviewed files in testdata/golden (regenerate with go test -update).
func TestGolden(t *testing.T) {
	for _, name := range []string{
		"tcpdump--tests--vxlan.pcap",                                 // VXLAN, inner ARP and ICMP
		"zeek--testing--btest--Traces--http-qinq-0.pcap",             // QinQ, HTTP
		"arkime--tests--pcap--6-4-gre-ppp-udp-4-dns.pcap",            // VLAN, 6in4-ish nesting, GRE, PPP
		"pcapplusplus--Tests--Pcap__Test--PcapExamples--sll2.pcap",   // Linux SLL2
		"tcpdump--tests--ipv6-routing-header.pcap",                   // IPv6 routing header, ICMPv6
		"pcapng-test-generator--output_be--advanced--test100.pcapng", // big-endian pcapng, simple packet blocks
		"pcap-analyzer--assets--frag_tcp_80_ipv4.pcap",               // IPv4 fragments
		"tcpdump--tests--dsa.pcap",                                   // an unsupported link type
	} {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			_, err := pcap2table.Convert(context.Background(), []string{captures + name}, pcap2table.Options{Stdout: &out})
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata/golden", name+".jsonl")
			if *update {
				if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				gl, wl := strings.Split(out.String(), "\n"), strings.Split(string(want), "\n")
				for i := range min(len(gl), len(wl)) {
					if gl[i] != wl[i] {
						t.Fatalf("line %d differs:\n got %s\nwant %s", i+1, gl[i], wl[i])
					}
				}
				t.Fatalf("got %d lines, want %d", len(gl), len(wl))
			}
		})
	}
}

// TestGoldenFlows converts real captures to the flows table (JSONL) and
// compares with reviewed files (regenerate with go test -update).
func TestGoldenFlows(t *testing.T) {
	for _, name := range []string{
		"dpkt--examples--data--http.pcap",                // HTTP and DNS: SF, ShADadfF
		"arkime--tests--pcap--tcpseq_synthetic.pcap",     // retransmission, out of order, missing segment
		"zeek--testing--btest--Traces--http-qinq-0.pcap", // QinQ
		"pcap-analyzer--assets--frag_tcp_80_ipv4.pcap",   // IPv4 fragments
		"pcapplusplus--Tests--Pcap__Test--PcapExamples--unidirectional_tcp_stream_with_missing_packet.pcap",
		"zeek--testing--btest--Traces--tcp--retransmit-timeout.pcapng",
	} {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			_, err := pcap2table.Convert(context.Background(), []string{captures + name},
				pcap2table.Options{Stdout: &out, Tables: []string{"flows"}})
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join("testdata/golden", name+".flows.jsonl"), out.Bytes())
		})
	}
}

func checkGolden(t *testing.T, golden string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Fatalf("line %d differs:\n got %s\nwant %s", i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("got %d lines, want %d", len(gl), len(wl))
	}
}

// TestSchemaDoc keeps docs/schema.md equal to what the schemas generate.
func TestSchemaDoc(t *testing.T) {
	got := pcap2table.SchemaMarkdown()
	if *update {
		if err := os.WriteFile("docs/schema.md", []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile("docs/schema.md")
	if err != nil || string(want) != got {
		t.Fatal("docs/schema.md is stale: run go test -run TestSchemaDoc -update")
	}
}

func TestMergeOrderAndPartial(t *testing.T) {
	// A real capture split into its odd and even frames and merged again
	// gives back the original order (the capture is in strict time order).
	src := captures + "pcapplusplus--Tests--Pcap__Test--PcapExamples--example.pcap"
	dir := t.TempDir()
	odd, even := filepath.Join(dir, "odd.pcap"), filepath.Join(dir, "even.pcap")
	splitAlternate(t, src, odd, even)
	var whole, merged bytes.Buffer
	cols := []string{"ts", "src_ip", "dst_ip", "src_port", "dst_port", "length"}
	if _, err := pcap2table.Convert(context.Background(), []string{src}, pcap2table.Options{Stdout: &whole, Columns: cols, Format: "csv"}); err != nil {
		t.Fatal(err)
	}
	st, err := pcap2table.Convert(context.Background(), []string{odd, even}, pcap2table.Options{Stdout: &merged, Columns: append(cols, "file"), Format: "csv"})
	if err != nil {
		t.Fatal(err)
	}
	if st.Total.Packets != 4631 || len(st.Files) != 2 || st.Files[0].Packets != 2316 {
		t.Fatalf("stats %+v", st.Total)
	}
	// Expected: the original rows, each tagged with its file, stably sorted
	// by (ts, input index): ties keep input order.
	type row struct {
		line, file string
		idx        int
	}
	var want []row
	for i, l := range strings.Split(strings.TrimSpace(whole.String()), "\n")[1:] {
		r := row{line: l, file: odd, idx: 0}
		if i%2 == 1 {
			r.file, r.idx = even, 1
		}
		want = append(want, r)
	}
	sort.SliceStable(want, func(a, b int) bool {
		ta, tb := want[a].line[:30], want[b].line[:30] // fixed-width RFC 3339
		if ta != tb {
			return ta < tb
		}
		return want[a].idx < want[b].idx
	})
	ml := strings.Split(strings.TrimSpace(merged.String()), "\n")[1:]
	if len(ml) != len(want) {
		t.Fatalf("%d merged rows, want %d", len(ml), len(want))
	}
	for i, w := range want {
		if ml[i] != w.line+","+w.file {
			t.Fatalf("row %d: merged %s, want %s,%s", i+1, ml[i], w.line, w.file)
		}
	}

	// A capture cut short: the whole packets are kept, ErrPartial names
	// the file and offset.
	var out bytes.Buffer
	st, err = pcap2table.Convert(context.Background(), []string{captures + "pcapplusplus--Tests--Fuzzers--RegressionTests--regression_samples--radiuslayer"},
		pcap2table.Options{Stdout: &out})
	if !errors.Is(err, pcap2table.ErrPartial) || !strings.Contains(err.Error(), "offset 440") {
		t.Fatalf("err %v", err)
	}
	if n := strings.Count(out.String(), "\n"); n != 5 || st.Total.Packets != 5 {
		t.Fatalf("%d rows, want 5", n)
	}
}

// splitAlternate writes the odd and even frames of a pcap into two files
// with gopacket's pcapgo writer.
func splitAlternate(t *testing.T, src, odd, even string) {
	t.Helper()
	p := readPcap(t, src)
	for k, name := range []string{odd, even} {
		q := p.subset(func(i int) bool { return i%2 == k })
		q.write(t, name, 0, len(q.data), 0)
	}
}

// TestRotation: a real capture cut into pieces with editcap -c converts
// to the same flows table as the whole capture (flows continue across
// files), and the packets of the pieces carry the same flow_ids.
func TestRotation(t *testing.T) {
	whole := captures + "pcapplusplus--Tests--Pcap__Test--PcapExamples--example.pcap"
	pieces, err := filepath.Glob("testdata/rotated/example_*.pcap")
	if err != nil || len(pieces) < 2 {
		t.Fatalf("pieces: %v %v", pieces, err)
	}
	conv := func(inputs []string, table string, cols []string) []byte {
		var out bytes.Buffer
		if _, err := pcap2table.Convert(context.Background(), inputs, pcap2table.Options{Stdout: &out, Tables: []string{table}, Columns: cols}); err != nil {
			t.Fatal(err)
		}
		return out.Bytes()
	}
	a, b := conv([]string{whole}, "flows", nil), conv(pieces, "flows", nil)
	if !bytes.Equal(a, b) {
		t.Errorf("flows of the pieces differ from the whole's (%d vs %d bytes)", len(b), len(a))
	}
	if n := bytes.Count(a, []byte("\n")); n < 100 {
		t.Errorf("only %d flows", n)
	}
	cols := []string{"ts", "src_ip", "dst_ip", "src_port", "dst_port", "flow_id", "community_id"}
	if !bytes.Equal(conv([]string{whole}, "packets", cols), conv(pieces, "packets", cols)) {
		t.Error("the packets of the pieces carry other flow ids than the whole's")
	}
}

// TestFlowJoin: every packet with a flow_id joins exactly one flow row,
// every flow row has packets, and two runs give identical ids; also when
// capture time goes backwards: a real pcapng appended to itself twice
// (each copy starts over at its first time, where flows of the copy
// before, long ended, started: 670 flow_ids were doubled before ids
// hashed the index of a flow's first packet earlier than the clock).
func TestFlowJoin(t *testing.T) {
	data, err := os.ReadFile(captures + "pcap-parser--assets--wireshark_samples-test.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	thrice := filepath.Join(t.TempDir(), "thrice.pcapng")
	if err := os.WriteFile(thrice, bytes.Repeat(data, 3), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		in      string
		percent int // at least this share of the packets has a flow
	}{
		{captures + "pcapplusplus--Tests--Pcap__Test--PcapExamples--example.pcap", 90},
		{thrice, 65}, // Wireshark's samples: ARP, IPX, NetBIOS, ...
	} {
		t.Run(filepath.Base(c.in), func(t *testing.T) { testFlowJoin(t, []string{c.in}, c.percent) })
	}
}

func testFlowJoin(t *testing.T, in []string, percent int) {
	dir := t.TempDir()
	var st *pcap2table.Stats
	run := func(out string) {
		var err error
		if st, err = pcap2table.Convert(context.Background(), in, pcap2table.Options{Output: out, Tables: []string{"packets", "flows"}, Format: "jsonl"}); err != nil {
			t.Fatal(err)
		}
	}
	run(filepath.Join(dir, "a"))
	run(filepath.Join(dir, "b"))
	for _, tb := range []string{"packets", "flows"} {
		x, _ := os.ReadFile(filepath.Join(dir, "a", tb+".jsonl"))
		y, _ := os.ReadFile(filepath.Join(dir, "b", tb+".jsonl"))
		if len(x) == 0 || !bytes.Equal(x, y) {
			t.Errorf("%s: two runs differ (or are empty)", tb)
		}
	}
	type rec struct {
		FlowID   *uint64 `json:"flow_id"`
		OrigPkts uint64  `json:"orig_pkts"`
		RespPkts uint64  `json:"resp_pkts"`
	}
	read := func(name string) []rec {
		data, err := os.ReadFile(filepath.Join(dir, "a", name))
		if err != nil {
			t.Fatal(err)
		}
		var out []rec
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		for dec.More() {
			var r rec
			if err := dec.Decode(&r); err != nil {
				t.Fatal(err)
			}
			out = append(out, r)
		}
		return out
	}
	pkts, fls := read("packets.jsonl"), read("flows.jsonl")
	perFlow := map[uint64]uint64{}
	withFlow := 0
	for _, p := range pkts {
		if p.FlowID != nil {
			perFlow[*p.FlowID]++
			withFlow++
		}
	}
	seen := map[uint64]bool{}
	for _, f := range fls {
		id := *f.FlowID
		if seen[id] {
			t.Fatalf("flow_id %d appears twice in the flows table", id)
		}
		seen[id] = true
		if id >= 1<<53 {
			t.Errorf("flow_id %d: above 2^53 - 1, jq and JavaScript would round it", id)
		}
		if n := perFlow[id]; n != f.OrigPkts+f.RespPkts {
			t.Errorf("flow %d: %d packets carry its id, the row counts %d", id, n, f.OrigPkts+f.RespPkts)
		}
	}
	for id := range perFlow {
		if !seen[id] {
			t.Errorf("packets with flow_id %d have no flow row", id)
		}
	}
	if st.Flows != uint64(len(fls)) {
		t.Errorf("stats count %d flows, the table has %d", st.Flows, len(fls))
	}
	if withFlow < len(pkts)*percent/100 {
		t.Errorf("only %d of %d packets have a flow", withFlow, len(pkts))
	}
}

// TestPluginPipeline runs the protocol tables through the pipeline's
// goroutines (under -race in CI): batches of 7 rows, handed over mid-run,
// give the same bytes as one batch per table; the row counts are those of
// the plugins' own tests on this capture (dns: 138 messages, every query
// answered; http: 338 transactions; tls: 2 handshakes); every dns, http and
// tls row joins a flow whose service names its table; beacons (the end of
// input, a Finisher) writes its rows in both runs.
func TestPluginPipeline(t *testing.T) {
	dir := t.TempDir()
	in := []string{captures + "pcapplusplus--Tests--Pcap__Test--PcapExamples--example.pcap"}
	for _, c := range []struct {
		out  string
		rows int
	}{{"a", 0}, {"b", 7}} {
		o := pcap2table.Options{Output: filepath.Join(dir, c.out), Tables: []string{"flows", "dns", "http", "tls", "beacons"},
			Format: "jsonl", BatchRows: c.rows, BeaconMinConns: 3}
		if _, err := pcap2table.Convert(context.Background(), in, o); err != nil {
			t.Fatal(err)
		}
	}
	service := map[uint64]string{}
	fl, _ := os.ReadFile(filepath.Join(dir, "b", "flows.jsonl"))
	for _, line := range bytes.Split(bytes.TrimSpace(fl), []byte("\n")) {
		var r struct {
			FlowID  uint64  `json:"flow_id"`
			Service *string `json:"service"`
		}
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatal(err)
		}
		if r.Service != nil {
			service[r.FlowID] = *r.Service
		}
	}
	for table, want := range map[string]int{"dns": 69, "http": 338, "tls": 2, "beacons": -1} {
		a, _ := os.ReadFile(filepath.Join(dir, "a", table+".jsonl"))
		b, _ := os.ReadFile(filepath.Join(dir, "b", table+".jsonl"))
		n := bytes.Count(a, []byte("\n"))
		if !bytes.Equal(a, b) || n == 0 || want >= 0 && n != want {
			t.Errorf("%s.jsonl: %d rows (want %d); batches of 7 give the same bytes: %v", table, n, want, bytes.Equal(a, b))
		}
		if table == "beacons" {
			continue
		}
		for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
			var r struct {
				FlowID uint64 `json:"flow_id"`
				Status string `json:"status"`
			}
			if err := json.Unmarshal(line, &r); err != nil {
				t.Fatal(err)
			}
			if service[r.FlowID] != table || table == "dns" && r.Status != "answered" {
				t.Errorf("%s row of flow %d (%s): the flow's service is %q", table, r.FlowID, r.Status, service[r.FlowID])
			}
		}
	}
}

// TestGoldenTables converts real captures (from testdata/captures and the
// peers' suites in testdata/peers) to the dns, http, tls and beacons tables
// (JSONL) and compares each with a reviewed file, so a change shows every
// row it moves (regenerate with go test -update).
func TestGoldenTables(t *testing.T) {
	for _, c := range []struct {
		path   string
		tables []string
	}{
		{captures + "pcap-parser--assets--wireshark_samples-test.pcapng", []string{"dns", "beacons"}},
		{captures + "pcapplusplus--Tests--Pcap__Test--PcapExamples--example.pcap", []string{"dns", "http", "tls", "beacons"}},
		{captures + "pcapplusplus--Tests--Pcap__Test--PcapExamples--many_interfaces-1.pcapng", []string{"dns", "tls"}},
		{captures + "gopacket--pcap--test_dns.pcap", []string{"dns"}},
		{captures + "tcpdump--tests--dns_tcp.pcap", []string{"dns"}},
		{captures + "arkime--tests--pcap--80211http.pcap", []string{"http"}},
		{captures + "arkime--tests--pcap--pppoe.pcap", []string{"tls"}},
		{captures + "zeek--testing--btest--Traces--tls--tls13_wolfssl.pcap", []string{"tls"}},
		{captures + "pcapplusplus--Tests--Packet__Test--PacketExamples--SSL-ClientHello1.pcap", []string{"tls"}},
		{"testdata/peers/zeek/tls--ecdhe.pcap", []string{"tls"}},
		{"testdata/peers/zeek/tls--tls1.2.pcap", []string{"tls"}},
		{"testdata/peers/zeek/tls--certificate-request-failed.pcap", []string{"tls"}},
		{"testdata/peers/zeek/http--methods.pcap", []string{"http", "beacons"}},
		{"testdata/peers/zeek/http--pipelined-requests.pcap", []string{"http"}},
		{"testdata/peers/zeek/dns53.pcap", []string{"dns"}},
		{"testdata/peers/zeek/dnssec--nsec3param.pcap", []string{"dns"}},
		{"testdata/peers/zeek/wikipedia.pcap", []string{"dns", "http", "beacons"}},
		{"testdata/peers/suricata-verify/tls-subjectaltname/input.pcap", []string{"dns", "http", "tls", "beacons"}},
		{"testdata/peers/suricata-verify/ja4-quic/input.pcap", []string{"tls"}},
		{"testdata/peers/suricata-verify/tls-cert-validity/tls.pcap", []string{"tls"}},
	} {
		name := strings.NewReplacer("testdata/", "", "/", "--").Replace(c.path)
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			_, err := pcap2table.Convert(context.Background(), []string{c.path},
				pcap2table.Options{Output: dir, Format: "jsonl", Tables: c.tables})
			if err != nil {
				t.Fatal(err)
			}
			for _, tb := range c.tables {
				got, err := os.ReadFile(filepath.Join(dir, tb+".jsonl"))
				if err != nil {
					t.Fatal(err)
				}
				if len(got) == 0 {
					t.Errorf("%s: no %s rows", c.path, tb)
				}
				checkGolden(t, filepath.Join("testdata/golden", name+"."+tb+".jsonl"), got)
			}
		})
	}
}
