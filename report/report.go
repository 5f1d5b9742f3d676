package report

import (
	"bufio"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/pcap2table/pcap2table"
	"github.com/pcap2table/pcap2table/writers"
)

// Defaults of Options.
const (
	DefaultTop     = 10
	DefaultBeacons = 10
	DefaultBins    = 60
)

// Options configure Build and Write.
type Options struct {
	// Convert is passed to pcap2table.Convert (flow timeouts, Jobs,
	// Stdin, OnWarning, Progress, beacon settings); its Output, Format,
	// Tables, Columns and PartitionBy are the report's own.
	Convert pcap2table.Options
	// Title of the page; "": the captures' names.
	Title string
	// Top is the number of rows of each top list (0: DefaultTop).
	Top int
	// Beacons is the number of beacon candidates shown (0: DefaultBeacons).
	Beacons int
	// Bins is the number of bars of the timeline (0: DefaultBins).
	Bins int
	// TempDir holds the tables while the report is made ("": os.TempDir).
	TempDir string
	// Stdout receives the page when the output is "-".
	Stdout io.Writer
	// Fsync makes the output durable before it is renamed into place.
	Fsync bool
}

func (o *Options) top() int     { return positive(o.Top, DefaultTop) }
func (o *Options) beacons() int { return positive(o.Beacons, DefaultBeacons) }
func (o *Options) bins() int    { return positive(o.Bins, DefaultBins) }

func positive(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// tables are the tables the report reads.
var tables = []string{"flows", "dns", "http", "tls", "beacons"}

//go:embed template.html
var pageSource string

var page = template.Must(template.New("page").Funcs(template.FuncMap{
	"bytes": fmtBytes,
	"n":     func(v uint64) string { return strconv.FormatUint(v, 10) },
}).Parse(pageSource))

// Write converts the inputs and writes the report to path ("-":
// o.Stdout), atomically: a failed run leaves no file under path. It
// refuses (a *pcap2table.UsageError) to write over one of the inputs.
// Like pcap2table.Convert it returns the stats and an error wrapping
// pcap2table.ErrPartial or ErrInterrupted when the report was written
// from what could be read.
func Write(ctx context.Context, inputs []string, path string, o Options) (*pcap2table.Stats, error) {
	if err := checkOutput(inputs, path); err != nil {
		return nil, err
	}
	d, st, cerr := Build(ctx, inputs, o)
	if d == nil {
		return st, cerr
	}
	if path == "-" {
		if o.Stdout == nil {
			return st, errors.New("no standard output to write the report to")
		}
		return st, errors.Join(Render(o.Stdout, d), cerr)
	}
	f, err := writers.Create(path)
	if err != nil {
		return st, fmt.Errorf("creating %s: %w", path, err)
	}
	f.Sync = o.Fsync
	w := bufio.NewWriter(f)
	if err = Render(w, d); err == nil {
		err = w.Flush()
	}
	if err != nil {
		f.Abort()
		return st, fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Commit(); err != nil {
		return st, fmt.Errorf("writing %s: %w", path, err)
	}
	return st, cerr
}

// checkOutput refuses an output that is a folder, in a folder that does
// not exist, or one of the inputs (the same file however named: the same
// device and inode).
func checkOutput(inputs []string, path string) error {
	if path == "" {
		return &pcap2table.UsageError{Msg: "no output given: use -o FILE.html"}
	}
	if path == "-" {
		return nil
	}
	if _, err := os.Stat(filepath.Dir(path)); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err) // before the conversion, not after
	}
	ost, err := os.Stat(path)
	if err != nil {
		return nil // nothing there yet
	}
	if ost.IsDir() {
		return &pcap2table.UsageError{Msg: fmt.Sprintf("refusing to write %s: it is a folder", path)}
	}
	for _, in := range inputs {
		if ist, err := os.Stat(in); err == nil && in != "-" && os.SameFile(ist, ost) {
			return &pcap2table.UsageError{Msg: fmt.Sprintf("refusing to write %s: it is the input %s", path, in)}
		}
	}
	return nil
}

// Build converts the inputs to the tables the report reads, in a
// temporary folder removed before it returns, and gathers what the page
// shows. The error is Convert's (d is nil when nothing could be
// converted) or one reading the tables back.
func Build(ctx context.Context, inputs []string, o Options) (d *Data, st *pcap2table.Stats, err error) {
	tmp, err := os.MkdirTemp(o.TempDir, "pcap2table-report-")
	if err != nil {
		return nil, nil, fmt.Errorf("making a temporary folder: %w", err)
	}
	defer os.RemoveAll(tmp)
	co := o.Convert
	co.Output, co.Format, co.Tables = tmp+string(filepath.Separator), "arrow", tables
	co.Columns, co.PartitionBy, co.Stdout = nil, "", nil
	st, cerr := pcap2table.Convert(ctx, inputs, co)
	if st == nil || (cerr != nil && !errors.Is(cerr, pcap2table.ErrPartial) && !errors.Is(cerr, pcap2table.ErrInterrupted)) {
		return nil, st, cerr
	}
	d = newData(st, inputs, &o, cerr)
	if err := d.read(tmp, &o, st); err != nil {
		return nil, st, err
	}
	return d, st, cerr
}

// newData starts the page's data with the stats.
func newData(st *pcap2table.Stats, inputs []string, o *Options, cerr error) *Data {
	d := &Data{Title: o.Title, Version: pcap2table.Version, Flows: st.Flows, Total: fileRow(&st.Total)}
	if d.Title == "" {
		d.Title = title(inputs)
	}
	for _, f := range st.Files {
		d.Files = append(d.Files, fileRow(f))
	}
	switch {
	case errors.Is(cerr, pcap2table.ErrInterrupted):
		d.Partial = "The run was interrupted: the tables hold what was read before."
	case cerr != nil:
		d.Partial = "An input was cut short, damaged or not a capture: the tables hold what could be read (" + cerr.Error() + ")."
	}
	return d
}

// read reads the tables back from dir.
func (d *Data) read(dir string, o *Options, st *pcap2table.Stats) error {
	file := func(t string) string { return filepath.Join(dir, t+".arrow") }
	if err := d.readBeacons(file("beacons"), o.beacons()); err != nil {
		return err
	}
	if err := d.readFlows(file("flows"), file("http"), file("dns"), o, st.Total.Earliest, st.Total.Latest); err != nil {
		return err
	}
	c, n, err := readCounts(file("dns"), "query")
	if err != nil {
		return err
	}
	d.DNSNames, d.DNSRows = c[0].top(o.top()), n
	if c, n, err = readCounts(file("tls"), "server_name"); err != nil {
		return err
	}
	d.TLSNames, d.TLSRows = c[0].top(o.top()), n
	if c, n, err = readCounts(file("http"), "host", "user_agent"); err != nil {
		return err
	}
	d.HTTPHosts, d.UserAgents, d.HTTPRows = c[0].top(o.top()), c[1].top(o.top()), n
	return nil
}

// Render writes the page.
func Render(w io.Writer, d *Data) error {
	return page.Execute(w, d)
}
