package tls

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"slices"
	"strconv"

	"golang.org/x/crypto/cryptobyte"
)

// Hello is a decoded ClientHello or ServerHello: what the table and the
// fingerprints need. Slices alias the message's bytes unless said so.
type Hello struct {
	Version   uint16   // legacy_version
	SessionID []byte   // legacy_session_id
	Ciphers   []uint16 // the client's list, or the server's one choice
	// Extensions lists the extension types in the order sent.
	Extensions []uint16
	Groups     []uint16 // supported_groups (10)
	Points     []uint8  // ec_point_formats (11)
	SigAlgs    []uint16 // signature_algorithms (13)
	Versions   []uint16 // supported_versions (43): the client's list, the server's choice
	ALPN       [][]byte // application_layer_protocol_negotiation (16)
	SNI        []byte   // server_name (0): the first host_name
	HasSNI     bool
	PSK        bool // pre_shared_key (41) present
	Random     []byte
	// SSLv2 says the ClientHello came in SSL 2.0's record format.
	SSLv2 bool
}

// reset empties h, keeping the memory of its lists. It sets each field:
// assigning a struct literal to *h took a third of the time of parsing a
// ServerHello.
func (h *Hello) reset() {
	h.Version, h.SessionID, h.Random, h.SNI = 0, nil, nil, nil
	h.HasSNI, h.PSK, h.SSLv2 = false, false, false
	h.Ciphers, h.Extensions, h.Groups, h.Points = h.Ciphers[:0], h.Extensions[:0], h.Groups[:0], h.Points[:0]
	h.SigAlgs, h.Versions, h.ALPN = h.SigAlgs[:0], h.Versions[:0], h.ALPN[:0]
}

var errShort = errors.New("tls: hello truncated")

// vec returns the bytes of a vector read from a message, their capacity
// cut at their length: an append to a field of Hello never writes over
// the message.
func vec(v []byte) []byte { return v[:len(v):len(v)] }

// The hellos are read with cryptobyte. Their vectors (a length, then that
// many bytes) are read as their two parts, the length with ReadUint8 or
// ReadUint16 (the type and length of an extension with ReadUint32) and
// the bytes with ReadBytes, rather than with ReadUint8LengthPrefixed or
// ReadUint16LengthPrefixed: the same reads with the same results, but
// the compiler inlines these and not those, whose call and loop for every
// vector made BenchmarkParseClientHello and BenchmarkParseServerHello 40
// to 60 % slower.

// ParseClientHello decodes a ClientHello's body (after the 4-byte
// handshake header) into h. On an error, h keeps the fields read before
// the one cut short.
func ParseClientHello(b []byte, h *Hello) error { return h.parse(b, true) }

// ParseServerHello decodes a ServerHello's body into h, as
// ParseClientHello. Ciphers holds the server's one choice, 0 if the
// message ends before it.
func ParseServerHello(b []byte, h *Hello) error { return h.parse(b, false) }

// draftServerHello decodes the rest of a ServerHello of a TLS 1.3 draft
// before 22 (its version 0x7fNN, or 0x0304 itself before draft 16; the
// final one says 0x0303), which has neither legacy_session_id nor
// compression: its cipher_suite, then extensions.
func (h *Hello) draftServerHello(s cryptobyte.String) error {
	var cipher, n uint16
	var v []byte
	if !s.ReadUint16(&cipher) {
		return errShort
	}
	h.Ciphers = append(h.Ciphers, cipher)
	if s.Empty() {
		return nil
	}
	if !s.ReadUint16(&n) || !s.ReadBytes(&v, int(n)) {
		return errShort
	}
	return h.extensions(v, false)
}

