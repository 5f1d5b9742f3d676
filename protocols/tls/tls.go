package tls

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/table"
	"golang.org/x/crypto/cryptobyte"
)

// Column indexes of the tls table, in schema order.
// (The first seven are flows.ConnColumns.)
const (
	ColTransport = flows.NumConnColumns + iota
	ColVersion
	ColClientVersion
	ColCipher
	ColCipherName
	ColServerName
	ColClientALPN
	ColALPN
	ColResumed
	ColEstablished
	ColJA3
	ColJA3S
	ColJA4
	ColCertSubject
	ColCertIssuer
	ColCertNotBefore
	ColCertNotAfter
	ColCertSHA256
	ColError
	numCols
)

// Schema is the tls table: one row per handshake.
var Schema = &table.Schema{
	Name:    "tls",
	Version: 3,
	Doc: "One row per TLS (or SSL 3.0) handshake (Zeek's ssl.log), from the reassembled TCP streams: hellos and certificates " +
		"are reassembled across records and segments. TLS is recognized by content on any port: a stream that begins with a " +
		"ClientHello (or, without one, a ServerHello), or TLS a clear-text protocol upgraded to in the stream (STARTTLS of SMTP, IMAP, POP3, FTP, XMPP, " +
		"IRC, LDAP; RDP; PostgreSQL and MySQL SSL requests; HTTP CONNECT): such a flow's first 24 segments (32 KiB) are watched for a segment that " +
		"begins with a ClientHello. QUIC connections (UDP flows that begin with a client's Initial packet) give a row too, " +
		"read from their Initial packets. A row is written once the handshake is established or failed, or when the flow ends. " +
		"The fingerprints follow their definitions: `ja3`/`ja3s` as Salesforce's JA3 (GREASE values left out; tshark's `tls.handshake.ja3`/`ja3s`), " +
		"`ja4` as FoxIO's JA4 (`t` over TCP, `q` over QUIC, `d` over DTLS).",
	Columns: append(flows.ConnColumns("Timestamp of the ClientHello (of the ServerHello without one).", "The client: sender of the ClientHello."), []table.Column{
		{Name: "transport", Type: table.String, Hint: table.Dict, Doc: "`tcp` (TLS records), `dtls` (DTLS records over UDP: versions 1.0, 1.2 and 1.3), or `quic`: the hellos came in the CRYPTO frames of QUIC Initial packets (versions 1 and 2, and drafts 23 to 34), decrypted with the keys every observer can derive from the client's connection id."},
		{Name: "version", Type: table.String, Nullable: true, Hint: table.Dict, Doc: "Negotiated version (`TLSv12`, `TLSv13`, `SSLv3`, ...): the ServerHello's supported_versions if present, else its version; TLS 1.3 drafts are `TLSv13-draftNN`, and `TLSv13-draft<16` when the ServerHello says 0x0304 in its own version field (only drafts before 16 did); null without a ServerHello."},
		{Name: "client_version", Type: table.String, Nullable: true, Hint: table.Dict, Doc: "Highest version the client offered: the top of its supported_versions (GREASE ignored) if present, else the ClientHello's version; null without a ClientHello."},
		{Name: "cipher", Type: table.Uint16, Nullable: true, Doc: "The cipher suite the server chose."},
		{Name: "cipher_name", Type: table.String, Nullable: true, Hint: table.Dict, Doc: "Its IANA name (`TLS_AES_128_GCM_SHA256`, ...; unknown suites as `0xXXXX`)."},
		{Name: "server_name", Type: table.String, Nullable: true, Hint: table.Dict, Doc: "The SNI host name the client sent (`tls.handshake.extensions_server_name`)."},
		{Name: "client_alpn", Type: table.String, Nullable: true, List: true, Doc: "The ALPN protocols the client offered, in order; null without the extension."},
		{Name: "alpn", Type: table.String, Nullable: true, Hint: table.Dict, Doc: "The ALPN protocol the server selected (Zeek's next_protocol)."},
		{Name: "resumed", Type: table.Bool, Nullable: true, Doc: "The session was resumed: TLS 1.3 with a pre_shared_key in the ServerHello; before, the server echoed the client's session id or went to ChangeCipherSpec without a Certificate. Null without a ServerHello."},
		{Name: "established", Type: table.Bool, Doc: "The handshake completed: both sides went encrypted (ChangeCipherSpec each, or in TLS 1.3 an encrypted record each after the ServerHello; over QUIC a 1-RTT packet each) with no fatal alert."},
		{Name: "ja3", Type: table.String, Nullable: true, Doc: "JA3 of the ClientHello: MD5 of version,ciphers,extensions,groups,point formats (GREASE left out); null for an SSL 2.0-format hello."},
		{Name: "ja3s", Type: table.String, Nullable: true, Doc: "JA3S of the ServerHello: MD5 of version,cipher,extensions."},
		{Name: "ja4", Type: table.String, Nullable: true, Doc: "JA4 of the ClientHello (for example `t13d1516h2_8daaf6152771_e5627efa2ab1`; `q...` over QUIC, `d...` over DTLS)."},
		{Name: "cert_subject", Type: table.String, Nullable: true, Doc: "Subject of the server's certificate (the first of its chain), RFC 2253 style; TLS ≤ 1.2 only (TLS 1.3 encrypts it)."},
		{Name: "cert_issuer", Type: table.String, Nullable: true, Doc: "Issuer of that certificate."},
		{Name: "cert_not_before", Type: table.Timestamp, Nullable: true, Doc: "Start of that certificate's validity."},
		{Name: "cert_not_after", Type: table.Timestamp, Nullable: true, Doc: "End of that certificate's validity."},
		{Name: "cert_sha256", Type: table.String, Nullable: true, Doc: "SHA-256 of that certificate's DER bytes, lower-case hex (set even when the certificate does not parse)."},
		{Name: "error", Type: table.String, Nullable: true, Doc: "What went wrong: a fatal alert (`alert 40`), a gap in the handshake, a malformed hello or certificate. Null otherwise."},
	}...),
}

