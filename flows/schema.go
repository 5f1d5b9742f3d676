package flows

import (
	"math"
	"net/netip"

	"github.com/pcap2table/pcap2table/parsers"
	"github.com/pcap2table/pcap2table/table"
)

// Column indexes of the flows table, in schema order.
const (
	ColFlowID = iota
	ColCommunityID
	ColTSStart
	ColTSEnd
	ColDuration
	ColProto
	ColIPProto
	ColSrcIP
	ColSrcPort
	ColDstIP
	ColDstPort
	ColVLAN
	ColTunnel
	ColTunnelID
	ColOrigPkts
	ColRespPkts
	ColOrigBytes
	ColRespBytes
	ColOrigIPBytes
	ColRespIPBytes
	ColConnState
	ColHistory
	ColMissedBytes
	ColTruncated
	ColRetransmits
	ColOutOfOrder
	ColService
	ColDstName
	ColDstNameSource
	ColSrcCountry
	ColDstCountry
	ColSrcASN
	ColDstASN
	ColSrcASOrg
	ColDstASOrg
	ColEndReason
	ColOrigLenMin
	ColOrigLenMean
	ColOrigLenStd
	ColOrigLenMax
	ColRespLenMin
	ColRespLenMean
	ColRespLenStd
	ColRespLenMax
	ColOrigIATMin
	ColOrigIATMean
	ColOrigIATStd
	ColOrigIATMax
	ColRespIATMin
	ColRespIATMean
	ColRespIATStd
	ColRespIATMax
	numFlowCols
)

func statCols(dir, what, unit string, t table.Type) []table.Column {
	d := map[string]string{"orig": "originator", "resp": "responder"}[dir]
	return []table.Column{
		{Name: dir + "_" + what + "_min", Type: t, Nullable: true, Doc: "Smallest " + unit + " of the " + d + "'s packets; null without any."},
		{Name: dir + "_" + what + "_mean", Type: table.Float64, Nullable: true, Doc: "Mean " + unit + " of the " + d + "'s packets."},
		{Name: dir + "_" + what + "_std", Type: table.Float64, Nullable: true, Doc: "Population standard deviation of the " + unit + " of the " + d + "'s packets (0 for one value)."},
		{Name: dir + "_" + what + "_max", Type: t, Nullable: true, Doc: "Largest " + unit + " of the " + d + "'s packets."},
	}
}

func iatCols(dir string) []table.Column {
	d := map[string]string{"orig": "originator", "resp": "responder"}[dir]
	return []table.Column{
		{Name: dir + "_iat_min", Type: table.Float64, Nullable: true, Doc: "Smallest time in seconds between two consecutive packets of the " + d + "; null with fewer than two."},
		{Name: dir + "_iat_mean", Type: table.Float64, Nullable: true, Doc: "Mean time in seconds between consecutive packets of the " + d + "."},
		{Name: dir + "_iat_std", Type: table.Float64, Nullable: true, Doc: "Population standard deviation of the " + d + "'s inter-arrival times, in seconds."},
		{Name: dir + "_iat_max", Type: table.Float64, Nullable: true, Doc: "Largest time in seconds between consecutive packets of the " + d + "."},
	}
}

