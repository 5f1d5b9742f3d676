package beacongen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
)

// server is a web server of the background.
type server struct {
	name string
	addr netip.Addr
	tls  bool
	cert int // bytes of its certificate flight
}

// servers is a pool of n web servers, mostly HTTPS.
func (g *gen) servers(n int) []server {
	prefixes := []string{"www", "cdn", "static", "api", "img", "fonts", "ads", "login", "mail", "news", "video", "assets"}
	words := []string{"news", "shop", "video", "social", "search", "maps", "docs", "cloud", "weather", "sports", "travel",
		"bank", "music", "games", "wiki", "forum", "blog", "jobs", "photos", "chat", "office", "store", "stream", "learn"}
	tlds := []string{".com", ".net", ".org", ".io", ".co.uk", ".de"}
	seen := map[string]bool{}
	var out []server
	for len(out) < n {
		name := prefixes[g.rng.IntN(len(prefixes))] + "." + words[g.rng.IntN(len(words))] + fmt.Sprint(g.rng.IntN(40)) + tlds[g.rng.IntN(len(tlds))]
		if seen[name] {
			continue
		}
		seen[name] = true
		out = append(out, server{name: name, addr: g.publicAddr(), tls: g.rng.IntN(100) < 88, cert: 1500 + g.rng.IntN(3000)})
	}
	return out
}

// browseGap is a host's mean gap between pages, in seconds: a few
// minutes in working hours, longer in the evening, hours at night.
func browseGap(t int64) float64 {
	switch h := hour(t); {
	case h >= 8 && h < 18:
		return 20 * 60
	case h >= 18 && h < 23:
		return 60 * 60
	}
	return 4 * 3600
}

// browse writes a host's day of browsing: pages at Poisson times, each a
// burst of lookups and connections to servers picked by popularity.
func (g *gen) browse(host netip.Addr, pool []server) {
	zipf := rand.NewZipf(g.rng, 1.1, 2, uint64(len(pool)-1))
	cache := map[string]int64{} // name -> expiry of the resolver's answer
	g.poisson(browseGap, func(t int64) {
		n := 1 + g.rng.IntN(6)
		for range n {
			s := pool[zipf.Uint64()]
			if cache[s.name] < t {
				cache[s.name] = t + 300e9
				t += g.lookup(t, host, s.name, s.addr)
			}
			g.fetch(t, host, s)
			t += int64(g.rng.ExpFloat64() * 0.4e9)
		}
	})
}

// lookup writes an A query of host to the internal resolver for name,
// answered with addr, and returns its round trip.
func (g *gen) lookup(t int64, host netip.Addr, name string, addr netip.Addr) int64 {
	rtt := g.rttTo(resolver)
	if g.rng.IntN(3) == 0 {
		rtt += ms(5 + 40*g.rng.Float64()) // not cached: the resolver asks upstream
	}
	id := uint16(g.rng.Uint32())
	a := addr.As4()
	g.exchange(t, host, resolver, g.ephemeral(), 53, rtt, dnsQuery(id, name, 1), dnsAnswer(id, name, 1, 300, a[:]))
	return rtt
}

// fetch writes one connection of a page: TLS, or plain HTTP, with a
// response of a log-normal size (median 2 KB, at most 30 KB).
func (g *gen) fetch(t int64, host netip.Addr, s server) {
	resp := min(30000, int(2000*math.Exp(1.1*g.rng.NormFloat64())))
	if s.tls {
		g.tcp(t, host, s.addr, 443, g.rttTo(s.addr), g.tlsSession(s.name, s.cert, 300+g.rng.IntN(1200), resp))
		return
	}
	path := fmt.Sprintf("/%s/%d.html", g.base32(6), g.rng.IntN(1000))
	g.tcp(t, host, s.addr, 80, g.rttTo(s.addr), g.httpSession(s.name, path, agent, resp))
}

// background names a host looks up on its own (updates, telemetry,
// mail, chat): not followed by a connection in the capture.
var background = []string{"time.windows.com", "settings-win.data.microsoft.com", "login.live.com", "outlook.office365.com",
	"teams.microsoft.com", "www.msftconnecttest.com", "ctldl.windowsupdate.com", "clients4.google.com", "safebrowsing.googleapis.com",
	"fonts.gstatic.com", "update.googleapis.com", "slack.com", "wpad.corp.example", "fileserver.corp.example", "intranet.corp.example"}

// lookups writes a host's lookups of background names at Poisson times
// (mean 15 minutes in working hours, an hour outside them), some in bursts of a few.
func (g *gen) lookups(host netip.Addr) {
	gap := func(t int64) float64 {
		if working(t) {
			return 900
		}
		return 3600
	}
	g.poisson(gap, func(t int64) {
		for range 1 + g.rng.IntN(3) {
			name := background[g.rng.IntN(len(background))]
			t += g.lookup(t, host, name, g.publicAddr()) + int64(g.rng.ExpFloat64()*0.05e9)
		}
	})
}
