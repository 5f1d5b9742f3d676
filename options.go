package pcap2table

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/pcap2table/pcap2table/beacons"
	"github.com/pcap2table/pcap2table/filter"
	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/protocols/dns"
	"github.com/pcap2table/pcap2table/writers"
)

// Version is the tool version, written into every output's metadata.
var Version = "0.1.0-dev"

// Errors returned by Convert and Scan (wrapped; test with errors.Is).
var (
	// ErrPartial: an input was cut short or corrupt, or was not a capture
	// and was skipped. Every packet before the damage was converted and
	// the output is complete and valid.
	ErrPartial = errors.New("partial input")
	// ErrInterrupted: the context was canceled. The output is valid and
	// holds what was converted before.
	ErrInterrupted = errors.New("interrupted")
)

// DefaultBatchRows is the number of rows per batch.
const DefaultBatchRows = 8192

// Options configure Convert and Scan.
type Options struct {
	// Output is the output file; "" or "-" writes to Stdout. With several
	// tables (or when it names a folder, or ends in a slash) it is a
	// folder, created if missing, that receives <table>.<ext> per table.
	Output string
	// Tables names the tables to write (default: packets), all in one
	// pass over the input: see TableNames.
	Tables []string
	// Flows configures the flow tracker (timeouts, Community ID seed);
	// nil: flows.DefaultConfig.
	Flows *flows.Config
	// Stdout receives the table when Output is "" or "-".
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
	// preference, table.Schema.RowGroupRows, else writers.DefaultRowGroupRows).
	RowGroupRows int
	// Jobs is the number of flow trackers working in parallel, and with
	// more than one the reading, tracking and encoding stages overlap on
	// goroutines of their own; 1 does all the work on the calling
	// goroutine. 0: runtime.GOMAXPROCS. The output is the same for any
	// number.
	Jobs int
	// OnWarning is called (from the reading goroutine) for each problem
	// with an input that does not stop the run, as soon as it is found:
	// an input cut short or corrupt, or one that is not a capture
	// (skipped), both of which make Convert return ErrPartial; packets of
	// a link type that cannot be decoded.
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
	// ZstdMaxWindow bounds the window of a zstd-compressed input, the
	// memory its decoder holds (0: sniff.DefaultZstdWindow, 128 MiB; zstd
	// --long=31 writes up to 2 GiB).
	ZstdMaxWindow int64
	// BeaconMinConns is the fewest call-outs (connections, HTTP requests,
	// bursts or DNS queries: docs/beacons.md) a pair needs for a row of
	// the beacons table (0: beacons.DefaultMinConns).
	BeaconMinConns int
	// BeaconMaxPairs bounds the pairs below BeaconMinConns that the
	// beacons table keeps (0: beacons.DefaultMaxPairs).
	BeaconMaxPairs int
	// BeaconAllDestinations keeps in the beacons table the destinations
	// never routed (multicast, broadcast, link-local, loopback,
	// unspecified: beacons.Unrouted), which are left out by default.
	BeaconAllDestinations bool
	// BeaconNTP keeps in the beacons table the pairs that are NTP time
	// synchronization (UDP to port 123 with NTP-sized messages), left out
	// by default: clients poll on a schedule by design.
	BeaconNTP bool
	// BeaconByAddress keys the beacons table's pairs by dst_ip only, never
	// by name: the dns, http and tls parsers then run only for their own
	// tables (a third of the time of --tables flows,beacons).
	BeaconByAddress bool
	// GeoIP is a MaxMind-format City or Country database (.mmdb) whose
	// answers fill the flows table's src_country and dst_country
	// (docs/enrich.md); "": none.
	GeoIP string
	// ASN is a MaxMind-format ASN database (.mmdb) whose answers fill the
	// flows table's src_asn, dst_asn, src_as_org and dst_as_org; "": none.
	ASN string
	// Filter keeps only the packets a capture filter in tcpdump's
	// language selects (pcap-filter(7); package filter), applied to each
	// packet before it is decoded: the others are in no table (counted in
	// FileStats.Filtered). "": every packet.
	Filter string
	// Dedup drops the copies of packets that SPAN ports and merged taps
	// make: a packet equal to one seen within DedupWindow before it but
	// for its link layer, TTL and IP checksum (dedup.go). They are
	// counted in FileStats.Duplicates.
	Dedup bool
	// DedupWindow is how far back a copy is looked for (0:
	// DefaultDedupWindow).
	DedupWindow time.Duration
	// replay is set by Watch (watch.go): nil for a plain conversion.
	replay *replayRun
	// BeaconAllow lists destinations left out of the beacons table
	// (beacons.ParseAllow; nil: none).
	BeaconAllow *beacons.Allow
	// Parts, above 1, splits a conversion among that many runs over the
	// same inputs, each given its Part (0 to Parts-1): a run keeps only
	// the packets of its part of the flows (flows.PartOf: both directions
	// of a flow and every fragment of a datagram are in one part; packets
	// of no flow are in part 0), after --filter and --dedup, which see
	// every packet. The runs' rows, put together, are one conversion's
	// (docs/scaling.md says where they differ). The Beam pipeline
	// (beam/) runs the parts on a cluster. 0 or 1: every packet.
	Parts, Part int
	// Open, if not nil, opens every input but "-" instead of the local
	// file system: a program reading captures from elsewhere gives its
	// own (the Beam pipeline's reads gs:// and the other file systems Beam
	// knows). The names are those the inputs were given as, in errors and
	// the packets' file column. Each input is opened twice (its header is
	// read first, then its packets when the merge reaches its time).
	Open func(ctx context.Context, name string) (io.ReadCloser, error)
	// Names, if not nil, is the DNS answers' names that name the flows'
	// destinations (dst_name, and the beacons table's keys) when the dns
	// parser runs: the run adds its own answers to it. A split conversion
	// (Parts) gives each part every answer of the inputs, which the
	// other parts would not otherwise see. nil: a new one per run.
	Names *dns.Names
}

