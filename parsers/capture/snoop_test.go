package capture_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/layers"
	"github.com/pcap2table/pcap2table/internal/reftest"
	"github.com/pcap2table/pcap2table/parsers/capture"
)

// TestSnoop: a Solaris snoop file (made by Wireshark's editcap from a
// real pcap, testdata/edited/README.md) gives the pcap's packets: the
// same times, lengths, bytes and link type, record offsets of its own.
func TestSnoop(t *testing.T) {
	read := func(path string) []capture.Packet {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		r, err := reftest.OpenBytes(b)
		if err != nil {
			t.Fatal(err)
		}
		var out []capture.Packet
		for {
			var p capture.Packet
			err := r.Next(&p)
			if err == io.EOF {
				return out
			}
			if err != nil {
				t.Fatal(err)
			}
			p.Data = bytes.Clone(p.Data)
			out = append(out, p)
		}
	}
	want := read(filepath.Join(capturesDir, "dpkt--examples--data--http.pcap"))
	got := read("../../testdata/edited/dpkt-http.snoop")
	if len(got) != len(want) || len(got) == 0 {
		t.Fatalf("%d packets, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Timestamp != w.Timestamp || g.CapLen != w.CapLen || g.Length != w.Length || !bytes.Equal(g.Data, w.Data) ||
			g.LinkType != layers.LinkTypeEthernet || g.Frame != w.Frame {
			t.Fatalf("frame %d: %+v, want %+v", i+1, g, w)
		}
	}
}

// TestSnoopBad: a snoop file cut short or with impossible lengths ends
// with an error naming the offset, after the good records; another
// version is refused.
func TestSnoopBad(t *testing.T) {
	rec := func(caplen, recLen uint32) []byte {
		h := make([]byte, 24)
		binary.BigEndian.PutUint32(h, caplen)
		binary.BigEndian.PutUint32(h[4:], caplen)
		binary.BigEndian.PutUint32(h[8:], recLen)
		return append(h, make([]byte, recLen-24)...)
	}
	file := func(version uint32, recs ...[]byte) []byte {
		b := []byte("snoop\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x04")
		binary.BigEndian.PutUint32(b[8:], version)
		for _, r := range recs {
			b = append(b, r...)
		}
		return b
	}
	good := rec(60, 88)
	for _, tc := range []struct {
		name    string
		data    []byte
		packets int
		err     string
	}{
		{"whole", file(2, good, good), 2, ""},
		{"cut in data", file(2, good, good)[:16+88+50], 1, "offset 104: cut short: frame 2: record needs 84 bytes, file has 50"},
		{"record shorter than its data", file(2, good, rec(60, 80)), 1, "offset 104: corrupt: frame 2: record length 80 does not hold its 60 bytes"},
		{"version 1", file(1, good), 0, "unsupported: snoop version 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := reftest.OpenBytes(tc.data)
			n := 0
			if err == nil {
				for {
					var p capture.Packet
					if err = r.Next(&p); err != nil {
						break
					}
					n++
				}
			}
			if n != tc.packets {
				t.Errorf("%d packets, want %d", n, tc.packets)
			}
			if tc.err == "" {
				if err != io.EOF {
					t.Fatalf("err %v, want EOF", err)
				}
				return
			}
			var ie *capture.InputError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("err %v, want %q", err, tc.err)
			}
		})
	}
}
