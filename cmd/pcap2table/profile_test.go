package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestProfiles runs a conversion with the hidden --cpuprofile and
// --memprofile flags: each writes a profile (gzipped protocol buffers, as
// pprof reads them), the heap profile with the run's own allocations.
func TestProfiles(t *testing.T) {
	dir := t.TempDir()
	cpu, mem := filepath.Join(dir, "cpu.prof"), filepath.Join(dir, "mem.prof")
	e, _, errb := testEnv(nil, false)
	example := captures + "pcapplusplus--Tests--Pcap__Test--PcapExamples--example.pcap"
	code := run(context.Background(), e, []string{example, "-q", "--tables", "packets,flows", "-o", filepath.Join(dir, "out"),
		"--cpuprofile", cpu, "--memprofile", mem})
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errb)
	}
	for _, f := range []string{cpu, mem} {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		pb, err := io.ReadAll(zr)
		if err != nil || len(pb) == 0 {
			t.Fatalf("%s: %d bytes, %v", f, len(pb), err)
		}
		// the string table names the functions of the samples
		if f == mem && !bytes.Contains(pb, []byte("table.NewBatch")) {
			t.Errorf("%s: no allocation of the run's batches", f)
		}
	}
}
