package flows

import (
	"bytes"
	"math/bits"
	"net/netip"
	"strconv"

	"github.com/pcap2table/pcap2table/parsers"
	"github.com/pcap2table/pcap2table/table"
)

// The weird table (Zeek's weird.log, Suricata's anomaly events): one row
// per protocol anomaly the decoder, the tracker or a plugin notices. The
// tracker writes it (Tracker.SetWeird) from each shard, tagged as the
// plugins' rows are, so its rows come in the same order for any number
// of shards: a packet's anomalies at that packet, a flow's at its end,
// a plugin's when it calls Conn.Weird.

// Column indexes of the weird table.
const (
	WeirdColTS = iota
	WeirdColFlowID
	WeirdColCommunityID
	WeirdColSrcIP
	WeirdColSrcPort
	WeirdColDstIP
	WeirdColDstPort
	WeirdColProto
	WeirdColName
	WeirdColDetail
	WeirdColSource
)

// WeirdSchema is the weird table's schema.
var WeirdSchema = &table.Schema{
	Name:    "weird",
	Version: 1,
	Doc: "One row per protocol anomaly noticed while converting (Zeek's weird.log, Suricata's anomaly events): packets the decoder " +
		"could not read whole, flows with bytes missing from the capture or bad checksums, messages the dns, http and tls parsers found " +
		"malformed, IP fragments that overlap. `source` says who noticed, `name` what, `detail` the specifics. Each is also said on stderr as a count " +
		"(decode errors) or in the table's own `error` column; this table puts them in one place, joined to flows by `flow_id`.",
	Columns: []table.Column{
		{Name: "ts", Type: table.Timestamp, Nullable: true, Doc: "Capture time of the packet that showed the anomaly (a flow's: its last packet's; a message's: its first); null for a packet without a time."},
		{Name: "flow_id", Type: table.Uint64, Nullable: true, Doc: "The flow it belongs to (joins flows and packets); null for a packet of no flow (not IP, or not decoded that far)."},
		{Name: "community_id", Type: table.String, Nullable: true, Doc: "Community ID of that flow."},
		{Name: "src_ip", Type: table.String, Nullable: true, Hint: table.Dict, Doc: "The packet's source (a flow's or message's: its originator or client), when decoded."},
		{Name: "src_port", Type: table.Uint16, Nullable: true, Doc: "Its port."},
		{Name: "dst_ip", Type: table.String, Nullable: true, Hint: table.Dict, Doc: "The destination (or responder, server)."},
		{Name: "dst_port", Type: table.Uint16, Nullable: true, Doc: "Its port."},
		{Name: "proto", Type: table.String, Nullable: true, Hint: table.Dict, Doc: "Transport: `tcp`, `udp`, `icmp`, ... (as the flows table)."},
		{Name: "name", Type: table.String, Hint: table.Dict, Doc: "What: the decoder's error (`tcp: malformed header`, `ipv4: truncated`, ...), `content_gap`, `bad_checksum`, `flow_evicted`, `fragment_overlap` (a fragment repeats bytes of an earlier one), `fragment_inconsistency` (it says other bytes there: an evasion; the first copy is kept), `tcp_inconsistent_retransmission` (a TCP segment sent again said other bytes than the copy held beyond a hole; delivered bytes are not kept, so only those can be compared), or the parser's message (`malformed ClientHello`, `a gap cut the message`, ...)."},
		{Name: "detail", Type: table.String, Nullable: true, Doc: "Specifics: the bytes missing from each side, the frame and file of a packet, ..."},
		{Name: "source", Type: table.String, Hint: table.Dict, Doc: "Who noticed: `decoder`, `flows`, `dns`, `http`, `tls`."},
	},
}

// SetWeird makes the tracker write the weird table's rows into dst, in
// the flows' order; call it before the first packet.
func (s *Tracker) SetWeird(dst *table.Output) {
	po := &pluginOut{dst: dst}
	for _, t := range s.ws {
		o := &Output{tag: &t.tag, b: table.NewBatch(WeirdSchema, 64)}
		t.weird = o
		po.local = append(po.local, o)
	}
	s.outs = append(s.outs, po)
}

// Weird records an anomaly of the flow that the plugin being called
// noticed at ts (name: what; detail: specifics, or ""), in the weird
// table when it is written. client and server are as the plugin's row
// has them.
func (c *Conn) Weird(ts int64, name, detail string, client netip.Addr, clientPort uint16, server netip.Addr, serverPort uint16) {
	if c.t == nil || c.t.weird == nil {
		return
	}
	o := c.t.weird
	v := o.b.Cols
	v[WeirdColTS].AppendInt(ts)
	v[WeirdColFlowID].AppendUint(c.ID)
	v[WeirdColCommunityID].AppendBytes(c.CommunityID[:])
	appendEnds(v, client, clientPort, server, serverPort, c.HasPorts)
	v[WeirdColProto].AppendString(protoName(c.IPProto))
	v[WeirdColName].AppendString(name)
	appendDetail(v, detail)
	v[WeirdColSource].AppendString(c.t.pl.names[bits.TrailingZeros16(c.bit)])
	o.EndRow()
}

func appendEnds(v []table.Vector, src netip.Addr, sport uint16, dst netip.Addr, dport uint16, ports bool) {
	v[WeirdColSrcIP].Str = parsers.AppendAddr(v[WeirdColSrcIP].Str, src)
	v[WeirdColSrcIP].EndString()
	v[WeirdColDstIP].Str = parsers.AppendAddr(v[WeirdColDstIP].Str, dst)
	v[WeirdColDstIP].EndString()
	if ports {
		v[WeirdColSrcPort].AppendUint(uint64(sport))
		v[WeirdColDstPort].AppendUint(uint64(dport))
	} else {
		v[WeirdColSrcPort].AppendNull()
		v[WeirdColDstPort].AppendNull()
	}
}

