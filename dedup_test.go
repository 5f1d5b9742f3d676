package pcap2table_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pcap2table/pcap2table"
)

// mirrored writes the packets of a real capture as a SPAN port that
// mirrors both of a router's ports shows them: each packet, then its copy
// delay later with another source MAC, a VLAN tag, its TTL one less and
// another IP checksum (edits: what changed hops change). extra, when set,
// edits the copy further (nil: a true copy).
func mirrored(t *testing.T, src, dst string, delay time.Duration, extra func(frame []byte)) int {
	t.Helper()
	p := readPcap(t, src)
	out := &pcapFile{snaplen: p.snaplen, linkType: p.linkType}
	for i, data := range p.data {
		out.data, out.info = append(out.data, data), append(out.info, p.info[i])
		if len(data) < 34 || data[12] != 0x08 || data[13] != 0 {
			continue // not IPv4 over Ethernet: not mirrored
		}
		cp := append([]byte{}, data[:12]...)
		cp[11] ^= 0xff                    // another source MAC
		cp = append(cp, 0x81, 0, 0, 42)   // VLAN 42
		cp = append(cp, data[12:]...)     // EtherType, IPv4 ...
		cp[18+8]--                        // TTL
		cp[18+10], cp[18+11] = 0xde, 0xad // the checksum
		if extra != nil {
			extra(cp)
		}
		ci := p.info[i]
		ci.Timestamp = ci.Timestamp.Add(delay)
		ci.CaptureLength, ci.Length = len(cp), ci.Length+4
		out.data, out.info = append(out.data, cp), append(out.info, ci)
	}
	out.write(t, dst, 0, len(out.data), 4)
	return len(p.data)
}

// TestDedup: with Dedup, a capture whose every packet a SPAN port showed
// twice converts to the same packets and flows tables as the original
// (but the file column), the copies counted; copies later than the
// window, or that differ in a byte of the IP payload or the IP id, are
// kept; without Dedup every copy is a row.
func TestDedup(t *testing.T) {
	src := captures + "dpkt--examples--data--http.pcap"
	dir := t.TempDir()
	convert := func(in string, dedup bool, table string) (string, *pcap2table.Stats) {
		out := filepath.Join(dir, "out.jsonl")
		st, err := pcap2table.Convert(context.Background(), []string{in}, pcap2table.Options{Output: out, Tables: []string{table}, Dedup: dedup})
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return strings.ReplaceAll(string(b), in, "FILE"), st
	}
	wantPackets, _ := convert(src, false, "packets")
	wantFlows, _ := convert(src, false, "flows")
	for _, tc := range []struct {
		name  string
		delay time.Duration
		edit  func([]byte)
		kept  bool // the copies stay
	}{
		{"copies 30 µs later", 30 * time.Microsecond, nil, false},
		{"copies 9 ms later", 9 * time.Millisecond, nil, false},
		{"copies 20 ms later: past the window", 20 * time.Millisecond, nil, true},
		{"another IP id", 30 * time.Microsecond, func(f []byte) { f[18+5] ^= 1 }, true},
		{"another last byte", 30 * time.Microsecond, func(f []byte) { f[len(f)-1] ^= 1 }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := filepath.Join(dir, "mirrored.pcap")
			n := mirrored(t, src, in, tc.delay, tc.edit)
			got, st := convert(in, true, "packets")
			lines := strings.Count(got, "\n")
			if tc.kept {
				if st.Total.Duplicates != 0 || lines <= n {
					t.Fatalf("%d duplicates dropped, %d rows of %d packets: the copies should stay", st.Total.Duplicates, lines, n)
				}
				return
			}
			if st.Total.Duplicates == 0 || lines != n || st.Total.Packets != uint64(n) {
				t.Fatalf("%d duplicates dropped, %d rows, %d packets counted; want %d rows", st.Total.Duplicates, lines, st.Total.Packets, n)
			}
			// the kept packets are the originals, frame numbers aside
			// (a frame is the record's number in its file)
			if strip(got) != strip(wantPackets) {
				t.Fatal("the packets kept are not the original ones")
			}
			if flows, _ := convert(in, true, "flows"); flows != wantFlows {
				t.Fatalf("flows differ:\n%s\nwant\n%s", flows, wantFlows)
			}
		})
	}
	in := filepath.Join(dir, "mirrored.pcap")
	n := mirrored(t, src, in, 30*time.Microsecond, nil)
	if got, st := convert(in, false, "packets"); st.Total.Duplicates != 0 || strings.Count(got, "\n") <= n {
		t.Fatal("without Dedup the copies are dropped")
	}
}

// strip leaves out of JSONL rows the frame column, which numbers a
// packet within its file.
func strip(s string) string {
	var b bytes.Buffer
	for _, line := range strings.Split(s, "\n") {
		if i := strings.Index(line, `"frame":`); i >= 0 {
			j := strings.Index(line[i:], ",")
			line = line[:i] + line[i+j+1:]
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}
