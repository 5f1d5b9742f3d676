package report

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// Chart is a bar chart drawn as inline SVG by the template. Its numbers
// are the SVG's coordinates.
type Chart struct {
	W, H   float64
	Bars   []Bar
	Labels []Label
	// Axis is the baseline's y, from Left to Right.
	Axis, Left, Right float64
	// Note says how to read the chart (a log scale).
	Note string
}

// Bar is one bar; Tip is its tooltip.
type Bar struct {
	X, Y, W, H float64
	Tip        string
}

// Label is a text on the chart.
type Label struct {
	X, Y   float64
	Text   string
	Anchor string // start, middle or end
}

// The layout of a chart: the plot lies between the pads.
const (
	chartW    = 720 // the timeline's size
	chartH    = 160
	histW     = 400 // an interval histogram's
	histH     = 120
	padLeft   = 70
	padRight  = 10
	padTop    = 10
	padBottom = 22
)

// bars draws values as bars on a chart w by h; tip(i) is bar i's
// tooltip, unit formats the largest value on the y axis.
func bars(w, h float64, vals []float64, tip func(i int) string, unit func(float64) string) *Chart {
	c := &Chart{W: w, H: h, Axis: h - padBottom, Left: padLeft, Right: w - padRight}
	top := 0.0
	for _, v := range vals {
		top = math.Max(top, v)
	}
	pw := (w - padLeft - padRight) / float64(max(len(vals), 1))
	ph := h - padTop - padBottom
	for i, v := range vals {
		bh := 0.0
		if top > 0 {
			bh = v / top * ph
		}
		if v > 0 && bh < 1 {
			bh = 1 // a bar that is not zero shows
		}
		c.Bars = append(c.Bars, Bar{
			X: round1(padLeft + float64(i)*pw), W: round1(math.Max(pw-1, 0.5)),
			Y: round1(c.Axis - bh), H: round1(bh), Tip: tip(i),
		})
	}
	c.Labels = append(c.Labels,
		Label{X: padLeft - 4, Y: padTop + 8, Text: unit(top), Anchor: "end"},
		Label{X: padLeft - 4, Y: c.Axis, Text: "0", Anchor: "end"})
	return c
}

