package filter_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/layers"
	"github.com/pcap2table/pcap2table/filter"
	"github.com/pcap2table/pcap2table/internal/reftest"
	"github.com/pcap2table/pcap2table/parsers/capture"
)

// The tcpdump references: testdata/make-filter-refs.sh runs tcpdump
// 4.99 / libpcap 1.10 with every expression of
// testdata/filter-refs/expressions.txt on every capture of
// testdata/captures (split by link type) and on the synthetic captures,
// and records which frames matched in testdata/filter-refs/refs.tsv.
// TestTcpdumpReferences checks that Match picks exactly those frames.

var refsOut = flag.String("filter-refs-out", "", "write the numbered per-link-type copies of testdata/captures there and rewrite testdata/filter-refs/synthetic-*.pcap (for make-filter-refs.sh)")

const (
	capturesDir = "../testdata/captures"
	refsDir     = "../testdata/filter-refs"
)

type refFrame struct {
	n       uint64
	data    []byte
	wireLen uint32
}

// readFrames reads a capture with the project's reader, by link type.
func readFrames(t testing.TB, path string) (map[layers.LinkType][]refFrame, bool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := reftest.OpenBytes(b)
	if err != nil {
		return nil, false, err
	}
	out := map[layers.LinkType][]refFrame{}
	var p capture.Packet
	for {
		if err := r.Next(&p); err != nil {
			if err != io.EOF {
				return out, bigEndianFile(b), err
			}
			break
		}
		out[p.LinkType] = append(out[p.LinkType], refFrame{p.Frame, bytes.Clone(p.Data), p.Length})
	}
	return out, bigEndianFile(b), nil
}

// bigEndianFile: the byte order the capture was written in, which
// libpcap takes for that of BSD loopback headers.
func bigEndianFile(b []byte) bool {
	switch {
	case bytes.HasPrefix(b, []byte{0xa1, 0xb2, 0xc3, 0xd4}), bytes.HasPrefix(b, []byte{0xa1, 0xb2, 0x3c, 0x4d}):
		return true
	case bytes.HasPrefix(b, []byte{0x0a, 0x0d, 0x0d, 0x0a}) && len(b) >= 12:
		return bytes.Equal(b[8:12], []byte{0x1a, 0x2b, 0x3c, 0x4d})
	}
	return false
}

// writePcap writes frames as a microsecond pcap whose timestamps are
// the frame numbers, so that tcpdump's output names the frames.
func writePcap(path string, lt layers.LinkType, bigEndian bool, frames []refFrame) error {
	var order binary.AppendByteOrder = binary.LittleEndian
	if bigEndian {
		order = binary.BigEndian
	}
	var b []byte
	b = order.AppendUint32(b, 0xa1b2c3d4)
	b = order.AppendUint16(b, 2)
	b = order.AppendUint16(b, 4)
	b = order.AppendUint32(b, 0)
	b = order.AppendUint32(b, 0)
	b = order.AppendUint32(b, 262144)
	b = order.AppendUint32(b, uint32(lt))
	for _, f := range frames {
		b = order.AppendUint32(b, uint32(f.n))
		b = order.AppendUint32(b, 0)
		b = order.AppendUint32(b, uint32(len(f.data)))
		b = order.AppendUint32(b, f.wireLen)
		b = append(b, f.data...)
	}
	return os.WriteFile(path, b, 0o644)
}

func synthName(lt layers.LinkType) string { return fmt.Sprintf("synthetic-%d.pcap", lt) }

