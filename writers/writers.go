package writers

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

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

// temporaries are the temporary outputs (files and dataset folders) not
// yet committed or aborted, for RemoveTemporaries.
var temporaries struct {
	sync.Mutex
	m map[string]bool
}

func track(path string) {
	temporaries.Lock()
	if temporaries.m == nil {
		temporaries.m = map[string]bool{}
	}
	temporaries.m[path] = true
	temporaries.Unlock()
}

func untrack(path string) {
	temporaries.Lock()
	delete(temporaries.m, path)
	temporaries.Unlock()
}

// RemoveTemporaries removes every temporary output not yet committed or
// aborted (a File's temporary file, a Dataset's temporary folder), for a
// process that is about to exit at once (a second interrupt). It may run
// concurrently with writing; whatever was committed stays.
func RemoveTemporaries() {
	temporaries.Lock()
	defer temporaries.Unlock()
	for p := range temporaries.m {
		os.RemoveAll(p)
	}
	clear(temporaries.m)
}

// File is an output file written under a temporary name in the same folder
// and renamed to its final name by Commit, so that a failed run leaves no
// half-written file under the final name.
type File struct {
	*os.File
	final string
	done  bool
	// Sync makes Commit fsync the file before renaming it, so that it also
	// survives a power loss or kernel crash (the rename alone already
	// guarantees that the final name holds a whole file or none after any
	// failure of the process).
	Sync bool
}

// Create opens a temporary file beside path.
func Create(path string) (*File, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	tmp := filepath.Join(dir, "."+base+".tmp-"+hex.EncodeToString(rnd[:]))
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, plainErr(err)
	}
	track(tmp)
	return &File{File: f, final: path}, nil
}

// TempName is the temporary name of the file.
func (f *File) TempName() string { return f.File.Name() }

// Write writes to the temporary file; an error does not name it (the
// caller names the output).
func (f *File) Write(b []byte) (int, error) {
	n, err := f.File.Write(b)
	return n, plainErr(err)
}

// Commit closes the file (after an fsync if Sync is set) and renames it to
// its final name.
func (f *File) Commit() error {
	if f.done {
		return nil
	}
	f.done = true
	tmp := f.File.Name()
	var err error
	if f.Sync {
		err = f.File.Sync()
	}
	if cerr := f.File.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, f.final)
	}
	if err != nil {
		os.Remove(tmp)
	}
	untrack(tmp)
	return plainErr(err)
}

// plainErr is err without the path or paths of a *fs.PathError or
// *os.LinkError, which name the temporary output: the caller names the
// output the user asked for instead. errors.Is still sees the cause.
func plainErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// Abort closes and removes the temporary file. It is a no-op after Commit.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.File.Close()
	os.Remove(f.File.Name())
	untrack(f.File.Name())
}
