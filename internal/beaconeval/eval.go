package beaconeval

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/pcap2table/pcap2table"
	"github.com/pcap2table/pcap2table/internal/beacongen"
)

// Methods are the scorers compared, in the report's order.
var Methods = []string{"ours", "RITA", "mode"}

// Config sets an evaluation run; the same Config gives the same report.
type Config struct {
	// Seeds are the generated office days, one per seed, each Hours long
	// with Hosts internal hosts, from beacongen.DefaultStart.
	Seeds []uint64
	Hours float64
	Hosts int
	// Real are real captures (pcap or pcapng, Ethernet) used as
	// backgrounds too.
	Real []string
	// K beacons are planted in each capture.
	K int
	// Jitters and Missed are the cells' jitter fractions and shares of
	// missed beats.
	Jitters, Missed []float64
	// MaxPeriod is the longest period planted, seconds (0: 3600).
	MaxPeriod float64
	// Budget is the benign pairs per capture a detection may cost.
	Budget int
	// Seed makes the planted beacons.
	Seed uint64
	// MaxMisses bounds the misses listed in the report.
	MaxMisses int
	// TempDir holds each capture while it is converted ("": os.TempDir).
	TempDir string
	// Log receives a line per capture (nil: none).
	Log io.Writer
}

// DefaultConfig is three 24-hour office days of 16 hosts, 6 beacons per
// capture, jitter {0, 10, 30, 60 %} × missed {0, 10, 30, 50 %}, a budget
// of 2 benign pairs; no real capture.
func DefaultConfig() Config {
	return Config{Seeds: []uint64{1, 2, 3}, Hours: 24, Hosts: 16, K: 6, Jitters: []float64{0, 0.1, 0.3, 0.6},
		Missed: []float64{0, 0.1, 0.3, 0.5}, Budget: 2, Seed: 1, MaxMisses: 40}
}

// background is one background of the run.
type background struct {
	name      string
	generated bool
	bg        *beacongen.Background
}

// Capture is the outcome of one capture: a background with the beacons
// of one cell planted.
type Capture struct {
	Background     string
	Jitter, Missed float64
	Planted        []beacongen.Planted
	// Outcomes per method, in the order of Methods.
	Outcomes []Outcome
}

// Result is a run's captures and what the report says about its inputs.
type Result struct {
	Config      Config
	Backgrounds []BackgroundInfo
	Captures    []Capture
}

// BackgroundInfo describes a background in the report.
type BackgroundInfo struct {
	Name      string
	Generated bool
	Span      time.Duration
	Packets   int
}

// Run plants, converts and scores every cell on every background.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	bgs, err := backgrounds(cfg)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(cfg.TempDir, "beaconeval-")
	if err != nil {
		return nil, fmt.Errorf("beaconeval: %w", err)
	}
	defer os.RemoveAll(dir)
	res := &Result{Config: cfg}
	for _, b := range bgs {
		from, to := b.bg.Span()
		res.Backgrounds = append(res.Backgrounds, BackgroundInfo{Name: b.name, Generated: b.generated, Span: to.Sub(from), Packets: b.bg.Packets()})
	}
	for bi, b := range bgs {
		for ji, j := range cfg.Jitters {
			for mi, m := range cfg.Missed {
				c, err := runCapture(ctx, cfg, dir, b, bi, ji*len(cfg.Missed)+mi, j, m)
				if err != nil {
					return nil, err
				}
				res.Captures = append(res.Captures, c)
			}
		}
	}
	return res, nil
}

// backgrounds generates the office days and reads the real captures.
func backgrounds(cfg Config) ([]background, error) {
	var out []background
	for _, s := range cfg.Seeds {
		gc := beacongen.Config{Seed: s, Start: beacongen.DefaultStart, Duration: time.Duration(cfg.Hours * float64(time.Hour)), Hosts: cfg.Hosts}
		out = append(out, background{name: fmt.Sprintf("office seed %d", s), generated: true, bg: beacongen.OfficeBackground(gc)})
	}
	for _, path := range cfg.Real {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("beaconeval: %w", err)
		}
		bg, err := beacongen.ReadBackground(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("beaconeval: %s: %w", path, err)
		}
		out = append(out, background{name: filepath.Base(path), bg: bg})
	}
	return out, nil
}

