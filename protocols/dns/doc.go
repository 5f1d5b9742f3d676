// Package dns is the dns table's plugin: one row per DNS query and its
// response, from UDP messages (a flows.PacketHook) and from TCP streams
// (length-prefixed messages in the reassembled payload, a
// flows.StreamHook), paired by transaction id within the flow.
// Unanswered queries are written when their flow ends, unsolicited
// responses when they come. Messages are decoded with gopacket's
// layers.DNS into one reused struct.
//
// Buffer ownership: a packet's payload and a stream event's data are read
// during the call only; a TCP direction keeps the bytes of its incomplete
// message (at most one message, 65537 bytes) until the rest comes.
package dns
