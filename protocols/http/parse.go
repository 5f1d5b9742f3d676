package http

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/pcap2table/pcap2table/flows"
)

// The message head: the request or status line that starts a message
// (and decides the flow's roles), the header lines the table keeps, and
// the end of the header section, which decides how the body is framed.

// looksLikeStart says whether b may begin a request or status line: a
// method (methodChar, up to 16) and white space, or "HTTP/".
func looksLikeStart(b []byte) bool {
	for i, x := range b {
		switch {
		case methodChar(x):
			if i >= 16 {
				return false
			}
		case x == ' ' || x == '\t':
			return i > 0
		case x == '/':
			return i == 4 && string(b[:4]) == "HTTP"
		default:
			return false
		}
	}
	return true // too short to tell yet
}

// startLine parses a request or status line; false if it is neither.
func (p *Plugin) startLine(c *flows.Conn, st *conn, dir flows.Dir, line []byte) bool {
	if bytes.HasPrefix(line, []byte("HTTP/")) {
		return p.statusLine(c, st, dir, line)
	}
	return p.requestLine(c, st, dir, line)
}

// statusLine starts a response: false if line is not a status line, or
// dir is the client's.
func (p *Plugin) statusLine(c *flows.Conn, st *conn, dir flows.Dir, line []byte) bool {
	d := &st.dir[dir]
	ver, code, msg, ok := parseStatus(line)
	if !ok || (st.roles && st.clientDir == dir) {
		return false
	}
	p.Responses++
	if !st.roles {
		st.roles, st.clientDir = true, 1-dir
	}
	c.SetService("http")
	d.resp = true
	t := p.responseTxn(c, st, d.start)
	t.hasResp, t.respTS, t.status = true, d.start, code
	t.set(&t.respVersion, ver)
	t.set(&t.statusMsg, msg)
	d.begin(t)
	return true
}

// requestLine starts a request, in a new transaction: false if line is
// not a request line, or dir is the server's.
func (p *Plugin) requestLine(c *flows.Conn, st *conn, dir flows.Dir, line []byte) bool {
	d := &st.dir[dir]
	method, uri, ver, ok := parseRequest(line)
	if !ok || (st.roles && st.clientDir != dir) {
		return false
	}
	p.Requests++
	if !st.roles {
		st.roles, st.clientDir = true, dir
	}
	c.SetService("http")
	d.resp = false
	t := p.enqueue(c, st)
	t.hasReq, t.ts = true, d.start
	t.set(&t.method, method)
	t.set(&t.uri, uri)
	t.set(&t.version, ver)
	t.headMth = string(method) == "HEAD"
	d.begin(t) // an HTTP/0.9 request may have headers too (libhtp reads them)
	return true
}

// begin starts reading the headers of t's message.
func (d *parser) begin(t *txn) {
	d.cur, d.state, d.headers = t, stHeaders, 0
	d.chunked, d.length = false, -1
	d.coding, d.codedOver = codingNone, false
}

// methodChar reports whether x may be in a method: upper-case letters,
// '-' and '_' (CCM_POST, VERSION-CONTROL).
func methodChar(x byte) bool { return x >= 'A' && x <= 'Z' || x == '-' || x == '_' }

// parseRequest splits a request line as Zeek's HTTP analyzer reads one
// (RequestLine, ParseRequest): a method (methodChar, up to 16), white
// space, the target (the run of URI characters, or none when the rest
// starts with "HTTP/": "OPTIONS HTTP/1.1"), then, after white space, the
// first "HTTP/" and its version. Without one the request is HTTP/0.9
// (ver "0.9", the target up to where the search ended: "GET /HTTP/1.1"
// is 0.9 for "/HTTP/1.1"); with one cut short ("HTTP/1.") ver is nil.
func parseRequest(line []byte) (method, uri, ver []byte, ok bool) {
	sp := 0
	for sp < len(line) && methodChar(line[sp]) {
		sp++
	}
	if sp == 0 || sp > 16 || sp == len(line) || line[sp] != ' ' && line[sp] != '\t' {
		return
	}
	rest := trimSpace(line[sp:])
	n := 0
	for n < len(rest) && uriChar(rest[n]) {
		n++
	}
	if n == len(rest) && bytes.HasPrefix(rest, []byte("HTTP/")) {
		n = 0
	}
	end := n
	for i := n; i < len(rest); i++ {
		end = i
		j := i + len(rest[i:]) - len(trimSpace(rest[i:]))
		if v := rest[j:]; bytes.HasPrefix(v, []byte("HTTP/")) {
			if len(v) >= 8 && isDigit(v[5]) && v[6] == '.' && isDigit(v[7]) {
				ver = v[5:8]
			}
			return line[:sp], rest[:end], ver, true
		}
		i = j
	}
	return line[:sp], rest[:end], []byte("0.9"), true
}

