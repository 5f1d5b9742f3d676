package pcap2table

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pcap2table/pcap2table/beacons"
	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/parsers"
	"github.com/pcap2table/pcap2table/parsers/capture"
	"github.com/pcap2table/pcap2table/protocols/dns"
	"github.com/pcap2table/pcap2table/table"
)

// The pipeline, in the order a packet goes through it:
//
//	inputs ─► capture.Merge ─► parsers.Decoder ─► batches of PacketRow
//	   ─► flows.Tracker ─┬─► subscribers: flows, beacons
//	                     └─► plugins: dns, http, tls
//	   ─► packets (the rows themselves, labelled with their flows)
//	   ─► one sink per table ─► its writer
//
// The reading stage (read: merge, decode, count) runs on the caller's
// goroutine and fills batches of rows; the tracking stage (track) runs
// the tracker over a batch and appends the packets table's rows. With
// more than one job and a tracker, the tracking stage runs on a goroutine
// of its own and each sink encodes on its own; with one job everything
// runs on the caller's goroutine. Either way every table gets the same
// rows in the same order.
type pipeline struct {
	ctx     context.Context
	o       *Options
	p       *plan
	ins     []*input
	names   []string // the inputs' names, by index (the packets' file column)
	st      *Stats
	merge   *capture.Merge
	dec     parsers.Decoder
	tracker *flows.Tracker     // nil: no table needs flows
	subs    []flows.Subscriber // the subscriber tables' producers
	packets *sink              // nil: no packets table
	sinks   []*sink
	partial []error // inputs cut short or corrupt, or skipped
	lastTS  []int64 // per input, for the stats' backwards count
	dedup   *dedup  // nil: duplicates are kept
	// muted: the packets read are of inputs read again only to rebuild
	// their open flows (replayRun): the rows they make are dropped
	muted bool

	threaded bool // the tracking stage runs on its own goroutine
	full     chan *rowBatch
	free     chan *rowBatch
	cur      *rowBatch // being filled by the reading stage
	tracked  chan struct{}
	// A live input (stdin, a pipe) may trickle: a ticker hands partial
	// batches on after a quiet half second, so rows show up while the
	// capture runs. mu guards cur then.
	live bool
	mu   sync.Mutex
	sent atomic.Int64 // batches handed on, to see activity
}

// rowBatch is a batch of decoded rows on its way from the reading stage
// to the tracking stage. A row's byte slices point into the reader's
// buffer, which the next packet reuses: the bytes the tracker reads are
// copied into arena (flows.Tracker.Retain); the columns hold values only.
type rowBatch struct {
	rows  []parsers.PacketRow
	n     int
	muted bool // read while the pipeline was muted
	arena flows.Arena
	flush bool // hand every table's partial batch on after these
}

// rowDepth is how many row batches may wait for the tracking stage. Each
// holds its rows and the payload bytes the parsers read (an arena of
// about 4 MiB on the bench capture); with 1 the all-tables peak was 13 MB
// lower, but the reading stage stalled whenever the tracker fell behind:
// flows alone took 0.96-1.24 s against 0.79-1.02 s with 3 (2 M packets,
// 4 interleaved rounds).
const rowDepth = 3

// liveFlush is how long a live input may be quiet before the rows read
// are handed on.
const liveFlush = 500 * time.Millisecond

// newPipeline wires the inputs, the tables' producers and the sinks.
func newPipeline(ctx context.Context, ins []*input, o *Options, p *plan, sinks []*sink) (*pipeline, error) {
	pl := &pipeline{ctx: ctx, o: o, p: p, ins: ins, sinks: sinks, st: &Stats{}, lastTS: make([]int64, len(ins))}
	srcs := make([]capture.Input, len(ins))
	for i, in := range ins {
		pl.names = append(pl.names, in.name)
		if !in.none {
			srcs[i] = in.source(ctx, o)
		}
		pl.live = pl.live || in.live
		pl.lastTS[i] = -1 << 63
		info := in.info
		pl.st.Files = append(pl.st.Files, &FileStats{Name: in.name, Format: info.Format, Detail: info.Detail,
			Compression: info.Wrappers, SnapLen: info.SnapLen, DecodeErrs: map[string]uint64{}})
	}
	pl.merge = capture.NewMerge(srcs, pl.damaged)
	if o.Dedup {
		pl.dedup = newDedup(o.DedupWindow)
	}
	if o.replay != nil && o.replay.skip > 0 {
		pl.muted = true
	}
	if err := pl.wire(); err != nil {
		return nil, err
	}
	pl.threaded = pl.tracker != nil && p.jobs > 1
	n := 1
	if pl.threaded {
		n = rowDepth + 1
	}
	pl.full = make(chan *rowBatch, rowDepth)
	pl.free = make(chan *rowBatch, n)
	for range n {
		pl.free <- &rowBatch{rows: make([]parsers.PacketRow, p.rows)}
	}
	pl.cur = <-pl.free
	for _, sk := range sinks {
		sk.muted = pl.muted
	}
	return pl, nil
}

