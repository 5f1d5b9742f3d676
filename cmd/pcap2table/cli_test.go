package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

const captures = "../../testdata/captures/"

func testEnv(stdin []byte, tty bool) (*env, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return &env{stdin: bytes.NewReader(stdin), stdout: &out, stderr: &errb,
		isTerminal: func(any) bool { return tty }}, &out, &errb
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	os.WriteFile(text, []byte("not a capture\n"), 0o644)
	allow := filepath.Join(dir, "allow.txt")
	os.WriteFile(allow, []byte("# ok\n10.0.0.0/8\nupdates.example.com\n\n10.0.0.1/99\n"), 0o644)
	erf := filepath.Join(dir, "dag.erf")
	os.WriteFile(erf, append([]byte("\x00\x00\x00\x00\x00\x00\x00\x00\x01"), make([]byte, 64)...), 0o644)
	example := captures + "pcapplusplus--Tests--Pcap__Test--PcapExamples--example.pcap"
	for _, tc := range []struct {
		name    string
		args    []string
		tty     bool
		code    exitCode
		stderr  string
		outFile string // must not exist afterwards
	}{
		{"ok", []string{example, "-o", filepath.Join(dir, "ok.csv")}, false, exitOK, "", ""},
		{"no args", nil, false, exitUsage, "no capture given", ""},
		{"bad flag", []string{"--nope", example}, false, exitUsage, "unknown flag", ""},
		{"bad flag on a subcommand", []string{"stats", "--nope", example}, false, exitUsage, "unknown flag", ""},
		{"schema with two names", []string{"schema", "packets", "flows"}, false, exitUsage, "schema takes one table name", ""},
		{"bad column", []string{example, "--columns", "frame,nope"}, false, exitUsage, `no column "nope"`, ""},
		{"bad table", []string{example, "--tables", "smtp"}, false, exitUsage, `unknown table "smtp"`, ""},
		{"two tables", []string{example, "--tables", "packets,flows", "-o", filepath.Join(dir, "two")}, false, exitOK, "", ""},
		{"two tables to stdout", []string{example, "--tables", "packets,flows"}, false, exitUsage, "2 tables need -o FOLDER", ""},
		{"two tables to stdout, -o -", []string{example, "--tables", "packets,flows", "-o", "-"}, false, exitUsage, "2 tables need -o FOLDER", ""},
		{"two tables to a file", []string{example, "--tables", "packets,flows", "-o", filepath.Join(dir, "x.parquet")}, false, exitUsage,
			"x.parquet names a file, but 2 tables (packets, flows) need a folder: give -o FOLDER/", filepath.Join(dir, "x.parquet")},
		{"a capture and a text", []string{example, text, "--tables", "flows", "-o", filepath.Join(dir, "glob.csv")}, false, exitPartial,
			"pcap2table: warning: " + text + ": offset 0: not a capture: text (skipped)", ""},
		{"erf", []string{erf, "-o", filepath.Join(dir, "s.csv")}, false, exitError,
			"pcap2table: " + erf + ": offset 0: unsupported capture format ERF: convert it to pcap or pcapng (editcap -F pcapng IN OUT)", filepath.Join(dir, "s.csv")},
		{"snoop", []string{"../../testdata/edited/dpkt-http.snoop", "-o", filepath.Join(dir, "snoop.csv")}, false, exitOK, "", ""},
		{"columns of two tables", []string{example, "--tables", "packets,flows", "--columns", "frame", "-o", filepath.Join(dir, "c")}, false, exitUsage, "--columns selects the columns of a single table", ""},
		{"bad timeout", []string{example, "--tables", "flows", "--tcp-idle", "0s"}, false, exitUsage, "--tcp-idle and --udp-idle must be positive", ""},
		{"flows only", []string{example, "--tables", "flows", "-o", filepath.Join(dir, "f.csv")}, false, exitOK, "", ""},
		{"reassembly cap reached", []string{"../../testdata/edited/http-lost-segment.pcap", "--tables", "flows", "--reassembly-flow-cap", "100", "-o", filepath.Join(dir, "cap.csv")}, false, exitOK, "gave up waiting for lost segments once: a flow held more than --reassembly-flow-cap (100 B) behind its holes", ""},
		{"bad size", []string{example, "--tables", "flows", "--reassembly-cap", "lots"}, false, exitUsage, "want a size such as", ""},
		{"geoip not a database", []string{example, "--tables", "flows", "--geoip", example}, false, exitUsage, "--geoip " + example + ": not a MaxMind database", ""},
		{"geoip without flows", []string{example, "--geoip", example}, false, exitUsage, "--geoip fills columns of the flows, dns, http and tls tables", ""},
		{"bad filter", []string{example, "--filter", "tcp port"}, false, exitUsage, "--filter: ", ""},
		{"zero dedup window", []string{example, "--dedup", "--dedup-window", "0s"}, false, exitUsage, "--dedup-window must be positive", ""},
		{"zero fragment timeout", []string{example, "--tables", "flows", "--frag-timeout", "0s"}, false, exitUsage, "--frag-timeout must be positive", ""},
		{"beacons need two connections", []string{example, "--tables", "beacons", "--beacon-min-conns", "1"}, false, exitUsage, "--beacon-min-conns must be at least 2", ""},
		{"bad allow-list", []string{example, "--tables", "beacons", "--beacon-allow", allow}, false, exitUsage, "--beacon-allow " + allow + ": line 5: ", ""},
		{"missing allow-list", []string{example, "--tables", "beacons", "--beacon-allow", allow + ".none"}, false, exitUsage, "--beacon-allow: open ", ""},
		{"negative wait", []string{example, "--tables", "flows", "--reassembly-wait", "-1s"}, false, exitUsage, "--reassembly-wait must not be negative", ""},
		{"bad extension", []string{example, "-o", filepath.Join(dir, "x.txt")}, false, exitUsage, "cannot tell the format", ""},
		{"partitions need a folder", []string{example, "--partition-by", "hour"}, false, exitUsage, "--partition-by writes datasets into a folder", ""},
		{"unknown partitioning", []string{example, "--partition-by", "week", "-o", filepath.Join(dir, "w")}, false, exitUsage, `unknown --partition-by "week"`, ""},
		{"negative jobs", []string{example, "-j", "-1"}, false, exitUsage, "-j must be at least 1", ""},
		{"files of no rows", []string{example, "--partition-by", "day", "--max-file-rows", "0", "-o", filepath.Join(dir, "z")}, false, exitUsage, "--max-file-rows must be at least 1", ""},
		{"partitioned, not a capture", []string{text, "--partition-by", "hour", "-o", filepath.Join(dir, "pt")}, false, exitError, "notes.txt: offset 0: not a capture: text", filepath.Join(dir, "pt", "packets")},
		{"parquet to a terminal", []string{example, "--format", "parquet"}, true, exitUsage, "refusing to write parquet to a terminal", ""},
		{"text input", []string{text, "-o", filepath.Join(dir, "t.parquet")}, false, exitError, "notes.txt: offset 0: not a capture: text", filepath.Join(dir, "t.parquet")},
		{"missing input", []string{filepath.Join(dir, "nope.pcap")}, false, exitError, "no such file", ""},
		{"bad version", []string{captures + "libpcap--tests--pcapng-invalid-vers-2.pcapng", "-o", filepath.Join(dir, "v.parquet")}, false, exitError, "offset 12: unsupported: pcapng section version 1.1", filepath.Join(dir, "v.parquet")},
		{"truncated", []string{captures + "dpkt--examples--data--truncated_dns_2.pcap"}, false, exitPartial, "offset 240: cut short", ""},
		{"a link type not decoded", []string{captures + "tcpdump--tests--dsa.pcap", "--tables", "flows", "-o", filepath.Join(dir, "dsa.csv")}, false, exitOK,
			"pcap2table: warning: " + captures + "tcpdump--tests--dsa.pcap: 8 packets of link type unknown (284) not decoded: only their capture columns are written, and they belong to no flow", ""},
		{"corrupt", []string{captures + "pcapplusplus--Tests--Fuzzers--RegressionTests--regression_samples--radiuslayer"}, false, exitPartial, "offset 440: corrupt: frame 6: caplen 4261478435 exceeds 262144", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, _, errb := testEnv(nil, tc.tty)
			code := run(context.Background(), e, tc.args)
			if code != tc.code || !strings.Contains(errb.String(), tc.stderr) {
				t.Fatalf("exit %d, stderr %q; want exit %d, stderr containing %q", code, errb.String(), tc.code, tc.stderr)
			}
			if strings.Count(strings.TrimSpace(errb.String()), "\n") > 1 {
				t.Errorf("stderr is not one line (plus a hint or the summary): %q", errb.String())
			}
			for _, bad := range []string{"pcap2table: pcap2table", "warning: pcap2table", ": writers: ", ": parsers: ", ": capture: ", ": sniff: ", ": flows: ", ": table: ", ".tmp-"} {
				if strings.Contains(errb.String(), bad) {
					t.Errorf("stderr %q holds %q", errb.String(), bad)
				}
			}
			if tc.outFile != "" {
				if _, err := os.Stat(tc.outFile); !os.IsNotExist(err) {
					t.Errorf("%s exists after a failed run", tc.outFile)
				}
			}
			leftovers, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
			more, _ := filepath.Glob(filepath.Join(dir, "*", ".*.tmp-*"))
			leftovers = append(leftovers, more...)
			if len(leftovers) > 0 {
				t.Errorf("temporary files left: %v", leftovers)
			}
		})
	}
}

