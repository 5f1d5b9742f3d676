package beacongen

import (
	"net/netip"
	"time"
)

// msg is one application message of a TCP connection.
type msg struct {
	client bool // sent by the client
	data   []byte
}

// mss is the payload of a full segment.
const mss = 1448

// tcp writes a TCP connection from c to s:dport opened at t: the
// handshake, msgs in order (cut into segments), and a FIN close by the
// client. rtt is the round trip seen from the capture point. It returns
// the time of the last packet.
func (g *gen) tcp(t int64, c, s netip.Addr, dport uint16, rtt int64, msgs []msg) int64 {
	sport := g.ephemeral()
	cseq, sseq := g.rng.Uint32(), g.rng.Uint32()
	half := rtt / 2
	g.segment(t, c, s, sport, dport, cseq, 0, syn, nil)
	g.segment(t+rtt, s, c, dport, sport, sseq, cseq+1, syn|ack, nil)
	t += rtt + ms(0.1+g.rng.Float64())
	cseq, sseq = cseq+1, sseq+1
	g.segment(t, c, s, sport, dport, cseq, sseq, ack, nil)
	for i, m := range msgs {
		from, to, fp, tp, seq, peer := c, s, sport, dport, &cseq, &sseq
		if m.client {
			t += ms(0.2 + 2*g.rng.Float64())
		} else {
			from, to, fp, tp, seq, peer = s, c, dport, sport, &sseq, &cseq
			t += rtt + ms(1+30*g.rng.Float64()) // the request's way there, the server's work
		}
		for off := 0; off < len(m.data); off += mss {
			end := min(off+mss, len(m.data))
			flags := byte(ack)
			if end == len(m.data) {
				flags |= psh
			}
			g.segment(t, from, to, fp, tp, *seq, *peer, flags, m.data[off:end])
			*seq += uint32(end - off)
			t += int64(100 * time.Microsecond)
		}
		if i == len(msgs)-1 || msgs[i+1].client == m.client {
			ackAt := t + half
			if m.client {
				ackAt = t + rtt
			}
			g.segment(ackAt, to, from, tp, fp, *peer, *seq, ack, nil)
			t = ackAt
		}
	}
	t += ms(1 + 50*g.rng.Float64())
	g.segment(t, c, s, sport, dport, cseq, sseq, fin|ack, nil)
	t += rtt
	g.segment(t, s, c, dport, sport, sseq, cseq+1, fin|ack, nil)
	t += ms(0.1 + g.rng.Float64())
	g.segment(t, c, s, sport, dport, cseq+1, sseq+1, ack, nil)
	return t
}

// exchange writes a UDP request from c:sport to s:dport at t and, if
// resp is not nil, its answer after rtt.
func (g *gen) exchange(t int64, c, s netip.Addr, sport, dport uint16, rtt int64, req, resp []byte) {
	g.udp(t, c, s, sport, dport, req)
	if resp != nil {
		g.udp(t+rtt, s, c, dport, sport, resp)
	}
}

// rttTo is a plausible round trip to a: under a millisecond inside, 8 to
// 90 ms outside, with a little variation per call.
func (g *gen) rttTo(a netip.Addr) int64 {
	if a.IsPrivate() {
		return ms(0.2 + 0.6*g.rng.Float64())
	}
	b := a.As4()
	base := 8 + float64(int(b[1])*7+int(b[2]))/float64(7*255+255)*80
	return ms(base * (1 + 0.2*g.rng.Float64()))
}
