package beaconeval

import (
	"fmt"
	"io"
	"strings"

	"github.com/pcap2table/pcap2table/internal/beacongen"
)

// tally sums a share over captures or beacons, per method.
type tally struct{ hit, all [3]int }

func (t *tally) add(m int, hit bool, n int) {
	if hit {
		t.hit[m]++
	}
	t.all[m] += n
}

func (t *tally) addN(m, hits, n int) { t.hit[m] += hits; t.all[m] += n }

// cell renders "ours / RITA / mode" as shares with two decimals.
func (t tally) cell() string {
	var parts []string
	for m := range Methods {
		if t.all[m] == 0 {
			parts = append(parts, "–")
			continue
		}
		parts = append(parts, fmt.Sprintf("%.2f", float64(t.hit[m])/float64(t.all[m])))
	}
	return strings.Join(parts, " / ")
}

// metric is one table of the report: a tally of a capture per method.
type metric struct {
	title, what string
	add         func(t *tally, m int, c Capture, o Outcome)
}

func metrics(budget int) []metric {
	return []metric{
		{fmt.Sprintf("Recall at %d false positives per capture", budget),
			fmt.Sprintf("share of the planted beacons whose best row scores above benign pair number %d of their capture (benign pairs by score, highest first)", budget+1),
			func(t *tally, m int, _ Capture, o Outcome) {
				for _, d := range o.Detected {
					t.add(m, d, 1)
				}
			}},
		{"Precision of the top min(10, K)", "share of the top min(10, K) rows that are planted beacons",
			func(t *tally, m int, _ Capture, o Outcome) { t.addN(m, o.TopHits, o.TopK) }},
		{"Every planted beacon in the top 10", "share of the captures",
			func(t *tally, m int, _ Capture, o Outcome) { t.add(m, o.AllTop10, 1) }},
		{"A benign pair in the top 5 (lower is better)", "share of the captures",
			func(t *tally, m int, _ Capture, o Outcome) { t.add(m, o.BenignTop5, 1) }},
	}
}

// Report writes the result as Markdown.
func (r *Result) Report(w io.Writer) {
	cfg := r.Config
	fmt.Fprintf(w, "# Beacon detection: ours / RITA / mode\n\n")
	fmt.Fprintf(w, "%d beacons per capture, plant seed %d, budget %d benign pairs per capture; every cell is \"ours / RITA / mode\".\n\n",
		cfg.K, cfg.Seed, cfg.Budget)
	fmt.Fprintf(w, "| background | span | packets |\n|---|---|---|\n")
	for _, b := range r.Backgrounds {
		fmt.Fprintf(w, "| %s | %s | %d |\n", b.Name, b.Span.Round(1e9), b.Packets)
	}
	rows := tally{}
	for _, c := range r.Captures {
		for m, o := range c.Outcomes {
			rows.addN(m, o.Rows, 1)
		}
	}
	fmt.Fprintf(w, "\n%d captures; rows per capture (mean): %s.\n", len(r.Captures), rows.mean())
	for _, mt := range metrics(cfg.Budget) {
		r.grid(w, mt)
	}
	r.byKind(w)
	r.misses(w)
	r.benignTop(w)
}

// benignTop lists the benign pairs in the top 5 of ours.
func (r *Result) benignTop(w io.Writer) {
	fmt.Fprintf(w, "\n## Benign pairs in the top 5 of ours\n\n")
	fmt.Fprintf(w, "| background | jitter | missed | rank | pair | score |\n|---|---|---|---|---|---|\n")
	n := 0
	for _, c := range r.Captures {
		for _, b := range c.Outcomes[0].TopBenign {
			dst := b.Row.DstIP
			if b.Row.DstName != "" {
				dst = b.Row.DstName
			}
			fmt.Fprintf(w, "| %s | %.0f %% | %.0f %% | %d | %s → %s:%d/%s | %.3f |\n", c.Background, 100*c.Jitter, 100*c.Missed,
				b.Rank, b.Row.SrcIP, dst, b.Row.DstPort, b.Row.Proto, b.Row.Score)
			n++
		}
	}
	if n == 0 {
		fmt.Fprintf(w, "| none | | | | | |\n")
	}
}

// mean renders hit/all per method as means with one decimal.
func (t tally) mean() string {
	var parts []string
	for m := range Methods {
		parts = append(parts, fmt.Sprintf("%s %.1f", Methods[m], float64(t.hit[m])/float64(max(1, t.all[m]))))
	}
	return strings.Join(parts, ", ")
}

