package flows_test

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/parsers"
)

// udpRow is a UDP packet from 10.0.x.y:port to 192.0.2.1:53 at ts.
func udpRow(host int, port uint16, ts int64) parsers.PacketRow {
	var r parsers.PacketRow
	r.TS = ts
	r.SrcIP = netip.AddrFrom4([4]byte{10, 0, byte(host >> 8), byte(host)})
	r.DstIP = netip.MustParseAddr("192.0.2.1")
	r.IPProto, r.SrcPort, r.DstPort, r.IPLen = 17, port, 53, 60
	for _, c := range []int{parsers.ColSrcIP, parsers.ColDstIP, parsers.ColIPProto, parsers.ColSrcPort, parsers.ColDstPort, parsers.ColIPLen} {
		r.Set(c)
	}
	return r
}

// TestExpireBudget: a burst of timeouts (here 1000 flows idle at once) is
// ended a bounded number at a time over the packets that follow, and a
// flow past its timeout gets the same row whether the budget or its next
// packet ends it; one past the active timeout likewise ends as active.
func TestExpireBudget(t *testing.T) {
	const n = 1000
	t0 := int64(1e18)
	var rows []parsers.PacketRow
	for i := range n {
		rows = append(rows, udpRow(i, 1000, t0+int64(i)))
	}
	// two minutes later (UDP idles out after one), two packets of new
	// flows, then the last flow of the burst comes back: the budget has
	// not reached it (3 x 256 < 1000), so its packet ends it (idle) and
	// starts a new flow
	for i := range 2 {
		rows = append(rows, udpRow(n+i, 2000, t0+int64(2*time.Minute)+int64(i)*1e6))
	}
	rows = append(rows, udpRow(n-1, 1000, t0+int64(2*time.Minute)+20e6))
	tr := flows.NewTracker(flows.DefaultConfig())
	var ended []flows.Row
	maxPending := 0
	for i := range rows {
		tr.Observe(&rows[i])
		maxPending = max(maxPending, tr.PendingRows())
		ended = append(ended, tr.TakeEnded()...)
	}
	if maxPending > 300 {
		t.Errorf("%d rows pending at once: the burst was not spread", maxPending)
	}
	tr.Close()
	ended = append(ended, tr.TakeEnded()...)
	if len(ended) != n+3 {
		t.Fatalf("%d rows, want %d", len(ended), n+3)
	}
	idle := map[netip.Addr]int{}
	for _, r := range ended {
		if r.EndReason == "idle" {
			if r.Orig.Pkts != 1 || r.TSStart != r.TSEnd {
				t.Errorf("%v: %d packets, %d..%d", r.SrcIP, r.Orig.Pkts, r.TSStart, r.TSEnd)
			}
			idle[r.SrcIP]++
		}
	}
	if len(idle) != n {
		t.Errorf("%d flows ended idle, want the %d of the burst", len(idle), n)
	}

	// the active timeout, with the flow's next packet before the budget
	// reaches it (it is last in line behind the burst)
	cfg := flows.DefaultConfig()
	cfg.Active = time.Minute
	cfg.UDPIdle = time.Hour
	tr = flows.NewTracker(cfg)
	ended = ended[:0]
	var batch []parsers.PacketRow
	for i := range n {
		batch = append(batch, udpRow(i, 1000, t0+int64(i)))
	}
	// the youngest flow has a second packet, and a third after the active
	// timeout: last in line, the budget has not ended it
	batch = append(batch, udpRow(n-1, 1000, t0+int64(30*time.Second)))
	batch = append(batch, udpRow(n-1, 1000, t0+int64(90*time.Second)))
	for rs := batch; len(rs) > 0; {
		rs = rs[tr.ObserveBatch(rs, 1<<20):]
	}
	ended = append(ended, tr.TakeEnded()...)
	active := 0
	for _, r := range ended {
		if r.EndReason != "active" {
			t.Errorf("%v ended %s, want active", r.SrcIP, r.EndReason)
		}
		active++
	}
	if active == 0 || active > 300 {
		t.Errorf("%d flows ended active at once", active)
	}
	tr.Close()
	rest := tr.TakeEnded()
	if active+len(rest) != n+1 {
		t.Errorf("%d + %d rows, want %d", active, len(rest), n+1)
	}
	last := udpRow(n-1, 0, 0).SrcIP
	var lastRows []string
	for _, r := range append(ended, rest...) {
		if r.SrcIP == last {
			lastRows = append(lastRows, fmt.Sprintf("%s/%d", r.EndReason, r.Orig.Pkts))
		}
	}
	if want := []string{"active/2", "eof/1"}; !slices.Equal(lastRows, want) {
		t.Errorf("the youngest flow's rows: %v, want %v", lastRows, want)
	}
}

