package pcap2table

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"

	"github.com/pcap2table/pcap2table/table"
	"github.com/pcap2table/pcap2table/writers"
)

// sinkDepth is how many full batches of a table may wait for its encoder.
// The Parquet encoder spreads a batch's columns over the cores, so a
// batch seldom waits; with 4 the packets table alone held 17 MB of
// batches at the all-tables peak.
const sinkDepth = 2

// A sink is one output table: every table's rows reach their writer
// through one. Producers append rows to out; each full batch goes to the
// writer, on the sink's encoding goroutine (async) or at once.
type sink struct {
	muted  bool // its rows are dropped (replayRun.skip)
	def    *tableDef
	cols   []int  // the columns the writer reads
	name   string // the output as the user named it, for messages
	w      writers.Writer
	file   *writers.File    // the output file, or
	ds     *writers.Dataset // a partitioned dataset (--partition-by), or neither: stdout
	count  *countingWriter  // the bytes written to file or stdout
	out    *table.Output
	rows   uint64
	size   int // rows per batch
	async  bool
	full   chan *table.Batch
	free   chan *table.Batch
	made   int
	done   chan struct{}
	err    error // the writer's first error (the encoder's, once done)
	errSet atomic.Bool
}

// newSink creates the output of table t (cols: the columns written) as
// the plan says, under a temporary name until commit.
func newSink(t *tableDef, cols []int, p *plan, o *Options, live bool) (*sink, error) {
	sk := &sink{def: t, cols: cols, size: p.rows, async: p.jobs > 1}
	wopts := writers.Options{
		FlushEachBatch: live,
		Columns:        cols,
		TimeFormat:     o.TimeFormat,
		Compression:    o.Compression,
		RowGroupRows:   o.RowGroupRows,
		Jobs:           p.jobs,
		Metadata: map[string]string{
			"pcap2table.version":        Version,
			"pcap2table.table":          t.schema.Name,
			"pcap2table.schema_version": strconv.Itoa(t.schema.Version),
		},
	}
	if wopts.RowGroupRows == 0 {
		wopts.RowGroupRows = t.schema.RowGroupRows
	}
	if err := sk.open(t, p, o, wopts); err != nil {
		sk.abort()
		return nil, fmt.Errorf("writing %s: %w", sk.name, err)
	}
	sk.out = table.NewOutput(table.NewBatch(t.schema, p.rows), p.rows, sk.hand)
	return sk, nil
}

// open creates the output and its writer.
func (sk *sink) open(t *tableDef, p *plan, o *Options, wopts writers.Options) error {
	var err error
	switch {
	case p.by != 0:
		sk.name = filepath.Join(o.Output, t.schema.Name)
		if sk.ds, err = writers.NewDataset(sk.name, p.format, t.schema, p.by, wopts); err != nil {
			return err
		}
		sk.ds.Sync, sk.ds.MaxRows = o.Fsync, o.MaxFileRows
		sk.w = sk.ds
	case p.stdout:
		sk.name = "stdout"
		var w io.Writer = o.Stdout
		if w == nil {
			w = os.Stdout
		}
		sk.count = &countingWriter{w: w}
	default:
		sk.name = o.Output
		if p.folder {
			sk.name = filepath.Join(o.Output, t.schema.Name+p.format.Exts[0])
		}
		if sk.file, err = writers.Create(sk.name); err != nil {
			return err
		}
		sk.file.Sync = o.Fsync
		sk.count = &countingWriter{w: sk.file}
	}
	if sk.w == nil {
		sk.w, err = p.format.New(sk.count, t.schema, wopts)
	}
	return err
}

// start starts the sink's encoding goroutine, when it has one.
func (sk *sink) start() {
	if !sk.async {
		return
	}
	sk.full = make(chan *table.Batch, sinkDepth)
	sk.free = make(chan *table.Batch, sinkDepth+1)
	sk.done = make(chan struct{})
	sk.made = 1
	go func() {
		defer close(sk.done)
		for b := range sk.full {
			sk.write(b)
			b.Reset()
			sk.free <- b
		}
	}()
}

// write encodes a batch; the first error sticks and later batches are
// dropped.
func (sk *sink) write(b *table.Batch) {
	if sk.err != nil {
		return
	}
	if err := sk.w.Write(b); err != nil {
		sk.err = fmt.Errorf("writing %s: %w", sk.name, osCause(err))
		sk.errSet.Store(true)
	}
}

// hand takes a full batch from the producer and returns an empty one:
// the batch is encoded here, or handed to the encoding goroutine.
// Batches are made as needed, up to sinkDepth+1: a writer that keeps up
// (the flows table's, with a few rows per thousand packets) needs two,
// and memory first touched is not cheap.
func (sk *sink) hand(b *table.Batch) *table.Batch {
	if sk.muted {
		b.Reset() // rows of inputs read again only for their flows (watch)
		return b
	}
	sk.rows += uint64(b.N)
	if !sk.async {
		sk.write(b)
		b.Reset()
		return b
	}
	sk.full <- b
	select {
	case nb := <-sk.free:
		return nb
	default:
		if sk.made < sinkDepth+1 {
			sk.made++
			return table.NewBatch(sk.def.schema, sk.size)
		}
		return <-sk.free
	}
}

// failed reports whether the writer failed (from any goroutine).
func (sk *sink) failed() bool { return sk.errSet.Load() }

// close hands on the last rows, waits for the encoder and closes the
// writer (the format's footer); it returns the first error.
func (sk *sink) close() error {
	sk.out.Flush()
	sk.stop()
	if err := sk.w.Close(); err != nil && sk.err == nil {
		sk.err = fmt.Errorf("writing %s: %w", sk.name, osCause(err))
	}
	return sk.err
}

// stop ends the encoder, once the batches handed to it are encoded.
func (sk *sink) stop() {
	if sk.async && sk.full != nil {
		close(sk.full)
		<-sk.done
		sk.full = nil
	}
}

// commit puts the sink's output under its final name.
func (sk *sink) commit() error {
	var err error
	switch {
	case sk.file != nil:
		err = sk.file.Commit()
	case sk.ds != nil:
		err = sk.ds.Commit()
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", sk.name, osCause(err))
	}
	return nil
}

// osCause is the operating system's error under err, when there is one
// (no space left on device, file too large): what the user can act on,
// without the encoder's steps around it.
func osCause(err error) error {
	var en syscall.Errno
	if errors.As(err, &en) {
		return en
	}
	return err
}

// abort removes the sink's output (a no-op after commit).
func (sk *sink) abort() {
	switch {
	case sk.file != nil:
		sk.file.Abort()
	case sk.ds != nil:
		sk.ds.Abort()
	}
}

// stats says what the sink wrote.
func (sk *sink) stats() TableStats {
	ts := TableStats{Name: sk.def.schema.Name, Output: sk.name, Rows: sk.rows}
	switch {
	case sk.count != nil:
		ts.Bytes = sk.count.n
	case sk.ds != nil:
		ts.Bytes = sk.ds.Bytes()
	}
	return ts
}

// wants reports whether the sink's writer reads column col.
func (sk *sink) wants(col int) bool {
	for _, c := range sk.cols {
		if c == col {
			return true
		}
	}
	return false
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}