// TestCutMidPacket cuts a real capture in the middle of a packet: every
// whole packet is converted, the warning names the offset, exit 3.
func TestCutMidPacket(t *testing.T) {
	data, err := os.ReadFile(captures + "pcapplusplus--Tests--Pcap__Test--PcapExamples--example.pcap")
	if err != nil {
		t.Fatal(err)
	}
	// Walk the record headers independently of the reader under test.
	off, whole := 24, 0
	cut := len(data) / 2
	for off+16 <= len(data) {
		n := 16 + int(binary.LittleEndian.Uint32(data[off+8:]))
		if off+n > cut {
			break
		}
		off += n
		whole++
	}
	cut = off + 16 + 10 // inside the next packet's data
	path := filepath.Join(t.TempDir(), "cut.pcap")
	os.WriteFile(path, data[:cut], 0o644)
	e, out, errb := testEnv(nil, false)
	code := run(context.Background(), e, []string{path, "--columns", "frame"})
	if code != exitPartial {
		t.Fatalf("exit %d, want 3; stderr %s", code, errb)
	}
	if got := strings.Count(out.String(), "\n"); got != whole {
		t.Fatalf("%d rows, want the %d whole packets", got, whole)
	}
	if want := "offset " + strconv.Itoa(off) + ": cut short"; !strings.Contains(errb.String(), want) {
		t.Fatalf("stderr %q lacks %q", errb, want)
	}
}

