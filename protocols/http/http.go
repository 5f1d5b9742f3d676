package http

import (
	"bytes"
	"strconv"

	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/table"
)

// Column indexes of the http table, in schema order.
// (The first seven are flows.ConnColumns.)
const (
	ColTransDepth = flows.NumConnColumns + iota
	ColMethod
	ColHost
	ColURI
	ColVersion
	ColUserAgent
	ColReferrer
	ColRequestBodyLen
	ColRequestContentType
	ColStatusCode
	ColStatusMsg
	ColResponseBodyLen
	ColResponseContentType
	ColRTT
	ColError
	numCols
)

// Schema is the http table: one row per request/response pair.
var Schema = &table.Schema{
	Name:    "http",
	Version: 1,
	Doc: "One row per HTTP/1.x request and its response (Zeek's http.log), parsed from the reassembled TCP streams: keep-alive and pipelined " +
		"requests each get a row, paired with the responses in order. A request without a response (when the flow ends) and a response " +
		"without a request are rows too, with the other side's columns null. HTTP is recognized by content on any port: a direction is " +
		"HTTP when its first bytes are a request line (`GET /x HTTP/1.1`) or a status line (`HTTP/1.1 200 OK`); on ports 80, 8000, 8008, " +
		"8080, 8888 and 3128 a flow joined mid-stream is searched for its next message start too (in its first 64 KiB). After a gap in a body of known length " +
		"the body goes on; after any other gap the parser resynchronizes on the next request or status line (`error` says so). " +
		"Rows are written when the response ends (or the flow does), so they are ordered by that, not by `ts`.",
	Columns: append(flows.ConnColumns("Timestamp of the request (of the response when there is no request).", "The client: sender of the requests."), []table.Column{
		{Name: "trans_depth", Type: table.Uint32, Doc: "1-based position of the transaction in its flow (keep-alive, pipelining)."},
		{Name: "method", Type: table.String, Nullable: true, Hint: table.Dict, Doc: "Request method (`http.request.method`); null without a request."},
		{Name: "host", Type: table.String, Nullable: true, Hint: table.Dict, Doc: "The Host header (`http.host`); null without one."},
		{Name: "uri", Type: table.String, Nullable: true, Doc: "The request target as sent (`http.request.uri`)."},
		{Name: "version", Type: table.String, Nullable: true, Hint: table.Dict, Doc: "HTTP version of the request (`1.1`, `1.0`), of the response when there is no request."},
		{Name: "user_agent", Type: table.String, Nullable: true, Hint: table.Dict, Doc: "The User-Agent header (`http.user_agent`)."},
		{Name: "referrer", Type: table.String, Nullable: true, Doc: "The Referer header."},
		{Name: "request_body_len", Type: table.Uint64, Nullable: true, Doc: "Bytes of the request body (chunked: the chunks' data, without the framing); null without a request."},
		{Name: "request_content_type", Type: table.String, Nullable: true, Hint: table.Dict, Doc: "The request's Content-Type header."},
		{Name: "status_code", Type: table.Uint16, Nullable: true, Doc: "Status code of the final response (`http.response.code`; 1xx interim responses are skipped); null without a response."},
		{Name: "status_msg", Type: table.String, Nullable: true, Hint: table.Dict, Doc: "Reason phrase of that response."},
		{Name: "response_body_len", Type: table.Uint64, Nullable: true, Doc: "Bytes of the response body (chunked: the chunks' data; without a length: up to the end of the flow); null without a response."},
		{Name: "response_content_type", Type: table.String, Nullable: true, Hint: table.Dict, Doc: "The response's Content-Type header."},
		{Name: "rtt", Type: table.Float64, Nullable: true, Doc: "Seconds from the request's first byte to the response's status line; null without both."},
		{Name: "error", Type: table.String, Nullable: true, Doc: "What went wrong with the transaction: a gap in a body (`gap of N bytes in the response body`: the length counts the lost bytes), a message cut by a gap or by the flow's end, a malformed header. Null when both messages were whole."},
	}...),
}

