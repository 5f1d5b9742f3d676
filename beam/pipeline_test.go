package pcapbeam_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/parquet-go/parquet-go"
	"github.com/pcap2table/pcap2table"
	pcapbeam "github.com/pcap2table/pcap2table/beam"
	"github.com/pcap2table/pcap2table/flows"
)

func TestMain(m *testing.M) {
	// Prism's loopback workers leave files in TMPDIR: give them a folder
	// of their own, removed after
	tmp, err := os.MkdirTemp("", "pcap2table-beam-test-")
	if err != nil {
		panic(err)
	}
	os.Setenv("TMPDIR", tmp)
	code := ptest.MainRet(m)
	os.RemoveAll(tmp)
	os.Exit(code)
}

// tables are those compared: every table.
var tables = []string{"packets", "flows", "dns", "http", "tls", "beacons", "weird"}

// TestSameRows: on Prism, the pipeline writes the rows pcap2table writes
// for every table (order aside): for every real capture of the project's
// testdata and its peers' (Zeek's and Suricata's traces) as one
// conversion, and for a capture rotated into pieces, whose flows cross
// the files.
func TestSameRows(t *testing.T) {
	var all []string
	for _, glob := range []string{"../testdata/captures/*.pcap*", "../testdata/peers/*/*.pcap*", "../testdata/peers/*/*/*.pcap*"} {
		m, err := filepath.Glob(glob)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, m...)
	}
	var readable []string // those pcap2table converts, damaged or not
	for _, in := range all {
		if _, err := pcap2table.Scan(context.Background(), []string{in}, pcap2table.Options{}); err == nil || errors.Is(err, pcap2table.ErrPartial) {
			readable = append(readable, in)
		}
	}
	t.Logf("%d of %d captures readable", len(readable), len(all))
	rotated, err := filepath.Glob("../testdata/rotated/example_*.pcap")
	if err != nil || len(rotated) < 2 {
		t.Fatalf("pieces: %v %v", rotated, err)
	}
	for _, c := range []struct {
		name    string
		inputs  []string
		minRows int
	}{
		{"captures", readable, 15000},
		{"rotated", rotated, 1000},
	} {
		t.Run(c.name, func(t *testing.T) {
			if len(c.inputs) < 2 {
				t.Fatalf("%d inputs", len(c.inputs))
			}
			testSameRows(t, c.inputs, c.minRows)
		})
	}
}

func testSameRows(t *testing.T, inputs []string, minRows int) {
	dir := t.TempDir()
	out := filepath.Join(dir, "beam")
	run(t, pcapbeam.Config{Inputs: inputs, Output: out, Tables: tables, Parts: 3})
	n := compare(t, inputs, out, "", filepath.Join(dir, "one"))
	t.Logf("%d rows compared", n)
	if n < minRows {
		t.Errorf("only %d rows compared", n)
	}
	checkSuccess(t, out)
}

// TestBySensor: with Config.BySensor each folder's captures are a
// conversion of their own, under <table>/sensor=<folder>/: a capture
// rotated into pieces (flows cross the files) and Zeek's traces.
func TestBySensor(t *testing.T) {
	rotated, err1 := filepath.Glob("../testdata/rotated/example_*.pcap")
	zeek, err2 := filepath.Glob("../testdata/peers/zeek/*.pcap")
	if err := errors.Join(err1, err2); err != nil || len(rotated) < 2 || len(zeek) < 2 {
		t.Fatalf("inputs: %v %v %v", rotated, zeek, err)
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "beam")
	// interleaved: the groups follow the folders, not the order
	inputs := append([]string{zeek[0]}, append(rotated, zeek[1:]...)...)
	run(t, pcapbeam.Config{Inputs: inputs, Output: out, Tables: tables, Parts: 2, BySensor: true})
	for sensor, in := range map[string][]string{"rotated": rotated, "zeek": zeek} {
		n := compare(t, in, out, sensor, filepath.Join(dir, sensor))
		t.Logf("sensor %s: %d rows compared", sensor, n)
	}
	checkSuccess(t, out)
}