// TestRestartAtFirstTime (found by FuzzTracker): a datagram's first
// fragment starts its flow; the flow times out before the datagram is
// given up, and the datagram, counted then in a flow of its own, starts it
// at the same first time. The two flows must not share a flow_id.
func TestRestartAtFirstTime(t *testing.T) {
	t0 := int64(1e18)
	head := udpRow(1, 1000, t0)
	head.Set(parsers.ColFragOffset)
	head.MoreFrags, head.IPID, head.IPPayload = true, 7, make([]byte, 16)
	later := udpRow(2, 1000, t0+int64(2*time.Minute)) // past the UDP idle and fragment timeouts
	for _, n := range []int{0, 1, 2} {                // a Tracker, then Shards of one and two
		var got []flows.Row
		rows := []parsers.PacketRow{head, later}
		if n == 0 {
			got = feed(flows.DefaultConfig(), nil, rows)
		} else {
			s := flows.NewShards(flows.DefaultConfig(), n)
			s.OnFlow = func(r *flows.Row) { got = append(got, *r) }
			s.Observe(rows[:1])
			s.Observe(rows[1:])
			s.Close()
		}
		ids := map[uint64]int{}
		restarted := 0
		for _, r := range got {
			ids[r.FlowID]++
			if r.SrcIP == head.SrcIP && r.TSStart == t0 {
				restarted++
			}
		}
		if len(ids) != len(got) {
			t.Errorf("shards %d: %d rows, %d flow ids: %v", n, len(got), len(ids), ids)
		}
		if restarted != 2 {
			t.Errorf("shards %d: %d flows of the datagram's key starting at its time, want 2 (the first fragment's, then the datagram's)", n, restarted)
		}
	}
}

// uniqueIDs runs rows through a Tracker (n 0) or n Shards, one row per
// step, and checks that every flow has its own flow_id and that each
// packet's flow_id is one of them; it returns the flows' ids in order.
func uniqueIDs(t *testing.T, cfg flows.Config, rows []parsers.PacketRow, n int) []uint64 {
	t.Helper()
	rows = slices.Clone(rows)
	var got []flows.Row
	if n == 0 {
		got = feed(cfg, nil, rows)
	} else {
		s := flows.NewShards(cfg, n)
		s.OnFlow = func(r *flows.Row) { got = append(got, *r) }
		for i := range rows {
			s.Observe(rows[i : i+1])
		}
		s.Close()
	}
	ids := make([]uint64, len(got))
	seen := map[uint64]bool{}
	for i, r := range got {
		if seen[r.FlowID] {
			t.Errorf("shards %d: flow %d (%v:%d, start %d) has the flow_id of an earlier flow", n, i, r.SrcIP, r.SrcPort, r.TSStart)
		}
		seen[r.FlowID], ids[i] = true, r.FlowID
	}
	for i, r := range rows {
		if !seen[r.FlowID] {
			t.Errorf("shards %d: packet %d labelled %d, no flow's id", n, i, r.FlowID)
		}
	}
	return ids
}

// TestFlowIDTimeBackwards: capture time goes back (pcapng sections
// appended, a clock stepped back) to the first time of a flow that has
// ended; the flow that starts there again has the same key and first
// time, and must still get a flow_id of its own, the same one for any
// number of shards.
func TestFlowIDTimeBackwards(t *testing.T) {
	t0 := int64(1e18)
	rows := []parsers.PacketRow{
		udpRow(1, 1000, t0),
		udpRow(2, 1000, t0+int64(2*time.Minute)), // flow 1 times out
		udpRow(3, 1000, t0+int64(4*time.Minute)),
		udpRow(1, 1000, t0), // back in time: flow 1's key and first time
		udpRow(3, 1000, t0+int64(4*time.Minute)),
	}
	var first []uint64
	for _, n := range []int{0, 1, 2, 3} {
		ids := uniqueIDs(t, flows.DefaultConfig(), rows, n)
		if len(ids) != 4 {
			t.Errorf("shards %d: %d flows, want 4", n, len(ids))
		}
		if n == 1 {
			first = ids
		} else if n > 1 && !slices.Equal(ids, first) {
			t.Errorf("shards %d: ids %v, one shard %v", n, ids, first)
		}
	}
}

