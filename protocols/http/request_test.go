package http_test

import (
	"fmt"
	"testing"
)

// TestLenientRequestLines: request lines are read as Zeek's HTTP analyzer
// reads them (the forms of Zeek's http-methods and http-09 traces): the
// target is the run of URI characters, a missing version is HTTP/0.9
// (whose response is a body alone, status line or not), a cut version
// ("HTTP/1.") is null; a method not followed by white space is not a
// request.
func TestLenientRequestLines(t *testing.T) {
	resp := "HTTP/1.1 400 Bad Request\r\nContent-Length: 2\r\n\r\nno"
	for _, tc := range []struct {
		line string
		want string // method uri version status response_body_len; "" for no request
	}{
		{"GET / HTTP/1.1", "GET / 1.1 400 2"},
		{"OPTIONS HTTP/1.1", "OPTIONS  1.1 400 2"},
		{"GET / HTTP/1.", "GET / <nil> 400 2"},
		{"GET /HTTP/1.1", "GET /HTTP/1.1 0.9 <nil> 49"},
		{"CCM_POST /a HTTP/1.0", "CCM_POST /a 1.0 400 2"},
		{"GET\t/tab HTTP/1.1", "GET /tab 1.1 400 2"},
		{"GET /a b HTTP/1.1", "GET /a b 1.1 400 2"},
		{"GET /zeek.html", "GET /zeek.html 0.9 <nil> 49"},
		{"GET/ HTTP/1.1", ""},
		{"GET/HTTP/1.1", ""},
		{"OPTIONSHTTP/1.1", ""},
	} {
		t.Run(tc.line, func(t *testing.T) {
			req := tc.line + "\r\nHost: h\r\n\r\n"
			rows := stream(t, 80, cat(evs(c(req), s(resp)), end()))
			got := ""
			for _, r := range rows {
				if r.Str("method") != "" {
					got = fmt.Sprintf("%s %s %v %v %v", r.Str("method"), r.Str("uri"), r["version"], r["status_code"], r["response_body_len"])
				}
			}
			if got != tc.want {
				t.Errorf("%q: got %q, want %q", tc.line, got, tc.want)
			}
		})
	}
}
