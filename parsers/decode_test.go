package parsers_test

import (
	"encoding/binary"
	"testing"

	"github.com/gopacket/gopacket/layers"
	"github.com/pcap2table/pcap2table/parsers"
	"github.com/pcap2table/pcap2table/parsers/capture"
)

// Packet builders for cases the real captures do not cover.

func be16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func eth(etype uint16, payload []byte) []byte {
	return cat([]byte{0, 1, 2, 3, 4, 5, 0xa, 0xb, 0xc, 0xd, 0xe, 0xf}, be16(etype), payload)
}

func ipv4(proto uint8, src, dst [4]byte, payload []byte, opts ...byte) []byte {
	ihl := 5 + len(opts)/4
	h := []byte{byte(0x40 | ihl), 0}
	h = append(h, be16(uint16(ihl*4+len(payload)))...)
	h = append(h, 0x12, 0x34, 0, 0, 64, proto, 0, 0)
	h = append(h, src[:]...)
	h = append(h, dst[:]...)
	h = append(h, opts...)
	return append(h, payload...)
}

func ipv6(next uint8, payload []byte) []byte {
	h := []byte{0x60, 0, 0, 0}
	h = append(h, be16(uint16(len(payload)))...)
	h = append(h, next, 55)
	src := [16]byte{0x20, 0x01, 0xd, 0xb8, 15: 1}
	dst := [16]byte{0x20, 0x01, 0xd, 0xb8, 15: 2}
	h = append(h, src[:]...)
	h = append(h, dst[:]...)
	return append(h, payload...)
}

func udp(sp, dp uint16, payload []byte) []byte {
	return cat(be16(sp), be16(dp), be16(uint16(8+len(payload))), be16(0), payload)
}

func tcp(sp, dp uint16, flags byte, payload []byte) []byte {
	return cat(be16(sp), be16(dp), be32(1000), be32(2000), []byte{5 << 4, flags}, be16(512), be16(0), be16(0), payload)
}

var (
	a1 = [4]byte{10, 0, 0, 1}
	a2 = [4]byte{10, 0, 0, 2}
	b1 = [4]byte{192, 168, 1, 1}
	b2 = [4]byte{192, 168, 1, 2}
)

