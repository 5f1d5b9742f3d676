package flows

import (
	"unsafe"

	"github.com/pcap2table/pcap2table/parsers"
)

// TCP endpoint states, as Zeek's TCP_Endpoint.
const (
	tcpInactive = iota
	tcpSynSent
	tcpSynAckSent
	tcpPartial
	tcpEstablished
	tcpClosed
	tcpReset
)

// TCP flag bits (tshark's tcp.flags).
const (
	flagFIN = 0x01
	flagSYN = 0x02
	flagRST = 0x04
	flagACK = 0x10
)

// history "seen" bits (per direction: responder bits are shifted by 16).
const (
	histSYN = 1 << iota
	histFIN
	histRST
	histFINRST
	histData
	histACK
	histMulti
	histCorrupt
)

// maxOOO bounds the out-of-order spans (holes) remembered per direction;
// a segment that would need one more gives up the holes before it.
const maxOOO = 4

// endpoint is one side of a flow: TCP state and sequence space as Zeek's
// TCP_Endpoint keeps them, and the reassembly cursor.
type endpoint struct {
	stats DirStats

	state, prevState uint8
	didClose         bool
	active           bool // sent a packet (UDP, ICMP, other: Zeek's UDP_ACTIVE)

	// Sequence numbers unwrapped to 64 bits: a 32-bit value x is placed
	// near the reference it is compared with.
	start, last, ack uint64
	finCnt, rstCnt   uint32
	finSeq           uint64 // relative seq just after the FIN
	lastSYN, lastFIN uint64 // relative seqs of the last SYN/FIN/RST seen, for history repeats
	lastRST          uint64

	rxmtCnt, rxmtThresh uint32
	win0Cnt, win0Thresh uint32
	gapCnt, gapThresh   uint32

	// Reassembly (reassembly.go): every byte below delivered was seen (or
	// declared missing); holes indexes the spans seen beyond it and their
	// held bytes (kept aside: few flows have any). acked is the highest
	// acknowledgement from the peer; waiting: since ackSince, it is beyond
	// delivered.
	delivered uint64
	streamed  uint64 // stream offset: bytes and gaps handed to the handler
	acked     uint64
	ackSince  int64
	holes     int32
	waiting   bool
	// cut bytes of segments the snap length cut short, below cutEnd: they
	// are missed_bytes once the peer acknowledges cutEnd, as Zeek's
	// reassembler gets none of a cut segment's bytes
	cut    uint32
	cutEnd uint64

	missed, rxmt, outOfOrder uint64
}

// flow is one live flow. Sides: 0 is the key's A endpoint, 1 its B.
//
// The fields a packet reads or writes come first, up to and with ep: the
// lines runJob prefetches (flowHotLines). The others are read when the
// flow starts, ends or changes queue, or seldom.
type flow struct {
	key      Key
	id       uint64
	cid      [CommunityIDLen]byte
	inUse    bool
	origSide uint8
	class    uint8
	closeAt  bool  // a TCP close completed: kept for the close delay
	attempt  bool  // began with a SYN, and only the originator's SYNs since
	histLen  uint8 // letters in hist
	histSeen uint32
	// synAckFirst: began with a SYN-ACK not flipped: 2, then 1 until the
	// next packet
	synAckFirst uint8
	truncated   bool // a packet was cut by the snap length
	first, last int64
	// end is the row's ts_end: last, but for the TCP packets that come
	// once both sides closed (Zeek's last_time, which they do not move)
	end int64
	// firstClock and lastClock are the tracker's clock (the latest
	// capture time seen) at the flow's first and last packets: timeouts
	// run on that clock, which never goes back, so the idle lists stay in
	// deadline order whatever the order of the capture's timestamps.
	firstClock, lastClock int64
	ep                    [2]endpoint

	hist         [MaxHistory]byte
	hasVLAN      bool
	hasTunnelID  bool
	tunnelID     uint32 // the first packet's (the key's may be 0: keyTunnelID)
	tunnel       uint8  // index into shard.tunnels: flows hold no pointers, the GC skips them
	streamOrig   uint8  // 1 + origSide at the first stream event; 0 before
	qstate       uint8  // where it is queued: qNone, qList, qHeap
	inconsistent bool   // a retransmission said other bytes than the held copy
	firstSeq     uint64 // shard.pos at the first packet: the order of flows that start (shard.go)
	queued       int64  // its time in its idle queue (queue.go)
	firstFile    int32  // the input of its first packet (Tracker.Hold)
	service      uint16 // bits of shard.services
	pluginOff    uint16 // plugins that failed on this flow (plugin.go)
	name         string // Conn.SetName's, "" before
	nameSource   string
	lastPayload  int64  // the time of its latest payload, 0 before (Tracker.NoteBursts only)
	payload      uint64 // the payload bytes of its packets so far (Tracker.NoteBursts only)
	idle, age    links
}

