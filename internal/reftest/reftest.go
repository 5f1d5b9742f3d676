// Package reftest reads the reference files tshark wrote about the real
// captures in testdata/captures (see its README), for the conformance
// tests of several packages.
package reftest

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pcap2table/pcap2table/parsers"
	"github.com/pcap2table/pcap2table/parsers/capture"
	"github.com/pcap2table/pcap2table/sniff"
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

// CaptureSeeds returns the bytes of every capture in dir whose first
// bytes are one of the magics: fuzz seeds from real files.
func CaptureSeeds(t testing.TB, dir string, magics ...[]byte) [][]byte {
	t.Helper()
	var seeds [][]byte
	for _, name := range Captures(t, dir) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range magics {
			if bytes.HasPrefix(b, m) {
				seeds = append(seeds, b)
				break
			}
		}
	}
	return seeds
}

// The magic numbers of pcap (either byte order, µs or ns) and pcapng.
var (
	PcapMagics   = [][]byte{{0xd4, 0xc3, 0xb2, 0xa1}, {0xa1, 0xb2, 0xc3, 0xd4}, {0x4d, 0x3c, 0xb2, 0xa1}, {0xa1, 0xb2, 0x3c, 0x4d}}
	PcapngMagics = [][]byte{{0x0a, 0x0d, 0x0d, 0x0a}}
)

// OpenBytes opens a capture held in memory.
func OpenBytes(b []byte) (capture.Reader, error) {
	s, err := sniff.Open(bytes.NewReader(b), capture.ReadBufferSize)
	if err != nil {
		return nil, err
	}
	return capture.Open(s, 0, "seed")
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

// Decode decodes captures (merged by time) into rows that own their
// payload bytes, so they can be fed again or reordered. A damaged file
// gives the rows before the damage.
func Decode(t testing.TB, paths ...string) []parsers.PacketRow {
	t.Helper()
	var srcs []capture.Source
	for i, path := range paths {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		s, err := sniff.Open(f, capture.ReadBufferSize)
		if err != nil {
			return nil
		}
		r, err := capture.Open(s, i, filepath.Base(path))
		if err != nil {
			return nil
		}
		srcs = append(srcs, r)
	}
	m := capture.NewMerge(capture.Sources(srcs...), func(int, error) {})
	var (
		p    capture.Packet
		d    parsers.Decoder
		rows []parsers.PacketRow
	)
	for {
		if err := m.Next(&p); err != nil {
			break // io.EOF, or a damaged file: the rows before it
		}
		var row parsers.PacketRow
		d.Decode(&p, &row)
		row.Payload = bytes.Clone(row.Payload)
		row.IPPayload = bytes.Clone(row.IPPayload)
		row.L4 = bytes.Clone(row.L4)
		rows = append(rows, row)
	}
	return rows
}

// Payloads returns the non-empty transport payloads of the packets of the
// named captures in dir that keep accepts: fuzz seeds from real traffic
// (none fails the test).
func Payloads(t testing.TB, dir string, names []string, keep func(r *parsers.PacketRow) bool) [][]byte {
	t.Helper()
	var out [][]byte
	for _, name := range names {
		for _, r := range Decode(t, filepath.Join(dir, name)) {
			if len(r.Payload) > 0 && keep(&r) {
				out = append(out, r.Payload)
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("no payload in %v passes the filter: the fuzz target would run unseeded", names)
	}
	return out
}
