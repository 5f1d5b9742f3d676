package tls

import (
	"github.com/pcap2table/pcap2table/flows"
	"golang.org/x/crypto/cryptobyte"
)

// DTLS (RFC 6347, RFC 9147): TLS over UDP. Records carry an epoch and a
// sequence number (a 13-byte header), and handshake messages a message
// sequence and fragment offset and length (a 12-byte header) so that a
// message may come in fragments, out of order or again. The hellos are
// TLS's but the ClientHello's cookie after its session id.

const (
	dtlsRecordLen    = 13
	dtlsHandshakeLen = 12
)

// dtlsState is one direction's handshake reassembly: the message being
// rebuilt from its fragments (fragments that continue it in order; a
// message is rarely fragmented), and the next message sequence expected.
type dtlsState struct {
	typ     uint8
	length  int
	msg     []byte
	nextSeq uint16
	started bool // msg holds a message's first fragment
}

// dtlsVersion says whether v is a DTLS record version (1.0, 1.2, or
// 1.3's 1.2 in records).
func dtlsVersion(v uint16) bool { return v == 0xfeff || v == 0xfefd || v == 0xfefc }

// looksLikeDTLSHello says whether a datagram begins with a DTLS
// handshake record of epoch 0 holding a ClientHello.
func looksLikeDTLSHello(b []byte) bool {
	return len(b) >= dtlsRecordLen+dtlsHandshakeLen && b[0] == 22 && dtlsVersion(uint16(b[1])<<8|uint16(b[2])) &&
		b[3] == 0 && b[4] == 0 && b[dtlsRecordLen] == 1
}

// dtlsDatagram reads the DTLS records of one datagram sent in direction
// dir at ts.
func (p *Plugin) dtlsDatagram(c *flows.Conn, st *conn, dir flows.Dir, ts int64, b []byte) {
	d := &st.dir[dir]
	s := cryptobyte.String(b)
	for !s.Empty() && !st.done {
		var typ uint8
		var version, epoch uint16
		var body cryptobyte.String
		if !s.ReadUint8(&typ) || !s.ReadUint16(&version) || !s.ReadUint16(&epoch) || !s.Skip(6) ||
			!s.ReadUint16LengthPrefixed(&body) || !dtlsVersion(version) {
			return // not a record: the rest of the datagram is not read
		}
		switch typ {
		case 20:
			if st.hasSH {
				d.ccs = true
			}
			if dir != st.clientDir && !st.serverCert && st.hasSH {
				st.resumed = true
			}
		case 23:
			if st.hasSH {
				d.app = true
			}
		case 22:
			if epoch == 0 {
				p.dtlsHandshake(c, st, dir, ts, body)
			}
		}
	}
}

// dtlsHandshake reads the handshake fragments of a record body.
func (p *Plugin) dtlsHandshake(c *flows.Conn, st *conn, dir flows.Dir, ts int64, s cryptobyte.String) {
	h := &st.dtls[dir]
	for !s.Empty() && !st.done {
		var typ uint8
		var length, off, n uint32
		var seq uint16
		var frag []byte
		if !s.ReadUint8(&typ) || !s.ReadUint24(&length) || !s.ReadUint16(&seq) || !s.ReadUint24(&off) ||
			!s.ReadUint24(&n) || !s.ReadBytes(&frag, int(n)) {
			st.addErr("malformed DTLS handshake fragment")
			return
		}
		switch {
		case length > maxMessage:
			st.addErr("handshake message too long")
			return
		case seq < h.nextSeq:
			continue // a retransmission of a message already read
		case off == 0:
			h.typ, h.length, h.msg, h.started = typ, int(length), append(h.msg[:0], frag...), true
		case h.started && int(off) == len(h.msg) && typ == h.typ:
			h.msg = append(h.msg, frag...)
		default:
			continue // out of order: a retransmission may bring it again
		}
		if len(h.msg) < h.length {
			continue
		}
		h.started, h.nextSeq = false, seq+1
		body := h.msg[:h.length]
		if typ == 1 {
			body = withoutCookie(body)
		}
		p.message(c, st, dir, ts, typ, body)
	}
}

// withoutCookie returns a DTLS ClientHello's body in TLS's layout: the
// cookie after the session id left out.
func withoutCookie(b []byte) []byte {
	const fixed = 2 + 32 // version, random
	if len(b) < fixed+1 {
		return b
	}
	sid := fixed + 1 + int(b[fixed])
	if len(b) < sid+1 || len(b) < sid+1+int(b[sid]) {
		return b
	}
	out := make([]byte, 0, len(b))
	out = append(out, b[:sid]...)
	return append(out, b[sid+1+int(b[sid]):]...)
}
