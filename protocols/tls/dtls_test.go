package tls_test

import (
	"encoding/binary"
	"testing"

	"github.com/pcap2table/pcap2table/internal/plugintest"
	"github.com/pcap2table/pcap2table/protocols/tls"
)

// dtlsRecord is a DTLS 1.2 record of type typ at epoch.
func dtlsRecord(typ byte, epoch uint16, body ...[]byte) []byte {
	var b []byte
	for _, x := range body {
		b = append(b, x...)
	}
	h := []byte{typ, 0xfe, 0xfd}
	h = binary.BigEndian.AppendUint16(h, epoch)
	h = append(h, 0, 0, 0, 0, 0, 1)
	h = binary.BigEndian.AppendUint16(h, uint16(len(b)))
	return append(h, b...)
}

// dtlsFragment is a handshake fragment: msg (a TLS handshake message,
// its 4-byte header first) as message seq, bytes [off, off+n) of its body.
func dtlsFragment(msg []byte, seq uint16, off, n int) []byte {
	body := msg[4:]
	b := []byte{msg[0], byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}
	b = binary.BigEndian.AppendUint16(b, seq)
	b = append(b, byte(off>>16), byte(off>>8), byte(off), byte(n>>16), byte(n>>8), byte(n))
	return append(b, body[off:off+n]...)
}

// TestDTLS: a DTLS 1.2 handshake over UDP, as OpenSSL's: the ClientHello
// in two fragments over two datagrams, a HelloVerifyRequest, the
// ClientHello again with the cookie (and retransmitted), then the
// server's flight and both sides' ChangeCipherSpec. The row is
// transport dtls, DTLSv12, with the first ClientHello's fingerprints
// (the cookie left out, JA4's transport d).
func TestDTLS(t *testing.T) {
	spec := chrome
	spec.version, spec.versions = 0xfefd, nil
	spec.exts = []uint16{0, 10, 11, 13, 16}
	ch := clientHello(spec)
	withCookie := func(cookie []byte) []byte {
		sid := 4 + 2 + 32 + 1 + int(ch[4+2+32])
		m := append([]byte{}, ch[:sid]...)
		m = append(m, byte(len(cookie)))
		m = append(m, cookie...)
		m = append(m, ch[sid:]...)
		n := len(m) - 4
		m[1], m[2], m[3] = byte(n>>16), byte(n>>8), byte(n)
		return m
	}
	ch0, ch1 := withCookie(nil), withCookie([]byte{1, 2, 3, 4, 5, 6, 7, 8})
	half := (len(ch0) - 4) / 2
	hvr := []byte{3, 0, 0, 11, 0xfe, 0xff, 8, 1, 2, 3, 4, 5, 6, 7, 8}
	sh := serverHello(0xc02b, make([]byte, 32), false, false, nil)
	binary.BigEndian.PutUint16(sh[4:], 0xfefd)
	fin := make([]byte, 40)
	rows := quic(t,
		datagram{true, dtlsRecord(22, 0, dtlsFragment(ch0, 0, 0, half))},
		datagram{true, dtlsRecord(22, 0, dtlsFragment(ch0, 0, half, len(ch0)-4-half))},
		datagram{false, dtlsRecord(22, 0, dtlsFragment(append(hvr[:0:0], hvr...), 0, 0, len(hvr)-4))},
		datagram{true, dtlsRecord(22, 0, dtlsFragment(ch1, 1, 0, len(ch1)-4))},
		datagram{true, dtlsRecord(22, 0, dtlsFragment(ch1, 1, 0, len(ch1)-4))}, // retransmitted
		datagram{false, append(dtlsRecord(22, 0, dtlsFragment(sh, 1, 0, len(sh)-4)), dtlsRecord(22, 0, dtlsFragment([]byte{14, 0, 0, 0}, 2, 0, 0))...)},
		datagram{true, append(append(dtlsRecord(22, 0, dtlsFragment([]byte{16, 0, 0, 2, 0, 0}, 2, 0, 2)), dtlsRecord(20, 0, []byte{1})...), dtlsRecord(22, 1, fin)...)},
		datagram{false, append(dtlsRecord(20, 0, []byte{1}), dtlsRecord(22, 1, fin)...)},
	)
	if len(rows) != 1 {
		t.Fatalf("%d rows: %v", len(rows), rows)
	}
	var h tls.Hello
	if err := tls.ParseClientHello(ch[4:], &h); err != nil {
		t.Fatal(err)
	}
	want := plugintest.Row{
		"transport": "dtls", "version": "DTLSv12", "client_version": "DTLSv12", "cipher": uint64(0xc02b),
		"server_name": "www.example.com", "established": uint64(1), "error": nil,
		"ja3": string(tls.MD5Hex(nil, h.JA3(nil))), "ja4": "d" + string(h.JA4(nil, new([]uint16)))[1:],
	}
	for k, v := range want {
		if rows[0][k] != v {
			t.Errorf("%s = %#v, want %#v", k, rows[0][k], v)
		}
	}
	if rows[0]["ja4"].(string)[:4] != "dd2d" {
		t.Errorf("ja4 %v: want dd2d... (DTLS, version d2: DTLS 1.2)", rows[0]["ja4"])
	}
}