func TestDecodeEncapsulations(t *testing.T) {
	inner := ipv4(6, b1, b2, tcp(1234, 80, 0x18, []byte("GET /")))
	for _, tc := range []struct {
		name     string
		link     layers.LinkType
		data     []byte
		src, dst string
		proto    uint8
		sport    int // -1: null
		tunnel   string
		tunnelID int64 // -1: null
		vlan     int
		err      string
	}{
		{"raw ipv6 (229)", layers.LinkTypeIPv6, ipv6(17, udp(5353, 53, nil)), "2001:db8::1", "2001:db8::2", 17, 5353, "", -1, -1, ""},
		{"bsd raw (12)", 12, inner, "192.168.1.1", "192.168.1.2", 6, 1234, "", -1, -1, ""},
		{"bsd raw (14)", 14, ipv6(6, tcp(1, 2, 2, nil)), "2001:db8::1", "2001:db8::2", 6, 1, "", -1, -1, ""},
		{"loop (108), network order", layers.LinkTypeLoop, cat(be32(2), inner), "192.168.1.1", "192.168.1.2", 6, 1234, "", -1, -1, ""},
		{"null (0), host order ipv6", layers.LinkTypeNull, cat([]byte{30, 0, 0, 0}, ipv6(17, udp(1, 2, nil))), "2001:db8::1", "2001:db8::2", 17, 1, "", -1, -1, ""},
		{"ipv4 options", layers.LinkTypeEthernet, eth(0x0800, ipv4(17, a1, a2, udp(9, 10, nil), 0x94, 4, 0, 0)), "10.0.0.1", "10.0.0.2", 17, 9, "", -1, -1, ""},
		{"6in4", layers.LinkTypeEthernet, eth(0x0800, ipv4(41, a1, a2, ipv6(17, udp(7, 8, nil)))), "2001:db8::1", "2001:db8::2", 17, 7, "ipip", -1, -1, ""},
		{"ipip", layers.LinkTypeEthernet, eth(0x0800, ipv4(4, a1, a2, inner)), "192.168.1.1", "192.168.1.2", 6, 1234, "ipip", -1, -1, ""},
		{"geneve", layers.LinkTypeEthernet, eth(0x0800, ipv4(17, a1, a2, udp(5000, 6081,
			cat([]byte{0, 0}, be16(0x6558), be32(0x00abcd00), eth(0x0800, inner))))), "192.168.1.1", "192.168.1.2", 6, 1234, "geneve", 0xabcd, -1, ""},
		{"gtp-u", layers.LinkTypeEthernet, eth(0x0800, ipv4(17, a1, a2, udp(2152, 2152,
			cat([]byte{0x30, 0xff}, be16(uint16(len(inner))), be32(0xdeadbeef), inner)))), "192.168.1.1", "192.168.1.2", 6, 1234, "gtpu", 0xdeadbeef, -1, ""},
		{"gre with key", layers.LinkTypeEthernet, eth(0x0800, ipv4(47, a1, a2,
			cat([]byte{0x20, 0}, be16(0x0800), be32(77), inner))), "192.168.1.1", "192.168.1.2", 6, 1234, "gre", 77, -1, ""},
		{"pptp (enhanced gre)", layers.LinkTypeEthernet, eth(0x0800, ipv4(47, a1, a2,
			cat([]byte{0x30, 0x81}, be16(0x880b), be16(uint16(4+len(inner))), be16(0x1780), be32(1), be32(2), // key, seq and ack; version 1
				[]byte{0xff, 0x03}, be16(0x0021), inner))), "192.168.1.1", "192.168.1.2", 6, 1234, "pptp", 0x1780, -1, ""},
		{"erspan ii", layers.LinkTypeEthernet, eth(0x0800, ipv4(47, a1, a2,
			cat([]byte{0x10, 0}, be16(0x88be), be32(1), // GRE with sequence
				[]byte{0x10, 0x00, 0x00, 0x2a, 0, 0, 0, 0}, // ERSPAN II: version 1, session 42
				eth(0x0800, inner)))), "192.168.1.1", "192.168.1.2", 6, 1234, "erspan", 42, -1, ""},
		{"qinq + pppoe", layers.LinkTypeEthernet, eth(0x88a8, cat(be16(100), be16(0x8100), be16(200), be16(0x8864),
			[]byte{0x11, 0, 0, 1}, be16(uint16(2+len(inner))), be16(0x0021), inner)), "192.168.1.1", "192.168.1.2", 6, 1234, "", -1, 100, ""},
		{"sctp", layers.LinkTypeEthernet, eth(0x0800, ipv4(132, a1, a2, cat(be16(2905), be16(2905), be32(1), be32(0)))), "10.0.0.1", "10.0.0.2", 132, 2905, "", -1, -1, ""},
		{"ppp in hdlc (50)", 50, cat([]byte{0xff, 0x03}, be16(0x0021), inner), "192.168.1.1", "192.168.1.2", 6, 1234, "", -1, -1, ""},
		{"tcp cut by the snaplen", layers.LinkTypeEthernet, eth(0x0800, ipv4(6, a1, a2, tcp(443, 5555, 0x10, nil)))[:14+20+10], "10.0.0.1", "10.0.0.2", 6, 443, "", -1, -1, "tcp: truncated"},
		{"tcp bad data offset", layers.LinkTypeEthernet, eth(0x0800, ipv4(6, a1, a2, cat(be16(22), be16(2222), be32(1), be32(2), []byte{3 << 4, 0x10}, be16(9), be32(0)))), "10.0.0.1", "10.0.0.2", 6, 22, "", -1, -1, "tcp: malformed header"},
		{"ipv4 bad header length", layers.LinkTypeEthernet, eth(0x0800, []byte{0x41, 0, 0, 20, 0, 0, 0, 0, 64, 6, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8}), "", "", 0, -1, "", -1, -1, "ipv4: malformed header"},
		{"fddi (10), llc/snap", layers.LinkTypeFDDI, cat([]byte{0x50, 0xaa, 0, 4, 0, 0x82, 0xa7, 0xaa, 0, 4, 0, 0x83, 0xa7, 0xaa, 0xaa, 3, 0, 0, 0}, be16(0x0800), inner),
			"192.168.1.1", "192.168.1.2", 6, 1234, "", -1, -1, ""},
		{"fddi, other llc", layers.LinkTypeFDDI, cat(make([]byte, 13), []byte{0x42, 0x42, 3}, inner), "", "", 0, -1, "", -1, -1, ""},
		{"fddi truncated", layers.LinkTypeFDDI, make([]byte, 12), "", "", 0, -1, "", -1, -1, "fddi: truncated"},
		{"fabricpath, then a vlan", layers.LinkTypeEthernet, eth(0x8903, cat([]byte{0x80, 0x3f}, eth(0x8100, cat(be16(30), be16(0x0800), inner)))),
			"192.168.1.1", "192.168.1.2", 6, 1234, "", -1, 30, ""},
		{"fabricpath truncated", layers.LinkTypeEthernet, eth(0x8903, []byte{0x80}), "", "", 0, -1, "", -1, -1, "fabricpath: truncated"},
		{"unknown link type", 284, inner, "", "", 0, -1, "", -1, -1, "link: unsupported link type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var d parsers.Decoder
			var r parsers.PacketRow
			p := capture.Packet{Data: tc.data, CapLen: uint32(len(tc.data)), Length: uint32(len(tc.data)), LinkType: tc.link, Frame: 1}
			d.Decode(&p, &r)
			got := func(col int, s string) string {
				if !r.Has(col) {
					return ""
				}
				return s
			}
			if g := got(parsers.ColSrcIP, r.SrcIP.String()); g != tc.src {
				t.Errorf("src %q, want %q", g, tc.src)
			}
			if g := got(parsers.ColDstIP, r.DstIP.String()); g != tc.dst {
				t.Errorf("dst %q, want %q", g, tc.dst)
			}
			if tc.src != "" && r.IPProto != tc.proto {
				t.Errorf("proto %d, want %d", r.IPProto, tc.proto)
			}
			if sp := int(r.SrcPort); !r.Has(parsers.ColSrcPort) && tc.sport != -1 || r.Has(parsers.ColSrcPort) && sp != tc.sport {
				t.Errorf("src port %d (present %v), want %d", sp, r.Has(parsers.ColSrcPort), tc.sport)
			}
			if g := got(parsers.ColTunnel, r.Tunnel); g != tc.tunnel {
				t.Errorf("tunnel %q, want %q", g, tc.tunnel)
			}
			if id := int64(r.TunnelID); r.Has(parsers.ColTunnelID) != (tc.tunnelID >= 0) || r.Has(parsers.ColTunnelID) && id != tc.tunnelID {
				t.Errorf("tunnel id %d (present %v), want %d", id, r.Has(parsers.ColTunnelID), tc.tunnelID)
			}
			if v := int(r.VLAN); r.Has(parsers.ColVLAN) != (tc.vlan >= 0) || r.Has(parsers.ColVLAN) && v != tc.vlan {
				t.Errorf("vlan %d, want %d", v, tc.vlan)
			}
			if g := got(parsers.ColDecodeError, r.DecodeError); g != tc.err {
				t.Errorf("decode_error %q, want %q", g, tc.err)
			}
		})
	}
}

