package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/pcap2table/pcap2table"
	"github.com/pcap2table/pcap2table/beacons"
	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/internal/profile"
	"github.com/pcap2table/pcap2table/sniff"
	"github.com/pcap2table/pcap2table/writers"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

type convertFlags struct {
	output      string
	format      string
	columns     string
	tables      string
	timeFormat  string
	compression string
	quiet       bool
	cpuprofile  string
	memprofile  string
	fsync       bool
	tcpIdle     time.Duration
	attempt     time.Duration
	udpIdle     time.Duration
	active      time.Duration
	seed        uint16
	rWait       time.Duration
	rFlowCap    byteSize
	rCap        byteSize
	zstdWindow  byteSize
	fragTimeout time.Duration
	fragCap     byteSize
	checksums   bool
	beaconMin   int
	partition   string
	maxFileRows int
	jobs        int
	maxFlows    int
	beaconPairs int
	beaconAll   bool
	beaconNTP   bool
	beaconAddr  bool
	beaconAllow string
	dedup       bool
	dedupWindow time.Duration
	geoip, asn  string
	filter      string
	interim     time.Duration
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
	addFlowFlags(fl, &f)
	fl.DurationVar(&f.interim, "interim", 0, "flows: a flow that goes on is also written every INTERVAL of capture time (end_reason interim, its counts so far), as IPFIX's active timeout without ending it (0: never)")
	fl.IntVar(&f.beaconMin, "beacon-min-conns", beacons.DefaultMinConns, "beacons: the fewest call-outs (connections, HTTP requests, bursts or DNS queries) a pair needs for a row")
	fl.IntVar(&f.beaconPairs, "beacon-max-pairs", beacons.DefaultMaxPairs, "beacons: the most pairs with fewer connections than --beacon-min-conns kept at once (about 400 bytes each); at the bound the least recently seen is forgotten")
	fl.BoolVar(&f.beaconAll, "beacon-all-destinations", false, "beacons: keep the destinations never routed (multicast, broadcast, link-local, loopback, unspecified), left out by default")
	fl.BoolVar(&f.beaconNTP, "beacon-ntp", false, "beacons: keep NTP time synchronization (UDP to port 123, NTP-sized messages), left out by default: clients poll on a schedule by design")
	fl.StringVar(&f.geoip, "geoip", "", "flows: add src_country and dst_country from a MaxMind-format City or Country database `FILE` (.mmdb: GeoLite2, DB-IP lite; docs/enrich.md)")
	fl.StringVar(&f.asn, "asn", "", "flows: add src_asn, dst_asn, src_as_org and dst_as_org from a MaxMind-format ASN database `FILE` (.mmdb)")
	fl.BoolVar(&f.beaconAddr, "beacon-by-address", false, "beacons: key pairs by dst_ip only, not by the name their connections used (TLS, HTTP, DNS): the dns, http and tls parsers then run only for their own tables (faster)")
	fl.StringVar(&f.beaconAllow, "beacon-allow", "", "beacons: leave out the destinations listed in `FILE`: one a line, an IP address or CIDR prefix (dst_ip) or a DNS name (*.name or .name: and its subdomains); # comments")
	fl.StringVar(&f.partition, "partition-by", "", "hour or day: write each table as a Hive-style dataset, -o FOLDER/<table>/date=YYYY-MM-DD[/hour=HH]/part-NNNNN.<ext>, partitioned by the table's first timestamp (DuckDB: read_parquet('FOLDER/flows/**/*.parquet', hive_partitioning = true))")
	fl.IntVar(&f.maxFileRows, "max-file-rows", writers.DefaultMaxFileRows, "with --partition-by: the most rows in one file (a partition's rows go on in part-00001, ...)")
	fl.StringVar(&f.timeFormat, "time-format", "rfc3339", "timestamps in CSV/JSONL: rfc3339, epoch, epoch_ns, epoch_us")
	fl.StringVar(&f.compression, "compression", "", "Parquet: zstd (default), snappy, gzip, lz4, none; Arrow: none (default), zstd, lz4")
	fl.IntVarP(&f.jobs, "jobs", "j", 0, "flow trackers working in parallel, with reading, tracking and writing overlapping (default: one per core); 1 does all the work on one core (the garbage collector aside). The output is the same, byte for byte, for any -j")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress and no warnings on stderr")
	fl.BoolVar(&f.fsync, "fsync", false, "fsync the output before renaming it into place (durable across a power loss; slower)")
	fl.StringVar(&f.cpuprofile, "cpuprofile", "", "write a CPU profile (pprof) to this file")
	_ = fl.MarkHidden("cpuprofile")
	fl.StringVar(&f.memprofile, "memprofile", "", "write a heap profile (pprof) taken at the run's peak live heap to this file")
	_ = fl.MarkHidden("memprofile")
	root.AddCommand(newSchemaCmd(e), newStatsCmd(e))
	return root
}

