package beacongen

import (
	"math/rand/v2"
	"net/netip"
	"time"
)

// reseed gives each part of the capture a random stream of its own, so
// that changing one part leaves the others' packets as they were.
func (g *gen) reseed(seed uint64, part uint64) {
	g.rng = rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15^part))
}

// every calls fn at times spaced by interval seconds ± jitter (a
// fraction, uniform), from a random phase within the first interval to
// margin before the end, and returns the number of calls.
func (g *gen) every(interval, jitter float64, fn func(t int64)) int {
	step := func() int64 {
		return int64(interval * (1 + jitter*(2*g.rng.Float64()-1)) * 1e9)
	}
	n := 0
	for t := g.start + int64(g.rng.Float64()*interval*1e9); t < g.end-margin; t += step() {
		fn(t)
		n++
	}
	return n
}

// poisson calls fn at the times of a Poisson process whose mean gap, in
// seconds, is mean(t), until margin before the end.
func (g *gen) poisson(mean func(t int64) float64, fn func(t int64)) {
	for t := g.start + int64(g.rng.ExpFloat64()*mean(g.start)*1e9); t < g.end-margin; t += int64(g.rng.ExpFloat64() * mean(t) * 1e9) {
		fn(t)
	}
}

// margin keeps connections from running past the end of the capture.
const margin = int64(2 * time.Minute)

// hour is the UTC hour of day at t.
func hour(t int64) int { return time.Unix(0, t).UTC().Hour() }

// working tells whether t is in working hours, 08:00 to 18:00 UTC.
func working(t int64) bool { h := hour(t); return h >= 8 && h < 18 }

// publicAddr is a random address that looks public: a plausible first
// octet of a hosting, cloud or ISP block, not a private, shared,
// documentation, multicast or reserved one.
func (g *gen) publicAddr() netip.Addr {
	first := []byte{13, 18, 23, 31, 34, 35, 37, 45, 52, 54, 62, 64, 66, 69, 74, 78, 81, 87, 91, 93,
		104, 108, 140, 142, 151, 157, 176, 185, 188, 195, 199, 209, 212, 216}
	return netip.AddrFrom4([4]byte{first[g.rng.IntN(len(first))], byte(g.rng.IntN(256)), byte(g.rng.IntN(256)), byte(1 + g.rng.IntN(254))})
}

// sizeAround is a size near n: ± 10 %.
func (g *gen) sizeAround(n int) int { return n + int(float64(n)*0.1*(2*g.rng.Float64()-1)) }

// base32 is n random characters of the DNS-safe base32 alphabet.
func (g *gen) base32(n int) string {
	const abc = "abcdefghijklmnopqrstuvwxyz234567"
	b := make([]byte, n)
	for i := range b {
		b[i] = abc[g.rng.IntN(len(abc))]
	}
	return string(b)
}
