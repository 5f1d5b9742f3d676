// Package reftest reads the reference files tshark wrote about the real
// captures in testdata/captures (see its README), for the conformance
// tests of several packages.
package reftest

import (
	"bufio"
	"os"
	"sort"
	"strings"
	"testing"
)

// Row is one line of a tshark -T fields table, by field name.
type Row map[string]string

// ReadTSV reads a tab-separated table with a header line (tshark -T fields
// -E header=y). A missing file gives nil, an empty one an empty slice.
func ReadTSV(t testing.TB, path string) []Row {
	t.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var hdr []string
	rows := []Row{} // not nil: the file exists
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		if hdr == nil {
			hdr = fields
			continue
		}
		r := Row{}
		for i, h := range hdr {
			if i < len(fields) {
				r[h] = fields[i]
			}
		}
		rows = append(rows, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// Captures lists the capture files in dir (not its folders, manifest,
// notice or readme), sorted.
func Captures(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		switch n := e.Name(); {
		case e.IsDir(), n == "MANIFEST.tsv", n == "NOTICE", n == "README.md":
		default:
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}
