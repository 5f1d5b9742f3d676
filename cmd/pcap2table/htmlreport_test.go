package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHTMLReport(t *testing.T) {
	dir := t.TempDir()
	example := captures + "pcapplusplus--Tests--Pcap__Test--PcapExamples--example.pcap"
	out := filepath.Join(dir, "r.html")
	for _, tc := range []struct {
		name   string
		args   []string
		tty    bool
		code   exitCode
		stderr string
	}{
		{"ok", []string{"report", "-j1", example, "-o", out}, false, exitOK, "wrote the report to " + out},
		{"no output", []string{"report", example}, false, exitUsage, "no output given"},
		{"no capture", []string{"report", "-o", out}, false, exitUsage, "no capture given"},
		{"over the input", []string{"report", example, "-o", example}, false, exitUsage, "refusing to write " + example + ": it is the input"},
		{"to a terminal", []string{"report", example, "-o", "-"}, true, exitUsage, "refusing to write HTML to a terminal"},
		{"bad top", []string{"report", example, "-o", out, "--top", "0"}, false, exitUsage, "--top, --beacons and --bins must be at least 1"},
		{"missing input", []string{"report", filepath.Join(dir, "nope.pcap"), "-o", filepath.Join(dir, "nope.html")}, false, exitError, "nope.pcap"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, _, errb := testEnv(nil, tc.tty)
			if code := run(context.Background(), e, tc.args); code != tc.code {
				t.Errorf("exit %d, want %d; stderr %s", code, tc.code, errb)
			}
			if !strings.Contains(errb.String(), tc.stderr) {
				t.Errorf("stderr %q lacks %q", errb, tc.stderr)
			}
		})
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `id="total-packets">4631<`) {
		t.Error("the report lacks the packet count")
	}
	if _, err := os.Stat(filepath.Join(dir, "nope.html")); err == nil {
		t.Error("a failed run left its output")
	}
}

func TestHTMLReportStdout(t *testing.T) {
	e, out, errb := testEnv(nil, false)
	example := captures + "pcapplusplus--Tests--Pcap__Test--PcapExamples--example.pcap"
	if code := run(context.Background(), e, []string{"report", "-j1", example, "-o", "-"}); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb)
	}
	if !strings.HasPrefix(out.String(), "<!DOCTYPE html>") || !strings.HasSuffix(strings.TrimSpace(out.String()), "</html>") {
		t.Errorf("stdout is not the page: %.100q", out)
	}
}
