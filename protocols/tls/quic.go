package tls

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"slices"

	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/parsers"
	"golang.org/x/crypto/cryptobyte"
)

// QUIC (RFC 9000, 9001, 9369) carries TLS 1.3 handshake messages in
// CRYPTO frames of Initial packets, which are encrypted with keys that
// anyone can derive from the Destination Connection ID of the client's
// first Initial packet. The tls table decrypts them to read the
// ClientHello and ServerHello, as tshark does; the rest of the handshake
// travels in Handshake packets whose keys only the endpoints have.

// quicVersion describes one QUIC version's Initial packet protection.
type quicVersion struct {
	salt    []byte
	prefix  string // of the key, iv and hp labels: "quic " or "quicv2 "
	initial byte   // the long packet type of Initial packets
	retry   byte   // and of Retry packets
}

var (
	quicV1 = &quicVersion{salt: mustHex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a"), prefix: "quic ", initial: 0, retry: 3}
	quicV2 = &quicVersion{salt: mustHex("0dede3def700a6db819381be6e269dcbf9bd2ed9"), prefix: "quicv2 ", initial: 1, retry: 0}
	// drafts 29 to 34 (and 23 to 28, with their own salt) as deployed
	// before RFC 9000
	quicDraft29 = &quicVersion{salt: mustHex("afbfec289993d24c9e9786f19c6111e04390a899"), prefix: "quic ", initial: 0, retry: 3}
	quicDraft23 = &quicVersion{salt: mustHex("c3eef712c72ebb5a11a7d2432bb46365bef9f502"), prefix: "quic ", initial: 0, retry: 3}
)

// mustHex decodes a constant.
func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// lookupQUIC returns the Initial protection of a QUIC version, or nil
// for versions whose Initial packets it cannot read.
func lookupQUIC(v uint32) *quicVersion {
	switch {
	case v == 1:
		return quicV1
	case v == 0x6b3343cf:
		return quicV2
	case v >= 0xff00001d && v <= 0xff000022:
		return quicDraft29
	case v >= 0xff000017 && v <= 0xff00001c:
		return quicDraft23
	}
	return nil
}

// quicKeys protect one direction's Initial packets.
type quicKeys struct {
	aead cipher.AEAD
	hp   cipher.Block
	iv   [12]byte
	hdr  []byte // the unprotected header of the last packet opened (reused)
}

// QUICInitialKeys derives the Initial packet protection keys of a QUIC
// connection (RFC 9001 section 5.2; RFC 9369 section 3.3.1 for version 2)
// from the Destination Connection ID of the client's first Initial
// packet: the AEAD key, IV and header protection key of the client
// (server false) or of the server. It fails for a version whose Initial
// packets it cannot read.
func QUICInitialKeys(version uint32, dcid []byte, server bool) (key, iv, hp []byte, err error) {
	v := lookupQUIC(version)
	if v == nil {
		return nil, nil, nil, errors.New("tls: unknown quic version")
	}
	initial, err := hkdf.Extract(sha256.New, dcid, v.salt)
	if err != nil {
		return nil, nil, nil, err
	}
	label := "client in"
	if server {
		label = "server in"
	}
	secret := expandLabel(initial, label, 32)
	return expandLabel(secret, v.prefix+"key", 16), expandLabel(secret, v.prefix+"iv", 12), expandLabel(secret, v.prefix+"hp", 16), nil
}

// expandLabel is TLS 1.3's HKDF-Expand-Label with an empty context.
func expandLabel(secret []byte, label string, n int) []byte {
	info := make([]byte, 0, 4+6+len(label))
	info = binary.BigEndian.AppendUint16(info, uint16(n))
	info = append(info, byte(6+len(label)))
	info = append(info, "tls13 "...)
	info = append(info, label...)
	info = append(info, 0)
	out, err := hkdf.Expand(sha256.New, secret, string(info), n)
	if err != nil {
		panic(err) // n is at most 32: hkdf cannot fail
	}
	return out
}

func newQUICKeys(version uint32, dcid []byte, server bool) *quicKeys {
	key, iv, hp, err := QUICInitialKeys(version, dcid, server)
	if err != nil {
		return nil
	}
	k := &quicKeys{}
	block, _ := aes.NewCipher(key) // 16 bytes: cannot fail
	k.aead, _ = cipher.NewGCM(block)
	k.hp, _ = aes.NewCipher(hp)
	copy(k.iv[:], iv)
	return k
}

// quicConn is the QUIC side of a handshake: the Initial keys and the
// CRYPTO stream of each direction.
type quicConn struct {
	version uint32
	v       *quicVersion
	keys    [2]*quicKeys
	retried bool // the server sent a Retry: the next client Initial chooses new keys
	crypto  [2]cryptoStream
}

// cryptoStream reassembles the CRYPTO frames of one direction's Initial
// packets, which may come out of order, repeated, or split across
// packets (Chrome shuffles them on purpose).
type cryptoStream struct {
	next    uint64 // bytes delivered
	pending []cryptoFrame
	held    int // bytes in pending
}

type cryptoFrame struct {
	off  uint64
	data []byte
}

var errNotInitial = errors.New("not a quic initial packet")

// varint reads a QUIC variable-length integer.
func varint(b []byte) (v uint64, n int, ok bool) {
	if len(b) == 0 {
		return 0, 0, false
	}
	n = 1 << (b[0] >> 6)
	if len(b) < n {
		return 0, 0, false
	}
	v = uint64(b[0] & 0x3f)
	for _, c := range b[1:n] {
		v = v<<8 | uint64(c)
	}
	return v, n, true
}

// readVarint reads a QUIC variable-length integer from s into out and
// advances over it, as cryptobyte's readers do.
func readVarint(s *cryptobyte.String, out *uint64) bool {
	v, n, ok := varint(*s)
	if !ok {
		return false
	}
	*out = v
	return s.Skip(n)
}

// longHeader is a parsed QUIC long header packet.
type longHeader struct {
	typ        byte
	version    uint32
	dcid, scid []byte
	pnOff      int // offset of the packet number in the packet
	end        int // the packet's length in the datagram
}

// parseLong parses the long header packet at the start of b (a
// datagram may hold several, coalesced).
func parseLong(b []byte) (h longHeader, ok bool) {
	if len(b) < 7 || b[0]&0xc0 != 0xc0 {
		return h, false
	}
	h.typ = b[0] >> 4 & 3
	s := cryptobyte.String(b[1:])
	s.ReadUint32(&h.version)
	v := lookupQUIC(h.version)
	if v == nil {
		return h, false
	}
	// the connection ids: 8-bit length-prefixed, 20 bytes at most
	var dcid, scid cryptobyte.String
	if !s.ReadUint8LengthPrefixed(&dcid) || len(dcid) > 20 || !s.ReadUint8LengthPrefixed(&scid) || len(scid) > 20 {
		return h, false
	}
	h.dcid, h.scid = dcid, scid
	if h.typ == v.retry {
		h.end = len(b)
		return h, true
	}
	if h.typ == v.initial {
		// the token: a varint length-prefixed vector
		var n uint64
		if !readVarint(&s, &n) || uint64(len(s)) < n || !s.Skip(int(n)) {
			return h, false
		}
	}
	var length uint64
	if !readVarint(&s, &length) || uint64(len(s)) < length || length < 20 {
		return h, false
	}
	h.pnOff = len(b) - len(s)
	h.end = h.pnOff + int(length)
	return h, true
}

// open removes the header protection and decrypts the Initial packet
// pkt[:h.end] (left as it is) into dst, returning the frames.
func (k *quicKeys) open(dst, pkt []byte, h *longHeader) ([]byte, error) {
	pkt = pkt[:h.end]
	if h.end < h.pnOff+4+16 {
		return nil, errNotInitial
	}
	var mask [16]byte
	k.hp.Encrypt(mask[:], pkt[h.pnOff+4:h.pnOff+20])
	first := pkt[0] ^ mask[0]&0x0f
	pnLen := int(first&3) + 1
	if h.end-h.pnOff-pnLen < 16 {
		return nil, errNotInitial
	}
	// the header is as long as the token makes it (a server's address
	// validation token can be hundreds of bytes)
	k.hdr = append(k.hdr[:0], pkt[:h.pnOff+pnLen]...)
	hdr := k.hdr
	hdr[0] = first
	nonce := k.iv
	for i := range pnLen {
		hdr[h.pnOff+i] ^= mask[1+i]
		nonce[12-pnLen+i] ^= hdr[h.pnOff+i]
	}
	return k.aead.Open(dst, nonce[:], pkt[h.pnOff+pnLen:], hdr[:h.pnOff+pnLen])
}

// frames reads the CRYPTO frames of a decrypted Initial payload into
// the direction's stream. It stops at the first frame that Initial
// packets may not carry.
func (s *cryptoStream) frames(b []byte) error {
	p := cryptobyte.String(b)
	for typ := uint8(0); p.ReadUint8(&typ); {
		switch typ {
		case 0x00, 0x01: // PADDING, PING
		case 0x02, 0x03: // ACK
			// the largest acknowledged, the delay, the count of ranges,
			// the first range, then the ranges (a gap and a length
			// each) and, in 0x03, the three ECN counts
			var largest, delay, count, first, v uint64
			if !readVarint(&p, &largest) || !readVarint(&p, &delay) || !readVarint(&p, &count) || count > uint64(len(p)) || !readVarint(&p, &first) {
				return errNotInitial
			}
			n := 2 * count
			if typ == 0x03 {
				n += 3
			}
			for range n {
				if !readVarint(&p, &v) {
					return errNotInitial
				}
			}
		case 0x06: // CRYPTO: the offset, then the data, varint length-prefixed
			var off, n uint64
			var data []byte
			if !readVarint(&p, &off) || !readVarint(&p, &n) || uint64(len(p)) < n || !p.ReadBytes(&data, int(n)) {
				return errNotInitial
			}
			s.add(off, data)
		case 0x1c: // CONNECTION_CLOSE
			return nil
		default:
			return errNotInitial
		}
	}
	return nil
}

// add keeps a CRYPTO frame's data for delivery in order.
func (s *cryptoStream) add(off uint64, data []byte) {
	end := off + uint64(len(data))
	if end <= s.next || s.held+len(data) > maxMessage {
		return // already delivered, or too much held (counted as an error at the end: the hello never completes)
	}
	s.pending = append(s.pending, cryptoFrame{off, append([]byte(nil), data...)})
	s.held += len(data)
}

// deliver appends the bytes now in order to out and forgets them.
func (s *cryptoStream) deliver(out []byte) []byte {
	for progress := true; progress; {
		progress = false
		for i := 0; i < len(s.pending); i++ {
			f := s.pending[i]
			end := f.off + uint64(len(f.data))
			if f.off > s.next {
				continue
			}
			if end > s.next {
				out = append(out, f.data[s.next-f.off:]...)
				s.next = end
				progress = true
			}
			s.held -= len(f.data)
			s.pending = slices.Delete(s.pending, i, i+1)
			i--
		}
	}
	return out
}

// Packet implements flows.PacketHook: it reads the QUIC Initial packets
// and the DTLS records of UDP flows (TCP flows are read from their
// streams).
func (p *Plugin) Packet(c *flows.Conn, dir flows.Dir, r *parsers.PacketRow) {
	if c.IPProto != 17 {
		return
	}
	st := p.flows[c.ID]
	if st == nil {
		switch {
		case looksLikeDTLSHello(r.Payload):
			st = &conn{clientDir: dir, roles: true, dtls: new([2]dtlsState), ts: r.TS}
			c.SetService("dtls")
		default:
			st = p.quicStart(dir, r.TS, r.Payload)
			if st == nil {
				c.Ignore() // a UDP flow that does not begin with a client's QUIC Initial packet or DTLS ClientHello
				return
			}
			c.SetService("quic")
		}
		p.flows[c.ID] = st
	}
	if st.done {
		return
	}
	if st.dtls != nil {
		p.dtlsDatagram(c, st, dir, r.TS, r.Payload)
	} else {
		p.quicDatagram(c, st, dir, r.TS, r.Payload)
	}
	if st.established() {
		p.row(c, st)
	}
	if st.done {
		c.Ignore()
	}
}

// quicStart returns the state of a QUIC connection whose first datagram
// (sent in direction dir at ts) is b, or nil if b is not a client's Initial
// packet that its keys decrypt.
func (p *Plugin) quicStart(dir flows.Dir, ts int64, b []byte) *conn {
	h, ok := parseLong(b)
	if !ok || len(h.dcid) < 8 {
		return nil // a client's first Initial packet has a DCID of 8 bytes or more
	}
	v := lookupQUIC(h.version)
	if h.typ != v.initial {
		return nil
	}
	q := &quicConn{version: h.version, v: v}
	q.rekey(h.dcid)
	out, err := q.keys[0].open(p.qbuf[:0], b, &h)
	if err != nil {
		return nil
	}
	p.qbuf = out
	return &conn{clientDir: dir, roles: true, quic: q, ts: ts}
}

// rekey derives both directions' Initial keys from the client's DCID.
func (q *quicConn) rekey(dcid []byte) {
	q.keys[0] = newQUICKeys(q.version, dcid, false)
	q.keys[1] = newQUICKeys(q.version, dcid, true)
}

// quicDatagram reads the QUIC packets of one UDP datagram sent in
// direction dir at ts.
func (p *Plugin) quicDatagram(c *flows.Conn, st *conn, dir flows.Dir, ts int64, b []byte) {
	q := st.quic
	side := 0 // index of q.keys and q.crypto: 0 the client, 1 the server
	if dir != st.clientDir {
		side = 1
	}
	for len(b) > 0 {
		if b[0]&0x80 == 0 {
			// a 1-RTT packet: the handshake is done on this side (or, at
			// the server, under way)
			if b[0]&0x40 != 0 && st.hasSH {
				st.dir[dir].app = true
			}
			break
		}
		h, ok := parseLong(b)
		if !ok || h.version != q.version {
			break
		}
		switch {
		case h.typ == q.v.retry && side == 1:
			q.retried = true
		case h.typ == q.v.initial:
			if side == 0 && q.retried {
				q.retried = false
				q.rekey(h.dcid)
			}
			out, err := q.keys[side].open(p.qbuf[:0], b, &h)
			if err != nil {
				break // not ours (another connection on the same ports), or damaged
			}
			p.qbuf = out
			if q.crypto[side].frames(out) != nil {
				st.addErr("malformed QUIC Initial packet")
			}
		}
		b = b[h.end:]
	}
	d := &st.dir[dir]
	had := len(d.hs)
	d.hs = q.crypto[side].deliver(d.hs)
	if len(d.hs) > had {
		if had == 0 {
			d.hsTS = ts
		}
		p.messages(c, st, dir)
	}
}
