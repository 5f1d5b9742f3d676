// Package tls is the tls table's plugin: one row per TLS handshake, from
// the reassembled TCP streams (a flows.StreamHook). Each direction is cut
// into records; the plaintext handshake messages (ClientHello,
// ServerHello, the server's Certificate before TLS 1.3) are reassembled
// across records and segments and decoded by hand (Hello), and the
// fingerprints JA3, JA3S and JA4 are computed from them. Certificates
// are decoded with crypto/x509. A flow that does not begin with a hello,
// or whose row is written, is ignored (flows.Conn.Ignore): it costs the
// plugin nothing more until it ends.
//
// Buffer ownership: stream data is read during the call only; a
// direction keeps its incomplete handshake message (at most 256 KiB) and
// the flow keeps the fields of its row (the hellos' text, the first
// certificate's DER) until the row is written.
package tls