// run builds the pipeline of c and runs it on Prism.
func run(t *testing.T, c pcapbeam.Config) {
	t.Helper()
	p, s := beam.NewPipelineWithRoot()
	if err := pcapbeam.Build(s, c); err != nil {
		t.Fatal(err)
	}
	if err := ptest.Run(p); err != nil {
		t.Fatal(err)
	}
}

// successCounts are the rows pcap2table wrote per table, summed over the
// conversions compare ran, for checkSuccess.
var successCounts = map[string]int{}

// compare converts inputs with pcap2table into one and checks that the
// rows of every table equal those of the pipeline's output out (under
// sensor=SENSOR when not ""), order aside; it returns the rows compared.
func compare(t *testing.T, inputs []string, out, sensor, one string) int {
	t.Helper()
	return compareWith(t, inputs, out, sensor, one, pcap2table.Options{})
}

// compareWith is compare with pcap2table's options o.
func compareWith(t *testing.T, inputs []string, out, sensor, one string, o pcap2table.Options) int {
	t.Helper()
	o.Output, o.Tables, o.Format = one+"/", tables, "parquet"
	_, err := pcap2table.Convert(context.Background(), inputs, o)
	if err != nil && !errors.Is(err, pcap2table.ErrPartial) {
		t.Fatal(err)
	}
	prefix := ""
	if sensor != "" {
		prefix = "sensor=" + regexp.QuoteMeta(sensor) + "/"
	}
	layout := regexp.MustCompile(`^[a-z]+/` + prefix + `date=(\d{4}-\d\d-\d\d|__HIVE_DEFAULT_PARTITION__)/part-\d{5}-\d{5}\.parquet$`)
	n := 0
	for _, table := range tables {
		want := rows(t, filepath.Join(one, table+".parquet"))
		root := filepath.Join(out, table)
		if sensor != "" {
			root = filepath.Join(root, "sensor="+sensor)
		}
		var files []string
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if errors.Is(err, fs.ErrNotExist) && len(want) == 0 {
				return nil // no rows, no folder
			}
			if err == nil && !d.IsDir() {
				files = append(files, p)
				if rel, _ := filepath.Rel(out, p); !layout.MatchString(filepath.ToSlash(rel)) {
					t.Errorf("%s: not a Hive-partitioned part file", rel)
				}
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := rows(t, files...); !slices.Equal(got, want) {
			t.Errorf("%s %s: %d rows from Beam, %d from pcap2table", sensor, table, len(got), len(want))
		}
		if len(want) > 0 {
			t.Logf("%s %s: %d rows", sensor, table, len(want))
		}
		successCounts[out+"\x00"+table] += len(want)
		n += len(want)
	}
	return n
}

// checkSuccess checks that out/_SUCCESS has the rows compare counted.
func checkSuccess(t *testing.T, out string) {
	t.Helper()
	success, err := os.ReadFile(filepath.Join(out, "_SUCCESS"))
	if err != nil {
		t.Fatal(err)
	}
	for _, table := range tables {
		if line := fmt.Sprintf("%s\t%d\n", table, successCounts[out+"\x00"+table]); !strings.Contains(string(success), line) {
			t.Errorf("_SUCCESS lacks %q:\n%s", line, success)
		}
	}
}

// rows reads every row of the Parquet files, each as a string of its
// values (column, levels, value), sorted.
func rows(t *testing.T, files ...string) []string {
	t.Helper()
	var out []string
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		st, err := f.Stat()
		if err != nil {
			t.Fatal(err)
		}
		pf, err := parquet.OpenFile(f, st.Size())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, rg := range pf.RowGroups() {
			out = append(out, groupRows(t, rg)...)
		}
		f.Close()
	}
	slices.Sort(out)
	return out
}

