package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

// raceEnabled is set by race_test.go: the hostile captures are too slow
// to generate under the race detector (the binary they feed is built
// without it anyway).
var raceEnabled bool

// pcapWriter writes a classic pcap (µs, Ethernet) record by record.
type pcapWriter struct {
	w *bufio.Writer
}

func newPcap(t *testing.T, w *bufio.Writer) *pcapWriter {
	hdr := make([]byte, 24)
	binary.LittleEndian.PutUint32(hdr, 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(hdr[4:], 2)
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], 65535)
	binary.LittleEndian.PutUint32(hdr[20:], 1)
	if _, err := w.Write(hdr); err != nil {
		t.Fatal(err)
	}
	return &pcapWriter{w: w}
}

func (p *pcapWriter) packet(us int64, data []byte) {
	var rec [16]byte
	binary.LittleEndian.PutUint32(rec[0:], uint32(us/1e6))
	binary.LittleEndian.PutUint32(rec[4:], uint32(us%1e6))
	binary.LittleEndian.PutUint32(rec[8:], uint32(len(data)))
	binary.LittleEndian.PutUint32(rec[12:], uint32(len(data)))
	p.w.Write(rec[:])
	p.w.Write(data)
}

// ipv4 builds Ethernet + IPv4 (protocol proto, fragment field frag, id)
// + payload.
func ipv4(src, dst [4]byte, proto byte, id uint16, frag uint16, payload []byte) []byte {
	b := make([]byte, 14+20, 14+20+len(payload))
	binary.BigEndian.PutUint16(b[12:], 0x0800)
	ip := b[14:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(20+len(payload)))
	binary.BigEndian.PutUint16(ip[4:], id)
	binary.BigEndian.PutUint16(ip[6:], frag)
	ip[8], ip[9] = 64, proto
	copy(ip[12:], src[:])
	copy(ip[16:], dst[:])
	return append(b, payload...)
}

