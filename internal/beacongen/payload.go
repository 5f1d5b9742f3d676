package beacongen

import (
	"encoding/binary"
	"fmt"
	"strings"
)

func u16(b []byte, v uint16) []byte { return binary.BigEndian.AppendUint16(b, v) }

// random appends n random bytes to b.
func (g *gen) random(b []byte, n int) []byte {
	for range n {
		b = append(b, byte(g.rng.Uint32()))
	}
	return b
}

// record wraps body in a TLS record of type typ.
func record(typ byte, body []byte) []byte {
	b := []byte{typ, 3, 3}
	if typ == 0x16 && len(body) > 0 && body[0] == 1 {
		b[2] = 1 // a ClientHello's record says TLS 1.0, as browsers send it
	}
	b = u16(b, uint16(len(body)))
	return append(b, body...)
}

// handshake wraps body in a handshake message of type typ.
func handshake(typ byte, body []byte) []byte {
	return append([]byte{typ, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}, body...)
}

// ext appends a TLS extension.
func ext(b []byte, typ uint16, body []byte) []byte {
	b = u16(u16(b, typ), uint16(len(body)))
	return append(b, body...)
}

// clientHello is a TLS 1.3 ClientHello record with server_name sni,
// supported_groups, ec_point_formats, signature_algorithms, ALPN
// (h2, http/1.1), supported_versions and key_share.
func (g *gen) clientHello(sni string) []byte {
	b := u16(nil, 0x0303)
	b = g.random(b, 32)
	b = append(b, 32)
	b = g.random(b, 32)
	ciphers := []uint16{0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035}
	b = u16(b, uint16(2*len(ciphers)))
	for _, c := range ciphers {
		b = u16(b, c)
	}
	b = append(b, 1, 0)
	var e []byte
	name := append(u16(nil, uint16(3+len(sni))), 0) // server_name_list: one host_name
	name = append(u16(name, uint16(len(sni))), sni...)
	e = ext(e, 0, name)
	e = ext(e, 23, nil)
	e = ext(e, 65281, []byte{0})
	e = ext(e, 10, []byte{0, 6, 0, 0x1d, 0, 0x17, 0, 0x18})
	e = ext(e, 11, []byte{1, 0})
	e = ext(e, 35, nil)
	e = ext(e, 16, append([]byte{0, 12, 2}, "h2\x08http/1.1"...))
	e = ext(e, 13, []byte{0, 8, 4, 3, 8, 4, 4, 1, 5, 3})
	e = ext(e, 43, []byte{4, 3, 4, 3, 3})
	e = ext(e, 51, g.random([]byte{0, 36, 0, 0x1d, 0, 32}, 32))
	b = append(u16(b, uint16(len(e))), e...)
	return record(0x16, handshake(1, b))
}

// serverFlight is a TLS 1.3 ServerHello, ChangeCipherSpec and n bytes of
// encrypted handshake (certificate and all).
func (g *gen) serverFlight(n int) []byte {
	b := u16(nil, 0x0303)
	b = g.random(b, 32)
	b = append(b, 32)
	b = g.random(b, 32)
	b = append(u16(b, 0x1301), 0)
	e := ext(nil, 43, []byte{3, 4})
	e = ext(e, 51, g.random([]byte{0, 0x1d, 0, 32}, 32))
	b = append(u16(b, uint16(len(e))), e...)
	out := record(0x16, handshake(2, b))
	out = append(out, record(0x14, []byte{1})...)
	return append(out, g.appData(n)...)
}

// appData is n bytes of TLS application data, in records of at most 16 KiB.
func (g *gen) appData(n int) []byte {
	var out []byte
	for n > 0 {
		k := min(n, 16384)
		out = append(out, record(0x17, g.random(nil, k))...)
		n -= k
	}
	return out
}

// tlsSession is the messages of a TLS 1.3 connection to sni: the hello
// flights, then request and response of the given sizes.
func (g *gen) tlsSession(sni string, cert, req, resp int) []msg {
	return []msg{
		{true, g.clientHello(sni)},
		{false, g.serverFlight(cert)},
		{true, append(record(0x14, []byte{1}), g.appData(req)...)},
		{false, g.appData(resp)},
	}
}

// httpSession is the messages of an HTTP/1.1 GET of path on host and a
// 200 response with a body of n bytes.
func (g *gen) httpSession(host, path, agent string, n int) []msg {
	req := fmt.Sprintf("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nAccept: */*\r\nConnection: close\r\n\r\n", path, host, agent)
	head := fmt.Sprintf("HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", n)
	return []msg{{true, []byte(req)}, {false, g.random([]byte(head), n)}}
}

// dnsQuery is a recursive query for name of type qtype.
func dnsQuery(id uint16, name string, qtype uint16) []byte {
	b := u16(nil, id)
	b = append(b, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0)
	return question(b, name, qtype)
}

func question(b []byte, name string, qtype uint16) []byte {
	for _, l := range strings.Split(name, ".") {
		b = append(append(b, byte(len(l))), l...)
	}
	return u16(u16(append(b, 0), qtype), 1)
}

// dnsAnswer is the answer to dnsQuery(id, name, qtype) with one record
// of rdata, TTL ttl.
func dnsAnswer(id uint16, name string, qtype uint16, ttl uint32, rdata []byte) []byte {
	b := u16(nil, id)
	b = append(b, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0)
	b = question(b, name, qtype)
	b = append(b, 0xc0, 12) // the question's name
	b = u16(u16(b, qtype), 1)
	b = binary.BigEndian.AppendUint32(b, ttl)
	return append(u16(b, uint16(len(rdata))), rdata...)
}
