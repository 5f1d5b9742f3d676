package pcapbeam

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/log"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/transforms/stats"
	"github.com/pcap2table/pcap2table"
	"github.com/pcap2table/pcap2table/filter"
	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/protocols/dns"
)

// Config is what a conversion on Beam does.
type Config struct {
	// Inputs are the captures, local paths or URLs of a file system Beam
	// knows (gs://...), as Expand lists them: they are one conversion,
	// merged in time order as pcap2table merges its inputs.
	Inputs []string
	// Output is the folder (a local path or a URL) that receives
	// <table>/<partition>/part-PPPPP-NNNNN.parquet and _SUCCESS.
	Output string
	// Tables to write (pcap2table.TableNames); default DefaultTables.
	Tables []string
	// Parts is how many parts the flows are split into: the most workers
	// that convert at once (default DefaultParts).
	Parts int
	// PartitionBy is "day" (the default), "hour" or "none" (one file per
	// table and part).
	PartitionBy string
	// Jobs is each part's number of flow trackers (pcap2table.Options.Jobs;
	// 0: the worker's cores).
	Jobs int
	// The options of pcap2table's flags of the same names (see its
	// --help), applied by every stage alike:
	Filter          string        // --filter: keep the packets it selects
	Dedup           bool          // --dedup: drop the copies of packets
	DedupWindow     time.Duration // --dedup-window (0: the default)
	CommunityIDSeed uint16        // --community-id-seed
	GeoIP, ASN      string        // --geoip, --asn: .mmdb files at a path every worker reads
	BeaconMinConns  int           // --beacon-min-conns (0: the default)
	BeaconByAddress bool          // --beacon-by-address
	// Unpublished are tables a stage converts but does not publish (the
	// parts' beacons: one worker writes the whole table). Set by Build.
	Unpublished []string
	// BySensor makes the inputs of each folder (a sensor's rotated
	// captures) a conversion of its own, written under
	// <table>/sensor=<folder's name>/...: a part then reads its sensor's
	// captures only. false: the inputs are one conversion.
	BySensor bool
}

// group is one conversion: a sensor's inputs, or every input.
type group struct {
	Name   string // the sensor=... value; "" for every input
	Inputs []string
}

// DefaultTables are the tables written when Config.Tables is empty.
var DefaultTables = []string{"packets", "flows", "dns", "http", "tls"}

// DefaultParts is the default number of parts.
const DefaultParts = 16

func init() {
	register.Emitter1[Answer]()
	register.DoFn3x1[context.Context, int, func(string, int64), error](&beaconsFn{})
	register.DoFn4x1[context.Context, int, func(*Answer) bool, func(string, int64), error](&partFn{})
	register.DoFn3x1[context.Context, int, func(Answer), error](&answersFn{})
	register.Iter1[Answer]()
	register.Emitter2[string, int64]()
	register.DoFn3x1[context.Context, []byte, func(*Count) bool, error](&successFn{})
	register.Function2x1(toCount)
	register.Iter1[Count]()
}

// Answer is a DNS answer of a group's inputs: at capture time TS (ns),
// Name resolved to Addr.
type Answer struct {
	Group int
	TS    int64
	Name  string
	Addr  string
}

// Count is the rows written to one table.
type Count struct {
	Table string
	Rows  int64
}

// check fills in Config's defaults and refuses what cannot run.
func (c *Config) check() error {
	if len(c.Inputs) == 0 {
		return errors.New("no input")
	}
	if c.Output == "" {
		return errors.New("no output folder")
	}
	if len(c.Tables) == 0 {
		c.Tables = DefaultTables
	}
	for _, t := range c.Tables {
		if !slices.Contains(pcap2table.TableNames(), t) {
			return fmt.Errorf("unknown table %q (tables: %s)", t, strings.Join(pcap2table.TableNames(), ", "))
		}
	}
	if _, err := filter.Compile(c.Filter); strings.TrimSpace(c.Filter) != "" && err != nil {
		return fmt.Errorf("filter: %w", err)
	}
	if c.Parts <= 0 {
		c.Parts = DefaultParts
	}
	switch c.PartitionBy {
	case "":
		c.PartitionBy = "day"
	case "day", "hour", "none":
	default:
		return fmt.Errorf("unknown partitioning %q (want day, hour or none)", c.PartitionBy)
	}
	return nil
}

