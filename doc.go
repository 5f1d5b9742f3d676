// Package pcap2table turns packet captures into analysis tables.
//
// Convert runs the one-pass pipeline: it opens every input (pcap or pcapng,
// either byte order, µs or ns, optionally gzip/zstd/xz/bzip2-compressed),
// merges several inputs in timestamp order, decodes each packet into a row
// of the packets table and writes batches of rows as Parquet, Arrow IPC,
// CSV or JSONL. Reading and decoding run on the calling goroutine, encoding
// on another; batches are recycled, so memory does not grow with the input.
//
// The command-line tool (cmd/pcap2table) is a thin shell over this package.
package pcap2table
