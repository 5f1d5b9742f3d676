package dns

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"strconv"
	"strings"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/parsers"
	"github.com/pcap2table/pcap2table/table"
)

// Column indexes of the dns table, in schema order.
// (The first seven are flows.ConnColumns.)
const (
	ColProto = flows.NumConnColumns + iota
	ColTransID
	ColRTT
	ColQuery
	ColQClass
	ColQClassName
	ColQType
	ColQTypeName
	ColRcode
	ColRcodeName
	ColAA
	ColTC
	ColRD
	ColRA
	ColAnswers
	ColTTLs
	ColStatus
	ColError
	numCols
)

// Schema is the dns table: one row per query/response pair.
var Schema = &table.Schema{
	Name:    "dns",
	Version: 2,
	Doc: "One row per DNS query and its response (Zeek's dns.log), over UDP and over TCP (length-prefixed messages from the reassembled " +
		"streams). A query without a response (when its flow ends) and a response without a query are rows too (`status`). " +
		"DNS is recognized by content: on ports 53, 5353 (mDNS) and 5355 (LLMNR) every message, elsewhere only messages that decode whole. " +
		"Rows are written when the response comes (or the flow ends), so they are ordered by that, not by `ts`. `flow_id` joins the flows and packets tables.",
	Columns: append(flows.ConnColumns("Timestamp of the query (of the response when `status` is `unsolicited`).",
		"The client: sender of the query (destination of an unsolicited response)."), []table.Column{
		{Name: "proto", Type: table.String, Hint: table.Dict, Doc: "`udp` or `tcp`."},
		{Name: "trans_id", Type: table.Uint16, Doc: "The 16-bit transaction id that pairs query and response."},
		{Name: "rtt", Type: table.Float64, Nullable: true, Doc: "Seconds from the query to its response; null without both."},
		{Name: "query", Type: table.String, Nullable: true, Doc: "The queried name (first question), without the trailing dot, as tshark's `dns.qry.name`; for a response without a question (mDNS announcements) its first answer's name, as Zeek logs it; a NetBIOS name (port 137) decoded from its first-level encoding, without its suffix byte and padding, as Zeek logs it; null when the message had neither."},
		{Name: "qclass", Type: table.Uint16, Nullable: true, Doc: "Class of the question (mDNS's unicast-response bit cleared)."},
		{Name: "qclass_name", Type: table.String, Nullable: true, Hint: table.Dict, Doc: "Its name as Zeek writes it: `C_INTERNET`, `C_CHAOS`, `C_HESIOD`, `C_NONE`, `C_ANY`, else `CLASS<n>`."},
		{Name: "qtype", Type: table.Uint16, Nullable: true, Doc: "Type of the question (`dns.qry.type`)."},
		{Name: "qtype_name", Type: table.String, Nullable: true, Hint: table.Dict, Doc: "Its mnemonic (`A`, `AAAA`, `PTR`, `HTTPS`, ...; unknown types as `TYPE<n>`, RFC 3597)."},
		{Name: "rcode", Type: table.Uint8, Nullable: true, Doc: "Response code of the response (`dns.flags.rcode`, the header's 4 bits); null without a response."},
		{Name: "rcode_name", Type: table.String, Nullable: true, Hint: table.Dict, Doc: "Its name: `NOERROR`, `FORMERR`, `SERVFAIL`, `NXDOMAIN`, `NOTIMP`, `REFUSED`, ... (else `RCODE<n>`)."},
		{Name: "aa", Type: table.Bool, Nullable: true, Doc: "Authoritative Answer flag of the response; null without a response."},
		{Name: "tc", Type: table.Bool, Nullable: true, Doc: "Truncation flag of the response; null without a response."},
		{Name: "rd", Type: table.Bool, Doc: "Recursion Desired flag of the query (of the response when unsolicited)."},
		{Name: "ra", Type: table.Bool, Nullable: true, Doc: "Recursion Available flag of the response; null without a response."},
		{Name: "answers", Type: table.String, Nullable: true, List: true, Doc: "The answer section's records, in order, as text: the address of A/AAAA, the name of CNAME/NS/PTR/DNAME/MX/SRV/SOA (MX and SRV targets, SOA's primary server), TXT strings joined by spaces, else `<TYPE>` with the record's mnemonic. Null without a response."},
		{Name: "ttls", Type: table.Uint32, Nullable: true, List: true, Doc: "The TTLs (seconds) of the records of `answers`, in the same order."},
		{Name: "status", Type: table.String, Hint: table.Dict, Doc: "`answered`; `unanswered` (no response before the flow ended or the query was asked again with the same id); `unsolicited` (a response to no query seen; over mDNS, where every query has id 0, a reply about another name than the query's, as Zeek pairs them)."},
		{Name: "error", Type: table.String, Nullable: true, Doc: "Why a message could not be decoded whole (truncated, bad name compression, ...); the row holds what came before. Null when both decoded."},
	}...),
}