// Limits: a handshake message longer than maxMessage (a certificate
// chain, usually) is not kept.
const maxMessage = 256 << 10

// Plugin is the tls table's plugin.
type Plugin struct {
	out     *flows.Output
	flows   map[uint64]*conn
	hello   Hello
	text    []byte
	scratch []uint16
	qbuf    []byte // a decrypted QUIC packet
	// Handshakes counts the rows; Errors those with an error.
	Handshakes, Errors uint64
}

// New returns the plugin writing to out.
func New(out *flows.Output) *Plugin {
	return &Plugin{out: out, flows: map[uint64]*conn{}}
}

// Schema implements flows.Plugin.
func (p *Plugin) Schema() *table.Schema { return Schema }

// conn is one flow's handshake.
type conn struct {
	dir        [2]direction
	clientDir  flows.Dir
	roles      bool
	done       bool // the row is written
	ts         int64
	hasCH      bool
	hasSH      bool
	clientVer  uint16
	sni        []byte
	hasSNI     bool
	clientALPN [][]byte
	hasALPN    bool
	ja3, ja4   []byte // text, not yet hashed for ja3
	sslv2      bool
	csid       []byte
	version    uint16
	cipher     uint16
	alpn       []byte
	resumed    bool
	ja3s       []byte
	tls13      bool
	serverCert bool // a Certificate or key exchange came before the server's CCS
	cert       []byte
	certErr    string
	err        string
	quic       *quicConn     // a QUIC connection: the hellos come from its Initial packets
	dtls       *[2]dtlsState // DTLS: each direction's handshake fragments
	// watch: the flow began in the clear, in a protocol that may upgrade
	// to TLS (STARTTLS, RDP, ...): its segments are watched for a
	// ClientHello, up to upgradeBudget bytes and upgradeSegs segments
	watch        bool
	watchedBytes int
	watchedSegs  int
	// upgraded: the TLS began in the stream, not at its start
	upgraded bool
}

// upgradeBudget is how far a flow that began in the clear is watched for
// a ClientHello, both directions together: bytes, and segments (STARTTLS
// comes after a few exchanges: SMTP's greeting, EHLO and STARTTLS,
// XMPP's stream and features).
const (
	upgradeBudget = 32 << 10
	upgradeSegs   = 24
)

