package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/pcap2table/pcap2table"
	"github.com/spf13/cobra"
)

// watchFlags are the flags of the watch command: the conversion's, and
// how the folder is watched.
type watchFlags struct {
	conv   convertFlags
	settle time.Duration
	poll   time.Duration
	once   bool
}

// newWatchCmd is the watch command: a folder that a rotating writer fills,
// converted file by file (pcap2table.Watch).
func newWatchCmd(e *env) *cobra.Command {
	f := watchFlags{conv: convertDefaults()}
	c := &cobra.Command{
		Use:   "watch DIR -o OUTDIR",
		Short: "Convert each capture file of a folder as a rotating writer (tcpdump -G/-C, dumpcap's ring buffer) finishes it",
		Long: `watch converts the capture files a rotating writer fills in DIR, in the
order of their names (numbers by value), each once it is finished: once a
later file appears, or it has not changed for --settle. OUTDIR receives
OUTDIR/<table>/date=YYYY-MM-DD/hour=HH/<file>.<ext> per file and table
(Hive-style: DuckDB's read_parquet('OUTDIR/flows/**/*.parquet',
hive_partitioning = true)). Flows that span files are written whole, once,
with the ids a conversion of all the files together gives them. A run
stopped at any point (Ctrl-C, kill -9, a crash) starts again where it
stopped: nothing is lost or written twice (OUTDIR/.pcap2table-watch.json).
--once converts the files there, ends every flow and exits: the capture is
over. See docs/watch.md.`,
		Example: `  tcpdump -i eth0 -G 60 -w 'dump-%Y%m%d%H%M%S.pcap' &
  pcap2table watch . -o tables/ --tables flows,dns,tls`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErr{errors.New("watch takes one folder")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return watch(cmd, e, &f, args[0])
		},
	}
	c.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErr{err} })
	fl := c.Flags()
	fl.StringVarP(&f.conv.output, "output", "o", "", "the folder receiving the tables")
	fl.StringVar(&f.conv.tables, "tables", "flows", "comma-separated tables: every table but beacons (which scores the whole capture at once)")
	fl.StringVar(&f.conv.format, "format", "parquet", "the tables' format: parquet, arrow, csv, jsonl")
	fl.StringVar(&f.conv.timeFormat, "time-format", "rfc3339", "timestamps in CSV/JSONL: rfc3339, epoch, epoch_ns, epoch_us")
	addFlowFlags(fl, &f.conv)
	fl.DurationVar(&f.settle, "settle", 10*time.Second, "a file unmodified this long counts as finished when no later file has appeared")
	fl.DurationVar(&f.poll, "poll", 2*time.Second, "how often the folder is listed")
	fl.BoolVar(&f.once, "once", false, "convert the files there, end every flow and exit (the capture is over)")
	fl.IntVarP(&f.conv.jobs, "jobs", "j", 0, "flow trackers working in parallel (default: one per core)")
	fl.BoolVarP(&f.conv.quiet, "quiet", "q", false, "no line per file and no warnings on stderr")
	return c
}

// watch runs the watch command until interrupted (or, with --once, done).
func watch(cmd *cobra.Command, e *env, f *watchFlags, dir string) error {
	if f.settle <= 0 || f.poll <= 0 {
		return usageErr{errors.New("--settle and --poll must be positive")}
	}
	o, err := f.conv.options(e)
	if err != nil {
		return err
	}
	o.OnWarning = func(err error) {
		if !f.conv.quiet {
			e.warn(err.Error())
		}
	}
	w := pcap2table.WatchOptions{Settle: f.settle, Poll: f.poll, Once: f.once}
	w.OnFile = func(name string, st *pcap2table.Stats) {
		if !f.conv.quiet {
			fmt.Fprintf(e.stderr, "pcap2table: %s: %s\n", name, summaryRows(st))
		}
	}
	return pcap2table.Watch(cmd.Context(), dir, *o, w)
}

// summaryRows says what one file's conversion wrote.
func summaryRows(st *pcap2table.Stats) string {
	s := ""
	for i, t := range st.Tables {
		if i > 0 {
			s += ", "
		}
		s += t.Name + " " + count(t.Rows, "row")
	}
	return s
}
