package pcap2table

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/parsers"
	"github.com/pcap2table/pcap2table/parsers/capture"
	"github.com/pcap2table/pcap2table/sniff"
	"github.com/pcap2table/pcap2table/table"
	"github.com/pcap2table/pcap2table/writers"
)

// Version is the tool version, written into every output's metadata.
var Version = "0.1.0-dev"

// Errors returned by Convert and Scan (wrapped; test with errors.Is).
var (
	// ErrPartial: an input was cut short or corrupt. Every packet before the
	// damage was converted and the output is complete and valid.
	ErrPartial = errors.New("partial input")
	// ErrInterrupted: the context was canceled. The output is valid and
	// holds what was converted before.
	ErrInterrupted = errors.New("interrupted")
)

// DefaultBatchRows is the number of rows per batch.
const DefaultBatchRows = 8192

// Options configure Convert and Scan.
type Options struct {
	// Output is the output file; "" writes to Stdout. With several
	// tables (or when it names a folder, or ends in a slash) it is a
	// folder, created if missing, that receives <table>.<ext> per table.
	Output string
	// Tables names the tables to write (default: packets), all in one
	// pass over the input: see TableNames.
	Tables []string
	// Flows configures the flow tracker (timeouts, Community ID seed);
	// nil: flows.DefaultConfig.
	Flows *flows.Config
	// Stdout receives the table when Output is "".
	Stdout io.Writer
	// Stdin is read for the input "-".
	Stdin io.Reader
	// Format is a writers format name ("parquet", "arrow", "arrows", "csv",
	// "jsonl"); "" picks it from Output's extension, or JSONL for Stdout.
	Format string
	// Columns selects and orders the columns of the (single) table; nil: all.
	Columns []string
	// TimeFormat for CSV and JSONL.
	TimeFormat writers.TimeFormat
	// Compression is passed to the writer ("" = its default).
	Compression string
	// BatchRows is the number of rows per batch (default DefaultBatchRows).
	BatchRows int
	// RowGroupRows bounds Parquet row groups (default: the table's
	// preference, table.Schema.RowGroupRows, else 1 Mi rows).
	RowGroupRows int
	// OnWarning is called (from the reading goroutine) for each input that
	// is cut short or corrupt, as soon as it is found.
	OnWarning func(error)
	// Fsync makes the output file durable (fsync before the rename).
	Fsync bool
	// PartitionBy ("hour" or "day") writes each table as a Hive-style
	// partitioned dataset, OUTPUT/<table>/date=.../hour=.../part-NNNNN.<ext>
	// (writers.Dataset); Output is then a folder. "": one file per table.
	PartitionBy string
	// MaxFileRows bounds the rows of one file of a partitioned dataset
	// (default writers.DefaultMaxFileRows).
	MaxFileRows int
	// Progress, if not nil, is updated while reading.
	Progress *Progress
	// BeaconMinConns is the fewest connections a pair needs for a row of
	// the beacons table (0: beacons.DefaultMinConns).
	BeaconMinConns int
	// BeaconMaxPairs bounds the pairs below BeaconMinConns that the
	// beacons table keeps (0: beacons.DefaultMaxPairs).
	BeaconMaxPairs int
}

// Progress counts what was read so far; fields are updated atomically.
type Progress struct {
	BytesRead  atomic.Int64 // bytes of input files read (compressed size)
	BytesTotal atomic.Int64 // total size of the input files, 0 if unknown
	Packets    atomic.Int64
}