// Limits: a line longer than maxLine, or more than maxHeaders header
// lines, is malformed (the direction resynchronizes); at most maxPending
// requests wait for responses in one flow (the oldest is written
// unanswered to make room).
const (
	maxLine    = 16 << 10
	maxHeaders = 256
	maxPending = 64
	// maxJoinScan is how far a flow joined mid-stream is searched for its
	// first start line.
	maxJoinScan = 64 << 10
)

// Plugin is the http table's plugin.
type Plugin struct {
	out   *flows.Output
	flows map[uint64]*conn
	free  []*txn
	// spare are ended flows' states kept for new flows: their line
	// buffers grew for each flow from nothing, a tenth of the plugin's time
	spare []*conn
	// Requests and Responses count the messages parsed; Resyncs the times
	// a direction lost its framing and searched for the next message.
	Requests, Responses, Resyncs uint64
}

// New returns the plugin writing to out.
func New(out *flows.Output) *Plugin {
	return &Plugin{out: out, flows: map[uint64]*conn{}}
}

// Schema implements flows.Plugin.
func (p *Plugin) Schema() *table.Schema { return Schema }

// conn is one flow's HTTP state.
type conn struct {
	dir       [2]parser
	pending   []*txn // requests in order; the first waits for the next response
	depth     uint32
	clientDir flows.Dir
	roles     bool // clientDir is known
	tunnel    bool // CONNECT or Upgrade: the rest is not HTTP
}

// parser states.
const (
	stFirst     = iota // nothing seen: the first bytes decide
	stLine             // expecting a start line
	stHeaders          // reading header lines
	stBody             // remain bytes of body
	stChunkSize        // a chunk-size line
	stChunkData        // remain bytes of chunk data
	stChunkEnd         // the CRLF after chunk data
	stTrailers         // trailer lines up to the empty one
	stUntilEnd         // a response body delimited by the end of the flow
	stResync           // skip lines up to the next start line
	stDead             // not HTTP (or a tunnel): ignore the rest
)

// parser is one direction of a flow.
type parser struct {
	state   uint8
	resp    bool   // a response direction (decided by the first line)
	line    []byte // the incomplete line
	long    bool   // the line passed maxLine: skip to its end
	headers int
	remain  uint64
	cur     *txn // the message being read
	chunked bool
	length  int64 // Content-Length, -1 if none
	start   int64 // ts of the message's first byte
	// budget is what a direction never recognized as HTTP may still scan
	// for a start line (a flow joined mid-stream on a well-known port)
	budget int
}

// txn is a transaction: a request and its response. Text fields are
// spans of b, so a reused txn allocates nothing.
type txn struct {
	b                                           []byte
	method, host, uri, version, ua, ref, reqCT  span
	statusMsg, respCT, respVersion              span
	ts, respTS                                  int64
	depth                                       uint32
	reqBody, respBody                           uint64
	status                                      uint16
	hasReq, hasResp, reqDone, respDone, headMth bool
	err                                         []byte
}

type span struct{ lo, hi int32 }

func (t *txn) set(s *span, v []byte) {
	s.lo = int32(len(t.b))
	t.b = append(t.b, v...)
	s.hi = int32(len(t.b))
}

func (t *txn) get(s span) []byte { return t.b[s.lo:s.hi] }

func (t *txn) addErr(msg string) {
	if len(t.err) > 0 {
		t.err = append(t.err, "; "...)
	}
	t.err = append(t.err, msg...)
}

func (p *Plugin) newTxn() *txn {
	if n := len(p.free); n > 0 {
		t := p.free[n-1]
		p.free = p.free[:n-1]
		return t
	}
	return &txn{}
}

func (p *Plugin) release(t *txn) {
	b, e := t.b[:0], t.err[:0]
	*t = txn{b: b, err: e}
	if len(p.free) < 1024 {
		p.free = append(p.free, t)
	}
}

