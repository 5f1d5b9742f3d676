// Package writers encodes table batches as Parquet, Arrow IPC (file and
// stream), CSV and JSONL. A writer knows tables only through package table.
//
// Every writer has the same shape as encoding/csv.Writer and arrow-go's IPC
// writers: Write(batch) encodes one batch and Close writes the footer. The
// first error is sticky: every later call returns it. A writer never
// retains a batch after Write returns, so the caller may reuse it. Close
// does not close the underlying io.Writer; output files are made atomic by
// File (a temporary name renamed on Commit).
//
// Parquet is written column chunk by column chunk from the batches'
// vectors (parquet.go, parquet_column.go): dictionary indexes from tables
// of their own (parquet_dict.go), parquet-go's encodings, codecs and
// thrift structures, and the footer's schema as parquet-go writes it.
// CSV and JSONL share one text writer (text.go) whose per-column encoders
// are chosen once, when the writer is made.
package writers
