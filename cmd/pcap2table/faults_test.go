package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// splitPcap writes the packets of a pcap file into n files of about as
// many packets each (the first ones get one more), as a rotating writer
// would, and returns their names in order.
func splitPcap(t *testing.T, src, dir string, n int) []string {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	hdr, recs := data[:24], data[24:]
	var records [][]byte
	for len(recs) >= 16 {
		l := 16 + int(binary.LittleEndian.Uint32(recs[8:]))
		records = append(records, recs[:l])
		recs = recs[l:]
	}
	var names []string
	for i := range n {
		lo, hi := i*len(records)/n, (i+1)*len(records)/n
		name := filepath.Join(dir, fmt.Sprintf("part_%05d.pcap", i))
		f, err := os.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w := bufio.NewWriter(f)
		w.Write(hdr)
		for _, r := range records[lo:hi] {
			w.Write(r)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		f.Close()
		names = append(names, name)
	}
	return names
}

// TestThousandsOfInputs: 3,000 rotated captures convert under an
// open-file limit of 64 (each is opened when the merge reaches its first
// packet and closed at its end), to the same bytes as the one capture
// they were split from.
func TestThousandsOfInputs(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	src := captures + "pcapplusplus--Tests--Pcap__Test--PcapExamples--example.pcap"
	parts := splitPcap(t, src, dir, 3000)
	const packetCols = "ts,caplen,length,linktype,eth_src,eth_dst,src_ip,dst_ip,ip_proto,src_port,dst_port,tcp_flags,payload_len,flow_id,community_id,decode_error"
	for _, args := range [][]string{
		{"--tables", "flows,dns,http,tls,beacons", "--format", "jsonl"},
		{"--columns", packetCols, "--format", "jsonl", "--tables", "packets"},
	} {
		whole, split := filepath.Join(dir, "whole"), filepath.Join(dir, "split")
		os.RemoveAll(whole)
		os.RemoveAll(split)
		run := func(out string, inputs ...string) {
			t.Helper()
			script := `ulimit -n 64 && exec "$0" "$@"`
			cmd := exec.Command("sh", append([]string{"-c", script, bin, "-q", "-o", out + "/"}, append(args, inputs...)...)...)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%v: %s", err, b)
			}
		}
		run(whole, src)
		run(split, parts...)
		for _, f := range filesUnder(whole) {
			want, _ := os.ReadFile(f)
			got, err := os.ReadFile(filepath.Join(split, filepath.Base(f)))
			if err != nil || !bytes.Equal(got, want) || len(want) == 0 {
				t.Errorf("%s: %d bytes from 3000 files, %d from the one they were split from (%v)", filepath.Base(f), len(got), len(want), err)
			}
		}
	}
}

// ngCapture is a pcapng file with one interface (µs) and an enhanced packet
// block per timestamp (µs units), each an Ethernet/IPv4/UDP packet.
func ngCapture(units ...uint64) []byte {
	le := binary.LittleEndian
	var b []byte
	block := func(typ uint32, body []byte) {
		for len(body)%4 != 0 {
			body = append(body, 0)
		}
		b = le.AppendUint32(b, typ)
		b = le.AppendUint32(b, uint32(12+len(body)))
		b = append(b, body...)
		b = le.AppendUint32(b, uint32(12+len(body)))
	}
	shb := le.AppendUint32(nil, 0x1a2b3c4d)
	shb = le.AppendUint16(shb, 1)
	shb = le.AppendUint16(shb, 0)
	block(0x0a0d0d0a, le.AppendUint64(shb, ^uint64(0)))
	block(1, []byte{1, 0, 0, 0, 0xff, 0xff, 0, 0})
	pkt := ipv4([4]byte{10, 0, 0, 1}, [4]byte{192, 0, 2, 1}, 17, 0, 0, []byte{0x30, 0x39, 0, 53, 0, 8, 0, 0})
	for _, u := range units {
		epb := le.AppendUint32(nil, 0)
		epb = le.AppendUint32(epb, uint32(u>>32))
		epb = le.AppendUint32(epb, uint32(u))
		epb = le.AppendUint32(epb, uint32(len(pkt)))
		epb = le.AppendUint32(epb, uint32(len(pkt)))
		block(6, append(epb, pkt...))
	}
	return b
}