// mayUpgrade says whether a stream that begins with b (not a hello) may
// be a protocol that upgrades to TLS in the stream: a text protocol
// (STARTTLS of SMTP, IMAP, POP3, FTP, XMPP, IRC, NNTP; HTTP CONNECT), RDP
// (a TPKT header), PostgreSQL's SSLRequest, MySQL's greeting, LDAP (a BER
// sequence: its StartTLS operation), a SOCKS proxy's client (version 5's
// greeting, version 4's CONNECT or BIND request), TLS once the proxy
// connects it.
func mayUpgrade(b []byte) bool {
	switch {
	case len(b) == 0:
		return false
	case text(b[:min(len(b), 64)]):
		return !plainHTTP(b) && !bytes.HasPrefix(b, []byte("SSH-"))
	case len(b) >= 2 && b[0] == 3 && b[1] == 0: // TPKT
		return true
	case len(b) >= 8 && string(b[:8]) == "\x00\x00\x00\x08\x04\xd2\x16\x2f": // SSLRequest
		return true
	case len(b) >= 5 && b[3] == 0 && b[4] == 10: // a MySQL packet 0: protocol 10
		return true
	case b[0] == 0x30: // LDAP
		return true
	case socksGreeting(b):
		return true
	}
	return false
}

// socksGreeting says whether b begins what a SOCKS client sends first:
// version 5, a count of 1 to 16 methods and the methods (RFC 1928), or
// version 4, CONNECT (1) or BIND (2), a port, an address and a user id
// ended by NUL (SOCKS 4 and 4a).
func socksGreeting(b []byte) bool {
	switch {
	case len(b) >= 3 && b[0] == 5 && b[1] >= 1 && b[1] <= 16:
		return len(b) == 2+int(b[1]) // the greeting is its own segment
	case len(b) >= 9 && b[0] == 4 && (b[1] == 1 || b[1] == 2):
		return bytes.IndexByte(b[8:], 0) >= 0
	}
	return false
}

// text says whether b is printable ASCII, tabs and line ends: the start
// of a text protocol.
func text(b []byte) bool {
	for _, x := range b {
		if (x < 0x20 || x >= 0x7f) && x != '\r' && x != '\n' && x != '\t' {
			return false
		}
	}
	return true
}

// plainHTTP says whether b begins an HTTP message that does not tunnel:
// a response, or a request line but CONNECT's (HTTP's own upgrades,
// CONNECT aside, are not to TLS).
func plainHTTP(b []byte) bool {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	if bytes.HasPrefix(line, []byte("HTTP/")) {
		return true
	}
	return bytes.Contains(line, []byte(" HTTP/1.")) && !bytes.HasPrefix(line, []byte("CONNECT "))
}

// watching handles a segment of a flow that began in the clear: the
// first that starts with a ClientHello starts the TLS it upgraded to;
// past the budget of both directions the flow is not TLS. It reports
// whether the segment starts TLS.
func (st *conn) watching(c *flows.Conn, ev *flows.StreamEvent) bool {
	if len(ev.Data) > 0 && looksLikeHello(ev.Data, 1) && ev.Data[0] == 22 {
		*st = conn{clientDir: ev.Dir, roles: true, upgraded: true}
		return true
	}
	st.watchedBytes += len(ev.Data) + int(ev.Gap)
	if len(ev.Data) > 0 {
		st.watchedSegs++
	}
	if st.watchedBytes >= upgradeBudget || st.watchedSegs >= upgradeSegs {
		c.Ignore()
	}
	return false
}

// direction is one side's record stream.
type direction struct {
	dead   bool
	hdr    [5]byte
	nhdr   int
	typ    uint8
	remain int // bytes of the current record's body still to come
	hs     []byte
	hsTS   int64 // when the first byte of hs came
	ccs    bool  // sent ChangeCipherSpec: its handshake is encrypted from here
	app    bool  // sent an encrypted record after the ServerHello
	sawAny bool
}

