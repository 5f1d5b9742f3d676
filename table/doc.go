// Package table is the ground floor of pcap2table: generic schema primitives
// (columns, types, nullability, documentation) and typed column vectors that
// are filled row by row and handed to writers in batches.
//
// It knows nothing of packets. Each table is defined once, by the package
// that owns it (parsers defines "packets", flows defines "flows" and the
// protocol tables), and docs/schema.md is generated from those definitions.
//
// Buffer ownership: a Batch and its vectors belong to whoever holds the
// batch. Writers must not retain any slice of a batch after Write returns;
// the pipeline reuses batches.
package table
