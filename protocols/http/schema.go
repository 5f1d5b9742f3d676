package http

import (
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
	Version: 2,
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
		{Name: "version", Type: table.String, Nullable: true, Hint: table.Dict, Doc: "HTTP version of the request (`1.1`, `1.0`; `0.9` for a request line without one, whose response is then a body alone; null when it is cut short, as `HTTP/1.`), of the response when there is no request."},
		{Name: "user_agent", Type: table.String, Nullable: true, Hint: table.Dict, Doc: "The User-Agent header (`http.user_agent`)."},
		{Name: "referrer", Type: table.String, Nullable: true, Doc: "The Referer header."},
		{Name: "request_body_len", Type: table.Uint64, Nullable: true, Doc: "Bytes of the request body (chunked: the chunks' data, without the framing; gzip or deflate coded: decoded, as Zeek counts it, or the coded bytes with the reason in `error` when it does not decode or its coded bytes pass 4 MiB); null without a request."},
		{Name: "request_content_type", Type: table.String, Nullable: true, Hint: table.Dict, Doc: "The request's Content-Type header."},
		{Name: "status_code", Type: table.Uint16, Nullable: true, Doc: "Status code of the final response (`http.response.code`; 1xx interim responses are skipped); null without a response, or for an HTTP/0.9 response (no status line)."},
		{Name: "status_msg", Type: table.String, Nullable: true, Hint: table.Dict, Doc: "Reason phrase of that response."},
		{Name: "response_body_len", Type: table.Uint64, Nullable: true, Doc: "Bytes of the response body (chunked: the chunks' data; without a length: up to the end of the flow; gzip or deflate coded: decoded, as for request_body_len); null without a response."},
		{Name: "response_content_type", Type: table.String, Nullable: true, Hint: table.Dict, Doc: "The response's Content-Type header."},
		{Name: "rtt", Type: table.Float64, Nullable: true, Doc: "Seconds from the request's first byte to the response's status line; null without both."},
		{Name: "error", Type: table.String, Nullable: true, Doc: "What went wrong with the transaction: a gap in a body (`gap of N bytes in the response body`: the length counts the lost bytes), a message cut by a gap or by the flow's end, a malformed header. Null when both messages were whole."},
	}...),
}
