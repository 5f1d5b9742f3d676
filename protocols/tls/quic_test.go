package tls_test

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"encoding/hex"
	"path/filepath"
	"testing"

	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/internal/plugintest"
	"github.com/pcap2table/pcap2table/internal/reftest"
	"github.com/pcap2table/pcap2table/parsers"
	"github.com/pcap2table/pcap2table/protocols/tls"
	"github.com/pcap2table/pcap2table/table"
)

// TestQUICInitialKeys checks the key derivation against the published
// vectors: RFC 9001 appendix A.1 (version 1) and RFC 9369 appendix A.1
// (version 2), both for the connection id 0x8394c8f03e515708.
func TestQUICInitialKeys(t *testing.T) {
	dcid, _ := hex.DecodeString("8394c8f03e515708")
	for _, tc := range []struct {
		version     uint32
		server      bool
		key, iv, hp string
	}{
		{1, false, "1f369613dd76d5467730efcbe3b1a22d", "fa044b2f42a3fd3b46fb255c", "9f50449e04a0e810283a1e9933adedd2"},
		{1, true, "cf3a5331653c364c88f0f379b6067e37", "0ac1493ca1905853b0bba03e", "c206b8d9b9f0f37644430b490eeaa314"},
		{0x6b3343cf, false, "8b1a0bc121284290a29e0971b5cd045d", "91f73e2351d8fa91660e909f", "45b95e15235d6f45a6b19cbcb0294ba9"},
		{0x6b3343cf, true, "82db637861d55e1d011f19ea71d5d2a7", "dd13c276499c0249d3310652", "edf6d05c83121201b436e16877593c3a"},
	} {
		key, iv, hp, err := tls.QUICInitialKeys(tc.version, dcid, tc.server)
		if err != nil {
			t.Fatal(err)
		}
		if hex.EncodeToString(key) != tc.key || hex.EncodeToString(iv) != tc.iv || hex.EncodeToString(hp) != tc.hp {
			t.Errorf("version %#x server %v: key %x iv %x hp %x", tc.version, tc.server, key, iv, hp)
		}
	}
	if _, _, _, err := tls.QUICInitialKeys(0x0a0a0a0a, dcid, false); err == nil {
		t.Error("a reserved version gave keys")
	}
}

// initial builds a QUIC version 1 Initial packet (long packet type typ)
// carrying frames, protected with the keys of dcid as RFC 9001 section 5
// says: an independent implementation of what the plugin undoes.
func initial(t testing.TB, keyDCID []byte, server bool, typ byte, dcid, scid []byte, pn uint16, frames []byte) []byte {
	return initialToken(t, keyDCID, server, typ, dcid, scid, pn, nil, frames)
}

// initialToken is initial with a token (an Initial packet's, typ 0).
func initialToken(t testing.TB, keyDCID []byte, server bool, typ byte, dcid, scid []byte, pn uint16, token, frames []byte) []byte {
	key, iv, hp, err := tls.QUICInitialKeys(1, keyDCID, server)
	if err != nil {
		t.Fatal(err)
	}
	for len(frames) < 40 {
		frames = append(frames, 0) // PADDING: the header protection samples 16 bytes
	}
	h := []byte{0xc0 | typ<<4 | 1, 0, 0, 0, 1, byte(len(dcid))} // a 2-byte packet number
	h = append(h, dcid...)
	h = append(h, byte(len(scid)))
	h = append(h, scid...)
	if typ == 0 {
		h = append(h, 0x40|byte(len(token)>>8), byte(len(token))) // a 2-byte varint
		h = append(h, token...)
	}
	n := 2 + len(frames) + 16
	h = append(h, 0x40|byte(n>>8), byte(n))
	pnOff := len(h)
	h = binary.BigEndian.AppendUint16(h, pn)
	block, _ := aes.NewCipher(key)
	aead, _ := cipher.NewGCM(block)
	nonce := append([]byte(nil), iv...)
	nonce[10] ^= byte(pn >> 8)
	nonce[11] ^= byte(pn)
	pkt := aead.Seal(append([]byte(nil), h...), nonce, frames, h)
	hpb, _ := aes.NewCipher(hp)
	var mask [16]byte
	hpb.Encrypt(mask[:], pkt[pnOff+4:pnOff+20])
	pkt[0] ^= mask[0] & 0x0f
	pkt[pnOff] ^= mask[1]
	pkt[pnOff+1] ^= mask[2]
	return pkt
}

