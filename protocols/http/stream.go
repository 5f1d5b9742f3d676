package http

import (
	"bytes"

	"github.com/pcap2table/pcap2table/flows"
)

// One direction of a flow as a state machine: the stream's bytes are cut
// into lines, handed to the state's parser (start line and headers:
// parse.go; chunk sizes and trailers: body.go), or counted as body
// (body.go). A direction that loses its framing searches for the next
// start line.

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
	// coding is the message's content coding (coding.go), coded its
	// body's bytes so far, codedOver set when they passed the bounds
	coding    uint8
	codedOver bool
	coded     []byte
	start     int64 // ts of the message's first byte
	// budget is what a direction never recognized as HTTP may still scan
	// for a start line (a flow joined mid-stream on a well-known port)
	budget int
}

// feed parses data sent in direction dir at ts.
func (p *Plugin) feed(c *flows.Conn, st *conn, dir flows.Dir, ts int64, data []byte) {
	d := &st.dir[dir]
	if (d.state == stFirst || d.state == stLine) && len(d.line) == 0 && awaits09(st, dir) {
		p.response09(c, st, dir, ts)
	}
	if !p.admit(c, d, data) {
		return
	}
	for len(data) > 0 && !st.tunnel {
		switch d.state {
		case stDead:
			return
		case stBody, stChunkData:
			data = p.feedBody(c, st, dir, data)
		case stUntilEnd:
			d.addBody(uint64(len(data)))
			p.z.keepCoded(d, data)
			return
		default: // line states
			data = p.feedLine(c, st, dir, ts, data)
		}
	}
}

// awaits09 reports whether dir is the server's and the oldest request
// without a response is an HTTP/0.9 one, whose response is its body
// alone, up to the end of the flow: even one that starts with a status
// line (a server's 400 to a request line taken for 0.9, as "GET
// /HTTP/1.1"), as Zeek reads it.
func awaits09(st *conn, dir flows.Dir) bool {
	if !st.roles || st.clientDir == dir {
		return false
	}
	for _, t := range st.pending {
		if !t.hasResp {
			return string(t.get(t.version)) == "0.9"
		}
	}
	return false
}

// response09 starts the response to an HTTP/0.9 request, at ts: no
// status line, no headers, a body up to the end of the flow.
func (p *Plugin) response09(c *flows.Conn, st *conn, dir flows.Dir, ts int64) {
	d := &st.dir[dir]
	p.Responses++
	t := p.responseTxn(c, st, ts)
	t.hasResp, t.respTS = true, ts
	d.resp, d.budget = true, 0
	d.begin(t)
	d.state = stUntilEnd
}

// admit decides whether direction d is HTTP before data is parsed: its
// first bytes must look like a start line, or, on a joinable flow, a
// start line must come within maxJoinScan bytes. False when data is to be
// ignored (d is then dead).
func (p *Plugin) admit(c *flows.Conn, d *parser, data []byte) bool {
	if d.state == stFirst {
		if !looksLikeStart(data) {
			if !joinable(c) {
				d.state = stDead
				return false
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
			return false
		}
	}
	return true
}

// feedLine adds data up to its first LF to the line of direction dir,
// and handles the line when the LF ends it. It returns the data after the
// LF, or nil when the line goes on in the next data.
func (p *Plugin) feedLine(c *flows.Conn, st *conn, dir flows.Dir, ts int64, data []byte) []byte {
	d := &st.dir[dir]
	i := bytes.IndexByte(data, '\n')
	chunk := data
	if i >= 0 {
		chunk = data[:i]
	}
	if !d.long {
		p.appendLine(c, st, dir, ts, chunk)
	}
	if i < 0 {
		return nil
	}
	long := d.long
	d.long = false
	if !long || d.state != stResync {
		p.line(c, st, dir, bytes.TrimSuffix(d.line, []byte{'\r'}), long)
	}
	d.line = d.line[:0]
	return data[i+1:]
}

// appendLine adds chunk to the incomplete line of direction dir (sent at
// ts), unless the line grows past maxLine or cannot be a start line where
// one is expected: the rest of the line is then skipped.
func (p *Plugin) appendLine(c *flows.Conn, st *conn, dir flows.Dir, ts int64, chunk []byte) {
	d := &st.dir[dir]
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
		p.headerLine(c, st, dir, line, long)
	case stChunkSize, stChunkEnd, stTrailers:
		p.chunkedLine(c, st, dir, line, long)
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