// parse decodes a ClientHello (client) or a ServerHello: they differ in
// their cipher suites and compression methods.
func (h *Hello) parse(b []byte, client bool) error {
	h.reset()
	s := cryptobyte.String(b)
	// legacy_version, random, legacy_session_id<0..32>
	var v []byte
	var n8 uint8
	ok := s.ReadUint16(&h.Version) && s.ReadBytes(&v, 32)
	if ok {
		h.Random = vec(v)
		if !client && (h.Version == 0x0304 || h.Version>>8 == 0x7f && h.Version&0xff < 22) {
			return h.draftServerHello(s)
		}
		ok = s.ReadUint8(&n8) && s.ReadBytes(&v, int(n8))
	}
	if ok {
		h.SessionID = vec(v)
	}
	var n uint16
	if client {
		// cipher_suites<2..2^16-2>, legacy_compression_methods<1..2^8-1>
		if !ok || !s.ReadUint16(&n) || !s.ReadBytes(&v, int(n)) {
			return errShort
		}
		h.Ciphers = appendUint16s(h.Ciphers, v)
		if !s.ReadUint8(&n8) || !s.Skip(int(n8)) {
			return errShort
		}
	} else {
		// cipher_suite, legacy_compression_method
		var cipher uint16
		ok = ok && s.ReadUint16(&cipher) && s.Skip(1)
		h.Ciphers = append(h.Ciphers, cipher)
		if !ok {
			return errShort
		}
	}
	if s.Empty() {
		return nil // no extensions (SSL 3.0, TLS 1.0)
	}
	// extensions<8..2^16-1>
	if !s.ReadUint16(&n) || !s.ReadBytes(&v, int(n)) {
		return errShort
	}
	return h.extensions(v, client)
}

// extensions reads the extensions of a hello (the block, without its
// length). Fewer bytes than an extension header at the end are ignored;
// an extension whose body is cut short ends it with an error. An
// extension's body that does not parse leaves its field empty.
func (h *Hello) extensions(block []byte, client bool) error {
	exts := cryptobyte.String(block)
	var b, list []byte
	var n uint16
	var n8 uint8
	// each extension: its type, the length of its body, its body
	for hdr := uint32(0); exts.ReadUint32(&hdr); {
		if !exts.ReadBytes(&b, int(hdr&0xffff)) {
			return errShort
		}
		typ := uint16(hdr >> 16)
		h.Extensions = append(h.Extensions, typ)
		// a vector cut short in the body leaves its field empty
		body := cryptobyte.String(b)
		switch typ {
		case 0: // server_name: a list of (name_type, host_name)
			if client {
				h.HasSNI = true
				if h.SNI == nil && body.ReadUint16(&n) && body.ReadBytes(&list, int(n)) { // the first host_name wins, even over a later server_name
					h.SNI = hostName(list)
				}
			}
		case 10: // supported_groups
			if body.ReadUint16(&n) && body.ReadBytes(&list, int(n)) {
				h.Groups = appendUint16s(h.Groups, list)
			}
		case 11: // ec_point_formats
			if body.ReadUint8(&n8) && body.ReadBytes(&list, int(n8)) {
				h.Points = append(h.Points, list...)
			}
		case 13: // signature_algorithms
			if body.ReadUint16(&n) && body.ReadBytes(&list, int(n)) {
				h.SigAlgs = appendUint16s(h.SigAlgs, list)
			}
		case 16: // application_layer_protocol_negotiation
			if body.ReadUint16(&n) && body.ReadBytes(&list, int(n)) {
				protocols := cryptobyte.String(list)
				for protocols.ReadUint8(&n8) && protocols.ReadBytes(&list, int(n8)) {
					h.ALPN = append(h.ALPN, vec(list))
				}
			}
		case 41: // pre_shared_key
			h.PSK = true
		case 43: // supported_versions
			if !client {
				var v uint16 // the server's choice, 0 if cut short
				body.ReadUint16(&v)
				h.Versions = append(h.Versions, v)
			} else if body.ReadUint8(&n8) && body.ReadBytes(&list, int(n8)) {
				h.Versions = appendUint16s(h.Versions, list)
			}
		}
	}
	return nil
}

// hostName returns the first host_name of a server_name list, nil
// without one.
func hostName(list []byte) []byte {
	names := cryptobyte.String(list)
	for len(names) >= 3 {
		var kind uint8
		var n uint16
		var name []byte
		if !names.ReadUint8(&kind) || !names.ReadUint16(&n) || !names.ReadBytes(&name, int(n)) {
			return nil
		}
		if kind == 0 {
			return vec(name)
		}
	}
	return nil
}

// appendUint16s appends the 16-bit values of list to l (an odd last byte
// is ignored). It indexes the list: a loop of cryptobyte's ReadUint16,
// which keeps the list and the value in memory, took three times as long.
func appendUint16s(l []uint16, list []byte) []uint16 {
	n := len(list) / 2
	l = slices.Grow(l, n)
	vs := l[len(l) : len(l)+n]
	for i := range vs {
		vs[i] = binary.BigEndian.Uint16(list[2*i:])
	}
	return l[:len(l)+n]
}