// joinable says whether the flow is on a well-known HTTP port, where it
// may be joined mid-stream (searched for its next start line).
func joinable(c *flows.Conn) bool {
	known := func(port uint16) bool {
		switch port {
		case 80, 8000, 8008, 8080, 8888, 3128:
			return true
		}
		return false
	}
	return c.HasPorts && (known(c.OrigPort) || known(c.RespPort))
}

// Stream implements flows.StreamHook.
func (p *Plugin) Stream(c *flows.Conn, ev *flows.StreamEvent) {
	st := p.flows[c.ID]
	if st == nil {
		// a flow is HTTP from its first byte, or joined mid-stream on a
		// well-known port
		if !joinable(c) && (ev.Offset != 0 || len(ev.Data) == 0 || !looksLikeStart(ev.Data)) {
			if len(ev.Data) > 0 {
				c.Ignore() // not HTTP from its first byte
			}
			return
		}
		if n := len(p.spare); n > 0 {
			st = p.spare[n-1]
			p.spare = p.spare[:n-1]
		} else {
			st = &conn{}
		}
		p.flows[c.ID] = st
	}
	if st.tunnel {
		return
	}
	d := &st.dir[ev.Dir]
	switch {
	case d.state == stDead:
	case ev.Gap > 0:
		p.gap(c, st, ev.Dir, ev.Gap)
	case ev.End:
		p.end(c, st, ev.Dir)
	default:
		p.feed(c, st, ev.Dir, ev.TS, ev.Data)
	}
	if st.tunnel || st.dir[0].state == stDead && st.dir[1].state == stDead {
		c.Ignore()
	}
}

// looksLikeStart says whether b may begin a request or status line: an
// upper-case token of up to 16 letters and a space, or "HTTP/".
func looksLikeStart(b []byte) bool {
	for i, x := range b {
		switch {
		case x >= 'A' && x <= 'Z':
			if i >= 16 {
				return false
			}
		case x == ' ':
			return i > 0
		case x == '/':
			return i == 4 && string(b[:4]) == "HTTP"
		default:
			return false
		}
	}
	return true // too short to tell yet
}

// feed parses data sent in direction dir at ts.
func (p *Plugin) feed(c *flows.Conn, st *conn, dir flows.Dir, ts int64, data []byte) {
	d := &st.dir[dir]
	if d.state == stFirst {
		if !looksLikeStart(data) {
			if !joinable(c) {
				d.state = stDead
				return
			}
			d.state, d.budget = stResync, maxJoinScan
			p.Resyncs++
		} else {
			d.state = stLine
		}
	}
	if d.budget > 0 {
		if d.state != stResync {
			d.budget = 0 // found a start line
		} else if d.budget -= len(data); d.budget <= 0 {
			d.state = stDead // no HTTP in the first maxJoinScan bytes
			return
		}
	}
	for len(data) > 0 && !st.tunnel {
		switch d.state {
		case stDead:
			return
		case stBody, stChunkData:
			n := uint64(len(data))
			if n > d.remain {
				n = d.remain
			}
			d.remain -= n
			d.addBody(n)
			data = data[n:]
			if d.remain == 0 {
				if d.state == stChunkData {
					d.state = stChunkEnd
				} else {
					p.done(c, st, dir)
				}
			}
		case stUntilEnd:
			d.addBody(uint64(len(data)))
			return
		default: // line states
			i := bytes.IndexByte(data, '\n')
			chunk := data
			if i >= 0 {
				chunk = data[:i]
			}
			if !d.long {
				if len(d.line) == 0 {
					d.start = ts
				}
				if len(d.line)+len(chunk) > maxLine {
					d.long, d.line = true, d.line[:0]
				} else {
					d.line = append(d.line, chunk...)
				}
				if !d.long && (d.state == stLine || d.state == stResync) && !looksLikeStart(d.line) &&
					!(d.state == stLine && len(d.line) == 1 && d.line[0] == '\r') {
					// not a start line: skip to its end without keeping it
					p.lost(c, st, dir, "not an HTTP message start")
					d.long, d.line = true, d.line[:0]
				}
			}
			if i < 0 {
				return
			}
			data = data[i+1:]
			long := d.long
			d.long = false
			if !long || d.state != stResync {
				p.line(c, st, dir, bytes.TrimSuffix(d.line, []byte{'\r'}), long)
			}
			d.line = d.line[:0]
		}
	}
}