// uriChar reports whether x may be in a request target (RFC 3986's
// reserved and unreserved characters, and '%').
func uriChar(x byte) bool {
	return x >= 'a' && x <= 'z' || x >= 'A' && x <= 'Z' || isDigit(x) || strings.IndexByte("-._~:/?#[]@!$&'()*+,;=%", x) >= 0
}

func isDigit(x byte) bool { return x >= '0' && x <= '9' }

// trimSpace drops the spaces and tabs at the start of b.
func trimSpace(b []byte) []byte { return bytes.TrimLeft(b, " \t") }

// parseStatus splits "HTTP/x.y SP code [SP reason]".
func parseStatus(line []byte) (ver []byte, code uint16, msg []byte, ok bool) {
	if len(line) < 12 || line[5] < '0' || line[5] > '9' || line[6] != '.' || line[7] < '0' || line[7] > '9' || line[8] != ' ' {
		return
	}
	for _, x := range line[9:12] {
		if x < '0' || x > '9' {
			return
		}
		code = code*10 + uint16(x-'0')
	}
	if len(line) > 12 && line[12] != ' ' {
		return
	}
	if len(line) > 13 {
		msg = line[13:]
	}
	return line[5:8], code, msg, true
}

// headerLine handles a line of a header section: a header field, or the
// empty line that ends the section.
func (p *Plugin) headerLine(c *flows.Conn, st *conn, dir flows.Dir, line []byte, long bool) {
	d := &st.dir[dir]
	if long {
		d.cur.addErr("header line too long")
		d.headers++
		return
	}
	if len(line) == 0 {
		p.headersDone(c, st, dir)
		return
	}
	d.headers++
	if d.headers > maxHeaders {
		d.cur.addErr("too many header lines")
		p.lost(c, st, dir, "")
		return
	}
	p.header(d, line)
}

// header records the header fields the table keeps.
func (p *Plugin) header(d *parser, line []byte) {
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 {
		if line[0] != ' ' && line[0] != '\t' { // obs-fold continues a field
			d.cur.addErr("malformed header line")
		}
		return
	}
	name, val := line[:colon], bytes.TrimSpace(line[colon+1:])
	t := d.cur
	switch len(name) {
	case 4:
		if !d.resp && bytes.EqualFold(name, []byte("host")) && t.host == (span{}) {
			t.set(&t.host, val)
		}
	case 7:
		if !d.resp && bytes.EqualFold(name, []byte("referer")) {
			t.set(&t.ref, val)
		}
	case 10:
		if !d.resp && bytes.EqualFold(name, []byte("user-agent")) {
			t.set(&t.ua, val)
		}
	case 12:
		if bytes.EqualFold(name, []byte("content-type")) {
			if d.resp {
				t.set(&t.respCT, val)
			} else {
				t.set(&t.reqCT, val)
			}
		}
	case 14:
		if bytes.EqualFold(name, []byte("content-length")) {
			n, err := strconv.ParseUint(string(val), 10, 63)
			if err != nil {
				t.addErr("malformed Content-Length")
				return
			}
			d.length = int64(n)
		}
	case 16:
		if bytes.EqualFold(name, []byte("content-encoding")) {
			d.coding = contentCoding(val)
		}
	case 17:
		if bytes.EqualFold(name, []byte("transfer-encoding")) {
			// chunked is the last coding when present (RFC 9112 6.1)
			d.chunked = len(val) >= 7 && bytes.EqualFold(val[len(val)-7:], []byte("chunked"))
		}
	}
}

// headersDone ends a header section: the body's framing follows.
func (p *Plugin) headersDone(c *flows.Conn, st *conn, dir flows.Dir) {
	d := &st.dir[dir]
	t := d.cur
	if !d.resp && t.host != (span{}) && !c.Named() {
		c.SetName(hostName(t.get(t.host)), "http")
	}
	if d.resp {
		switch {
		case t.status >= 100 && t.status < 200 && t.status != 101:
			// interim: the final response follows for the same request
			t.hasResp = false
			d.cur, d.state = nil, stLine
			return
		case t.status == 101 || (t.status >= 200 && t.status < 300 && string(t.get(t.method)) == "CONNECT"):
			// the connection leaves HTTP
			p.done(c, st, dir)
			st.tunnel = true
			return
		case t.headMth || t.status == 204 || t.status == 304:
			p.done(c, st, dir)
			return
		}
	}
	switch {
	case d.chunked:
		d.state = stChunkSize
	case d.length > 0:
		d.state, d.remain = stBody, uint64(d.length)
	case d.length == 0 || !d.resp:
		p.done(c, st, dir)
	default:
		d.state = stUntilEnd
	}
}

// hostName is a Host header's name: without its port, lower case.
func hostName(h []byte) string {
	if i := bytes.LastIndexByte(h, ':'); i >= 0 && bytes.IndexByte(h[i:], ']') < 0 {
		h = h[:i]
	}
	return strings.ToLower(string(bytes.Trim(h, "[]")))
}
