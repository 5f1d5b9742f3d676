package http_test

import (
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/internal/plugintest"
	"github.com/pcap2table/pcap2table/protocols/http"
	"github.com/pcap2table/pcap2table/table"
)

var (
	client = netip.MustParseAddr("10.0.0.1")
	server = netip.MustParseAddr("10.0.0.2")
)

// ev is a stream event for the tests: data (or a gap of n bytes when
// data is "", or the end when gap < 0) sent by the client (c) or server.
type ev struct {
	fromClient bool
	data       string
	gap        int
}

func c(s string) ev      { return ev{fromClient: true, data: s} }
func s(s string) ev      { return ev{data: s} }
func cgap(n int) ev      { return ev{fromClient: true, gap: n} }
func sgap(n int) ev      { return ev{gap: n} }
func end() []ev          { return []ev{{fromClient: true, gap: -1}, {gap: -1}} }
func evs(e ...ev) []ev   { return e }
func cat(a, b []ev) []ev { return append(a, b...) }

// stream feeds the events to a fresh plugin as one flow from client:1234
// to server:port, ends the flow and returns the rows.
func stream(t *testing.T, port uint16, events []ev) []plugintest.Row {
	t.Helper()
	b := table.NewBatch(http.Schema, 8)
	feedFlow(http.New(flows.NewOutput(b)), 7, port, events)
	return plugintest.Read(t, b)
}

// feedFlow feeds the events to p as flow id, then ends the flow.
func feedFlow(p *http.Plugin, id uint64, port uint16, events []ev) {
	conn := &flows.Conn{ID: id, IPProto: 6, OrigIP: client, RespIP: server, OrigPort: 1234, RespPort: port, HasPorts: true}
	var off [2]uint64
	for i, e := range events {
		d := flows.FromResp
		if e.fromClient {
			d = flows.FromOrig
		}
		se := flows.StreamEvent{FlowID: id, Dir: d, TS: int64(i+1) * 1e6, Offset: off[d]}
		switch {
		case e.gap < 0:
			se.End = true
		case e.data == "":
			se.Gap = uint64(e.gap)
		default:
			se.Data = []byte(e.data)
		}
		off[d] += uint64(len(e.data) + max(e.gap, 0))
		p.Stream(conn, &se)
	}
	p.FlowEnd(conn, nil)
}

