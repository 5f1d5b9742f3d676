// Package pcap2table turns packet captures into analysis tables.
//
// Convert runs the one-pass pipeline (pipeline.go): it opens every input
// (pcap or pcapng, either byte order, µs or ns, optionally
// gzip/zstd/xz/bzip2-compressed), merges several inputs in timestamp
// order, decodes each packet into a row of the packets table, tracks
// flows and their protocols when a table needs them, and writes each
// requested table (packets, flows, dns, http, tls, beacons: TableNames) as
// Parquet, Arrow IPC, CSV or JSONL. Batches are recycled, so memory does
// not grow with the input; Options.Jobs sets how much runs in parallel,
// and the output is the same for any number. Scan reads and decodes
// without writing, for the inputs' statistics.
//
// docs/architecture.md draws the pipeline and says where each concern
// lives. The command-line tool (cmd/pcap2table) is a thin shell over this
// package.
package pcap2table
