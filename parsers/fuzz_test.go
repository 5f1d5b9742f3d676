package parsers_test

import (
	"testing"

	"github.com/gopacket/gopacket/layers"
	"github.com/pcap2table/pcap2table/internal/reftest"
	"github.com/pcap2table/pcap2table/parsers"
	"github.com/pcap2table/pcap2table/parsers/capture"
)

// FuzzDecode feeds single packets of every link type to the decoder.
func FuzzDecode(f *testing.F) {
	for _, s := range reftest.CaptureSeeds(f, capturesDir, append(reftest.PcapMagics, reftest.PcapngMagics...)...) {
		r, err := reftest.OpenBytes(s)
		if err != nil {
			continue
		}
		var p capture.Packet
		for i := 0; i < 50 && r.Next(&p) == nil; i++ {
			f.Add(uint16(p.LinkType), append([]byte(nil), p.Data...))
		}
	}
	f.Fuzz(func(t *testing.T, lt uint16, data []byte) {
		var d parsers.Decoder
		var row parsers.PacketRow
		p := capture.Packet{Data: data, CapLen: uint32(len(data)), Length: uint32(len(data)), LinkType: layers.LinkType(lt), Frame: 1}
		d.Decode(&p, &row)
		if row.Has(parsers.ColSrcPort) != row.Has(parsers.ColDstPort) {
			t.Fatal("one port without the other")
		}
		if row.Has(parsers.ColSrcIP) && !row.Has(parsers.ColIPVersion) {
			t.Fatal("an address without an IP version")
		}
	})
}
