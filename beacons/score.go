package beacons

import (
	"math"
	"slices"
	"strconv"
	"time"
)

// Stats are a pair's statistics and score (docs/beacons.md).
type Stats struct {
	Mean, Median, Stddev, CV, MAD, Skew float64
	HasCV                               bool
	BytesMean, BytesStddev              float64
	BytesMedian, BytesMAD, BytesSkew    float64
	Coverage                            float64
	// Hourly counts the connections by the UTC hour of their start;
	// Hours is the number of hours of the day with connections, of
	// Covered hours of the day that the capture covers.
	Hourly         [24]uint32
	Hours, Covered int
	// Beats is what the interval statistics rest on: the call-outs, with
	// a tasking burst counted once (docs/beacons.md, "Beats").
	Beats uint64
	// Strobe: more than one connection a second over at least a minute;
	// a strobe has no score.
	Strobe bool
	// The parts of the score, each in [0, 1], and the score.
	TS, Size, Hist, Duration, Period, Score float64
	// Evidence, Prevalence and Scope scale the score: few call-outs, a
	// destination many sources call, a private one (1 when not set).
	Evidence, Prevalence, Scope float64
}

// robust are the order statistics of a sample.
type robust struct{ median, mad, skew float64 }

// robustStats is the median, the median absolute deviation from it and
// Bowley's quartile skewness of v (reordered).
func robustStats(v []float64) robust {
	slices.Sort(v)
	var r robust
	r.median = quantile(v, 0.5)
	q1, q3 := quantile(v, 0.25), quantile(v, 0.75)
	if q3 > q1 {
		r.skew = (q1 + q3 - 2*r.median) / (q3 - q1)
	}
	for i := range v {
		v[i] = math.Abs(v[i] - r.median)
	}
	slices.Sort(v)
	r.mad = quantile(v, 0.5)
	return r
}

// spread is the sub-score of a sample's dispersion: 1 without any,
// falling linearly to 0 when the MAD reaches half the median (uniform
// ±30% jitter scores 0.7, exponential intervals 0).
func spread(r robust) float64 {
	switch {
	case r.mad == 0:
		return 1
	case r.median <= 0:
		return 0
	}
	return max(0, 1-2*r.mad/r.median)
}

// regularity is the sub-score of a sample: the mean of its symmetry
// (1 − |Bowley skewness|) and of its spread.
func regularity(r robust) float64 {
	return ((1 - math.Abs(r.skew)) + spread(r)) / 2
}

// hourOf is the UTC hour of the day of the time ns.
func hourOf(ns int64) int { return time.Unix(0, ns).UTC().Hour() }

// exposure is, per UTC hour of the day, the seconds of the capture's span
// [lo, hi] that fall in it (the one hour of lo is 1 when the span is 0).
func exposure(lo, hi int64) [24]float64 {
	var e [24]float64
	if hi <= lo {
		e[hourOf(lo)] = 1
		return e
	}
	const hour, day = int64(time.Hour), int64(24 * time.Hour)
	if days := (hi - lo) / day; days > 0 {
		for h := range e {
			e[h] = float64(days) * 3600
		}
		lo += days * day
	}
	for t := lo; t < hi; {
		next := min(t-((t%hour)+hour)%hour+hour, hi) // the next hour boundary
		e[hourOf(t)] += float64(next-t) / 1e9
		t = next
	}
	return e
}

// histScore is how evenly the connections spread over the hours of the
// day the capture covers: 1 − the total variation distance between the
// connections' hourly shares and the capture's (its exposure), in [0, 1].
func histScore(c *[24]uint32, e *[24]float64) float64 {
	var n, total float64
	for h := range c {
		n += float64(c[h])
		total += e[h]
	}
	if n == 0 || total == 0 {
		return 0
	}
	s := 0.0
	for h := range c {
		s += min(float64(c[h])/n, e[h]/total)
	}
	return min(1, s)
}

// score fills the parts and the score (docs/beacons.md).
func (s *Stats) score() {
	s.Size = regularity(robust{s.BytesMedian, s.BytesMAD, s.BytesSkew})
	s.Duration = s.Coverage
	s.TS = regularity(robust{s.Median, s.MAD, s.Skew})
	s.Score = max(s.TS, s.Period) * (0.4 + 0.2*s.Size + 0.2*s.Hist + 0.2*s.Duration)
	if s.Evidence > 0 {
		s.Score *= s.Evidence
	}
	if s.Prevalence > 0 {
		s.Score *= s.Prevalence
	}
	if s.Scope > 0 {
		s.Score *= s.Scope
	}
}

// Why is the row's explanation: "every 60.0 s ±0.4 s, 312 B ±0, 23 h of
// 24" (median interval ± MAD, median bytes ± MAD, hours of the day with
// connections of those the capture covers).
func (s *Stats) Why(n uint64, noun string, spanNs int64) string {
	b := make([]byte, 0, 64)
	if n < ThinEvidence && !s.Strobe {
		b = append(b, "thin evidence, "...)
		b = strconv.AppendUint(b, n, 10)
		b = append(b, ' ')
		b = append(b, noun...)
		b = append(b, ": "...)
	}
	if s.Strobe {
		b = append(b, "strobe: "...)
		b = strconv.AppendFloat(b, float64(n)/(float64(spanNs)/1e9), 'f', 1, 64)
		b = append(b, ' ')
		b = append(b, noun...)
		b = append(b, "/s, "...)
	}
	b = append(b, "every "...)
	b = appendDuration(b, s.Median, s.MAD)
	b = append(b, ", "...)
	b = strconv.AppendFloat(b, s.BytesMedian, 'f', 0, 64)
	b = append(b, " B ±"...)
	b = strconv.AppendFloat(b, s.BytesMAD, 'f', 0, 64)
	b = append(b, ", "...)
	b = strconv.AppendInt(b, int64(s.Hours), 10)
	b = append(b, " h of "...)
	b = strconv.AppendInt(b, int64(s.Covered), 10)
	return string(b)
}

// ThinEvidence is the fewest call-outs whose statistics the why column
// does not warn about: below it, as RITA's minimum of 4 lets in, a few
// intervals make the score (issue 29; docs/beacons.md).
const ThinEvidence = 10

// appendDuration appends "60.0 s ±0.4 s", in milliseconds for short
// intervals, minutes or hours for long ones.
func appendDuration(b []byte, sec, dev float64) []byte {
	unit, div := " s", 1.0
	switch {
	case sec < 1:
		unit, div = " ms", 1e-3
	case sec >= 3600:
		unit, div = " h", 3600
	case sec >= 120:
		unit, div = " min", 60
	}
	prec := 1
	if unit == " ms" && sec/div >= 10 {
		prec = 0
	}
	b = strconv.AppendFloat(b, sec/div, 'f', prec, 64)
	b = append(b, unit...)
	b = append(b, " ±"...)
	b = strconv.AppendFloat(b, dev/div, 'f', prec, 64)
	return append(b, unit...)
}

// quantile is the q-quantile of sorted v, interpolated linearly (0 when
// v is empty).
func quantile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return 0
	}
	pos := q * float64(len(v)-1)
	i := int(pos)
	if i+1 >= len(v) {
		return v[len(v)-1]
	}
	return v[i] + (pos-float64(i))*(v[i+1]-v[i])
}
