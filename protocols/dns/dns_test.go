package dns_test

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/internal/plugintest"
	"github.com/pcap2table/pcap2table/parsers"
	"github.com/pcap2table/pcap2table/protocols/dns"
	"github.com/pcap2table/pcap2table/table"
)

// row is a dns table row read back from a batch.
type row struct {
	TS                 int64
	FlowID             uint64
	Src, Dst           string
	SrcPort, DstPort   uint16
	Proto              string
	TransID            uint16
	RTT                *float64
	Query              *string
	QType, QClass      *uint16
	QTypeName          *string
	Rcode              *uint8
	RcodeName          *string
	AA, TC, RA         *bool
	RD                 bool
	Answers            []string
	TTLs               []uint32
	AnswersNull        bool
	Status             string
	Error              *string
	CommunityIDPresent bool
}

func ptr[T any](x T) *T { return &x }

// readRows reads every row of b.
func readRows(b *table.Batch) []row {
	var out []row
	v := b.Cols
	str := func(c, i int) string { return string(v[c].Bytes(i)) }
	// the flows.ConnColumns, by name
	ts, flowID, cid := dns.Schema.Index("ts"), dns.Schema.Index("flow_id"), dns.Schema.Index("community_id")
	srcIP, srcPort, dstIP, dstPort := dns.Schema.Index("src_ip"), dns.Schema.Index("src_port"), dns.Schema.Index("dst_ip"), dns.Schema.Index("dst_port")
	for i := 0; i < b.N; i++ {
		r := row{
			TS: v[ts].I64[i], FlowID: v[flowID].U64[i],
			Src: str(srcIP, i), Dst: str(dstIP, i),
			SrcPort: uint16(v[srcPort].U64[i]), DstPort: uint16(v[dstPort].U64[i]),
			Proto: str(dns.ColProto, i), TransID: uint16(v[dns.ColTransID].U64[i]),
			RD: v[dns.ColRD].U64[i] == 1, Status: str(dns.ColStatus, i),
			CommunityIDPresent: len(v[cid].Bytes(i)) == 30,
		}
		if v[dns.ColRTT].Valid[i] {
			r.RTT = ptr(v[dns.ColRTT].F64[i])
		}
		if v[dns.ColQuery].Valid[i] {
			r.Query = ptr(str(dns.ColQuery, i))
			r.QType = ptr(uint16(v[dns.ColQType].U64[i]))
			r.QClass = ptr(uint16(v[dns.ColQClass].U64[i]))
			r.QTypeName = ptr(str(dns.ColQTypeName, i))
		}
		if v[dns.ColRcode].Valid[i] {
			r.Rcode = ptr(uint8(v[dns.ColRcode].U64[i]))
			r.RcodeName = ptr(str(dns.ColRcodeName, i))
			r.AA = ptr(v[dns.ColAA].U64[i] == 1)
			r.TC = ptr(v[dns.ColTC].U64[i] == 1)
			r.RA = ptr(v[dns.ColRA].U64[i] == 1)
		}
		if v[dns.ColAnswers].Valid[i] {
			lo, hi := v[dns.ColAnswers].Elems(i)
			r.Answers = []string{}
			for j := lo; j < hi; j++ {
				r.Answers = append(r.Answers, string(v[dns.ColAnswers].Bytes(j)))
			}
			lo, hi = v[dns.ColTTLs].Elems(i)
			for j := lo; j < hi; j++ {
				r.TTLs = append(r.TTLs, uint32(v[dns.ColTTLs].U64[j]))
			}
		} else {
			r.AnswersNull = true
		}
		if v[dns.ColError].Valid[i] {
			r.Error = ptr(str(dns.ColError, i))
		}
		out = append(out, r)
	}
	return out
}

// run feeds rows to a tracker with the dns plugin and returns the dns
// rows, the flows and the plugin.
func run(t testing.TB, rows []parsers.PacketRow) ([]row, []flows.Row, *dns.Plugin) {
	t.Helper()
	var got []row
	out := table.NewOutput(table.NewBatch(dns.Schema, 64), 64, func(full *table.Batch) *table.Batch {
		got = append(got, readRows(full)...)
		full.Reset()
		return full
	})
	var p *dns.Plugin
	tr := flows.NewTracker(flows.DefaultConfig(), 1)
	if err := tr.Register(func(o *flows.Output) flows.Plugin { p = dns.New(o); return p }, out); err != nil {
		t.Fatal(err)
	}
	fl := &plugintest.Flows{}
	tr.Subscribe(fl)
	plugintest.Feed(tr, rows, 1)
	out.Flush()
	if n := tr.Counters().PluginPanics; len(n) > 0 {
		t.Errorf("plugin panics: %v", n)
	}
	return got, fl.Rows, p
}