// wire connects each table's producer to its sink: the packets table to
// the tracking stage, the subscriber and plugin tables to a tracker, made
// when a table needs one.
func (pl *pipeline) wire() error {
	needFlows := false
	for _, sk := range pl.sinks {
		switch {
		case sk.def.schema == parsers.Schema:
			pl.packets = sk
			needFlows = needFlows || sk.wants(parsers.ColFlowID) || sk.wants(parsers.ColCommunityID)
		default:
			needFlows = true
		}
	}
	if !needFlows {
		return nil
	}
	cfg := flows.DefaultConfig()
	if pl.o.Flows != nil {
		cfg = *pl.o.Flows
	}
	pl.tracker = flows.NewTracker(cfg, pl.p.jobs)
	// every parser that names destinations runs when beacons is written,
	// and every parser when the weird table is
	names := pl.sink(beacons.Schema) != nil && !pl.o.BeaconByAddress
	weird := pl.sink(flows.WeirdSchema)
	if weird != nil {
		pl.tracker.SetWeird(weird.out)
	}
	var sh shared
	if names || pl.sink(dns.Schema) != nil {
		sh.names = pl.o.Names
		if sh.names == nil {
			sh.names = dns.NewNames()
		}
		pl.tracker.SetNamer(func(addr netip.Addr, ts int64) (string, string) {
			if n := sh.names.Lookup(addr, ts); n != "" {
				return n, "dns"
			}
			return "", ""
		})
	}
	if pl.sink(beacons.Schema) != nil {
		// the call-outs inside connections: the parsers' notes, the bursts
		pl.tracker.NoteBursts(beacons.BurstGap)
	}
	for _, t := range registry { // the registry's order is the plugins'
		sk := pl.sink(t.schema)
		switch {
		case t.subscriber != nil && sk != nil:
			s := t.subscriber(sk.out, sk.cols, pl.o, &sh)
			pl.subs = append(pl.subs, s)
			pl.tracker.Subscribe(s)
		case t.plugin != nil && (sk != nil || t.names && names || weird != nil):
			out := discard(t.schema, pl.p.rows) // only the names are wanted
			if sk != nil {
				out = sk.out
			}
			mk := t.plugin
			if err := pl.tracker.Register(func(out *flows.Output) flows.Plugin { return mk(out, pl.o, &sh) }, out); err != nil {
				pl.tracker.Stop()
				return err
			}
		}
	}
	return nil
}

// sink returns the sink of the table, or nil when it is not written.
func (pl *pipeline) sink(s *table.Schema) *sink {
	for _, sk := range pl.sinks {
		if sk.def.schema == s {
			return sk
		}
	}
	return nil
}

// discard is an Output whose rows go nowhere.
func discard(s *table.Schema, rows int) *table.Output {
	return table.NewOutput(table.NewBatch(s, rows), rows, func(full *table.Batch) *table.Batch {
		full.Reset()
		return full
	})
}

// damaged records an input cut short or corrupt (the merge goes on with
// the others).
func (pl *pipeline) damaged(i int, err error) {
	if pl.ctx.Err() != nil {
		return // the interruption closed a live input: not damage
	}
	fs := pl.st.Files[i]
	fs.Error = err.Error()
	var ie *capture.InputError
	if errors.As(err, &ie) {
		fs.ErrorOffset = ie.Offset
	}
	pl.partial = append(pl.partial, err)
	if pl.o.OnWarning != nil {
		pl.o.OnWarning(err)
	}
}

