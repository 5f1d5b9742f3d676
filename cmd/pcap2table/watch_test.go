package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestWatchKilled: pcap2table watch killed with SIGKILL in the middle of
// a folder of 20 rotated captures, then started again with --once, writes
// the flows table of the whole capture: every flow once and whole, no
// file lost or converted twice, no temporary left.
func TestWatchKilled(t *testing.T) {
	bin := buildBinary(t)
	src := captures + "pcapplusplus--Tests--Pcap__Test--PcapExamples--example.pcap"
	dir := t.TempDir()
	whole := filepath.Join(dir, "whole.jsonl")
	if out, err := exec.Command(bin, "-q", src, "--tables", "flows", "-o", whole).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	in := filepath.Join(dir, "in")
	os.Mkdir(in, 0o755)
	splitPcap(t, src, in, 20)
	out := filepath.Join(dir, "out")
	args := []string{"watch", in, "-o", out, "--tables", "flows", "--format", "jsonl", "-q"}
	for _, after := range []int{3, 9} { // killed twice, at different points
		cmd := exec.Command(bin, append(args, "--poll", "10ms", "--settle", "1h")...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			b, _ := os.ReadFile(filepath.Join(out, ".pcap2table-watch.json"))
			if strings.Count(string(b), `"name"`) >= after {
				break
			}
		}
		cmd.Process.Kill() // SIGKILL: no cleanup
		cmd.Wait()
	}
	if o, err := exec.Command(bin, append(args, "--once")...).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, o)
	}
	var got []string
	files, _ := filepath.Glob(filepath.Join(out, "flows", "date=*", "hour=*", "*.jsonl"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		got = append(got, strings.Split(strings.TrimSpace(string(b)), "\n")...)
	}
	got = slices.DeleteFunc(got, func(s string) bool { return s == "" })
	b, _ := os.ReadFile(whole)
	want := strings.Split(strings.TrimSpace(string(b)), "\n")
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("%d flow rows from %d files, want the whole capture's %d", len(got), len(files), len(want))
	}
	if len(files) != 20 {
		t.Fatalf("%d output files, want one per capture (20)", len(files))
	}
	if tmp, _ := filepath.Glob(filepath.Join(out, ".tmp-*")); len(tmp) != 0 {
		t.Fatalf("temporaries left: %v", tmp)
	}
}
