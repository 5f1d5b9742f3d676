// Package http is the http table's plugin: one row per HTTP/1.x request
// and its response, parsed from the reassembled TCP streams (a
// flows.StreamHook). Each direction is a small state machine — start
// line, header lines, then a body framed by Content-Length, chunked
// coding or the end of the flow — that counts body bytes without keeping
// them. Requests wait in order for their responses (pipelining); a gap
// inside a body of known length is skipped, any other gap makes the
// direction search for the next start line.
//
// Buffer ownership: stream data is read during the call only; a
// direction keeps the bytes of its incomplete line (at most 16 KiB), and a
// transaction keeps copies of the fields the table writes until its row
// is written. Transactions are reused, so a long keep-alive flow does not
// allocate per request.
package http
