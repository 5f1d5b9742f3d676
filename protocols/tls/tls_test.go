package tls_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/hex"
	"math/big"
	"net/netip"
	"testing"
	"time"

	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/internal/plugintest"
	"github.com/pcap2table/pcap2table/protocols/tls"
	"github.com/pcap2table/pcap2table/table"
)

var (
	client = netip.MustParseAddr("10.0.0.1")
	server = netip.MustParseAddr("10.0.0.2")
)

// record wraps handshake messages (or other content) in a TLS record.
func record(typ byte, body ...[]byte) []byte {
	var b []byte
	for _, x := range body {
		b = append(b, x...)
	}
	return append([]byte{typ, 3, 3, byte(len(b) >> 8), byte(len(b))}, b...)
}

func handshake(typ byte, body []byte) []byte {
	return append([]byte{typ, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}, body...)
}

// serverHello builds a ServerHello message choosing cipher, echoing sid,
// with a supported_versions extension if ver13 and a pre_shared_key if psk.
func serverHello(cipher uint16, sid []byte, ver13, psk bool, random []byte) []byte {
	var b []byte
	b = binary.BigEndian.AppendUint16(b, 0x0303)
	if random == nil {
		random = make([]byte, 32)
	}
	b = append(b, random...)
	b = append(b, byte(len(sid)))
	b = append(b, sid...)
	b = binary.BigEndian.AppendUint16(b, cipher)
	b = append(b, 0)
	var ext []byte
	ext = append(ext, 0xff, 0x01, 0, 1, 0) // renegotiation_info
	if ver13 {
		ext = append(ext, 0, 43, 0, 2, 3, 4)
	}
	if psk {
		ext = append(ext, 0, 41, 0, 2, 0, 0)
	}
	ext = append(ext, 0, 16, 0, 5, 0, 3, 2, 'h', '2') // ALPN h2
	b = binary.BigEndian.AppendUint16(b, uint16(len(ext)))
	return handshake(2, append(b, ext...))
}

func certificate(t *testing.T) (msg, der []byte) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7),
		Subject:      pkix.Name{CommonName: "www.example.com", Organization: []string{"Example"}},
		NotBefore:    time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	der, err = x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	n := len(der)
	chain := append([]byte{byte(n >> 16), byte(n >> 8), byte(n)}, der...)
	body := append([]byte{byte(len(chain) >> 16), byte(len(chain) >> 8), byte(len(chain))}, chain...)
	return handshake(11, body), der
}

type piece struct {
	fromClient bool
	data       []byte
	gap        int
}

func cl(b []byte) piece { return piece{fromClient: true, data: b} }
func sv(b []byte) piece { return piece{data: b} }

func stream(t *testing.T, pieces ...piece) []plugintest.Row {
	t.Helper()
	b := table.NewBatch(tls.Schema, 8)
	p := tls.New(flows.NewOutput(b))
	conn := &flows.Conn{ID: 3, IPProto: 6, OrigIP: client, RespIP: server, OrigPort: 50000, RespPort: 443, HasPorts: true}
	var off [2]uint64
	for i, pc := range pieces {
		d := flows.FromResp
		if pc.fromClient {
			d = flows.FromOrig
		}
		ev := flows.StreamEvent{FlowID: 3, Dir: d, TS: int64(i+1) * 1e6, Offset: off[d], Data: pc.data, Gap: uint64(pc.gap)}
		off[d] += uint64(len(pc.data) + pc.gap)
		p.Stream(conn, &ev)
	}
	p.FlowEnd(conn, nil)
	return plugintest.Read(t, b)
}

var chrome = chSpec{version: 0x0303, ciphers: []uint16{0x0a0a, 0x1301, 0xc02b, 0x002f}, exts: []uint16{0x1a1a, 0, 10, 11, 13, 16, 43},
	sni: "www.example.com", alpn: []string{"h2", "http/1.1"}, versions: []uint16{0x2a2a, 0x0304, 0x0303},
	sigalgs: []uint16{0x0403, 0x0804}, groups: []uint16{0x3a3a, 29, 23}, points: []byte{0}}