// Schema is the flows table: one row per flow.
var Schema = &table.Schema{
	Name:         "flows",
	Version:      4,
	RowGroupRows: 1 << 17, // 51 columns, many of them float statistics
	Doc: "One row per flow (a bidirectional conversation: TCP connection, UDP or ICMP exchange, or other IP protocol between two hosts), " +
		"with Zeek conn.log semantics. A flow is keyed by its canonical 5-tuple, VLAN and tunnel id; rows are written when flows end, " +
		"so they are ordered by end, not by start. `flow_id` joins the packets table.",
	Columns: flowColumns([]table.Column{
		{Name: "flow_id", Type: table.Uint64, Doc: "Deterministic id within ±(2^53 − 1), so that every consumer reads it exactly (jq, JavaScript, pandas, DuckDB's CSV reader: see docs/flows.md), unique within the output: FNV-1a 64 folded to 53 bits, of the canonical key and the first packet's timestamp (and, when that packet is earlier than one before it, its index in the input; see docs/flows.md). Equal to `flow_id` of every packet of the flow."},
		{Name: "community_id", Type: table.String, Doc: "Community ID v1 (seed 0 unless `--community-id-seed`) of the flow's 5-tuple; equal to `community_id` of its packets."},
		{Name: "ts_start", Type: table.Timestamp, Hint: table.Delta, Doc: "Timestamp of the flow's first packet."},
		{Name: "ts_end", Type: table.Timestamp, Doc: "Timestamp of the flow's last packet, except that TCP packets after both sides closed (the last ACK of a FIN exchange, a RST after it) do not move it, as they do not move Zeek's `last_time`: duration is Zeek's."},
		{Name: "duration", Type: table.Float64, Doc: "`ts_end - ts_start` in seconds."},
		{Name: "proto", Type: table.String, Hint: table.Dict, Doc: "Transport protocol name as Zeek writes it: `tcp`, `udp`, `icmp` (ICMP and ICMPv6), `sctp`, or `unknown_transport`."},
		{Name: "ip_proto", Type: table.Uint8, Doc: "IP protocol number (after IPv6 extension headers)."},
		{Name: "src_ip", Type: table.String, Hint: table.Dict, Doc: "Originator address (Zeek's `id.orig_h`): the sender of the first SYN, else of the first packet, unless Zeek's heuristics flip it (history `^`)."},
		{Name: "src_port", Type: table.Uint16, Nullable: true, Doc: "Originator port; for ICMP the message type (as Zeek). Null for protocols without ports."},
		{Name: "dst_ip", Type: table.String, Hint: table.Dict, Doc: "Responder address (`id.resp_h`)."},
		{Name: "dst_port", Type: table.Uint16, Nullable: true, Doc: "Responder port; for ICMP the counterpart type (echo request 8 → 0) or the code."},
		{Name: "vlan", Type: table.Uint16, Nullable: true, Doc: "Outer 802.1Q VLAN id, part of the flow key; null without a VLAN tag."},
		{Name: "tunnel", Type: table.String, Nullable: true, Hint: table.Dict, Doc: "How the flow's packets were carried (as the packets table's `tunnel`); null when not tunneled."},
		{Name: "tunnel_id", Type: table.Uint32, Nullable: true, Doc: "Tunnel id (VNI, GRE key, TEID), part of the flow key (but a GTP-U TEID or a PPTP call id: each direction has its own, so the first packet's is written); null when the tunnel has none."},
		{Name: "orig_pkts", Type: table.Uint64, Doc: "Packets sent by the originator."},
		{Name: "resp_pkts", Type: table.Uint64, Doc: "Packets sent by the responder."},
		{Name: "orig_bytes", Type: table.Uint64, Doc: "Payload bytes sent by the originator. TCP: from sequence numbers, as Zeek (so bytes lost in capture count; see missed_bytes); UDP, ICMP, other: sum of payload lengths."},
		{Name: "resp_bytes", Type: table.Uint64, Doc: "Payload bytes sent by the responder (as orig_bytes)."},
		{Name: "orig_ip_bytes", Type: table.Uint64, Doc: "Sum of the IP total lengths of the originator's packets."},
		{Name: "resp_ip_bytes", Type: table.Uint64, Doc: "Sum of the IP total lengths of the responder's packets."},
		{Name: "conn_state", Type: table.String, Hint: table.Dict, Doc: "Zeek's conn_state: S0 S1 SF REJ S2 S3 RSTO RSTR RSTOS0 RSTRH SH SHR OTH (see docs/flows.md)."},
		{Name: "history", Type: table.String, Hint: table.Dict, Doc: "Zeek's history letters (s h a d f r c g t w i q ^; upper case = originator), repeated as Zeek repeats them; at most 64 letters."},
		{Name: "missed_bytes", Type: table.Uint64, Doc: "TCP bytes acknowledged by the peer but never seen in the capture (content gaps, and payload the snap length cut off: Zeek's missed_bytes)."},
		{Name: "truncated", Type: table.Bool, Doc: "Some packet of the flow was cut by the snap length (caplen < length): its payload is not all in the capture, so the dns, http and tls tables may lack what it held."},
		{Name: "retransmits", Type: table.Uint64, Doc: "TCP segments with payload that carried no new sequence space (retransmissions), both directions."},
		{Name: "out_of_order", Type: table.Uint64, Doc: "TCP segments that arrived after a later segment of the same direction (they filled a hole), both directions."},
		{Name: "service", Type: table.String, Nullable: true, Hint: table.Dict, Doc: "Application protocols recognized in the flow by their content, comma-separated in alphabetical order (`dns`, `http`, `quic`, `tls`; a QUIC connection is `quic,tls`); null when none was. A protocol is looked for only when its table is written (`--tables flows,dns` fills `dns`), and every one when the beacons table is."},
		{Name: "dst_name", Type: table.String, Nullable: true, Hint: table.Dict, Doc: "The name the originator reached the responder by, in lower case: " +
			"the TLS server name (SNI), else the HTTP Host (without its port), else the name of the latest DNS answer that gave dst_ip before the flow started " +
			"(`dns.query` of an answered A/AAAA lookup seen in the capture). Null when none did. Looked for as `service` is: TLS, HTTP and DNS names " +
			"when their tables or the beacons table are written (the beacons table keys services by it)."},
		{Name: "dst_name_source", Type: table.String, Nullable: true, Hint: table.Dict, Doc: "Where dst_name comes from: `tls`, `http` or `dns`; null with dst_name."},
		{Name: "src_country", Type: table.String, Nullable: true, Hint: table.Dict, Doc: "ISO 3166-1 alpha-2 code of src_ip's country in the `--geoip` database (a MaxMind City or Country database: the country of the network's location, else the one it is registered in; docs/enrich.md). " + geoNull},
		{Name: "dst_country", Type: table.String, Nullable: true, Hint: table.Dict, Doc: "The same for dst_ip."},
		{Name: "src_asn", Type: table.Uint32, Nullable: true, Hint: table.Dict, Doc: "Number of the autonomous system that announces src_ip, from the `--asn` database (a MaxMind ASN database, or one with its field names). " + geoNull},
		{Name: "dst_asn", Type: table.Uint32, Nullable: true, Hint: table.Dict, Doc: "The same for dst_ip."},
		{Name: "src_as_org", Type: table.String, Nullable: true, Hint: table.Dict, Doc: "Organization of src_ip's autonomous system, as the `--asn` database writes it; null as src_asn, and when the database names none."},
		{Name: "dst_as_org", Type: table.String, Nullable: true, Hint: table.Dict, Doc: "The same for dst_ip."},
		{Name: "end_reason", Type: table.String, Hint: table.Dict, Doc: "Why the flow ended: `fin` (closed by FIN), `rst` (reset), `idle` (idle timeout), `interim` (not an end: the flow goes on; a row of its counts so far, every `--interim` of capture time, with the same flow_id as its final row; sum only the final rows), `attempt` (a TCP flow that began with a SYN got no answer within the attempt timeout, 5 s: Zeek's tcp_attempt_delay; a SYN sent again later is a new flow), `active` (active timeout: a new flow continues it), `eof` (still open at the end of the input), `evicted` (ended early to make room at the `--max-flows` bound of live flows: the least recently active flow; a later packet starts a new flow)."},
	}),
}

