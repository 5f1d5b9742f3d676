package sniff_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/pcap2table/pcap2table/sniff"
	"github.com/ulikunitz/xz"
)

var pcapLE = []byte{0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0}

func compress(t *testing.T, kind string, b []byte) []byte {
	var buf bytes.Buffer
	var w io.WriteCloser
	var err error
	switch kind {
	case "gzip":
		w = gzip.NewWriter(&buf)
	case "zstd":
		w, err = zstd.NewWriter(&buf)
	case "xz":
		w, err = xz.NewWriter(&buf)
	}
	if err != nil {
		t.Fatal(err)
	}
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func TestOpen(t *testing.T) {
	for _, tc := range []struct {
		name     string
		data     []byte
		format   string
		wrappers string
		refused  string // the NotCaptureError text
	}{
		{"pcap le", pcapLE, "pcap", "", ""},
		{"pcapng", []byte("\x0a\x0d\x0d\x0a\x1c\x00\x00\x00\x4d\x3c\x2b\x1a"), "pcapng", "", ""},
		{"gzip pcap", compress(t, "gzip", pcapLE), "pcap", "gzip", ""},
		{"zstd pcap", compress(t, "zstd", pcapLE), "pcap", "zstd", ""},
		{"xz pcap", compress(t, "xz", pcapLE), "pcap", "xz", ""},
		{"gzip of gzip", compress(t, "gzip", compress(t, "gzip", pcapLE)), "pcap", "gzip,gzip", ""},
		{"empty", nil, "", "", "not a capture: empty file"},
		{"parquet", []byte("PAR1\x15\x00"), "", "", "not a capture: Parquet file"},
		{"text", []byte("hello, world\n"), "", "", "not a capture: text"},
		{"gzip text", compress(t, "gzip", []byte("just text\n")), "", "", "not a capture: text inside gzip"},
		{"binary", []byte{0, 1, 2, 3, 0xfe, 0xff, 7, 8, 9}, "", "", "not a capture: first bytes 00 01 02 03 fe ff 07 08"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := sniff.Open(bytes.NewReader(tc.data), 4096)
			if tc.refused != "" {
				var nc *sniff.NotCaptureError
				if !errors.As(err, &nc) || err.Error() != tc.refused {
					t.Fatalf("got %v, want %q", err, tc.refused)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if s.Format.Name != tc.format || strings.Join(s.Wrappers, ",") != tc.wrappers {
				t.Fatalf("format %s wrappers %v", s.Format.Name, s.Wrappers)
			}
			got, _ := io.ReadAll(s)
			if tc.format == "pcap" && !bytes.Equal(got, pcapLE) {
				t.Fatalf("content % x", got)
			}
		})
	}
}

func FuzzOpen(f *testing.F) {
	dir := "../testdata/captures"
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if b, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil && len(b) < 64<<10 {
			f.Add(b)
		}
	}
	f.Add(compress(&testing.T{}, "gzip", pcapLE))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := sniff.Open(bytes.NewReader(b), 4096)
		if err != nil {
			if len(b) > 0 && sniff.Detect(b).Kind == sniff.Capture {
				t.Fatalf("a capture magic was refused: %v", err)
			}
			return
		}
		defer s.Close()
		// Bounded: a decompression bomb must not hang the fuzzer.
		io.Copy(io.Discard, io.LimitReader(s, 1<<20))
	})
}

// TestZstdWindow: a zstd stream whose window is past the limit (zstd
// --long) is refused with what it needs and the way past it; a raised
// limit reads it.
func TestZstdWindow(t *testing.T) {
	pcapHdr := []byte{0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0}
	var b bytes.Buffer
	zw, err := zstd.NewWriter(&b, zstd.WithWindowSize(256<<20), zstd.WithSingleSegment(false))
	if err != nil {
		t.Fatal(err)
	}
	zw.Write(pcapHdr)
	zw.Close()
	// the frame header as zstd --long=28 writes it: a window of 2^28
	zb := b.Bytes()
	if zb[4]&0x20 != 0 {
		t.Fatal("a single-segment frame")
	}
	zb[5] = 18 << 3 // Window_Descriptor: 2^(10+18)
	_, err = sniff.Open(bytes.NewReader(b.Bytes()), 4096)
	var we *sniff.WindowError
	if !errors.As(err, &we) || we.Need != 256<<20 || !strings.Contains(err.Error(), "needs a 256 MiB window (written with zstd --long), more than the 128 MiB allowed") {
		t.Fatalf("err %v, want a window error", err)
	}
	s, err := sniff.OpenLimits(bytes.NewReader(b.Bytes()), 4096, sniff.Limits{ZstdWindow: 256 << 20})
	if err != nil || s.Format.Name != "pcap" {
		t.Fatalf("with the limit raised: %v", err)
	}
	s.Close()
}