// TestReusedFlowState: the state an ended flow leaves for reuse (its
// parser mid-line, mid-chunk, a tunnel) starts the next flow clean: a
// flow parsed after such flows gives the rows a fresh plugin gives.
func TestReusedFlowState(t *testing.T) {
	clean := evs(c("GET /b HTTP/1.1\r\nHost: h\r\n\r\n"), s("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
	want := stream(t, 80, clean)
	b := table.NewBatch(http.Schema, 8)
	p := http.New(flows.NewOutput(b))
	for i, dirty := range [][]ev{
		evs(c("GET /a HTTP/1.1\r\nHost: examp")), // mid-line
		evs(c("GET /a HTTP/1.1\r\n\r\n"), s("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhe")), // mid-chunk
		evs(c("CONNECT h:443 HTTP/1.1\r\n\r\n"), s("HTTP/1.1 200 OK\r\n\r\n"), c("\x16\x03\x01")),            // a tunnel
	} {
		feedFlow(p, uint64(100+i), 80, dirty)
	}
	skip := b.N
	feedFlow(p, 7, 80, clean)
	got := plugintest.Read(t, b)[skip:]
	if !reflect.DeepEqual(got, want) {
		t.Errorf("after reused states:\n%v\nfresh:\n%v", got, want)
	}
}

func TestTransactions(t *testing.T) {
	get := "GET /a HTTP/1.1\r\nHost: example.com\r\nUser-Agent: ua/1\r\nReferer: http://r/\r\n\r\n"
	ok := "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"
	type want struct {
		method, uri, status, err string
		reqLen, respLen          uint64
	}
	for _, tc := range []struct {
		name   string
		port   uint16
		events []ev
		want   []want
	}{
		{"one pair", 80, evs(c(get), s(ok)), []want{{"GET", "/a", "200", "", 0, 5}}},
		{"split everywhere", 9999, evs(c("GE"), c("T /a HTTP/1.1\r"), c("\nHost: x\r\n"), c("\r\n"), s("HTTP/1.1 2"), s("00 OK\r\nContent-Length: 5\r\n\r\nhel"), s("lo")),
			[]want{{"GET", "/a", "200", "", 0, 5}}},
		{"keep-alive", 80, evs(c(get), s(ok), c(get), s(ok), c(get), s(ok)),
			[]want{{"GET", "/a", "200", "", 0, 5}, {"GET", "/a", "200", "", 0, 5}, {"GET", "/a", "200", "", 0, 5}}},
		{"pipelined", 80, evs(c(get+strings.Replace(get, "/a", "/b", 1)), s(ok+"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")),
			[]want{{"GET", "/a", "200", "", 0, 5}, {"GET", "/b", "404", "", 0, 0}}},
		{"chunked both ways", 80, evs(c("POST /up HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n"),
			s("HTTP/1.1 201 Created\r\nTransfer-Encoding: gzip, chunked\r\n\r\nA\r\n0123456789\r\n0\r\nTrailer: t\r\n\r\n")),
			[]want{{"POST", "/up", "201", "", 5, 10}}},
		{"request body by length", 80, evs(c("PUT /x HTTP/1.0\r\nContent-Length: 4\r\n\r\nabcd"), s(ok)), []want{{"PUT", "/x", "200", "", 4, 5}}},
		{"100 continue", 80, evs(c("POST /p HTTP/1.1\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n"), s("HTTP/1.1 100 Continue\r\n\r\n"), c("hi"), s(ok)),
			[]want{{"POST", "/p", "200", "", 2, 5}}},
		{"HEAD has no body", 80, evs(c("HEAD / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n"), s("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"+ok)),
			[]want{{"HEAD", "/", "200", "", 0, 0}, {"GET", "/", "200", "", 0, 5}}},
		{"204 and 304 have no body", 80, evs(c(get+get), s("HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n")),
			[]want{{"GET", "/a", "204", "", 0, 0}, {"GET", "/a", "304", "", 0, 0}}},
		{"body to the end of the flow", 80, cat(evs(c(get), s("HTTP/1.0 200 OK\r\n\r\nabc"), s("defg")), end()),
			[]want{{"GET", "/a", "200", "", 0, 7}}},
		{"unanswered", 80, evs(c(get)), []want{{"GET", "/a", "", "", 0, 0}}},
		{"unsolicited", 80, evs(s(ok)), []want{{"", "", "200", "", 0, 5}}},
		{"cut by the end", 80, cat(evs(c(get), s("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nabc")), end()),
			[]want{{"GET", "/a", "200", "the flow ended inside the message", 0, 3}}},
		{"gap inside a body of known length", 80, evs(c(get), s("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab"), sgap(5), s("cde"), s(ok)),
			[]want{{"GET", "/a", "200", "gap of 5 bytes in the response body", 0, 10}, {"", "", "200", "", 0, 5}}},
		{"gap in the headers: resync on the next message", 80, evs(c(get), s("HTTP/1.1 200 OK\r\nCont"), sgap(40), c(get), s("xx\r\nyy\r\n"+ok)),
			[]want{{"GET", "/a", "200", "a gap cut the message", 0, 0}, {"GET", "/a", "200", "", 0, 5}}},
		{"gap in a request: the next request is found", 80, evs(c("GET /1 HTTP/1.1\r\nHo"), cgap(100), c("garbage\r\nGET /2 HTTP/1.1\r\n\r\n")),
			[]want{{"GET", "/1", "", "a gap cut the message", 0, 0}, {"GET", "/2", "", "", 0, 0}}},
		{"joined mid-stream on port 80", 80, evs(c("tail of a body\r\nGET /late HTTP/1.1\r\n\r\n"), s("ody\r\n"+ok)),
			[]want{{"GET", "/late", "200", "", 0, 5}}},
		{"joined mid-stream: searched for 64 KiB at most", 80, evs(c(strings.Repeat("x\n", 33<<10)), c("GET /late HTTP/1.1\r\n\r\n")), nil},
		{"not HTTP on another port", 9999, evs(c("\x16\x03\x01\x00\x05hello"), s("\x16\x03\x03\x00\x01x")), nil},
		{"not HTTP mid-stream on another port", 9999, evs(c("xGET / HTTP/1.1\r\n\r\n")), nil},
		{"CONNECT tunnel", 3128, evs(c("CONNECT a:443 HTTP/1.1\r\n\r\n"), s("HTTP/1.1 200 Connection established\r\n\r\n"), c("\x16\x03\x01GET / HTTP/1.1\r\n\r\n"), s("HTTP/1.1 200 OK\r\n\r\n")),
			[]want{{"CONNECT", "a:443", "200", "", 0, 0}}},
		{"stray CRLF between requests", 80, evs(c(get + "\r\n" + get)), []want{{"GET", "/a", "", "", 0, 0}, {"GET", "/a", "", "", 0, 0}}},
		{"malformed chunk size", 80, evs(c(get), s("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"+ok)),
			[]want{{"GET", "/a", "200", "malformed chunk size", 0, 0}, {"", "", "200", "", 0, 5}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows := stream(t, tc.port, tc.events)
			if len(rows) != len(tc.want) {
				t.Fatalf("%d rows, want %d: %v", len(rows), len(tc.want), rows)
			}
			for i, w := range tc.want {
				r := rows[i]
				var status string
				if r["status_code"] != nil {
					status = strconv.FormatUint(r.Uint("status_code"), 10)
				}
				got := want{r.Str("method"), r.Str("uri"), status, r.Str("error"), r.Uint("request_body_len"), r.Uint("response_body_len")}
				if got != w {
					t.Errorf("row %d: %+v, want %+v", i, got, w)
				}
				if r.Uint("trans_depth") != uint64(i+1) {
					t.Errorf("row %d: trans_depth %d", i, r.Uint("trans_depth"))
				}
				if (w.method == "") != (r["method"] == nil) || (w.status == "") != (r["response_body_len"] == nil) {
					t.Errorf("row %d: nulls: %v", i, r)
				}
			}
		})
	}
}

// TestColumns checks the columns of one full transaction.
func TestColumns(t *testing.T) {
	rows := stream(t, 8080, evs(
		c("POST /form?q=1 HTTP/1.1\r\nhost: example.com\r\nUSER-AGENT: curl/8\r\nReferer: http://a/b\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 3\r\n\r\na=b"),
		s("HTTP/1.1 302 Found\r\nContent-Type: text/html\r\nContent-Length: 0\r\n\r\n")))
	if len(rows) != 1 {
		t.Fatalf("%d rows", len(rows))
	}
	want := plugintest.Row{
		"ts": int64(1e6), "flow_id": uint64(7), "src_ip": "10.0.0.1", "src_port": uint64(1234), "dst_ip": "10.0.0.2", "dst_port": uint64(8080),
		"trans_depth": uint64(1), "method": "POST", "host": "example.com", "uri": "/form?q=1", "version": "1.1", "user_agent": "curl/8",
		"referrer": "http://a/b", "request_body_len": uint64(3), "request_content_type": "application/x-www-form-urlencoded",
		"status_code": uint64(302), "status_msg": "Found", "response_body_len": uint64(0), "response_content_type": "text/html",
		"rtt": 0.001, "error": nil,
	}
	for k, v := range want {
		if rows[0][k] != v {
			t.Errorf("%s = %#v, want %#v", k, rows[0][k], v)
		}
	}
}

// TestServerSpeaksFirst: the roles come from the messages, not from who
// opened the connection.
func TestServerSpeaksFirst(t *testing.T) {
	rows := stream(t, 80, evs(s("GET /rev HTTP/1.1\r\n\r\n"), c("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")))
	if len(rows) != 1 || rows[0].Str("src_ip") != "10.0.0.2" || rows[0].Uint("src_port") != 80 || rows[0].Uint("status_code") != 200 {
		t.Fatalf("rows %v", rows)
	}
}

// TestPendingBound: requests without responses are written, not kept,
// beyond the bound.
func TestPendingBound(t *testing.T) {
	var e []ev
	for range 100 {
		e = append(e, c("GET / HTTP/1.1\r\n\r\n"))
	}
	if rows := stream(t, 80, e); len(rows) != 100 {
		t.Fatalf("%d rows", len(rows))
	}
}

// TestKeepAliveAllocs: a keep-alive flow's transactions reuse their
// buffers: once warm, a request and its response allocate nothing.
func TestKeepAliveAllocs(t *testing.T) {
	b := table.NewBatch(http.Schema, 64)
	p := http.New(flows.NewOutput(b))
	conn := &flows.Conn{ID: 1, IPProto: 6, OrigIP: client, RespIP: server, OrigPort: 1234, RespPort: 80, HasPorts: true}
	req := []byte("POST /a HTTP/1.1\r\nHost: example.com\r\nUser-Agent: ua/1\r\nContent-Length: 4\r\n\r\nabcd")
	resp := []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
	var off [2]uint64
	pair := func() {
		if b.N >= 64 {
			b.Reset() // the rows a tracker would have taken
		}
		for _, e := range []struct {
			d    flows.Dir
			data []byte
		}{{flows.FromOrig, req}, {flows.FromResp, resp}} {
			ev := flows.StreamEvent{Dir: e.d, Offset: off[e.d], Data: e.data}
			off[e.d] += uint64(len(e.data))
			p.Stream(conn, &ev)
		}
	}
	for range 200 {
		pair()
	}
	if n := testing.AllocsPerRun(100, pair); n != 0 {
		t.Errorf("%.1f allocations per transaction, want 0", n)
	}
	if p.Requests != 301 || p.Responses != 301 {
		t.Errorf("%d requests, %d responses", p.Requests, p.Responses)
	}
}