// FileStats summarizes one input.
type FileStats struct {
	Name        string            `json:"file"`
	Format      string            `json:"format"`
	Detail      string            `json:"detail"`
	Compression []string          `json:"compression,omitempty"`
	LinkTypes   []string          `json:"link_types"`
	SnapLen     uint32            `json:"snaplen"`
	Packets     uint64            `json:"packets"`
	FirstTS     int64             `json:"first_ts_ns"`    // of the first packet with a timestamp
	LastTS      int64             `json:"last_ts_ns"`     // of the last one
	Earliest    int64             `json:"earliest_ts_ns"` // differs from FirstTS when time goes backwards
	Latest      int64             `json:"latest_ts_ns"`
	NoTimestamp uint64            `json:"packets_without_timestamp"`
	WireBytes   uint64            `json:"bytes_on_wire"`
	CapBytes    uint64            `json:"bytes_captured"`
	Truncated   uint64            `json:"packets_truncated"` // caplen < length
	Backwards   uint64            `json:"timestamps_backwards"`
	DecodeErrs  map[string]uint64 `json:"decode_errors"`
	Error       string            `json:"error,omitempty"` // why the file stopped early
	ErrorOffset int64             `json:"error_offset,omitempty"`
}

// Stats is what Convert and Scan saw.
type Stats struct {
	Files []*FileStats `json:"files"`
	Total FileStats    `json:"total"`
	Rows  uint64       `json:"rows_written"`
	// Flows is the number of flows tracked (when a flows table or the
	// packets' flow columns were written).
	Flows uint64 `json:"flows,omitempty"`
	// PeakFlows is the most flows live at once (what memory holds).
	PeakFlows uint64 `json:"peak_live_flows,omitempty"`
	// FlowsEvicted counts the flows ended early at the bound of live flows
	// (flows.Config.MaxFlows).
	FlowsEvicted uint64 `json:"flows_evicted,omitempty"`
	// ReassemblyCapHits counts the TCP streams that gave up holes because
	// a reassembly cap was reached.
	ReassemblyCapHits uint64 `json:"reassembly_cap_hits,omitempty"`
	// Datagrams counts the IP datagrams reassembled from fragments,
	// DatagramsIncomplete those given up incomplete (timeout, cap, end of
	// input), and FragmentsUnassigned the fragments of incomplete
	// datagrams whose first fragment never came (they count in no flow).
	Datagrams           uint64 `json:"datagrams_reassembled,omitempty"`
	DatagramsIncomplete uint64 `json:"datagrams_incomplete,omitempty"`
	FragmentsUnassigned uint64 `json:"fragments_unassigned,omitempty"`
	// PluginPanics counts, by table, the protocol plugins' hook calls
	// that failed (a plugin bug; the flow's other rows and every other
	// flow were kept).
	PluginPanics map[string]uint64 `json:"plugin_panics,omitempty"`
}

type input struct {
	name   string
	closer io.Closer
	stream *sniff.Stream
	reader capture.Reader
	// live: stdin, a pipe or a device; its reads may block for as long as
	// the capture is idle.
	live bool
}

// errStopped ends the reads of a live input when the run is interrupted.
var errStopped = errors.New("stopped")

// interruptible reads r on its own goroutine through a pipe, so that a
// read blocked on an idle live input ends when ctx is done.
func interruptible(ctx context.Context, r io.Reader) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		buf := make([]byte, 256<<10)
		for {
			n, err := r.Read(buf)
			if n > 0 {
				if _, werr := pw.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				pw.CloseWithError(err)
				return
			}
		}
	}()
	context.AfterFunc(ctx, func() { pr.CloseWithError(errStopped) })
	return pr
}

type countingReader struct {
	r io.Reader
	p *Progress
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.p.BytesRead.Add(int64(n))
	return n, err
}