// maxPending bounds the queries waiting for a response in one flow: the
// oldest is written unanswered to make room.
const maxPending = 256

// Plugin is the dns table's plugin.
type Plugin struct {
	out   *flows.Output
	flows map[uint64]*flowState
	msg   layers.DNS
	text  []byte
	// Messages counts the DNS messages decoded; Errors those that were
	// cut short or malformed.
	Messages, Errors uint64
	// Names, if set, is told of each address (A, AAAA) that a successful
	// response gave, with the question's name (what the client looked
	// up, whatever CNAMEs lead to the address) and the response's
	// capture time.
	Names *Names
}

// New returns the plugin writing to out.
func New(out *flows.Output) *Plugin {
	return &Plugin{out: out, flows: map[uint64]*flowState{}}
}

// Schema implements flows.Plugin.
func (p *Plugin) Schema() *table.Schema { return Schema }

type flowState struct {
	pending []query
	tcp     [2]tcpDir
	proto   string
}

// tcpDir is one direction of a TCP flow: the bytes of an incomplete
// message (at most 2+65535: the length prefix bounds it).
type tcpDir struct {
	buf  []byte
	dead bool // not DNS
	seen bool // a message decoded: this is DNS
	// lost: a gap (or joining mid-stream) lost the framing; the
	// direction waits for a segment that starts with a message.
	lost bool
}

// query is a query waiting for its response.
type query struct {
	ts                 int64
	id                 uint16
	hasQ               bool
	name               string
	qtype, qclass      uint16
	rd                 bool
	client, server     netip.Addr
	clientPt, serverPt uint16
	err                string
}

func wellKnown(port uint16) bool { return port == 53 || port == 5353 || port == 5355 }

// plausible is the cheap check before decoding a message on another
// port: a standard query or response (opcode 0) with one question.
func plausible(b []byte) bool {
	return len(b) >= 12 && (b[2]>>3)&0xf == 0 && binary.BigEndian.Uint16(b[4:]) == 1 &&
		binary.BigEndian.Uint16(b[6:]) < 256 && binary.BigEndian.Uint16(b[8:]) < 256 && binary.BigEndian.Uint16(b[10:]) < 256
}

// Packet implements flows.PacketHook: UDP messages.
func (p *Plugin) Packet(c *flows.Conn, dir flows.Dir, r *parsers.PacketRow) {
	if c.IPProto != 17 || !r.Has(parsers.ColSrcPort) || len(r.Payload) < 12 {
		return
	}
	known := wellKnown(r.SrcPort) || wellKnown(r.DstPort)
	if !known && !plausible(r.Payload) {
		if p.flows[c.ID] == nil {
			c.Ignore() // a UDP flow on another port whose first message is not DNS
		}
		return
	}
	err := p.decode(r.Payload)
	if err != nil && !known {
		return // not DNS, as far as we can tell
	}
	c.SetService("dns")
	p.message(c, p.state(c, "udp"), r.TS, r.SrcIP, r.SrcPort, r.DstIP, r.DstPort, err)
}

