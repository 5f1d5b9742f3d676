package beacons

import (
	"math"
	"math/bits"
	"math/cmplx"
	"slices"
	"strconv"
)

// Periodicity is what the periodicity test finds in a pair's call-out
// times (docs/beacons.md, "The periodicity test").
type Periodicity struct {
	// Tested: there were enough call-outs (minBeats) over a span to test.
	Tested bool
	// PValue is Walker's test of the binned series' periodogram: the
	// chance that a series without a period (a Poisson process: bins of
	// white noise) has a peak as high as its highest; 1 when not tested.
	PValue float64
	// Period (seconds) is the period the peak gives when PValue is below
	// alpha, confirmed by the series' autocorrelation at that lag and
	// refined on the intervals between beats; 0 when none is.
	Period float64
	// MissedBeats is the share of the beats the period expects between
	// the first call-out and the last that none came at, in [0, 1].
	MissedBeats float64
	// Jitter is the spread of the intervals between beats (each divided
	// by the periods it spans): the central 90 % of them over the period
	// (a sleep of the period ±10 %, uniform, gives about 0.18).
	Jitter float64
	// JitterSkew is Bowley's skewness of those intervals, in [-1, 1]:
	// beyond ±0.3 they lean to one side of the period (sleeps cut short
	// now and then: below). A uniform jitter that only shortens the sleep,
	// Cobalt Strike's, is as symmetric about its mean as a two-sided one:
	// the intervals alone cannot tell them apart.
	JitterSkew float64
}

// Bounds of the test.
const (
	// alpha is the p-value below which the peak is a period to confirm:
	// a series without a period has one in 100 chances of it.
	alpha    = 0.01
	minBeats = 4       // call-outs needed, as RITA's minimum
	maxBins  = 1 << 16 // the binned series' longest length (512 KiB, at Finish only)
	minBins  = 64
	// binsPerPeriod is the bins the typical interval spans.
	binsPerPeriod = 8
)

// segBins is the length of the segments whose periodograms are averaged
// (Bartlett's method): 32 typical intervals. A beacon that sleeps a
// jittered time after each call-out loses its phase over many beats, and
// a periodogram of the whole series spreads its peak thin; within a
// segment the beats keep their phase. Each segment less its own mean also
// leaves out the slow envelope of sleep windows and working hours.
const segBins = 32 * binsPerPeriod

// periodicity tests the sorted call-out times (ns) for a period.
func periodicity(times []int64) Periodicity {
	out := Periodicity{PValue: 1}
	if len(times) < minBeats || times[len(times)-1] <= times[0] {
		return out
	}
	x, w := binSeries(times)
	power, segs := averagePeriodogram(x, min(len(x), segBins))
	if segs == 0 {
		return out
	}
	out.Tested = true
	k, peak := 1, 0.0
	for f := 1; f < len(power); f++ {
		if power[f] > peak {
			k, peak = f, power[f]
		}
	}
	// each averaged ordinate of a series without a period is a mean of
	// segs Exp(1): Gamma(segs, 1/segs); Walker's test on the highest
	// of the m ordinates
	m := float64(len(power) - 1)
	out.PValue = -math.Expm1(m * math.Log1p(-gammaQ(segs, float64(segs)*peak)))
	if out.PValue >= alpha {
		return out
	}
	lag := confirm(detrend(x, len(power)*2), len(power)*2, k)
	if lag == 0 {
		return out
	}
	out.Period = float64(lag) * w
	beatStats(times, &out)
	return out
}

// averagePeriodogram returns the mean of the periodograms of x's segments
// of seg bins, each over its own variance (segments with none are left
// out), and how many it averaged.
func averagePeriodogram(x []float64, seg int) ([]float64, int) {
	avg := make([]float64, seg/2)
	n := 0
	for s := 0; s+seg <= len(x); s += seg {
		power, variance := periodogram(x[s : s+seg])
		if variance == 0 {
			continue
		}
		for k := range avg {
			avg[k] += power[k] / variance
		}
		n++
	}
	for k := range avg {
		avg[k] /= float64(max(n, 1))
	}
	return avg, n
}

