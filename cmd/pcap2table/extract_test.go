package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// The ids of dpkt--examples--data--http.pcap's flows (the flows table,
// default settings): the first HTTP connection, the DNS lookup.
const (
	extractHTTPFlow = "3703767687004052"
	extractDNSFlow  = "6066110592250620"
)

func TestExtractCommand(t *testing.T) {
	dir := t.TempDir()
	http := captures + "dpkt--examples--data--http.pcap"
	src, err := os.ReadFile(http)
	if err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(dir, "in.pcap")
	if err := os.WriteFile(in, src, 0o644); err != nil {
		t.Fatal(err)
	}
	test100 := captures + "pcapng-test-generator--output_be--advanced--test100.pcapng"
	out := func(name string) string { return filepath.Join(dir, name) }
	for _, tc := range []struct {
		name   string
		args   []string
		stdin  []byte
		tty    bool
		code   exitCode
		stderr string // in stderr
		also   string // in stderr too
		file   string // must exist afterwards ("-": the output is on stdout)
		nofile string // must not
	}{
		{name: "one flow", args: []string{"extract", in, "--flow-id", extractHTTPFlow, "-o", out("one.pcapng")}, code: exitOK,
			stderr: "pcap2table: wrote 34 packets of 1 flow (", also: " KiB, 1 interface) to " + out("one.pcapng") + "; read 43 packets in ", file: out("one.pcapng")},
		{name: "two flows, repeated flag", args: []string{"extract", in, "--flow-id", extractHTTPFlow, "--flow-id", extractDNSFlow, "-o", out("two.pcapng")}, code: exitOK,
			stderr: "wrote 36 packets of 2 flows", file: out("two.pcapng")},
		{name: "quiet", args: []string{"extract", in, "--flow-id", extractDNSFlow, "-q", "-o", out("q.pcap")}, code: exitOK, file: out("q.pcap")},
		{name: "unknown flow id", args: []string{"extract", in, "--flow-id", "12345", "-o", out("none.pcapng")}, code: exitError,
			stderr: "pcap2table: no packet matched: flow_id 12345 is not a flow of " + in + "; were they converted with other flow settings?", nofile: out("none.pcapng")},
		{name: "known and unknown", args: []string{"extract", in, "--flow-id", extractHTTPFlow + ",12345", "-o", out("some.pcapng")}, code: exitPartial,
			stderr: "pcap2table: warning: flow not found: flow_id 12345 is not a flow of " + in, file: out("some.pcapng")},
		{name: "known and unknown, quiet", args: []string{"extract", in, "--flow-id", extractHTTPFlow + ",12345", "-q", "-o", out("someq.pcapng")}, code: exitPartial,
			stderr: "pcap2table: flow not found: flow_id 12345", file: out("someq.pcapng")},
		{name: "output is the input", args: []string{"extract", in, "--flow-id", extractHTTPFlow, "-o", in, "--format", "pcapng"}, code: exitUsage,
			stderr: "refusing to write " + in + ": it is the input " + in},
		{name: "not a flow id", args: []string{"extract", in, "--flow-id", "abc", "-o", out("x.pcapng")}, code: exitUsage, stderr: `--flow-id "abc" is not a flow_id`, nofile: out("x.pcapng")},
		{name: "nothing chosen", args: []string{"extract", in, "-o", out("x.pcapng")}, code: exitUsage, stderr: "nothing to extract: give --flow-id, or a filter"},
		{name: "no capture", args: []string{"extract", "--flow-id", "1", "-o", out("x.pcapng")}, code: exitUsage, stderr: "no capture given"},
		{name: "no output", args: []string{"extract", in, "--flow-id", "1"}, code: exitUsage, stderr: "no output given: use -o FILE.pcapng"},
		{name: "bad address", args: []string{"extract", in, "--src", "10.0.0.300", "-o", out("x.pcapng")}, code: exitUsage, stderr: `--src "10.0.0.300": want an IP address or a CIDR prefix`},
		{name: "bad port", args: []string{"extract", in, "--port", "65536", "-o", out("x.pcapng")}, code: exitUsage, stderr: `--port "65536": want a port number`},
		{name: "bad proto", args: []string{"extract", in, "--proto", "tpc", "-o", out("x.pcapng")}, code: exitUsage, stderr: `unknown --proto "tpc"`},
		{name: "bad time", args: []string{"extract", in, "--from", "yesterday", "-o", out("x.pcapng")}, code: exitUsage, stderr: `--from "yesterday": want a time such as`},
		{name: "bad flow setting", args: []string{"extract", in, "--flow-id", "1", "--tcp-idle", "0s", "-o", out("x.pcapng")}, code: exitUsage, stderr: "--tcp-idle and --udp-idle must be positive"},
		{name: "a filter", args: []string{"extract", in, "--src", "145.254.160.0/24", "--dst-port", "80,8080", "--from", "2004-05-13 10:17:10.25+00", "-o", out("f.pcapng")}, code: exitOK,
			stderr: "wrote 41 packets of 2 flows", file: out("f.pcapng")},
		{name: "a filter in epoch seconds", args: []string{"extract", in, "--proto", "udp", "--to", "1084443430.5", "-o", out("e.pcapng")}, code: exitOK,
			stderr: "wrote 2 packets of 1 flow", file: out("e.pcapng")},
		{name: "a filter matching nothing", args: []string{"extract", in, "--host", "192.0.2.1", "-o", out("n.pcapng")}, code: exitError,
			stderr: "pcap2table: no packet matched: no flow of " + in + " matches --host 192.0.2.1", nofile: out("n.pcapng")},
		{name: "a filter on stdin", args: []string{"extract", "-", "--proto", "tcp", "-o", out("s.pcapng")}, stdin: src, code: exitUsage, stderr: "stdin (-) cannot be"},
		{name: "flow ids on stdin", args: []string{"extract", "-", "--flow-id", extractDNSFlow, "-o", out("stdin.pcapng")}, stdin: src, code: exitOK, stderr: "wrote 2 packets of 1 flow", file: out("stdin.pcapng")},
		{name: "to stdout", args: []string{"extract", in, "--flow-id", extractDNSFlow, "-o", "-"}, code: exitOK, stderr: "to stdout", file: "-"},
		{name: "a progress bar on a terminal", args: []string{"extract", in, "--proto", "udp", "-o", out("bar.pcapng")}, tty: true, code: exitOK,
			stderr: "wrote 2 packets of 1 flow", file: out("bar.pcapng")},
		{name: "to a terminal", args: []string{"extract", in, "--flow-id", extractDNSFlow, "-o", "-"}, tty: true, code: exitUsage, stderr: "refusing to write a capture to a terminal"},
		{name: "pcap of two link types", args: []string{"extract", test100, "--proto", "udp", "-o", out("two.pcap")}, code: exitError,
			stderr: "a pcap file holds one link type, but the packets chosen have Ethernet (1)", nofile: out("two.pcap")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, stdout, stderr := testEnv(tc.stdin, tc.tty)
			code := run(context.Background(), e, tc.args)
			if code != tc.code || !strings.Contains(stderr.String(), tc.stderr) || !strings.Contains(stderr.String(), tc.also) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, stderr.String(), tc.code, tc.stderr)
			}
			if tc.stderr == "" && stderr.Len() > 0 {
				t.Errorf("stderr %q, want none", stderr.String())
			}
			switch {
			case tc.file == "-":
				if !bytes.HasPrefix(stdout.Bytes(), []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
					t.Errorf("stdout is not pcapng: % x", stdout.Bytes()[:min(8, stdout.Len())])
				}
			case tc.file != "":
				if _, err := os.Stat(tc.file); err != nil {
					t.Error(err)
				}
			}
			if tc.nofile != "" {
				if _, err := os.Stat(tc.nofile); err == nil {
					t.Errorf("%s was written", tc.nofile)
				}
			}
		})
	}
	if b, _ := os.ReadFile(in); !bytes.Equal(b, src) {
		t.Fatal("the input changed")
	}
	for _, f := range filesUnder(dir) {
		if strings.Contains(f, ".tmp-") {
			t.Errorf("temporary %s left", f)
		}
	}
}