func (d *parser) addBody(n uint64) {
	if d.cur == nil {
		return
	}
	if d.resp {
		d.cur.respBody += n
	} else {
		d.cur.reqBody += n
	}
}

// line handles one whole line (without its CRLF) in a line state.
func (p *Plugin) line(c *flows.Conn, st *conn, dir flows.Dir, line []byte, long bool) {
	d := &st.dir[dir]
	switch d.state {
	case stLine, stResync:
		if long {
			if d.state == stLine {
				p.lost(c, st, dir, "start line too long")
			}
			return
		}
		if len(line) == 0 && d.state == stLine {
			return // a stray CRLF between messages is tolerated (RFC 9112 2.2)
		}
		ok := p.startLine(c, st, dir, line)
		if !ok && d.state == stLine {
			p.lost(c, st, dir, "not an HTTP message start")
		}
	case stHeaders:
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
	case stChunkSize:
		n, ok := chunkSize(line)
		if long || !ok {
			p.lost(c, st, dir, "malformed chunk size")
			return
		}
		if n == 0 {
			d.state = stTrailers
			return
		}
		d.remain, d.state = n, stChunkData
	case stChunkEnd:
		if len(line) != 0 {
			p.lost(c, st, dir, "malformed chunk end")
			return
		}
		d.state = stChunkSize
	case stTrailers:
		if len(line) == 0 {
			p.done(c, st, dir)
		}
	}
}