// xLabels labels the x axis at its start, middle and end.
func (c *Chart) xLabels(first, mid, last string) {
	y := c.H - 6
	c.Labels = append(c.Labels,
		Label{X: c.Left, Y: y, Text: first, Anchor: "start"},
		Label{X: (c.Left + c.Right) / 2, Y: y, Text: mid, Anchor: "middle"},
		Label{X: c.Right, Y: y, Text: last, Anchor: "end"})
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

// timeline bins bytes and flow starts over the capture's time span.
type timeline struct {
	t0    int64
	width float64 // of a bin, ns
	bytes []float64
	flows []float64
}

func newTimeline(t0, t1 int64, n int) *timeline {
	if t1 == t0 {
		n = 1
	}
	return &timeline{t0: t0, width: math.Max(float64(t1-t0)/float64(n), 1),
		bytes: make([]float64, n), flows: make([]float64, n)}
}

// bin is the bin of time t.
func (t *timeline) bin(ts int64) int {
	return min(max(int(float64(ts-t.t0)/t.width), 0), len(t.bytes)-1)
}

// add counts a flow: its start, and its bytes spread evenly over
// [start, end].
func (t *timeline) add(start, end int64, bytes float64) {
	t.flows[t.bin(start)]++
	b0, b1 := t.bin(start), t.bin(end)
	if b0 == b1 {
		t.bytes[b0] += bytes
		return
	}
	d := float64(end - start)
	for b := b0; b <= b1; b++ {
		lo := math.Max(float64(start), float64(t.t0)+float64(b)*t.width)
		hi := math.Min(float64(end), float64(t.t0)+float64(b+1)*t.width)
		if b == b1 {
			hi = float64(end) // the last bin takes what rounding left
		}
		if hi > lo {
			t.bytes[b] += bytes * (hi - lo) / d
		}
	}
}

// charts draws the bytes and the flow starts over time.
func (t *timeline) charts() (bytesChart, flowsChart *Chart) {
	at := func(i int) int64 { return t.t0 + int64(float64(i)*t.width) }
	span := func(i int) string { return fmtTime(at(i)) + " – " + fmtTime(at(i+1)) }
	n := len(t.bytes)
	bytesChart = bars(chartW, chartH, t.bytes, func(i int) string {
		return span(i) + ": " + fmtBytes(uint64(t.bytes[i]))
	}, func(v float64) string { return fmtBytes(uint64(v)) })
	flowsChart = bars(chartW, chartH, t.flows, func(i int) string {
		return span(i) + ": " + strconv.Itoa(int(t.flows[i])) + " flows started"
	}, func(v float64) string { return strconv.Itoa(int(v)) })
	for _, c := range []*Chart{bytesChart, flowsChart} {
		c.xLabels(fmtTime(at(0)), fmtTime(at(n/2)), fmtTime(at(n)))
	}
	return bytesChart, flowsChart
}

// histBins is the number of bins of an interval histogram.
const histBins = 24

// histogram draws the distribution of gaps (seconds); nil without any.
// A log scale is used when they span more than two orders of magnitude.
func histogram(gaps []float64) *Chart {
	if len(gaps) == 0 {
		return nil
	}
	lo, hi := gaps[0], gaps[0]
	for _, g := range gaps {
		lo, hi = math.Min(lo, g), math.Max(hi, g)
	}
	logScale := lo > 0 && hi/lo > 100
	if lo == 0 && hi > 0 && hi/positiveMin(gaps, hi) > 100 {
		lo, logScale = positiveMin(gaps, hi), true // zero gaps go to the first bin
	}
	pos, edge := func(g float64) float64 { return g }, func(x float64) float64 { return x }
	if logScale {
		pos, edge = math.Log10, func(x float64) float64 { return math.Pow(10, x) }
	}
	a, b := pos(lo), pos(hi)
	n := histBins
	if b <= a {
		n = 1
	}
	counts := make([]float64, n)
	for _, g := range gaps {
		i := 0
		if b > a && g > lo {
			i = min(int((pos(g)-a)/(b-a)*float64(n)), n-1)
		}
		counts[i]++
	}
	bound := func(i int) float64 { return edge(a + (b-a)*float64(i)/float64(n)) }
	c := bars(histW, histH, counts, func(i int) string {
		return fmtSecs(bound(i)) + " – " + fmtSecs(bound(i+1)) + ": " + strconv.Itoa(int(counts[i])) + " intervals"
	}, func(v float64) string { return strconv.Itoa(int(v)) })
	c.xLabels(fmtSecs(lo), fmtSecs(bound(n/2)), fmtSecs(hi))
	if logScale {
		c.Note = "log scale"
	}
	return c
}

// positiveMin is the smallest gap above zero (def when none).
func positiveMin(gaps []float64, def float64) float64 {
	m := def
	for _, g := range gaps {
		if g > 0 && g < m {
			m = g
		}
	}
	return m
}

// fmtSecs shows a duration in seconds.
func fmtSecs(s float64) string {
	switch {
	case s == 0:
		return "0 s"
	case s < 1e-3:
		return fmt.Sprintf("%.0f µs", s*1e6)
	case s < 1:
		return fmt.Sprintf("%.3g ms", s*1e3)
	case s < 120:
		return fmt.Sprintf("%.3g s", s)
	}
	return time.Duration(s * 1e9).Round(time.Second).String()
}

// fmtBytes shows a byte count in binary units.
func fmtBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatUint(n, 10) + " B"
	}
	v, i := float64(n), 0
	for v >= unit && i < 5 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGTPE"[i-1])
}