// buildBinary builds the command once per test binary run.
func buildBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "pcap2table")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// TestLiveInput feeds a few packets through a pipe that stays open: the
// rows come out while the capture is idle, and SIGTERM on an idle input
// ends the run with 130 (TestInterrupt sends SIGINT to a busy one).
func TestLiveInput(t *testing.T) {
	bin := buildBinary(t)
	src, err := os.ReadFile(captures + "pcapplusplus--Tests--Pcap__Test--PcapExamples--example.pcap")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-", "--columns", "frame")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	off := 24
	for i := 0; i < 5; i++ {
		off += 16 + int(binary.LittleEndian.Uint32(src[off+8:]))
	}
	stdin.Write(src[:off]) // five whole packets; the pipe stays open
	lines := make(chan string, 10)
	go func() {
		buf := make([]byte, 4096)
		var acc string
		for {
			n, err := stdout.Read(buf)
			acc += string(buf[:n])
			for {
				i := strings.IndexByte(acc, '\n')
				if i < 0 {
					break
				}
				lines <- acc[:i]
				acc = acc[i+1:]
			}
			if err != nil {
				close(lines)
				return
			}
		}
	}()
	deadline := time.After(10 * time.Second)
	for i := 1; i <= 5; i++ {
		select {
		case l := <-lines:
			if want := `{"frame":` + strconv.Itoa(i) + `}`; l != want {
				t.Fatalf("row %q, want %q", l, want)
			}
		case <-deadline:
			t.Fatalf("row %d did not come out while the input was idle", i)
		}
	}
	cmd.Process.Signal(syscall.SIGTERM) // handled as SIGINT is
	err = cmd.Wait()
	stdin.Close()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
		t.Fatalf("exit %v after SIGTERM on an idle input, want 130", err)
	}
}

