package tls_test

import (
	"encoding/binary"
	"slices"
	"testing"

	"github.com/pcap2table/pcap2table/protocols/tls"
)

// ext encodes an extension: its type, the length of its body, its body.
func ext(typ uint16, body ...byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, typ)
	b = binary.BigEndian.AppendUint16(b, uint16(len(body)))
	return append(b, body...)
}

// hello encodes a hello's body: version 0x0303, a random of 32 bytes 7,
// no session id, then mid (the cipher suites and compression methods of
// a ClientHello, or the cipher suite and compression method of a
// ServerHello) and the extensions block.
func hello(mid []byte, exts ...[]byte) []byte {
	b := []byte{3, 3}
	b = append(b, slices.Repeat([]byte{7}, 32)...)
	b = append(b, 0)
	b = append(b, mid...)
	block := slices.Concat(exts...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(block)))
	return append(b, block...)
}

var (
	chMid = []byte{0, 4, 0x13, 0x01, 0xc0, 0x2b, 1, 0} // two suites, null compression
	shMid = []byte{0x13, 0x01, 0}                      // TLS_AES_128_GCM_SHA256, null compression
)

// TestHelloTolerance pins down what the hello parsers make of hellos that
// are cut short or odd: what they keep, and whether they fail.
func TestHelloTolerance(t *testing.T) {
	var h tls.Hello
	sni := func(name string) []byte {
		l := append([]byte{0}, binary.BigEndian.AppendUint16(nil, uint16(len(name)))...)
		l = append(l, name...)
		return append(binary.BigEndian.AppendUint16(nil, uint16(len(l))), l...)
	}

	// a ServerHello cut in its random: the version, and the one cipher
	// as 0 (JA3S and the cipher column show it)
	if err := tls.ParseServerHello([]byte{3, 3, 1, 2}, &h); err == nil || h.Version != 0x0303 || !slices.Equal(h.Ciphers, []uint16{0}) || h.Random != nil {
		t.Errorf("cut in the random: %v %+v", err, h)
	}
	// a ServerHello whose supported_versions is cut short: version 0
	if err := tls.ParseServerHello(hello(shMid, ext(43, 3)), &h); err != nil || !slices.Equal(h.Versions, []uint16{0}) {
		t.Errorf("supported_versions cut short: %v %v", err, h.Versions)
	}
	// an extension whose body is cut short ends the hello with an error;
	// the extensions before it are kept
	b := hello(chMid, ext(10, 0, 2, 0, 29), []byte{0, 13, 0, 9, 0, 2, 4, 3}) // 4 bytes of 9
	if err := tls.ParseClientHello(b, &h); err == nil || !slices.Equal(h.Extensions, []uint16{10}) || !slices.Equal(h.Groups, []uint16{29}) ||
		!slices.Equal(h.Ciphers, []uint16{0x1301, 0xc02b}) {
		t.Errorf("extension cut short: %v %+v", err, h)
	}
	// fewer bytes than an extension header at the end of the block, and
	// bytes after it, are ignored; so is a list cut short inside a body
	b = hello(chMid, ext(10, 0, 9, 0, 29), ext(11, 1, 0), []byte{0, 5, 0})
	if err := tls.ParseClientHello(append(b, 1, 2), &h); err != nil || !slices.Equal(h.Extensions, []uint16{10, 11}) || len(h.Groups) != 0 ||
		!slices.Equal(h.Points, []uint8{0}) {
		t.Errorf("odd ends: %v %+v", err, h)
	}
	// the first host_name wins, even over a later server_name; a
	// server_name without one leaves the name to a later one
	if err := tls.ParseClientHello(hello(chMid, ext(0, 0, 0), ext(0, sni("a.example")...), ext(0, sni("b.example")...)), &h); err != nil ||
		!h.HasSNI || string(h.SNI) != "a.example" {
		t.Errorf("two server_names: %v %q", err, h.SNI)
	}
	// ALPN: the protocols before one cut short are kept
	if err := tls.ParseClientHello(hello(chMid, ext(16, 0, 6, 2, 'h', '2', 5, 'h', 't')), &h); err != nil || len(h.ALPN) != 1 || string(h.ALPN[0]) != "h2" {
		t.Errorf("ALPN cut short: %v %q", err, h.ALPN)
	}
	// what aliases the message cannot be appended to over it
	if err := tls.ParseClientHello(hello(chMid, ext(0, sni("a.example")...), ext(16, 0, 3, 2, 'h', '2')), &h); err != nil ||
		cap(h.SNI) != len(h.SNI) || cap(h.Random) != 32 || cap(h.ALPN[0]) != 2 {
		t.Errorf("capacities: %v %d %d %d", err, cap(h.SNI), cap(h.Random), cap(h.ALPN[0]))
	}
	// no extensions (SSL 3.0, TLS 1.0): no error; one byte of them: error
	b = hello(chMid)
	if err := tls.ParseClientHello(b[:len(b)-2], &h); err != nil || len(h.Extensions) != 0 {
		t.Errorf("no extensions: %v %+v", err, h)
	}
	if err := tls.ParseClientHello(b[:len(b)-1], &h); err == nil {
		t.Errorf("one byte of extensions: no error")
	}
}

// TestCertificateTolerance: a Certificate message whose list is cut short
// is let be; a first certificate that is empty or cut short is an error.
func TestCertificateTolerance(t *testing.T) {
	for _, tc := range []struct {
		body []byte
		err  any
	}{
		{[]byte{0, 0, 10, 0, 0, 3, 1, 2, 3}, nil},                      // the list: 6 bytes of 10
		{[]byte{0, 0, 2, 0, 0}, nil},                                   // a list shorter than a length
		{[]byte{0, 0, 3, 0, 0, 0}, "malformed Certificate message"},    // an empty certificate
		{[]byte{0, 0, 4, 0, 0, 5, 1}, "malformed Certificate message"}, // 1 byte of 5
	} {
		rows := stream(t, cl(record(22, clientHello(chrome))),
			sv(record(22, serverHello(0xc02b, make([]byte, 32), false, false, nil), handshake(11, tc.body))))
		if len(rows) != 1 || rows[0]["error"] != tc.err || rows[0]["cert_sha256"] != nil {
			t.Errorf("%v: rows %v", tc.body, rows)
		}
	}
}