// openInputs opens and sniffs every input before anything is written, so
// that a bad input is refused without leaving an output behind.
func openInputs(ctx context.Context, names []string, o *Options) ([]*input, error) {
	var ins []*input
	fail := func(err error) ([]*input, error) {
		closeInputs(ins)
		return nil, err
	}
	stdinUsed := false
	for i, name := range names {
		var r io.Reader
		in := &input{name: name}
		if name == "-" {
			if stdinUsed {
				return fail(fmt.Errorf("pcap2table: stdin (-) given twice"))
			}
			stdinUsed = true
			r = o.Stdin
			if r == nil {
				r = os.Stdin
			}
			in.live = true
		} else {
			f, err := os.Open(name)
			if err != nil {
				return fail(fmt.Errorf("pcap2table: %w", err))
			}
			if st, err := f.Stat(); err == nil && st.IsDir() {
				f.Close()
				return fail(fmt.Errorf("pcap2table: %s: is a directory", name))
			} else if err == nil && !st.Mode().IsRegular() {
				in.live = true // a named pipe or a device
			} else if err == nil && o.Progress != nil {
				o.Progress.BytesTotal.Add(st.Size())
			}
			in.closer, r = f, f
		}
		if in.live {
			r = interruptible(ctx, r)
		}
		if o.Progress != nil {
			r = &countingReader{r: r, p: o.Progress}
		}
		ins = append(ins, in)
		s, err := sniff.Open(r, capture.ReadBufferSize)
		if err != nil {
			var nc *sniff.NotCaptureError
			if errors.As(err, &nc) {
				// its first bytes say what it is: the offset is 0
				return fail(fmt.Errorf("pcap2table: %s: offset 0: %w", name, err))
			}
			return fail(fmt.Errorf("pcap2table: %s: %w", name, err))
		}
		in.stream = s
		rd, err := capture.Open(s, i, name)
		if err != nil {
			var ie *capture.InputError
			if errors.As(err, &ie) {
				return fail(fmt.Errorf("pcap2table: %w", err))
			}
			return fail(err)
		}
		in.reader = rd
	}
	return ins, nil
}

func closeInputs(ins []*input) {
	for _, in := range ins {
		if in.stream != nil {
			in.stream.Close()
		}
		if in.closer != nil {
			in.closer.Close()
		}
	}
}

// sink is one output table: its writer, file, and the batches moving
// between the decoding goroutine and the sink's encoding goroutine.
type sink struct {
	schema *table.Schema
	w      writers.Writer
	file   *writers.File
	ds     *writers.Dataset // instead of file, with --partition-by
	name   string           // the output's final name, for errors
	cols   []int            // the columns the writer reads

	full, free chan *table.Batch
	made       int          // batches made
	batch      *table.Batch // being filled by the decoding goroutine (a plugin's: by the tracking one)
	err        error        // the writer's first error
	errSet     atomic.Bool
}