// looksLikeHello says whether b begins a handshake record holding a
// hello of type typ (1 ClientHello, 2 ServerHello), or (typ 1) an SSL
// 2.0-format ClientHello.
func looksLikeHello(b []byte, typ byte) bool {
	if len(b) >= 6 && b[0] == 22 && b[1] == 3 && b[2] <= 4 && b[5] == typ {
		n := int(b[3])<<8 | int(b[4])
		return n > 0 && n <= 16384+2048
	}
	// SSL 2.0 record: 2-byte length with the top bit set, message type 1
	return typ == 1 && len(b) >= 5 && b[0]&0x80 != 0 && b[2] == 1 && (b[3] == 3 || b[3] == 2 || b[3] == 0) && b[0]&0x7f|b[1] != 0
}

// Stream implements flows.StreamHook.
func (p *Plugin) Stream(c *flows.Conn, ev *flows.StreamEvent) {
	st := p.flows[c.ID]
	if st == nil {
		if ev.Offset != 0 || len(ev.Data) == 0 {
			return
		}
		switch {
		case looksLikeHello(ev.Data, 1):
			st = &conn{clientDir: ev.Dir, roles: true}
		case looksLikeHello(ev.Data, 2):
			st = &conn{clientDir: 1 - ev.Dir, roles: true}
		case mayUpgrade(ev.Data):
			st = &conn{watch: true}
		default:
			c.Ignore() // a stream that does not begin with a hello is not TLS
			return
		}
		p.flows[c.ID] = st
	}
	if st.watch {
		if !st.watching(c, ev) {
			return
		}
		c.SetService("tls")
	}
	if st.done {
		return
	}
	d := &st.dir[ev.Dir]
	switch {
	case d.dead:
	case ev.Gap > 0:
		d.dead = true
		st.addErr("a gap in the handshake")
	case ev.End:
	default:
		if !d.sawAny {
			d.sawAny = true
			ok := looksLikeHello(ev.Data, 1)
			if ev.Dir != st.clientDir {
				// a ServerHello, or an alert refusing the ClientHello
				ok = len(ev.Data) >= 3 && (ev.Data[0] == 22 || ev.Data[0] == 21) && ev.Data[1] == 3
			}
			if ev.Offset != 0 && !st.upgraded || !ok {
				d.dead = true
				return
			}
		}
		p.feed(c, st, ev.Dir, ev.TS, ev.Data)
	}
	if st.established() {
		p.row(c, st)
	}
	if st.done || st.dir[0].dead && st.dir[1].dead {
		c.Ignore() // nothing more to learn: FlowEnd writes or forgets
	}
}

// setService names the flow's service at a hello: tls, but dtls alone
// over DTLS, as Zeek names them.
func (st *conn) setService(c *flows.Conn) {
	if st.dtls == nil {
		c.SetService("tls")
	}
}

func (st *conn) addErr(msg string) {
	if st.err != "" {
		st.err += "; "
	}
	st.err += msg
}

// established says whether both sides went encrypted after the hellos.
func (st *conn) established() bool {
	if !st.hasSH || st.err != "" {
		return false
	}
	c, s := &st.dir[st.clientDir], &st.dir[1-st.clientDir]
	if st.tls13 {
		return c.app && s.app
	}
	return c.ccs && s.ccs
}

