package beaconeval

import (
	"math"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// TestSkewMADScore: hand-computed dispersion scores (quantiles of type 7).
func TestSkewMADScore(t *testing.T) {
	for _, tc := range []struct {
		name string
		x    []float64
		want float64
	}{
		// all equal: no skew, MAD 0
		{"constant", []float64{60, 60, 60, 60}, 1},
		// Q1 20, Q2 30, Q3 40: skew 0; MAD 10: (1 + 20/30)/2
		{"symmetric", []float64{10, 20, 30, 40, 100}, (1 + 2.0/3) / 2},
		// Q1 12, Q2 14, Q3 40: skew 24/28; MAD 4: (1 − 24/28 + 10/14)/2
		{"skewed", []float64{10, 12, 14, 40, 100}, (1 - 24.0/28 + 10.0/14) / 2},
		// Q3 − Q1 = 7 < 10: skew 0; MAD 3: (1 + 100/103)/2
		{"narrow spread", []float64{100, 101, 103, 108, 200}, (1 + 100.0/103) / 2},
		// Q2 = Q1: skew 0; MAD 0
		{"median at Q1", []float64{5, 5, 5, 50, 90}, 1},
		// median < 1: the MAD term is 1
		{"median below 1", []float64{0, 0, 0, 5}, 1},
		// Q1 17.5, Q2 25, Q3 32.5: skew 0; MAD 10: (1 + 15/25)/2
		{"four levels", rep([]float64{10, 20, 30, 40}, 6), 0.8},
		// MAD = median: the term is 0, and skew 0: 1/2
		{"MAD equals median", []float64{0, 0, 0, 100, 100, 100}, 0.5},
	} {
		if got := skewMADScore(tc.x); !near(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// rep repeats each value n times.
func rep(vals []float64, n int) []float64 {
	var out []float64
	for _, v := range vals {
		for range n {
			out = append(out, v)
		}
	}
	return out
}

func bins(counts map[int]int) [ritaBins]int {
	var b [ritaBins]int
	for i, c := range counts {
		b[i] = c
	}
	return b
}

// TestHistScore: 1 − CV, and the bimodal fit.
func TestHistScore(t *testing.T) {
	uniform, half, mixed := map[int]int{}, map[int]int{}, map[int]int{}
	for i := range 24 {
		uniform[i] = 5
		if i < 12 {
			half[i] = 2
		}
	}
	// 8 bins of 10, 4 of 3, 2 of 6, 1 of 1: CV 0.989; bimodal 12/14
	for i := range 8 {
		mixed[i] = 10
	}
	for i := 8; i < 12; i++ {
		mixed[i] = 3
	}
	mixed[12], mixed[13], mixed[14] = 6, 6, 1
	for _, tc := range []struct {
		name string
		bins map[int]int
		want float64
	}{
		{"uniform", uniform, 1},
		{"one bin: CV > 1", map[int]int{3: 24}, 0},
		{"half the day: CV 1, bimodal capped at 1", half, 1},
		{"bimodal fit", mixed, 12.0 / 14},
		// CV sqrt(14/10) > 1, and too few bins for the bimodal fit
		{"ten bins", map[int]int{0: 5, 1: 5, 2: 5, 3: 5, 4: 5, 5: 5, 6: 5, 7: 5, 8: 5, 9: 5}, 0},
		{"empty", map[int]int{}, 0},
	} {
		if got := histScore(bins(tc.bins)); !near(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestDurationScore: coverage, the longest run with wrap-around, and
// fewer than 6 non-empty bins.
func TestDurationScore(t *testing.T) {
	six := map[int]int{0: 1, 1: 1, 2: 1, 3: 1, 4: 1, 5: 1}
	wrap := map[int]int{20: 1, 21: 1, 22: 1, 23: 1, 0: 1, 1: 1, 2: 1, 3: 1}
	all := map[int]int{}
	for i := range 24 {
		all[i] = 1
	}
	for _, tc := range []struct {
		name        string
		bins        map[int]int
		first, last float64 // window [0, 2400]
		want        float64
	}{
		{"five bins", map[int]int{0: 1, 5: 1, 10: 1, 15: 1, 23: 1}, 0, 2400, 0},
		{"six in a row: run 6/12", six, 0, 600, 0.5},
		{"coverage beats the run", map[int]int{0: 1, 4: 1, 8: 1, 12: 1, 16: 1, 23: 1}, 0, 2340, 2340.0 / 2400},
		{"wrap-around run of 8", wrap, 0, 240, 8.0 / 12},
		{"all bins: capped at 1", all, 0, 100, 1},
	} {
		if got := durationScore(bins(tc.bins), tc.first, tc.last, 0, 2400); !near(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestScoreRITA: a perfect beacon, the rounded mean, too few unique
// seconds, and a strobe.
func TestScoreRITA(t *testing.T) {
	var starts, same, levels []float64
	for i := range 24 {
		starts = append(starts, float64(100*i)+0.25) // one per bin of [0, 2400]
		same = append(same, 300)
	}
	levels = rep([]float64{10, 20, 30, 40}, 6)
	s, ok := ScoreRITA(starts, same, 0, 2400)
	if !ok || s.Score != 1 || s.TS != 1 || s.Size != 1 || s.Hist != 1 || s.Dur != 1 {
		t.Errorf("perfect: %+v %v", s, ok)
	}
	// sizes score 0.8: (1 + 0.8 + 1 + 1)/4 = 0.95
	if s, _ := ScoreRITA(starts, levels, 0, 2400); s.Score != 0.95 {
		t.Errorf("levels: %+v", s)
	}
	// intervals 100, 100, 100, 250 (bins 1, 2, 3, 4, 6 of 100 s): Q1 = Q2,
	// skew 0, MAD 0; the sizes constant; CV of the bins sqrt(19/5) > 1;
	// 5 bins: no duration score. (1 + 1 + 0 + 0)/4
	odd := []float64{100, 200, 300, 400, 650}
	cv := math.Sqrt(5.0/24*19.0/24) / (5.0 / 24)
	want := math.Round((1+1+max(0, 1-cv)+0)/4*1000) / 1000
	if s, ok := ScoreRITA(odd, same[:5], 0, 2400); !ok || s.Score != want {
		t.Errorf("odd: %+v, want %v", s, want)
	}
	if _, ok := ScoreRITA([]float64{0, 0.5, 10, 20.2}, same[:4], 0, 100); ok {
		t.Error("3 unique seconds scored")
	}
	many := make([]float64, ritaStrobe)
	for i := range many {
		many[i] = float64(i)
	}
	if s, ok := ScoreRITA(many, many, 0, ritaStrobe); !ok || !s.Strobe || s.Score != 0 {
		t.Errorf("strobe: %+v", s)
	}
}

// TestLongestRun wraps around and caps at 24.
func TestLongestRun(t *testing.T) {
	if n := longestRun(bins(map[int]int{22: 1, 23: 1, 0: 1, 5: 1})); n != 3 {
		t.Errorf("wrap: %d", n)
	}
	all := map[int]int{}
	for i := range 24 {
		all[i] = 1
	}
	if n := longestRun(bins(all)); n != 24 {
		t.Errorf("all: %d", n)
	}
}
