// Command beacons writes the ground-truth capture for beacon hunting of
// internal/beacongen: a day of an office network with five planted
// command-and-control beacons, and its truth as JSON.
//
//	go run ./bench/beacons -o truth.pcap                 # truth on stdout
//	go run ./bench/beacons -o truth.pcap -truth truth.json -seed 7 -hours 48
//
// Then score it, for example:
//
//	go run ./cmd/pcap2table truth.pcap --tables flows,beacons -o out/ --format jsonl
//
// and compare the beacons table's top rows with the truth (see README.md).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/pcap2table/pcap2table/internal/beacongen"
)

func main() {
	def := beacongen.DefaultConfig()
	out := flag.String("o", "truth.pcap", "capture to write")
	truthOut := flag.String("truth", "-", "file for the truth as JSON (-: stdout)")
	seed := flag.Uint64("seed", def.Seed, "random seed: same flags, same bytes")
	hours := flag.Float64("hours", def.Duration.Hours(), "capture length, hours")
	hosts := flag.Int("hosts", def.Hosts, "internal hosts (at least 14)")
	start := flag.String("start", def.Start.Format(time.RFC3339), "capture start (RFC 3339; working hours are 08:00-18:00 UTC)")
	flag.Parse()
	if err := run(*out, *truthOut, *seed, *hours, *hosts, *start); err != nil {
		fmt.Fprintln(os.Stderr, "beacons:", err)
		os.Exit(1)
	}
}

func run(out, truthOut string, seed uint64, hours float64, hosts int, start string) error {
	t0, err := time.Parse(time.RFC3339, start)
	if err != nil {
		return err
	}
	cfg := beacongen.Config{Seed: seed, Start: t0, Duration: time.Duration(hours * float64(time.Hour)), Hosts: hosts}
	truth, err := beacongen.WriteFile(out, func(w io.Writer) (beacongen.Truth, error) { return beacongen.Generate(w, cfg) })
	if err != nil {
		return err
	}
	js, err := json.MarshalIndent(truth, "", "  ")
	if err != nil {
		return err
	}
	js = append(js, '\n')
	if truthOut == "-" {
		_, err = os.Stdout.Write(js)
		return err
	}
	return os.WriteFile(truthOut, js, 0o644)
}
