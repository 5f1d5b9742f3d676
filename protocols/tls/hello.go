package tls

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strconv"
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

func (h *Hello) reset() {
	*h = Hello{Ciphers: h.Ciphers[:0], Extensions: h.Extensions[:0], Groups: h.Groups[:0], Points: h.Points[:0],
		SigAlgs: h.SigAlgs[:0], Versions: h.Versions[:0], ALPN: h.ALPN[:0]}
}

var errShort = errors.New("tls: hello truncated")

// reader reads big-endian fields; a read past the end sets err.
type reader struct {
	b   []byte
	err error
}

func (r *reader) u8() uint8 {
	if len(r.b) < 1 {
		r.err, r.b = errShort, nil
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *reader) u16() uint16 {
	if len(r.b) < 2 {
		r.err, r.b = errShort, nil
		return 0
	}
	v := uint16(r.b[0])<<8 | uint16(r.b[1])
	r.b = r.b[2:]
	return v
}

func (r *reader) bytes(n int) []byte {
	if len(r.b) < n {
		r.err, r.b = errShort, nil
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

// ParseClientHello decodes a ClientHello's body (after the 4-byte
// handshake header) into h.
func ParseClientHello(b []byte, h *Hello) error {
	h.reset()
	r := reader{b: b}
	h.Version = r.u16()
	h.Random = r.bytes(32)
	h.SessionID = r.bytes(int(r.u8()))
	cs := reader{b: r.bytes(int(r.u16()))}
	for len(cs.b) >= 2 {
		h.Ciphers = append(h.Ciphers, cs.u16())
	}
	r.bytes(int(r.u8())) // compression methods
	if r.err != nil {
		return r.err
	}
	if len(r.b) == 0 {
		return nil // no extensions (SSL 3.0, TLS 1.0)
	}
	return h.extensions(&r, true)
}

// ParseServerHello decodes a ServerHello's body into h.
func ParseServerHello(b []byte, h *Hello) error {
	h.reset()
	r := reader{b: b}
	h.Version = r.u16()
	h.Random = r.bytes(32)
	h.SessionID = r.bytes(int(r.u8()))
	h.Ciphers = append(h.Ciphers, r.u16())
	r.u8() // compression method
	if r.err != nil {
		return r.err
	}
	if len(r.b) == 0 {
		return nil
	}
	return h.extensions(&r, false)
}

func (h *Hello) extensions(r *reader, client bool) error {
	ext := reader{b: r.bytes(int(r.u16()))}
	if r.err != nil {
		return r.err
	}
	for len(ext.b) >= 4 {
		typ := ext.u16()
		body := reader{b: ext.bytes(int(ext.u16()))}
		if ext.err != nil {
			return ext.err
		}
		h.Extensions = append(h.Extensions, typ)
		switch typ {
		case 0:
			if !client {
				break
			}
			h.HasSNI = true
			list := reader{b: body.bytes(int(body.u16()))}
			for len(list.b) >= 3 && h.SNI == nil {
				kind := list.u8()
				name := list.bytes(int(list.u16()))
				if kind == 0 {
					h.SNI = name
				}
			}
		case 10:
			list := reader{b: body.bytes(int(body.u16()))}
			for len(list.b) >= 2 {
				h.Groups = append(h.Groups, list.u16())
			}
		case 11:
			h.Points = append(h.Points, body.bytes(int(body.u8()))...)
		case 13:
			list := reader{b: body.bytes(int(body.u16()))}
			for len(list.b) >= 2 {
				h.SigAlgs = append(h.SigAlgs, list.u16())
			}
		case 16:
			list := reader{b: body.bytes(int(body.u16()))}
			for len(list.b) >= 1 {
				p := list.bytes(int(list.u8()))
				if list.err == nil {
					h.ALPN = append(h.ALPN, p)
				}
			}
		case 41:
			h.PSK = true
		case 43:
			if client {
				list := reader{b: body.bytes(int(body.u8()))}
				for len(list.b) >= 2 {
					h.Versions = append(h.Versions, list.u16())
				}
			} else {
				h.Versions = append(h.Versions, body.u16())
			}
		}
	}
	return nil
}

// ParseSSLv2ClientHello decodes an SSL 2.0-format ClientHello's body
// (after the 2-byte record header and the message type).
func ParseSSLv2ClientHello(b []byte, h *Hello) error {
	h.reset()
	h.SSLv2 = true
	r := reader{b: b}
	h.Version = r.u16()
	nc, ns, nch := int(r.u16()), int(r.u16()), int(r.u16())
	cs := reader{b: r.bytes(nc)}
	for len(cs.b) >= 3 {
		// 3-byte SSL 2.0 cipher kinds; TLS suites are 0x00XXYY
		k := cs.bytes(3)
		if k[0] == 0 {
			h.Ciphers = append(h.Ciphers, uint16(k[1])<<8|uint16(k[2]))
		}
	}
	h.SessionID = r.bytes(ns)
	h.Random = r.bytes(nch)
	return r.err
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
	if v>>8 == 0x7f { // TLS 1.3 drafts
		return "TLSv13-draft" + strconv.Itoa(int(v&0xff))
	}
	return "0x" + strconv.FormatUint(uint64(v)|0x10000, 16)[1:]
}