func appendDetail(v []table.Vector, detail string) {
	if detail == "" {
		v[WeirdColDetail].AppendNull()
	} else {
		v[WeirdColDetail].AppendString(detail)
	}
}

// fragOverlap records a fragment whose bytes [off, end) overlap those
// of an earlier fragment of its datagram g: fragment_overlap when they
// are the same bytes again, fragment_inconsistency when they differ (an
// evasion: the first copy is kept, a host may keep the other).
func (t *shard) fragOverlap(r *parsers.PacketRow, g *datagram, off, end int, data []byte) {
	n, differ := 0, false
	for _, h := range g.have {
		lo, hi := max(off, int(h.lo)), min(end, int(h.hi))
		if lo >= hi {
			continue
		}
		n += hi - lo
		differ = differ || !bytes.Equal(g.data[lo:hi], data[lo-off:hi-off])
	}
	if n == 0 {
		return
	}
	name := "fragment_overlap"
	if differ {
		name = "fragment_inconsistency"
	}
	var id uint64
	var cid *[CommunityIDLen]byte
	if g.flow != none && t.flow(g.flow).inUse && t.flow(g.flow).id == g.flowID {
		f := t.flow(g.flow)
		id, cid = f.id, &f.cid
	}
	t.detail = strconv.AppendInt(t.detail[:0], int64(n), 10)
	t.detail = append(t.detail, " bytes overlap an earlier fragment of IP id "...)
	t.detail = strconv.AppendUint(t.detail, uint64(r.IPID), 10)
	t.detail = append(t.detail, "; the first copy is kept"...)
	t.weirdRecord(r, id, cid, name, "flows")
}

// weirdPacket records a packet the decoder could not read whole (its
// decode_error), with its flow when it has one.
func (t *shard) weirdPacket(r *parsers.PacketRow, flowID uint64, cid *[CommunityIDLen]byte) {
	t.detail = append(t.detail[:0], "frame "...)
	t.detail = strconv.AppendUint(t.detail, r.Frame, 10)
	t.weirdRecord(r, flowID, cid, r.DecodeError, "decoder")
}

// weirdRecord writes a packet's weird row: name, t.detail and who
// noticed (source).
func (t *shard) weirdRecord(r *parsers.PacketRow, flowID uint64, cid *[CommunityIDLen]byte, name, source string) {
	o := t.weird
	v := o.b.Cols
	if r.Untimed() {
		v[WeirdColTS].AppendNull()
	} else {
		v[WeirdColTS].AppendInt(r.TS)
	}
	if cid != nil {
		v[WeirdColFlowID].AppendUint(flowID)
		v[WeirdColCommunityID].AppendBytes(cid[:])
	} else {
		v[WeirdColFlowID].AppendNull()
		v[WeirdColCommunityID].AppendNull()
	}
	if r.Has(parsers.ColSrcIP) && r.Has(parsers.ColDstIP) {
		appendEnds(v, r.SrcIP, r.SrcPort, r.DstIP, r.DstPort, r.Has(parsers.ColSrcPort))
		v[WeirdColProto].AppendString(protoName(r.IPProto))
	} else {
		for _, c := range []int{WeirdColSrcIP, WeirdColSrcPort, WeirdColDstIP, WeirdColDstPort, WeirdColProto} {
			v[c].AppendNull()
		}
	}
	v[WeirdColName].AppendString(name)
	v[WeirdColDetail].AppendBytes(t.detail)
	v[WeirdColSource].AppendString(source)
	o.EndRow()
}

// weirdFlow records the anomalies of an ended flow's row: bytes missing
// from the capture, bad checksums (when verified), an early end at the
// bound of live flows.
func (t *shard) weirdFlow(r *Row) {
	if r.Missed > 0 {
		t.detail = strconv.AppendUint(t.detail[:0], r.Missed, 10)
		t.detail = append(t.detail, " bytes acknowledged but not captured"...)
		t.weirdRow(r, "content_gap", t.detail)
	}
	for _, c := range r.History[:r.HistoryLen] {
		if c == 'C' || c == 'c' {
			t.weirdRow(r, "bad_checksum", []byte("a packet's TCP or UDP checksum is wrong (--verify-checksums)"))
			break
		}
	}
	if r.Inconsistent {
		t.weirdRow(r, "tcp_inconsistent_retransmission", []byte("a segment sent again said other bytes than the first copy (kept)"))
	}
	if r.EndReason == "evicted" {
		t.weirdRow(r, "flow_evicted", []byte("ended early at --max-flows live flows"))
	}
}

func (t *shard) weirdRow(r *Row, name string, detail []byte) {
	o := t.weird
	v := o.b.Cols
	v[WeirdColTS].AppendInt(r.TSEnd)
	v[WeirdColFlowID].AppendUint(r.FlowID)
	v[WeirdColCommunityID].AppendBytes(r.CommunityID[:])
	appendEnds(v, r.SrcIP, r.SrcPort, r.DstIP, r.DstPort, r.HasPorts)
	v[WeirdColProto].AppendString(r.Proto)
	v[WeirdColName].AppendString(name)
	v[WeirdColDetail].AppendBytes(detail)
	v[WeirdColSource].AppendString("flows")
	o.EndRow()
}