// UsageError is an error in how the tool was called.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

func usagef(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// plan is what the options ask for, checked before any input is read.
type plan struct {
	tables []*tableDef
	cols   [][]int // per table, the columns the writer reads
	format writers.Format
	by     writers.Partitioning
	folder bool // Output is a folder: a file (or dataset) per table
	stdout bool // the table goes to Stdout
	jobs   int
	rows   int            // per batch
	filter *filter.Filter // nil: no --filter
}

// makePlan checks the options.
func makePlan(o *Options) (*plan, error) {
	p := &plan{jobs: o.Jobs, rows: o.BatchRows}
	if p.jobs <= 0 {
		p.jobs = runtime.GOMAXPROCS(0)
	}
	if p.rows <= 0 {
		p.rows = DefaultBatchRows
	}
	var err error
	if p.tables, err = pickTables(o.Tables); err != nil {
		return nil, err
	}
	if p.filter, err = compileFilter(o.Filter); err != nil {
		return nil, err
	}
	p.stdout = o.Output == "" || o.Output == "-"
	if o.PartitionBy != "" {
		if p.by, err = writers.ParsePartitioning(o.PartitionBy); err != nil {
			return nil, usagef("unknown --partition-by %q (want hour or day)", o.PartitionBy)
		}
		if p.stdout {
			return nil, usagef("--partition-by writes datasets into a folder: give -o FOLDER")
		}
	}
	if o.Parts < 0 || o.Part < 0 || o.Part >= max(o.Parts, 1) {
		return nil, usagef("part %d of %d: want 0 <= part < parts", o.Part, o.Parts)
	}
	if err := p.pickOutput(o); err != nil {
		return nil, err
	}
	if len(o.Columns) > 0 && len(p.tables) > 1 {
		return nil, usagef("--columns selects the columns of a single table; with several tables every column is written")
	}
	for _, t := range p.tables {
		cols, err := t.schema.Projection(o.Columns)
		if err != nil {
			return nil, &UsageError{Msg: err.Error()}
		}
		p.cols = append(p.cols, cols)
	}
	return p, nil
}

// compileFilter compiles Options.Filter; nil for none.
func compileFilter(expr string) (*filter.Filter, error) {
	if strings.TrimSpace(expr) == "" {
		return nil, nil
	}
	f, err := filter.Compile(expr)
	if err != nil {
		return nil, usagef("--filter: %v", err)
	}
	return f, nil
}

// pickOutput decides between one file (or stdout) and a folder of tables,
// and the format.
func (p *plan) pickOutput(o *Options) error {
	endsInSlash := strings.HasSuffix(o.Output, "/") || strings.HasSuffix(o.Output, string(filepath.Separator))
	isDir := false
	if !p.stdout {
		st, err := os.Stat(o.Output)
		isDir = err == nil && st.IsDir()
	}
	p.folder = !p.stdout && (p.by != 0 || endsInSlash || isDir || len(p.tables) > 1)
	if p.stdout && len(p.tables) > 1 {
		return usagef("%d tables need -o FOLDER (one file per table)", len(p.tables))
	}
	if p.folder && len(p.tables) > 1 && !endsInSlash && !isDir && p.by == 0 {
		if _, ok := writers.ByExtension(o.Output); ok {
			return usagef("-o %s names a file, but %d tables (%s) need a folder: give -o FOLDER/ (one file per table)",
				o.Output, len(p.tables), tableList(p.tables))
		}
	}
	name := o.Format
	switch {
	case name != "":
	case p.folder:
		name = "parquet"
	case p.stdout:
		name = "jsonl"
	default:
		f, ok := writers.ByExtension(o.Output)
		if !ok {
			return usagef("cannot tell the format from %q: use an extension (.parquet, .arrow, .arrows, .csv, .jsonl) or --format", o.Output)
		}
		p.format = f
		return nil
	}
	f, ok := writers.Lookup(name)
	if !ok {
		return usagef("unknown format %q (want one of %s)", name, strings.Join(writers.Names(), ", "))
	}
	p.format = f
	return nil
}

// pickTables checks and dedupes the table names (default: packets).
func pickTables(names []string) ([]*tableDef, error) {
	if len(names) == 0 {
		names = []string{"packets"}
	}
	var out []*tableDef
	for _, n := range names {
		t := lookup(strings.TrimSpace(n))
		if t == nil {
			return nil, usagef("unknown table %q (tables: %s)", strings.TrimSpace(n), strings.Join(TableNames(), ", "))
		}
		if !containsTable(out, t) {
			out = append(out, t)
		}
	}
	return out, nil
}

func containsTable(ts []*tableDef, t *tableDef) bool {
	for _, x := range ts {
		if x == t {
			return true
		}
	}
	return false
}

func tableList(ts []*tableDef) string {
	n := make([]string, len(ts))
	for i, t := range ts {
		n[i] = t.schema.Name
	}
	return strings.Join(n, ", ")
}