// TestInterrupt sends SIGINT to a run reading an endless stream on stdin:
// it exits 130 and leaves a valid Parquet file holding what was converted.
func TestInterrupt(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	src, err := os.ReadFile(captures + "pcapplusplus--Tests--Pcap__Test--PcapExamples--example.pcap")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "live.parquet")
	cmd := exec.Command(bin, "-", "-o", out)
	stdin, _ := cmd.StdinPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// An endless capture: the header once, then the records over and over.
	go func() {
		stdin.Write(src[:24])
		for {
			if _, err := stdin.Write(src[24:]); err != nil {
				return
			}
		}
	}()
	waitWriting(t, out)
	time.Sleep(1000 * time.Millisecond) // rows converted
	cmd.Process.Signal(syscall.SIGINT)
	err = cmd.Wait()
	stdin.Close()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
		t.Fatalf("exit: %v, want 130; stderr %s", err, stderr.String())
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatalf("no output after SIGINT: %v", err)
	}
	defer f.Close()
	st, _ := f.Stat()
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatalf("output is not valid Parquet: %v", err)
	}
	if pf.NumRows() < 4631 {
		t.Fatalf("%d rows after 1.5 s, want at least one copy of the capture", pf.NumRows())
	}
	t.Logf("interrupted after %d rows", pf.NumRows())
}

func TestStats(t *testing.T) {
	mpls := captures + "pcapplusplus--Tests--Packet__Test--PacketExamples--MplsPackets.pcap"
	ng := captures + "pcapplusplus--Tests--Pcap__Test--PcapExamples--many_interfaces-1.pcapng"
	e, out, errb := testEnv(nil, false)
	if code := run(context.Background(), e, []string{"stats", "--json", mpls, ng}); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb)
	}
	var st struct {
		Files []struct {
			File      string   `json:"file"`
			Format    string   `json:"format"`
			LinkTypes []string `json:"link_types"`
			Packets   uint64   `json:"packets"`
			Wire      uint64   `json:"bytes_on_wire"`
			Captured  uint64   `json:"bytes_captured"`
			Truncated uint64   `json:"packets_truncated"`
		} `json:"files"`
		Total struct {
			Packets uint64 `json:"packets"`
		} `json:"total"`
	}
	if err := json.Unmarshal(out.Bytes(), &st); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	// capinfos: MplsPackets.pcap has 2 packets, one cut by the snaplen;
	// many_interfaces-1.pcapng has 64 packets on Ethernet and NULL interfaces.
	f0, f1 := st.Files[0], st.Files[1]
	if f0.Format != "pcap" || f0.Packets != 2 || f0.Truncated != 1 || f0.Captured >= f0.Wire {
		t.Errorf("mpls: %+v", f0)
	}
	if f1.Format != "pcapng" || f1.Packets != 64 || len(f1.LinkTypes) < 2 {
		t.Errorf("pcapng: %+v", f1)
	}
	if st.Total.Packets != 66 {
		t.Errorf("total %d", st.Total.Packets)
	}

	e, out, _ = testEnv(nil, false)
	if code := run(context.Background(), e, []string{"stats", captures + "dpkt--examples--data--truncated_dns_2.pcap"}); code != exitPartial {
		t.Fatalf("exit %d on a cut-short file, want 3", code)
	}
	for _, want := range []string{"packets:              1", "(82 short: packets cut by the snaplen)", "stopped early:", "offset 240"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("stats output lacks %q:\n%s", want, out)
		}
	}

	// Decode errors by reason: link type 284 is not decoded.
	e, out, _ = testEnv(nil, false)
	if code := run(context.Background(), e, []string{"stats", captures + "tcpdump--tests--dsa.pcap"}); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"decode errors:        8", "link: unsupported link type", "unknown (284)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("stats output lacks %q:\n%s", want, out)
		}
	}
}

