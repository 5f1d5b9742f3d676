package beacons

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// series makes the call-out times (ns) of a beacon that sleeps period
// seconds after each of n beats, the sleep jittered by a share of the
// period (uniform in [-j/2, j/2] two-sided, or in [-j, 0] one-sided: a
// sleep only shortened, as Cobalt Strike's), with a share of the beats
// missed (no call-out seen).
func series(n int, period, jitter float64, oneSided bool, missed float64, seed uint64) []int64 {
	r := rand.New(rand.NewPCG(seed, 1))
	var t []int64
	var s float64
	for range n {
		if r.Float64() >= missed {
			t = append(t, int64(s*1e9))
		}
		f := 1 + (r.Float64()-0.5)*jitter
		if oneSided {
			f = 1 - r.Float64()*jitter
		}
		s += f * period
	}
	return t
}

func poisson(n int, mean float64, seed uint64) []int64 {
	r := rand.New(rand.NewPCG(seed, 2))
	t := make([]int64, n)
	var s float64
	for i := range t {
		s += r.ExpFloat64() * mean
		t[i] = int64(s * 1e9)
	}
	return t
}

// tasked adds to one beat in five of times 2 to 4 call-outs 1 to 4 s
// apart (an operator's tasking), times sorted.
func tasked(times []int64, seed uint64) []int64 {
	r := rand.New(rand.NewPCG(seed, 2))
	out := slices.Clone(times)
	for i, t := range times {
		if i%5 == 0 {
			for k := range 2 + r.IntN(3) {
				out = append(out, t+int64(k+1)*int64(1+r.IntN(4))*1e9)
			}
		}
	}
	slices.Sort(out)
	return out
}

func TestPeriodicity(t *testing.T) {
	for _, c := range []struct {
		name     string
		times    []int64
		period   float64 // 0: none expected
		missed   float64 // expected, ± 0.1
		jitter   float64 // at most
		skewSign int     // -1, 0, 1: the skew's side, 0 for |skew| < 0.3
	}{
		{"exact 60 s", series(200, 60, 0, false, 0, 1), 60, 0, 0.01, 0},
		{"60 s, 20 % two-sided", series(200, 60, 0.2, false, 0, 2), 60, 0, 0.2, 0},
		{"60 s, 50 % two-sided", series(300, 60, 0.5, false, 0, 3), 60, 0, 0.5, 0},
		{"60 s, 30 % one-sided", series(300, 60, 0.3, true, 0, 9), 60 * 0.85, 0, 0.35, 0},
		{"300 s, 30 % missed", series(300, 300, 0.1, false, 0.3, 4), 300, 0.3, 0.1, 0},
		{"10 s, 50 % missed, 20 % jitter", series(1000, 10, 0.2, false, 0.5, 5), 10, 0.5, 0.2, 0},
		{"3600 s, few", series(8, 3600, 0.05, false, 0, 6), 3600, 0, 0.1, 0},
		// a day of a 4 s beacon: the series is capped at maxBins (1.3 s
		// bins), so the period is 3 bins and confirmed without neighbours
		{"4 s over a day, 10 % two-sided", series(21600, 4, 0.1, false, 0, 10), 4, 0, 0.15, 0},
		// tasking: 2 to 4 call-outs seconds after one beat in five are
		// one event in the binned series (counted, p was 0.16 and no
		// period; marked, 7e-4)
		{"2000 s, 30 % jitter, 30 % missed, tasking", tasked(series(60, 2000, 0.3, false, 0.3, 2), 2), 2000, 0.3, 0.7, 0},
		{"Poisson", poisson(300, 60, 7), 0, 0, 0, 0},
		{"Poisson, many", poisson(3000, 5, 8), 0, 0, 0, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := periodicity(c.times)
			if !p.Tested {
				t.Fatalf("not tested: %+v", p)
			}
			if c.period == 0 {
				if p.PValue < 0.01 && p.Period != 0 {
					t.Errorf("a period in noise: %+v", p)
				}
				return
			}
			if p.PValue > 0.01 {
				t.Errorf("p-value %g", p.PValue)
			}
			if math.Abs(p.Period-c.period) > 0.05*c.period {
				t.Errorf("period %g, want %g", p.Period, c.period)
			}
			if math.Abs(p.MissedBeats-c.missed) > 0.1 {
				t.Errorf("missed beats %g, want %g", p.MissedBeats, c.missed)
			}
			if p.Jitter > c.jitter {
				t.Errorf("jitter %g, want at most %g", p.Jitter, c.jitter)
			}
		})
	}
}

func TestPeriodicityTooFew(t *testing.T) {
	for _, times := range [][]int64{nil, {1}, {1, 2, 3}, {5, 5, 5, 5, 5}} {
		if p := periodicity(times); p.Tested || p.PValue != 1 || p.Period != 0 {
			t.Errorf("%v: %+v", times, p)
		}
	}
}

func TestFFT(t *testing.T) {
	x := []complex128{1, 2, 3, 4, 0, -1, 2, 5}
	got := slices.Clone(x)
	fft(got)
	for k := range x {
		var want complex128
		for n, v := range x {
			a := -2 * math.Pi * float64(k*n) / float64(len(x))
			want += v * complex(math.Cos(a), math.Sin(a))
		}
		if d := got[k] - want; math.Hypot(real(d), imag(d)) > 1e-9 {
			t.Errorf("X[%d] = %v, want %v", k, got[k], want)
		}
	}
}

// TestPeriodicityCalibration: on series without a period (Poisson call-
// outs), Walker's p-value falls below 0.05 about as often as it should.
func TestPeriodicityCalibration(t *testing.T) {
	low, n := 0, 300
	for i := range n {
		if p := periodicity(poisson(20+i%200, 30, uint64(100+i))); p.PValue < 0.05 {
			low++
		}
	}
	if low > n/10 {
		t.Errorf("p < 0.05 for %d of %d series without a period", low, n)
	}
	t.Logf("p < 0.05 for %d of %d", low, n)
}

func TestExplain(t *testing.T) {
	for _, c := range []struct {
		p      Periodicity
		median float64
		want   string
	}{
		{Periodicity{PValue: 0.5}, 60, "w"},
		{Periodicity{Period: 60, PValue: 1e-12}, 60, "w; periodic at p < 1e-9"},
		{Periodicity{Period: 60, PValue: 0.003, MissedBeats: 0.3, Jitter: 0.2}, 120, "w; periodic at p = 0.003, period 60.0 s ±6.0 s, 30 % of beats missed"},
	} {
		if got := c.p.explain("w", c.median); got != c.want {
			t.Errorf("%+v: %q, want %q", c.p, got, c.want)
		}
	}
}
