// Command beaconeval measures beacon detection against anchors (issue
// 29): it plants configured beacons into generated office days and real
// captures, converts each with pcap2table, and prints a Markdown report
// comparing the beacons table's score with RITA's and with the share of
// intervals at the mode. See README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/pcap2table/pcap2table/internal/beaconeval"
)

// defaultReal are the real backgrounds of this machine (skipped with a
// note on stderr when missing).
const defaultReal = "../shared/captures/pcap-parser--assets--wireshark_samples-test.pcapng,../shared/peers/zeek/traces/ftp--cwd-navigation.pcap"

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "beaconeval:", err)
		os.Exit(2)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	cfg := beaconeval.DefaultConfig()
	fs := flag.NewFlagSet("beaconeval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seeds := fs.String("seeds", "1,2,3", "generated office days, one per seed (comma-separated; empty: none)")
	real := fs.String("real", defaultReal, "real captures to plant into (comma-separated; a missing one is skipped)")
	jitters := fs.String("jitter", "0,0.1,0.3,0.6", "jitter fractions of the cells")
	missed := fs.String("missed", "0,0.1,0.3,0.5", "shares of missed beats of the cells")
	fs.Float64Var(&cfg.Hours, "hours", cfg.Hours, "length of each generated day, hours")
	fs.IntVar(&cfg.Hosts, "hosts", cfg.Hosts, "internal hosts of each generated day")
	fs.IntVar(&cfg.K, "k", cfg.K, "beacons planted per capture")
	fs.Float64Var(&cfg.MaxPeriod, "max-period", 3600, "longest period planted, seconds (real backgrounds cap it further)")
	fs.IntVar(&cfg.Budget, "budget", cfg.Budget, "benign pairs per capture a detection may cost")
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the planted beacons")
	fs.IntVar(&cfg.MaxMisses, "misses", cfg.MaxMisses, "misses listed at most")
	quiet := fs.Bool("q", false, "no progress on stderr")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var err error
	if cfg.Seeds, err = parseList(*seeds, func(s string) (uint64, error) { return strconv.ParseUint(s, 10, 64) }); err != nil {
		return fmt.Errorf("-seeds: %w", err)
	}
	parseF := func(s string) (float64, error) { return strconv.ParseFloat(s, 64) }
	if cfg.Jitters, err = parseList(*jitters, parseF); err != nil {
		return fmt.Errorf("-jitter: %w", err)
	}
	if cfg.Missed, err = parseList(*missed, parseF); err != nil {
		return fmt.Errorf("-missed: %w", err)
	}
	cfg.Real = existing(*real, stderr)
	if !*quiet {
		cfg.Log = stderr
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	began := time.Now()
	res, err := beaconeval.Run(ctx, cfg)
	if err != nil {
		return err
	}
	res.Report(stdout)
	if !*quiet {
		fmt.Fprintf(stderr, "%d captures in %.0f s\n", len(res.Captures), time.Since(began).Seconds())
	}
	return nil
}

// parseList parses a comma-separated list.
func parseList[T any](s string, parse func(string) (T, error)) ([]T, error) {
	var out []T
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		v, err := parse(f)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// existing keeps the paths of list that exist, noting the others.
func existing(list string, stderr io.Writer) []string {
	var out []string
	for _, p := range strings.Split(list, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(stderr, "beaconeval: %s: missing, skipped\n", p)
			continue
		}
		out = append(out, p)
	}
	return out
}
