package pcapbeam

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/log"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/transforms/stats"
	"github.com/pcap2table/pcap2table"
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
	// Tables to write (pcap2table.TableNames but beacons); default
	// DefaultTables.
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
}

// DefaultTables are the tables written when Config.Tables is empty.
var DefaultTables = []string{"packets", "flows", "dns", "http", "tls"}

// DefaultParts is the default number of parts.
const DefaultParts = 16

func init() {
	register.DoFn3x1[context.Context, int, func(Answer), error](&answersFn{})
	register.Emitter1[Answer]()
	register.DoFn4x1[context.Context, int, func(*Answer) bool, func(string, int64), error](&partFn{})
	register.Iter1[Answer]()
	register.Emitter2[string, int64]()
	register.DoFn3x1[context.Context, []byte, func(*Count) bool, error](&successFn{})
	register.Function2x1(toCount)
	register.Iter1[Count]()
}

// Answer is a DNS answer: at capture time TS (ns), Name resolved to Addr.
type Answer struct {
	TS   int64
	Name string
	Addr string
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
		if t == "beacons" {
			return errors.New("the beacons table needs every flow of a pair in one run: convert the flows table here, and beacons with pcap2table")
		}
		if !slices.Contains(pcap2table.TableNames(), t) {
			return fmt.Errorf("unknown table %q (tables: %s)", t, strings.Join(pcap2table.TableNames(), ", "))
		}
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
// input, then the parts (doc.go), then OUTPUT/_SUCCESS with each table's
// rows once every part is written.
func Build(s beam.Scope, c Config) error {
	if err := c.check(); err != nil {
		return err
	}
	s = s.Scope("pcap2table")
	files := make([]int, len(c.Inputs))
	for i := range files {
		files[i] = i
	}
	answers := beam.ParDo(s.Scope("answers"), &answersFn{Inputs: c.Inputs}, beam.Reshuffle(s, beam.CreateList(s, files)))
	parts := make([]int, c.Parts)
	for i := range parts {
		parts[i] = i
	}
	counts := beam.ParDo(s.Scope("parts"), &partFn{C: c}, beam.Reshuffle(s, beam.CreateList(s, parts)), beam.SideInput{Input: answers})
	sums := beam.ParDo(s, toCount, stats.SumPerKey(s, counts))
	beam.ParDo0(s, &successFn{Output: c.Output, Tables: c.Tables}, beam.Impulse(s), beam.SideInput{Input: sums})
	return nil
}

// answersFn emits every DNS answer of one input (by index), which the
// parts need to name flows whose DNS flows are in other parts.
type answersFn struct {
	Inputs []string
}

func (f *answersFn) ProcessElement(ctx context.Context, i int, emit func(Answer)) error {
	names := dns.NewNames()
	o := pcap2table.Options{Tables: []string{"dns"}, Stdout: io.Discard, Format: "jsonl", Names: names, Jobs: 1, Open: opener(f.Inputs[i:i+1])}
	if _, err := pcap2table.Convert(ctx, f.Inputs[i:i+1], o); err != nil && !errors.Is(err, pcap2table.ErrPartial) {
		// not a capture, or unreadable: the parts say so (and stop on
		// what pcap2table stops on)
		log.Warnf(ctx, "dns answers of %s: %v", f.Inputs[i], err)
		return nil
	}
	names.Each(func(ts int64, name string, addr netip.Addr) {
		emit(Answer{TS: ts, Name: name, Addr: addr.String()})
	})
	return nil
}

// partFn converts one part of the flows of every input and publishes its
// files under the output folder; it emits the rows of each table.
type partFn struct {
	C Config
}

func (f *partFn) ProcessElement(ctx context.Context, part int, answers func(*Answer) bool, emit func(string, int64)) error {
	names := dns.NewNames()
	var a Answer
	for answers(&a) {
		if addr, err := netip.ParseAddr(a.Addr); err == nil {
			names.Resolved(a.TS, a.Name, addr)
		}
	}
	tmp, err := os.MkdirTemp("", "pcap2table-beam-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	o := pcap2table.Options{
		Output: tmp + "/", Tables: f.C.Tables, Format: "parquet",
		Parts: f.C.Parts, Part: part, Names: names, Jobs: f.C.Jobs, Open: opener(f.C.Inputs),
		OnWarning: func(err error) { log.Warnf(ctx, "part %d: %v", part, err) },
	}
	if f.C.PartitionBy != "none" {
		o.PartitionBy = f.C.PartitionBy
	}
	st, err := pcap2table.Convert(ctx, f.C.Inputs, o)
	if err != nil && !errors.Is(err, pcap2table.ErrPartial) {
		return fmt.Errorf("part %d: %w", part, err)
	}
	if err := publish(ctx, tmp, f.C.Output, part); err != nil {
		return fmt.Errorf("part %d: %w", part, err)
	}
	for _, t := range st.Tables {
		emit(t.Name, int64(t.Rows))
	}
	return nil
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