// runCapture plants the beacons of cell c on background b, converts the
// capture and evaluates the three rankings.
func runCapture(ctx context.Context, cfg Config, dir string, b background, bi, c int, jitter, missed float64) (Capture, error) {
	began := time.Now()
	from, to := b.bg.Span()
	specs := Specs(cfg.K, bi, c, cfg.Seed, jitter, missed, cfg.MaxPeriod, to.Sub(from), b.generated)
	path, out := filepath.Join(dir, "capture.pcap"), filepath.Join(dir, "out")
	truth, err := beacongen.WriteFile(path, func(w io.Writer) (beacongen.SpecTruth, error) {
		return b.bg.Plant(w, cfg.Seed<<16|uint64(bi)<<8|uint64(c), specs)
	})
	if err != nil {
		return Capture{}, fmt.Errorf("beaconeval: plant: %w", err)
	}
	_ = os.RemoveAll(out)
	_, err = pcap2table.Convert(ctx, []string{path}, pcap2table.Options{Output: out + "/", Format: "jsonl",
		Tables: []string{"flows", "http", "tls", "dns", "beacons"}})
	if err != nil {
		return Capture{}, fmt.Errorf("beaconeval: convert %s: %w", b.name, err)
	}
	t, err := ReadTables(out)
	if err != nil {
		return Capture{}, fmt.Errorf("beaconeval: %w", err)
	}
	capt := Capture{Background: b.name, Jitter: jitter, Missed: missed, Planted: truth.Beacons}
	for _, rows := range [][]Row{Ours(t.Beacons), RITA(t), Mode(t.Flows)} {
		capt.Outcomes = append(capt.Outcomes, Evaluate(Rank(rows, truth.Beacons), len(truth.Beacons), cfg.Budget))
	}
	if cfg.Log != nil {
		fmt.Fprintf(cfg.Log, "%-50s jitter %3.0f %% missed %3.0f %%: %d packets, %.1f s\n", b.name, 100*jitter, 100*missed,
			truth.Packets, time.Since(began).Seconds())
	}
	return capt, nil
}

// Specs are the k beacons of cell c on background bi: kinds rotating
// over beacongen.Kinds, periods log-uniform in 10 s to maxPeriod
// (0: 1 h; on a real
// background capped so that each beacon has 8 beats on average, see
// beacongen.MaxPeriod), one- and two-sided jitter alternating, every
// third with a sleep window (working hours on a generated day, else a
// long random stretch), every fourth from the second with tasking.
func Specs(k, bi, c int, seed uint64, jitter, missed, maxPeriod float64, span time.Duration, generated bool) []beacongen.Spec {
	rng := rand.New(rand.NewPCG(seed, uint64(bi)<<8|uint64(c)))
	var out []beacongen.Spec
	for i := range k {
		s := beacongen.Spec{Kind: beacongen.Kinds[(i+bi+c)%len(beacongen.Kinds)], Jitter: jitter, Missed: missed, TwoSided: (i+c)%2 == 1}
		if i%3 == 2 {
			s.Sleep = beacongen.SleepStretch
			if generated && (i/3+c)%2 == 0 {
				s.Sleep = beacongen.SleepWorkHours
			}
		}
		if i%4 == 1 {
			s.Tasking = 0.1
		}
		hi := 3600.0
		if maxPeriod > 0 {
			hi = max(10, maxPeriod)
		}
		if !generated {
			active := span
			if s.Sleep == beacongen.SleepStretch {
				active = span / 2
			}
			hi = max(10, min(hi, beacongen.MaxPeriod(active, missed, 8)))
		}
		s.Period = math.Round(10*math.Exp(rng.Float64()*math.Log(hi/10))*10) / 10
		s.Name = fmt.Sprintf("%d-%s-%.0fs", i, s.Kind, s.Period)
		out = append(out, s)
	}
	return out
}