// convertDefaults are the conversion's defaults of its flags that extract
// and watch have not: their options() and check() read them too.
func convertDefaults() convertFlags {
	return convertFlags{timeFormat: "rfc3339", tables: "packets", beaconMin: beacons.DefaultMinConns,
		beaconPairs: beacons.DefaultMaxPairs, maxFileRows: writers.DefaultMaxFileRows}
}

// addFlowFlags adds the flags that decide which flow a packet belongs to
// and how the inputs are read: the conversion's and extract's (whose flow
// ids must be the conversion's).
func addFlowFlags(fl *pflag.FlagSet, f *convertFlags) {
	dc := flows.DefaultConfig()
	fl.DurationVar(&f.tcpIdle, "tcp-idle", dc.TCPIdle, "flows: a TCP flow idle this long (capture time) ends")
	fl.DurationVar(&f.attempt, "tcp-attempt", dc.AttemptTimeout, "flows: a TCP flow whose SYN has no answer this long after it ends (0: it waits for --tcp-idle)")
	fl.DurationVar(&f.udpIdle, "udp-idle", dc.UDPIdle, "flows: a UDP, ICMP or other flow idle this long ends")
	fl.DurationVar(&f.active, "active-timeout", dc.Active, "flows: a flow lasting this long ends and a new one continues it (0: never)")
	fl.Uint16Var(&f.seed, "community-id-seed", 0, "seed of the Community ID hash")
	fl.DurationVar(&f.rWait, "reassembly-wait", dc.ReassemblyWait, "flows: an acknowledged hole in a TCP stream waits this long (capture time) for its bytes before they count as missed")
	f.rFlowCap, f.rCap, f.fragCap = byteSize(dc.ReassemblyFlowCap), byteSize(dc.ReassemblyCap), byteSize(dc.FragCap)
	fl.Var(&f.rFlowCap, "reassembly-flow-cap", "flows: out-of-order TCP bytes one flow may hold behind holes (bytes, or with KiB, MiB, GiB)")
	fl.Var(&f.rCap, "reassembly-cap", "flows: out-of-order TCP bytes all flows together may hold behind holes")
	fl.DurationVar(&f.fragTimeout, "frag-timeout", dc.FragTimeout, "flows: an IP datagram waits this long (capture time) for its fragments")
	fl.Var(&f.fragCap, "frag-cap", "flows: memory all IP datagrams waiting for fragments may hold (their bytes, and about 560 bytes each); at most 65536 of them")
	fl.IntVar(&f.maxFlows, "max-flows", dc.MaxFlows, "flows: the most flows live at once, the tracker's memory bound (about 1.2 KiB each); at the bound a new flow ends the least recently active one (end_reason evicted)")
	fl.BoolVar(&f.checksums, "verify-checksums", false, "flows: verify TCP and UDP checksums; a bad one adds c to the history (off: captures from a sending host hold offloaded, wrong checksums)")
	fl.StringVar(&f.filter, "filter", "", "keep only the packets this capture filter selects, in tcpdump's language (pcap-filter(7): 'tcp port 443 and not net 10.0.0.0/8'), applied before decoding (docs/filter.md)")
	fl.BoolVar(&f.dedup, "dedup", false, "drop the copies of packets that SPAN ports and merged taps make: equal but for their link layer, TTL and IP checksum, within --dedup-window (counted in the summary and stats)")
	fl.DurationVar(&f.dedupWindow, "dedup-window", pcap2table.DefaultDedupWindow, "--dedup: how far back (capture time) a packet's copy is looked for")
	f.zstdWindow = byteSize(sniff.DefaultZstdWindow)
	fl.Var(&f.zstdWindow, "zstd-max-window", "the largest window a zstd-compressed input may use (the memory its decoder holds); zstd --long=31 writes up to 2GiB")
}

func convert(ctx context.Context, e *env, f *convertFlags, args []string) error {
	o, err := f.options(e)
	if err != nil {
		return err
	}
	// Binary formats on a terminal would only garble it.
	if (f.output == "" || f.output == "-") && e.isTerminal(e.stdout) {
		name := cmp.Or(f.format, "jsonl")
		if fm, ok := writers.Lookup(name); ok && fm.Binary {
			return usageErr{fmt.Errorf("refusing to write %s to a terminal: use -o FILE or redirect stdout", name)}
		}
	}
	o.OnWarning = func(err error) {
		if !f.quiet {
			e.warn(err.Error())
		}
	}
	stopProgress := func(bool) {}
	if !f.quiet && e.isTerminal(e.stderr) {
		o.Progress = &pcap2table.Progress{}
		stopProgress = showProgress(e.stderr, o.Progress)
	}
	if f.cpuprofile != "" {
		stop, err := profile.StartCPU(f.cpuprofile)
		if err != nil {
			return err
		}
		defer stop()
	}
	if f.memprofile != "" {
		stop, err := startPeakHeapProfile(f.memprofile)
		if err != nil {
			return err
		}
		defer stop()
	}
	start := time.Now()
	st, err := pcap2table.Convert(ctx, args, *o)
	stopProgress(err == nil || errors.Is(err, pcap2table.ErrPartial))
	if st != nil && !f.quiet {
		warnBounds(e, st, f)
		if err == nil || errors.Is(err, pcap2table.ErrPartial) {
			fmt.Fprintln(e.stderr, summary(st, time.Since(start)))
		}
	}
	return exitFor(err, f.quiet)
}

