package pcap2table_test

import (
	"bytes"
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pcap2table/pcap2table"
	"github.com/pcap2table/pcap2table/parsers/capture"
	"github.com/pcap2table/pcap2table/protocols/dns"
)

// partTables are the tables a split conversion (Options.Parts) writes
// the same rows of; beacons needs every flow of a pair in one run.
var partTables = []string{"packets", "flows", "dns", "http", "tls", "weird"}

// TestParts: the parts of a split conversion (Options.Parts), each given
// every DNS answer of the inputs (Options.Names), write together the rows
// of one conversion, for every table but beacons, on every real capture
// of testdata and on a capture rotated into pieces (flows across files).
func TestParts(t *testing.T) {
	ins, err := filepath.Glob(captures + "*.pcap*")
	if err != nil {
		t.Fatal(err)
	}
	peers, err := filepath.Glob("testdata/peers/*/*.pcap*")
	if err != nil {
		t.Fatal(err)
	}
	more, err := filepath.Glob("testdata/peers/*/*/*.pcap*")
	if err != nil {
		t.Fatal(err)
	}
	ins = append(append(ins, peers...), more...)
	var cases [][]string
	for _, in := range ins {
		cases = append(cases, []string{in})
	}
	pieces, err := filepath.Glob("testdata/rotated/example_*.pcap")
	if err != nil || len(pieces) < 2 {
		t.Fatalf("pieces: %v %v", pieces, err)
	}
	cases = append(cases, pieces)
	rows := 0
	for _, in := range cases {
		t.Run(filepath.Base(in[0]), func(t *testing.T) { rows += testParts(t, in, 3) })
	}
	if rows < 10000 {
		t.Errorf("only %d rows compared", rows)
	}
}

// testParts compares the rows of the whole conversion of in with those of
// its parts, table by table, order aside, and returns the rows compared.
func testParts(t *testing.T, in []string, parts int) int {
	whole := convertLines(t, in, pcap2table.Options{})
	if whole == nil {
		t.Skip("not a capture this tool reads")
	}
	answers := dns.NewNames()
	convertLines(t, in, pcap2table.Options{Tables: []string{"dns"}, Names: answers})
	got := map[string][]string{}
	for part := range parts {
		names := dns.NewNames()
		answers.Each(func(ts int64, name string, addr netip.Addr) { names.Resolved(ts, name, addr) })
		for table, lines := range convertLines(t, in, pcap2table.Options{Parts: parts, Part: part, Names: names}) {
			got[table] = append(got[table], lines...)
		}
	}
	n := 0
	for _, table := range partTables {
		want, have := whole[table], got[table]
		slices.Sort(want)
		slices.Sort(have)
		n += len(want)
		if !slices.Equal(want, have) {
			t.Errorf("%s: %d rows from the parts, %d from the whole; first differences:\n%s", table, len(have), len(want), firstDiff(want, have))
		}
	}
	return n
}

// convertLines converts in to every table of partTables (or o.Tables) as
// JSONL and returns each table's lines; nil when the input is refused.
func convertLines(t *testing.T, in []string, o pcap2table.Options) map[string][]string {
	t.Helper()
	dir := t.TempDir()
	o.Output, o.Format = dir+"/", "jsonl"
	if o.Tables == nil {
		o.Tables = partTables
	}
	var ie *capture.InputError
	if _, err := pcap2table.Convert(context.Background(), in, o); errors.As(err, &ie) && !errors.Is(err, pcap2table.ErrPartial) {
		return nil
	} else if err != nil && !errors.Is(err, pcap2table.ErrPartial) {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, table := range o.Tables {
		b, err := os.ReadFile(filepath.Join(dir, table+".jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		if s := strings.TrimSuffix(string(b), "\n"); s != "" {
			out[table] = strings.Split(s, "\n")
		}
	}
	return out
}

// firstDiff lists a few lines of sorted a and b that the other lacks.
func firstDiff(a, b []string) string {
	var s bytes.Buffer
	for i, j, k := 0, 0, 0; (i < len(a) || j < len(b)) && k < 6; {
		switch {
		case j == len(b) || i < len(a) && a[i] < b[j]:
			s.WriteString("  whole only: " + a[i] + "\n")
			i, k = i+1, k+1
		case i == len(a) || b[j] < a[i]:
			s.WriteString("  parts only: " + b[j] + "\n")
			j, k = j+1, k+1
		default:
			i, j = i+1, j+1
		}
	}
	return s.String()
}
