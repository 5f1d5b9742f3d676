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