// commit puts the sink's output under its final name.
func (sk *sink) commit() error {
	switch {
	case sk.file != nil:
		return sk.file.Commit()
	case sk.ds != nil:
		return sk.ds.Commit()
	}
	return nil
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

// Convert converts the inputs to the requested tables in one pass. It
// returns the stats and nil, or an error wrapping ErrPartial (some input
// was damaged: the outputs are complete for what could be read),
// ErrInterrupted (ctx was canceled: the outputs are valid and hold what
// was converted), or another error (no output file is left behind).
func Convert(ctx context.Context, inputs []string, o Options) (*Stats, error) {
	if len(inputs) == 0 {
		return nil, errors.New("pcap2table: no input")
	}
	names, err := pickTables(o.Tables)
	if err != nil {
		return nil, err
	}
	var by writers.Partitioning
	if o.PartitionBy != "" {
		if by, err = writers.ParsePartitioning(o.PartitionBy); err != nil {
			return nil, &UsageError{Msg: fmt.Sprintf("unknown --partition-by %q (want hour or day)", o.PartitionBy)}
		}
		if o.Output == "" {
			return nil, &UsageError{Msg: "--partition-by writes datasets into a folder: give -o FOLDER"}
		}
	}
	folder := by != 0 || len(names) > 1 || strings.HasSuffix(o.Output, "/") || strings.HasSuffix(o.Output, string(filepath.Separator))
	if !folder && o.Output != "" {
		if st, err := os.Stat(o.Output); err == nil && st.IsDir() {
			folder = true
		}
	}
	if folder && o.Output == "" {
		return nil, &UsageError{Msg: fmt.Sprintf("%d tables need -o FOLDER (one file per table)", len(names))}
	}
	if len(o.Columns) > 0 && len(names) > 1 {
		return nil, &UsageError{Msg: "--columns selects the columns of a single table; with several tables every column is written"}
	}
	var format writers.Format
	if folder {
		name := o.Format
		if name == "" {
			name = "parquet"
		}
		f, ok := writers.Lookup(name)
		if !ok {
			return nil, &UsageError{Msg: fmt.Sprintf("unknown format %q (want one of %v)", name, writers.Names())}
		}
		format = f
	} else if format, err = pickFormat(&o); err != nil {
		return nil, err
	}
	schemas := make([]*table.Schema, len(names))
	colss := make([][]int, len(names))
	for i, n := range names {
		schemas[i] = Schema(n)
		if colss[i], err = schemas[i].Projection(o.Columns); err != nil {
			return nil, &UsageError{Msg: strings.TrimPrefix(err.Error(), "table: ")}
		}
	}
	ins, err := openInputs(ctx, inputs, &o)
	if err != nil {
		return nil, err
	}
	defer closeInputs(ins)
	if folder {
		if err := os.MkdirAll(o.Output, 0o777); err != nil {
			return nil, fmt.Errorf("pcap2table: %w", err)
		}
	}
	live := false
	for _, in := range ins {
		live = live || in.live
	}
	var sinks []*sink
	abort := func() {
		for _, sk := range sinks {
			sk.abort()
		}
	}
	for i, sc := range schemas {
		sk := &sink{schema: sc, cols: colss[i]}
		var out io.Writer = o.Stdout
		path := o.Output
		if folder {
			path = filepath.Join(o.Output, sc.Name+format.Exts[0])
		}
		sk.name = cmp.Or(path, "stdout")
		if by != 0 {
			sk.name = filepath.Join(o.Output, sc.Name)
			path = ""
		} else if path != "" {
			if sk.file, err = writers.Create(path); err != nil {
				abort()
				return nil, err
			}
			sk.file.Sync = o.Fsync
			out = sk.file
		} else if out == nil {
			out = os.Stdout
		}
		sinks = append(sinks, sk)
		wopts := writers.Options{
			FlushEachBatch: live,
			Columns:        sk.cols,
			TimeFormat:     o.TimeFormat,
			Compression:    o.Compression,
			RowGroupRows:   cmp.Or(o.RowGroupRows, sc.RowGroupRows),
			Metadata: map[string]string{
				"pcap2table.version":        Version,
				"pcap2table.table":          sc.Name,
				"pcap2table.schema_version": strconv.Itoa(sc.Version),
			},
		}
		if by != 0 {
			if sk.ds, err = writers.NewDataset(filepath.Join(o.Output, sc.Name), format, sc, by, wopts); err != nil {
				abort()
				return nil, err
			}
			sk.ds.Sync, sk.ds.MaxRows = o.Fsync, o.MaxFileRows
			sk.w = sk.ds
		} else if sk.w, err = format.New(out, sc, wopts); err != nil {
			abort()
			return nil, err
		}
	}
	return run(ctx, ins, &o, sinks)
}

// pickTables checks and dedupes the table names (default: packets).
func pickTables(names []string) ([]string, error) {
	if len(names) == 0 {
		return []string{parsers.Schema.Name}, nil
	}
	var out []string
	seen := map[string]bool{}
	for _, n := range names {
		n = strings.TrimSpace(n)
		if Schema(n) == nil {
			return nil, &UsageError{Msg: fmt.Sprintf("unknown table %q (tables: %s)", n, strings.Join(TableNames(), ", "))}
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out, nil
}

// Scan reads and decodes the inputs without writing a table, for stats.
func Scan(ctx context.Context, inputs []string, o Options) (*Stats, error) {
	if len(inputs) == 0 {
		return nil, errors.New("pcap2table: no input")
	}
	ins, err := openInputs(ctx, inputs, &o)
	if err != nil {
		return nil, err
	}
	defer closeInputs(ins)
	return run(ctx, ins, &o, nil)
}

func pickFormat(o *Options) (writers.Format, error) {
	if o.Format != "" {
		f, ok := writers.Lookup(o.Format)
		if !ok {
			return f, &UsageError{Msg: fmt.Sprintf("unknown format %q (want one of %v)", o.Format, writers.Names())}
		}
		return f, nil
	}
	if o.Output == "" {
		f, _ := writers.Lookup("jsonl")
		return f, nil
	}
	f, ok := writers.ByExtension(o.Output)
	if !ok {
		return f, &UsageError{Msg: fmt.Sprintf("cannot tell the format from %q: use an extension (.parquet, .arrow, .arrows, .csv, .jsonl) or --format", o.Output)}
	}
	return f, nil
}

// UsageError is an error in how the tool was called.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return "pcap2table: " + e.Msg }

// linkTypeName names a link type for stats.
func linkTypeName(t layers.LinkType) string {
	n := strconv.Itoa(int(t))
	switch t {
	case 12, 14:
		return "Raw IP (" + n + ")"
	case 50:
		return "PPP in HDLC (" + n + ")"
	case 51:
		return "PPPoE (" + n + ")"
	}
	// LinkTypeMetadata is a fixed-size array: index it only within bounds.
	if int(t) < len(layers.LinkTypeMetadata) && layers.LinkTypeMetadata[t].Name != "" {
		return layers.LinkTypeMetadata[t].Name + " (" + n + ")"
	}
	return "unknown (" + n + ")"
}

// run is the pipeline: read, merge, decode and track flows here; each
// table is encoded on its own goroutine. The first error wins. With no
// sinks (Scan) nothing is written.
func run(ctx context.Context, ins []*input, o *Options, sinks []*sink) (*Stats, error) {
	batchRows := o.BatchRows
	if batchRows <= 0 {
		batchRows = DefaultBatchRows
	}
	names := make([]string, len(ins))
	srcs := make([]capture.Source, len(ins))
	st := &Stats{Files: make([]*FileStats, len(ins))}
	for i, in := range ins {
		names[i] = in.name
		srcs[i] = in.reader
		info := in.reader.Info()
		st.Files[i] = &FileStats{Name: in.name, Format: info.Format, Detail: info.Detail,
			Compression: info.Wrappers, SnapLen: info.SnapLen, DecodeErrs: map[string]uint64{}}
	}
	var partial []error
	merge := capture.NewMerge(srcs, func(i int, err error) {
		if ctx.Err() != nil {
			return // the interruption closed a live input: not damage
		}
		fs := st.Files[i]
		fs.Error = err.Error()
		var ie *capture.InputError
		if errors.As(err, &ie) {
			fs.ErrorOffset = ie.Offset
		}
		partial = append(partial, err)
		if o.OnWarning != nil {
			o.OnWarning(err)
		}
	})

	// The sinks: packets, flows, and the plugins' tables.
	var pk, fl *sink
	var plugged []*sink
	for _, sk := range sinks {
		switch sk.schema {
		case parsers.Schema:
			pk = sk
		case flows.Schema:
			fl = sk
		default:
			plugged = append(plugged, sk)
		}
	}
	// The flow trackers: one per core (-j), each fed the flows its shard
	// names; the outputs are the same for any number (flows.Shards).
	var tracker *flows.Shards
	if fl != nil || len(plugged) > 0 || (pk != nil && (wants(pk, parsers.ColFlowID) || wants(pk, parsers.ColCommunityID))) {
		cfg := flows.DefaultConfig()
		if o.Flows != nil {
			cfg = *o.Flows
		}
		tracker = flows.NewShards(cfg, runtime.GOMAXPROCS(0))
		defer tracker.Stop()
	}

	// Encoding goroutines, one per table.
	var wg sync.WaitGroup
	const depth = 4
	for _, sk := range sinks {
		sk.full = make(chan *table.Batch, depth)
		sk.free = make(chan *table.Batch, depth+1)
		sk.batch = table.NewBatch(sk.schema, batchRows)
		sk.made = 1
		wg.Add(1)
		go func(sk *sink) {
			defer wg.Done()
			for b := range sk.full {
				if sk.err == nil {
					if err := sk.w.Write(b); err != nil {
						sk.err = fmt.Errorf("pcap2table: writing %s: %w", sk.name, err)
						sk.errSet.Store(true)
					}
				}
				b.Reset()
				sk.free <- b
			}
		}(sk)
	}
	// hand sends the sink's batch to its goroutine and takes a free one.
	// Batches are made as needed, up to depth+1: a writer that keeps up
	// (the flows table's, with a few rows per thousand packets) needs two,
	// and memory first touched is not cheap.
	hand := func(sk *sink) {
		sk.full <- sk.batch
		select {
		case sk.batch = <-sk.free:
		default:
			if sk.made < depth+1 {
				sk.batch = table.NewBatch(sk.schema, batchRows)
				sk.made++
			} else {
				sk.batch = <-sk.free
			}
		}
	}
	werr := func() bool {
		for _, sk := range sinks {
			if sk.errSet.Load() {
				return true
			}
		}
		return false
	}

	// Two stages: this goroutine reads, merges and decodes packets into
	// batches of rows; process runs the flow trackers over a batch (the
	// first on its own goroutine, the others on theirs: flows.Shards) and
	// moves its rows into the tables' batches. With trackers and more
	// than one core, process runs on a second goroutine, so tracking
	// overlaps with reading and decoding. A row's byte
	// slices point into the reader's buffer, which the next packet reuses:
	// the bytes the tracker reads are copied with the rows
	// (Tracker.Retain); the columns hold values only. Without a tracker
	// (the packets table alone) process runs here: the hand-over cost
	// more than the moving of rows it took off this goroutine.
	type rowBatch struct {
		rows  []parsers.PacketRow
		n     int
		arena []byte // the bytes Retain kept for rows[:n]
		flush bool   // hand every table's partial batch over after these
	}
	var (
		pkt  capture.Packet
		dec  parsers.Decoder
		rows uint64
		rerr error
		scan parsers.PacketRow // decoded here when there is no second stage
		// A live input (stdin, a pipe) may trickle: a ticker hands partial
		// batches on after a quiet half second, so rows show up while the
		// capture runs. mu guards the current row batch then.
		mu   sync.Mutex
		live bool
		sent atomic.Int64 // batches handed over, to see activity
	)
	staged := pk != nil || tracker != nil
	// With one core (-j 1) every stage takes turns on it: the tracking
	// stage then runs here, as the hand-over would only cost.
	threaded := tracker != nil && runtime.GOMAXPROCS(0) > 1
	const rowDepth = 3
	full := make(chan *rowBatch, rowDepth)
	free := make(chan *rowBatch, rowDepth+1)
	var cur *rowBatch
	// The arena a batch's retained bytes go to, made at its usual size at
	// once: grown from nothing it was reallocated 30 times per batch,
	// and each first touch of memory costs a page fault (0.2 s of CPU on
	// the decoding goroutine over the bench capture's 2 M packets).
	// 512 bytes a row, or the snap length when captures keep less (a
	// short snap length's arenas stay small: their memory would only add
	// to the peak).
	arenaSize := 0
	if tracker != nil {
		per := 0
		for _, fs := range st.Files {
			if fs.SnapLen == 0 || fs.SnapLen > 512 {
				per = 512
				break
			}
			per = max(per, int(fs.SnapLen))
		}
		arenaSize = batchRows * per
	}
	if staged {
		n := 1
		if threaded {
			n = rowDepth + 1
		}
		for range n {
			free <- &rowBatch{rows: make([]parsers.PacketRow, batchRows), arena: make([]byte, 0, arenaSize)}
		}
		cur = <-free
	}

	// The plugins, registered in the order of the protocols list; their
	// rows are merged into their sinks' batches on the tracking goroutine.
	for _, pr := range protocols {
		for _, sk := range plugged {
			if sk.schema != pr.schema {
				continue
			}
			out := flows.NewOutput(&sk.batch, batchRows, func() {
				hand(sk)
				sent.Add(1)
			})
			if err := tracker.Register(func(out *flows.Output) flows.Plugin { return pr.new(out, o) }, out); err != nil {
				return nil, err
			}
		}
	}
	// The rows of ended flows go into the flows batch, handing full
	// batches over.
	if tracker != nil && fl != nil {
		tracker.OnFlow = func(row *flows.Row) {
			row.AppendTo(fl.batch, fl.cols)
			if fl.batch.Len() == batchRows {
				hand(fl)
				sent.Add(1)
			}
		}
	}
	handAll := func() {
		for _, sk := range sinks {
			if sk.batch.Len() > 0 {
				hand(sk)
				sent.Add(1)
			}
		}
	}
	process := func(b *rowBatch) {
		if tracker != nil {
			tracker.Observe(b.rows[:b.n])
		}
		if pk != nil && b.n > 0 {
			// a batch of rows is a batch of the table, or (flushed) less
			parsers.AppendRows(pk.batch, b.rows[:b.n], names, pk.cols)
			if pk.batch.Len() >= batchRows {
				hand(pk)
				sent.Add(1)
			}
		}
		if b.flush {
			handAll()
		}
		b.n, b.arena = 0, b.arena[:0]
	}
	// finish ends the flows still open and closes the tables' batches.
	finish := func() {
		if tracker != nil {
			// Flows still open at the end of the input (or at the
			// interruption) end with end_reason eof, a chunk at a time:
			// a million open flows are not held as rows all at once.
			tracker.Close()
		}
		if len(sinks) > 0 {
			handAll()
			for _, sk := range sinks {
				sk.batch = nil
				close(sk.full)
			}
		}
	}
	// send hands the current row batch on: to the tracking goroutine, or
	// through process here.
	send := func(flush bool) {
		cur.flush = flush
		sent.Add(1)
		if !threaded {
			process(cur)
			return
		}
		full <- cur
		cur = <-free
	}
	trackDone := make(chan struct{})
	if threaded {
		go func() {
			defer close(trackDone)
			for b := range full {
				process(b)
				free <- b
			}
			finish()
		}()
	} else {
		close(trackDone)
	}

	for _, in := range ins {
		live = live || in.live
	}
	if staged && live {
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			t := time.NewTicker(500 * time.Millisecond)
			defer t.Stop()
			last := sent.Load()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
				}
				mu.Lock()
				if n := sent.Load(); n == last && cur != nil {
					send(true)
				}
				last = sent.Load()
				mu.Unlock()
			}
		}()
	}
	lastTS := make([]int64, len(ins))
	for i := range lastTS {
		lastTS[i] = -1 << 63
	}
	for {
		err := merge.Next(&pkt)
		if err == io.EOF {
			break
		}
		if err != nil {
			rerr = err
			break
		}
		fs := st.Files[pkt.File]
		if live {
			mu.Lock()
		}
		row := &scan
		if staged {
			row = &cur.rows[cur.n]
		}
		dec.Decode(&pkt, row)
		fs.count(&pkt, row, lastTS)
		handed := false
		if staged {
			if tracker != nil {
				cur.arena = tracker.Retain(row, cur.arena)
			}
			rows++
			if cur.n++; cur.n == batchRows {
				send(false)
				handed = true
			}
		} else if fs.Packets%8192 == 0 {
			handed = true
		}
		if live {
			mu.Unlock()
		}
		// Once per batch: progress, a writer's error, an interruption.
		if handed {
			if o.Progress != nil {
				o.Progress.Packets.Store(int64(st.totalPackets()))
			}
			if werr() || ctx.Err() != nil {
				break
			}
		}
	}
	if staged {
		mu.Lock()
		if cur.n > 0 {
			send(false)
		}
		cur = nil // the ticker stops sending
		close(full)
		mu.Unlock()
		if !threaded {
			finish()
		}
	}
	<-trackDone
	if len(sinks) > 0 {
		wg.Wait()
		if pk != nil {
			st.Rows = rows
		}
	}

	if o.Progress != nil {
		o.Progress.Packets.Store(int64(st.totalPackets()))
	}
	if tracker != nil {
		c := tracker.Counters()
		st.Flows = c.Ended
		st.PeakFlows = c.PeakLive
		st.FlowsEvicted = c.Evicted
		st.ReassemblyCapHits = c.CapHits
		st.Datagrams, st.DatagramsIncomplete, st.FragmentsUnassigned = c.Datagrams, c.Incomplete, c.Unassigned
		st.PluginPanics = c.PluginPanics
	}
	for i, in := range ins {
		for _, lt := range in.reader.Info().LinkTypes {
			st.Files[i].LinkTypes = append(st.Files[i].LinkTypes, linkTypeName(lt))
		}
	}
	st.total()

	// Finalize the outputs: valid in every outcome but a write error.
	var ferr error
	for _, sk := range sinks {
		err := sk.err
		if cerr := sk.w.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("pcap2table: writing %s: %w", sk.name, cerr)
		}
		if err != nil && ferr == nil {
			ferr = err
		}
	}
	if ferr == nil && rerr == nil {
		for _, sk := range sinks {
			if err := sk.commit(); err != nil && ferr == nil {
				ferr = err
			}
		}
	}
	if ferr != nil || rerr != nil {
		for _, sk := range sinks {
			sk.abort()
		}
		if ferr == nil {
			ferr = rerr
		}
		return st, ferr
	}
	if ctx.Err() != nil {
		return st, fmt.Errorf("pcap2table: %w after %d packets", ErrInterrupted, st.Total.Packets)
	}
	if len(partial) > 0 {
		return st, fmt.Errorf("pcap2table: %w: %w", ErrPartial, errors.Join(partial...))
	}
	return st, nil
}

