// Package sniff detects what a byte stream holds from its first bytes,
// never from a file name, in the manner of the standard library's
// image.RegisterFormat: a registry of magic strings, matched in order.
//
// Compressed streams (gzip, zstd, xz, bzip2) are unwrapped and sniffed
// again, so "dump.pcap.gz" and "dump.pcapng.zst" open like plain files.
// Anything that is not a capture is refused with an error saying what it
// looks like.
package sniff