func (p *Plugin) state(c *flows.Conn, proto string) *flowState {
	st := p.flows[c.ID]
	if st == nil {
		st = &flowState{proto: proto}
		p.flows[c.ID] = st
	}
	return st
}

// decode decodes a message into p.msg.
func (p *Plugin) decode(b []byte) (err error) {
	defer func() {
		// gopacket's decoder on hostile input: a bug there is an error here
		if r := recover(); r != nil {
			err = errors.New("dns: the decoder failed on this message")
		}
	}()
	p.Messages++
	err = p.msg.DecodeFromBytes(b, gopacket.NilDecodeFeedback)
	if err != nil {
		p.Errors++
	}
	return err
}

// message handles the message in p.msg, sent from src to dst at ts.
func (p *Plugin) message(c *flows.Conn, st *flowState, ts int64, src netip.Addr, sport uint16, dst netip.Addr, dport uint16, err error) {
	m := &p.msg
	if len(m.Contents) < 12 {
		return // not even a header
	}
	var q query
	q.ts, q.id, q.rd = ts, m.ID, m.RD
	switch {
	case len(m.Questions) > 0:
		qq := &m.Questions[0]
		q.hasQ, q.name, q.qtype, q.qclass = true, string(qq.Name), uint16(qq.Type), uint16(qq.Class)&0x7fff
	case m.QR && len(m.Answers) > 0:
		// a response without a question (mDNS announcements): its first
		// answer says what it is about, as Zeek logs it
		a := &m.Answers[0]
		q.hasQ, q.name, q.qtype, q.qclass = true, string(a.Name), uint16(a.Type), uint16(a.Class)&0x7fff
	}
	if q.hasQ && (sport == 137 || dport == 137) {
		q.name = netbiosName(q.name)
	}
	if err != nil {
		q.err = err.Error()
	}
	if !m.QR {
		q.client, q.clientPt, q.server, q.serverPt = src, sport, dst, dport
		for i := range st.pending {
			if st.pending[i].id == q.id {
				// asked again before an answer: the first is unanswered
				p.row(c, st, &st.pending[i], nil, 0, "unanswered", "")
				st.pending = append(st.pending[:i], st.pending[i+1:]...)
				break
			}
		}
		if len(st.pending) == maxPending {
			p.row(c, st, &st.pending[0], nil, 0, "unanswered", "")
			st.pending = st.pending[1:]
		}
		st.pending = append(st.pending, q)
		return
	}
	// a response: pair it with its query
	p.resolved(m, &q, ts)
	mdns := sport == 5353 || dport == 5353
	for i := range st.pending {
		pq := &st.pending[i]
		if pq.id == q.id && !(mdns && !strings.EqualFold(pq.name, q.name)) {
			p.row(c, st, pq, m, ts, "answered", q.err)
			st.pending = append(st.pending[:i], st.pending[i+1:]...)
			return
		}
	}
	// unsolicited (mDNS: a reply about another name than the query with
	// its id, which is 0 for every mDNS query, answers none of them): to
	// a multicast group, the sender is the flow's originator
	q.client, q.clientPt, q.server, q.serverPt = dst, dport, src, sport
	if dst.IsMulticast() {
		q.client, q.clientPt, q.server, q.serverPt = src, sport, dst, dport
	}
	p.row(c, st, &q, m, ts, "unsolicited", "")
}

// resolved tells Names of the addresses response m gave q's name.
func (p *Plugin) resolved(m *layers.DNS, q *query, ts int64) {
	if p.Names == nil || m.ResponseCode != layers.DNSResponseCodeNoErr || !q.hasQ {
		return
	}
	for i := range m.Answers {
		rr := &m.Answers[i]
		if rr.Type != layers.DNSTypeA && rr.Type != layers.DNSTypeAAAA {
			continue
		}
		if a, ok := netip.AddrFromSlice(rr.IP); ok {
			p.Names.Resolved(ts, q.name, a.Unmap())
		}
	}
}