func groupRows(t *testing.T, rg parquet.RowGroup) []string {
	var out []string
	rs := rg.Rows()
	defer rs.Close()
	buf := make([]parquet.Row, 64)
	for {
		n, err := rs.ReadRows(buf)
		for _, r := range buf[:n] {
			var b strings.Builder
			for _, v := range r {
				fmt.Fprintf(&b, "%d:%d:%d:%q|", v.Column(), v.RepetitionLevel(), v.DefinitionLevel(), v.String())
			}
			out = append(out, b.String())
		}
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestConfig: what the pipeline refuses before it runs.
func TestConfig(t *testing.T) {
	for _, c := range []struct {
		cfg  pcapbeam.Config
		want string
	}{
		{pcapbeam.Config{Output: "x"}, "no input"},
		{pcapbeam.Config{Inputs: []string{"a.pcap"}}, "no output folder"},
		{pcapbeam.Config{Inputs: []string{"a.pcap"}, Output: "x", Tables: []string{"flow"}}, `unknown table "flow"`},
		{pcapbeam.Config{Inputs: []string{"a.pcap"}, Output: "x", PartitionBy: "week"}, `unknown partitioning "week"`},
		{pcapbeam.Config{Inputs: []string{"a.pcap"}, Output: "x", Filter: "tcp port"}, "filter:"},
	} {
		_, s := beam.NewPipelineWithRoot()
		if err := pcapbeam.Build(s, c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.cfg, err, c.want)
		}
	}
}

// TestSameRowsLarge compares every table of the captures named by
// $PCAP2TABLE_BEAM_LARGE (a glob; e.g. bench/out/bench-200000.pcap) with
// 4 parts: a check by hand on a capture too large for CI.
func TestSameRowsLarge(t *testing.T) {
	glob := os.Getenv("PCAP2TABLE_BEAM_LARGE")
	if glob == "" {
		t.Skip("set PCAP2TABLE_BEAM_LARGE to a glob of captures")
	}
	inputs, err := filepath.Glob(glob)
	if err != nil || len(inputs) == 0 {
		t.Fatalf("%s: %v %v", glob, inputs, err)
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "beam")
	run(t, pcapbeam.Config{Inputs: inputs, Output: out, Tables: tables, Parts: 4})
	t.Logf("%d rows compared", compare(t, inputs, out, "", filepath.Join(dir, "one")))
	checkSuccess(t, out)
}

// TestOptions: pcap2table's options (--filter, --dedup, the Community ID
// seed, the beacons' minimum) apply in every stage as in pcap2table: the
// filter here leaves out the DNS answers too.
func TestOptions(t *testing.T) {
	pieces, err := filepath.Glob("../testdata/rotated/example_*.pcap")
	if err != nil || len(pieces) < 2 {
		t.Fatalf("pieces: %v %v", pieces, err)
	}
	out := filepath.Join(t.TempDir(), "beam")
	run(t, pcapbeam.Config{Inputs: pieces, Output: out, Tables: tables, Parts: 3,
		Filter: "tcp or icmp", Dedup: true, CommunityIDSeed: 7, BeaconMinConns: 3})
	o := pcap2table.Options{Filter: "tcp or icmp", Dedup: true, BeaconMinConns: 3}
	cfg := flows.DefaultConfig()
	cfg.Seed = 7
	o.Flows = &cfg
	if n := compareWith(t, pieces, out, "", filepath.Join(t.TempDir(), "one"), o); n < 1000 {
		t.Errorf("only %d rows compared", n)
	}
}

// TestNamesForBeacons: with beacons but no dns table, pcap2table still
// names the flows' destinations (the parsers and the namer run for the
// beacons' keys); so do the parts, which convert beacons too and leave
// its files to the one worker that writes the whole table.
func TestNamesForBeacons(t *testing.T) {
	pieces, err := filepath.Glob("../testdata/rotated/example_*.pcap")
	if err != nil || len(pieces) < 2 {
		t.Fatalf("pieces: %v %v", pieces, err)
	}
	saved := tables
	tables = []string{"flows", "beacons"}
	defer func() { tables = saved }()
	out := filepath.Join(t.TempDir(), "beam")
	run(t, pcapbeam.Config{Inputs: pieces, Output: out, Tables: tables, Parts: 3})
	if n := compare(t, pieces, out, "", filepath.Join(t.TempDir(), "one")); n < 100 {
		t.Errorf("only %d rows compared", n)
	}
	checkSuccess(t, out)
}
