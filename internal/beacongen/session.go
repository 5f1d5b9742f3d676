package beacongen

import "net/netip"

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
	st, t := g.open(t, c, s, dport, rtt)
	return g.close(st, g.messages(st, t, msgs))
}

// open writes the handshake of a TCP connection from c to s:dport at t
// and returns its state and the time of its last packet.
func (g *gen) open(t int64, c, s netip.Addr, dport uint16, rtt int64) (*tcpState, int64) {
	st := &tcpState{c: c, s: s, sport: g.ephemeral(), dport: dport, rtt: rtt, cseq: g.rng.Uint32(), sseq: g.rng.Uint32()}
	g.segment(t, c, s, st.sport, dport, st.cseq, 0, syn, nil)
	g.segment(t+rtt, s, c, dport, st.sport, st.sseq, st.cseq+1, syn|ack, nil)
	t += rtt + ms(0.1+g.rng.Float64())
	st.cseq, st.sseq = st.cseq+1, st.sseq+1
	g.segment(t, c, s, st.sport, dport, st.cseq, st.sseq, ack, nil)
	return st, t
}

// close writes the client's FIN close of the connection after t and
// returns the time of its last packet.
func (g *gen) close(st *tcpState, t int64) int64 {
	t += ms(1 + 50*g.rng.Float64())
	g.segment(t, st.c, st.s, st.sport, st.dport, st.cseq, st.sseq, fin|ack, nil)
	t += st.rtt
	g.segment(t, st.s, st.c, st.dport, st.sport, st.sseq, st.cseq+1, fin|ack, nil)
	t += ms(0.1 + g.rng.Float64())
	g.segment(t, st.c, st.s, st.sport, st.dport, st.cseq+1, st.sseq+1, ack, nil)
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