// ParseSSLv2ClientHello decodes an SSL 2.0-format ClientHello's body
// (after the 2-byte record header and the message type).
func ParseSSLv2ClientHello(b []byte, h *Hello) error {
	h.reset()
	h.SSLv2 = true
	s := cryptobyte.String(b)
	var nc, ns, nch uint16
	var ciphers, v []byte
	if !s.ReadUint16(&h.Version) || !s.ReadUint16(&nc) || !s.ReadUint16(&ns) || !s.ReadUint16(&nch) || !s.ReadBytes(&ciphers, int(nc)) {
		return errShort
	}
	// 3-byte SSL 2.0 cipher kinds; TLS suites are 0x00XXYY
	kinds := cryptobyte.String(ciphers)
	for k := uint32(0); kinds.ReadUint24(&k); {
		if k>>16 == 0 {
			h.Ciphers = append(h.Ciphers, uint16(k))
		}
	}
	if !s.ReadBytes(&v, int(ns)) {
		return errShort
	}
	h.SessionID = vec(v)
	if !s.ReadBytes(&v, int(nch)) {
		return errShort
	}
	h.Random = vec(v)
	return nil
}

// Grease says whether v is a GREASE value (RFC 8701): 0x?a?a with both
// bytes equal.
func Grease(v uint16) bool { return v&0x0f0f == 0x0a0a && v>>8 == v&0xff }

// maxVersion is the highest version the hello offers: the highest of
// supported_versions (GREASE ignored) if present, else legacy_version.
func (h *Hello) maxVersion() uint16 {
	v := uint16(0)
	found := false
	for _, x := range h.Versions {
		if !Grease(x) {
			found = true
			v = max(v, x)
		}
	}
	if !found {
		return h.Version
	}
	return v
}

// JA3 appends the JA3 string of a ClientHello (GREASE values left out)
// to b: version,ciphers,extensions,groups,point formats.
func (h *Hello) JA3(b []byte) []byte {
	b = strconv.AppendUint(b, uint64(h.Version), 10)
	b = append(b, ',')
	b = appendList(b, h.Ciphers)
	b = append(b, ',')
	b = appendList(b, h.Extensions)
	b = append(b, ',')
	b = appendList(b, h.Groups)
	b = append(b, ',')
	for i, p := range h.Points {
		if i > 0 {
			b = append(b, '-')
		}
		b = strconv.AppendUint(b, uint64(p), 10)
	}
	return b
}

// JA3S appends the JA3S string of a ServerHello to b: version, cipher,
// extensions.
func (h *Hello) JA3S(b []byte) []byte {
	b = strconv.AppendUint(b, uint64(h.Version), 10)
	b = append(b, ',')
	b = appendList(b, h.Ciphers)
	b = append(b, ',')
	return appendList(b, h.Extensions)
}

func appendList(b []byte, l []uint16) []byte {
	n := 0
	for _, v := range l {
		if Grease(v) {
			continue
		}
		if n > 0 {
			b = append(b, '-')
		}
		n++
		b = strconv.AppendUint(b, uint64(v), 10)
	}
	return b
}

// MD5Hex appends the hex MD5 of s to b (JA3 and JA3S hash their strings).
func MD5Hex(b, s []byte) []byte {
	sum := md5.Sum(s)
	return hex.AppendEncode(b, sum[:])
}