// feed parses the records in data sent in direction dir at ts.
func (p *Plugin) feed(c *flows.Conn, st *conn, dir flows.Dir, ts int64, data []byte) {
	d := &st.dir[dir]
	if d.typ == 0 && d.nhdr == 0 && !st.hasCH && dir == st.clientDir && len(data) > 0 && data[0]&0x80 != 0 {
		p.sslv2(c, st, ts, data)
		d.dead = true
		return
	}
	for len(data) > 0 && !d.dead && !st.done {
		if d.remain == 0 {
			// a record header
			n := copy(d.hdr[d.nhdr:], data)
			d.nhdr += n
			data = data[n:]
			if d.nhdr < 5 {
				return
			}
			d.nhdr = 0
			// the record header: content type, version, 16-bit length
			// of the body (read as it comes)
			hdr := cryptobyte.String(d.hdr[:])
			var version, length uint16
			hdr.ReadUint8(&d.typ)
			hdr.ReadUint16(&version)
			hdr.ReadUint16(&length)
			d.remain = int(length)
			if d.typ < 20 || d.typ > 24 || version>>8 != 3 || d.remain > 16384+2048 {
				d.dead = true
				st.addErr("not a TLS record")
				return
			}
			switch d.typ {
			case 20:
				// before the ServerHello, a ChangeCipherSpec is TLS 1.3's
				// middlebox compatibility (after a HelloRetryRequest, or
				// the client's before its second ClientHello): the
				// handshake goes on in the clear
				if st.hasSH {
					d.ccs = true
				}
				if dir != st.clientDir && !st.serverCert && st.hasSH && !st.tls13 {
					st.resumed = true
				}
			case 23:
				if st.hasSH {
					d.app = true
				}
			}
			if d.remain == 0 {
				continue
			}
		}
		n := min(d.remain, len(data))
		body := data[:n]
		data = data[n:]
		d.remain -= n
		switch {
		case d.typ == 22 && !d.ccs && !(st.tls13 && dir != st.clientDir):
			if len(d.hs)+len(body) > maxMessage+4 {
				d.dead = true
				st.addErr("handshake message too long")
				return
			}
			if len(d.hs) == 0 {
				d.hsTS = ts
			}
			d.hs = append(d.hs, body...)
			p.messages(c, st, dir)
		case d.typ == 21 && !d.ccs && len(body) >= 2 && d.remain == 0:
			if body[0] == 2 {
				st.addErr("alert " + strconv.Itoa(int(body[1])))
			}
		}
	}
}

// messages handles the whole handshake messages in direction dir's
// buffer.
func (p *Plugin) messages(c *flows.Conn, st *conn, dir flows.Dir) {
	d := &st.dir[dir]
	ts := d.hsTS
	for {
		// a handshake message: type, then a 24-bit length and the body
		s := cryptobyte.String(d.hs)
		var typ uint8
		var n uint32
		if !s.ReadUint8(&typ) || !s.ReadUint24(&n) {
			return // the header is still to come
		}
		if n > maxMessage {
			d.dead = true
			st.addErr("handshake message too long")
			return
		}
		var body []byte
		if !s.ReadBytes(&body, int(n)) {
			return // the body is still to come
		}
		p.message(c, st, dir, ts, typ, body)
		d.hs = append(d.hs[:0], s...)
		ts = d.hsTS // a later message in the same record
		if d.dead || st.done {
			return
		}
	}
}

// helloRetry is the ServerHello random of a HelloRetryRequest (RFC 8446).
var helloRetry = mustHex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")

// message handles one handshake message of type typ.
func (p *Plugin) message(c *flows.Conn, st *conn, dir flows.Dir, ts int64, typ byte, body []byte) {
	h := &p.hello
	switch {
	case typ == 1 && dir == st.clientDir:
		if st.hasCH {
			return // the second ClientHello after a HelloRetryRequest: the first one is the fingerprint
		}
		st.setService(c)
		st.hasCH, st.ts = true, ts
		if err := ParseClientHello(body, h); err != nil {
			st.addErr("malformed ClientHello")
		}
		st.clientVer = h.maxVersion()
		st.sni, st.hasSNI = append([]byte(nil), h.SNI...), h.HasSNI
		if h.HasSNI {
			c.SetName(strings.ToLower(string(h.SNI)), "tls")
		}
		for _, e := range h.Extensions {
			if e == 16 {
				st.hasALPN = true
			}
		}
		for _, a := range h.ALPN {
			st.clientALPN = append(st.clientALPN, append([]byte(nil), a...))
		}
		st.csid = append([]byte(nil), h.SessionID...)
		p.text = h.JA3(p.text[:0])
		st.ja3 = MD5Hex(nil, p.text)
		st.ja4 = h.JA4(nil, &p.scratch)
		switch {
		case st.quic != nil:
			st.ja4[0] = 'q' // JA4's transport: QUIC
		case st.dtls != nil:
			st.ja4[0] = 'd' // DTLS
		}
	case typ == 2 && dir != st.clientDir:
		if err := ParseServerHello(body, h); err != nil {
			st.addErr("malformed ServerHello")
		}
		if !st.hasCH && !st.hasSH {
			st.ts = ts
		}
		st.setService(c)
		if string(h.Random) == string(helloRetry) {
			return // a HelloRetryRequest: the real ServerHello follows
		}
		st.hasSH = true
		st.version = h.Version
		if len(h.Versions) > 0 {
			st.version = h.Versions[0]
		} else if h.Version == 0x0304 {
			// Only drafts before 16 put 0x0304 in the ServerHello's own
			// version field (later ones say 0x7fNN, the final one 0x0303
			// with supported_versions), as Suricata names it.
			st.version = versionPreDraft16
		}
		st.tls13 = st.version == 0x0304 || st.version>>8 == 0x7f
		if len(h.Ciphers) > 0 {
			st.cipher = h.Ciphers[0]
		}
		st.alpn = nil
		if len(h.ALPN) > 0 {
			st.alpn = append([]byte(nil), h.ALPN[0]...)
		}
		if st.tls13 {
			st.resumed = h.PSK
		} else {
			st.resumed = len(h.SessionID) > 0 && string(h.SessionID) == string(st.csid)
		}
		p.text = h.JA3S(p.text[:0])
		st.ja3s = MD5Hex(st.ja3s[:0], p.text)
	case typ == 11 && dir != st.clientDir:
		st.serverCert = true
		if st.cert == nil {
			p.certificate(st, body)
		}
	case (typ == 12 || typ == 14) && dir != st.clientDir:
		st.serverCert = true
	}
}