// flowHotLines is how many cache lines from a flow's start hold the
// fields a packet reads or writes (flow).
const flowHotLines = int(unsafe.Offsetof(flow{}.ep)+unsafe.Sizeof(flow{}.ep)+63) / 64

func (f *flow) side(s uint8) *DirStats { return &f.ep[s].stats }

func (f *flow) addHistory(c byte) {
	if int(f.histLen) < MaxHistory {
		f.hist[f.histLen] = c
		f.histLen++
	}
}

// checkHistory adds the letter the first time its bit is seen for the
// side and reports whether it had been seen before (Zeek's CheckHistory).
func (f *flow) checkHistory(s uint8, mask uint32, code byte) bool {
	if s != f.origSide {
		mask <<= 16
		code |= 0x20 // lower case
	}
	if f.histSeen&mask == 0 {
		f.histSeen |= mask
		f.addHistory(code)
		return false
	}
	return true
}

func (f *flow) repeatHistory(s uint8, code byte) {
	if s != f.origSide {
		code |= 0x20
	}
	f.addHistory(code)
}

// scaledHistory adds the letter at the 1st, 10th, 100th... event.
func (f *flow) scaledHistory(s uint8, code byte, cnt, thresh *uint32) {
	if *thresh == 0 {
		*thresh = 1
	}
	if *cnt++; *cnt == *thresh {
		f.repeatHistory(s, code)
		if n := *thresh * 10; n > *thresh {
			*thresh = n
		}
	}
}

func (f *flow) flip() {
	f.origSide ^= 1
	f.addHistory('^')
}

// flipLate makes the responder the originator after packets were
// counted: the history reads as if the roles had been so from the start
// ('^' first, each side's letters in the other's case), as Zeek writes a
// connection it flips when an ACK or data follows its first SYN-ACK.
func (f *flow) flipLate() {
	f.origSide ^= 1
	f.histSeen = f.histSeen>>16 | f.histSeen<<16
	h := f.hist[:f.histLen]
	for i, c := range h {
		if c|0x20 >= 'a' && c|0x20 <= 'z' {
			h[i] = c ^ 0x20
		}
	}
	if int(f.histLen) == MaxHistory {
		f.histLen-- // the last letter gives way
	}
	copy(f.hist[1:f.histLen+1], f.hist[:f.histLen])
	f.hist[0] = '^'
	f.histLen++
}

// initRoles picks the originator for a new flow whose first packet came
// from side: the sender, unless Zeek would flip it (a first TCP packet
// without SYN or with SYN-ACK, or a UDP packet, from a likely server port
// to a port that is not, unless it goes to 255.255.255.255: a DHCP server's
// broadcast reply stays its own originator). Zeek never flips ICMP: the sender of an echo
// reply seen first is its originator.
func (f *flow) initRoles(r *parsers.PacketRow, side uint8) {
	f.origSide = side
	switch f.key.Proto {
	case 6, 17:
		if !r.Has(parsers.ColSrcPort) {
			return
		}
		sp, dp := r.SrcPort, r.DstPort
		if f.key.Proto == 6 {
			if !r.Has(parsers.ColTCPFlags) {
				return
			}
			fl := r.TCPFlags
			if fl&flagSYN != 0 && fl&flagACK == 0 {
				return // a SYN: its sender is the originator
			}
			if likelyServerPort(sp) {
				if likelyServerPort(dp) {
					if fl&flagSYN == 0 && sp < dp {
						f.flip()
					}
				} else {
					f.flip()
				}
			}
			if fl&(flagSYN|flagACK) == flagSYN|flagACK && f.origSide == side {
				f.synAckFirst = 2 // flipped if an ACK or data follows
			}
			return
		}
		if likelyServerPort(sp) && !likelyServerPort(dp) && !limitedBroadcast(r.DstIP) {
			f.flip()
		}
	}
}

// observe updates the flow with one of its packets sent by side.
func (f *flow) observe(rs *reasm, r *parsers.PacketRow, side uint8, verify bool) {
	if r.CapLen < r.Length {
		f.truncated = true
	}
	if f.key.Proto == 6 && !r.Has(parsers.ColTCPFlags) {
		// a TCP header cut short (decode_error in the packets table):
		// as Zeek, the flow starts but the packet counts for nothing
		return
	}
	e := &f.ep[side]
	if verify {
		// Zeek's 'c'; unlike Zeek the packet still counts (offloaded
		// checksums make many captured packets look bad)
		if ok, checked := ChecksumOK(r); checked && !ok {
			f.checkHistory(side, histCorrupt, 'C')
		}
	}
	if r.TS > f.last {
		f.last = r.TS
	}
	if r.TS > f.end && !(f.key.Proto == 6 && f.ep[0].didClose && f.ep[1].didClose) {
		f.end = r.TS
	}
	ipLen := r.IPLen
	if !r.Has(parsers.ColIPLen) {
		ipLen = 0
	}
	e.stats.add(r.TS, uint32(ipLen))
	switch f.key.Proto {
	case 6:
		if r.Has(parsers.ColTCPFlags) {
			f.tcp(rs, side, r)
		}
	case 17:
		e.active = true
		e.stats.Bytes += uint64(r.PayloadLen)
		f.checkHistory(side, histData, 'D')
	default:
		e.active = true
		e.stats.Bytes += uint64(r.PayloadLen)
	}
}