func TestSchemaCommand(t *testing.T) {
	e, out, _ := testEnv(nil, false)
	if code := run(context.Background(), e, []string{"schema", "packets", "--json"}); code != exitOK {
		t.Fatal(code)
	}
	var s struct {
		Table   string `json:"table"`
		Columns []struct {
			Name string `json:"name"`
			Type string `json:"type"`
		} `json:"columns"`
	}
	if err := json.Unmarshal(out.Bytes(), &s); err != nil || s.Table != "packets" || len(s.Columns) != 36 || s.Columns[2].Type != "timestamp[ns, UTC]" {
		t.Fatalf("%v %+v", err, s)
	}
	e, _, errb := testEnv(nil, false)
	if code := run(context.Background(), e, []string{"schema", "nope"}); code != exitUsage || !strings.Contains(errb.String(), `unknown table "nope"`) {
		t.Fatalf("exit %d: %s", code, errb)
	}
}

// TestStatsTime: earliest/latest are the extremes when time goes backwards,
// and packets without a timestamp do not count as 1970.
func TestStatsTime(t *testing.T) {
	type fileStats struct {
		Packets     uint64 `json:"packets"`
		First       int64  `json:"first_ts_ns"`
		Last        int64  `json:"last_ts_ns"`
		Earliest    int64  `json:"earliest_ts_ns"`
		Latest      int64  `json:"latest_ts_ns"`
		Backwards   uint64 `json:"timestamps_backwards"`
		NoTimestamp uint64 `json:"packets_without_timestamp"`
	}
	stats := func(name string) fileStats {
		e, out, errb := testEnv(nil, false)
		if code := run(context.Background(), e, []string{"stats", "--json", captures + name}); code != exitOK {
			t.Fatalf("%s: exit %d: %s", name, code, errb)
		}
		var st struct{ Files []fileStats }
		if err := json.Unmarshal(out.Bytes(), &st); err != nil {
			t.Fatal(err)
		}
		return st.Files[0]
	}
	// Two of its five packets are simple packet blocks (tshark: no time).
	ng := stats("pcapng-test-generator--output_be--advanced--test100.pcapng")
	if ng.Packets != 5 || ng.NoTimestamp != 2 || ng.Earliest < 1e18 || ng.First != ng.Earliest {
		t.Errorf("simple packet blocks: %+v", ng)
	}
	// Arkime's crafted TCP trace has non-monotonic timestamps.
	bw := stats("arkime--tests--pcap--tcpseq_synthetic.pcap")
	if bw.Backwards == 0 || bw.Earliest > bw.First || bw.Latest < bw.Last || bw.Earliest >= bw.Latest {
		t.Errorf("backwards time: %+v", bw)
	}
}

// slowReader hands out its bytes in pieces, pausing before each, like a
// capture arriving over a pipe.
type slowReader struct {
	b     []byte
	piece int
	pause time.Duration
}

