package tls_test

import (
	"encoding/binary"
	"strconv"
	"strings"
	"testing"

	"github.com/pcap2table/pcap2table/protocols/tls"
)

// chSpec describes a ClientHello for the builder: ciphers and extension
// types in the order sent, and the contents of the extensions that the
// fingerprints read.
type chSpec struct {
	version  uint16
	ciphers  []uint16
	exts     []uint16
	sni      string
	alpn     []string
	versions []uint16 // supported_versions
	sigalgs  []uint16
	groups   []uint16
	points   []byte
}

// clientHello builds the ClientHello handshake message (type, length,
// body) of s.
func clientHello(s chSpec) []byte {
	u16 := func(b []byte, v uint16) []byte { return binary.BigEndian.AppendUint16(b, v) }
	var b []byte
	b = u16(b, s.version)
	b = append(b, make([]byte, 32)...) // random
	b = append(b, 32)
	b = append(b, make([]byte, 32)...) // session id
	b = u16(b, uint16(2*len(s.ciphers)))
	for _, c := range s.ciphers {
		b = u16(b, c)
	}
	b = append(b, 1, 0) // null compression
	var ext []byte
	for _, e := range s.exts {
		var body []byte
		switch e {
		case 0:
			name := []byte(s.sni)
			body = u16(body, uint16(3+len(name)))
			body = append(body, 0)
			body = u16(body, uint16(len(name)))
			body = append(body, name...)
		case 10:
			body = u16(body, uint16(2*len(s.groups)))
			for _, g := range s.groups {
				body = u16(body, g)
			}
		case 11:
			body = append(body, byte(len(s.points)))
			body = append(body, s.points...)
		case 13:
			body = u16(body, uint16(2*len(s.sigalgs)))
			for _, a := range s.sigalgs {
				body = u16(body, a)
			}
		case 16:
			var l []byte
			for _, p := range s.alpn {
				l = append(l, byte(len(p)))
				l = append(l, p...)
			}
			body = u16(body, uint16(len(l)))
			body = append(body, l...)
		case 43:
			body = append(body, byte(2*len(s.versions)))
			for _, v := range s.versions {
				body = u16(body, v)
			}
		case 21: // padding
			body = make([]byte, 7)
		}
		ext = u16(ext, e)
		ext = u16(ext, uint16(len(body)))
		ext = append(ext, body...)
	}
	b = u16(b, uint16(len(ext)))
	b = append(b, ext...)
	msg := []byte{1, byte(len(b) >> 16), byte(len(b) >> 8), byte(len(b))}
	return append(msg, b...)
}

// hexList parses "1301,1302,..." (JA4_ro's lists).
func hexList(t *testing.T, s string) []uint16 {
	var l []uint16
	for _, x := range strings.Split(s, ",") {
		v, err := strconv.ParseUint(x, 16, 16)
		if err != nil {
			t.Fatal(err)
		}
		l = append(l, uint16(v))
	}
	return l
}

