package dns_test

import (
	"encoding/binary"
	"path/filepath"
	"testing"

	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/internal/plugintest"
	"github.com/pcap2table/pcap2table/internal/reftest"
	"github.com/pcap2table/pcap2table/protocols/dns"
	"github.com/pcap2table/pcap2table/table"
)

// streamed feeds stream events straight to a plugin and returns its rows.
func streamed(t *testing.T, conn *flows.Conn, evs []flows.StreamEvent) []row {
	t.Helper()
	b := table.NewBatch(dns.Schema, 16)
	p := dns.New(flows.NewOutput(b))
	for i := range evs {
		p.Stream(conn, &evs[i])
	}
	p.FlowEnd(conn, nil)
	return readRows(b)
}

func framed(m []byte) []byte {
	return append(binary.BigEndian.AppendUint16(nil, uint16(len(m))), m...)
}

func TestTCP(t *testing.T) {
	conn := &flows.Conn{ID: 1, IPProto: 6, OrigIP: client, RespIP: server, OrigPort: 40000, RespPort: 53, HasPorts: true}
	q1, q2 := framed(msg(1, false, 0, "a.example")), framed(msg(2, false, 0, "b.example"))
	r1, r2 := framed(msg(1, true, 0, "a.example", [4]byte{1, 2, 3, 4})), framed(msg(2, true, 0, "b.example"))
	both := append(append([]byte{}, q1...), q2...)
	ev := func(dir flows.Dir, ts int64, off int, data []byte) flows.StreamEvent {
		return flows.StreamEvent{Dir: dir, TS: ts * 1e9, Offset: uint64(off), Data: data}
	}
	// two queries in one segment, the first response split in three
	// (inside the length prefix too), the second whole
	got := streamed(t, conn, []flows.StreamEvent{
		ev(flows.FromOrig, 1, 0, both),
		ev(flows.FromResp, 2, 0, r1[:1]),
		ev(flows.FromResp, 2, 1, r1[1:20]),
		ev(flows.FromResp, 3, 20, append(append([]byte{}, r1[20:]...), r2...)),
	})
	if len(got) != 2 || got[0].Status != "answered" || *got[0].Query != "a.example" || *got[0].RTT != 2 || len(got[0].Answers) != 1 ||
		got[1].Status != "answered" || *got[1].Query != "b.example" || got[1].Proto != "tcp" || got[0].DstPort != 53 || got[0].SrcPort != 40000 {
		t.Fatalf("rows: %+v", got)
	}
	// a gap in the responses: the framing is lost, the query unanswered
	got = streamed(t, conn, []flows.StreamEvent{
		ev(flows.FromOrig, 1, 0, q1),
		ev(flows.FromResp, 2, 0, r1[:10]),
		{Dir: flows.FromResp, TS: 2e9, Offset: 10, Gap: 20},
		ev(flows.FromResp, 3, 30, r1[30:]),
	})
	if len(got) != 1 || got[0].Status != "unanswered" {
		t.Fatalf("after a gap: %+v", got)
	}
	// a gap that swallowed a whole query: the next segment starts a
	// message, so the framing is found again (as Suricata does); the
	// lost query's response is unsolicited
	got = streamed(t, conn, []flows.StreamEvent{
		{Dir: flows.FromOrig, TS: 1e9, Offset: 0, Gap: uint64(len(q1))},
		ev(flows.FromOrig, 1, len(q1), q2),
		ev(flows.FromResp, 2, 0, r1),
		ev(flows.FromResp, 2, len(r1), r2),
	})
	if len(got) != 2 || got[0].Status != "unsolicited" || got[1].Status != "answered" || *got[1].Query != "b.example" {
		t.Fatalf("resynchronized after a gap: %+v", got)
	}
	// after a gap, segments that do not start a message are skipped
	// until one does
	got = streamed(t, conn, []flows.StreamEvent{
		ev(flows.FromOrig, 1, 0, q1[:5]),
		{Dir: flows.FromOrig, TS: 1e9, Offset: 5, Gap: 5},
		ev(flows.FromOrig, 1, 10, q1[10:]),
		ev(flows.FromOrig, 1, len(q1), q2),
		ev(flows.FromResp, 2, 0, r1),
		ev(flows.FromResp, 2, len(r1), r2),
	})
	if len(got) != 2 || got[0].Status != "unsolicited" || got[1].Status != "answered" {
		t.Fatalf("a segment mid-message after a gap: %+v", got)
	}
	// a stream joined mid-way is read from the first segment that
	// starts a message
	got = streamed(t, conn, []flows.StreamEvent{ev(flows.FromOrig, 1, 7, q1[3:]), ev(flows.FromOrig, 1, 7+len(q1)-3, q2)})
	if len(got) != 1 || *got[0].Query != "b.example" {
		t.Fatalf("a stream joined mid-way: %+v", got)
	}
	// off the DNS ports it is not read at all
	other := *conn
	other.RespPort = 8053
	if got = streamed(t, &other, []flows.StreamEvent{ev(flows.FromOrig, 1, 7, q1)}); len(got) != 0 {
		t.Fatalf("a stream joined mid-way on port 8053: %+v", got)
	}
	// off port 53: HTTP is left alone, DNS is found
	if got = streamed(t, &other, []flows.StreamEvent{ev(flows.FromOrig, 1, 0, []byte("GET / HTTP/1.1\r\nHost: a\r\n\r\n"))}); len(got) != 0 {
		t.Fatalf("HTTP read as DNS: %+v", got)
	}
	if got = streamed(t, &other, []flows.StreamEvent{ev(flows.FromOrig, 1, 0, q1)}); len(got) != 1 {
		t.Fatalf("DNS on port 8053: %+v", got)
	}
}

// TestIgnoresOthers: on TCP flows that are not DNS (HTTP here) the
// plugin calls Conn.Ignore at the first data and gets no more events.
func TestIgnoresOthers(t *testing.T) {
	rows := reftest.Decode(t, filepath.Join(capturesDir, "dpkt--examples--data--http.pcap"))
	if n := plugintest.StreamEvents(t, rows, dns.Schema, func(o *flows.Output) flows.Plugin { return dns.New(o) }); n > 2 {
		t.Errorf("%d stream events for one HTTP flow, want <= 2", n)
	}
}
