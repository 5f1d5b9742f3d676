package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/pcap2table/pcap2table"
	"github.com/pcap2table/pcap2table/beacons"
	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/internal/hugepage"
	"github.com/pcap2table/pcap2table/parsers/capture"
	"github.com/pcap2table/pcap2table/sniff"
	"github.com/pcap2table/pcap2table/writers"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// exitCode is the process exit status. These values are documented in
// README.md and docs/errors.md.
type exitCode int

const (
	exitOK          exitCode = 0
	exitError       exitCode = 1   // the conversion failed; no output file is left
	exitUsage       exitCode = 2   // bad flags or arguments
	exitPartial     exitCode = 3   // an input was cut short or corrupt; everything before it was converted
	exitInterrupted exitCode = 130 // SIGINT/SIGTERM: outputs are valid and hold what was converted
)

// env is what the commands see of the process, swappable in tests.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// isTerminal reports whether a writer is a terminal.
	isTerminal func(any) bool
}

func osEnv() *env {
	return &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, isTerminal: func(w any) bool {
		f, ok := w.(*os.File)
		return ok && term.IsTerminal(int(f.Fd()))
	}}
}

// Main runs the tool with args and returns the exit code.
func Main(args []string) exitCode {
	// Huge pages: 13-17 % off a run here (see internal/hugepage); a
	// failure only costs that.
	hugepage.Advise(hugepage.DefaultReserve) //nolint:errcheck
	// The first SIGINT or SIGTERM stops the run, which finishes its
	// outputs (exit 130); a second one stops it at once and removes the
	// temporary outputs (exit 130 too: nothing is left).
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-sig
		fmt.Fprintln(os.Stderr, "pcap2table: interrupted: finishing the outputs (interrupt again to stop at once and keep nothing)")
		cancel()
		<-sig
		writers.RemoveTemporaries()
		fmt.Fprintln(os.Stderr, "pcap2table: interrupted again: stopped at once, temporary outputs removed")
		os.Exit(int(exitInterrupted))
	}()
	return run(ctx, osEnv(), args)
}

type usageErr struct{ error }

