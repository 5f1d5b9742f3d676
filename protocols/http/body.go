package http

import (
	"bytes"
	"strconv"

	"github.com/pcap2table/pcap2table/flows"
)

// Message bodies, counted but not kept: a Content-Length body, chunked
// coding (chunk-size lines, chunk data, trailers) and a response body
// delimited by the end of the flow. Gaps and the end of a direction are
// here too, since what they do depends on the body being read: a gap
// inside a body of known length is counted and skipped, any other one
// cuts the message.

// addBody counts n bytes of the current message's body.
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

// feedBody reads a body's or a chunk's bytes from data, and returns what
// follows them.
func (p *Plugin) feedBody(c *flows.Conn, st *conn, dir flows.Dir, data []byte) []byte {
	d := &st.dir[dir]
	n := uint64(len(data))
	if n > d.remain {
		n = d.remain
	}
	d.remain -= n
	d.addBody(n)
	p.z.keepCoded(d, data[:n])
	p.bodyRead(c, st, dir)
	return data[n:]
}

// bodyRead goes on when no bytes of the body or chunk remain: with the
// CRLF that ends a chunk, or the end of the message.
func (p *Plugin) bodyRead(c *flows.Conn, st *conn, dir flows.Dir) {
	d := &st.dir[dir]
	if d.remain != 0 {
		return
	}
	if d.state == stChunkData {
		d.state = stChunkEnd
	} else {
		p.done(c, st, dir)
	}
}

// chunkedLine handles a line of chunked coding: a chunk size, the end of
// a chunk's data, or a trailer line.
func (p *Plugin) chunkedLine(c *flows.Conn, st *conn, dir flows.Dir, line []byte, long bool) {
	d := &st.dir[dir]
	switch d.state {
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
			p.bodyRead(c, st, dir)
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
