package flows

import (
	"math/bits"

	"github.com/pcap2table/pcap2table/parsers"
)

// tooLargeSeqDelta: SYN and RST sequence numbers further than this from
// the last one are not trusted (Zeek's TOO_LARGE_SEQ_DELTA).
const tooLargeSeqDelta = 1 << 20

// seqBase places the first sequence number of an endpoint in the 64-bit
// space with room below it, so that earlier numbers stay positive.
const seqBase = 1 << 40

// unwrap places the 32-bit sequence number x next to the 64-bit ref.
func unwrap(x uint32, ref uint64) uint64 {
	return ref + uint64(int64(int32(x-uint32(ref))))
}

func seqDelta(a, b uint64) int64 { return int64(a - b) }

// initSeq sets the endpoint's start, ack and last sequence numbers.
func (e *endpoint) initSeq(start, last uint64) {
	e.start, e.ack, e.last = start, start, last
}

// size is Zeek's TCP_Endpoint::Size: the bytes of sequence space used,
// from the highest sequence number sent or acknowledged by the peer,
// without the SYN and FIN octets.
func (f *flow) size(s uint8) uint64 {
	e, p := &f.ep[s], &f.ep[s^1]
	if e.prevState == tcpSynSent && e.state == tcpReset && p.state == tcpInactive && !e.noDataAcked() {
		return 0
	}
	if e.state == tcpInactive && e.last == 0 {
		return 0 // never initialized
	}
	size := uint64(0)
	hi := max(e.last, e.ack)
	if hi > e.start {
		size = hi - e.start
	}
	if size != 0 {
		size--
	}
	if e.finCnt > 0 && size != 0 {
		size--
	}
	return size
}

func (e *endpoint) noDataAcked() bool { return e.ack == e.start || e.ack == e.start+1 }

func (e *endpoint) setState(s uint8) {
	if s != e.state {
		e.prevState, e.state = e.state, s
	}
}