// geoNull says when the enrichment columns are null.
const geoNull = "Null without the database, for private, loopback, link-local, multicast and unspecified addresses, and for those the database has no answer for."

// flowColumns appends the per-direction statistics to the base columns.
func flowColumns(base []table.Column) []table.Column {
	c := append(base, statCols("orig", "len", "IP length in bytes", table.Uint32)...)
	c = append(c, statCols("resp", "len", "IP length in bytes", table.Uint32)...)
	c = append(c, iatCols("orig")...)
	return append(c, iatCols("resp")...)
}

// MaxHistory bounds the history string; letters past it are dropped.
const MaxHistory = 64

// Row is one flow's row.
type Row struct {
	FlowID      uint64
	CommunityID [CommunityIDLen]byte
	TSStart     int64
	TSEnd       int64
	Proto       string
	IPProto     uint8
	SrcIP       netip.Addr
	SrcPort     uint16
	DstIP       netip.Addr
	DstPort     uint16
	HasPorts    bool
	VLAN        uint16
	HasVLAN     bool
	Tunnel      string // "" when not tunneled
	TunnelID    uint32
	HasTunnelID bool
	Orig, Resp  DirStats
	ConnState   string
	History     [MaxHistory]byte
	HistoryLen  int
	Missed      uint64
	Truncated   bool // a packet was cut by the snap length
	// Inconsistent: a retransmitted segment said other bytes than the
	// copy held beyond a hole (only seen when a plugin reads streams)
	Inconsistent bool
	Retransmits  uint64
	OutOfOrder   uint64
	EndReason    string
	// Interim marks a row written while the flow goes on (Config.Interim;
	// EndReason "interim"): subscribers that count flows skip it.
	Interim bool
	// Service lists the protocols plugins recognized, comma-separated
	// ("" when none did).
	Service string
	// Name is the name the originator reached the responder by, as a
	// plugin read it (Conn.SetName) or the Tracker's namer gave it, and
	// NameSource where it comes from; "" when none did.
	Name, NameSource string
	// SrcGeo and DstGeo are what Config.Enrich knows of SrcIP and DstIP
	// (zero without it).
	SrcGeo, DstGeo Geo
	// Notes are the events plugins noted in the flow (Conn.Note), in time
	// order: all of them, or a uniform sample of MaxNotes of the
	// NotesSeen; Facts are the facts they noted (Conn.Fact). Both are nil
	// unless the tracker keeps notes (Tracker.KeepNotes), and belong to
	// the row: a subscriber that keeps them copies the slices' values.
	Notes     []Note
	NotesSeen uint64
	Facts     []Note
}

