package writers

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/pcap2table/pcap2table/table"
)

// Writer encodes batches of one table.
type Writer interface {
	// Write encodes b. The writer does not keep b.
	Write(b *table.Batch) error
	// Close flushes and writes the format's footer, if any.
	Close() error
}

// TimeFormat selects how text formats write timestamps.
type TimeFormat uint8

// Time formats.
const (
	RFC3339 TimeFormat = iota // 2024-01-02T03:04:05.123456789Z, always 9 digits
	Epoch                     // 1704164645.123456789 (seconds, exact decimal)
	EpochNs                   // 1704164645123456789
	EpochUs                   // 1704164645123456 (floored)
)

// ParseTimeFormat parses a --time-format value.
func ParseTimeFormat(s string) (TimeFormat, error) {
	switch s {
	case "rfc3339", "":
		return RFC3339, nil
	case "epoch":
		return Epoch, nil
	case "epoch_ns":
		return EpochNs, nil
	case "epoch_us":
		return EpochUs, nil
	}
	return 0, fmt.Errorf("unknown time format %q (want rfc3339, epoch, epoch_ns or epoch_us)", s)
}

// Options configure a writer.
type Options struct {
	// Columns are the indexes of the schema's columns to write, in order.
	// Nil writes every column.
	Columns []int
	// TimeFormat is used by CSV and JSONL.
	TimeFormat TimeFormat
	// Compression: Parquet zstd (default), snappy, gzip, lz4, none;
	// Arrow IPC none (default), zstd, lz4.
	Compression string
	// Metadata is written as key-value metadata (Parquet, Arrow).
	Metadata map[string]string
	// RowGroupRows bounds Parquet row groups (default DefaultRowGroupRows).
	RowGroupRows int
	// FlushEachBatch makes text writers flush their buffer after every
	// batch, for live inputs read by a consumer as they are written.
	FlushEachBatch bool
	// Jobs is how many cores a writer may keep busy encoding a batch:
	// with more than one, Parquet encodes each column on a goroutine of
	// its own and CSV/JSONL format large batches in up to Jobs chunks at
	// once; 0 or 1: the caller's goroutine alone.
	Jobs int
}

// DefaultRowGroupRows is the default size of a Parquet row group.
const DefaultRowGroupRows = 1 << 20

func (o *Options) columns(s *table.Schema) []int {
	if o.Columns != nil {
		return o.Columns
	}
	c := make([]int, len(s.Columns))
	for i := range c {
		c[i] = i
	}
	return c
}

// Format is a registered output format.
type Format struct {
	Name string
	Exts []string // file extensions, with the dot
	// Binary formats are refused on a terminal.
	Binary bool
	New    func(w io.Writer, s *table.Schema, o Options) (Writer, error)
}

var formats []Format

// Register adds an output format.
func Register(f Format) { formats = append(formats, f) }

func init() {
	Register(Format{Name: "parquet", Exts: []string{".parquet", ".pq"}, Binary: true, New: NewParquet})
	Register(Format{Name: "arrow", Exts: []string{".arrow", ".feather", ".ipc"}, Binary: true, New: NewArrowFile})
	Register(Format{Name: "arrows", Exts: []string{".arrows"}, Binary: true, New: NewArrowStream})
	Register(Format{Name: "csv", Exts: []string{".csv"}, New: NewCSV})
	Register(Format{Name: "jsonl", Exts: []string{".jsonl", ".ndjson", ".json"}, New: NewJSONL})
}

// Names lists the registered format names.
func Names() []string {
	n := make([]string, len(formats))
	for i, f := range formats {
		n[i] = f.Name
	}
	return n
}

// Lookup finds a format by name.
func Lookup(name string) (Format, bool) {
	for _, f := range formats {
		if f.Name == name {
			return f, true
		}
	}
	return Format{}, false
}

// ByExtension finds a format from a file name's extension.
func ByExtension(path string) (Format, bool) {
	ext := strings.ToLower(filepath.Ext(path))
	for _, f := range formats {
		for _, e := range f.Exts {
			if e == ext {
				return f, true
			}
		}
	}
	return Format{}, false
}