// TestJA4Vectors reproduces the ClientHellos of FoxIO's published test
// outputs (github.com/FoxIO-LLC/ja4, python/test/testdata/*.json): the
// ciphers, extensions and signature algorithms in the order sent are
// their JA4_ro, the SNI, ALPN and supported_versions match their JA4_a,
// and GREASE values are put back where browsers send them. Each must
// give FoxIO's JA4.
func TestJA4Vectors(t *testing.T) {
	for _, tc := range []struct {
		file, ro, alpn, ja4 string
		grease              bool
	}{
		{
			// tls-non-ascii-alpn.pcapng: Chrome; the ALPN value is not
			// alphanumeric, so its hex form gives "99".
			"tls-non-ascii-alpn.pcapng",
			"t13d151699_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035_ff01,0033,002d,0005,4469,000d,0010,0023,001b,002b,0000,0012,000a,0017,000b,0015_0403,0804,0401,0503,0805,0501,0806,0601",
			"\x90\x09", "t13d151699_8daaf6152771_e5627efa2ab1", true,
		},
		{
			// tls12.pcap: Firefox.
			"tls12.pcap",
			"t13d1715h2_1301,1303,1302,c02b,c02f,cca9,cca8,c02c,c030,c00a,c009,c013,c014,009c,009d,002f,0035_0000,0017,ff01,000a,000b,0023,0010,0005,0022,0033,002b,000d,002d,001c,0015_0403,0503,0603,0804,0805,0806,0401,0501,0601,0203,0201",
			"h2", "t13d1715h2_5b57614c22b0_3d5424432f57", false,
		},
		{
			// sigalg-grease.pcapng: Chrome with a GREASE signature
			// algorithm, which JA4 ignores.
			"sigalg-grease.pcapng",
			"t13d1517h2_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035_fe0d,0010,0017,0033,44cd,ff01,000a,000d,0023,002b,000b,ca34,002d,0000,0005,001b,0012_0904,0905,0906,0403,0804,0401,0503,0805,0501,0806,0601",
			"h2", "t13d1517h2_8daaf6152771_cb7bf5808d99", true,
		},
	} {
		t.Run(tc.file, func(t *testing.T) {
			parts := strings.Split(tc.ro, "_")
			s := chSpec{version: 0x0303, ciphers: hexList(t, parts[1]), exts: hexList(t, parts[2]), sigalgs: hexList(t, parts[3]),
				sni: "example.com", alpn: []string{tc.alpn, "http/1.1"}, versions: []uint16{0x0304, 0x0303}, groups: []uint16{29, 23}, points: []byte{0}}
			if tc.grease {
				s.ciphers = append([]uint16{0x5a5a}, s.ciphers...)
				s.exts = append(append([]uint16{0x0a0a}, s.exts...), 0xfafa)
				s.versions = append([]uint16{0x3a3a}, s.versions...)
				s.groups = append([]uint16{0x2a2a}, s.groups...)
				s.sigalgs = append([]uint16{0x1a1a}, s.sigalgs...)
			}
			msg := clientHello(s)
			var h tls.Hello
			if err := tls.ParseClientHello(msg[4:], &h); err != nil {
				t.Fatal(err)
			}
			var scratch []uint16
			if got := string(h.JA4(nil, &scratch)); got != tc.ja4 {
				t.Errorf("JA4 %s, want %s", got, tc.ja4)
			}
		})
	}
}

// TestJA4Rules checks the rules the vectors do not reach.
func TestJA4Rules(t *testing.T) {
	base := chSpec{version: 0x0301, ciphers: []uint16{0x002f}, exts: nil}
	for _, tc := range []struct {
		name   string
		mod    func(s *chSpec)
		prefix string
	}{
		{"no extensions: TLS 1.0, IP, no ALPN, zero hash", func(s *chSpec) {}, "t10i010000_"},
		{"SSL 3.0", func(s *chSpec) { s.version = 0x0300 }, "ts3i010000_"},
		{"only GREASE in supported_versions: legacy version", func(s *chSpec) {
			s.exts, s.versions = []uint16{43}, []uint16{0x0a0a}
		}, "t10i0101"},
		{"one-letter ALPN", func(s *chSpec) { s.exts, s.alpn = []uint16{16}, []string{"h"} }, "t10i0101hh_"},
		{"counts stop at 99", func(s *chSpec) {
			s.ciphers = nil
			for i := range 120 {
				s.ciphers = append(s.ciphers, uint16(0x100+i))
			}
		}, "t10i990000_"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := base
			tc.mod(&s)
			var h tls.Hello
			if err := tls.ParseClientHello(clientHello(s)[4:], &h); err != nil {
				t.Fatal(err)
			}
			var scratch []uint16
			got := string(h.JA4(nil, &scratch))
			if !strings.HasPrefix(got, tc.prefix) {
				t.Errorf("JA4 %s, want prefix %s", got, tc.prefix)
			}
			if len(got) != 36 {
				t.Errorf("JA4 %s: %d characters", got, len(got))
			}
		})
	}
	var h tls.Hello
	if err := tls.ParseClientHello(clientHello(base)[4:], &h); err != nil {
		t.Fatal(err)
	}
	var scratch []uint16
	if got := string(h.JA4(nil, &scratch)); !strings.HasSuffix(got, "_000000000000") {
		t.Errorf("no extensions: %s", got)
	}
}

func TestCipherName(t *testing.T) {
	for id, want := range map[uint16]string{0x1301: "TLS_AES_128_GCM_SHA256", 0x0004: "TLS_RSA_WITH_RC4_128_MD5", 0xc02b: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 0x7777: "0x7777"} {
		if got := tls.CipherName(id); got != want {
			t.Errorf("%#04x: %s, want %s", id, got, want)
		}
	}
}