// wantClass is the idle list the flow belongs in now.
func (f *flow) wantClass() uint8 {
	switch {
	case f.closeAt:
		return classClosing
	case f.attempt:
		return classAttempt
	case f.key.Proto == 6:
		return classTCP
	}
	return classOther
}

// reused reports whether a TCP packet with these flags starts a new
// connection on the key of this closed one (a SYN after FIN or RST).
func (f *flow) reused(flags uint16) bool {
	if flags&flagSYN == 0 || flags&flagACK != 0 {
		return false
	}
	o, r := f.ep[f.origSide].state, f.ep[f.origSide^1].state
	return f.closeAt || o == tcpClosed || o == tcpReset || r == tcpClosed || r == tcpReset
}

func (f *flow) closeReason() string {
	if f.ep[0].state == tcpReset || f.ep[1].state == tcpReset {
		return "rst"
	}
	return "fin"
}

// connState is Zeek's conn_state.
func (f *flow) connState() string {
	o, r := &f.ep[f.origSide], &f.ep[f.origSide^1]
	switch f.key.Proto {
	case 6:
		os, rs := o.state, r.state
		oInactive := os == tcpInactive || os == tcpPartial
		rInactive := rs == tcpInactive || rs == tcpPartial
		switch {
		case rs == tcpReset:
			if os == tcpSynSent || os == tcpSynAckSent || (os == tcpReset && f.size(f.origSide) == 0 && f.size(f.origSide^1) == 0) {
				return "REJ"
			}
			if oInactive {
				return "RSTRH"
			}
			return "RSTR"
		case os == tcpReset:
			if rInactive {
				if f.historyIsRSTOS0() {
					return "RSTOS0"
				}
				return "OTH"
			}
			return "RSTO"
		case rs == tcpClosed && os == tcpClosed:
			return "SF"
		case os == tcpClosed:
			if rInactive {
				return "SH"
			}
			return "S2"
		case rs == tcpClosed:
			if oInactive {
				return "SHR"
			}
			return "S3"
		case os == tcpSynSent && rs == tcpInactive:
			return "S0"
		case os == tcpEstablished && rs == tcpEstablished:
			return "S1"
		}
		return "OTH"
	case 17:
		switch {
		case o.active && r.active:
			return "SF"
		case o.active:
			return "S0"
		case r.active:
			return "SHR"
		}
		return "OTH"
	}
	return "OTH"
}

// historyIsRSTOS0 matches the history against Zeek's /\^?S[^HAFGIQ]*R.*/.
func (f *flow) historyIsRSTOS0() bool {
	h := f.hist[:f.histLen]
	if len(h) > 0 && h[0] == '^' {
		h = h[1:]
	}
	if len(h) == 0 || h[0] != 'S' {
		return false
	}
	for _, c := range h[1:] {
		switch c {
		case 'R':
			return true
		case 'H', 'A', 'F', 'G', 'I', 'Q':
			return false
		}
	}
	return false
}

func protoName(p uint8) string {
	switch p {
	case 6:
		return "tcp"
	case 17:
		return "udp"
	case 1, 58:
		return "icmp"
	case 132:
		return "sctp"
	}
	return "unknown_transport"
}

// row fills the flow's row (but its Tunnel, which the tracker names).
func (f *flow) row(r *Row, reason string) {
	o, s := f.origSide, f.origSide^1
	k := &f.key
	a, b := addrFrom16(k.A, k.V6), addrFrom16(k.B, k.V6)
	pa, pb := k.PortA, k.PortB
	if o == 1 {
		a, b, pa, pb = b, a, pb, pa
	}
	*r = Row{
		FlowID: f.id, CommunityID: f.cid, TSStart: f.first, TSEnd: f.end,
		Proto: protoName(k.Proto), IPProto: k.Proto,
		SrcIP: a, SrcPort: pa, DstIP: b, DstPort: pb, HasPorts: k.HasPorts,
		VLAN: k.VLAN, HasVLAN: f.hasVLAN, TunnelID: f.tunnelID, HasTunnelID: f.hasTunnelID,
		Orig: f.ep[o].stats, Resp: f.ep[s].stats,
		ConnState: f.connState(), History: f.hist, HistoryLen: int(f.histLen),
		Missed:       f.ep[0].missed + f.ep[1].missed,
		Truncated:    f.truncated,
		Inconsistent: f.inconsistent,
		Retransmits:  f.ep[0].rxmt + f.ep[1].rxmt,
		OutOfOrder:   f.ep[0].outOfOrder + f.ep[1].outOfOrder,
		EndReason:    reason,
	}
	if k.Proto == 6 {
		r.Orig.Bytes, r.Resp.Bytes = f.size(o), f.size(s)
	}
}