// Build adds the conversion to the pipeline of s: the DNS answers of each
// input, then the parts of each group (doc.go), then OUTPUT/_SUCCESS with
// each table's rows once every part is written.
func Build(s beam.Scope, c Config) error {
	if err := c.check(); err != nil {
		return err
	}
	groups, err := groupInputs(c.Inputs, c.BySensor)
	if err != nil {
		return err
	}
	s = s.Scope("pcap2table")
	var files, parts []int
	for g, gr := range groups {
		for i := range gr.Inputs {
			files = append(files, g<<32|i)
		}
		for p := range c.Parts {
			parts = append(parts, g<<32|p)
		}
	}
	answers := beam.ParDo(s.Scope("answers"), &answersFn{C: c, Groups: groups}, beam.Reshuffle(s, beam.CreateList(s, files)))
	parted, whole := splitTables(c.Tables)
	var counts []beam.PCollection
	if len(parted) > 0 {
		// the parts convert every table, beacons too, so that they run
		// the parsers and the namer that a run writing beacons runs (the
		// flows' dst_name), but publish only theirs
		pc := c
		pc.Unpublished = whole
		counts = append(counts, beam.ParDo(s.Scope("parts"), &partFn{C: pc, Groups: groups}, beam.Reshuffle(s, beam.CreateList(s, parts)), beam.SideInput{Input: answers}))
	}
	if len(whole) > 0 {
		ids := make([]int, len(groups))
		for g := range ids {
			ids[g] = g
		}
		bc := c
		bc.Tables = whole
		counts = append(counts, beam.ParDo(s.Scope("beacons"), &beaconsFn{C: bc, Groups: groups}, beam.Reshuffle(s, beam.CreateList(s, ids))))
	}
	sums := beam.ParDo(s, toCount, stats.SumPerKey(s, beam.Flatten(s, counts...)))
	beam.ParDo0(s, &successFn{Output: c.Output, Tables: c.Tables}, beam.Impulse(s), beam.SideInput{Input: sums})
	return nil
}

// groupInputs returns the conversions: every input in one, or (bySensor)
// one per folder, named by the folder's name, in the order of their
// first inputs.
func groupInputs(inputs []string, bySensor bool) ([]group, error) {
	if !bySensor {
		return []group{{Inputs: inputs}}, nil
	}
	var groups []group
	index := map[string]int{} // folder -> group
	named := map[string]string{}
	for _, in := range inputs {
		dir := path.Dir(filepath.ToSlash(in))
		g, ok := index[dir]
		if !ok {
			name := path.Base(dir)
			if other, dup := named[name]; dup || name == "." || name == "/" || strings.ContainsAny(name, "=%") {
				return nil, fmt.Errorf("cannot name the sensor of %s by its folder %q (also %s): give each sensor a folder of its own name", in, name, other)
			}
			named[name], index[dir], g = dir, len(groups), len(groups)
			groups = append(groups, group{Name: name})
		}
		groups[g].Inputs = append(groups[g].Inputs, in)
	}
	return groups, nil
}

// answersFn emits every DNS answer of one input (group<<32 | index),
// which the parts need to name flows whose DNS flows are in other parts.
type answersFn struct {
	C      Config
	Groups []group
}

func (f *answersFn) ProcessElement(ctx context.Context, file int, emit func(Answer)) error {
	if !f.C.named() {
		return nil // no table of the run names destinations
	}
	start := time.Now()
	g := file >> 32
	in := f.Groups[g].Inputs[file&(1<<32-1) : file&(1<<32-1)+1]
	names := dns.NewNames()
	o := f.C.options(pcap2table.Options{Tables: []string{"dns"}, Stdout: io.Discard, Format: "jsonl", Names: names, Jobs: 1, Open: opener(in)})
	if _, err := pcap2table.Convert(ctx, in, o); err != nil && !errors.Is(err, pcap2table.ErrPartial) {
		// not a capture, or unreadable: the parts say so (and stop on
		// what pcap2table stops on)
		log.Warnf(ctx, "dns answers of %s: %v", in[0], err)
		return nil
	}
	n := 0
	names.Each(func(ts int64, name string, addr netip.Addr) {
		emit(Answer{Group: g, TS: ts, Name: name, Addr: addr.String()})
		n++
	})
	log.Infof(ctx, "dns answers of %s: %d in %v", in[0], n, time.Since(start).Round(time.Millisecond))
	return nil
}

// partFn converts one part of the flows of a group's inputs (group<<32 |
// part) and publishes its files under the output folder; it emits the
// rows of each table.
type partFn struct {
	C      Config
	Groups []group
}