// tcp runs Zeek's per-packet TCP processing (TCPSessionAdapter::Process)
// for a packet sent by side s. The common segment, data or a bare ACK
// ("plain": no SYN, FIN or RST), takes the steps that change nothing for
// it without their calls.
func (f *flow) tcp(rs *reasm, s uint8, r *parsers.PacketRow) {
	e, p := &f.ep[s], &f.ep[s^1]
	fl := r.TCPFlags
	syn, fin, rst, ack := fl&flagSYN != 0, fl&flagFIN != 0, fl&flagRST != 0, fl&flagACK != 0
	plain := fl&(flagSYN|flagFIN|flagRST) == 0
	if f.attempt && (s != f.origSide || !syn || ack) {
		f.attempt = false // answered, or more than a SYN: no longer an attempt
	}
	if f.synAckFirst > 0 {
		if f.synAckFirst--; f.synAckFirst == 0 && !syn && !rst {
			f.flipLate() // a SYN-ACK then an ACK or data: not a scan's probe
		}
	}
	plen := uint64(r.PayloadLen)
	segLen := plen
	if syn {
		segLen++
	}
	if fin {
		segLen++
	}
	if rst {
		segLen -= plen
	}

	// init_endpoint
	var base uint64
	switch e.state {
	case tcpInactive:
		if e.last == 0 {
			base = seqBase + uint64(r.TCPSeq)
		} else {
			base = unwrap(r.TCPSeq, e.last)
		}
		if syn {
			e.initSeq(base, base+segLen)
		} else {
			e.initSeq(base-1, base)
		}
	default:
		base = unwrap(r.TCPSeq, e.last)
		switch e.state {
		case tcpSynSent, tcpSynAckSent:
			if syn && base != e.start {
				e.initSeq(base, base+segLen)
			}
		case tcpEstablished, tcpPartial:
			if syn {
				e.initSeq(base, base+segLen)
			}
		case tcpReset:
			if syn && e.prevState == tcpInactive {
				e.initSeq(base, base+segLen)
			}
		}
	}
	relSeq := uint64(0)
	underflow := base < e.start
	if !underflow {
		relSeq = base - e.start
	}

	// update_history: a plain segment's letters here
	switch {
	case !plain:
		f.flagHistory(s, fl, relSeq, plen)
	case plen > 0:
		f.checkHistory(s, histData, 'D')
	case ack:
		f.checkHistory(s, histACK, 'A')
	}
	// zero window ('w')
	if r.Has(parsers.ColTCPWin) && r.TCPWin == 0 && !rst && p.state != tcpClosed && e.state != tcpReset {
		f.scaledHistory(s, 'W', &e.win0Cnt, &e.win0Thresh)
	}
	if fin {
		e.finCnt++
		e.finSeq = relSeq + segLen
	}
	if rst {
		e.rstCnt++
	}
	relAck, ackOK := uint64(0), false
	if ack {
		if p.state == tcpInactive {
			// init_peer: number the peer's space as if its SYN was seen.
			a := seqBase + uint64(r.TCPAck) - 1
			if p.last != 0 {
				a = unwrap(r.TCPAck, p.last) - 1
			}
			p.initSeq(a, a)
			relAck, ackOK = 1, true
		} else {
			a := unwrap(r.TCPAck, p.ack)
			if a >= p.start {
				relAck, ackOK = a-p.start, true
				if !rst && seqDelta(a, p.ack) > 0 && !(r.TCPAck == 0 && seqDelta(a, p.ack) > tooLargeSeqDelta) {
					p.ack = a
				}
			}
		}
	}
	highest := e.last // one past the highest sequence number sent so far
	switch last := base + segLen; {
	case plain && e.state != tcpReset && seqDelta(last, e.last) > 0:
		e.last = last // update_last_seq's case for a plain segment beyond
	case !plain || plen > 0:
		f.updateLastSeq(s, last, syn, fin, rst, plen)
	}
	if !plain || e.state == tcpInactive {
		// a plain segment moves only an inactive endpoint
		f.stateMachine(s, base, syn, fin, rst, ack, plen)
	}
	if ack && ackOK && !p.ackInOrder(relAck) {
		f.ackReceived(rs, s^1, relAck, r.TS)
	}
	if plen > 0 && !rst && !underflow {
		dataSeq := relSeq
		if syn {
			dataSeq++
		}
		fresh := e.sendInOrder(dataSeq, dataSeq+plen, rs.h != nil) || f.dataSent(rs, s, dataSeq, plen, r.Payload, r.TS)
		switch {
		case !fresh:
			e.rxmt++ // nothing new: a retransmission
		case base+segLen <= highest && !syn:
			e.outOfOrder++ // new bytes below the highest sent: it filled a hole
		}
		// the snap length cut the frame's end: the payload's last bytes
		// (r.Payload is not kept when no stream handler reads it)
		if fresh && r.CapLen < r.Length {
			e.cut += uint32(min(plen, uint64(r.Length-r.CapLen))) // counted when acknowledged: ackReceived
			e.cutEnd = max(e.cutEnd, dataSeq+plen)
		}
	}
	if e.waiting {
		f.checkAcked(rs, s, r.TS)
	}
	if p.waiting {
		f.checkAcked(rs, s^1, r.TS)
	}
}

// flagHistory is Zeek's update_history for a segment with SYN, FIN or
// RST (tcp adds a plain segment's letters).
func (f *flow) flagHistory(s uint8, fl uint16, relSeq, plen uint64) {
	e := &f.ep[s]
	syn, fin, rst, ack := fl&flagSYN != 0, fl&flagFIN != 0, fl&flagRST != 0, fl&flagACK != 0
	nbits := bits.OnesCount16(fl & (flagSYN | flagFIN | flagRST))
	switch {
	case nbits > 1:
		if fin && rst {
			f.checkHistory(s, histFINRST, 'I')
		} else {
			f.checkHistory(s, histMulti, 'Q')
		}
	case nbits == 1:
		if syn {
			code := byte('S')
			if ack {
				code = 'H'
			}
			if f.checkHistory(s, histSYN, code) && relSeq != e.lastSYN {
				f.repeatHistory(s, code)
			}
			e.lastSYN = relSeq
		}
		if fin {
			if f.checkHistory(s, histFIN, 'F') && relSeq+plen != e.lastFIN {
				f.repeatHistory(s, 'F')
			}
			e.lastFIN = relSeq + plen
		}
		if rst {
			if f.checkHistory(s, histRST, 'R') && relSeq != e.lastRST {
				f.repeatHistory(s, 'R')
			}
			e.lastRST = relSeq
		}
	}
}