// grid writes one metric as a table: jitter per row, missed per column.
func (r *Result) grid(w io.Writer, mt metric) {
	cfg := r.Config
	fmt.Fprintf(w, "\n## %s\n\n%s, over all backgrounds.\n\n| jitter \\ missed |", mt.title, mt.what)
	for _, m := range cfg.Missed {
		fmt.Fprintf(w, " %.0f %% |", 100*m)
	}
	fmt.Fprintf(w, "\n|---|%s\n", strings.Repeat("---|", len(cfg.Missed)))
	for _, j := range cfg.Jitters {
		fmt.Fprintf(w, "| %.0f %% |", 100*j)
		for _, m := range cfg.Missed {
			var t tally
			for _, c := range r.Captures {
				if c.Jitter == j && c.Missed == m {
					for mi, o := range c.Outcomes {
						mt.add(&t, mi, c, o)
					}
				}
			}
			fmt.Fprintf(w, " %s |", t.cell())
		}
		fmt.Fprintln(w)
	}
}

// byKind writes recall and top-10 share per kind and per background.
func (r *Result) byKind(w io.Writer) {
	fmt.Fprintf(w, "\n## By kind and by background (all cells)\n\n")
	fmt.Fprintf(w, "Recall at the budget, and share of the beacons ranked in the top 10.\n\n")
	fmt.Fprintf(w, "| kind | beacons | recall | in top 10 |\n|---|---|---|---|\n")
	for _, k := range beacongen.Kinds {
		r.kindRow(w, string(k), func(c Capture, p beacongen.Planted) bool { return p.Spec.Kind == k })
	}
	for _, b := range r.Backgrounds {
		r.kindRow(w, b.Name, func(c Capture, _ beacongen.Planted) bool { return c.Background == b.Name })
	}
	r.kindRow(w, "all", func(Capture, beacongen.Planted) bool { return true })
}

func (r *Result) kindRow(w io.Writer, name string, keep func(Capture, beacongen.Planted) bool) {
	var rec, top tally
	n := 0
	for _, c := range r.Captures {
		for i, p := range c.Planted {
			if !keep(c, p) {
				continue
			}
			n++
			for m, o := range c.Outcomes {
				rec.add(m, o.Detected[i], 1)
				top.add(m, o.Rank[i] > 0 && o.Rank[i] <= 10, 1)
			}
		}
	}
	fmt.Fprintf(w, "| %s | %d | %s | %s |\n", name, n, rec.cell(), top.cell())
}

// misses lists the beacons ours did not detect at the budget.
func (r *Result) misses(w io.Writer) {
	type miss struct {
		c Capture
		i int
	}
	var all []miss
	for _, c := range r.Captures {
		for i := range c.Planted {
			if !c.Outcomes[0].Detected[i] {
				all = append(all, miss{c, i})
			}
		}
	}
	fmt.Fprintf(w, "\n## Misses of ours\n\n%d planted beacons not detected by ours at the budget", len(all))
	if len(all) > r.Config.MaxMisses {
		fmt.Fprintf(w, " (the first %d listed)", r.Config.MaxMisses)
		all = all[:r.Config.MaxMisses]
	}
	fmt.Fprintf(w, ". Rank per method (– no row; * detected), the score of ours, and the threshold of ours (the score of benign pair number %d).\n\n",
		r.Config.Budget+1)
	fmt.Fprintf(w, "| background | jitter | missed | beacon | sided | sleep | tasking | beats | conns | rank ours / RITA / mode | score | threshold |\n")
	fmt.Fprintf(w, "|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, x := range all {
		p, o := x.c.Planted[x.i], x.c.Outcomes
		sided := "one"
		if p.Spec.TwoSided {
			sided = "two"
		}
		var ranks []string
		for m := range Methods {
			ranks = append(ranks, rankText(o[m], x.i))
		}
		fmt.Fprintf(w, "| %s | %.0f %% | %.0f %% | %s | %s | %s | %.2f | %d | %d | %s | %.3f | %.3f |\n",
			x.c.Background, 100*x.c.Jitter, 100*x.c.Missed, p.Spec.Name, sided, sleepText(p.Spec.Sleep), p.Spec.Tasking,
			p.Beats, p.Connections, strings.Join(ranks, " / "), o[0].Score[x.i], o[0].Threshold)
	}
}

func rankText(o Outcome, i int) string {
	if o.Rank[i] == 0 {
		return "–"
	}
	if o.Detected[i] {
		return fmt.Sprintf("%d*", o.Rank[i])
	}
	return fmt.Sprint(o.Rank[i])
}

func sleepText(s beacongen.Sleep) string {
	if s == beacongen.SleepNone {
		return "–"
	}
	return string(s)
}
