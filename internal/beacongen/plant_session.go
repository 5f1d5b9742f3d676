package beacongen

import (
	"net/netip"
	"time"
)

// session writes ONE TCP connection from c to s:dport that stays open
// over the call-outs: the handshake just before the first, the messages
// of exchange(extra) at each call-out (later when the previous one is
// not done), and a FIN close after the last.
func (g *gen) session(c, s netip.Addr, dport uint16, rtt int64, calls []callout, exchange func(extra bool) []msg) {
	if len(calls) == 0 {
		return
	}
	st, t := g.open(max(g.start, calls[0].t-rtt-ms(2)), c, s, dport, rtt)
	for _, cl := range calls {
		t = g.messages(st, max(cl.t, t+ms(1)), exchange(cl.extra))
	}
	g.close(st, t)
}

// tcpState is an open connection's ends and next sequence numbers.
type tcpState struct {
	c, s         netip.Addr
	sport, dport uint16
	rtt          int64
	cseq, sseq   uint32
}

// messages writes msgs in order from t (as tcp does: cut into segments,
// each direction's last segment acknowledged) and returns the time of the
// last packet.
func (g *gen) messages(st *tcpState, t int64, msgs []msg) int64 {
	half := st.rtt / 2
	for i, m := range msgs {
		from, to, fp, tp, seq, peer := st.c, st.s, st.sport, st.dport, &st.cseq, &st.sseq
		if m.client {
			t += ms(0.2 + 2*g.rng.Float64())
		} else {
			from, to, fp, tp, seq, peer = st.s, st.c, st.dport, st.sport, &st.sseq, &st.cseq
			t += st.rtt + ms(1+30*g.rng.Float64())
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
				ackAt = t + st.rtt
			}
			g.segment(ackAt, to, from, tp, fp, *peer, *seq, ack, nil)
			t = ackAt
		}
	}
	return t
}
