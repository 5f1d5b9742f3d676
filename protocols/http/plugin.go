package http

import (
	"strconv"

	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/table"
)

// The plugin and its flows hooks: which flows are HTTP, the state kept
// per flow (and reused across flows), and what the end of a flow writes.
// The parsing of a direction's bytes is in stream.go.

// Plugin is the http table's plugin.
type Plugin struct {
	out   *flows.Output
	flows map[uint64]*conn
	free  []*txn
	// spare are ended flows' states kept for new flows: their line
	// buffers grew for each flow from nothing, a tenth of the plugin's time
	spare []*conn
	z     inflater // coded bodies (coding.go)
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

// String describes the plugin's counters.
func (p *Plugin) String() string {
	return "http: " + strconv.FormatUint(p.Requests, 10) + " requests, " + strconv.FormatUint(p.Responses, 10) +
		" responses, " + strconv.FormatUint(p.Resyncs, 10) + " resyncs"
}

// conn is one flow's HTTP state.
type conn struct {
	dir       [2]parser
	pending   []*txn // requests in order; the first waits for the next response
	depth     uint32
	clientDir flows.Dir
	roles     bool // clientDir is known
	tunnel    bool // CONNECT or Upgrade: the rest is not HTTP
}

// maxSpare bounds the flow states kept for reuse.
const maxSpare = 256

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
		st = p.newConn()
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

// newConn returns the state of a new flow: a spare one, or a new one.
func (p *Plugin) newConn() *conn {
	if n := len(p.spare); n > 0 {
		st := p.spare[n-1]
		p.spare = p.spare[:n-1]
		return st
	}
	return &conn{}
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
		d := &st.dir[dir]
		if d.cur != nil {
			p.z.decoded(d, d.cur)
		}
		if d.cur != nil && d.resp {
			if d.state != stUntilEnd {
				d.cur.addErr("the flow ended inside the message")
			}
			d.cur.respDone = true
		}
		p.z.drop(d)
	}
	for _, t := range st.pending {
		p.row(c, st, t)
	}
	p.keepSpare(st)
}

// keepSpare keeps the state of an ended flow for a new one, its buffers
// emptied but not freed.
func (p *Plugin) keepSpare(st *conn) {
	if len(p.spare) < maxSpare {
		l0, l1, pend := st.dir[0].line, st.dir[1].line, st.pending
		*st = conn{pending: pend[:0]}
		st.dir[0].line, st.dir[1].line = l0[:0], l1[:0]
		p.spare = append(p.spare, st)
	}
}
