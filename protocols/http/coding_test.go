package http_test

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestContentCoding: a body coded gzip or deflate (zlib's format, or raw
// as many servers send it) counts its decoded bytes, as Zeek's
// response_body_len and request_body_len do; chunked or delimited by the
// end of the flow alike. A body that does not decode keeps its coded
// length and says why.
func TestContentCoding(t *testing.T) {
	var lines strings.Builder
	for i := range 400 {
		fmt.Fprintf(&lines, "line %d: %x\n", i, i*i*7919) // compresses to a few KiB
	}
	plain := lines.String()
	code := func(kind string) string {
		var b bytes.Buffer
		switch kind {
		case "gzip":
			w := gzip.NewWriter(&b)
			w.Write([]byte(plain))
			w.Close()
		case "zlib":
			w := zlib.NewWriter(&b)
			w.Write([]byte(plain))
			w.Close()
		case "raw":
			w, _ := flate.NewWriter(&b, 5)
			w.Write([]byte(plain))
			w.Close()
		}
		return b.String()
	}
	gz, zl, raw := code("gzip"), code("zlib"), code("raw")
	// past the bound of coded bytes kept: its coded length, and why
	var big bytes.Buffer
	w := gzip.NewWriter(&big)
	rnd := rand.New(rand.NewPCG(1, 2))
	for range (5 << 20) / 8 {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], rnd.Uint64())
		w.Write(b[:]) // incompressible: over 5 MiB coded
	}
	w.Close()
	resp := func(enc, body string) string {
		return fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Encoding: %s\r\nContent-Length: %d\r\n\r\n%s", enc, len(body), body)
	}
	chunked := "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n" +
		fmt.Sprintf("%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n", 100, gz[:100], len(gz)-100, gz[100:])
	req := "GET / HTTP/1.1\r\nHost: a\r\n\r\n"
	for _, tc := range []struct {
		name   string
		events []ev
		body   uint64
		err    string
	}{
		{"gzip", cat(evs(c(req), s(resp("gzip", gz))), end()), uint64(len(plain)), ""},
		{"x-gzip in two segments", cat(evs(c(req), s(resp("x-gzip", gz)[:200]), s(resp("x-gzip", gz)[200:])), end()), uint64(len(plain)), ""},
		{"deflate (zlib)", cat(evs(c(req), s(resp("deflate", zl))), end()), uint64(len(plain)), ""},
		{"deflate (raw)", cat(evs(c(req), s(resp("Deflate", raw))), end()), uint64(len(plain)), ""},
		{"chunked gzip", cat(evs(c(req), s(chunked)), end()), uint64(len(plain)), ""},
		{"until the end", cat(evs(c(req), s("HTTP/1.0 200 OK\r\nContent-Encoding: gzip\r\n\r\n"+gz)), end()), uint64(len(plain)), ""},
		{"past 4 MiB coded", cat(evs(c(req), s(resp("gzip", big.String()))), end()), uint64(big.Len()), "coded body past 4 MiB"},
		{"identity", cat(evs(c(req), s(resp("identity", gz))), end()), uint64(len(gz)), ""},
		{"not gzip", cat(evs(c(req), s(resp("gzip", "not compressed at all"))), end()), 21, "body not decoded: gzip: invalid header"},
		{"cut short", cat(evs(c(req), s(resp("gzip", gz[:len(gz)/2]))), end()), 0, "body not decoded: unexpected EOF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows := stream(t, 80, tc.events)
			if len(rows) != 1 {
				t.Fatalf("%d rows: %v", len(rows), rows)
			}
			r := rows[0]
			if tc.name == "cut short" {
				// what inflated before the cut counts
				if n := r.Uint("response_body_len"); n == 0 || n >= uint64(len(plain)) || !strings.Contains(r.Str("error"), tc.err) {
					t.Fatalf("response_body_len %d, error %q", n, r.Str("error"))
				}
				return
			}
			if r.Uint("response_body_len") != tc.body || (tc.err == "") != (r["error"] == nil) || !strings.Contains(r.Str("error"), tc.err) {
				t.Fatalf("response_body_len %d (want %d), error %v (want %q)", r.Uint("response_body_len"), tc.body, r["error"], tc.err)
			}
		})
	}
}