// TestWriteRefCaptures writes the inputs of make-filter-refs.sh; it
// runs only with -filter-refs-out.
func TestWriteRefCaptures(t *testing.T) {
	if *refsOut == "" {
		t.Skip("only with -filter-refs-out DIR (testdata/make-filter-refs.sh)")
	}
	for _, name := range reftest.Captures(t, capturesDir) {
		byLT, be, err := readFrames(t, filepath.Join(capturesDir, name))
		if err != nil && len(byLT) == 0 {
			t.Logf("%s: %v: skipped", name, err)
			continue
		}
		for lt, frames := range byLT {
			if err := writePcap(filepath.Join(*refsOut, fmt.Sprintf("%s@%d.pcap", name, lt)), lt, be, frames); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, lt := range synthLinkTypes {
		var frames []refFrame
		for i, f := range synthFrames(lt) {
			frames = append(frames, refFrame{uint64(i + 1), f.data, f.wireLen})
		}
		if err := writePcap(filepath.Join(refsDir, synthName(lt)), lt, false, frames); err != nil {
			t.Fatal(err)
		}
	}
}

type refRow struct {
	expr, capture string
	lt            layers.LinkType
	refused       string // tcpdump's error, if it refused the filter
	frames        map[uint64]bool
}

func parseFrameList(s string) (map[uint64]bool, error) {
	m := map[uint64]bool{}
	if s == "" {
		return m, nil
	}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.ParseUint(lo, 10, 64)
		if err != nil {
			return nil, err
		}
		b := a
		if isRange {
			if b, err = strconv.ParseUint(hi, 10, 64); err != nil {
				return nil, err
			}
		}
		for n := a; n <= b; n++ {
			m[n] = true
		}
	}
	return m, nil
}

func formatFrameList(frames []uint64) string {
	sort.Slice(frames, func(i, j int) bool { return frames[i] < frames[j] })
	var parts []string
	for i := 0; i < len(frames); {
		j := i
		for j+1 < len(frames) && frames[j+1] == frames[j]+1 {
			j++
		}
		if j > i {
			parts = append(parts, fmt.Sprintf("%d-%d", frames[i], frames[j]))
		} else {
			parts = append(parts, strconv.FormatUint(frames[i], 10))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

func readRefs(t *testing.T) []refRow {
	f, err := os.Open(filepath.Join(refsDir, "refs.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	var rows []refRow
	for line := 0; sc.Scan(); line++ {
		if line == 0 {
			continue
		}
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) != 4 {
			t.Fatalf("refs.tsv line %d: %d columns", line+1, len(cols))
		}
		lt, err := strconv.Atoi(cols[2])
		if err != nil {
			t.Fatalf("refs.tsv line %d: %v", line+1, err)
		}
		r := refRow{expr: cols[0], capture: cols[1], lt: layers.LinkType(lt)}
		if strings.HasPrefix(cols[3], "!") {
			r.refused = cols[3][1:]
		} else if r.frames, err = parseFrameList(cols[3]); err != nil {
			t.Fatalf("refs.tsv line %d: %v", line+1, err)
		}
		rows = append(rows, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// knownDifferences lists the (expression, capture) cells where Match
// knowingly differs from tcpdump, with the reason (also in
// docs/filter.md).
var knownDifferences = map[[2]string]string{}

// unsupportedLinkTypes are the link types of the captures that tcpdump
// filters and package filter does not (it matches no packet of them
// unless the filter needs no layer).
var unsupportedLinkTypes = map[layers.LinkType]string{
	layers.LinkTypeIEEE802_11:     "802.11 is not supported (tcpdump reads the LLC/SNAP payload of data frames)",
	layers.LinkTypeIEEE80211Radio: "radiotap + 802.11 is not supported",
}

func TestTcpdumpReferences(t *testing.T) {
	rows := readRefs(t)
	if len(rows) == 0 {
		t.Fatal("no references")
	}
	captures := map[string]map[layers.LinkType][]refFrame{}
	bigEndian := map[string]bool{}
	filters := map[string]*filter.Filter{}
	compileErrs := map[string]error{}
	var cells, agreeCells, refusedCells, frames, agreeFrames, known, knownFrames int
	exprs := map[string]bool{}
	for _, r := range rows {
		exprs[r.expr] = true
		byLT, ok := captures[r.capture]
		if !ok {
			path := filepath.Join(capturesDir, r.capture)
			if strings.HasPrefix(r.capture, "synthetic-") {
				path = filepath.Join(refsDir, r.capture)
			}
			var be bool
			byLT, be, _ = readFrames(t, path)
			captures[r.capture], bigEndian[r.capture] = byLT, be
		}
		f, ok := filters[r.expr]
		if !ok {
			var err error
			f, err = filter.Compile(r.expr)
			filters[r.expr], compileErrs[r.expr] = f, err
		}
		cells++
		if reason, ok := knownDifferences[[2]string{r.expr, r.capture}]; ok {
			known++
			t.Logf("known difference: %q on %s: %s", r.expr, r.capture, reason)
			continue
		}
		if r.refused != "" && strings.Contains(r.refused, "expression rejects all packets") {
			// Not a refusal: libpcap found that no packet can match.
			r.refused, r.frames = "", map[uint64]bool{}
		}
		if reason, ok := unsupportedLinkTypes[r.lt]; ok {
			known++
			t.Logf("known difference: %q on %s: %s", r.expr, r.capture, reason)
			continue
		}
		if r.refused != "" {
			refusedCells++
			if f == nil || f.LinkTypeError(r.lt) != nil {
				agreeCells++
			} else {
				t.Errorf("%q on %s (link type %d): tcpdump refuses (%s), we compile", r.expr, r.capture, r.lt, r.refused)
			}
			continue
		}
		if f == nil {
			t.Errorf("%q: tcpdump compiles it, we do not: %v", r.expr, compileErrs[r.expr])
			continue
		}
		var extra, missing []uint64
		for _, fr := range byLT[r.lt] {
			if r.lt == layers.LinkTypeNull && otherByteOrderAF(fr.data, bigEndian[r.capture]) {
				knownFrames++
				continue
			}
			frames++
			got := f.Match(fr.data, r.lt, fr.wireLen)
			if got == r.frames[fr.n] {
				agreeFrames++
				continue
			}
			if got {
				extra = append(extra, fr.n)
			} else {
				missing = append(missing, fr.n)
			}
		}
		if len(extra) == 0 && len(missing) == 0 {
			agreeCells++
			continue
		}
		t.Errorf("%q on %s (link type %d): we match frames tcpdump does not: [%s]; we miss frames it matches: [%s]",
			r.expr, r.capture, r.lt, formatFrameList(extra), formatFrameList(missing))
	}
	t.Logf("tcpdump agreement: %d/%d cells (%.2f %%; %d expressions, %d captures, %d cells tcpdump refuses, %d cells of unsupported link types), %d/%d frame verdicts (%.3f %%; %d verdicts on BSD loopback headers in the other byte order left out)",
		agreeCells, cells-known, 100*float64(agreeCells)/float64(max(cells-known, 1)), len(exprs), len(captures),
		refusedCells, known, agreeFrames, frames, 100*float64(agreeFrames)/float64(max(frames, 1)), knownFrames)
}

// otherByteOrderAF reports a BSD loopback (DLT_NULL) header whose
// address family is not in the capture file's byte order: libpcap then
// sees no IPv4 or IPv6 (it expects the file's order), package filter
// accepts either order (Match is not told the file's). A known
// difference, by design (docs/filter.md).
func otherByteOrderAF(data []byte, bigEndian bool) bool {
	if len(data) < 4 {
		return false
	}
	v := binary.LittleEndian.Uint32(data)
	if bigEndian {
		v = binary.BigEndian.Uint32(data)
	}
	known := func(af uint32) bool { return af == 2 || af == 24 || af == 28 || af == 30 }
	return !known(v) && known(v>>24|v>>8&0xff00|v<<8&0xff0000|v<<24)
}