func (s *slowReader) Read(p []byte) (int, error) {
	if len(s.b) == 0 {
		return 0, io.EOF
	}
	time.Sleep(s.pause)
	n := copy(p, s.b[:min(len(s.b), s.piece)])
	s.b = s.b[n:]
	return n, nil
}

// TestProgress: progress goes to stderr only when it is a terminal, and
// never with --quiet.
func TestProgress(t *testing.T) {
	src, err := os.ReadFile(captures + "pcapplusplus--Tests--Pcap__Test--PcapExamples--example.pcap")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		tty, quiet, want bool
	}{{true, false, true}, {false, false, false}, {true, true, false}} {
		var out, errb bytes.Buffer
		e := &env{stdin: &slowReader{b: src, piece: len(src) / 8, pause: 120 * time.Millisecond},
			stdout: &out, stderr: &errb, isTerminal: func(any) bool { return tc.tty }}
		args := []string{"-", "--columns", "frame"}
		if tc.quiet {
			args = append(args, "--quiet")
		}
		if code := run(context.Background(), e, args); code != exitOK {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
		if got := strings.Contains(errb.String(), "packets/s"); got != tc.want {
			t.Errorf("tty %v quiet %v: progress shown %v, want %v (stderr %q)", tc.tty, tc.quiet, got, tc.want, errb.String())
		}
		switch lines := strings.Split(strings.TrimSuffix(errb.String(), "\n"), "\n"); {
		case tc.quiet && errb.Len() != 0:
			t.Errorf("quiet: stderr %q, want nothing", errb.String())
		case !tc.quiet && !strings.HasPrefix(lines[len(lines)-1], "pcap2table: 4631 packets in "):
			t.Errorf("tty %v: stderr %q does not end with the summary", tc.tty, errb.String())
		case !tc.quiet && !tc.tty && len(lines) != 1:
			t.Errorf("no tty: stderr %q, want the summary alone", errb.String())
		}
		if n := strings.Count(out.String(), "\n"); n != 4631 {
			t.Errorf("%d rows", n)
		}
	}
}

// TestProgressFull: on a terminal, the bar of a file's bytes ends full,
// on its own line, before the summary.
func TestProgressFull(t *testing.T) {
	e, out, errb := testEnv(nil, true)
	if code := run(context.Background(), e, []string{captures + "pcapplusplus--Tests--Pcap__Test--PcapExamples--example.pcap", "-o", "-"}); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb)
	}
	lines := strings.Split(strings.TrimSuffix(errb.String(), "\n"), "\n")
	if len(lines) < 2 || !strings.Contains(lines[len(lines)-2], "100%") || !strings.HasPrefix(lines[len(lines)-1], "pcap2table: 4631 packets, 136 flows in ") {
		t.Errorf("stderr %q: want a full bar, then the summary on its own line", errb.String())
	}
	if n := strings.Count(out.String(), "\n"); n != 4631 {
		t.Errorf("-o -: %d rows on stdout, want 4631", n)
	}
}

// TestInterruptedLine: the interrupt's message starts a line of its own
// when a progress bar is drawn.
func TestInterruptedLine(t *testing.T) {
	for _, bar := range []bool{false, true} {
		barShown.Store(bar)
		var b bytes.Buffer
		interrupted(&b)
		if got := strings.HasPrefix(b.String(), "\npcap2table: interrupted"); got != bar {
			t.Errorf("bar %v: %q", bar, b.String())
		}
	}
	barShown.Store(false)
}

// TestTablesFolder: several tables go into the -o folder as
// <table>.<ext>, Parquet unless --format says otherwise.
func TestTablesFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	example := captures + "pcapplusplus--Tests--Pcap__Test--PcapExamples--example.pcap"
	e, _, errb := testEnv(nil, false)
	if code := run(context.Background(), e, []string{example, "--tables", "packets,flows", "-o", dir}); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, f := range []string{"packets.parquet", "flows.parquet"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() < 1000 {
			t.Errorf("%s: %v", f, err)
		}
	}
	e, _, errb = testEnv(nil, false)
	if code := run(context.Background(), e, []string{example, "--tables", "flows,packets", "--format", "csv", "-o", dir + "/"}); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	data, err := os.ReadFile(filepath.Join(dir, "flows.csv"))
	if err != nil || !strings.HasPrefix(string(data), "flow_id,community_id,ts_start") {
		t.Errorf("flows.csv: %v %.60q", err, data)
	}
}