// DirStats are one direction's counters.
type DirStats struct {
	Pkts, Bytes, IPBytes uint64
	Len                  Summary // IP total lengths, bytes
	IAT                  Summary // times between consecutive packets, ns
	lastTS               int64
}

func (d *DirStats) add(ts int64, ipLen uint32) {
	if d.Pkts > 0 {
		d.IAT.addCount(float64(max(ts-d.lastTS, 0))) // time going backwards counts as 0
	}
	d.Pkts++
	d.IPBytes += uint64(ipLen)
	d.Len.addCount(float64(ipLen))
	d.lastTS = ts
}

// Summary accumulates the count, min, max, mean and variance of a series
// in one pass (Welford's method).
type Summary struct {
	N                  uint64
	Min, Max, Mean, M2 float64
}

// Add adds x to the series.
func (s *Summary) Add(x float64) {
	s.N++
	if s.N == 1 {
		s.Min, s.Max = x, x
	} else {
		s.Min, s.Max = min(s.Min, x), max(s.Max, x)
	}
	delta := x - s.Mean
	s.Mean += delta / float64(s.N)
	s.M2 += delta * (x - s.Mean)
}

// addCount is Add for a count (x >= 0, from an integer: neither NaN nor
// −0), as DirStats' are: the same sums, with min and max by comparison
// rather than Go's min and max, whose cases for NaN and the sign of zero
// cost a dozen instructions each.
func (s *Summary) addCount(x float64) {
	s.N++
	if s.N == 1 {
		s.Min, s.Max = x, x
	} else if x < s.Min {
		s.Min = x
	} else if x > s.Max {
		s.Max = x
	}
	delta := x - s.Mean
	s.Mean += delta / float64(int64(s.N)) // N < 2^63: no unsigned conversion
	s.M2 += delta * (x - s.Mean)
}

// Std is the population standard deviation (0 for fewer than two values).
func (s *Summary) Std() float64 {
	if s.N == 0 {
		return 0
	}
	return math.Sqrt(s.M2 / float64(s.N))
}

// AppendTo appends the row to a batch of Schema, filling the columns
// whose index is in cols (the others stay empty: no writer reads them).
func (r *Row) AppendTo(b *table.Batch, cols []int) {
	b.N++
	for _, c := range cols {
		r.appendCol(&b.Cols[c], c)
	}
}

func appendOptUint(v *table.Vector, ok bool, x uint64) {
	if ok {
		v.AppendUint(x)
	} else {
		v.AppendNull()
	}
}

func appendOptFloat(v *table.Vector, ok bool, x float64) {
	if ok {
		v.AppendFloat(x)
	} else {
		v.AppendNull()
	}
}