// certificate keeps the first certificate of a Certificate message
// (TLS 1.2 and before: a 24-bit length-prefixed list of 24-bit
// length-prefixed certificates). A list cut short is let be; a first
// certificate that is empty or cut short is an error.
func (p *Plugin) certificate(st *conn, body []byte) {
	s := cryptobyte.String(body)
	var list, der cryptobyte.String
	if !s.ReadUint24LengthPrefixed(&list) || len(list) < 3 {
		return
	}
	if !list.ReadUint24LengthPrefixed(&der) || len(der) == 0 {
		st.certErr = "malformed Certificate message"
		return
	}
	st.cert = append([]byte(nil), der...)
}

// sslv2 handles an SSL 2.0-format ClientHello (one record).
func (p *Plugin) sslv2(c *flows.Conn, st *conn, ts int64, data []byte) {
	// the record: a 2-byte header, its top bit set, then the 15-bit
	// length of the body (the message type and the hello)
	s := cryptobyte.String(data)
	var n uint16
	var body []byte
	if !s.ReadUint16(&n) || !s.ReadBytes(&body, int(n&0x7fff)) || len(body) < 1 {
		st.addErr("SSL 2.0 ClientHello cut short")
		return
	}
	c.SetService("tls")
	st.hasCH, st.ts, st.sslv2 = true, ts, true
	if err := ParseSSLv2ClientHello(body[1:], &p.hello); err != nil {
		st.addErr("malformed SSL 2.0 ClientHello")
	}
	st.clientVer = p.hello.Version
	st.csid = append([]byte(nil), p.hello.SessionID...)
}

// FlowEnd implements flows.EndHook.
func (p *Plugin) FlowEnd(c *flows.Conn, _ *flows.Row) {
	st := p.flows[c.ID]
	if st == nil {
		return
	}
	if !st.done && !st.watch {
		p.row(c, st)
	}
	delete(p.flows, c.ID)
}