func TestTLS12(t *testing.T) {
	ch := record(22, clientHello(chrome))
	cert, der := certificate(t)
	sid := make([]byte, 32)
	sid[0] = 1 // not the client's: a full handshake
	rows := stream(t,
		cl(ch[:9]), cl(ch[9:60]), cl(ch[60:]), // the ClientHello in three segments
		sv(record(22, serverHello(0xc02b, sid, false, false, nil), cert, handshake(14, nil))),
		cl(record(22, handshake(16, make([]byte, 33)))), cl(record(20, []byte{1})), cl(record(22, make([]byte, 40))),
		sv(record(20, []byte{1})), sv(record(22, make([]byte, 40))),
		cl(record(23, make([]byte, 100))))
	if len(rows) != 1 {
		t.Fatalf("%d rows", len(rows))
	}
	r := rows[0]
	sum := sha256.Sum256(der)
	var text []byte
	var h tls.Hello
	if err := tls.ParseClientHello(clientHello(chrome)[4:], &h); err != nil {
		t.Fatal(err)
	}
	ja3 := string(tls.MD5Hex(nil, h.JA3(text)))
	if s := string(h.JA3(nil)); s != "771,4865-49195-47,0-10-11-13-16-43,29-23,0" {
		t.Errorf("JA3 string %s", s)
	}
	want := plugintest.Row{
		"ts": int64(1e6), "src_ip": "10.0.0.1", "src_port": uint64(50000), "dst_ip": "10.0.0.2", "dst_port": uint64(443),
		"version": "TLSv12", "client_version": "TLSv13", "cipher": uint64(0xc02b), "cipher_name": "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
		"server_name": "www.example.com", "alpn": "h2", "resumed": uint64(0), "established": uint64(1), "ja3": ja3,
		"cert_subject": "CN=www.example.com,O=Example", "cert_issuer": "CN=www.example.com,O=Example",
		"cert_not_before": time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano(), "cert_not_after": time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano(),
		"cert_sha256": hex.EncodeToString(sum[:]), "error": nil,
	}
	for k, v := range want {
		if r[k] != v {
			t.Errorf("%s = %#v, want %#v", k, r[k], v)
		}
	}
	if l, _ := r["client_alpn"].([]string); len(l) != 2 || l[0] != "h2" {
		t.Errorf("client_alpn %v", r["client_alpn"])
	}
	if r.Str("ja4") != "t13d0306h2_"+r.Str("ja4")[11:] || len(r.Str("ja3s")) != 32 {
		t.Errorf("ja4 %s ja3s %s", r.Str("ja4"), r.Str("ja3s"))
	}
}

func TestResumed12(t *testing.T) {
	spec := chrome
	ch := clientHello(spec) // its session id is 32 zero bytes
	rows := stream(t, cl(record(22, ch)), sv(record(22, serverHello(0x002f, make([]byte, 32), false, false, nil))),
		sv(record(20, []byte{1})), cl(record(20, []byte{1})))
	if len(rows) != 1 || rows[0].Uint("resumed") != 1 || rows[0].Uint("established") != 1 || rows[0]["cert_sha256"] != nil {
		t.Fatalf("rows %v", rows)
	}
}

func TestTLS13(t *testing.T) {
	hrr, _ := hex.DecodeString("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")
	rows := stream(t, cl(record(22, clientHello(chrome))),
		sv(record(22, serverHello(0x1301, make([]byte, 32), true, false, hrr))), // HelloRetryRequest
		cl(record(20, []byte{1})), cl(record(22, clientHello(chrome))),
		sv(record(22, serverHello(0x1302, make([]byte, 32), true, true, nil))), sv(record(20, []byte{1})), sv(record(23, make([]byte, 50))))
	if len(rows) != 1 || rows[0].Str("version") != "TLSv13" || rows[0].Uint("cipher") != 0x1302 || rows[0].Uint("established") != 0 {
		t.Fatalf("after a HelloRetryRequest, without the client's Finished: %v", rows)
	}
	rows = stream(t, cl(record(22, clientHello(chrome))),
		sv(record(22, serverHello(0x1302, make([]byte, 32), true, true, nil))), sv(record(20, []byte{1})), sv(record(23, make([]byte, 50))),
		cl(record(20, []byte{1})), cl(record(23, make([]byte, 50))))
	r := rows[0]
	if len(rows) != 1 || r.Str("version") != "TLSv13" || r.Uint("cipher") != 0x1302 || r.Uint("resumed") != 1 || r.Uint("established") != 1 {
		t.Fatalf("rows %v", rows)
	}
}

func TestFailures(t *testing.T) {
	ch := record(22, clientHello(chrome))
	for _, tc := range []struct {
		name   string
		pieces []piece
		err    any
	}{
		{"fatal alert", []piece{cl(ch), sv(record(21, []byte{2, 40}))}, "alert 40"},
		{"gap in the ClientHello", []piece{cl(ch[:20]), {fromClient: true, gap: 30}, cl(ch[50:])}, "a gap in the handshake"},
		{"no answer", []piece{cl(ch)}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows := stream(t, tc.pieces...)
			if len(rows) != 1 || rows[0]["error"] != tc.err || rows[0].Uint("established") != 0 {
				t.Fatalf("rows %v", rows)
			}
		})
	}
	if rows := stream(t, cl([]byte("GET / HTTP/1.1\r\n\r\n")), sv([]byte("HTTP/1.1 200 OK\r\n\r\n"))); len(rows) != 0 {
		t.Fatalf("not TLS: %v", rows)
	}
}