// exitFor maps Convert's error to the exit code and the line to print.
func exitFor(err error, quiet bool) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, pcap2table.ErrInterrupted):
		return codeErr{exitInterrupted, "pcap2table: interrupted; the output holds what was converted"}
	case errors.Is(err, pcap2table.ErrPartial):
		// The warnings were printed as they came, unless quiet.
		msg := ""
		if quiet {
			msg = oneLine(err)
		}
		return codeErr{exitPartial, msg}
	}
	return err
}

// options turns the flags into Convert's options.
func (f *convertFlags) options(e *env) (*pcap2table.Options, error) {
	tf, err := writers.ParseTimeFormat(f.timeFormat)
	if err != nil {
		return nil, usageErr{err}
	}
	if err := f.check(); err != nil {
		return nil, usageErr{err}
	}
	o := &pcap2table.Options{
		Output:                f.output,
		Stdout:                e.stdout,
		Stdin:                 e.stdin,
		Format:                f.format,
		TimeFormat:            tf,
		Compression:           f.compression,
		Fsync:                 f.fsync,
		Tables:                strings.Split(f.tables, ","),
		Jobs:                  f.jobs,
		BeaconMinConns:        f.beaconMin,
		BeaconMaxPairs:        f.beaconPairs,
		BeaconAllDestinations: f.beaconAll,
		BeaconNTP:             f.beaconNTP,
		BeaconByAddress:       f.beaconAddr,
		Dedup:                 f.dedup,
		Filter:                f.filter,
		GeoIP:                 f.geoip,
		ASN:                   f.asn,
		DedupWindow:           f.dedupWindow,
		PartitionBy:           f.partition,
		MaxFileRows:           f.maxFileRows,
		ZstdMaxWindow:         int64(f.zstdWindow),
	}
	fc := flows.DefaultConfig()
	fc.TCPIdle, fc.UDPIdle, fc.Active, fc.Seed = f.tcpIdle, f.udpIdle, f.active, f.seed
	fc.AttemptTimeout = f.attempt
	fc.Interim = f.interim
	fc.ReassemblyWait, fc.ReassemblyFlowCap, fc.ReassemblyCap = f.rWait, int64(f.rFlowCap), int64(f.rCap)
	fc.FragTimeout, fc.FragCap = f.fragTimeout, int64(f.fragCap)
	fc.VerifyChecksums = f.checksums
	fc.MaxFlows = f.maxFlows
	o.Flows = &fc
	if f.columns != "" {
		o.Columns = strings.Split(f.columns, ",")
	}
	if f.beaconAllow != "" {
		if o.BeaconAllow, err = readAllow(f.beaconAllow); err != nil {
			return nil, usageErr{err}
		}
	}
	return o, nil
}

// readAllow reads the allow-list of --beacon-allow.
func readAllow(path string) (*beacons.Allow, error) {
	r, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--beacon-allow: %w", err)
	}
	defer r.Close()
	a, err := beacons.ParseAllow(r)
	if err != nil {
		return nil, fmt.Errorf("--beacon-allow %s: %w", path, err)
	}
	return a, nil
}

// check checks the flags' values.
func (f *convertFlags) check() error {
	switch {
	case f.beaconPairs < 1:
		return errors.New("--beacon-max-pairs must be at least 1")
	case f.maxFlows < 1:
		return errors.New("--max-flows must be at least 1")
	case f.jobs < 0:
		return errors.New("-j must be at least 1 (0: all cores)")
	case f.maxFileRows < 1:
		return errors.New("--max-file-rows must be at least 1")
	case f.beaconMin < 2:
		return errors.New("--beacon-min-conns must be at least 2 (an interval needs two connections)")
	case f.tcpIdle <= 0 || f.udpIdle <= 0 || f.active < 0 || f.attempt < 0 || f.interim < 0:
		return errors.New("--tcp-idle and --udp-idle must be positive, --active-timeout, --tcp-attempt and --interim not negative")
	case f.rWait < 0 || f.fragTimeout <= 0:
		return errors.New("--reassembly-wait must not be negative, --frag-timeout must be positive")
	case f.dedupWindow <= 0:
		return errors.New("--dedup-window must be positive")
	}
	return nil
}
