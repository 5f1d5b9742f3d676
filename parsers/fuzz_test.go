package parsers_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/gopacket/gopacket/layers"
	"github.com/pcap2table/pcap2table/parsers"
	"github.com/pcap2table/pcap2table/sniff"
)

// captureSeeds returns the bytes of every real capture whose first bytes
// are the given magic (any when magic is nil).
func captureSeeds(t testing.TB, magics ...[]byte) [][]byte {
	entries, err := os.ReadDir(capturesDir)
	if err != nil {
		t.Fatal(err)
	}
	var seeds [][]byte
	for _, e := range entries {
		if e.IsDir() || filepath.Ext(e.Name()) == ".tsv" || e.Name() == "NOTICE" || e.Name() == "README.md" || e.Name() == "MANIFEST.tsv" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(capturesDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range magics {
			if bytes.HasPrefix(b, m) {
				seeds = append(seeds, b)
				break
			}
		}
	}
	return seeds
}

var (
	pcapMagics = [][]byte{{0xd4, 0xc3, 0xb2, 0xa1}, {0xa1, 0xb2, 0xc3, 0xd4}, {0x4d, 0x3c, 0xb2, 0xa1}, {0xa1, 0xb2, 0x3c, 0x4d}}
	ngMagics   = [][]byte{{0x0a, 0x0d, 0x0d, 0x0a}}
)

// drain reads and decodes every packet of a capture held in b; it must
// neither panic nor loop forever.
func drain(t *testing.T, b []byte) {
	s, err := sniff.Open(bytes.NewReader(b), 4096)
	if err != nil {
		return
	}
	defer s.Close()
	r, err := parsers.Open(s, 0, "fuzz")
	if err != nil {
		return
	}
	var (
		p   parsers.Packet
		d   parsers.Decoder
		row parsers.PacketRow
	)
	for i := 0; ; i++ {
		if i > len(b) { // every packet consumes at least one byte
			t.Fatalf("more packets (%d) than input bytes", i)
		}
		if err := r.Next(&p); err != nil {
			if err != io.EOF {
				if _, ok := err.(*parsers.InputError); !ok {
					t.Fatalf("error is %T, want *parsers.InputError: %v", err, err)
				}
			}
			return
		}
		if int(p.CapLen) != len(p.Data) || p.CapLen > parsers.MaxCapLen {
			t.Fatalf("caplen %d, data %d", p.CapLen, len(p.Data))
		}
		d.Decode(&p, &row)
	}
}

func FuzzPcap(f *testing.F) {
	for _, s := range captureSeeds(f, pcapMagics...) {
		f.Add(s)
	}
	f.Fuzz(drain)
}

func FuzzPcapng(f *testing.F) {
	for _, s := range captureSeeds(f, ngMagics...) {
		f.Add(s)
	}
	f.Fuzz(drain)
}

// FuzzDecode feeds single packets of every link type to the decoder.
func FuzzDecode(f *testing.F) {
	for _, s := range captureSeeds(f, append(pcapMagics, ngMagics...)...) {
		r, err := openBytes(s)
		if err != nil {
			continue
		}
		var p parsers.Packet
		for i := 0; i < 50 && r.Next(&p) == nil; i++ {
			f.Add(uint16(p.LinkType), append([]byte(nil), p.Data...))
		}
	}
	f.Fuzz(func(t *testing.T, lt uint16, data []byte) {
		var d parsers.Decoder
		var row parsers.PacketRow
		p := parsers.Packet{Data: data, CapLen: uint32(len(data)), Length: uint32(len(data)), LinkType: layers.LinkType(lt), Frame: 1}
		d.Decode(&p, &row)
		if row.Has(parsers.ColSrcPort) != row.Has(parsers.ColDstPort) {
			t.Fatal("one port without the other")
		}
		if row.Has(parsers.ColSrcIP) && !row.Has(parsers.ColIPVersion) {
			t.Fatal("an address without an IP version")
		}
	})
}

func openBytes(b []byte) (parsers.Reader, error) {
	s, err := sniff.Open(bytes.NewReader(b), parsers.ReadBufferSize)
	if err != nil {
		return nil, err
	}
	return parsers.Open(s, 0, "seed")
}