// TestJobsSameBytes: every table, in every format, is the same byte for
// byte with -j 1 (one core, the tracking stage inline) and -j 2 (the
// stages and the Parquet column groups on two cores), and -j restores
// GOMAXPROCS.
func TestJobsSameBytes(t *testing.T) {
	inputs := []string{captures + "pcapplusplus--Tests--Pcap__Test--PcapExamples--example.pcap",
		captures + "pcapplusplus--Tests--Pcap__Test--PcapExamples--many_interfaces-1.pcapng"}
	before := runtime.GOMAXPROCS(0)
	read := func(dir string) map[string][]byte {
		files := map[string][]byte{}
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			files[e.Name()] = b
		}
		return files
	}
	for _, format := range []string{"parquet", "arrow", "arrows", "csv", "jsonl"} {
		var outs []map[string][]byte
		for _, j := range []string{"1", "2", "3"} {
			dir := filepath.Join(t.TempDir(), "j"+j)
			e, _, errb := testEnv(nil, false)
			args := append([]string{"-j", j, "--format", format, "--beacon-min-conns", "3", "--tables", "packets,flows,dns,http,tls,beacons", "-o", dir}, inputs...)
			if code := run(context.Background(), e, args); code != exitOK {
				t.Fatalf("-j %s: exit %d: %s", j, code, errb.String())
			}
			if runtime.GOMAXPROCS(0) != before {
				t.Fatalf("-j %s left GOMAXPROCS at %d, was %d", j, runtime.GOMAXPROCS(0), before)
			}
			outs = append(outs, read(dir))
		}
		if len(outs[0]) != 6 {
			t.Errorf("%s: %d files", format, len(outs[0]))
		}
		for name, b := range outs[0] {
			for k, o := range outs[1:] {
				if !bytes.Equal(b, o[name]) {
					t.Errorf("%s differs between -j 1 and -j %d (%d and %d bytes)", name, k+2, len(b), len(o[name]))
				}
			}
		}
	}
}

// TestWriteError: a write that fails (here the file size limit, as a
// full disk would) is one line naming the output, exit 1, and no file -
// neither the output nor its temporary - is left, for every format and
// for a partitioned dataset; an output folder that does not exist is the
// same.
func TestWriteError(t *testing.T) {
	bin := buildBinary(t)
	example, _ := filepath.Abs(captures + "pcapplusplus--Tests--Pcap__Test--PcapExamples--example.pcap")
	for _, args := range [][]string{
		{"-o", "out.csv"}, {"-o", "out.jsonl"}, {"-o", "out.parquet"}, {"-o", "out.arrow"}, {"-o", "out.arrows"},
		{"--tables", "packets,flows", "-o", "tables"},
		{"--tables", "packets,flows", "--partition-by", "hour", "-o", "ds"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			dir := t.TempDir()
			script := "ulimit -f 64; cd " + dir + " && exec " + bin + " -q " + example + " " + strings.Join(args, " ")
			out, err := exec.Command("bash", "-c", script).CombinedOutput()
			ee, ok := err.(*exec.ExitError)
			if !ok || ee.ExitCode() != int(exitError) {
				t.Fatalf("%v, want exit 1: %s", err, out)
			}
			msg := strings.TrimSpace(string(out))
			if strings.Count(msg, "\n") != 0 || !strings.Contains(msg, "file too large") || !strings.Contains(msg, "writing "+args[len(args)-1]) {
				t.Errorf("message %q", msg)
			}
			if left := filesUnder(dir); len(left) > 0 {
				t.Errorf("files left: %v", left)
			}
			if _, err := os.Stat(filepath.Join(dir, args[len(args)-1])); err == nil {
				t.Errorf("%s, which the failed run made, is left", args[len(args)-1])
			}
		})
	}
	e, _, errb := testEnv(nil, false)
	if code := run(context.Background(), e, []string{example, "-o", filepath.Join(t.TempDir(), "no", "such", "x.parquet")}); code != exitError || !strings.Contains(errb.String(), "no such file or directory") {
		t.Errorf("missing folder: exit %d: %s", code, errb.String())
	}
}