// startLine parses a request or status line; false if it is neither.
func (p *Plugin) startLine(c *flows.Conn, st *conn, dir flows.Dir, line []byte) bool {
	d := &st.dir[dir]
	if bytes.HasPrefix(line, []byte("HTTP/")) {
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
	if len(st.pending) == maxPending {
		p.row(c, st, st.pending[0])
		st.pending = st.pending[1:]
	}
	st.depth++
	t := p.newTxn()
	t.hasReq, t.ts, t.depth = true, d.start, st.depth
	t.set(&t.method, method)
	t.set(&t.uri, uri)
	t.set(&t.version, ver)
	t.headMth = string(method) == "HEAD"
	st.pending = append(st.pending, t)
	d.begin(t)
	return true
}

// begin starts reading the headers of t's message.
func (d *parser) begin(t *txn) {
	d.cur, d.state, d.headers = t, stHeaders, 0
	d.chunked, d.length = false, -1
}

// responseTxn is the transaction a response starting at ts belongs to:
// the oldest request without a response, or a new one without request.
func (p *Plugin) responseTxn(c *flows.Conn, st *conn, ts int64) *txn {
	for _, t := range st.pending {
		if !t.hasResp {
			if t.status >= 100 && t.status < 200 {
				// a final response after an interim one: start over
				t.statusMsg, t.respVersion, t.respCT = span{}, span{}, span{}
			}
			return t
		}
	}
	if len(st.pending) == maxPending {
		p.row(c, st, st.pending[0])
		st.pending = st.pending[1:]
	}
	st.depth++
	t := p.newTxn()
	t.ts, t.depth = ts, st.depth
	st.pending = append(st.pending, t)
	return t
}

// parseRequest splits "METHOD SP target SP HTTP/x.y".
func parseRequest(line []byte) (method, uri, ver []byte, ok bool) {
	sp := bytes.IndexByte(line, ' ')
	if sp <= 0 || sp > 16 {
		return
	}
	for _, x := range line[:sp] {
		if x < 'A' || x > 'Z' {
			if x != '-' && x != '_' {
				return
			}
		}
	}
	rest := line[sp+1:]
	last := bytes.LastIndexByte(rest, ' ')
	if last <= 0 {
		return
	}
	v := rest[last+1:]
	if len(v) != 8 || string(v[:5]) != "HTTP/" || v[5] < '0' || v[5] > '9' || v[6] != '.' || v[7] < '0' || v[7] > '9' {
		return
	}
	return line[:sp], bytes.TrimRight(rest[:last], " "), v[5:], true
}

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

// done ends the message of direction dir.
func (p *Plugin) done(c *flows.Conn, st *conn, dir flows.Dir) {
	d := &st.dir[dir]
	t := d.cur
	d.cur, d.state = nil, stLine
	if t == nil {
		return
	}
	if !d.resp {
		t.reqDone = true
		return
	}
	t.respDone = true
	p.flush(c, st)
}

// flush writes the leading transactions whose responses are done.
func (p *Plugin) flush(c *flows.Conn, st *conn) {
	n := 0
	for _, t := range st.pending {
		if !t.respDone {
			break
		}
		p.row(c, st, t)
		n++
	}
	if n > 0 {
		st.pending = append(st.pending[:0], st.pending[n:]...)
	}
}

// lost ends the framing of direction dir: the message in progress is cut
// and the direction searches for the next start line.
func (p *Plugin) lost(c *flows.Conn, st *conn, dir flows.Dir, why string) {
	d := &st.dir[dir]
	if d.state == stResync {
		return
	}
	if t := d.cur; t != nil {
		if why != "" {
			t.addErr(why)
		}
		p.done(c, st, dir)
	}
	d.state, d.line, d.long = stResync, d.line[:0], false
	p.Resyncs++
}

// gap handles n bytes missing from direction dir.
func (p *Plugin) gap(c *flows.Conn, st *conn, dir flows.Dir, n uint64) {
	d := &st.dir[dir]
	switch d.state {
	case stFirst, stResync:
		d.state, d.line, d.long = stResync, d.line[:0], false
	case stBody, stChunkData:
		if n <= d.remain {
			d.addBody(n)
			d.cur.addErr(gapMsg(n, d.resp))
			d.remain -= n
			if d.remain == 0 {
				if d.state == stChunkData {
					d.state = stChunkEnd
				} else {
					p.done(c, st, dir)
				}
			}
			return
		}
		p.lost(c, st, dir, "a gap cut the message")
	case stUntilEnd:
		d.addBody(n)
		d.cur.addErr(gapMsg(n, true))
	case stLine:
		if len(d.line) == 0 {
			// between messages: the next one may start after the gap
			d.state = stResync
			p.Resyncs++
			return
		}
		p.lost(c, st, dir, "a gap cut the message")
	default:
		p.lost(c, st, dir, "a gap cut the message")
	}
}

func gapMsg(n uint64, resp bool) string {
	side := "request"
	if resp {
		side = "response"
	}
	return "gap of " + strconv.FormatUint(n, 10) + " bytes in the " + side + " body"
}

// end handles the end of direction dir.
func (p *Plugin) end(c *flows.Conn, st *conn, dir flows.Dir) {
	d := &st.dir[dir]
	if d.cur == nil {
		return
	}
	if d.state != stUntilEnd {
		d.cur.addErr("the flow ended inside the message")
	}
	p.done(c, st, dir)
}

// FlowEnd implements flows.EndHook: the transactions still open are
// written.
func (p *Plugin) FlowEnd(c *flows.Conn, _ *flows.Row) {
	st := p.flows[c.ID]
	if st == nil {
		return
	}
	delete(p.flows, c.ID)
	for dir := range st.dir {
		if d := &st.dir[dir]; d.cur != nil && d.resp {
			if d.state != stUntilEnd {
				d.cur.addErr("the flow ended inside the message")
			}
			d.cur.respDone = true
		}
	}
	for _, t := range st.pending {
		p.row(c, st, t)
	}
	if len(p.spare) < maxSpare {
		l0, l1, pend := st.dir[0].line, st.dir[1].line, st.pending
		*st = conn{pending: pend[:0]}
		st.dir[0].line, st.dir[1].line = l0[:0], l1[:0]
		p.spare = append(p.spare, st)
	}
}

// maxSpare bounds the flow states kept for reuse.
const maxSpare = 256

// row writes transaction t and recycles it.
func (p *Plugin) row(c *flows.Conn, st *conn, t *txn) {
	v := p.out.Batch().Cols
	ts := t.ts
	if !t.hasReq {
		ts = t.respTS
	}
	cip, cpt := c.Side(st.clientDir) // FromOrig until the roles are known
	sip, spt := c.Side(1 - st.clientDir)
	flows.AppendConn(v, ts, c, cip, cpt, sip, spt)
	v[ColTransDepth].AppendUint(uint64(t.depth))
	str := func(col int, s span, ok bool) {
		if ok {
			v[col].AppendBytes(t.get(s))
		} else {
			v[col].AppendNull()
		}
	}
	nonEmpty := func(s span) bool { return s.hi > s.lo }
	str(ColMethod, t.method, t.hasReq)
	str(ColHost, t.host, nonEmpty(t.host))
	str(ColURI, t.uri, t.hasReq)
	if t.hasReq {
		str(ColVersion, t.version, true)
	} else {
		str(ColVersion, t.respVersion, t.hasResp)
	}
	str(ColUserAgent, t.ua, nonEmpty(t.ua))
	str(ColReferrer, t.ref, nonEmpty(t.ref))
	if t.hasReq {
		v[ColRequestBodyLen].AppendUint(t.reqBody)
	} else {
		v[ColRequestBodyLen].AppendNull()
	}
	str(ColRequestContentType, t.reqCT, nonEmpty(t.reqCT))
	if t.hasResp {
		v[ColStatusCode].AppendUint(uint64(t.status))
		v[ColStatusMsg].AppendBytes(t.get(t.statusMsg))
		v[ColResponseBodyLen].AppendUint(t.respBody)
	} else {
		v[ColStatusCode].AppendNull()
		v[ColStatusMsg].AppendNull()
		v[ColResponseBodyLen].AppendNull()
	}
	str(ColResponseContentType, t.respCT, nonEmpty(t.respCT))
	if t.hasReq && t.hasResp {
		v[ColRTT].AppendFloat(float64(t.respTS-t.ts) / 1e9)
	} else {
		v[ColRTT].AppendNull()
	}
	if len(t.err) > 0 {
		v[ColError].AppendBytes(t.err)
	} else {
		v[ColError].AppendNull()
	}
	p.out.EndRow()
	for i := range st.dir {
		if st.dir[i].cur == t {
			st.dir[i].cur = nil
		}
	}
	p.release(t)
}

// chunkSize parses a chunk-size line (hex, then optional extensions).
func chunkSize(line []byte) (uint64, bool) {
	var n uint64
	i := 0
	for ; i < len(line); i++ {
		x := line[i]
		var v byte
		switch {
		case x >= '0' && x <= '9':
			v = x - '0'
		case x >= 'a' && x <= 'f':
			v = x - 'a' + 10
		case x >= 'A' && x <= 'F':
			v = x - 'A' + 10
		default:
			goto end
		}
		if i >= 15 {
			return 0, false
		}
		n = n<<4 | uint64(v)
	}
end:
	rest := bytes.TrimLeft(line[i:], " \t")
	return n, i > 0 && (len(rest) == 0 || rest[0] == ';')
}

// String describes the plugin's counters.
func (p *Plugin) String() string {
	return "http: " + strconv.FormatUint(p.Requests, 10) + " requests, " + strconv.FormatUint(p.Responses, 10) +
		" responses, " + strconv.FormatUint(p.Resyncs, 10) + " resyncs"
}