// msg builds a DNS message: header flags, one question (name, type 1,
// class 1) unless name is "", and A answers.
func msg(id uint16, resp bool, rcode uint8, name string, answers ...[4]byte) []byte {
	b := make([]byte, 12)
	binary.BigEndian.PutUint16(b, id)
	b[2] = 0x01 // RD
	if resp {
		b[2] |= 0x80
		b[3] = 0x80 | rcode // RA
	}
	if name != "" {
		binary.BigEndian.PutUint16(b[4:], 1)
		b = appendName(b, name)
		b = append(b, 0, 1, 0, 1)
	}
	binary.BigEndian.PutUint16(b[6:], uint16(len(answers)))
	for _, a := range answers {
		b = append(b, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4)
		b = append(b, a[:]...)
	}
	return b
}

func appendName(b []byte, name string) []byte {
	start := 0
	for i := 0; i <= len(name); i++ {
		if i == len(name) || name[i] == '.' {
			b = append(b, byte(i-start))
			b = append(b, name[start:i]...)
			start = i + 1
		}
	}
	return append(b, 0)
}

var (
	client = netip.MustParseAddr("10.0.0.1")
	server = netip.MustParseAddr("10.0.0.53")
)

// udp is a UDP packet row at second ts carrying payload.
func udp(ts int64, from, to netip.Addr, sport, dport uint16, payload []byte) parsers.PacketRow {
	var r parsers.PacketRow
	r.TS = ts * 1e9
	r.SrcIP, r.DstIP = from, to
	r.IPProto = 17
	r.SrcPort, r.DstPort = sport, dport
	r.IPLen = uint16(28 + len(payload))
	r.PayloadLen = uint32(len(payload))
	r.Payload = payload
	for _, c := range []int{parsers.ColSrcIP, parsers.ColDstIP, parsers.ColIPProto, parsers.ColSrcPort, parsers.ColDstPort, parsers.ColIPLen, parsers.ColPayloadLen} {
		r.Set(c)
	}
	return r
}

