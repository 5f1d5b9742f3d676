package beacongen

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"time"
)

// planter plants Specs into a Background: g writes the beacons' packets
// over the background's span; used holds the addresses given out.
type planter struct {
	bg   *Background
	g    *gen
	used map[netip.Addr]bool
}

// callout is one call-out of a beacon: a beat, or a tasking extra.
type callout struct {
	t     int64
	extra bool
}

// free tells whether a is neither in the background nor given out yet.
func (p *planter) free(a netip.Addr) bool { return !p.bg.taken[a] && !p.used[a] }

// source is the internal host of the i-th spec: a free host of a
// generated office, else a 10.250.x.y address the capture does not use.
func (p *planter) source(i int) netip.Addr {
	if i < len(p.bg.free) {
		a := p.bg.free[i]
		p.used[a] = true
		return a
	}
	for n := 10 + i; ; n++ {
		a := netip.AddrFrom4([4]byte{10, 250, byte(n / 250), byte(n % 250)})
		if p.free(a) {
			p.used[a] = true
			return a
		}
	}
}

// public is a random public-looking address that is free.
func (p *planter) public() netip.Addr {
	for {
		if a := p.g.publicAddr(); p.free(a) {
			p.used[a] = true
			return a
		}
	}
}

// resolverAddr is a well-known public resolver the capture does not use.
func (p *planter) resolverAddr() netip.Addr {
	for _, s := range []string{extResolve, "9.9.9.9", "1.1.1.1", "208.67.222.222"} {
		if a := netip.MustParseAddr(s); !p.bg.taken[a] {
			return a
		}
	}
	return p.public()
}

// endMargin keeps a beacon's last call-out clear of the end: 2 minutes,
// or a tenth of a short capture.
func (p *planter) endMargin() int64 { return min(margin, (p.g.end-p.g.start)/10) }

// plant writes the i-th spec and returns its truth.
func (p *planter) plant(i int, s Spec) (Planted, error) {
	if s.Period <= 0 || s.Jitter < 0 || s.Jitter > 1 || s.Missed < 0 || s.Missed >= 1 {
		return Planted{}, fmt.Errorf("plant %q: period %v, jitter %v, missed %v out of range", s.Name, s.Period, s.Jitter, s.Missed)
	}
	if !slices.Contains(Kinds, s.Kind) {
		return Planted{}, fmt.Errorf("plant %q: unknown kind %q", s.Name, s.Kind)
	}
	pl := Planted{Spec: s, SrcIP: p.source(i).String(), DstPort: 443, Proto: "tcp"}
	calls, beats := p.g.schedule(s, p.g.end-p.endMargin())
	pl.Beats, pl.Callouts = beats, len(calls)
	src := netip.MustParseAddr(pl.SrcIP)
	switch s.Kind {
	case KindHTTP, KindKeepAliveHTTP:
		pl.DstPort, pl.Host = 80, p.name(i, "poll")
		p.httpCalls(&pl, src, p.public(), calls)
	case KindTLS, KindCDN:
		pl.SNI = p.name(i, "api")
		p.tlsCalls(&pl, src, calls)
	case KindDNS:
		pl.DstPort, pl.Proto, pl.Domain = 53, "udp", p.name(i, "q")
		p.dnsCalls(&pl, src, p.resolverAddr(), calls)
	case KindHeartbeatTCP:
		pl.DstPort = []uint16{4444, 5555, 8081, 9001}[p.g.rng.IntN(4)]
		dst := p.public()
		pl.DstIPs, pl.Connections = []string{dst.String()}, 1
		p.g.session(src, dst, pl.DstPort, p.g.rttTo(dst), calls, p.g.heartbeat)
	}
	return pl, nil
}

// name is the server name of the i-th spec, under .example.
func (p *planter) name(i int, prefix string) string {
	return fmt.Sprintf("%s.%s-%d.example", prefix, p.g.base32(8), i)
}

// httpCalls writes an HTTP beacon: a connection per call-out, or
// (keepalive-http) one connection with a request per call-out.
func (p *planter) httpCalls(pl *Planted, src, dst netip.Addr, calls []callout) {
	pl.DstIPs = []string{dst.String()}
	path := fmt.Sprintf("/api/v2/poll?id=%s", p.g.base32(12))
	if pl.Spec.Kind == KindKeepAliveHTTP {
		pl.Connections = 1
		p.g.session(src, dst, 80, p.g.rttTo(dst), calls, func(extra bool) []msg {
			return p.g.keepAliveRequest(pl.Host, path, answerSize(p.g, extra))
		})
		return
	}
	pl.Connections = len(calls)
	for _, c := range calls {
		p.g.tcp(c.t, src, dst, 80, p.g.rttTo(dst), p.g.httpSession(pl.Host, path, agent, answerSize(p.g, c.extra)))
	}
}

// answerSize is a beacon's answer: 48 bytes ("no task"), a task of 2 to
// 6 KB for a tasking call-out.
func answerSize(g *gen, extra bool) int {
	if extra {
		return 2000 + g.rng.IntN(4000)
	}
	return 48
}