// TestHostile converts generated hostile captures with every table, each
// in a child process: it must end with the expected exit code and a peak
// RSS within a bound. The floods that fill the converter's state (live
// flows, fragments, TCP holes) are in bench/floods.sh, their peak memory
// printed beside the documented bounds; what bounds that state is tested
// without timing (flows' TestMaxFlows, TestFragCap, TestCapGiveUpMissed,
// TestFlowIDEvictionFloodOneInstant).
func TestHostile(t *testing.T) {
	if raceEnabled {
		t.Skip("too slow under the race detector")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	client, server := [4]byte{10, 0, 0, 1}, [4]byte{192, 0, 2, 1}
	for _, tc := range []struct {
		name   string
		gen    func(t *testing.T, w *bufio.Writer)
		gz     bool
		args   []string
		code   exitCode
		maxMiB int64
		check  func(t *testing.T, stderr string, out string)
	}{
		{"a pcapng with 65 536 interfaces", func(t *testing.T, w *bufio.Writer) {
			le := binary.LittleEndian
			block := func(typ uint32, body []byte) {
				for len(body)%4 != 0 {
					body = append(body, 0)
				}
				var h [8]byte
				le.PutUint32(h[:], typ)
				le.PutUint32(h[4:], uint32(12+len(body)))
				w.Write(h[:])
				w.Write(body)
				var tl [4]byte
				le.PutUint32(tl[:], uint32(12+len(body)))
				w.Write(tl[:])
			}
			shb := make([]byte, 16)
			le.PutUint32(shb, 0x1a2b3c4d)
			le.PutUint16(shb[4:], 1)
			le.PutUint64(shb[8:], ^uint64(0))
			block(0x0a0d0d0a, shb)
			for range 65536 {
				idb := make([]byte, 8)
				le.PutUint16(idb, 1)
				le.PutUint32(idb[4:], 65535)
				block(1, idb)
			}
			pkt := ipv4(client, server, 17, 0, 0, []byte{0, 53, 0, 53, 0, 8, 0, 0})
			for i := range 65536 {
				epb := make([]byte, 20, 20+len(pkt))
				le.PutUint32(epb, uint32(i))
				le.PutUint32(epb[8:], uint32(i))
				le.PutUint32(epb[12:], uint32(len(pkt)))
				le.PutUint32(epb[16:], uint32(len(pkt)))
				block(6, append(epb, pkt...))
			}
		}, false, nil, exitOK, 400, nil},
		{"a gzip bomb", func(t *testing.T, w *bufio.Writer) {
			// 64 MiB of zeros after a pcap header: 4 Mi empty records,
			// from a file of a few hundred KiB
			newPcap(t, w)
			zero := make([]byte, 1<<20)
			for range 64 {
				w.Write(zero)
			}
		}, true, nil, exitOK, 400, func(t *testing.T, stderr, out string) {
			if n := parquetRows(t, filepath.Join(out, "packets.parquet")); n != 4<<20 {
				t.Errorf("%d packets rows, want %d", n, 4<<20)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".pcap")
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			var w *bufio.Writer
			var zw *gzip.Writer
			if tc.gz {
				zw = gzip.NewWriter(f)
				w = bufio.NewWriterSize(zw, 1<<20)
			} else {
				w = bufio.NewWriterSize(f, 1<<20)
			}
			tc.gen(t, w)
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			if zw != nil {
				zw.Close()
			}
			f.Close()
			defer os.Remove(path)
			out := filepath.Join(dir, "out")
			os.RemoveAll(out)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			args := append([]string{path, "--tables", "packets,flows,dns,http,tls,beacons", "-o", out}, tc.args...)
			cmd := exec.CommandContext(ctx, bin, args...)
			stderr, err := cmd.CombinedOutput()
			code := exitCode(0)
			if ee, ok := err.(*exec.ExitError); ok {
				code = exitCode(ee.ExitCode())
			} else if err != nil {
				t.Fatal(err)
			}
			if ctx.Err() != nil {
				t.Fatalf("still running after 2 minutes")
			}
			rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss >> 10 // KiB on Linux
			t.Logf("exit %d, peak RSS %d MiB, %s", code, rss, cmd.ProcessState.UserTime())
			if code != tc.code {
				t.Fatalf("exit %d, want %d: %s", code, tc.code, stderr)
			}
			if rss > tc.maxMiB {
				t.Errorf("peak RSS %d MiB, want <= %d", rss, tc.maxMiB)
			}
			if tc.check != nil {
				tc.check(t, string(stderr), out)
			}
		})
	}
}

// parquetRows is the number of rows of a Parquet file.
func parquetRows(t *testing.T, path string) int64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	return pf.NumRows()
}

// TestInterruptTwice: a second SIGINT during a long run stops it at once
// (exit 130) and leaves no file, neither the outputs nor their
// temporaries; a single SIGINT leaves every table finished (TestInterrupt).
func TestInterruptTwice(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "long.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	p := newPcap(t, w)
	// a million and a half distinct flows, all live at the end: after the
	// first SIGINT the run ends each of them, which takes long enough for
	// the second to come while it finishes
	for i := range 1_500_000 {
		src := [4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}
		p.packet(1e15+int64(i), ipv4(src, [4]byte{192, 0, 2, 1}, 17, 0, 0, []byte{0x30, 0x39, 0, 53, 0, 8, 0, 0}))
	}
	w.Flush()
	f.Close()
	out := filepath.Join(dir, "out")
	cmd := exec.Command(bin, "-q", path, "--tables", "packets,flows,dns,beacons", "--partition-by", "hour", "-o", out)
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(errPipe)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	waitWriting(t, out)
	time.Sleep(200 * time.Millisecond) // into the conversion
	cmd.Process.Signal(syscall.SIGINT)
	// the second once the first was taken (the kernel merges a signal
	// into one still pending): the run is finishing its outputs then
	var stderr []string
	for l := range lines {
		stderr = append(stderr, l)
		if strings.Contains(l, "interrupt again") {
			break
		}
	}
	cmd.Process.Signal(syscall.SIGINT)
	for l := range lines {
		stderr = append(stderr, l)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("still running 10 s after the second SIGINT")
	}
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
		t.Fatalf("exit %v, want 130: %q", err, stderr)
	}
	if len(stderr) != 2 || !strings.Contains(stderr[1], "interrupted again") {
		t.Errorf("stderr: %q", stderr)
	}
	if left := filesUnder(out); len(left) > 0 {
		t.Errorf("files left: %v", left)
	}
}