// row writes the handshake's row.
func (p *Plugin) row(c *flows.Conn, st *conn) {
	st.done = true
	st.dir[0].hs, st.dir[1].hs = nil, nil
	p.Handshakes++
	v := p.out.Batch().Cols
	cip, cpt := c.Side(st.clientDir)
	sip, spt := c.Side(1 - st.clientDir)
	flows.AppendConn(v, st.ts, c, cip, cpt, sip, spt)
	switch {
	case st.quic != nil:
		v[ColTransport].AppendString("quic")
		if !st.hasCH {
			st.addErr("the ClientHello in the QUIC Initial packets is incomplete")
		}
	case st.dtls != nil:
		v[ColTransport].AppendString("dtls")
	default:
		v[ColTransport].AppendString("tcp")
	}
	if st.hasSH {
		v[ColVersion].AppendString(VersionName(st.version))
	} else {
		v[ColVersion].AppendNull()
	}
	if st.hasCH {
		v[ColClientVersion].AppendString(VersionName(st.clientVer))
	} else {
		v[ColClientVersion].AppendNull()
	}
	if st.hasSH {
		v[ColCipher].AppendUint(uint64(st.cipher))
		v[ColCipherName].AppendString(CipherName(st.cipher))
	} else {
		v[ColCipher].AppendNull()
		v[ColCipherName].AppendNull()
	}
	if st.hasSNI {
		v[ColServerName].AppendBytes(st.sni)
	} else {
		v[ColServerName].AppendNull()
	}
	if st.hasALPN {
		for _, a := range st.clientALPN {
			v[ColClientALPN].ElemBytes(a)
		}
		v[ColClientALPN].EndList()
	} else {
		v[ColClientALPN].AppendNull()
	}
	if st.alpn != nil {
		v[ColALPN].AppendBytes(st.alpn)
	} else {
		v[ColALPN].AppendNull()
	}
	if st.hasSH {
		v[ColResumed].AppendBool(st.resumed)
	} else {
		v[ColResumed].AppendNull()
	}
	v[ColEstablished].AppendBool(st.established())
	bytesOrNull := func(col int, b []byte) {
		if b != nil {
			v[col].AppendBytes(b)
		} else {
			v[col].AppendNull()
		}
	}
	bytesOrNull(ColJA3, st.ja3)
	if st.hasSH {
		bytesOrNull(ColJA3S, st.ja3s)
	} else {
		v[ColJA3S].AppendNull()
	}
	bytesOrNull(ColJA4, st.ja4)
	cert := p.certColumns(v, st)
	if c.Notes() {
		noteFacts(c, st, cert)
	}
	if st.certErr != "" {
		st.addErr(st.certErr)
	}
	if st.err != "" {
		p.Errors++
		v[ColError].AppendString(st.err)
		c.Weird(st.ts, st.err, "", cip, cpt, sip, spt)
	} else {
		v[ColError].AppendNull()
	}
	p.out.EndRow()
}

// noteFacts notes the client's fingerprint and what the certificate
// says of the server for the flows' subscribers (beacons): JA4, JA3, a
// self-signed certificate and its days of validity.
func noteFacts(c *flows.Conn, st *conn, cert *x509.Certificate) {
	if st.ja4 != nil {
		c.Fact("tls-ja4", string(st.ja4))
	}
	if st.ja3 != nil {
		c.Fact("tls-ja3", string(st.ja3))
	}
	if cert == nil {
		return
	}
	if bytes.Equal(cert.RawIssuer, cert.RawSubject) {
		c.Fact("tls-self-signed", "")
	}
	days := cert.NotAfter.Sub(cert.NotBefore).Hours() / 24
	c.Fact("tls-cert-days", strconv.FormatFloat(days, 'f', 1, 64))
}

// certColumns writes the certificate's columns; it returns the
// certificate (nil when there is none or it does not parse).
func (p *Plugin) certColumns(v []table.Vector, st *conn) *x509.Certificate {
	if st.cert == nil {
		for _, col := range []int{ColCertSubject, ColCertIssuer, ColCertNotBefore, ColCertNotAfter, ColCertSHA256} {
			v[col].AppendNull()
		}
		return nil
	}
	cert, err := x509.ParseCertificate(st.cert)
	if err != nil {
		st.certErr = "certificate: " + err.Error()
		for _, col := range []int{ColCertSubject, ColCertIssuer, ColCertNotBefore, ColCertNotAfter} {
			v[col].AppendNull()
		}
	} else {
		v[ColCertSubject].AppendString(cert.Subject.String())
		v[ColCertIssuer].AppendString(cert.Issuer.String())
		v[ColCertNotBefore].AppendInt(cert.NotBefore.UnixNano())
		v[ColCertNotAfter].AppendInt(cert.NotAfter.UnixNano())
	}
	sum := sha256.Sum256(st.cert)
	p.text = hex.AppendEncode(p.text[:0], sum[:])
	v[ColCertSHA256].AppendBytes(p.text)
	if err != nil {
		return nil
	}
	return cert
}

// String describes the plugin's counters.
func (p *Plugin) String() string {
	return "tls: " + strconv.FormatUint(p.Handshakes, 10) + " handshakes, " + strconv.FormatUint(p.Errors, 10) + " with errors"
}