// row writes a row for query q and response m (nil: none) received at
// rts; respErr is the response's decoding error.
func (p *Plugin) row(c *flows.Conn, st *flowState, q *query, m *layers.DNS, rts int64, status, respErr string) {
	v := p.out.Batch().Cols
	flows.AppendConn(v, q.ts, c, q.client, q.clientPt, q.server, q.serverPt)
	v[ColProto].AppendString(st.proto)
	v[ColTransID].AppendUint(uint64(q.id))
	if m != nil && status == "answered" {
		v[ColRTT].AppendFloat(float64(rts-q.ts) / 1e9)
	} else {
		v[ColRTT].AppendNull()
	}
	if q.hasQ {
		v[ColQuery].AppendString(q.name)
		v[ColQClass].AppendUint(uint64(q.qclass))
		v[ColQClassName].AppendString(className(q.qclass))
		v[ColQType].AppendUint(uint64(q.qtype))
		v[ColQTypeName].AppendString(typeName(q.qtype))
	} else {
		for _, c := range []int{ColQuery, ColQClass, ColQClassName, ColQType, ColQTypeName} {
			v[c].AppendNull()
		}
	}
	if m != nil {
		rc := uint8(m.ResponseCode)
		v[ColRcode].AppendUint(uint64(rc))
		v[ColRcodeName].AppendString(rcodeName(rc))
		v[ColAA].AppendBool(m.AA)
		v[ColTC].AppendBool(m.TC)
		v[ColRD].AppendBool(q.rd)
		v[ColRA].AppendBool(m.RA)
		for i := range m.Answers {
			p.text = appendRData(p.text[:0], &m.Answers[i])
			v[ColAnswers].ElemBytes(p.text)
			v[ColTTLs].ElemUint(uint64(m.Answers[i].TTL))
		}
		v[ColAnswers].EndList()
		v[ColTTLs].EndList()
	} else {
		for _, c := range []int{ColRcode, ColRcodeName, ColAA, ColTC} {
			v[c].AppendNull()
		}
		v[ColRD].AppendBool(q.rd)
		v[ColRA].AppendNull()
		v[ColAnswers].AppendNull()
		v[ColTTLs].AppendNull()
	}
	v[ColStatus].AppendString(status)
	var err string
	switch {
	case q.err != "" && respErr != "" && q.err != respErr:
		err = "query: " + q.err + "; response: " + respErr
	case q.err != "":
		err = q.err
	case respErr != "":
		err = respErr
	}
	if err == "" {
		v[ColError].AppendNull()
	} else {
		v[ColError].AppendString(err)
	}
	p.out.EndRow()
	if err != "" {
		c.Weird(q.ts, err, "", q.client, q.clientPt, q.server, q.serverPt)
	}
	if q.hasQ && status != "unsolicited" && q.client == c.OrigIP && c.Notes() {
		// a query of the flow's originator: a call-out for the name (beacons)
		c.Note(flows.Note{TS: q.ts, Kind: "dns", Text: q.name})
	}
}

// appendRData appends a record's data as the answers column writes it.
func appendRData(b []byte, rr *layers.DNSResourceRecord) []byte {
	switch rr.Type {
	case layers.DNSTypeA, layers.DNSTypeAAAA:
		if a, ok := netip.AddrFromSlice(rr.IP); ok {
			return parsers.AppendAddr(b, a.Unmap())
		}
	case layers.DNSTypeCNAME:
		return append(b, rr.CNAME...)
	case layers.DNSTypeNS:
		return append(b, rr.NS...)
	case layers.DNSTypePTR:
		return append(b, rr.PTR...)
	case layers.DNSTypeMX:
		return append(b, rr.MX.Name...)
	case layers.DNSTypeSRV:
		return append(b, rr.SRV.Name...)
	case layers.DNSTypeSOA:
		return append(b, rr.SOA.MName...)
	case layers.DNSTypeTXT:
		for i, t := range rr.TXTs {
			if i > 0 {
				b = append(b, ' ')
			}
			b = append(b, t...)
		}
		return b
	}
	b = append(b, '<')
	b = append(b, typeName(uint16(rr.Type))...)
	return append(b, '>')
}

