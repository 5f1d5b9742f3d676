// Package parsers decodes packets into the packets table.
//
// A Decoder decodes a captured packet's (capture.Packet) link, network and
// transport headers into a reused PacketRow, which appends itself to a
// table.Batch of the packets table (Schema). The flow tracker (flows) reads
// the same rows.
//
// Buffer ownership follows gopacket: a PacketRow's byte slices (payloads,
// addresses) alias the packet's data and are valid only until the next
// packet is read. Nothing on the per-packet path allocates. Decoding uses
// gopacket's layers.
package parsers
