package pcapbeam_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/memfs"
	pcapbeam "github.com/pcap2table/pcap2table/beam"
)

// TestRemote: inputs and output on one of Beam's file systems (memfs,
// in-process: the code path of gs://). The glob is expanded there, the
// packets keep the names given, and the tables are pcap2table's.
func TestRemote(t *testing.T) {
	ctx := context.Background()
	pieces, err := filepath.Glob("../testdata/rotated/example_*.pcap")
	if err != nil || len(pieces) < 2 {
		t.Fatalf("pieces: %v %v", pieces, err)
	}
	for _, p := range pieces {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		memfs.Write("memfs://captures/sensor-1/"+filepath.Base(p), b)
	}
	inputs, err := pcapbeam.Expand(ctx, []string{"memfs://captures/sensor-1/*.pcap"})
	if err != nil || len(inputs) != len(pieces) {
		t.Fatalf("expand: %v %v", inputs, err)
	}
	tabs := []string{"packets", "flows", "dns", "http"}
	run(t, pcapbeam.Config{Inputs: inputs, Output: "memfs://tables", Tables: tabs, Parts: 2})

	// the output, copied to disk, against pcap2table's over the same
	// captures on disk (the packets' file column aside, checked below)
	dir := t.TempDir()
	fsys, err := filesystem.New(ctx, "memfs://tables")
	if err != nil {
		t.Fatal(err)
	}
	files, err := fsys.List(ctx, "memfs://tables/*/*/*") // <table>/date=.../part-...
	if err != nil || len(files) < len(tabs) {
		t.Fatalf("%d files: %v", len(files), err)
	}
	files = append(files, "memfs://tables/_SUCCESS")
	local := filepath.Join(dir, "beam")
	for _, f := range files {
		b, err := filesystem.Read(ctx, fsys, f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Join(local, filepath.FromSlash(strings.TrimPrefix(f, "memfs://tables/")))
		if err := os.MkdirAll(filepath.Dir(name), 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	saved := tables
	tables = tabs[1:]
	defer func() { tables = saved }()
	if n := compare(t, pieces, local, "", filepath.Join(dir, "one")); n < 500 {
		t.Errorf("only %d rows compared", n)
	}
	pkts, err := filepath.Glob(filepath.Join(local, "packets", "*", "*.parquet"))
	if err != nil || len(pkts) == 0 {
		t.Fatalf("packets: %v %v", pkts, err)
	}
	got := rows(t, pkts...)
	if len(got) != 4631 || !strings.Contains(got[0], "memfs://captures/sensor-1/example_") {
		t.Errorf("%d packets, the first %.200s", len(got), got[0])
	}
}