// TestDecodeTCP checks the hand-decoded TCP header: every field, the
// payload after options, and the failures layers.TCP had.
func TestDecodeTCP(t *testing.T) {
	opts := []byte{2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7} // MSS, NOP, NOP, SACK-ok, NOP, WS
	hdr := func(off byte, flagsHi, flags byte, o []byte) []byte {
		return cat(be16(443), be16(50000), be32(0xdeadbeef), be32(0x01020304), []byte{off<<4 | flagsHi, flags}, be16(65535), be16(0), be16(0), o)
	}
	for _, tc := range []struct {
		name    string
		seg     []byte
		payload string
		flags   uint16
		err     string
	}{
		{"options and payload", cat(hdr(8, 0, 0x18, opts), []byte("hello")), "hello", 0x18, ""},
		{"ns bit", hdr(5, 1, 0x12, nil), "", 0x112, ""},
		{"data offset beyond the segment", hdr(15, 0, 0x10, nil), "", 0, "tcp: malformed header"},
		{"data offset under 5", hdr(4, 0, 0x10, nil), "", 0, "tcp: malformed header"},
		{"19 bytes", hdr(5, 0, 0x10, nil)[:19], "", 0, "tcp: truncated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := eth(0x0800, ipv4(6, a1, a2, tc.seg))
			var d parsers.Decoder
			var r parsers.PacketRow
			p := capture.Packet{Data: data, CapLen: uint32(len(data)), Length: uint32(len(data)), LinkType: layers.LinkTypeEthernet, Frame: 1}
			d.Decode(&p, &r)
			if r.SrcPort != 443 || r.DstPort != 50000 || !r.Has(parsers.ColSrcPort) {
				t.Errorf("ports %d %d", r.SrcPort, r.DstPort)
			}
			if r.DecodeError != tc.err {
				t.Fatalf("decode error %q, want %q", r.DecodeError, tc.err)
			}
			if tc.err != "" {
				if r.Has(parsers.ColTCPSeq) || r.Has(parsers.ColPayloadLen) {
					t.Error("a failed header has sequence or payload columns")
				}
				return
			}
			if r.TCPSeq != 0xdeadbeef || r.TCPAck != 0x01020304 || r.TCPWin != 65535 || r.TCPFlags != tc.flags {
				t.Errorf("seq %#x ack %#x win %d flags %#x", r.TCPSeq, r.TCPAck, r.TCPWin, r.TCPFlags)
			}
			if string(r.Payload) != tc.payload || r.PayloadLen != uint32(len(tc.payload)) {
				t.Errorf("payload %q (%d), want %q", r.Payload, r.PayloadLen, tc.payload)
			}
			if len(r.L4) != len(tc.seg) {
				t.Errorf("l4 %d bytes, want %d", len(r.L4), len(tc.seg))
			}
		})
	}
}
