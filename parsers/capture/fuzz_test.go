package capture_test

import (
	"bytes"
	"io"
	"os"
	"testing"

	"github.com/pcap2table/pcap2table/internal/reftest"
	"github.com/pcap2table/pcap2table/parsers"
	"github.com/pcap2table/pcap2table/parsers/capture"
	"github.com/pcap2table/pcap2table/sniff"
)

const capturesDir = "../../testdata/captures"

// drain reads and decodes every packet of a capture held in b; it must
// neither panic nor loop forever.
func drain(t *testing.T, b []byte) {
	s, err := sniff.Open(bytes.NewReader(b), 4096)
	if err != nil {
		return
	}
	defer s.Close()
	r, err := capture.Open(s, 0, "fuzz")
	if err != nil {
		return
	}
	var (
		p   capture.Packet
		d   parsers.Decoder
		row parsers.PacketRow
	)
	for i := 0; ; i++ {
		if i > len(b) { // every packet consumes at least one byte
			t.Fatalf("more packets (%d) than input bytes", i)
		}
		if err := r.Next(&p); err != nil {
			if err != io.EOF {
				if _, ok := err.(*capture.InputError); !ok {
					t.Fatalf("error is %T, want *capture.InputError: %v", err, err)
				}
			}
			return
		}
		if int(p.CapLen) != len(p.Data) || p.CapLen > capture.MaxCapLen {
			t.Fatalf("caplen %d, data %d", p.CapLen, len(p.Data))
		}
		d.Decode(&p, &row)
	}
}

func FuzzPcap(f *testing.F) {
	for _, s := range reftest.CaptureSeeds(f, capturesDir, reftest.PcapMagics...) {
		f.Add(s)
	}
	f.Fuzz(drain)
}

func FuzzPcapng(f *testing.F) {
	for _, s := range reftest.CaptureSeeds(f, capturesDir, reftest.PcapngMagics...) {
		f.Add(s)
	}
	f.Fuzz(drain)
}

func FuzzSnoop(f *testing.F) {
	b, err := os.ReadFile("../../testdata/edited/dpkt-http.snoop")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b[:2048])
	f.Add(b[:16+24+62])
	f.Fuzz(drain)
}
