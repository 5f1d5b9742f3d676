package beaconeval

import (
	"math"
	"slices"
)

// RITA's constants (DESIGN.md, "Beacon anchors").
const (
	ritaMinUnique   = 4     // unique whole-second timestamps for a score
	ritaStrobe      = 86400 // connections that make a strobe
	ritaBins        = 24    // histogram bins over the window
	ritaMinSpread   = 10    // Q3 − Q1 below which Bowley's skew is 0
	ritaBimodalBins = 11    // non-empty bins for the bimodal fit
	ritaDurBins     = 6     // non-empty bins for the duration score
	ritaMaxAddrs    = 10    // server addresses a name row lists
)

// RITAScore is RITA's score of one pair and its four sub-scores.
type RITAScore struct {
	TS, Size, Hist, Dur float64
	// Score is the mean of the four, rounded to 3 decimals.
	Score  float64
	Strobe bool
}

// ScoreRITA scores a pair's connections (start times in seconds since
// the epoch, orig IP bytes of each) over the window [from, to] (the
// dataset's span, seconds). ok is false below 4 unique whole-second
// timestamps (no row); at 86,400 connections or more the pair is a
// strobe, not scored.
func ScoreRITA(starts, bytes []float64, from, to float64) (s RITAScore, ok bool) {
	secs := make([]float64, len(starts))
	for i, t := range starts {
		secs[i] = math.Floor(t)
	}
	slices.Sort(secs)
	uniq := slices.Compact(slices.Clone(secs))
	if len(uniq) < ritaMinUnique {
		return s, false
	}
	if len(starts) >= ritaStrobe {
		return RITAScore{Strobe: true}, true
	}
	intervals := make([]float64, 0, len(uniq)-1)
	for i := 1; i < len(uniq); i++ {
		intervals = append(intervals, uniq[i]-uniq[i-1]) // zero intervals dropped with the duplicates
	}
	s.TS = skewMADScore(intervals)
	s.Size = skewMADScore(bytes)
	bins := histogram(secs, from, to)
	s.Hist = histScore(bins)
	s.Dur = durationScore(bins, secs[0], secs[len(secs)-1], from, to)
	s.Score = math.Round((s.TS+s.Size+s.Hist+s.Dur)/4*1000) / 1000
	return s, true
}

// skewMADScore is RITA's dispersion score of values: the mean of
// 1 − |Bowley skew| and (median − MAD)/median. The skew is 0 when
// Q3 − Q1 < 10 or the median equals Q1 or Q3; the MAD term is clamped at
// 0, and is 1 when the median is below 1.
func skewMADScore(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(x))
	q1, q2, q3 := quantile(s, 0.25), quantile(s, 0.5), quantile(s, 0.75)
	skew := 0.0
	if q3-q1 >= ritaMinSpread && q2 != q1 && q2 != q3 {
		skew = (q1 + q3 - 2*q2) / (q3 - q1)
	}
	dev := make([]float64, len(s))
	for i, v := range s {
		dev[i] = math.Abs(v - q2)
	}
	slices.Sort(dev)
	mad := quantile(dev, 0.5)
	madTerm := 1.0
	if q2 >= 1 {
		madTerm = max(0, (q2-mad)/q2)
	}
	return ((1 - math.Abs(skew)) + madTerm) / 2
}

// quantile of sorted values, linearly interpolated between order
// statistics (R's type 7, NumPy's default).
func quantile(s []float64, p float64) float64 {
	h := p * float64(len(s)-1)
	lo := int(math.Floor(h))
	if lo+1 >= len(s) {
		return s[len(s)-1]
	}
	return s[lo] + (h-float64(lo))*(s[lo+1]-s[lo])
}

// histogram counts the timestamps in 24 equal bins of [from, to].
func histogram(secs []float64, from, to float64) [ritaBins]int {
	var bins [ritaBins]int
	width := (to - from) / ritaBins
	for _, t := range secs {
		i := 0
		if width > 0 {
			i = int(math.Floor((t - from) / width))
		}
		bins[min(max(i, 0), ritaBins-1)]++
	}
	return bins
}

// histScore is the larger of 1 − CV of the bin counts (0 when CV > 1)
// and the bimodal fit: with at least 11 non-empty bins, their heights
// bucketed by ceil(0.05·max), (count of the two commonest buckets) /
// (non-empty bins − 1), capped at 1.
func histScore(bins [ritaBins]int) float64 {
	var sum, most float64
	nonEmpty := 0
	for _, c := range bins {
		sum += float64(c)
		most = max(most, float64(c))
		if c > 0 {
			nonEmpty++
		}
	}
	if sum == 0 {
		return 0
	}
	mean := sum / ritaBins
	var ss float64
	for _, c := range bins {
		ss += (float64(c) - mean) * (float64(c) - mean)
	}
	cvScore := 0.0
	if cv := math.Sqrt(ss/ritaBins) / mean; cv <= 1 {
		cvScore = 1 - cv
	}
	if nonEmpty < ritaBimodalBins {
		return cvScore
	}
	bucket := math.Ceil(0.05 * most)
	freq := map[int]int{}
	for _, c := range bins {
		if c > 0 {
			freq[int(float64(c)/bucket)]++
		}
	}
	counts := make([]int, 0, len(freq))
	for _, n := range freq {
		counts = append(counts, n)
	}
	slices.Sort(counts)
	top := counts[len(counts)-1]
	if len(counts) > 1 {
		top += counts[len(counts)-2]
	}
	return max(cvScore, min(1, float64(top)/float64(nonEmpty-1)))
}

// durationScore: with at least 6 non-empty bins, the larger of the
// coverage (last − first)/(to − from) and the longest run of non-empty
// bins, wrapping around, over 12; each capped at 1. Else 0.
func durationScore(bins [ritaBins]int, first, last, from, to float64) float64 {
	nonEmpty := 0
	for _, c := range bins {
		if c > 0 {
			nonEmpty++
		}
	}
	if nonEmpty < ritaDurBins {
		return 0
	}
	coverage := 1.0
	if to > from {
		coverage = min(1, (last-first)/(to-from))
	}
	return max(coverage, min(1, float64(longestRun(bins))/12))
}

// longestRun is the longest run of non-empty bins, the last bin followed
// by the first.
func longestRun(bins [ritaBins]int) int {
	best, run := 0, 0
	for i := range 2 * ritaBins {
		if bins[i%ritaBins] > 0 {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	return min(best, ritaBins)
}
