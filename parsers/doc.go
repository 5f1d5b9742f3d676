// Package parsers reads packet captures and decodes packets.
//
// A Source yields packets from one pcap or pcapng stream (see Open); Merge
// joins several sources into one stream in timestamp order; a Decoder
// decodes a packet's link, network and transport headers into a reused
// PacketRow, which appends itself to a table.Batch of the packets table
// (PacketsSchema).
//
// Buffer ownership follows gopacket: Packet.Data aliases the reader's
// buffer and is valid only until the next call to Next on the same source.
// Nothing on the per-packet path allocates.
//
// The readers are written here rather than taken from gopacket/pcapgo
// because every error must name the byte offset where the input went bad,
// a record with impossible lengths must stop that file rather than be
// skipped, and the read buffer must be large (pcapgo's pcapng reader uses a
// 4 KiB bufio buffer, measured 3x slower). Decoding uses gopacket's layers.
package parsers