// JA4 appends the JA4 fingerprint of a ClientHello sent over TCP to b,
// as FoxIO specifies it: t, version, d/i (SNI), cipher and extension
// counts, ALPN's first and last characters, then the truncated SHA-256
// of the sorted ciphers and of the sorted extensions (without SNI and
// ALPN) with the signature algorithms in their order. GREASE values are
// ignored everywhere. scratch is reused between calls.
func (h *Hello) JA4(b []byte, scratch *[]uint16) []byte {
	b = append(b, 't')
	b = append(b, versionCode(h.maxVersion())...)
	if h.HasSNI {
		b = append(b, 'd')
	} else {
		b = append(b, 'i')
	}
	s := (*scratch)[:0]
	for _, c := range h.Ciphers {
		if !Grease(c) {
			s = append(s, c)
		}
	}
	nCiphers := len(s)
	b = appendCount(b, nCiphers)
	nExt := 0
	for _, e := range h.Extensions {
		if !Grease(e) {
			nExt++
		}
	}
	b = appendCount(b, nExt)
	b = appendALPN(b, h.ALPN)
	b = append(b, '_')
	// b: the sorted ciphers
	slices.Sort(s)
	b = appendHash12(b, s, nil)
	b = append(b, '_')
	// c: the sorted extensions, then the signature algorithms
	s = s[:0]
	for _, e := range h.Extensions {
		if !Grease(e) && e != 0 && e != 16 {
			s = append(s, e)
		}
	}
	slices.Sort(s)
	var sig []uint16
	for _, a := range h.SigAlgs {
		if !Grease(a) {
			sig = append(sig, a)
		}
	}
	if len(s) == 0 && nExt == 0 {
		b = append(b, "000000000000"...)
	} else {
		b = appendHash12(b, s, sig)
	}
	*scratch = s
	return b
}

func versionCode(v uint16) string {
	switch v {
	case 0x0304:
		return "13"
	case 0x0303:
		return "12"
	case 0x0302:
		return "11"
	case 0x0301:
		return "10"
	case 0x0300:
		return "s3"
	case 0x0200, 0x0002:
		return "s2"
	case 0x0100:
		return "s1"
	case 0xfeff:
		return "d1"
	case 0xfefd:
		return "d2"
	case 0xfefc:
		return "d3"
	}
	return "00"
}

func appendCount(b []byte, n int) []byte {
	n = min(n, 99)
	return append(b, byte('0'+n/10), byte('0'+n%10))
}

func alnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}

// appendALPN appends the first and last characters of the first ALPN
// value, "00" without one; if either is not alphanumeric, the first and
// last characters of the value's hex form.
func appendALPN(b []byte, alpn [][]byte) []byte {
	if len(alpn) == 0 || len(alpn[0]) == 0 {
		return append(b, "00"...)
	}
	p := alpn[0]
	first, last := p[0], p[len(p)-1]
	if alnum(first) && alnum(last) {
		return append(b, first, last)
	}
	const digits = "0123456789abcdef"
	return append(b, digits[first>>4], digits[last&0xf])
}

// appendHash12 appends the first 12 hex digits of the SHA-256 of the
// list as 4-digit lower-case hex joined by commas, then (if sig is not
// empty) "_" and sig the same way.
func appendHash12(b []byte, list, sig []uint16) []byte {
	if len(list) == 0 && len(sig) == 0 {
		return append(b, "000000000000"...)
	}
	var buf [1024]byte
	s := buf[:0]
	s = appendHexList(s, list)
	if len(sig) > 0 {
		s = append(s, '_')
		s = appendHexList(s, sig)
	}
	sum := sha256.Sum256(s)
	return hex.AppendEncode(b, sum[:6])
}

func appendHexList(b []byte, l []uint16) []byte {
	const digits = "0123456789abcdef"
	for i, v := range l {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, digits[v>>12], digits[v>>8&0xf], digits[v>>4&0xf], digits[v&0xf])
	}
	return b
}

// versionPreDraft16 stands for a TLS 1.3 draft before 16, whose
// ServerHello says 0x0304 in its own version field; no draft is 0x7f00.
const versionPreDraft16 = 0x7f00

// VersionName names a protocol version as Zeek does: TLSv10 ... TLSv13,
// SSLv3, SSLv2, DTLSv10, DTLSv12, DTLSv13, else the number in hex.
func VersionName(v uint16) string {
	switch v {
	case 0x0304:
		return "TLSv13"
	case 0x0303:
		return "TLSv12"
	case 0x0302:
		return "TLSv11"
	case 0x0301:
		return "TLSv10"
	case 0x0300:
		return "SSLv3"
	case 0x0002, 0x0200:
		return "SSLv2"
	case 0xfeff:
		return "DTLSv10"
	case 0xfefd:
		return "DTLSv12"
	case 0xfefc:
		return "DTLSv13"
	}
	if v == versionPreDraft16 {
		return "TLSv13-draft<16"
	}
	if v>>8 == 0x7f { // TLS 1.3 drafts
		return "TLSv13-draft" + strconv.Itoa(int(v&0xff))
	}
	return "0x" + strconv.FormatUint(uint64(v)|0x10000, 16)[1:]
}
