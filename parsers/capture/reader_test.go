package capture_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/pcap2table/pcap2table/internal/reftest"
	"github.com/pcap2table/pcap2table/parsers/capture"
)

// pcapFile builds a little-endian µs pcap with records of the given caplens
// (length = caplen), frame i stamped i seconds.
func pcapFile(caplens ...uint32) []byte {
	var b bytes.Buffer
	h := make([]byte, 24)
	binary.LittleEndian.PutUint32(h, 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(h[4:], 2)
	binary.LittleEndian.PutUint16(h[6:], 4)
	binary.LittleEndian.PutUint32(h[16:], 1<<20)
	binary.LittleEndian.PutUint32(h[20:], 1)
	b.Write(h)
	for i, c := range caplens {
		r := make([]byte, 16)
		binary.LittleEndian.PutUint32(r, uint32(i))
		binary.LittleEndian.PutUint32(r[8:], c)
		binary.LittleEndian.PutUint32(r[12:], c)
		b.Write(r)
		if c <= 1<<20 {
			b.Write(make([]byte, c))
		}
	}
	return b.Bytes()
}

func TestPcapLimits(t *testing.T) {
	for _, tc := range []struct {
		name    string
		data    []byte
		packets int
		err     string // "" for a clean EOF
	}{
		{"whole", pcapFile(60, 1514, 60), 3, ""},
		// An impossible caplen that still fits in the read buffer is refused.
		{"caplen over 256 KiB inside the buffer", append(pcapFile(60, 300<<10), make([]byte, 64)...), 1, "offset 100: corrupt: frame 2: caplen 307200 exceeds 262144"},
		{"largest caplen", pcapFile(60, capture.MaxCapLen, 60), 3, ""},
		{"cut in a header", pcapFile(60, 60)[:24+76+8], 1, "offset 100: cut short: packet record header of frame 2 has 8 of 16 bytes"},
		{"cut in data", pcapFile(60, 60)[:24+76+16+30], 1, "offset 100: cut short: frame 2: record needs 76 bytes, file has 46"},
		{"header only", pcapFile(), 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := reftest.OpenBytes(tc.data)
			if err != nil {
				t.Fatal(err)
			}
			var p capture.Packet
			n := 0
			for {
				err = r.Next(&p)
				if err != nil {
					break
				}
				n++
				if p.Frame != uint64(n) || p.Timestamp != int64(n-1)*1e9 {
					t.Fatalf("frame %d ts %d", p.Frame, p.Timestamp)
				}
			}
			if n != tc.packets {
				t.Fatalf("%d packets, want %d", n, tc.packets)
			}
			if tc.err == "" {
				if err != io.EOF {
					t.Fatalf("err %v, want EOF", err)
				}
				return
			}
			var ie *capture.InputError
			if !errors.As(err, &ie) || !strings.HasSuffix(err.Error(), tc.err) {
				t.Fatalf("err %v, want ...%s", err, tc.err)
			}
			if r.Next(&p) != err {
				t.Fatal("error is not sticky")
			}
		})
	}
}

// TestPcapTimeEdges: classic pcap's 32-bit seconds reach 2106-02-07,
// inside what timestamp[ns] holds: 1970, the 2038 rollover of signed
// 32-bit time, and the last second are exact, in µs and ns files.
func TestPcapTimeEdges(t *testing.T) {
	for _, nano := range []bool{false, true} {
		var b bytes.Buffer
		h := make([]byte, 24)
		magic := uint32(0xa1b2c3d4)
		if nano {
			magic = 0xa1b23c4d
		}
		binary.LittleEndian.PutUint32(h, magic)
		binary.LittleEndian.PutUint16(h[4:], 2)
		binary.LittleEndian.PutUint16(h[6:], 4)
		binary.LittleEndian.PutUint32(h[16:], 65535)
		binary.LittleEndian.PutUint32(h[20:], 1)
		b.Write(h)
		secs := []uint32{0, 1<<31 - 1, 1 << 31, 1<<32 - 1}
		for _, s := range secs {
			r := make([]byte, 16)
			binary.LittleEndian.PutUint32(r, s)
			binary.LittleEndian.PutUint32(r[4:], 999)
			binary.LittleEndian.PutUint32(r[8:], 1)
			binary.LittleEndian.PutUint32(r[12:], 1)
			b.Write(append(r, 0))
		}
		rd, err := reftest.OpenBytes(b.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		frac := int64(999_000)
		if nano {
			frac = 999
		}
		for _, s := range secs {
			var p capture.Packet
			if err := rd.Next(&p); err != nil {
				t.Fatal(err)
			}
			if want := int64(s)*1e9 + frac; p.Timestamp != want || p.TimeOutOfRange {
				t.Errorf("nano %v: %d s: ts %d (out of range %v), want %d", nano, s, p.Timestamp, p.TimeOutOfRange, want)
			}
		}
	}
}

// TestPcapOldVersions: files before version 2.3 (and DG/UX's 543.0)
// wrote a record's len before its caplen; libpcap takes the smaller as
// the caplen, since files were written both ways under those numbers.
// Version 2.4 keeps the fields as written; other majors are refused.
func TestPcapOldVersions(t *testing.T) {
	file := func(major, minor uint16, first, second uint32) []byte {
		b := pcapFile(60)
		binary.LittleEndian.PutUint16(b[4:], major)
		binary.LittleEndian.PutUint16(b[6:], minor)
		binary.LittleEndian.PutUint32(b[24+8:], first)
		binary.LittleEndian.PutUint32(b[24+12:], second)
		return b
	}
	for _, tc := range []struct {
		name           string
		data           []byte
		caplen, length uint32
		err            string
	}{
		{"2.2, len first", file(2, 2, 1514, 60), 60, 1514, ""},
		{"2.2, caplen first", file(2, 2, 60, 1514), 60, 1514, ""},
		{"543.0 (DG/UX)", file(543, 0, 1514, 60), 60, 1514, ""},
		{"2.4", file(2, 4, 60, 1514), 60, 1514, ""},
		{"3.0", file(3, 0, 60, 60), 0, 0, "pcap version 3.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := reftest.OpenBytes(tc.data)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var p capture.Packet
			if err := r.Next(&p); err != nil {
				t.Fatal(err)
			}
			if p.CapLen != tc.caplen || p.Length != tc.length || len(p.Data) != int(tc.caplen) {
				t.Fatalf("caplen %d, len %d, %d bytes; want %d, %d", p.CapLen, p.Length, len(p.Data), tc.caplen, tc.length)
			}
			if err := r.Next(&p); err != io.EOF {
				t.Fatalf("after the record: %v", err)
			}
		})
	}
}
