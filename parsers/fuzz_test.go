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
	for _, s := range encapsulationSeeds() {
		f.Add(uint16(s.lt), s.data)
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

// encapsulationSeeds are packets of the headers no capture in the corpus
// has: VN-Tag, PBB, ERSPAN III, Aruba GRE with an A-MSDU, AYIYA, GRE in
// UDP, Teredo on another port, Cisco HDLC and NFLOG.
func encapsulationSeeds() []struct {
	lt   layers.LinkType
	data []byte
} {
	inner := ipv4(6, b1, b2, tcp(1234, 80, 0x18, []byte("GET /")))
	return []struct {
		lt   layers.LinkType
		data []byte
	}{
		{layers.LinkTypeEthernet, eth(0x8100, cat(be16(250), be16(0x8926), be32(0x33), be16(0x8100), be16(250), be16(0x0800), inner))},
		{layers.LinkTypeEthernet, eth(0x88a8, cat(be16(100), be16(0x88e7), be32(0x00012345), eth(0x0800, inner)))},
		{layers.LinkTypeEthernet, eth(0x0800, ipv4(47, a1, a2, gre0(0x22eb, true, cat(erspan3(7, true), eth(0x0800, inner)))))},
		{layers.LinkTypeEthernet, eth(0x0800, ipv4(47, a1, a2, gre0(0x8240, false,
			dot11QoS(true, cat(amsduSub(llcSNAP(0x0800, inner), true), amsduSub(llcSNAP(0x0800, inner), false))))))},
		{layers.LinkTypeEthernet, eth(0x0800, ipv4(17, a1, a2, udp(53859, 5072, ayiya(1, 41, ipv6(6, tcp(53382, 80, 2, nil))))))},
		{layers.LinkTypeEthernet, eth(0x0800, ipv4(17, a1, a2, udp(50000, 4754, gre0(0x0800, false, inner))))},
		{layers.LinkTypeEthernet, eth(0x0800, ipv4(17, a1, a2, udp(32900, 3797,
			cat([]byte{0, 0, 0xf1, 0x2a}, be32(0xb9c82815), ipv6From(6, teredoClient, googleV6, tcp(1286, 80, 2, nil))))))},
		{layers.LinkTypeC_HDLC, cat([]byte{0x0f, 0}, be16(0x0800), inner)},
		{239, cat([]byte{2, 0, 0, 5}, nflogTLV(1, []byte{0x08, 0, 3, 0}), nflogTLV(9, inner))},
	}
}