// wants reports whether the sink's writer reads column col.
func wants(sk *sink, col int) bool {
	for _, c := range sk.cols {
		if c == col {
			return true
		}
	}
	return false
}

// stopped reports whether the sinks were already closed (the run ended).

func (s *Stats) totalPackets() uint64 {
	n := uint64(0)
	for _, f := range s.Files {
		n += f.Packets
	}
	return n
}

func (fs *FileStats) count(p *capture.Packet, r *parsers.PacketRow, lastTS []int64) {
	fs.Packets++
	if p.NoTimestamp {
		fs.NoTimestamp++
	} else {
		if fs.Packets-fs.NoTimestamp == 1 {
			fs.FirstTS, fs.Earliest, fs.Latest = p.Timestamp, p.Timestamp, p.Timestamp
		}
		fs.LastTS = p.Timestamp
		fs.Earliest = min(fs.Earliest, p.Timestamp)
		fs.Latest = max(fs.Latest, p.Timestamp)
		if p.Timestamp < lastTS[p.File] {
			fs.Backwards++
		}
		lastTS[p.File] = p.Timestamp
	}
	fs.WireBytes += uint64(p.Length)
	fs.CapBytes += uint64(p.CapLen)
	if p.CapLen < p.Length {
		fs.Truncated++
	}
	if r.Has(parsers.ColDecodeError) {
		fs.DecodeErrs[r.DecodeError]++
	}
}

func (s *Stats) total() {
	t := &s.Total
	t.Name = "total"
	t.DecodeErrs = map[string]uint64{}
	lts := map[string]bool{}
	for _, f := range s.Files {
		if f.Packets > f.NoTimestamp {
			if t.Packets == t.NoTimestamp {
				t.Earliest, t.Latest = f.Earliest, f.Latest
			}
			t.Earliest = min(t.Earliest, f.Earliest)
			t.Latest = max(t.Latest, f.Latest)
		}
		t.Packets += f.Packets
		t.NoTimestamp += f.NoTimestamp
		t.WireBytes += f.WireBytes
		t.CapBytes += f.CapBytes
		t.Truncated += f.Truncated
		t.Backwards += f.Backwards
		for k, v := range f.DecodeErrs {
			t.DecodeErrs[k] += v
		}
		for _, l := range f.LinkTypes {
			lts[l] = true
		}
	}
	t.FirstTS, t.LastTS = t.Earliest, t.Latest
	for l := range lts {
		t.LinkTypes = append(t.LinkTypes, l)
	}
	sort.Strings(t.LinkTypes)
}
