// Command pcap2table-beam converts packet captures to pcap2table's tables
// on an Apache Beam runner (Prism by default; --runner=flink, spark or
// dataflow with their job server's flags): see docs/scaling.md.
//
//	pcap2table-beam --input 'gs://bucket/sensor-*/*.pcap' --output gs://bucket/tables \
//	    --tables packets,flows,dns,http,tls --parts 64
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"
	"github.com/pcap2table/pcap2table/beam"
	"github.com/pcap2table/pcap2table/internal/hugepage"
	"github.com/pcap2table/pcap2table/internal/profile"
)

// list is a repeatable, comma-separated flag.
type list []string

func (l *list) String() string { return strings.Join(*l, ",") }
func (l *list) Set(s string) error {
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			*l = append(*l, v)
		}
	}
	return nil
}

func main() {
	var c pcapbeam.Config
	var inputs, tables list
	flag.Var(&inputs, "input", "captures: files or globs, local or on a file system Beam knows (gs://...); repeatable, comma-separated")
	flag.StringVar(&c.Output, "output", "", "output folder (local or gs://...): <table>/date=YYYY-MM-DD/part-*.parquet and _SUCCESS")
	flag.Var(&tables, "tables", "tables to write (default packets,flows,dns,http,tls; beacons takes one worker per conversion)")
	flag.IntVar(&c.Parts, "parts", pcapbeam.DefaultParts, "parts the flows are split into: the most workers converting at once")
	flag.StringVar(&c.PartitionBy, "partition-by", "day", "day, hour or none")
	flag.IntVar(&c.Jobs, "jobs", 0, "flow trackers per part (0: the worker's cores)")
	flag.BoolVar(&c.BySensor, "by-sensor", false, "each folder's captures (a sensor's) are a conversion of their own, written under <table>/sensor=<folder>/")
	flag.StringVar(&c.Filter, "filter", "", "as pcap2table's: keep only the packets this capture filter selects (tcpdump's language)")
	flag.BoolVar(&c.Dedup, "dedup", false, "as pcap2table's: drop the copies of packets that SPAN ports and merged taps make")
	flag.DurationVar(&c.DedupWindow, "dedup-window", 0, "as pcap2table's (0: its default)")
	var seed uint
	flag.UintVar(&seed, "community-id-seed", 0, "seed of the Community ID hash")
	flag.StringVar(&c.GeoIP, "geoip", "", "as pcap2table's: a MaxMind-format City or Country database, at a path every worker reads")
	flag.StringVar(&c.ASN, "asn", "", "as pcap2table's: a MaxMind-format ASN database, at a path every worker reads")
	flag.IntVar(&c.BeaconMinConns, "beacon-min-conns", 0, "as pcap2table's (0: its default)")
	flag.BoolVar(&c.BeaconByAddress, "beacon-by-address", false, "as pcap2table's")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of this process (with Prism, the workers too) to `FILE`")
	flag.Parse()
	if seed > 0xffff {
		fmt.Fprintln(os.Stderr, "pcap2table-beam: --community-id-seed is 16 bits")
		os.Exit(2)
	}
	c.CommunityIDSeed = uint16(seed)
	if *cpuprofile != "" {
		stop, err := profile.StartCPU(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "pcap2table-beam:", err)
			os.Exit(1)
		}
		defer stop()
	}
	// Huge pages: the launcher and, on every runner, the workers (the
	// same binary) convert with fewer page faults (internal/hugepage); a
	// failure only costs that.
	hugepage.Advise(hugepage.DefaultReserve) //nolint:errcheck
	beam.Init()
	ctx := context.Background()
	if err := run(ctx, &c, inputs, tables); err != nil {
		fmt.Fprintln(os.Stderr, "pcap2table-beam:", err)
		os.Exit(1) //nolint:gocritic // the profile of a failed run is not wanted
	}
}

func run(ctx context.Context, c *pcapbeam.Config, inputs, tables []string) error {
	if len(inputs) == 0 {
		return fmt.Errorf("no --input")
	}
	var err error
	if c.Inputs, err = pcapbeam.Expand(ctx, inputs); err != nil {
		return err
	}
	c.Tables = tables
	p, s := beam.NewPipelineWithRoot()
	if err := pcapbeam.Build(s, *c); err != nil {
		return err
	}
	return beamx.Run(ctx, p)
}