func run(ctx context.Context, e *env, args []string) exitCode {
	root := newRoot(e)
	root.SetArgs(args)
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	var ue *pcap2table.UsageError
	var ce codeErr
	switch {
	case errors.As(err, &ce):
		if ce.msg != "" {
			fmt.Fprintln(e.stderr, ce.msg)
		}
		return ce.code
	case errors.As(err, &ue), errors.As(err, new(usageErr)):
		fmt.Fprintf(e.stderr, "pcap2table: %v\n", strings.TrimPrefix(err.Error(), "pcap2table: "))
		fmt.Fprintf(e.stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		return exitUsage
	}
	fmt.Fprintln(e.stderr, oneLine(err))
	return exitError
}

// codeErr carries an exit code and a message already formatted.
type codeErr struct {
	code exitCode
	msg  string
}

func (c codeErr) Error() string { return c.msg }

func oneLine(err error) string {
	s := err.Error()
	if !strings.HasPrefix(s, "pcap2table") {
		s = "pcap2table: " + s
	}
	return strings.ReplaceAll(s, "\n", "; ")
}

type convertFlags struct {
	output      string
	format      string
	columns     string
	tables      string
	timeFormat  string
	compression string
	quiet       bool
	cpuprofile  string
	fsync       bool
	tcpIdle     time.Duration
	udpIdle     time.Duration
	active      time.Duration
	seed        uint16
	rWait       time.Duration
	rFlowCap    byteSize
	rCap        byteSize
	fragTimeout time.Duration
	fragCap     byteSize
	checksums   bool
	beaconMin   int
	partition   string
	maxFileRows int
	jobs        int
	maxFlows    int
	beaconPairs int
}

func newRoot(e *env) *cobra.Command {
	var f convertFlags
	root := &cobra.Command{
		Use:   "pcap2table [flags] CAPTURE...",
		Short: "Turn packet captures into analysis tables (Parquet, Arrow IPC, CSV, JSONL)",
		Long: `pcap2table reads pcap and pcapng captures (either byte order, µs or ns,
plain or gzip/zstd/xz/bzip2-compressed, '-' for stdin) and writes tables:
packets (one row per packet), flows (one row per flow, Zeek conn.log
semantics), dns (one row per query/response pair, UDP and TCP), http
(one row per HTTP/1.x request/response pair), tls (one row per handshake,
with JA3, JA3S, JA4 and the server certificate) and beacons (one row per
originator/service pair, scored for regular call-outs), several in one
pass with --tables. Several captures are merged
in timestamp order.

Exit codes: 0 ok, 1 error, 2 usage, 3 partial input (a capture was cut short
or corrupt; every packet before the damage was converted), 130 interrupted
(the output is valid and holds what was converted).`,
		Example: `  pcap2table dump.pcap -o out.parquet
  pcap2table dump.pcapng | jq -c 'select(.dst_port == 53)'
  tcpdump -w - | pcap2table - -o live.arrows
  pcap2table a.pcap b.pcap.gz c.pcapng.zst -o all.csv --time-format epoch
  pcap2table dump.pcap --tables packets,flows,dns,http,tls,beacons -o out/`,
		Version:       pcap2table.Version,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErr{errors.New("no capture given (use - for stdin)")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return convert(cmd.Context(), e, &f, args)
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErr{err} })
	fl := root.Flags()
	fl.StringVarP(&f.output, "output", "o", "", "output file; the extension picks the format (.parquet, .arrow/.feather, .arrows, .csv, .jsonl/.ndjson). Default: JSONL on stdout")
	fl.StringVar(&f.format, "format", "", "output format: "+strings.Join(writers.Names(), ", "))
	fl.StringVar(&f.columns, "columns", "", "comma-separated columns to write, in this order (default: all; see 'pcap2table schema packets')")
	fl.StringVar(&f.tables, "tables", "packets", "comma-separated tables to write in one pass: "+strings.Join(pcap2table.TableNames(), ", ")+"; with several, -o is a folder receiving <table>.<ext> (Parquet unless --format)")
	dc := flows.DefaultConfig()
	fl.DurationVar(&f.tcpIdle, "tcp-idle", dc.TCPIdle, "flows: a TCP flow idle this long (capture time) ends")
	fl.DurationVar(&f.udpIdle, "udp-idle", dc.UDPIdle, "flows: a UDP, ICMP or other flow idle this long ends")
	fl.DurationVar(&f.active, "active-timeout", dc.Active, "flows: a flow lasting this long ends and a new one continues it (0: never)")
	fl.Uint16Var(&f.seed, "community-id-seed", 0, "seed of the Community ID hash")
	fl.DurationVar(&f.rWait, "reassembly-wait", dc.ReassemblyWait, "flows: an acknowledged hole in a TCP stream waits this long (capture time) for its bytes before they count as missed")
	f.rFlowCap, f.rCap, f.fragCap = byteSize(dc.ReassemblyFlowCap), byteSize(dc.ReassemblyCap), byteSize(dc.FragCap)
	fl.Var(&f.rFlowCap, "reassembly-flow-cap", "flows: out-of-order TCP bytes one flow may hold behind holes (bytes, or with KiB, MiB, GiB)")
	fl.Var(&f.rCap, "reassembly-cap", "flows: out-of-order TCP bytes all flows together may hold behind holes")
	fl.DurationVar(&f.fragTimeout, "frag-timeout", dc.FragTimeout, "flows: an IP datagram waits this long (capture time) for its fragments")
	fl.Var(&f.fragCap, "frag-cap", "flows: bytes all IP datagrams waiting for fragments may hold")
	fl.IntVar(&f.maxFlows, "max-flows", dc.MaxFlows, "flows: the most flows live at once, the tracker's memory bound (about 1.2 KiB each); at the bound a new flow ends the least recently active one (end_reason evicted)")
	fl.BoolVar(&f.checksums, "verify-checksums", false, "flows: verify TCP and UDP checksums; a bad one adds c to the history (off: captures from a sending host hold offloaded, wrong checksums)")
	fl.IntVar(&f.beaconMin, "beacon-min-conns", beacons.DefaultMinConns, "beacons: the fewest connections a (src_ip, dst_ip, dst_port, proto) pair needs for a row")
	fl.IntVar(&f.beaconPairs, "beacon-max-pairs", beacons.DefaultMaxPairs, "beacons: the most pairs with fewer connections than --beacon-min-conns kept at once (about 300 bytes each); at the bound the least recently seen is forgotten")
	fl.StringVar(&f.partition, "partition-by", "", "hour or day: write each table as a Hive-style dataset, -o FOLDER/<table>/date=YYYY-MM-DD[/hour=HH]/part-NNNNN.<ext>, partitioned by the table's first timestamp (DuckDB: read_parquet('FOLDER/flows/**/*.parquet', hive_partitioning = true))")
	fl.IntVar(&f.maxFileRows, "max-file-rows", writers.DefaultMaxFileRows, "with --partition-by: the most rows in one file (a partition's rows go on in part-00001, ...)")
	fl.StringVar(&f.timeFormat, "time-format", "rfc3339", "timestamps in CSV/JSONL: rfc3339, epoch, epoch_ns, epoch_us")
	fl.StringVar(&f.compression, "compression", "", "Parquet: zstd (default), snappy, gzip, lz4, none; Arrow: none (default), zstd, lz4")
	fl.IntVarP(&f.jobs, "jobs", "j", 0, "cores to use (default: all); 1 runs every stage on one core. The output is the same, byte for byte, for any -j")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress and no warnings on stderr")
	fl.BoolVar(&f.fsync, "fsync", false, "fsync the output before renaming it into place (durable across a power loss; slower)")
	fl.StringVar(&f.cpuprofile, "cpuprofile", "", "write a CPU profile (pprof) to this file")
	_ = fl.MarkHidden("cpuprofile")
	root.AddCommand(newSchemaCmd(e), newStatsCmd(e))
	return root
}

func convert(ctx context.Context, e *env, f *convertFlags, args []string) error {
	tf, err := writers.ParseTimeFormat(f.timeFormat)
	if err != nil {
		return usageErr{err}
	}
	o := pcap2table.Options{
		Output:         f.output,
		Stdout:         e.stdout,
		Stdin:          e.stdin,
		Format:         f.format,
		TimeFormat:     tf,
		Compression:    f.compression,
		Fsync:          f.fsync,
		Tables:         strings.Split(f.tables, ","),
		BeaconMinConns: f.beaconMin,
		BeaconMaxPairs: f.beaconPairs,
		PartitionBy:    f.partition,
		MaxFileRows:    f.maxFileRows,
	}
	if f.beaconPairs < 1 {
		return usageErr{errors.New("--beacon-max-pairs must be at least 1")}
	}
	if f.maxFlows < 1 {
		return usageErr{errors.New("--max-flows must be at least 1")}
	}
	if f.jobs < 0 {
		return usageErr{errors.New("-j must be at least 1 (0: all cores)")}
	}
	if f.jobs > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(f.jobs))
	}
	if f.maxFileRows < 1 {
		return usageErr{errors.New("--max-file-rows must be at least 1")}
	}
	if f.beaconMin < 2 {
		return usageErr{errors.New("--beacon-min-conns must be at least 2 (an interval needs two connections)")}
	}
	if f.tcpIdle <= 0 || f.udpIdle <= 0 || f.active < 0 {
		return usageErr{errors.New("--tcp-idle and --udp-idle must be positive, --active-timeout not negative")}
	}
	if f.rWait < 0 || f.fragTimeout <= 0 {
		return usageErr{errors.New("--reassembly-wait must not be negative, --frag-timeout must be positive")}
	}
	fc := flows.DefaultConfig()
	fc.TCPIdle, fc.UDPIdle, fc.Active, fc.Seed = f.tcpIdle, f.udpIdle, f.active, f.seed
	fc.ReassemblyWait, fc.ReassemblyFlowCap, fc.ReassemblyCap = f.rWait, int64(f.rFlowCap), int64(f.rCap)
	fc.FragTimeout, fc.FragCap = f.fragTimeout, int64(f.fragCap)
	fc.VerifyChecksums = f.checksums
	fc.MaxFlows = f.maxFlows
	o.Flows = &fc
	if f.columns != "" {
		o.Columns = strings.Split(f.columns, ",")
	}
	// Binary formats on a terminal would only garble it.
	if f.output == "" && e.isTerminal(e.stdout) {
		name := f.format
		if name == "" {
			name = "jsonl"
		}
		if fm, ok := writers.Lookup(name); ok && fm.Binary {
			return usageErr{fmt.Errorf("refusing to write %s to a terminal: use -o FILE or redirect stdout", name)}
		}
	}
	warnings := 0
	o.OnWarning = func(err error) {
		warnings++
		if !f.quiet {
			fmt.Fprintf(e.stderr, "pcap2table: warning: %v\n", oneLine(err))
		}
	}
	stopProgress := func() {}
	if !f.quiet && e.isTerminal(e.stderr) {
		o.Progress = &pcap2table.Progress{}
		stopProgress = showProgress(e.stderr, o.Progress)
	}
	if f.cpuprofile != "" {
		pf, err := os.Create(f.cpuprofile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer func() { pprof.StopCPUProfile(); pf.Close() }()
	}
	st, err := pcap2table.Convert(ctx, args, o)
	stopProgress()
	if st != nil && !f.quiet {
		// Bounds reached are not errors, but the user should know.
		if st.FlowsEvicted > 0 {
			fmt.Fprintf(e.stderr, "pcap2table: warning: %d flows ended early (end_reason evicted) to keep at most %d flows live (see --max-flows)\n", st.FlowsEvicted, f.maxFlows)
		}
		if st.ReassemblyCapHits > 0 {
			fmt.Fprintf(e.stderr, "pcap2table: warning: TCP streams gave up waiting for lost segments %d times at a reassembly cap (see --reassembly-flow-cap, --reassembly-cap)\n", st.ReassemblyCapHits)
		}
		if st.FragmentsUnassigned > 0 {
			fmt.Fprintf(e.stderr, "pcap2table: warning: %d IP fragments belong to no flow: their datagram's first fragment never came (see --frag-timeout, --frag-cap)\n", st.FragmentsUnassigned)
		}
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, pcap2table.ErrInterrupted):
		return codeErr{exitInterrupted, "pcap2table: interrupted; the output holds what was converted"}
	case errors.Is(err, pcap2table.ErrPartial):
		// Warnings were printed as they happened.
		msg := ""
		if f.quiet {
			msg = oneLine(err)
		}
		return codeErr{exitPartial, msg}
	}
	var nc *sniff.NotCaptureError
	var ie *capture.InputError
	if errors.As(err, &nc) || errors.As(err, &ie) {
		return codeErr{exitError, oneLine(err)}
	}
	return err
}