// detrend returns x less the mean of each of its segments of seg bins.
func detrend(x []float64, seg int) []float64 {
	y := make([]float64, len(x))
	for s := 0; s < len(x); s += seg {
		part := x[s:min(s+seg, len(x))]
		var mean float64
		for _, v := range part {
			mean += v
		}
		mean /= float64(len(part))
		for i, v := range part {
			y[s+i] = v - mean
		}
	}
	return y
}

// gammaQ is the regularized upper incomplete gamma function Q(a, x) for
// a whole a: the chance that a Gamma(a, 1) exceeds x, e^-x Σ_{j<a} x^j/j!
// (summed in logarithms: x reaches the hundreds).
func gammaQ(a int, x float64) float64 {
	if x <= 0 {
		return 1
	}
	lx := math.Log(x)
	logs := make([]float64, a)
	top := math.Inf(-1)
	for j := range a {
		lg, _ := math.Lgamma(float64(j + 1))
		logs[j] = -x + float64(j)*lx - lg
		top = max(top, logs[j])
	}
	var sum float64
	for _, l := range logs {
		sum += math.Exp(l - top)
	}
	return min(1, math.Exp(top+math.Log(sum)))
}

// binSeries marks the bins of equal width that hold a time (1, else 0),
// a power of two of them: about binsPerPeriod to the median interval,
// within minBins and maxBins. It returns the series and the width in
// seconds. A bin holds 1 however many call-outs fell in it: a tasking
// burst (several call-outs seconds apart after a beat) is one event, as
// the beat it follows, and does not outweigh the beats.
func binSeries(times []int64) ([]float64, float64) {
	span := float64(times[len(times)-1]-times[0]) / 1e9
	ivals := make([]float64, 0, len(times)-1)
	for i := 1; i < len(times); i++ {
		if d := times[i] - times[i-1]; d > 0 {
			ivals = append(ivals, float64(d)/1e9)
		}
	}
	slices.Sort(ivals)
	med := ivals[len(ivals)/2]
	n := 1 << bits.Len(uint(span/med*binsPerPeriod))
	n = min(max(n, minBins), maxBins)
	w := span / float64(n-1)
	x := make([]float64, n)
	for _, t := range times {
		x[int(float64(t-times[0])/1e9/w)] = 1
	}
	return x, w
}

// periodogram returns the periodogram of x (its length a power of two),
// |X(k)|²/n for k in [0, n/2), of x less its mean, and x's variance.
func periodogram(x []float64) ([]float64, float64) {
	n := len(x)
	var mean float64
	for _, v := range x {
		mean += v
	}
	mean /= float64(n)
	c := make([]complex128, n)
	var variance float64
	for i, v := range x {
		c[i] = complex(v-mean, 0)
		variance += (v - mean) * (v - mean)
	}
	variance /= float64(n)
	fft(c)
	power := make([]float64, n/2)
	for k := range power {
		a := cmplx.Abs(c[k])
		power[k] = a * a / float64(n)
	}
	return power, variance
}

// fft transforms a in place (its length a power of two): an iterative
// radix-2 Cooley-Tukey. The series here are at most maxBins long.
func fft(a []complex128) {
	n := len(a)
	for i, j := 1, 0; i < n; i++ {
		bit := n >> 1
		for ; j&bit != 0; bit >>= 1 {
			j ^= bit
		}
		j ^= bit
		if i < j {
			a[i], a[j] = a[j], a[i]
		}
	}
	for size := 2; size <= n; size <<= 1 {
		step := cmplx.Exp(complex(0, -2*math.Pi/float64(size)))
		for start := 0; start < n; start += size {
			w := complex(1, 0)
			for k := range size / 2 {
				u, v := a[start+k], a[start+k+size/2]*w
				a[start+k], a[start+k+size/2] = u+v, u-v
				w *= step
			}
		}
	}
}