func TestPairs(t *testing.T) {
	a1 := [4]byte{192, 0, 2, 1}
	rows := []parsers.PacketRow{
		udp(1, client, server, 1000, 53, msg(7, false, 0, "example.com")),
		udp(2, server, client, 53, 1000, msg(7, true, 0, "example.com", a1, [4]byte{192, 0, 2, 2})),
		udp(3, client, server, 1001, 53, msg(8, false, 0, "lost.example")),               // never answered
		udp(4, server, client, 53, 1002, msg(9, true, 3, "nx.example")),                  // unsolicited
		udp(5, client, server, 1003, 53, msg(10, false, 0, "again.example")),             // asked twice
		udp(6, client, server, 1003, 53, msg(10, false, 0, "again.example")),             // the second is answered
		udp(7, server, client, 53, 1003, msg(10, true, 0, "again.example", a1)),          // (after 1 s)
		udp(8, client, server, 1004, 53, msg(11, false, 0, "cut.example")),               // its response is cut
		udp(9, server, client, 53, 1004, msg(11, true, 0, "cut.example", a1)[:40]),       // mid-answer
		udp(10, client, server, 5000, 5001, msg(12, false, 0, "other.port")),             // DNS elsewhere: found
		udp(11, client, server, 5002, 5003, []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")), // not DNS
	}
	got, fl, p := run(t, rows)
	byQuery := map[string][]row{}
	for _, r := range got {
		q := "<none>"
		if r.Query != nil {
			q = *r.Query
		}
		byQuery[q] = append(byQuery[q], r)
		if !r.CommunityIDPresent {
			t.Errorf("%s: no community_id", q)
		}
	}
	one := func(q string) row {
		t.Helper()
		rs := byQuery[q]
		if len(rs) != 1 {
			t.Fatalf("%s: %d rows, want 1", q, len(rs))
		}
		return rs[0]
	}
	r := one("example.com")
	if r.Status != "answered" || r.RTT == nil || *r.RTT != 1 || r.Src != "10.0.0.1" || r.SrcPort != 1000 || r.Dst != "10.0.0.53" || r.DstPort != 53 ||
		r.TransID != 7 || *r.Rcode != 0 || *r.RcodeName != "NOERROR" || *r.QTypeName != "A" || !r.RD || !*r.RA || *r.AA ||
		len(r.Answers) != 2 || r.Answers[0] != "192.0.2.1" || r.Answers[1] != "192.0.2.2" || len(r.TTLs) != 2 || r.TTLs[0] != 3600 || r.Error != nil || r.Proto != "udp" {
		t.Errorf("answered row: %+v", r)
	}
	if r := one("lost.example"); r.Status != "unanswered" || r.RTT != nil || r.Rcode != nil || !r.AnswersNull || r.AA != nil {
		t.Errorf("unanswered row: %+v", r)
	}
	if r := one("nx.example"); r.Status != "unsolicited" || r.RTT != nil || *r.Rcode != 3 || *r.RcodeName != "NXDOMAIN" ||
		r.Src != "10.0.0.1" || r.SrcPort != 1002 || r.Dst != "10.0.0.53" || r.TS != 4e9 {
		t.Errorf("unsolicited row: %+v", r)
	}
	if rs := byQuery["again.example"]; len(rs) != 2 || rs[0].Status != "unanswered" || rs[0].TS != 5e9 ||
		rs[1].Status != "answered" || rs[1].TS != 6e9 || *rs[1].RTT != 1 {
		t.Errorf("a query asked twice: %+v", rs)
	}
	if r := one("cut.example"); r.Status != "answered" || r.Error == nil || len(r.Answers) != 0 {
		t.Errorf("a response cut mid-answer: %+v (error %v)", r, r.Error)
	}
	if r := one("other.port"); r.Status != "unanswered" || r.DstPort != 5001 {
		t.Errorf("DNS on another port: %+v", r)
	}
	if len(got) != 7 {
		t.Errorf("%d rows, want 7", len(got))
	}
	if p.Messages == 0 || p.Errors != 1 {
		t.Errorf("counters: %s", p)
	}
	for _, f := range fl {
		want := "dns"
		if f.DstPort == 5003 {
			want = ""
		}
		if f.Service != want {
			t.Errorf("flow %v:%d -> %v:%d: service %q, want %q", f.SrcIP, f.SrcPort, f.DstIP, f.DstPort, f.Service, want)
		}
	}
}

// TestNotDNS: UDP off the DNS ports that merely looks like a header (or
// that a well-known port carries but is no DNS at all) makes no row.
func TestNotDNS(t *testing.T) {
	junk := msg(1, false, 0, "x.example")
	junk[12] = 60 // a label running past the end
	rows := []parsers.PacketRow{
		udp(1, client, server, 4000, 4001, junk),
		udp(2, client, server, 4000, 4001, []byte{0, 1, 0, 0, 0, 1}), // too short
	}
	got, fl, _ := run(t, rows)
	if len(got) != 0 {
		t.Errorf("rows from non-DNS traffic: %+v", got)
	}
	for _, f := range fl {
		if f.Service != "" {
			t.Errorf("service %q on non-DNS traffic", f.Service)
		}
	}
	// the same bytes on port 53: a row that says what was wrong
	got, _, _ = run(t, []parsers.PacketRow{udp(1, client, server, 4000, 53, junk)})
	if len(got) != 1 || got[0].Error == nil || got[0].Status != "unanswered" {
		t.Errorf("a malformed query on port 53: %+v", got)
	}
}

// TestZeekNames: what Zeek's dns.log writes for NetBIOS names, responses
// without a question and mDNS replies to other names (the forms of its
// netbios, mdns and mdns-no-assoc traces).
func TestZeekNames(t *testing.T) {
	a1 := [4]byte{192, 168, 0, 9}
	group := netip.MustParseAddr("224.0.0.251")
	noQuestion := msg(0, true, 0, "", a1)
	// the answer's name: printer.local (the compression pointer of msg
	// points at offset 12, where the question would be: put the name there)
	noQuestion = append(noQuestion[:12], appendName(nil, "printer.local")...)
	noQuestion = append(noQuestion, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 192, 168, 0, 9)
	noQuestion[6], noQuestion[7] = 0, 1
	rows := []parsers.PacketRow{
		udp(1, client, server, 137, 137, msg(1, false, 0, "ECFCFHEDDADDDDDDEFEGEECACACACAAA.corp")), // "BRWC0333EFD", 4 spaces, suffix 0
		udp(2, client, group, 5353, 5353, msg(0, false, 0, "query.local")),
		udp(3, netip.MustParseAddr("10.0.0.7"), group, 5353, 5353, msg(0, true, 0, "unrelated.local", a1)), // not the answer to query.local
		udp(4, netip.MustParseAddr("10.0.0.8"), group, 5353, 5353, noQuestion),
	}
	got, _, _ := run(t, rows)
	var res []string
	for _, r := range got {
		q := "<nil>"
		if r.Query != nil {
			q = *r.Query
		}
		res = append(res, fmt.Sprintf("%s %s>%s %s", q, r.Src, r.Dst, r.Status))
	}
	want := []string{
		"BRWC0333EFD.corp 10.0.0.1>10.0.0.53 unanswered",
		"unrelated.local 10.0.0.7>224.0.0.251 unsolicited",
		"printer.local 10.0.0.8>224.0.0.251 unsolicited",
		"query.local 10.0.0.1>224.0.0.251 unanswered",
	}
	slices.Sort(res)
	slices.Sort(want)
	if !slices.Equal(res, want) {
		t.Errorf("rows\n%s\nwant\n%s", strings.Join(res, "\n"), strings.Join(want, "\n"))
	}
}