// showProgress draws a progress bar on a terminal: bytes read of the total,
// packets per second and ETA. It returns a function that clears it.
func showProgress(w io.Writer, p *pcap2table.Progress) func() {
	total := p.BytesTotal.Load()
	if total <= 0 {
		total = -1 // unknown (stdin): a spinner
	}
	bar := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetPredictTime(true),
		// no spinner goroutine of the bar's own: it reads the bar's state
		// unlocked while Describe renders (a data race, go test -race);
		// the ticker below renders often enough
		progressbar.OptionSetSpinnerChangeInterval(0),
	)
	done := make(chan struct{})
	stopped := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(stopped)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if tot := p.BytesTotal.Load(); tot > 0 && bar.GetMax64() != tot {
					bar.ChangeMax64(tot)
				}
				pps := float64(p.Packets.Load()) / time.Since(start).Seconds()
				bar.Describe(fmt.Sprintf("%d packets, %.0f packets/s", p.Packets.Load(), pps))
				_ = bar.Set64(p.BytesRead.Load())
			}
		}
	}()
	return func() {
		close(done)
		<-stopped
		_ = bar.Clear()
	}
}

func newSchemaCmd(e *env) *cobra.Command {
	var asJSON, asMarkdown bool
	c := &cobra.Command{
		Use:   "schema [TABLE]",
		Short: "Print the columns of a table (default: packets)",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageErr{fmt.Errorf("schema takes one table name, got %d", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			name := "packets"
			if len(args) == 1 {
				name = args[0]
			}
			s := pcap2table.Schema(name)
			if s == nil {
				return usageErr{fmt.Errorf("unknown table %q (tables: %s)", name, strings.Join(pcap2table.TableNames(), ", "))}
			}
			switch {
			case asJSON:
				type col struct {
					Name     string `json:"name"`
					Type     string `json:"type"`
					Nullable bool   `json:"nullable"`
					Doc      string `json:"doc"`
				}
				var cols []col
				for _, c := range s.Columns {
					cols = append(cols, col{c.Name, c.Type.String(), c.Nullable, c.Doc})
				}
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]any{"table": s.Name, "version": s.Version, "columns": cols})
			case asMarkdown:
				_, err := io.WriteString(e.stdout, s.Markdown())
				return err
			}
			fmt.Fprintf(e.stdout, "table %s (schema version %d)\n", s.Name, s.Version)
			for _, c := range s.Columns {
				null := ""
				if c.Nullable {
					null = "null"
				}
				fmt.Fprintf(e.stdout, "  %-14s %-20s %-5s %s\n", c.Name, c.Type, null, c.Doc)
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.Flags().BoolVar(&asMarkdown, "markdown", false, "print Markdown")
	return c
}

func newStatsCmd(e *env) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "stats CAPTURE...",
		Short: "Summarize captures (like capinfos): format, link types, packets, time span, bytes, decode errors",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErr{errors.New("no capture given")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := pcap2table.Scan(cmd.Context(), args, pcap2table.Options{Stdin: e.stdin})
			if st == nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				if jerr := enc.Encode(st); jerr != nil {
					return jerr
				}
			} else {
				for _, f := range st.Files {
					printStats(e.stdout, f)
				}
				if len(st.Files) > 1 {
					printStats(e.stdout, &st.Total)
				}
			}
			switch {
			case err == nil:
				return nil
			case errors.Is(err, pcap2table.ErrPartial):
				return codeErr{exitPartial, oneLine(err)}
			case errors.Is(err, pcap2table.ErrInterrupted):
				return codeErr{exitInterrupted, ""}
			}
			return err
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func fmtTS(ns int64) string {
	return time.Unix(0, ns).UTC().Format("2006-01-02T15:04:05.000000000Z07:00")
}

func printStats(w io.Writer, f *pcap2table.FileStats) {
	fmt.Fprintf(w, "%s\n", f.Name)
	if f.Format != "" {
		comp := ""
		if len(f.Compression) > 0 {
			comp = " in " + strings.Join(f.Compression, " in ")
		}
		fmt.Fprintf(w, "  format:               %s (%s)%s\n", f.Format, f.Detail, comp)
	}
	fmt.Fprintf(w, "  link types:           %s\n", strings.Join(f.LinkTypes, ", "))
	fmt.Fprintf(w, "  packets:              %d\n", f.Packets)
	if f.Packets > f.NoTimestamp {
		fmt.Fprintf(w, "  earliest packet:      %s\n", fmtTS(f.Earliest))
		fmt.Fprintf(w, "  latest packet:        %s\n", fmtTS(f.Latest))
		fmt.Fprintf(w, "  duration:             %.9f s\n", float64(f.Latest-f.Earliest)/1e9)
	}
	if f.NoTimestamp > 0 {
		fmt.Fprintf(w, "  without timestamp:    %d packets (pcapng simple packet blocks)\n", f.NoTimestamp)
	}
	fmt.Fprintf(w, "  bytes on the wire:    %d\n", f.WireBytes)
	fmt.Fprintf(w, "  bytes captured:       %d", f.CapBytes)
	if f.CapBytes < f.WireBytes {
		fmt.Fprintf(w, " (%d short: packets cut by the snaplen)", f.WireBytes-f.CapBytes)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  caplen < length:      %d packets\n", f.Truncated)
	fmt.Fprintf(w, "  timestamps backwards: %d\n", f.Backwards)
	var nerr uint64
	for _, v := range f.DecodeErrs {
		nerr += v
	}
	fmt.Fprintf(w, "  decode errors:        %d\n", nerr)
	for _, k := range slices.Sorted(maps.Keys(f.DecodeErrs)) {
		fmt.Fprintf(w, "    %-30s %d\n", k, f.DecodeErrs[k])
	}
	if f.Error != "" {
		fmt.Fprintf(w, "  stopped early:        %s\n", f.Error)
	}
}
