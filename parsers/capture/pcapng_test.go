package capture_test

import (
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/pcap2table/pcap2table/internal/reftest"
	"github.com/pcap2table/pcap2table/parsers/capture"
)

// ngw builds pcapng blocks in one byte order.
type ngw struct {
	o interface {
		binary.ByteOrder
		binary.AppendByteOrder
	}
	b []byte
}

func (w *ngw) block(typ uint32, body []byte) {
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	n := uint32(12 + len(body))
	w.b = w.o.AppendUint32(w.b, typ)
	w.b = w.o.AppendUint32(w.b, n)
	w.b = append(w.b, body...)
	w.b = w.o.AppendUint32(w.b, n)
}

func (w *ngw) shb() {
	body := w.o.AppendUint32(nil, 0x1A2B3C4D)
	body = w.o.AppendUint16(body, 1)
	body = w.o.AppendUint16(body, 0)
	body = w.o.AppendUint64(body, ^uint64(0))
	w.block(0x0A0D0D0A, body)
}

// idb with options: tsresol (if >= 0) and tsoffset (if != 0).
func (w *ngw) idb(link uint16, tsresol int, tsoffset int64) {
	body := w.o.AppendUint16(nil, link)
	body = w.o.AppendUint16(body, 0)
	body = w.o.AppendUint32(body, 65535)
	if tsresol >= 0 {
		body = w.o.AppendUint16(body, 9)
		body = w.o.AppendUint16(body, 1)
		body = append(body, byte(tsresol), 0, 0, 0)
	}
	if tsoffset != 0 {
		body = w.o.AppendUint16(body, 14)
		body = w.o.AppendUint16(body, 8)
		body = w.o.AppendUint64(body, uint64(tsoffset))
	}
	body = append(body, 0, 0, 0, 0) // opt_endofopt
	w.block(1, body)
}

func (w *ngw) epb(iface uint32, units uint64, data []byte) {
	body := w.o.AppendUint32(nil, iface)
	body = w.o.AppendUint32(body, uint32(units>>32))
	body = w.o.AppendUint32(body, uint32(units))
	body = w.o.AppendUint32(body, uint32(len(data)))
	body = w.o.AppendUint32(body, uint32(len(data)+100))
	w.block(6, append(body, data...))
}

func (w *ngw) opb(iface uint16, units uint64, data []byte) {
	body := w.o.AppendUint16(nil, iface)
	body = w.o.AppendUint16(body, 0) // drops
	body = w.o.AppendUint32(body, uint32(units>>32))
	body = w.o.AppendUint32(body, uint32(units))
	body = w.o.AppendUint32(body, uint32(len(data)))
	body = w.o.AppendUint32(body, uint32(len(data)))
	w.block(2, append(body, data...))
}

func (w *ngw) spb(data []byte) {
	w.block(3, append(w.o.AppendUint32(nil, uint32(len(data))), data...))
}

type ngPacket struct {
	ts     int64
	iface  uint32
	link   uint16
	caplen uint32
	noTS   bool
}

func readNg(t *testing.T, data []byte) ([]ngPacket, error) {
	t.Helper()
	r, err := reftest.OpenBytes(data)
	if err != nil {
		return nil, err
	}
	var out []ngPacket
	var p capture.Packet
	for {
		if err := r.Next(&p); err != nil {
			if err == io.EOF {
				return out, nil
			}
			return out, err
		}
		out = append(out, ngPacket{p.Timestamp, p.Interface, uint16(p.LinkType), p.CapLen, p.NoTimestamp})
	}
}