// TestCompatCCS: a ChangeCipherSpec the server sends after its
// HelloRetryRequest (TLS 1.3's middlebox compatibility, as in
// suricata-verify's tls13-draft22) does not hide the real ServerHello
// that follows in the clear.
func TestCompatCCS(t *testing.T) {
	hrr, _ := hex.DecodeString("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")
	rows := stream(t, cl(record(22, clientHello(chrome))),
		sv(record(22, serverHello(0x1301, make([]byte, 32), true, false, hrr))), sv(record(20, []byte{1})),
		cl(record(20, []byte{1})), cl(record(22, clientHello(chrome))),
		sv(record(22, serverHello(0x1303, make([]byte, 32), true, false, nil))), sv(record(23, make([]byte, 50))),
		cl(record(23, make([]byte, 50))))
	if len(rows) != 1 || rows[0].Str("version") != "TLSv13" || rows[0].Uint("cipher") != 0x1303 || rows[0].Str("ja3s") == "" || rows[0].Uint("established") != 1 {
		t.Fatalf("rows %v", rows)
	}
}

// TestDraftServerHello: the ServerHellos of TLS 1.3 drafts before 22
// have no session id or compression byte; their version field is 0x7fNN
// (or 0x0304 itself, before draft 16).
func TestDraftServerHello(t *testing.T) {
	for _, v := range []uint16{0x7f12, 0x0304} {
		b := binary.BigEndian.AppendUint16(nil, v)
		b = append(b, make([]byte, 32)...)           // random
		b = binary.BigEndian.AppendUint16(b, 0x1301) // cipher_suite
		b = append(b, 0, 6, 0, 0x2b, 0, 2, 0x7f, 0x12)
		var h tls.Hello
		if err := tls.ParseServerHello(b, &h); err != nil || len(h.Ciphers) != 1 || h.Ciphers[0] != 0x1301 || h.Version != v {
			t.Errorf("version %#x: %v, ciphers %x, version %#x", v, err, h.Ciphers, h.Version)
		}
	}
}

// TestUpgrade: TLS that starts in the stream after a protocol's own
// negotiation (SMTP's STARTTLS, FTP's AUTH TLS, RDP's X.224 exchange) is
// found at the segment its ClientHello starts; plain HTTP is not
// watched, and a clear-text flow that never upgrades gives no row.
func TestUpgrade(t *testing.T) {
	hello := func(prelude ...piece) []piece {
		return append(prelude, cl(record(22, clientHello(chrome))),
			sv(record(22, serverHello(0x1302, make([]byte, 32), true, false, nil))), sv(record(23, make([]byte, 50))),
			cl(record(23, make([]byte, 50))))
	}
	for _, tc := range []struct {
		name   string
		pieces []piece
		rows   int
	}{
		{"smtp starttls", hello(sv([]byte("220 mx ESMTP\r\n")), cl([]byte("EHLO me\r\n")), sv([]byte("250-mx\r\n250 STARTTLS\r\n")),
			cl([]byte("STARTTLS\r\n")), sv([]byte("220 go ahead\r\n"))), 1},
		{"ftp auth tls", hello(sv([]byte("220 ftp\r\n")), cl([]byte("AUTH TLS\r\n")), sv([]byte("234 ok\r\n"))), 1},
		{"rdp", hello(cl([]byte{3, 0, 0, 19, 14, 0xe0, 0, 0, 0, 0, 0, 1, 0, 8, 0, 1, 0, 0, 0}), sv([]byte{3, 0, 0, 19, 14, 0xd0, 0, 0, 0x12, 0x34, 0, 2, 0, 8, 0, 1, 0, 0, 0})), 1},
		{"http connect", hello(cl([]byte("CONNECT h:443 HTTP/1.1\r\n\r\n")), sv([]byte("HTTP/1.1 200 OK\r\n\r\n"))), 1},
		{"socks5", hello(cl([]byte{5, 1, 0}), sv([]byte{5, 0}), cl([]byte{5, 1, 0, 3, 11, 'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'c', 'o', 'm', 1, 187}),
			sv([]byte{5, 0, 0, 1, 10, 0, 0, 1, 1, 187})), 1},
		{"socks4a", hello(cl([]byte{4, 1, 1, 187, 0, 0, 0, 1, 'u', 0, 'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'c', 'o', 'm', 0}), sv([]byte{0, 90, 0, 0, 0, 0, 0, 0})), 1},
		{"never upgraded", []piece{sv([]byte("220 mx ESMTP\r\n")), cl([]byte("QUIT\r\n"))}, 0},
		{"plain http", hello(cl([]byte("GET / HTTP/1.1\r\n\r\n")), sv([]byte("HTTP/1.1 200 OK\r\n\r\n"))), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows := stream(t, tc.pieces...)
			if len(rows) != tc.rows {
				t.Fatalf("%d rows, want %d: %v", len(rows), tc.rows, rows)
			}
			if tc.rows == 1 && (rows[0].Str("server_name") == "" || rows[0].Str("version") != "TLSv13" || rows[0].Uint("established") != 1) {
				t.Errorf("row %v", rows[0])
			}
		})
	}
}