// TestFlowIDEvictedSameInstant: at Config.MaxFlows, a flow evicted at the
// instant it started, then started again by a packet of that instant,
// gets another flow_id (µs captures give many packets one time).
func TestFlowIDEvictedSameInstant(t *testing.T) {
	cfg := flows.DefaultConfig()
	cfg.MaxFlows = 1
	t0 := int64(1e18)
	rows := []parsers.PacketRow{udpRow(1, 1000, t0), udpRow(2, 1000, t0), udpRow(1, 1000, t0), udpRow(2, 1000, t0), udpRow(1, 1000, t0)}
	for _, n := range []int{0, 1} {
		if ids := uniqueIDs(t, cfg, rows, n); len(ids) != 5 {
			t.Errorf("shards %d: %d flows, want 5 (each packet evicts the other key's flow)", n, len(ids))
		}
	}
}

// TestFlowIDGivenUpSameMoment: incomplete datagrams given up at one moment
// (one packet's timeouts), earlier than the clock, evicting one another's
// flows at Config.MaxFlows: a key's second flow started then must not
// take the first one's id, though both hash the same packet index.
func TestFlowIDGivenUpSameMoment(t *testing.T) {
	cfg := flows.DefaultConfig()
	cfg.MaxFlows = 1
	t0 := int64(1e18)
	head := func(host int, id uint32) parsers.PacketRow {
		r := udpRow(host, 1000, t0)
		r.Set(parsers.ColFragOffset)
		r.MoreFrags, r.IPID, r.IPPayload = true, id, make([]byte, 16)
		return r
	}
	rows := []parsers.PacketRow{
		head(1, 7), head(2, 8), head(1, 9), // given up together, in this order
		udpRow(3, 1000, t0+int64(2*time.Minute)),
	}
	for _, n := range []int{0, 1} {
		uniqueIDs(t, cfg, rows, n)
	}
}

// TestFlowIDEvictionFloodOneInstant: a flood of flows all with one
// timestamp, each evicting the one before at Config.MaxFlows, then the
// first keys again: the ids stay unique, and the tracker remembers no
// more than MaxEndedNow of the ended ones (the flows after that hash their
// index instead), so memory stays bounded whatever the flood.
func TestFlowIDEvictionFloodOneInstant(t *testing.T) {
	cfg := flows.DefaultConfig()
	cfg.MaxFlows = 1
	t0 := int64(1e18)
	n := flows.MaxEndedNow + 1000
	var rows []parsers.PacketRow
	for i := range n {
		rows = append(rows, udpRow(i%65536, uint16(1000+i/65536), t0))
	}
	rows = append(rows, rows[:1000]...) // evicted before the bound, and after
	rows = append(rows, rows[n-10:n]...)
	tr := flows.NewTracker(cfg)
	ids := map[uint64]bool{}
	for i := range rows {
		r := rows[i]
		tr.Observe(&r)
		for _, f := range tr.TakeEnded() {
			if ids[f.FlowID] {
				t.Fatalf("row %d: flow_id %d twice", i, f.FlowID)
			}
			ids[f.FlowID] = true
		}
		if m := flows.EndedNowLen(tr); m > flows.MaxEndedNow {
			t.Fatalf("row %d: %d ended ids remembered", i, m)
		}
	}
	tr.Close()
	for _, f := range tr.TakeEnded() {
		if ids[f.FlowID] {
			t.Fatalf("flow_id %d twice", f.FlowID)
		}
		ids[f.FlowID] = true
	}
	if len(ids) != len(rows) {
		t.Errorf("%d flows, want %d (each row evicts the flow before)", len(ids), len(rows))
	}
}
