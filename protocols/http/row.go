package http

import (
	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/table"
)

// Writing a transaction as a row of Schema: the flow's columns, then the
// request's and the response's, null for the side that is missing.

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
	t.appendRequest(v)
	t.appendResponse(v)
	if t.hasReq && t.hasResp {
		v[ColRTT].AppendFloat(float64(t.respTS-t.ts) / 1e9)
	} else {
		v[ColRTT].AppendNull()
	}
	if len(t.err) > 0 {
		v[ColError].AppendBytes(t.err)
		c.Weird(ts, string(t.err), "", cip, cpt, sip, spt)
	} else {
		v[ColError].AppendNull()
	}
	p.out.EndRow()
	if t.hasReq && c.Notes() {
		noteRequest(c, t)
	}
	for i := range st.dir {
		if st.dir[i].cur == t {
			st.dir[i].cur = nil
		}
	}
	p.release(t)
}

// appendRequest appends the request's columns, from method to
// request_content_type (version is the response's without a request).
func (t *txn) appendRequest(v []table.Vector) {
	t.appendSpan(&v[ColMethod], t.method, t.hasReq)
	t.appendSpan(&v[ColHost], t.host, nonEmpty(t.host))
	t.appendSpan(&v[ColURI], t.uri, t.hasReq)
	if t.hasReq {
		t.appendSpan(&v[ColVersion], t.version, nonEmpty(t.version))
	} else {
		t.appendSpan(&v[ColVersion], t.respVersion, t.hasResp)
	}
	t.appendSpan(&v[ColUserAgent], t.ua, nonEmpty(t.ua))
	t.appendSpan(&v[ColReferrer], t.ref, nonEmpty(t.ref))
	if t.hasReq {
		v[ColRequestBodyLen].AppendUint(t.reqBody)
	} else {
		v[ColRequestBodyLen].AppendNull()
	}
	t.appendSpan(&v[ColRequestContentType], t.reqCT, nonEmpty(t.reqCT))
}

// appendResponse appends the response's columns, from status_code to
// response_content_type.
func (t *txn) appendResponse(v []table.Vector) {
	switch {
	case t.hasResp && t.respVersion == (span{}): // HTTP/0.9: a body alone
		v[ColStatusCode].AppendNull()
		v[ColStatusMsg].AppendNull()
		v[ColResponseBodyLen].AppendUint(t.respBody)
	case t.hasResp:
		v[ColStatusCode].AppendUint(uint64(t.status))
		v[ColStatusMsg].AppendBytes(t.get(t.statusMsg))
		v[ColResponseBodyLen].AppendUint(t.respBody)
	default:
		v[ColStatusCode].AppendNull()
		v[ColStatusMsg].AppendNull()
		v[ColResponseBodyLen].AppendNull()
	}
	t.appendSpan(&v[ColResponseContentType], t.respCT, nonEmpty(t.respCT))
}

// appendSpan appends the text of s to v, or a null when !ok.
func (t *txn) appendSpan(v *table.Vector, s span, ok bool) {
	if ok {
		v.AppendBytes(t.get(s))
	} else {
		v.AppendNull()
	}
}

// nonEmpty says whether s holds text: header fields absent or empty are
// null.
func nonEmpty(s span) bool { return s.hi > s.lo }

// noteRequest notes the request for the flows' subscribers (beacons
// counts each request a call-out): its time and bodies, the client's
// User-Agent, and a request without a Host.
func noteRequest(c *flows.Conn, t *txn) {
	c.Note(flows.Note{TS: t.ts, Kind: "http", Bytes: t.reqBody + t.respBody})
	if t.ua != (span{}) {
		c.Fact("http-user-agent", string(t.get(t.ua)))
	}
	if t.host == (span{}) {
		c.Fact("http-no-host", "")
	}
}
