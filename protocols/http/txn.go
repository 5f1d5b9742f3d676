package http

import "github.com/pcap2table/pcap2table/flows"

// Transactions: a request and its response, paired in order. A flow's
// requests wait in conn.pending for their responses (pipelining); the
// leading ones whose responses are done are written as rows. Transactions
// are recycled, so that a long keep-alive flow allocates nothing per
// request.

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

// enqueue returns a new transaction at the end of st.pending, its depth
// set. When maxPending wait already, the oldest is written unanswered to
// make room.
func (p *Plugin) enqueue(c *flows.Conn, st *conn) *txn {
	if len(st.pending) == maxPending {
		p.row(c, st, st.pending[0])
		st.pending = st.pending[1:]
	}
	st.depth++
	t := p.newTxn()
	t.depth = st.depth
	st.pending = append(st.pending, t)
	return t
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
	t := p.enqueue(c, st)
	t.ts = ts
	return t
}

// done ends the message of direction dir: a request waits for its
// response, a response writes the transactions it completes.
func (p *Plugin) done(c *flows.Conn, st *conn, dir flows.Dir) {
	d := &st.dir[dir]
	t := d.cur
	d.cur, d.state = nil, stLine
	if t == nil {
		return
	}
	p.z.decoded(d, t)
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