// confirm returns the lag (in bins) of the period that the periodogram's
// peak at frequency k gives, or of a subharmonic of it (k/2, k/3, k/4: a
// train of short call-outs puts as much power at its harmonics as at its
// own frequency). A lag's correlation is the sum of the autocorrelation
// at it and, from 4 bins on, the lags beside it, where jitter moves the
// beats (a period of 3 bins, in a long capture's capped series, has no
// room for them: its neighbours are a third of a period off). The lag
// chosen is the shortest whose correlation is within 70 % of the best (the
// multiples of the period correlate as well as the period), if the best
// is beyond what a series without a period reaches (two standard errors
// of that sum, 2·√(lags summed)/√n); 0 when it is not.
func confirm(x []float64, seg, k int) int {
	n := len(x)
	type cand struct {
		lag int
		r   float64
		z   float64 // r over its standard error without a period
	}
	var cands []cand
	best, bestZ := 0.0, 0.0
	for d := 1; d <= 4 && k/d >= 1; d++ {
		lag := int(math.Round(float64(seg) * float64(d) / float64(k)))
		if lag < 2 || lag+1 >= seg/2 {
			continue
		}
		h := 0
		if lag >= 4 {
			h = 1
		}
		c := cand{lag: lag}
		for l := lag - h; l <= lag+h; l++ {
			c.r += autocorrelation(x, l)
		}
		c.z = c.r / (math.Sqrt(float64(2*h+1)) / math.Sqrt(float64(n)))
		cands = append(cands, c)
		best, bestZ = max(best, c.r), max(bestZ, c.z)
	}
	if bestZ <= 2 {
		return 0
	}
	for _, c := range cands {
		if c.r >= 0.7*best {
			return c.lag
		}
	}
	return 0
}

// autocorrelation is x's autocorrelation at lag.
func autocorrelation(x []float64, lag int) float64 {
	var mean float64
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	var num, den float64
	for i, v := range x {
		den += (v - mean) * (v - mean)
		if i+lag < len(x) {
			num += (v - mean) * (x[i+lag] - mean)
		}
	}
	if den == 0 {
		return 0
	}
	return num / den
}

// beatStats refines out.Period on the beats of times (call-outs less than
// a quarter period after a beat's first belong to it: a tasking burst is
// one beat) and sets the missed beats and the jitter, all from the
// intervals between consecutive beats, each divided by the periods it
// spans (two or more where beats were missed). Intervals, not offsets
// from a fixed grid: a beacon sleeps a jittered time after each call-out,
// so its phase wanders and only its intervals keep the jitter's law.
func beatStats(times []int64, out *Periodicity) {
	p := out.Period
	var beats []float64
	for _, t := range times {
		s := float64(t-times[0]) / 1e9
		if len(beats) == 0 || s-beats[len(beats)-1] >= p/4 {
			beats = append(beats, s)
		}
	}
	if len(beats) < 2 {
		return
	}
	per := func() []float64 {
		v := make([]float64, 0, len(beats)-1)
		for i := 1; i < len(beats); i++ {
			d := beats[i] - beats[i-1]
			v = append(v, d/max(1, math.Round(d/p)))
		}
		slices.Sort(v)
		return v
	}
	v := per()
	p = v[len(v)/2] // the median, then once more on it
	v = per()
	q := func(f float64) float64 { return v[int(f*float64(len(v)-1)+0.5)] }
	p = q(0.5)
	out.Period = p
	spanned := 0.0
	for i := 1; i < len(beats); i++ {
		spanned += max(1, math.Round((beats[i]-beats[i-1])/p))
	}
	out.MissedBeats = min(1, max(0, 1-float64(len(beats))/(spanned+1)))
	lo, hi := q(0.05), q(0.95)
	out.Jitter = (hi - lo) / p
	if hi > lo {
		out.JitterSkew = (hi + lo - 2*p) / (hi - lo)
	}
}

// explain appends the test's finding to a row's why when a period is
// confirmed: "; periodic at p < 1e-9", the period when it is not the
// median interval (median, s) within 10 %, and the beats missed.
func (p *Periodicity) explain(why string, median float64) string {
	if p.Period == 0 {
		return why
	}
	b := append([]byte(why), "; periodic at p "...)
	if p.PValue < 1e-9 {
		b = append(b, "< 1e-9"...)
	} else {
		b = append(b, "= "...)
		b = strconv.AppendFloat(b, p.PValue, 'g', 2, 64)
	}
	if math.Abs(p.Period-median) > 0.1*median {
		b = append(b, ", period "...)
		b = appendDuration(b, p.Period, p.Jitter*p.Period/2)
	}
	if m := math.Round(100 * p.MissedBeats); m > 0 {
		b = append(b, ", "...)
		b = strconv.AppendFloat(b, m, 'f', 0, 64)
		b = append(b, " % of beats missed"...)
	}
	return string(b)
}