func (f *partFn) ProcessElement(ctx context.Context, elem int, answers func(*Answer) bool, emit func(string, int64)) error {
	start := time.Now()
	g, part := elem>>32, elem&(1<<32-1)
	gr := f.Groups[g]
	who := fmt.Sprintf("part %d of %d", part, f.C.Parts)
	if gr.Name != "" {
		who = "sensor " + gr.Name + " " + who
	}
	names := dns.NewNames()
	var a Answer
	for answers(&a) {
		if addr, err := netip.ParseAddr(a.Addr); err == nil && a.Group == g {
			names.Resolved(a.TS, a.Name, addr)
		}
	}
	return convertAndPublish(ctx, f.C, gr, who, part, pcap2table.Options{Parts: f.C.Parts, Part: part, Names: names}, start, emit)
}

// convertAndPublish converts the group's inputs to c's tables with o's
// split, into a folder of its own, publishes its files as part's, and
// emits each table's rows.
func convertAndPublish(ctx context.Context, c Config, gr group, who string, part int, o pcap2table.Options, start time.Time, emit func(string, int64)) error {
	tmp, err := os.MkdirTemp("", "pcap2table-beam-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	o = c.options(o)
	o.Output, o.Tables, o.Format = tmp+"/", c.Tables, "parquet"
	o.Jobs, o.Open = c.Jobs, opener(gr.Inputs)
	o.OnWarning = func(err error) { log.Warnf(ctx, "%s: %v", who, err) }
	if c.PartitionBy != "none" {
		o.PartitionBy = c.PartitionBy
	}
	st, err := pcap2table.Convert(ctx, gr.Inputs, o)
	if err != nil && !errors.Is(err, pcap2table.ErrPartial) {
		return fmt.Errorf("%s: %w", who, err)
	}
	converted := time.Since(start)
	if err := publish(ctx, tmp, c.Output, gr.Name, part, c.Unpublished); err != nil {
		return fmt.Errorf("%s: %w", who, err)
	}
	log.Infof(ctx, "%s: %d packets of its own; converted by %v, published by %v", who,
		st.Total.Packets, converted.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	for _, t := range st.Tables {
		if !slices.Contains(c.Unpublished, t.Name) {
			emit(t.Name, int64(t.Rows))
		}
	}
	return nil
}

// named reports whether the conversion names the flows' destinations
// from DNS answers: as pcap2table, when it writes dns, or beacons keyed
// by name.
func (c *Config) named() bool {
	return slices.Contains(c.Tables, "dns") || slices.Contains(c.Tables, "beacons") && !c.BeaconByAddress
}

// options adds c's pcap2table options to o.
func (c *Config) options(o pcap2table.Options) pcap2table.Options {
	cfg := flows.DefaultConfig()
	cfg.Seed = c.CommunityIDSeed
	o.Flows = &cfg
	o.Filter, o.Dedup, o.DedupWindow = c.Filter, c.Dedup, c.DedupWindow
	o.GeoIP, o.ASN = c.GeoIP, c.ASN
	o.BeaconMinConns, o.BeaconByAddress = c.BeaconMinConns, c.BeaconByAddress
	return o
}

// splitTables sorts the tables into those the parts write and those one
// worker per conversion writes: beacons, whose pairs (a source and a
// name) span the parts, and whose statistics depend on the order of all
// of a pair's flows.
func splitTables(tables []string) (parted, whole []string) {
	for _, t := range tables {
		if t == "beacons" {
			whole = append(whole, t)
		} else {
			parted = append(parted, t)
		}
	}
	return parted, whole
}

// beaconsFn writes the beacons table of one conversion (a group): one
// worker reads its inputs whole, the one way to give every pair all of
// its flows in pcap2table's order. It costs a flows conversion with the
// dns, http and tls parsers (for the names), beside the parts.
type beaconsFn struct {
	C      Config
	Groups []group
}

func (f *beaconsFn) ProcessElement(ctx context.Context, g int, emit func(string, int64)) error {
	start := time.Now()
	gr := f.Groups[g]
	who := "beacons"
	if gr.Name != "" {
		who = "sensor " + gr.Name + " beacons"
	}
	return convertAndPublish(ctx, f.C, gr, who, 0, pcap2table.Options{Parts: 1}, start, emit)
}

func toCount(table string, rows int64) Count { return Count{Table: table, Rows: rows} }

// successFn writes OUTPUT/_SUCCESS, a line per table with its rows, once
// every part is written: a reader of the folder waits for it.
type successFn struct {
	Output string
	Tables []string
}

func (f *successFn) ProcessElement(ctx context.Context, _ []byte, sums func(*Count) bool) error {
	rows := map[string]int64{}
	var c Count
	for sums(&c) {
		rows[c.Table] += c.Rows
	}
	var b strings.Builder
	for _, t := range f.Tables {
		fmt.Fprintf(&b, "%s\t%d\n", t, rows[t])
	}
	return writeFile(ctx, join(f.Output, "_SUCCESS"), strings.NewReader(b.String()))
}
