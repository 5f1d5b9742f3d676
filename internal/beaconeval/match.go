package beaconeval

import (
	"cmp"
	"math"
	"slices"
	"strings"

	"github.com/pcap2table/pcap2table/internal/beacongen"
)

// Match tells whether row r is (a part of) planted beacon p: the same
// src_ip, dst_port and proto, and its dst_ip among p's addresses or its
// dst_name p's SNI, Host or Domain (for a DNS beacon, also a name under
// the domain: the random labels).
func Match(r Row, p beacongen.Planted) bool {
	if r.SrcIP != p.SrcIP || r.DstPort != p.DstPort || r.Proto != p.Proto {
		return false
	}
	if slices.Contains(p.DstIPs, r.DstIP) {
		return true
	}
	name := strings.TrimSuffix(strings.ToLower(r.DstName), ".")
	if name == "" {
		return false
	}
	if want := p.DstName(); name == want {
		return true
	}
	return p.Domain != "" && strings.HasSuffix(name, "."+p.Domain)
}

// Ranked is a ranking with each row labelled: the index of the planted
// beacon it matches, or -1 for a benign pair.
type Ranked struct {
	Rows  []Row
	Label []int
}

// Rank labels rows against the planted beacons and orders them by score,
// highest first, unscored rows last; among equal scores benign pairs
// come first (a tie with a benign pair does not tell a beacon apart),
// then by key.
func Rank(rows []Row, planted []beacongen.Planted) Ranked {
	type labelled struct {
		r Row
		l int
	}
	ls := make([]labelled, len(rows))
	for i, r := range rows {
		ls[i] = labelled{r, slices.IndexFunc(planted, func(p beacongen.Planted) bool { return Match(r, p) })}
	}
	slices.SortFunc(ls, func(a, b labelled) int {
		if c := compareScore(a.r, b.r); c != 0 {
			return c
		}
		if c := cmp.Compare(min(a.l, 0), min(b.l, 0)); c != 0 {
			return c // benign (-1) first
		}
		return cmp.Compare(a.r.key(), b.r.key())
	})
	out := Ranked{Rows: make([]Row, len(ls)), Label: make([]int, len(ls))}
	for i, x := range ls {
		out.Rows[i], out.Label[i] = x.r, x.l
	}
	return out
}

// Outcome is how one method did on one capture.
type Outcome struct {
	Rows, Benign int
	// Threshold is the score of the (budget+1)-th best benign pair (−Inf
	// when there are not that many): a beacon is detected when its best
	// row scores above it, so at most budget benign pairs would be
	// flagged with it.
	Threshold float64
	// Rank, Score and Detected per planted beacon (Rank 0: no row).
	Rank     []int
	Score    []float64
	Detected []bool
	// TopHits of the TopK = min(10, K) first rows are planted beacons.
	TopHits, TopK int
	// AllTop10: every planted beacon has a row in the top 10;
	// BenignTop5: a benign pair is in the top 5, TopBenign those pairs
	// and their ranks.
	AllTop10, BenignTop5 bool
	TopBenign            []RankedRow
}

// RankedRow is a row and its rank (from 1).
type RankedRow struct {
	Rank int
	Row  Row
}

// Evaluate measures a ranking against n planted beacons with a budget of
// false positives.
func Evaluate(rk Ranked, n, budget int) Outcome {
	o := Outcome{Rows: len(rk.Rows), Threshold: math.Inf(-1), Rank: make([]int, n), Score: make([]float64, n),
		Detected: make([]bool, n), TopK: min(10, n), AllTop10: true}
	for i, r := range rk.Rows {
		l := rk.Label[i]
		if l < 0 {
			if r.Scored && o.Benign == budget {
				o.Threshold = r.Score
			}
			o.Benign++
			if i < 5 {
				o.BenignTop5 = true
				o.TopBenign = append(o.TopBenign, RankedRow{i + 1, r})
			}
			continue
		}
		if i < o.TopK {
			o.TopHits++
		}
		if o.Rank[l] == 0 {
			o.Rank[l], o.Score[l] = i+1, r.Score
			o.Detected[l] = r.Scored
		}
	}
	for l := range n {
		o.Detected[l] = o.Detected[l] && o.Score[l] > o.Threshold
		o.AllTop10 = o.AllTop10 && o.Rank[l] > 0 && o.Rank[l] <= 10
	}
	return o
}
