package main

import (
	"errors"
	"fmt"

	"github.com/pcap2table/pcap2table"
	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/report"
	"github.com/spf13/cobra"
)

// reportFlags are the flags of the report command.
type reportFlags struct {
	output  string
	title   string
	top     int
	beacons int
	bins    int
	jobs    int
	quiet   bool
	fsync   bool
}

// newHTMLReportCmd is the report command: one self-contained HTML page
// of a capture (the report package).
func newHTMLReportCmd(e *env) *cobra.Command {
	var f reportFlags
	c := &cobra.Command{
		Use:   "report CAPTURE... -o FILE.html",
		Short: "Write a self-contained HTML report: summary, top talkers, timeline, beacon candidates, DNS/TLS/HTTP",
		Long: `report converts the captures to the flows, dns, http, tls and beacons tables
(in a temporary folder, removed afterwards) and writes one HTML page that
needs no network and runs no script: the capture summary, the top hosts
and services by bytes, a timeline, the beacon candidates with histograms
of their intervals, and the top DNS names, TLS server names and HTTP hosts
and user agents. Open it in any browser. See docs/report.md.`,
		Example: `  pcap2table report dump.pcap -o report.html
  pcap2table report day1.pcap.gz day2.pcap.gz -o days.html --top 20`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErr{errors.New("no capture given (use - for stdin)")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return htmlReport(cmd, e, &f, args)
		},
	}
	c.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErr{err} })
	fl := c.Flags()
	fl.StringVarP(&f.output, "output", "o", "", "the HTML file to write ('-': stdout)")
	fl.StringVar(&f.title, "title", "", "the page's title (default: the captures' names)")
	fl.IntVar(&f.top, "top", report.DefaultTop, "rows of each top list")
	fl.IntVar(&f.beacons, "beacons", report.DefaultBeacons, "beacon candidates shown")
	fl.IntVar(&f.bins, "bins", report.DefaultBins, "bars of the timeline")
	fl.IntVarP(&f.jobs, "jobs", "j", 0, "flow trackers working in parallel (default: one per core)")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress and no warnings on stderr")
	fl.BoolVar(&f.fsync, "fsync", false, "fsync the report before renaming it into place")
	return c
}

// htmlReport runs the report command.
func htmlReport(cmd *cobra.Command, e *env, f *reportFlags, args []string) error {
	switch {
	case f.output == "":
		return usageErr{errors.New("no output given: use -o FILE.html ('-' for stdout)")}
	case f.output == "-" && e.isTerminal(e.stdout):
		return usageErr{errors.New("refusing to write HTML to a terminal: use -o FILE.html or redirect stdout")}
	case f.top < 1 || f.beacons < 1 || f.bins < 1:
		return usageErr{errors.New("--top, --beacons and --bins must be at least 1")}
	case f.jobs < 0:
		return usageErr{errors.New("-j must be at least 1 (0: all cores)")}
	}
	fc := flows.DefaultConfig()
	o := report.Options{
		Convert: pcap2table.Options{Stdin: e.stdin, Jobs: f.jobs, Flows: &fc},
		Title:   f.title, Top: f.top, Beacons: f.beacons, Bins: f.bins,
		Stdout: e.stdout, Fsync: f.fsync,
	}
	o.Convert.OnWarning = func(err error) {
		if !f.quiet {
			e.warn(err.Error())
		}
	}
	stopProgress := func(bool) {}
	if !f.quiet && e.isTerminal(e.stderr) {
		o.Convert.Progress = &pcap2table.Progress{}
		stopProgress = showProgress(e.stderr, o.Convert.Progress)
	}
	st, err := report.Write(cmd.Context(), args, f.output, o)
	stopProgress(err == nil || errors.Is(err, pcap2table.ErrPartial))
	if st != nil && !f.quiet && (err == nil || errors.Is(err, pcap2table.ErrPartial)) && f.output != "-" {
		fmt.Fprintf(e.stderr, "pcap2table: %s, %s; wrote the report to %s\n",
			count(st.Total.Packets, "packet"), count(st.Flows, "flow"), f.output)
	}
	return exitFor(err, f.quiet)
}