// crypto is a CRYPTO frame holding data at offset off.
func crypto(off int, data []byte) []byte {
	b := []byte{0x06, 0x80 | byte(off>>24), byte(off >> 16), byte(off >> 8), byte(off), 0x40 | byte(len(data)>>8), byte(len(data))}
	return append(b, data...)
}

type datagram struct {
	fromClient bool
	data       []byte
}

// quic feeds datagrams to the plugin as the packets of one UDP flow.
func quic(t *testing.T, dgs ...datagram) []plugintest.Row {
	t.Helper()
	b := table.NewBatch(tls.Schema, 8)
	p := tls.New(flows.NewOutput(b))
	conn := &flows.Conn{ID: 5, IPProto: 17, OrigIP: client, RespIP: server, OrigPort: 50000, RespPort: 443, HasPorts: true}
	for i, dg := range dgs {
		d := flows.FromResp
		if dg.fromClient {
			d = flows.FromOrig
		}
		r := parsers.PacketRow{TS: int64(i+1) * 1e6, Payload: dg.data}
		p.Packet(conn, d, &r)
	}
	p.FlowEnd(conn, nil)
	return plugintest.Read(t, b)
}

// TestQUICToken: an Initial packet whose token makes its header longer
// than any fixed buffer (a server's address validation token is often
// 50-200 bytes; here 300) is read like any other.
func TestQUICToken(t *testing.T) {
	dcid, _ := hex.DecodeString("8394c8f03e515708")
	ch := clientHello(chrome)
	token := make([]byte, 300)
	for i := range token {
		token[i] = byte(i)
	}
	rows := quic(t, datagram{true, initialToken(t, dcid, false, 0, dcid, []byte{1, 2, 3, 4}, 0, token, crypto(0, ch))})
	if len(rows) != 1 || rows[0]["server_name"] != "www.example.com" || rows[0]["transport"] != "quic" {
		t.Fatalf("rows: %v", rows)
	}
}