// filesUnder lists the files below dir (none if it does not exist).
// waitWriting waits until a run writing to out has made a temporary
// beside it or under it: the run is then converting (its signal handler
// long installed), whatever the machine's load. A fixed sleep sent
// signals to runs still starting on a loaded machine.
func waitWriting(t *testing.T, out string) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		for _, dir := range []string{filepath.Dir(out), out} {
			if tmp, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*")); len(tmp) > 0 {
				return
			}
		}
	}
	t.Fatalf("no temporary under or beside %s after 60 s: the run is not writing", out)
}

func filesUnder(dir string) []string {
	var files []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	return files
}

// TestNeverOverwriteInput: a run whose output is one of its inputs, in
// any of the forms a user types, is refused before anything is read:
// exit 2, one line naming both paths, the input unchanged.
func TestNeverOverwriteInput(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(captures + "pcapplusplus--Tests--Pcap__Test--PcapExamples--example.pcap")
	if err != nil {
		t.Fatal(err)
	}
	put := func(name string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, src, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	x := put("x.pcap")
	y := put("y.pcap")
	gz := put("x.pcap.gz") // not compressed, but named so: the name decides nothing
	tableFile := put("tables/flows.parquet")
	inDataset := put("ds/flows/date=2024-01-01/part-00000.pcap")
	link := filepath.Join(dir, "link.pcap")
	hard := filepath.Join(dir, "hard.pcap")
	if err := os.Symlink(x, link); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(y, hard); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	for _, tc := range []struct {
		name string
		args []string
		in   string // the input named in the message
	}{
		{"the same name", []string{"x.pcap", "--format", "csv", "-o", "x.pcap"}, "x.pcap"},
		{"./ in front", []string{"x.pcap", "--format", "csv", "-o", "./x.pcap"}, "x.pcap"},
		{"an absolute path", []string{"x.pcap", "--format", "csv", "-o", x}, "x.pcap"},
		{"a symlink to the input", []string{"x.pcap", "--format", "csv", "-o", link}, "x.pcap"},
		{"the input through a symlink", []string{link, "--format", "csv", "-o", "x.pcap"}, link},
		{"a hard link", []string{"y.pcap", "--format", "jsonl", "-o", hard}, "y.pcap"},
		{"the second of two inputs", []string{"x.pcap", "y.pcap", "--format", "csv", "-o", "y.pcap"}, "y.pcap"},
		{"compressed-looking names", []string{gz, "--format", "csv", "-o", gz}, gz},
		{"a table's file in -o DIR/", []string{tableFile, "--tables", "packets,flows", "-o", "tables/"}, tableFile},
		{"a partitioned dataset's folder", []string{inDataset, "--tables", "flows", "--partition-by", "day", "-o", "ds"}, inDataset},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, _, errb := testEnv(nil, false)
			code := run(context.Background(), e, tc.args)
			msg := errb.String()
			if code != exitUsage || !strings.HasPrefix(msg, "pcap2table: refusing to ") || !strings.Contains(msg, "input "+tc.in+"\n") {
				t.Errorf("exit %d, stderr %q: want exit 2 and a refusal naming the input %s", code, msg, tc.in)
			}
			for _, p := range []string{x, y, gz, tableFile, inDataset} {
				if b, err := os.ReadFile(p); err != nil || !bytes.Equal(b, src) {
					t.Fatalf("%s changed (%v)", p, err)
				}
			}
		})
	}
}