func TestPcapngSections(t *testing.T) {
	pkt := make([]byte, 60)
	le := &ngw{o: binary.LittleEndian}
	le.shb()
	le.idb(1, -1, 0)  // µs (default)
	le.idb(101, 9, 0) // ns
	le.block(0xBAD, []byte("an unknown block is skipped"))
	le.epb(0, 1_500_000, pkt) // 1.5 s in µs
	le.epb(1, 2_000_000_001, pkt)
	le.opb(0, 3_000_000, pkt)
	be := &ngw{o: binary.BigEndian} // a second section, other byte order
	be.shb()
	be.idb(0, 0x80|8, 0) // 2^-8 s
	be.idb(1, 3, 1000)   // ms, offset 1000 s
	be.epb(0, 256*5+128, pkt)
	be.epb(1, 250, pkt)
	be.spb(pkt[:20])
	got, err := readNg(t, append(le.b, be.b...))
	if err != nil {
		t.Fatal(err)
	}
	want := []ngPacket{
		{1_500_000_000, 0, 1, 60, false},
		{2_000_000_001, 1, 101, 60, false},
		{3_000_000_000, 0, 1, 60, false},
		{5_500_000_000, 2, 0, 60, false},    // interfaces count across sections
		{1000_250_000_000, 3, 1, 60, false}, // if_tsoffset
		{0, 2, 0, 20, true},                 // simple packet block: interface 0 of its section, no time
	}
	if len(got) != len(want) {
		t.Fatalf("%d packets: %+v", len(got), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("packet %d: %+v, want %+v", i+1, got[i], want[i])
		}
	}
}

func TestPcapngErrors(t *testing.T) {
	pkt := make([]byte, 60)
	w := &ngw{o: binary.LittleEndian}
	w.shb()
	w.idb(1, -1, 0)
	w.epb(0, 1, pkt)
	good := len(w.b)
	w.epb(3, 2, pkt) // interface 3 was never described
	_, err := readNg(t, w.b)
	var ie *capture.InputError
	if !errors.As(err, &ie) || ie.Offset != int64(good) || !strings.Contains(err.Error(), "interface 3 not described") {
		t.Fatalf("err %v", err)
	}
	// A block length that runs past the end of the file.
	w = &ngw{o: binary.LittleEndian}
	w.shb()
	w.idb(1, -1, 0)
	w.epb(0, 1, pkt)
	good = len(w.b)
	w.epb(0, 2, pkt)
	got, err := readNg(t, w.b[:len(w.b)-10])
	if len(got) != 1 || !errors.As(err, &ie) || ie.Offset != int64(good) || !errors.Is(err, capture.ErrTruncated) {
		t.Fatalf("%d packets, err %v", len(got), err)
	}
}

// TestTimeOutOfRange: a pcapng timestamp (or if_tsoffset) outside what an
// int64 of ns holds is flagged, never wrapped into another time; times
// at the edges of the range are exact.
func TestTimeOutOfRange(t *testing.T) {
	const maxNs = 1<<63 - 1
	for _, tc := range []struct {
		name     string
		tsresol  int // if_tsresol byte; -1: none (µs)
		tsoffset int64
		units    uint64
		want     int64 // the time, when in range
		bad      bool
	}{
		{"µs in 2024", -1, 0, 1704164645123456, 1704164645123456000, false},
		{"µs in 2554 (wrapped to 1969 before)", -1, 0, 18446744073709551, 0, true},
		{"µs at the last ns", -1, 0, maxNs / 1000, maxNs / 1000 * 1000, false},
		{"ns at the last ns", 9, 0, maxNs, maxNs, false},
		{"ns past it", 9, 0, maxNs + 1, 0, true},
		{"2^-10 s units, in range", 0x8a, 0, 1 << 40, (1 << 30) * 1e9, false},
		{"2^-10 s units, past the range", 0x8a, 0, 1 << 63, 0, true},
		{"2^0 s units: the product's high word", 0x80, 0, 1 << 40, 0, true},
		{"a negative offset: before 1970", -1, -100, 1_000_000, -99 * 1e9, false},
		{"an offset of -10^11 s: year -32873 (2201 before)", -1, -1e12, 1_000_000, 0, true},
		{"an offset that pushes past 2262", 9, 1e9, maxNs - 1e17, 0, true},
		{"an offset of 2^62 s", -1, 1 << 62, 0, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := &ngw{o: binary.LittleEndian}
			w.shb()
			w.idb(1, tc.tsresol, tc.tsoffset)
			w.epb(0, tc.units, []byte{1, 2, 3})
			r, err := reftest.OpenBytes(w.b)
			if err != nil {
				t.Fatal(err)
			}
			var p capture.Packet
			if err := r.Next(&p); err != nil {
				t.Fatal(err)
			}
			if p.TimeOutOfRange != tc.bad || !tc.bad && p.Timestamp != tc.want || tc.bad && p.Timestamp != 0 {
				t.Errorf("ts %d, out of range %v; want %d, %v", p.Timestamp, p.TimeOutOfRange, tc.want, tc.bad)
			}
		})
	}
}