// run runs the pipeline to the end of the input (or the interruption, or
// a writer's error) and returns what stopped the reading, if not the end.
func (pl *pipeline) run() error {
	if pl.p.jobs == 1 {
		// All the work is this goroutine's: kept on its thread, the
		// scheduler does not move it between threads (and cores) at
		// every preemption, which cost a fifth of a run's time here.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
	}
	for _, sk := range pl.sinks {
		sk.start()
	}
	pl.tracked = make(chan struct{})
	if pl.threaded {
		go func() {
			defer close(pl.tracked)
			for b := range pl.full {
				pl.track(b)
				pl.free <- b
			}
			// The reading is over (pl.full is closed after its last
			// send): the row batches, their rows and payload arenas (27 of
			// the 90 MB of an all-tables heap on the 2 M-packet bench
			// capture), are garbage while the flows still open end and
			// every table's last row group is written.
			pl.free = nil
			pl.finish()
		}()
	}
	if pl.live {
		stop := pl.tick()
		defer close(stop)
	}
	rerr := pl.read()
	pl.mu.Lock()
	if pl.cur.n > 0 {
		pl.send(false)
	}
	pl.cur = nil // the ticker stops sending
	close(pl.full)
	pl.mu.Unlock()
	if !pl.threaded {
		pl.finish()
		close(pl.tracked)
	}
	<-pl.tracked
	return rerr
}

// read is the reading stage: it merges, decodes and counts the packets
// into row batches, handing each full one to the tracking stage. Once per
// batch it updates the progress and stops at an interruption or a
// writer's error.
func (pl *pipeline) read() error {
	var pkt capture.Packet
	for {
		err := pl.merge.Next(&pkt)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if pl.p.filter != nil && !pl.p.filter.Match(pkt.Data, pkt.LinkType, pkt.Length) {
			pl.st.Files[pkt.File].Filtered++
			continue
		}
		if pl.muted && pkt.File >= pl.o.replay.skip {
			// the first packet whose rows count: a batch ends before it
			if pl.cur.n > 0 {
				pl.send(false)
			}
			pl.muted = false
		}
		if pl.live {
			pl.mu.Lock()
		}
		row := &pl.cur.rows[pl.cur.n]
		pl.dec.Decode(&pkt, row)
		if pl.dedup != nil && pl.dedup.dup(&pkt, row) {
			pl.st.Files[pkt.File].Duplicates++
			if pl.live {
				pl.mu.Unlock()
			}
			continue
		}
		if pl.o.Parts > 1 && flows.PartOf(row, pl.o.Parts) != pl.o.Part {
			// another run's part (Options.Parts): the row stays, for the
			// tracker's clock and packet index, and is written nowhere
			row.SetElsewhere()
		} else {
			pl.st.Files[pkt.File].count(&pkt, row, pl.lastTS)
			if pl.tracker != nil {
				pl.tracker.Retain(row, &pl.cur.arena)
			}
		}
		pl.cur.n++
		handed := pl.cur.n == len(pl.cur.rows)
		if handed {
			pl.send(false)
		}
		if pl.live {
			pl.mu.Unlock()
		}
		if handed {
			if pl.o.Progress != nil {
				pl.o.Progress.Packets.Store(int64(pl.st.totalPackets()))
			}
			if pl.writeFailed() || pl.ctx.Err() != nil {
				return nil
			}
		}
	}
}

// send hands the current row batch on: to the tracking goroutine, or
// through track here.
func (pl *pipeline) send(flush bool) {
	pl.cur.flush, pl.cur.muted = flush, pl.muted
	pl.sent.Add(1)
	if !pl.threaded {
		pl.track(pl.cur)
		return
	}
	pl.full <- pl.cur
	pl.cur = <-pl.free
}

// track is the tracking stage: the tracker labels the batch's rows with
// their flows (its subscribers and plugins write their tables' rows),
// then the rows go into the packets table.
func (pl *pipeline) track(b *rowBatch) {
	rows := b.rows[:b.n]
	if !b.muted {
		for _, sk := range pl.sinks {
			if sk.muted { // the rows made so far are the replay's
				sk.out.Batch().Reset()
				sk.muted = false
			}
		}
	}
	if pl.tracker != nil {
		pl.tracker.Observe(rows)
	}
	if pl.o.Parts > 1 {
		rows = ownRows(rows)
	}
	if pl.packets != nil && len(rows) > 0 {
		out := pl.packets.out
		parsers.AppendRows(out.Batch(), rows, pl.names, pl.packets.cols)
		out.Added()
	}
	if b.flush {
		for _, sk := range pl.sinks {
			sk.out.Flush()
		}
	}
	b.n = 0
	b.arena.Reset()
}

// ownRows moves the rows of the run's part (Options.Parts) to the front
// of rows, in order, and returns them.
func ownRows(rows []parsers.PacketRow) []parsers.PacketRow {
	n := 0
	for i := range rows {
		if !rows[i].Elsewhere() {
			if i != n {
				rows[n] = rows[i]
			}
			n++
		}
	}
	return rows[:n]
}