// updateLastSeq is Zeek's update_last_seq: it advances the highest
// sequence number sent and counts retransmissions ('t').
func (f *flow) updateLastSeq(s uint8, last uint64, syn, fin, rst bool, plen uint64) {
	e := &f.ep[s]
	d := seqDelta(last, e.last)
	switch {
	case (syn || rst) && (d > tooLargeSeqDelta || d < -tooLargeSeqDelta):
	case fin && e.last == e.start+1:
		e.last = last
	case e.state == tcpReset:
	case d > 0:
		e.last = last
	case plen > 0:
		// Zeek's 't': any data not beyond the highest sequence number
		// (retransmitted or out of order)
		f.scaledHistory(s, 'T', &e.rxmtCnt, &e.rxmtThresh)
	}
}

// stateMachine is Zeek's UpdateStateMachine for a packet from side s.
func (f *flow) stateMachine(s uint8, base uint64, syn, fin, rst, ack bool, plen uint64) {
	e, p := &f.ep[s], &f.ep[s^1]
	isOrig := s == f.origSide
	doClose := false
	switch e.state {
	case tcpInactive:
		if syn {
			if isOrig {
				if ack {
					e.setState(tcpSynAckSent)
				} else {
					e.setState(tcpSynSent)
				}
			} else {
				if !ack && p.state == tcpSynAckSent && base == e.start {
					// A SYN/SYN-ACK reversal: flip the roles.
					f.flip()
					p.setState(tcpEstablished)
				}
				if p.state == tcpSynSent {
					p.setState(tcpEstablished)
				}
				e.setState(tcpEstablished)
			}
		}
		doClose = e.closeOrReset(fin, rst)
		if e.state == tcpInactive {
			switch {
			case !isOrig && plen == 0 && f.ep[f.origSide].state == tcpSynSent:
				// an ACK of the SYN before the SYN-ACK: not a partial connection
			case ack && p.state == tcpEstablished:
				e.setState(tcpEstablished) // the SYN was missed
			default:
				e.setState(tcpPartial)
			}
		}
	case tcpSynSent, tcpSynAckSent:
		doClose = e.closeOrReset(fin, rst)
	case tcpEstablished, tcpPartial:
		if syn && e.state == tcpPartial && p.state == tcpInactive && !ack {
			e.setState(tcpSynSent)
		}
		if fin && !rst {
			e.setState(tcpClosed)
			if p.state == tcpReset && p.prevState == tcpClosed {
				p.setState(tcpClosed) // a FIN then RST from the peer: a normal close
			}
			doClose = true
		}
		if rst {
			e.setState(tcpReset)
			doClose = true
		}
	case tcpClosed:
		if rst && p.state != tcpClosed {
			e.setState(tcpReset)
			if !e.didClose {
				doClose = true
			}
		}
	case tcpReset:
	}
	if doClose {
		f.connectionClosed(s)
	}
}

// closeOrReset moves an endpoint that is not yet established to closed
// on a FIN, then to reset on a RST, and reports whether either came.
func (e *endpoint) closeOrReset(fin, rst bool) bool {
	if fin {
		e.setState(tcpClosed)
	}
	if rst {
		e.setState(tcpReset)
	}
	return fin || rst
}

// connectionClosed is Zeek's ConnectionClosed: once a close is complete
// (a RST, both sides closed, or the peer never active) the flow is kept
// only for the close delay.
func (f *flow) connectionClosed(s uint8) {
	e, p := &f.ep[s], &f.ep[s^1]
	if e.didClose {
		return
	}
	e.didClose = true
	if e.state == tcpReset || p.didClose || p.state == tcpInactive {
		f.closeAt = true
	}
}