// Stream implements flows.StreamHook: TCP messages, each after a 2-byte
// length.
func (p *Plugin) Stream(c *flows.Conn, ev *flows.StreamEvent) {
	st := p.flows[c.ID]
	known := c.HasPorts && (wellKnown(c.OrigPort) || wellKnown(c.RespPort))
	if st == nil {
		// off the DNS ports, a stream is DNS from its first byte or not
		// at all; on them, a stream that lost its start waits for a
		// segment that starts a message
		if len(ev.Data) == 0 && (ev.Gap == 0 || !known) {
			return
		}
		if len(ev.Data) > 0 && !known && (ev.Offset != 0 || !startsMessage(ev.Data)) {
			c.Ignore()
			return
		}
		st = p.state(c, "tcp")
	}
	d := &st.tcp[ev.Dir]
	if d.dead {
		return
	}
	if ev.Gap > 0 || (d.buf == nil && !d.seen && ev.Offset != 0) {
		// the framing is lost: nothing marks where the next message
		// starts, but senders write one message per segment as a rule
		d.lost, d.buf = true, nil
	}
	if len(ev.Data) == 0 {
		return
	}
	if d.lost {
		if !startsMessage(ev.Data) {
			return
		}
		d.lost = false
	}
	d.buf = append(d.buf, ev.Data...)
	for len(d.buf) >= 2 {
		n := int(binary.BigEndian.Uint16(d.buf))
		if len(d.buf) < 2+n {
			if !known && !d.seen && (n < 12 || !plausible(d.buf[2:min(len(d.buf), 14)])) {
				d.dead = true
				d.buf = nil
			}
			return
		}
		err := p.decode(d.buf[2 : 2+n])
		if err != nil && !known && !d.seen {
			d.dead, d.buf = true, nil
			return
		}
		d.seen = true
		c.SetService("dns")
		src, sport := c.Side(ev.Dir)
		dst, dport := c.Side(1 - ev.Dir)
		p.message(c, st, ev.TS, src, sport, dst, dport, err)
		d.buf = append(d.buf[:0], d.buf[2+n:]...)
	}
}

// startsMessage says whether a segment after a gap can be taken to
// start a message, as Suricata resynchronizes: a length prefix of at
// least a header's 12 bytes, then a plausible standard query or
// response (the message is decoded as any other once whole).
func startsMessage(b []byte) bool {
	return len(b) >= 14 && binary.BigEndian.Uint16(b) >= 12 && plausible(b[2:14])
}

// FlowEnd implements flows.EndHook: the queries still waiting are
// unanswered.
func (p *Plugin) FlowEnd(c *flows.Conn, _ *flows.Row) {
	st := p.flows[c.ID]
	if st == nil {
		return
	}
	delete(p.flows, c.ID)
	for i := range st.pending {
		p.row(c, st, &st.pending[i], nil, 0, "unanswered", "")
	}
}

// String describes the plugin's counters.
func (p *Plugin) String() string {
	return "dns: " + strconv.FormatUint(p.Messages, 10) + " messages, " + strconv.FormatUint(p.Errors, 10) + " malformed"
}

// netbiosName decodes a NetBIOS name (NBNS, port 137) from its first-level
// encoding (RFC 1001 14.1: each half byte a letter A-P, 32 letters for
// the 16 bytes) to its text, as Zeek logs it: the 15 characters without
// their trailing spaces (the 16th byte, the service suffix, is left out),
// then the scope's labels. A name not so encoded is left as it is.
func netbiosName(name string) string {
	label, scope, _ := strings.Cut(name, ".")
	if len(label) != 32 {
		return name
	}
	var b [16]byte
	for i := range b {
		hi, lo := label[2*i]-'A', label[2*i+1]-'A'
		if hi > 15 || lo > 15 {
			return name
		}
		b[i] = hi<<4 | lo
	}
	out := strings.TrimRight(string(b[:15]), " \x00")
	if scope != "" {
		out += "." + scope
	}
	return out
}