func TestQUIC(t *testing.T) {
	dcid, _ := hex.DecodeString("8394c8f03e515708")
	scid := []byte{1, 2, 3, 4}
	sscid := []byte{9, 9, 9, 9, 9}
	spec := chrome
	spec.exts = append(spec.exts, 57) // quic_transport_parameters
	ch := clientHello(spec)
	sh := serverHello(0x1301, make([]byte, 32), true, false, nil)
	ack := []byte{0x02, 0, 0, 1, 0, 0, 0} // largest 0, delay 0, one more range
	// the ClientHello in three CRYPTO frames over two Initial packets,
	// out of order; the server's Initial coalesced with a Handshake
	// packet; then a 1-RTT packet each way
	c1 := initial(t, dcid, false, 0, dcid, scid, 0, append(crypto(60, ch[60:]), append([]byte{0x01}, crypto(0, ch[:30])...)...))
	c2 := initial(t, dcid, false, 0, dcid, scid, 1, append(ack, crypto(30, ch[30:60])...))
	s1 := append(initial(t, dcid, true, 0, scid, sscid, 0, append(ack, crypto(0, sh)...)),
		initial(t, []byte("handshake keys"), true, 2, scid, sscid, 0, make([]byte, 50))...)
	short := func(b byte) []byte { return append([]byte{0x40 | b}, make([]byte, 40)...) }
	rows := quic(t, datagram{true, c1}, datagram{true, c2}, datagram{false, s1},
		datagram{false, short(1)}, datagram{true, short(2)}, datagram{true, short(3)})
	if len(rows) != 1 {
		t.Fatalf("%d rows: %v", len(rows), rows)
	}
	r := rows[0]
	var h tls.Hello
	if err := tls.ParseClientHello(ch[4:], &h); err != nil {
		t.Fatal(err)
	}
	ja4 := "q" + string(h.JA4(nil, new([]uint16)))[1:]
	want := plugintest.Row{
		"ts": int64(1e6), "src_ip": "10.0.0.1", "src_port": uint64(50000), "dst_ip": "10.0.0.2", "dst_port": uint64(443),
		"transport": "quic", "version": "TLSv13", "client_version": "TLSv13", "cipher": uint64(0x1301),
		"server_name": "www.example.com", "alpn": "h2", "resumed": uint64(0), "established": uint64(1),
		"ja3": string(tls.MD5Hex(nil, h.JA3(nil))), "ja4": ja4, "error": nil, "cert_sha256": nil,
	}
	for k, v := range want {
		if r[k] != v {
			t.Errorf("%s = %#v, want %#v", k, r[k], v)
		}
	}
	if ja4[:4] != "q13d" || len(r.Str("ja3s")) != 32 {
		t.Errorf("ja4 %s ja3s %s", ja4, r.Str("ja3s"))
	}

	t.Run("retry", func(t *testing.T) {
		// the server answers the first Initial with a Retry; the client
		// sends its ClientHello again to the new connection id, whose
		// keys protect the rest
		dcid2 := []byte{7, 7, 7, 7, 7, 7, 7, 7, 7}
		retry := append([]byte{0xf0, 0, 0, 0, 1, byte(len(scid))}, scid...)
		retry = append(append(retry, byte(len(dcid2))), dcid2...)
		retry = append(retry, make([]byte, 24)...) // token and integrity tag
		rows := quic(t,
			datagram{true, initial(t, dcid, false, 0, dcid, scid, 0, crypto(0, ch[:50]))},
			datagram{false, retry},
			datagram{true, initial(t, dcid2, false, 0, dcid2, scid, 1, crypto(0, ch))},
			datagram{false, initial(t, dcid2, true, 0, scid, dcid2, 0, crypto(0, sh))})
		if len(rows) != 1 || rows[0].Str("ja3") != want["ja3"] || rows[0]["version"] != "TLSv13" || rows[0].Uint("established") != 0 {
			t.Fatalf("rows %v", rows)
		}
	})
	t.Run("incomplete", func(t *testing.T) {
		rows := quic(t, datagram{true, initial(t, dcid, false, 0, dcid, scid, 0, crypto(0, ch[:50]))})
		if len(rows) != 1 || rows[0]["error"] == nil || rows[0]["ja3"] != nil {
			t.Fatalf("rows %v", rows)
		}
	})
	t.Run("not quic", func(t *testing.T) {
		for _, dg := range [][]byte{
			[]byte("\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03com\x00\x00\x01\x00\x01"), // DNS
			initial(t, []byte("other keys"), false, 0, dcid, scid, 0, crypto(0, ch)),                         // keys that do not open it
			c1[:30], // cut short
		} {
			if rows := quic(t, datagram{true, dg}); len(rows) != 0 {
				t.Errorf("%x...: rows %v", dg[:8], rows)
			}
		}
	})
}

// TestQUICCapture: the real QUIC connection (draft-29) gives a tls row
// with tshark's ja3, and its flow's service is "quic,tls".
func TestQUICCapture(t *testing.T) {
	rows, fl := plugintest.Run(t, reftest.Decode(t, filepath.Join(capturesDir, "ndpi--tests--cfgs--default--pcap--dlt_ppp.pcap")), tls.Schema,
		func(o *flows.Output) flows.Plugin { return tls.New(o) })
	if len(rows) != 1 {
		t.Fatalf("%d rows", len(rows))
	}
	r := rows[0]
	if r.Str("transport") != "quic" || r.Str("ja3") != "fe94e313a5d76fb687c85443cdfa8170" || r.Str("server_name") != "server4" ||
		r.Str("ja4") != "q00d0308h9_55b375c5d22e_23ed935430f2" || r["error"] != nil {
		t.Errorf("row %v", r)
	}
	service := "no flow"
	for _, f := range fl {
		if f.FlowID == r.Uint("flow_id") {
			service = f.Service
		}
	}
	if service != "quic,tls" {
		t.Errorf("service %q, want quic,tls", service)
	}
}
