package pcap2table_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pcap2table/pcap2table"
)

// splitCount writes the packets of a pcap into n files of consecutive
// packets, as a rotating writer does, and returns their paths.
func splitCount(t *testing.T, src, dir string, n int) []string {
	t.Helper()
	p := readPcap(t, src)
	var names []string
	for i := range n {
		name := filepath.Join(dir, fmt.Sprintf("dump.pcap%d", i)) // tcpdump -C's names: dump.pcap0 ... dump.pcap10 in number order
		p.write(t, name, i*len(p.data)/n, (i+1)*len(p.data)/n, 0)
		names = append(names, name)
	}
	return names
}

// readTable reads every JSONL file of a watch output's table, as sorted
// lines with the file column left out.
func readTable(t *testing.T, out, table string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(out, table, "date=*", "hour=*", "*.jsonl"))
	var lines []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if l != "" {
				lines = append(lines, l)
			}
		}
	}
	slices.Sort(lines)
	return lines
}

// TestWatch: a real capture cut into 11 rotated files, converted by
// Watch as the files come (and once more with Once when the capture is
// over), gives the flows table of the whole capture: every flow whole,
// once, with its id; and the packets table's rows, each once. A run
// stopped between files and started again loses and repeats nothing.
func TestWatch(t *testing.T) {
	src := captures + "pcapplusplus--Tests--Pcap__Test--PcapExamples--example.pcap"
	dir := t.TempDir()
	whole := filepath.Join(dir, "whole") + string(filepath.Separator)
	if _, err := pcap2table.Convert(context.Background(), []string{src}, pcap2table.Options{Output: whole, Format: "jsonl", Tables: []string{"flows"}}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(whole, "flows.jsonl"))
	want := strings.Split(strings.TrimSpace(string(b)), "\n")
	slices.Sort(want)

	captured := filepath.Join(dir, "captures")
	staging := filepath.Join(dir, "staging")
	os.Mkdir(captured, 0o755)
	os.Mkdir(staging, 0o755)
	parts := splitCount(t, src, staging, 11)
	out := filepath.Join(dir, "out")
	opts := pcap2table.Options{Output: out, Format: "jsonl", Tables: []string{"flows", "packets"}}
	// the files come one by one; the watcher is stopped after the 6th
	// and started again
	for round, files := range [][]string{parts[:6], parts[6:]} {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		var seen atomic.Int32
		go func() {
			done <- pcap2table.Watch(ctx, captured, opts, pcap2table.WatchOptions{Poll: 20 * time.Millisecond, Settle: time.Hour,
				OnFile: func(string, *pcap2table.Stats) { seen.Add(1) }})
		}()
		for _, p := range files {
			if err := os.Rename(p, filepath.Join(captured, filepath.Base(p))); err != nil {
				t.Fatal(err)
			}
			time.Sleep(30 * time.Millisecond)
		}
		// the last file is still "being written" (no later file, not
		// settled): the others are converted, and the one the first
		// round left
		want := int32(len(files) - 1 + round)
		for deadline := time.Now().Add(time.Minute); seen.Load() < want && time.Now().Before(deadline); {
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(100 * time.Millisecond)
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if n := seen.Load(); n != want {
			t.Fatalf("round %d: %d files converted, want %d", round, n, want)
		}
	}
	// the capture is over: Once converts the last file and ends every flow
	if err := pcap2table.Watch(context.Background(), captured, opts, pcap2table.WatchOptions{Once: true}); err != nil {
		t.Fatal(err)
	}
	got := readTable(t, out, "flows")
	if !slices.Equal(got, want) {
		t.Fatalf("%d flow rows, want %d (the whole capture's):\n%s\nwant\n%s", len(got), len(want), strings.Join(got[:min(5, len(got))], "\n"), strings.Join(want[:5], "\n"))
	}
	if n := len(readTable(t, out, "packets")); n != 4631 {
		t.Fatalf("%d packet rows, want 4631", n)
	}
	// a later file for a flushed output is refused
	os.WriteFile(filepath.Join(captured, "dump.pcap99"), []byte{}, 0o644)
	if err := pcap2table.Watch(context.Background(), captured, opts, pcap2table.WatchOptions{Once: true}); err == nil || !strings.Contains(err.Error(), "came after every flow was ended") {
		t.Fatalf("a file after --once: %v", err)
	}
}
