package flows_test

import (
	"net/netip"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/internal/plugintest"
	"github.com/pcap2table/pcap2table/parsers"
	"github.com/pcap2table/pcap2table/table"
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

// TestTimeoutChunks: a burst of timeouts (here 3000 flows idle at once)
// ends at the batch boundary a chunk at a time (Tracker.chunk, EndChunk
// flows over all shards), so that the rows ended but not yet handed to
// the subscribers stay few, in the order the flows' first packets came;
// a flow past its timeout gets the same row whether the boundary or its
// next packet (in the same batch, before the boundary) ends it; one past
// the active timeout likewise ends as active. The rows are the same with
// one shard and two.
func TestTimeoutChunks(t *testing.T) {
	const n = 3000
	if n <= 2*flows.EndChunk {
		t.Fatalf("a burst of %d flows is not cut in three chunks of %d", n, flows.EndChunk)
	}
	t0 := int64(1e18)
	host := func(i int) netip.Addr { return udpRow(i, 0, 0).SrcIP }
	var rows []parsers.PacketRow
	for i := range n {
		rows = append(rows, udpRow(i, 1000, t0+int64(i)))
	}
	// two minutes later (UDP idles out after one), two packets of new
	// flows, then the last flow of the burst comes back: in a batch of its
	// own (one packet per batch), the boundary before ended it; in a batch
	// with the two before, its packet ends it (idle) and starts a new flow
	for i := range 2 {
		rows = append(rows, udpRow(n+i, 2000, t0+int64(2*time.Minute)+int64(i)*1e6))
	}
	rows = append(rows, udpRow(n-1, 1000, t0+int64(2*time.Minute)+20e6))
	var idleRows []flows.Row
	for _, batch := range []int{1, n, len(rows)} {
		ended, pending := runPending(t, flows.DefaultConfig(), rows, batch)
		if pending == 0 || pending > flows.EndChunk {
			t.Errorf("batch %d: %d rows pending at once: the burst was not cut in chunks of %d", batch, pending, flows.EndChunk)
		}
		if len(ended) != n+3 {
			t.Fatalf("batch %d: %d rows, want %d", batch, len(ended), n+3)
		}
		// the burst's flows, idle, in the order they started; the last one
		// first when its packet ended it before the boundary
		var order []int
		if batch == 1 {
			for i := range n {
				order = append(order, i)
			}
		} else {
			order = append(order, n-1)
			for i := range n - 1 {
				order = append(order, i)
			}
		}
		order = append(order, n, n+1, n-1) // then at the end, eof
		for i, r := range ended {
			want := "idle"
			if i >= n {
				want = "eof"
			}
			if r.SrcIP != host(order[i]) || r.EndReason != want {
				t.Fatalf("batch %d: row %d: %v %s, want %v %s", batch, i, r.SrcIP, r.EndReason, host(order[i]), want)
			}
			if r.Orig.Pkts != 1 || r.TSStart != r.TSEnd {
				t.Errorf("batch %d: %v: %d packets, %d..%d", batch, r.SrcIP, r.Orig.Pkts, r.TSStart, r.TSEnd)
			}
		}
		// the same rows whichever ended them
		got := slices.Clone(ended[:n])
		slices.SortFunc(got, func(a, b flows.Row) int { return a.SrcIP.Compare(b.SrcIP) })
		if idleRows == nil {
			idleRows = got
		} else if !reflect.DeepEqual(got, idleRows) {
			t.Errorf("batch %d: the idle rows differ from those of batches of one packet", batch)
		}
	}

	// the active timeout: the youngest flow has a second packet, and a
	// third after the active timeout, which ends it (active) before the
	// boundary ends the others, and starts another
	cfg := flows.DefaultConfig()
	cfg.Active = time.Minute
	cfg.UDPIdle = time.Hour
	rows = rows[:0]
	for i := range n {
		rows = append(rows, udpRow(i, 1000, t0+int64(i)))
	}
	rows = append(rows, udpRow(n-1, 1000, t0+int64(30*time.Second)))
	rows = append(rows, udpRow(n-1, 1000, t0+int64(90*time.Second)))
	for _, batch := range []int{1, len(rows)} {
		ended, pending := runPending(t, cfg, rows, batch)
		if pending == 0 || pending > flows.EndChunk {
			t.Errorf("active, batch %d: %d rows pending at once", batch, pending)
		}
		if len(ended) != n+1 {
			t.Fatalf("active, batch %d: %d rows, want %d", batch, len(ended), n+1)
		}
		for i, r := range ended {
			want, h, pkts := "active", i-1, uint64(1)
			switch i {
			case 0:
				h, pkts = n-1, 2
			case n:
				want, h = "eof", n-1
			}
			if r.SrcIP != host(h) || r.EndReason != want || r.Orig.Pkts != pkts {
				t.Fatalf("active, batch %d: row %d: %v %s/%d, want %v %s/%d", batch, i, r.SrcIP, r.EndReason, r.Orig.Pkts, host(h), want, pkts)
			}
		}
	}
}

// runPending runs rows through a tracker of one shard in batches of batch
// rows and returns the flows' rows and the most rows ended but not yet
// handed to the subscribers at once (a plugin's EndHook counts the ends,
// on the goroutine that observes); then it checks that a tracker of two
// shards makes the same rows.
func runPending(t *testing.T, cfg flows.Config, rows []parsers.PacketRow, batch int) ([]flows.Row, int) {
	t.Helper()
	tr := flows.NewTracker(cfg, 1)
	ends := &endCounter{}
	err := tr.Register(func(*flows.Output) flows.Plugin { return ends }, table.NewOutput(table.NewBatch(testSchema, 1), 1<<30, nil))
	if err != nil {
		t.Fatal(err)
	}
	pend := &pendingRows{ends: ends}
	tr.Subscribe(pend)
	got := feedTracker(tr, slices.Clone(rows), batch)
	two := feedBatches(cfg, 2, nil, slices.Clone(rows), batch)
	if !reflect.DeepEqual(two, got) {
		t.Errorf("batch %d: two shards make other rows (%d) than one (%d)", batch, len(two), len(got))
	}
	return got, pend.most
}

// endCounter is a plugin that counts the flows' ends.
type endCounter struct{ n int }

func (*endCounter) Schema() *table.Schema             { return testSchema }
func (c *endCounter) FlowEnd(*flows.Conn, *flows.Row) { c.n++ }

// pendingRows is a Subscriber that finds the most flows ended (ends.n)
// but not yet handed to it.
type pendingRows struct {
	ends        *endCounter
	given, most int
}

func (p *pendingRows) Flow(*flows.Row) {
	p.most = max(p.most, p.ends.n-p.given)
	p.given++
}
func (p *pendingRows) Finish() {}

// TestRestartAtFirstTime (found by FuzzTracker): a datagram's first
// fragment starts its flow; the flow times out before the datagram is
// given up, and the datagram, counted then in a flow of its own, starts it
// at the same first time. The two flows must not share a flow_id; with one
// to three shards, in batches of one packet and of both.
func TestRestartAtFirstTime(t *testing.T) {
	t0 := int64(1e18)
	head := udpRow(1, 1000, t0)
	head.Set(parsers.ColFragOffset)
	head.MoreFrags, head.IPID, head.IPPayload = true, 7, make([]byte, 16)
	later := udpRow(2, 1000, t0+int64(2*time.Minute)) // past the UDP idle and fragment timeouts
	for _, batch := range []int{1, 2} {
		for _, n := range []int{1, 2, 3} {
			got := plugintest.Track(flows.DefaultConfig(), n, []parsers.PacketRow{head, later}, batch)
			ids := map[uint64]int{}
			restarted := 0
			for _, r := range got {
				ids[r.FlowID]++
				if r.SrcIP == head.SrcIP && r.TSStart == t0 {
					restarted++
				}
			}
			if len(ids) != len(got) {
				t.Errorf("batch %d, shards %d: %d rows, %d flow ids: %v", batch, n, len(got), len(ids), ids)
			}
			if restarted != 2 {
				t.Errorf("batch %d, shards %d: %d flows of the datagram's key starting at its time, want 2 (the first fragment's, then the datagram's)", batch, n, restarted)
			}
		}
	}
}

// uniqueIDs runs rows through a tracker of n shards in batches of batch
// rows, and checks that every flow has its own flow_id and that each
// packet's flow_id is one of them; it returns the flows' ids in order.
func uniqueIDs(t *testing.T, cfg flows.Config, rows []parsers.PacketRow, n, batch int) []uint64 {
	t.Helper()
	rows = slices.Clone(rows)
	got := plugintest.Track(cfg, n, rows, batch)
	ids := make([]uint64, len(got))
	seen := map[uint64]bool{}
	for i, r := range got {
		if seen[r.FlowID] {
			t.Errorf("batch %d, shards %d: flow %d (%v:%d, start %d) has the flow_id of an earlier flow", batch, n, i, r.SrcIP, r.SrcPort, r.TSStart)
		}
		seen[r.FlowID], ids[i] = true, r.FlowID
	}
	for i, r := range rows {
		if !seen[r.FlowID] {
			t.Errorf("batch %d, shards %d: packet %d labelled %d, no flow's id", batch, n, i, r.FlowID)
		}
	}
	return ids
}

// sorted returns a sorted copy of ids.
func sorted(ids []uint64) []uint64 {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	return ids
}

// TestFlowIDTimeBackwards: capture time goes back (pcapng sections
// appended, a clock stepped back) to the first time of a flow that has
// ended; the flow that starts there again has the same key and first
// time, and must still get a flow_id of its own, the same one for any
// number of shards, and for any batches (a boundary that ends the first
// flow, or the packet that comes back).
func TestFlowIDTimeBackwards(t *testing.T) {
	t0 := int64(1e18)
	rows := []parsers.PacketRow{
		udpRow(1, 1000, t0),
		udpRow(2, 1000, t0+int64(2*time.Minute)), // flow 1 times out
		udpRow(3, 1000, t0+int64(4*time.Minute)),
		udpRow(1, 1000, t0), // back in time: flow 1's key and first time
		udpRow(3, 1000, t0+int64(4*time.Minute)),
	}
	var all []uint64
	for _, batch := range []int{1, 2, len(rows)} {
		var first []uint64
		for _, n := range []int{1, 2, 3} {
			ids := uniqueIDs(t, flows.DefaultConfig(), rows, n, batch)
			if len(ids) != 4 {
				t.Errorf("batch %d, shards %d: %d flows, want 4", batch, n, len(ids))
			}
			if n == 1 {
				first = ids
			} else if !slices.Equal(ids, first) {
				t.Errorf("batch %d, shards %d: ids %v, one shard %v", batch, n, ids, first)
			}
		}
		// the boundaries change the order the flows end in, not their ids
		if all == nil {
			all = sorted(first)
		} else if !slices.Equal(sorted(first), all) {
			t.Errorf("batch %d: ids %v, in batches of one packet %v", batch, sorted(first), all)
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
	for _, batch := range []int{1, len(rows)} {
		if ids := uniqueIDs(t, cfg, rows, 1, batch); len(ids) != 5 {
			t.Errorf("batch %d: %d flows, want 5 (each packet evicts the other key's flow)", batch, len(ids))
		}
	}
}

// TestFlowIDGivenUpSameMoment: incomplete datagrams given up at one moment
// (one boundary's timeouts), earlier than the clock, evicting one
// another's flows at Config.MaxFlows: a key's second flow started then
// must not take the first one's id, though both hash the same packet
// index.
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
	for _, batch := range []int{1, len(rows)} {
		uniqueIDs(t, cfg, rows, 1, batch)
	}
}

// TestFlowIDEvictionFloodOneInstant: a flood of flows all with one
// timestamp, each evicting the one before at Config.MaxFlows, then the
// first keys again: the ids stay unique, and the tracker remembers no
// more than MaxEndedNow of the ended ones (the flows after that hash their
// index instead), so memory stays bounded whatever the flood; in batches
// of one packet and of 8192.
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
	for _, batch := range []int{1, 8192} {
		tr := flows.NewTracker(cfg, 1)
		ids := &uniqueRows{t: t, ids: map[uint64]bool{}}
		tr.Subscribe(ids)
		for lo := 0; lo < len(rows); lo += batch {
			tr.Observe(slices.Clone(rows[lo:min(lo+batch, len(rows))]))
			if m := flows.EndedNowLen(tr); m > flows.MaxEndedNow {
				t.Fatalf("batch %d: row %d: %d ended ids remembered", batch, lo, m)
			}
		}
		tr.Close()
		if len(ids.ids) != len(rows) {
			t.Errorf("batch %d: %d flows, want %d (each row evicts the flow before)", batch, len(ids.ids), len(rows))
		}
	}
}

// uniqueRows is a Subscriber that checks that no flow_id ends twice.
type uniqueRows struct {
	t   *testing.T
	ids map[uint64]bool
}

func (u *uniqueRows) Flow(r *flows.Row) {
	if u.ids[r.FlowID] {
		u.t.Fatalf("flow_id %d twice", r.FlowID)
	}
	u.ids[r.FlowID] = true
}
func (u *uniqueRows) Finish() {}