// tlsCalls writes a TLS beacon: a connection per call-out, to one
// address, or (cdn) to one of 12 of one /22.
func (p *planter) tlsCalls(pl *Planted, src netip.Addr, calls []callout) {
	dsts := []netip.Addr{p.public()}
	if pl.Spec.Kind == KindCDN {
		base := dsts[0].As4()
		base[2] &^= 3
		for len(dsts) < cdnAddrs {
			a := netip.AddrFrom4([4]byte{base[0], base[1], base[2] + byte(p.g.rng.IntN(4)), byte(1 + p.g.rng.IntN(254))})
			if p.free(a) {
				p.used[a] = true
				dsts = append(dsts, a)
			}
		}
	}
	for _, d := range dsts {
		pl.DstIPs = append(pl.DstIPs, d.String())
	}
	cert := 2500 + p.g.rng.IntN(2000)
	pl.Connections = len(calls)
	for _, c := range calls {
		dst := dsts[p.g.rng.IntN(len(dsts))]
		resp := p.g.sizeAround(90)
		if c.extra {
			resp = answerSize(p.g, true)
		}
		p.g.tcp(c.t, src, dst, 443, p.g.rttTo(dst), p.g.tlsSession(pl.SNI, cert, p.g.sizeAround(220), resp))
	}
}

// dnsCalls writes a DNS beacon: a TXT query per call-out for a random
// label under the domain, each from a new port.
func (p *planter) dnsCalls(pl *Planted, src, dst netip.Addr, calls []callout) {
	pl.DstIPs, pl.Connections = []string{dst.String()}, len(calls)
	for _, c := range calls {
		id := uint16(p.g.rng.Uint32())
		name := p.g.base32(16+p.g.rng.IntN(16)) + "." + pl.Domain
		txt := p.g.base32(24 + p.g.rng.IntN(40))
		p.g.exchange(c.t, src, dst, p.g.ephemeral(), 53, p.g.rttTo(dst), dnsQuery(id, name, 16),
			dnsAnswer(id, name, 16, 0, append([]byte{byte(len(txt))}, txt...)))
	}
}

// keepAliveRequest is one HTTP/1.1 request and response of a
// connection kept open.
func (g *gen) keepAliveRequest(host, path string, n int) []msg {
	req := fmt.Sprintf("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nAccept: */*\r\nConnection: keep-alive\r\n\r\n", path, host, agent)
	head := fmt.Sprintf("HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\nConnection: keep-alive\r\n\r\n", n)
	return []msg{{true, []byte(req)}, {false, g.random([]byte(head), n)}}
}

// heartbeat is one beat of a raw TCP session: 16 to 64 bytes out, 8 to
// 40 back (a task: 1 to 4 KB back).
func (g *gen) heartbeat(extra bool) []msg {
	back := 8 + g.rng.IntN(33)
	if extra {
		back = 1000 + g.rng.IntN(3000)
	}
	return []msg{{true, g.random(nil, 16+g.rng.IntN(49))}, {false, g.random(nil, back)}}
}

// schedule is the call-outs of s from a random phase to end, and the
// number of beats among them: each sleep one- or two-sided jittered, each
// beat skipped with probability Missed or when asleep, a tasking burst
// after a beat with probability Tasking.
func (g *gen) schedule(s Spec, end int64) ([]callout, int) {
	awake := g.sleepWindow(s)
	var out []callout
	beats := 0
	for t := g.start + int64(g.rng.Float64()*s.Period*1e9); t < end; t += g.sleepNs(s) {
		if g.rng.Float64() < s.Missed || !awake(t) {
			continue
		}
		out = append(out, callout{t: t})
		beats++
		if g.rng.Float64() < s.Tasking {
			x := t
			for range 2 + g.rng.IntN(4) {
				if x += int64((1 + 3*g.rng.Float64()) * 1e9); x < end {
					out = append(out, callout{t: x, extra: true})
				}
			}
		}
	}
	slices.SortStableFunc(out, func(a, b callout) int { return cmp.Compare(a.t, b.t) })
	return out, beats
}

// sleepNs is one sleep of s, in ns (at least a millisecond).
func (g *gen) sleepNs(s Spec) int64 {
	u := g.rng.Float64()
	f := 1 - u*s.Jitter
	if s.TwoSided {
		f = 1 + (2*u-1)*s.Jitter
	}
	return max(int64(time.Millisecond), int64(s.Period*f*1e9))
}

// sleepWindow tells when s is awake.
func (g *gen) sleepWindow(s Spec) func(int64) bool {
	switch s.Sleep {
	case SleepWorkHours:
		return working
	case SleepStretch:
		span := float64(g.end - g.start)
		length := span * (0.3 + 0.2*g.rng.Float64())
		from := g.start + int64(g.rng.Float64()*(span-length))
		to := from + int64(length)
		return func(t int64) bool { return t < from || t >= to }
	}
	return func(int64) bool { return true }
}