func (r *Row) appendCol(v *table.Vector, c int) {
	switch c {
	case ColFlowID:
		v.AppendUint(r.FlowID)
	case ColCommunityID:
		v.AppendBytes(r.CommunityID[:])
	case ColTSStart:
		v.AppendInt(r.TSStart)
	case ColTSEnd:
		v.AppendInt(r.TSEnd)
	case ColDuration:
		v.AppendFloat(float64(r.TSEnd-r.TSStart) / 1e9)
	case ColProto:
		v.AppendString(r.Proto)
	case ColIPProto:
		v.AppendUint(uint64(r.IPProto))
	case ColSrcIP:
		v.Str = parsers.AppendAddr(v.Str, r.SrcIP)
		v.EndString()
	case ColSrcPort:
		appendOptUint(v, r.HasPorts, uint64(r.SrcPort))
	case ColDstIP:
		v.Str = parsers.AppendAddr(v.Str, r.DstIP)
		v.EndString()
	case ColDstPort:
		appendOptUint(v, r.HasPorts, uint64(r.DstPort))
	case ColVLAN:
		appendOptUint(v, r.HasVLAN, uint64(r.VLAN))
	case ColTunnel:
		if r.Tunnel == "" {
			v.AppendNull()
		} else {
			v.AppendString(r.Tunnel)
		}
	case ColTunnelID:
		appendOptUint(v, r.HasTunnelID, uint64(r.TunnelID))
	case ColOrigPkts:
		v.AppendUint(r.Orig.Pkts)
	case ColRespPkts:
		v.AppendUint(r.Resp.Pkts)
	case ColOrigBytes:
		v.AppendUint(r.Orig.Bytes)
	case ColRespBytes:
		v.AppendUint(r.Resp.Bytes)
	case ColOrigIPBytes:
		v.AppendUint(r.Orig.IPBytes)
	case ColRespIPBytes:
		v.AppendUint(r.Resp.IPBytes)
	case ColConnState:
		v.AppendString(r.ConnState)
	case ColHistory:
		v.AppendBytes(r.History[:r.HistoryLen])
	case ColMissedBytes:
		v.AppendUint(r.Missed)
	case ColTruncated:
		v.AppendBool(r.Truncated)
	case ColRetransmits:
		v.AppendUint(r.Retransmits)
	case ColOutOfOrder:
		v.AppendUint(r.OutOfOrder)
	case ColService:
		if r.Service == "" {
			v.AppendNull()
		} else {
			v.AppendString(r.Service)
		}
	case ColDstName:
		appendOptString(v, r.Name)
	case ColDstNameSource:
		appendOptString(v, r.NameSource)
	case ColSrcCountry, ColDstCountry:
		g := r.geo(c == ColSrcCountry)
		if g.HasCountry() {
			v.AppendBytes(g.Country[:])
		} else {
			v.AppendNull()
		}
	case ColSrcASN, ColDstASN:
		g := r.geo(c == ColSrcASN)
		appendOptUint(v, g.ASN != 0, uint64(g.ASN))
	case ColSrcASOrg, ColDstASOrg:
		appendOptString(v, r.geo(c == ColSrcASOrg).ASOrg)
	case ColEndReason:
		v.AppendString(r.EndReason)
	default:
		r.appendStat(v, c)
	}
}

// geo returns the originator's Geo (src) or the responder's.
func (r *Row) geo(src bool) *Geo {
	if src {
		return &r.SrcGeo
	}
	return &r.DstGeo
}

// appendStat appends one of the per-direction statistics columns: the
// 16 columns run orig len, resp len, orig iat, resp iat, each min, mean,
// std, max.
func (r *Row) appendStat(v *table.Vector, c int) {
	k := c - ColOrigLenMin
	d := &r.Orig
	if k/4%2 == 1 {
		d = &r.Resp
	}
	s, div := &d.Len, 1.0
	if k >= 8 {
		s, div = &d.IAT, 1e9 // ns to s
	}
	var x float64
	switch k % 4 {
	case 0:
		x = s.Min
	case 1:
		x = s.Mean
	case 2:
		x = s.Std()
	case 3:
		x = s.Max
	}
	if v.Type == table.Uint32 {
		appendOptUint(v, s.N > 0, uint64(x))
	} else {
		appendOptFloat(v, s.N > 0, x/div)
	}
}

// appendOptString appends s, or null for "".
func appendOptString(v *table.Vector, s string) {
	if s == "" {
		v.AppendNull()
	} else {
		v.AppendString(s)
	}
}