// extractNotShared are the conversion's flow flags that extract does not
// take, because they do not change which flow a packet belongs to.
var extractNotShared = map[string]string{
	"geoip":   "columns of the flows table",
	"asn":     "columns of the flows table",
	"interim": "interim rows do not end their flows",
}

// TestExtractSharedFlags: extract takes the conversion's flags that
// decide which flow a packet belongs to, with their names, defaults and
// help, so that a conversion's flags can be given to extract as they are.
// A new flow flag of the conversion fails it until it is added to
// addSharedFlags (extract.go), or to extractNotShared when flow ids do
// not depend on it.
func TestExtractSharedFlags(t *testing.T) {
	e, _, _ := testEnv(nil, false)
	conv, ex := newRoot(e).Flags(), newExtractCmd(e).Flags()
	n := 0
	conv.VisitAll(func(c *pflag.Flag) {
		same := strings.HasPrefix(c.Usage, "flows:") || strings.HasPrefix(c.Usage, "--dedup") ||
			strings.Contains(" community-id-seed dedup zstd-max-window ", " "+c.Name+" ")
		defaults := strings.Contains(" jobs quiet fsync ", " "+c.Name+" ")
		if !same && !defaults || extractNotShared[c.Name] != "" {
			return
		}
		n++
		x := ex.Lookup(c.Name)
		switch {
		case x == nil:
			t.Errorf("extract has no --%s: add it to addSharedFlags if it changes which flow a packet belongs to (flow_id), else to extractNotShared", c.Name)
		case x.Shorthand != c.Shorthand || x.DefValue != c.DefValue || x.Value.Type() != c.Value.Type():
			t.Errorf("extract's --%s: -%s, default %s, %s; the conversion's -%s, %s, %s", c.Name, x.Shorthand, x.DefValue, x.Value.Type(), c.Shorthand, c.DefValue, c.Value.Type())
		case same && x.Usage != c.Usage:
			t.Errorf("extract's --%s: %q; the conversion's %q", c.Name, x.Usage, c.Usage)
		}
	})
	if n < 18 {
		t.Errorf("%d shared flags found: the test lost them", n)
	}
}

func TestParseTime(t *testing.T) {
	want := time.Date(2024, 1, 2, 3, 4, 5, 123000000, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"2024-01-02T03:04:05.123Z", want},
		{"2024-01-02T04:04:05.123+01:00", want},
		{"2024-01-02 03:04:05.123+00", want},   // DuckDB's TIMESTAMPTZ
		{"2024-01-02 05:04:05.123+02", want},   // in another zone
		{"2024-01-02 03:04:05.123", want},      // DuckDB's TIMESTAMP: UTC
		{"2024-01-02T03:04:05.123+0000", want}, // ISO 8601 basic offset
		{"1704164645.123", want},
		{"1704164645.123000001", want.Add(1)},
		{"1704164645", want.Truncate(time.Second)},
		{"2024-01-02", time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)},
		{"", time.Time{}},
	} {
		got, err := parseTime("--from", tc.in)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("%q: %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"yesterday", "2024-13-01", "1704164645.1234567891", "2024-01-02T03:04"} {
		if _, err := parseTime("--to", bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