// TestTimeOutOfRangeRun: a packet whose pcapng time is past 2262 gets no
// made-up time: its row has a null ts (and says why), it belongs to no
// flow, a partitioned run puts it in Hive's default partition (no
// partition for a date no packet has), one warning counts such packets,
// and the run exits 3.
func TestTimeOutOfRangeRun(t *testing.T) {
	dir := t.TempDir()
	const jan2024 = 1704067200_000000 // µs
	path := filepath.Join(dir, "times.pcapng")
	if err := os.WriteFile(path, ngCapture(jan2024, 18446744073709551, jan2024+1e6, 18446744073709000), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "ds")
	e, _, errb := testEnv(nil, false)
	code := run(t.Context(), e, []string{path, "--tables", "packets,flows", "--partition-by", "day", "--format", "csv", "-o", out})
	want := "pcap2table: warning: " + path + ": offset 124: frame 2: 2 packets with a timestamp outside 1677-09-21..2262-04-11"
	if code != exitPartial || !strings.Contains(errb.String(), want) || strings.Count(errb.String(), "warning") != 1 {
		t.Fatalf("exit %d, stderr %q; want 3 and one warning %q", code, errb, want)
	}
	var parts []string
	for _, f := range filesUnder(out) {
		rel, _ := filepath.Rel(out, f)
		parts = append(parts, filepath.Dir(rel))
	}
	if got := strings.Join(parts, " "); got != "flows/date=2024-01-01 packets/date=2024-01-01 packets/date=__HIVE_DEFAULT_PARTITION__" {
		t.Errorf("partitions: %s", got)
	}
	def, _ := os.ReadFile(filepath.Join(out, "packets", "date=__HIVE_DEFAULT_PARTITION__", "part-00000.csv"))
	lines := strings.Split(strings.TrimSpace(string(def)), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], "time: out of range") || !strings.Contains(lines[1], ",2,,") {
		t.Errorf("default partition:\n%s", def)
	}
	flows, _ := os.ReadFile(filepath.Join(out, "flows", "date=2024-01-01", "part-00000.csv"))
	if n := strings.Count(string(flows), "\n"); n != 2 || !strings.Contains(string(flows), ",2,0,") {
		t.Errorf("flows: want one flow of the 2 timed packets:\n%s", flows)
	}
}

// longCapture writes a capture of n UDP flows (a second apart, one
// packet each) that takes a while to convert.
func longCapture(t *testing.T, path string, n int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	p := newPcap(t, w)
	for i := range n {
		src := [4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}
		p.packet(1e15+int64(i)*1e6, ipv4(src, [4]byte{192, 0, 2, 1}, 17, 0, 0, []byte{0x30, 0x39, 0, 53, 0, 8, 0, 0}))
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// TestKilledRunLeftovers: a run killed mid-write (kill -9, as the OOM
// killer does) leaves its temporaries; the next run to the same outputs
// removes them and writes whole files.
func TestKilledRunLeftovers(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	long := filepath.Join(dir, "long.pcap")
	longCapture(t, long, 2_000_000)
	out := filepath.Join(dir, "out")
	for _, args := range [][]string{
		{"--tables", "packets,flows", "-o", out},
		{"--tables", "packets,flows", "--partition-by", "day", "-o", out + "-ds"},
	} {
		cmd := exec.Command(bin, append([]string{"-q", long}, args...)...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitWriting(t, args[len(args)-1])
		time.Sleep(300 * time.Millisecond) // into the conversion
		cmd.Process.Kill()
		cmd.Wait()
		target := args[len(args)-1]
		left, _ := filepath.Glob(filepath.Join(target, ".*.tmp-*"))
		if len(left) == 0 {
			t.Fatalf("%v: the killed run left no temporary (did it finish?)", args)
		}
		time.Sleep(2100 * time.Millisecond) // the sweep leaves temporaries younger than 2 s
		small := captures + "pcapplusplus--Tests--Pcap__Test--PcapExamples--example.pcap"
		if b, err := exec.Command(bin, append([]string{"-q", small}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("%v: the next run: %v %s", args, err, b)
		}
		if left, _ := filepath.Glob(filepath.Join(target, ".*.tmp-*")); len(left) > 0 {
			t.Errorf("%v: temporaries left after the next run: %v", args, left)
		}
		for _, f := range filesUnder(target) {
			if strings.HasSuffix(f, ".parquet") && parquetRows(t, f) == 0 {
				t.Errorf("%s: empty", f)
			}
		}
	}
}

// TestTwoRunsOneOutput: two runs writing the same output at once both
// succeed, and the output is one run's whole file, not a mix; neither
// removes the other's temporary.
func TestTwoRunsOneOutput(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.pcap"), filepath.Join(dir, "b.pcap")
	longCapture(t, a, 300_000)
	longCapture(t, b, 200_000)
	out := filepath.Join(dir, "out.csv")
	solo := func(in string) []byte {
		p := filepath.Join(dir, "solo-"+filepath.Base(in)+".csv")
		if o, err := exec.Command(bin, "-q", in, "--tables", "flows", "-o", p).CombinedOutput(); err != nil {
			t.Fatalf("%v %s", err, o)
		}
		data, _ := os.ReadFile(p)
		return data
	}
	wantA, wantB := solo(a), solo(b)
	for range 3 {
		ca := exec.Command(bin, "-q", a, "--tables", "flows", "-o", out)
		cb := exec.Command(bin, "-q", b, "--tables", "flows", "-o", out)
		if err := ca.Start(); err != nil {
			t.Fatal(err)
		}
		if err := cb.Start(); err != nil {
			t.Fatal(err)
		}
		if err := ca.Wait(); err != nil {
			t.Fatalf("run a: %v", err)
		}
		if err := cb.Wait(); err != nil {
			t.Fatalf("run b: %v", err)
		}
		got, _ := os.ReadFile(out)
		if !bytes.Equal(got, wantA) && !bytes.Equal(got, wantB) {
			t.Fatalf("the output (%d bytes) is neither run's whole output (%d, %d)", len(got), len(wantA), len(wantB))
		}
		if left, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*")); len(left) > 0 {
			t.Fatalf("temporaries left: %v", left)
		}
	}
}
