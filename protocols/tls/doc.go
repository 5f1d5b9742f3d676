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
// QUIC connections give rows too (a flows.PacketHook on UDP flows): the
// Initial packets of QUIC versions 1 and 2 and of drafts 23 to 34 are
// protected with keys derived from the client's Destination Connection
// ID (RFC 9001 section 5.2), so the plugin removes their header
// protection, decrypts them (AES-128-GCM), and reassembles their CRYPTO
// frames, which may come out of order and across packets, into the same
// handshake messages. The rest of a QUIC handshake is encrypted with
// keys only the endpoints know: a QUIC row has the hellos, and is
// established once each side sent a 1-RTT packet. A UDP flow whose first
// datagram is not a client's Initial packet is ignored at once.
//
// Buffer ownership: stream data and datagrams are read during the call
// only (a QUIC packet is decrypted into the plugin's buffer, its CRYPTO
// data copied until it is in order, at most 256 KiB per direction); a
// direction keeps its incomplete handshake message (at most 256 KiB) and
// the flow keeps the fields of its row (the hellos' text, the first
// certificate's DER) until the row is written.
package tls