// finish ends the flows still open (end_reason eof, a chunk at a time: a
// million open flows are not held as rows all at once) and the plugins.
func (pl *pipeline) finish() {
	if pl.o.replay == nil || !pl.o.replay.hold {
		// every input was read again (watch's last word): the rows the
		// end of the input makes are written
		for _, sk := range pl.sinks {
			if sk.muted {
				sk.out.Batch().Reset()
				sk.muted = false
			}
		}
	}
	switch {
	case pl.tracker == nil:
	case pl.o.replay != nil && pl.o.replay.hold:
		pl.o.replay.oldest = pl.tracker.Hold()
	default:
		pl.tracker.Close()
	}
}

// tick starts the ticker of a live input; closing the channel it returns
// stops it.
func (pl *pipeline) tick() chan struct{} {
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(liveFlush)
		defer t.Stop()
		last := pl.sent.Load()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
			}
			pl.mu.Lock()
			if n := pl.sent.Load(); n == last && pl.cur != nil {
				pl.send(true)
			}
			last = pl.sent.Load()
			pl.mu.Unlock()
		}
	}()
	return stop
}

// writeFailed reports whether a writer failed.
func (pl *pipeline) writeFailed() bool {
	for _, sk := range pl.sinks {
		if sk.failed() {
			return true
		}
	}
	return false
}

// stats completes the run's stats.
func (pl *pipeline) stats() *Stats {
	st := pl.st
	if pl.o.Progress != nil {
		pl.o.Progress.Packets.Store(int64(st.totalPackets()))
	}
	if pl.packets != nil {
		st.Rows = pl.packets.rows
	}
	if pl.tracker != nil {
		c := pl.tracker.Counters()
		st.Flows = c.Ended
		st.PeakFlows = c.PeakLive
		st.FlowsEvicted = c.Evicted
		st.FlowsInterim = c.Interim
		st.ReassemblyFlowCapHits = c.CapHits[flows.CapFlow]
		st.ReassemblyTotalCapHits = c.CapHits[flows.CapTotal]
		st.ReassemblyHoleHits = c.CapHits[flows.CapHoles]
		st.Datagrams, st.DatagramsIncomplete, st.FragmentsUnassigned = c.Datagrams, c.Incomplete, c.Unassigned
		st.PluginPanics = c.PluginPanics
	}
	for _, s := range pl.subs {
		subscriberStats(st, s)
	}
	for i, in := range pl.ins {
		for _, lt := range in.info.LinkTypes {
			st.Files[i].LinkTypes = append(st.Files[i].LinkTypes, linkTypeName(lt))
		}
	}
	st.total()
	pl.warnUndecoded()
	pl.warnOddities()
	return st
}

// warnOddities says, once per input and with a count, what a capture
// held that does not stop the run but should not pass unseen: packets
// whose time cannot be written (the run is partial: their rows have no
// ts and they belong to no flow), and records of no bytes at all.
func (pl *pipeline) warnOddities() {
	for i, in := range pl.ins {
		fs := pl.st.Files[i]
		if n := fs.TimeOutOfRange; n > 0 {
			err := fmt.Errorf("%s: offset %d: frame %d: %s with a timestamp outside 1677-09-21..2262-04-11, which timestamp[ns] cannot hold: their ts is null and they belong to no flow",
				in.name, fs.BadTimeOffset, fs.BadTimeFrame, plural(n, "packet"))
			pl.partial = append(pl.partial, err)
			if pl.o.OnWarning != nil {
				pl.o.OnWarning(err)
			}
		}
		if n := fs.Empty; n > 0 && pl.o.OnWarning != nil {
			pl.o.OnWarning(fmt.Errorf("%s: offset %d: %s of no bytes (caplen and length 0): the file may be filled with zeros past its data",
				in.name, fs.EmptyOffset, plural(n, "record")))
		}
	}
}

// plural is "1 packet", "2 packets".
func plural(n uint64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.FormatUint(n, 10) + " " + noun + "s"
}

// warnUndecoded says which inputs held packets of a link type the decoder
// does not read: they are rows of the packets table with the capture's
// columns only, and belong to no flow.
func (pl *pipeline) warnUndecoded() {
	if pl.o.OnWarning == nil {
		return
	}
	for i, in := range pl.ins {
		n := pl.st.Files[i].DecodeErrs[parsers.ErrUnsupportedLink]
		if n == 0 {
			continue
		}
		var names []string
		for _, lt := range in.info.LinkTypes {
			if !parsers.Decodes(lt) {
				names = append(names, linkTypeName(lt))
			}
		}
		pl.o.OnWarning(fmt.Errorf("%s: %s of link type %s not decoded: only their capture columns are written, and they belong to no flow",
			in.name, plural(n, "packet"), strings.Join(names, ", ")))
	}
}
