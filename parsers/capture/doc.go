// Package capture reads packet captures: a Reader yields the packets of
// one pcap or pcapng stream (see Open), and Merge joins several readers
// into one stream in timestamp order.
//
// Buffer ownership follows gopacket: Packet.Data aliases the reader's
// buffer and is valid only until the next call to Next on the same source.
// Nothing on the per-packet path allocates.
//
// The readers are written here rather than taken from gopacket/pcapgo
// because every error must name the byte offset where the input went bad,
// a record with impossible lengths must stop that file rather than be
// skipped, and the read buffer must be large (pcapgo's pcapng reader uses a
// 4 KiB bufio buffer, measured 3x slower).
package capture
