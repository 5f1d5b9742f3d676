package pcap2table

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/pcap2table/pcap2table/filter"
	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/parsers"
	"github.com/pcap2table/pcap2table/parsers/capture"
	"github.com/pcap2table/pcap2table/writers"
)

// Back to packets: Extract writes the packets of chosen flows, as they
// were captured, to a pcapng (or pcap) file, for Wireshark. A packet's
// flow is what the packets table's flow_id says, and the only way to know
// it is to run what a conversion runs: the same merge of the inputs, the
// same decoder, --dedup, and the same flow tracker with the same
// flows.Config. So Extract reads the inputs as Convert does (the same
// openInputs, the same capture.Merge), decodes every packet and has a
// tracker label it, a batch at a time, keeping each packet's bytes beside
// its row until the batch is labelled; then it writes the packets whose
// flow_id was chosen. Flows chosen by a filter over the flows table's
// columns are known only when they end, so a filter takes a first pass
// over the inputs to find them.
//
// This loop mirrors pipeline.read and pipeline.track: a change there to
// which packets reach the tracker (as --dedup was) belongs here too.

// Errors returned by Extract (wrapped; test with errors.Is).
var (
	// ErrNoMatch: no packet of the inputs belongs to a chosen flow.
	// Nothing is written.
	ErrNoMatch = errors.New("no packet matched")
	// ErrFlowNotFound: a flow id of Selection.FlowIDs matched no packet
	// (its flow is not in these inputs, or they were converted with other
	// flow settings); the output is written with the packets of the
	// others.
	ErrFlowNotFound = errors.New("flow not found")
)

// Selection chooses the flows whose packets Extract writes: the flows of
// FlowIDs, and the flows whose row in the flows table matches the filter
// (the other fields), when one of its fields is set. A flow matches the
// filter when it matches every field set; a field lists values, any of
// which matches. Every packet of a chosen flow is written, both
// directions.
type Selection struct {
	// FlowIDs are flow_id values, as the packets and flows tables hold
	// them.
	FlowIDs []uint64
	// Src, Dst and Host match the flow's originator (the flows table's
	// src_ip), its responder (dst_ip), or either, by address prefix (an
	// address is a prefix of its full length).
	Src, Dst, Host []netip.Prefix
	// SrcPort, DstPort and Port match src_port, dst_port, or either (a
	// flow without ports matches none; ICMP's are its types or code, as
	// the flows table's).
	SrcPort, DstPort, Port []uint16
	// Proto matches the flows table's proto ("tcp", "udp", "icmp" for
	// ICMP and ICMPv6, "sctp", "unknown_transport"), or its ip_proto
	// given as a number ("47").
	Proto []string
	// From and To keep the flows active during [From, To): that started
	// before To and whose last packet came at From or later. A zero time
	// bounds nothing.
	From, To time.Time
}

// filtered reports whether the selection has a filter, besides ids.
func (s *Selection) filtered() bool {
	return len(s.Src)+len(s.Dst)+len(s.Host)+len(s.SrcPort)+len(s.DstPort)+len(s.Port)+len(s.Proto) > 0 ||
		!s.From.IsZero() || !s.To.IsZero()
}

// String is the selection as the extract command's flags.
func (s Selection) String() string {
	var parts []string
	if len(s.FlowIDs) > 0 {
		parts = append(parts, "--flow-id "+joinUints(s.FlowIDs))
	}
	prefixes := func(flag string, ps []netip.Prefix) {
		if len(ps) == 0 {
			return
		}
		t := make([]string, len(ps))
		for i, p := range ps {
			t[i] = p.String()
			if p.IsSingleIP() {
				t[i] = p.Addr().String()
			}
		}
		parts = append(parts, flag+" "+strings.Join(t, ","))
	}
	ports := func(flag string, ps []uint16) {
		if len(ps) == 0 {
			return
		}
		t := make([]string, len(ps))
		for i, p := range ps {
			t[i] = strconv.Itoa(int(p))
		}
		parts = append(parts, flag+" "+strings.Join(t, ","))
	}
	prefixes("--src", s.Src)
	prefixes("--dst", s.Dst)
	prefixes("--host", s.Host)
	ports("--src-port", s.SrcPort)
	ports("--dst-port", s.DstPort)
	ports("--port", s.Port)
	if len(s.Proto) > 0 {
		parts = append(parts, "--proto "+strings.Join(s.Proto, ","))
	}
	if !s.From.IsZero() {
		parts = append(parts, "--from "+s.From.UTC().Format(time.RFC3339Nano))
	}
	if !s.To.IsZero() {
		parts = append(parts, "--to "+s.To.UTC().Format(time.RFC3339Nano))
	}
	return strings.Join(parts, " ")
}

func joinUints(ids []uint64) string {
	t := make([]string, len(ids))
	for i, id := range ids {
		t[i] = strconv.FormatUint(id, 10)
	}
	return strings.Join(t, ",")
}

// check checks the selection before anything is read.
func (s *Selection) check() error {
	if len(s.FlowIDs) == 0 && !s.filtered() {
		return usagef("nothing to extract: give --flow-id, or a filter (--src, --dst, --host, --src-port, --dst-port, --port, --proto, --from, --to)")
	}
	for _, id := range s.FlowIDs {
		if id >= 1<<flows.IDBits {
			return usagef("--flow-id %d is not a flow_id: flow ids are below 2^%d", id, flows.IDBits)
		}
	}
	for _, p := range s.Proto {
		if _, ok := protoNumber(p); !ok && !slices.Contains(protoNames, p) {
			return usagef("unknown --proto %q (want %s, or an IP protocol number)", p, strings.Join(protoNames, ", "))
		}
	}
	for _, ps := range [][]netip.Prefix{s.Src, s.Dst, s.Host} {
		for _, p := range ps {
			if !p.IsValid() {
				return usagef("invalid address prefix %s", p)
			}
		}
	}
	if !s.From.IsZero() && !s.To.IsZero() && !s.From.Before(s.To) {
		return usagef("--from %s is not before --to %s", s.From.UTC().Format(time.RFC3339Nano), s.To.UTC().Format(time.RFC3339Nano))
	}
	return nil
}

// protoNames are the flows table's proto values.
var protoNames = []string{"tcp", "udp", "icmp", "sctp", "unknown_transport"}

func protoNumber(s string) (uint8, bool) {
	n, err := strconv.ParseUint(s, 10, 8)
	return uint8(n), err == nil
}

// matches reports whether a flow's row matches the filter.
func (s *Selection) matches(r *flows.Row) bool {
	anyPrefix := func(ps []netip.Prefix, addrs ...netip.Addr) bool {
		if len(ps) == 0 {
			return true
		}
		for _, p := range ps {
			for _, a := range addrs {
				if p.Contains(a) {
					return true
				}
			}
		}
		return false
	}
	anyPort := func(ps []uint16, ports ...uint16) bool {
		if len(ps) == 0 {
			return true
		}
		if !r.HasPorts {
			return false
		}
		for _, p := range ps {
			if slices.Contains(ports, p) {
				return true
			}
		}
		return false
	}
	if !anyPrefix(s.Src, r.SrcIP) || !anyPrefix(s.Dst, r.DstIP) || !anyPrefix(s.Host, r.SrcIP, r.DstIP) ||
		!anyPort(s.SrcPort, r.SrcPort) || !anyPort(s.DstPort, r.DstPort) || !anyPort(s.Port, r.SrcPort, r.DstPort) {
		return false
	}
	if len(s.Proto) > 0 && !slices.ContainsFunc(s.Proto, func(p string) bool {
		n, ok := protoNumber(p)
		return p == r.Proto || ok && n == r.IPProto
	}) {
		return false
	}
	if !s.To.IsZero() && r.TSStart >= s.To.UnixNano() {
		return false
	}
	return s.From.IsZero() || r.TSEnd >= s.From.UnixNano()
}

// ExtractOptions configure Extract. The fields that decide which flow a
// packet belongs to (Flows, Jobs when flows were evicted, Dedup and
// DedupWindow) must be those of the conversion the flow ids come from.
type ExtractOptions struct {
	// Output is the file written; "-" writes to Stdout.
	Output string
	// Format is "pcapng" or "pcap"; "": from Output's extension
	// (.pcapng, .ntar; .pcap, .cap, .dmp), pcapng on Stdout. A pcap file
	// holds one link type: the packets chosen must share theirs.
	Format string
	// Flows configures the flow tracker, as Options.Flows; nil:
	// flows.DefaultConfig.
	Flows *flows.Config
	// Jobs is the number of flow trackers (0: runtime.GOMAXPROCS), as
	// Options.Jobs.
	Jobs int
	// Dedup and DedupWindow drop the copies of packets as Options.Dedup
	// does: a dropped copy has no flow_id in the packets table, and is not
	// written.
	// Filter is the conversion's capture filter (Options.Filter): packets
	// it leaves out belong to no flow.
	Filter      string
	Dedup       bool
	DedupWindow time.Duration
	// ZstdMaxWindow bounds a zstd-compressed input's window, as
	// Options.ZstdMaxWindow.
	ZstdMaxWindow int64
	// Stdin is read for the input "-"; Stdout receives the output "-".
	Stdin  io.Reader
	Stdout io.Writer
	// OnWarning is called for each problem that does not stop the run: an
	// input cut short or corrupt, or not a capture (skipped), as for
	// Convert; a flow id that matched no packet; packets whose length was
	// below their captured length (written with the captured length, as
	// pcapng and pcap require).
	OnWarning func(error)
	// Fsync makes the output durable (fsync before the rename).
	Fsync bool
	// Progress, if not nil, is updated while reading; with a filter,
	// BytesTotal counts the inputs twice, as they are read twice.
	Progress *Progress
}

// ExtractStats say what Extract read and wrote.
type ExtractStats struct {
	Output string // as named
	Format string // "pcapng" or "pcap"
	// Read is the number of packets read from the inputs (by the pass
	// that wrote; a filter reads them twice), Duplicates the copies
	// dropped (ExtractOptions.Dedup).
	Read, Duplicates uint64
	// Selected is the number of flows chosen: the ids given, and those
	// the filter matched.
	Selected int
	// Packets and Flows are the packets written and the flows they
	// belong to; Bytes the size of the output.
	Packets uint64
	Flows   int
	Bytes   int64
	// Interfaces is the number of pcapng interfaces written: one per
	// distinct (input, interface) of the packets written.
	Interfaces int
	// Missing are the ids of FlowIDs that matched no packet.
	Missing []uint64
	// LengthRaised counts the packets whose original length was below
	// their captured length, written with the captured length.
	LengthRaised uint64
}

// Extract writes the packets of the flows sel chooses, read from inputs,
// to o.Output: byte for byte, with their timestamps, in the order of the
// packets table. In pcapng, each distinct (input, interface) of the
// packets written gets an interface of its link type, snap length and
// name; the timestamps are written in nanoseconds. The flows are those of
// a conversion of the same inputs with the same flow settings
// (ExtractOptions), so flow_id values from its tables choose them.
//
// The output is written under a temporary name and renamed when complete
// (an output that is one of the inputs is refused); it is written only
// when it holds a packet. Extract returns the stats and nil, or an error
// wrapping ErrNoMatch (no packet matched: nothing is written),
// ErrFlowNotFound (some of sel.FlowIDs matched no packet: the output holds
// the others'), ErrPartial (an input was damaged or skipped: the output
// holds what matched before), ErrInterrupted (ctx was canceled: the output
// holds what was written before), or another error (nothing is written;
// a *UsageError when sel or o is wrong).
//
// A filter (a field of sel besides FlowIDs) is matched against each
// flow's row as the flow ends, so it takes a first pass over the inputs:
// stdin and pipes, which cannot be read twice, take flow ids only.
func Extract(ctx context.Context, inputs []string, sel Selection, o ExtractOptions) (*ExtractStats, error) {
	if len(inputs) == 0 {
		return nil, usagef("no input")
	}
	if err := sel.check(); err != nil {
		return nil, err
	}
	if st, err := os.Stat(o.Output); err == nil && st.IsDir() && o.Output != "-" {
		return nil, usagef("-o %s is a folder: name the file to write, such as %s", o.Output, filepath.Join(o.Output, "extract.pcapng"))
	}
	format, err := extractFormat(o.Output, o.Format)
	if err != nil {
		return nil, err
	}
	co := Options{Output: o.Output, Stdin: o.Stdin, Stdout: o.Stdout, ZstdMaxWindow: o.ZstdMaxWindow, Filter: o.Filter,
		Flows: o.Flows, Jobs: o.Jobs, Dedup: o.Dedup, DedupWindow: o.DedupWindow, OnWarning: o.OnWarning, Fsync: o.Fsync, Progress: o.Progress}
	if _, err := compileFilter(o.Filter); err != nil {
		return nil, err
	}
	if o.Output != "-" {
		// the plan of one table to one file: checkOverwrite's output is o.Output
		if err := checkOverwrite(inputs, &plan{tables: registry[:1]}, &co); err != nil {
			return nil, err
		}
	}
	if sel.filtered() && slices.Contains(inputs, "-") {
		return nil, usagef("a filter reads the captures twice, which stdin (-) cannot be: save it to a file, or choose flows by --flow-id")
	}
	ins, skipped, err := openInputs(ctx, inputs, &co)
	if err != nil {
		return nil, err
	}
	defer closeInputs(ins)
	for _, in := range ins {
		if in.live && sel.filtered() {
			return nil, usagef("a filter reads the captures twice, which %s (a pipe) cannot be: save it to a file, or choose flows by --flow-id", in.name)
		}
	}
	if o.Progress != nil && sel.filtered() {
		o.Progress.BytesTotal.Add(o.Progress.BytesTotal.Load()) // two passes
	}
	warnSkipped(&co, skipped)
	var partial []error
	for _, s := range skipped {
		partial = append(partial, s.err)
	}
	st := &ExtractStats{Output: o.Output, Format: format}
	if o.Output == "-" {
		st.Output = "stdout"
	}
	// the output first: a folder that cannot take it fails the run at once
	out, err := newExtractOutput(ins, &co, format)
	if err != nil {
		return st, err
	}
	// want maps each chosen flow to the packets written of it
	want := make(map[uint64]uint64, len(sel.FlowIDs))
	for _, id := range sel.FlowIDs {
		want[id] = 0
	}
	if sel.filtered() {
		// first pass: the flows the filter matches, from their rows
		r := newExtractRun(ctx, ins, &co, true)
		r.sub = &flowMatcher{sel: &sel, want: want}
		err := r.run()
		partial = append(partial, r.partial...)
		switch {
		case err != nil:
			out.abort()
			return st, err
		case ctx.Err() != nil:
			out.abort()
			return st, fmt.Errorf("%w while finding the flows that match %s: nothing written", ErrInterrupted, sel.String())
		}
	}
	st.Selected = len(want)
	r := newExtractRun(ctx, ins, &co, !sel.filtered()) // the first pass warned of damage
	r.want, r.emit = want, out.write
	rerr := r.run()
	if !sel.filtered() {
		partial = append(partial, r.partial...)
	}
	st.Read, st.Duplicates = r.read, r.dups
	st.Packets, st.Interfaces, st.LengthRaised = out.packets, len(out.ifaces), out.raised
	for _, n := range want {
		if n > 0 {
			st.Flows++
		}
	}
	for _, id := range sel.FlowIDs {
		if want[id] == 0 {
			st.Missing = append(st.Missing, id)
			want[id] = 1 // listed once, if given twice
		}
	}
	if rerr == nil {
		rerr = out.close()
	}
	if rerr == nil && st.Packets > 0 {
		rerr = out.commit()
	}
	st.Bytes = out.count.n
	if rerr != nil || st.Packets == 0 {
		out.abort()
		st.Bytes = 0
	}
	switch {
	case rerr != nil:
		return st, rerr
	case st.Packets == 0 && ctx.Err() != nil:
		return st, fmt.Errorf("%w after %d packets, none of them of the flows chosen: nothing written", ErrInterrupted, st.Read)
	case st.Packets == 0:
		return st, noMatch(&sel, inputs, st)
	}
	var errs []error
	if ctx.Err() != nil {
		return st, fmt.Errorf("%w after %d packets: wrote %d packets of the flows chosen", ErrInterrupted, st.Read, st.Packets)
	}
	if st.LengthRaised > 0 && o.OnWarning != nil {
		o.OnWarning(fmt.Errorf("%s of a length below their captured length: written with their captured length, as %s requires", plural(st.LengthRaised, "packet"), format))
	}
	if len(st.Missing) > 0 {
		err := fmt.Errorf("%w: %s", ErrFlowNotFound, notFlows(st.Missing, inputs))
		if o.OnWarning != nil {
			o.OnWarning(err)
		}
		errs = append(errs, err)
	}
	if len(partial) > 0 {
		errs = append(errs, fmt.Errorf("%w: %w", ErrPartial, errors.Join(partial...)))
	}
	return st, errors.Join(errs...)
}

// notFlows says that flow ids are not flows of the inputs, and why that
// may be.
func notFlows(ids []uint64, inputs []string) string {
	verb := "is not a flow"
	if len(ids) > 1 {
		verb = "are not flows"
	}
	return fmt.Sprintf("%s %s of %s; were they converted with other flow settings? (--tcp-idle, --udp-idle, --tcp-attempt, --active-timeout, --max-flows, -j, --filter and --dedup must be the conversion's)",
		flowIDList(ids), verb, strings.Join(inputs, ", "))
}

// noMatch is the error of a run that matched no packet.
func noMatch(sel *Selection, inputs []string, st *ExtractStats) error {
	if len(sel.FlowIDs) > 0 && !sel.filtered() {
		return fmt.Errorf("%w: %s", ErrNoMatch, notFlows(st.Missing, inputs))
	}
	return fmt.Errorf("%w: no flow of %s matches %s", ErrNoMatch, strings.Join(inputs, ", "), sel.String())
}

// flowIDList is "flow_id 1", "flow_id 1, 2 and 3", at most 10 of them.
func flowIDList(ids []uint64) string {
	const most = 10
	t := make([]string, 0, most)
	for _, id := range ids[:min(len(ids), most)] {
		t = append(t, strconv.FormatUint(id, 10))
	}
	switch {
	case len(ids) > most:
		return fmt.Sprintf("flow_id %s and %d more", strings.Join(t, ", "), len(ids)-most)
	case len(ids) > 1:
		return "flow_id " + strings.Join(t[:len(t)-1], ", ") + " and " + t[len(t)-1]
	}
	return "flow_id " + t[0]
}

// extractFormat is the output format, from the options or the name.
func extractFormat(output, format string) (string, error) {
	if output == "" {
		return "", usagef("no output given: use -o FILE.pcapng ('-' for stdout)")
	}
	switch format {
	case "pcapng", "pcap":
		return format, nil
	case "":
	default:
		return "", usagef("unknown format %q (want pcapng or pcap)", format)
	}
	if output == "-" {
		return "pcapng", nil
	}
	name := strings.ToLower(output)
	switch {
	case strings.HasSuffix(name, ".pcapng"), strings.HasSuffix(name, ".ntar"):
		return "pcapng", nil
	case strings.HasSuffix(name, ".pcap"), strings.HasSuffix(name, ".cap"), strings.HasSuffix(name, ".dmp"):
		return "pcap", nil
	}
	return "", usagef("cannot tell the format from %q: use the extension .pcapng or .pcap, or --format", output)
}

// flowMatcher collects the flows whose rows match the filter.
type flowMatcher struct {
	sel  *Selection
	want map[uint64]uint64
}

func (m *flowMatcher) Flow(r *flows.Row) {
	if _, ok := m.want[r.FlowID]; !ok && m.sel.matches(r) {
		m.want[r.FlowID] = 0
	}
}

func (m *flowMatcher) Finish() {}

// extractBatch is how many packets are labelled at once, and
// extractArena the bytes of theirs kept meanwhile (a batch ends early
// when they fill it).
const (
	extractBatch = DefaultBatchRows
	extractArena = 8 << 20
)

// extractRun is one pass over the inputs: merged, decoded, deduplicated
// and labelled with their flows as a conversion does.
type extractRun struct {
	ctx    context.Context
	o      *Options
	ins    []*input
	warn   bool // report damaged inputs (the first pass does)
	sub    flows.Subscriber
	want   map[uint64]uint64
	emit   func(p *capture.Packet) error // nil: nothing written
	dec    parsers.Decoder
	rows   []parsers.PacketRow
	pkts   []capture.Packet // the rows' packets, their Data in arena
	arena  []byte
	kept   flows.Arena // what Retain keeps of the rows, as the pipeline's
	dedup  *dedup
	filter *filter.Filter
	tr     *flows.Tracker

	partial    []error
	read, dups uint64
}

func newExtractRun(ctx context.Context, ins []*input, o *Options, warn bool) *extractRun {
	r := &extractRun{ctx: ctx, o: o, ins: ins, warn: warn,
		rows: make([]parsers.PacketRow, extractBatch), pkts: make([]capture.Packet, extractBatch),
		arena: make([]byte, 0, extractArena)}
	if o.Dedup {
		r.dedup = newDedup(o.DedupWindow)
	}
	r.filter, _ = compileFilter(o.Filter) // checked by Extract
	return r
}

// run reads the inputs to their end (or the interruption) and returns a
// writing error.
func (r *extractRun) run() error {
	srcs := make([]capture.Input, len(r.ins))
	for i, in := range r.ins {
		if !in.none {
			srcs[i] = in.source(r.ctx, r.o)
		}
	}
	merge := capture.NewMerge(srcs, r.damaged)
	defer merge.Close()
	cfg := flows.DefaultConfig()
	if r.o.Flows != nil {
		cfg = *r.o.Flows
	}
	jobs := r.o.Jobs
	if jobs <= 0 {
		jobs = runtime.GOMAXPROCS(0)
	}
	r.tr = flows.NewTracker(cfg, jobs)
	defer r.tr.Stop()
	if r.sub != nil {
		r.tr.Subscribe(r.sub)
	}
	var pkt capture.Packet
	n := 0
	for {
		err := merge.Next(&pkt)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if n == len(r.rows) || len(r.arena)+len(pkt.Data) > cap(r.arena) {
			if err := r.label(n); err != nil {
				return err
			}
			n = 0
			if r.ctx.Err() != nil {
				return nil
			}
		}
		if r.filter != nil && !r.filter.Match(pkt.Data, pkt.LinkType, pkt.Length) {
			continue // in no flow: the conversion never saw it
		}
		// the packet's bytes outlive the reader's buffer until labelled
		off := len(r.arena)
		r.arena = append(r.arena, pkt.Data...)
		pkt.Data = r.arena[off:len(r.arena):len(r.arena)]
		row := &r.rows[n]
		r.dec.Decode(&pkt, row)
		r.read++
		if r.dedup != nil && r.dedup.dup(&pkt, row) {
			r.dups++
			r.arena = r.arena[:off]
			continue
		}
		r.tr.Retain(row, &r.kept) // the row as the pipeline hands it on
		r.pkts[n] = pkt
		n++
	}
	if err := r.label(n); err != nil {
		return err
	}
	if r.sub != nil && r.ctx.Err() == nil {
		r.tr.Close() // the flows still live end: the filter sees their rows
	}
	return nil
}

// label has the tracker label the batch's n rows with their flows and
// writes the packets of the flows wanted.
func (r *extractRun) label(n int) error {
	rows := r.rows[:n]
	r.tr.Observe(rows)
	if r.o.Progress != nil {
		r.o.Progress.Packets.Add(int64(n))
	}
	if r.emit != nil {
		for i := range rows {
			row := &rows[i]
			if !row.Has(parsers.ColFlowID) {
				continue
			}
			c, ok := r.want[row.FlowID]
			if !ok {
				continue
			}
			r.want[row.FlowID] = c + 1
			if err := r.emit(&r.pkts[i]); err != nil {
				return err
			}
		}
	}
	r.arena = r.arena[:0]
	r.kept.Reset()
	return nil
}

// damaged records an input cut short or corrupt, as pipeline.damaged.
func (r *extractRun) damaged(_ int, err error) {
	if r.ctx.Err() != nil {
		return // the interruption closed a live input: not damage
	}
	r.partial = append(r.partial, err)
	if r.warn && r.o.OnWarning != nil {
		r.o.OnWarning(err)
	}
}

// extractOutput writes the packets to a pcapng or pcap file (under a
// temporary name until commit) or to stdout.
type extractOutput struct {
	name   string // as the user named it
	format string
	file   *writers.File // nil: stdout
	count  *countingWriter
	ins    []*input
	o      *Options

	// pcapng
	ng     *pcapgo.NgWriter
	ifaces map[ifaceKey]int
	// pcap
	buf      *bufio.Writer
	pc       *pcapgo.Writer
	linkType layers.LinkType
	from     string // the input of the first packet
	snap     uint32 // of the header
	maxCap   uint32

	packets, raised uint64
}

// ifaceKey is an interface of an input: a pcapng interface of the output.
type ifaceKey struct {
	file  int
	iface uint32
}

func newExtractOutput(ins []*input, o *Options, format string) (*extractOutput, error) {
	out := &extractOutput{name: o.Output, format: format, ins: ins, o: o, ifaces: map[ifaceKey]int{}}
	if o.Output == "-" {
		out.name = "stdout"
		w := o.Stdout
		if w == nil {
			w = os.Stdout
		}
		out.count = &countingWriter{w: w}
		return out, nil
	}
	f, err := writers.Create(o.Output)
	if err != nil {
		return nil, fmt.Errorf("writing %s: %w", o.Output, err)
	}
	f.Sync = o.Fsync
	out.file, out.count = f, &countingWriter{w: f}
	return out, nil
}

// write writes one packet.
func (out *extractOutput) write(p *capture.Packet) error {
	length := p.Length
	if length < uint32(len(p.Data)) {
		length = uint32(len(p.Data)) // pcapng and pcap require caplen <= len
		out.raised++
	}
	if p.Timestamp < 0 || out.format == "pcap" && p.Timestamp/1e9 > 1<<32-1 {
		return fmt.Errorf("writing %s: frame %d of %s: its time %s is outside what %s holds",
			out.name, p.Frame, out.ins[p.File].name, time.Unix(0, p.Timestamp).UTC().Format(time.RFC3339Nano), out.format)
	}
	ci := gopacket.CaptureInfo{Timestamp: time.Unix(0, p.Timestamp), CaptureLength: len(p.Data), Length: int(length)}
	var err error
	if out.format == "pcap" {
		err = out.writePcap(p, ci)
	} else {
		err = out.writeNg(p, ci)
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", out.name, osCause(err))
	}
	out.packets++
	return nil
}

func (out *extractOutput) writeNg(p *capture.Packet, ci gopacket.CaptureInfo) error {
	k := ifaceKey{p.File, p.Interface}
	id, ok := out.ifaces[k]
	if !ok {
		intf := out.describe(p)
		var err error
		if out.ng == nil {
			sec := pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{Application: "pcap2table " + Version}}
			out.ng, err = pcapgo.NewNgWriterInterface(out.count, intf, sec)
		} else {
			id, err = out.ng.AddInterface(intf)
		}
		if err != nil {
			return err
		}
		out.ifaces[k] = id
	}
	ci.InterfaceIndex = id
	return out.ng.WritePacket(ci, p.Data)
}

// describe is the pcapng interface of the packet's input and interface:
// as the input's interface description block says (the capture reader
// keeps it), for a pcapng file; else its link type and the input's snap
// length.
func (out *extractOutput) describe(p *capture.Packet) pcapgo.NgInterface {
	in := out.ins[p.File]
	intf := pcapgo.NgInterface{LinkType: p.LinkType}
	if in.info == nil {
		return intf
	}
	intf.SnapLength = in.info.SnapLen
	if int(p.Interface) < len(in.info.Interfaces) {
		if d := in.info.Interfaces[p.Interface]; d.LinkType == p.LinkType {
			intf = pcapgo.NgInterface{LinkType: d.LinkType, SnapLength: d.SnapLen, Name: d.Name, Description: d.Description,
				Filter: d.Filter, OS: d.OS, Comment: d.Note}
		}
	}
	return intf
}

func (out *extractOutput) writePcap(p *capture.Packet, ci gopacket.CaptureInfo) error {
	if out.pc == nil {
		// µs when every input is (pcap and snoop files of µs), else ns
		nanos := false
		for _, in := range out.ins {
			if in.info == nil {
				continue
			}
			out.snap = max(out.snap, in.info.SnapLen)
			nanos = nanos || in.info.Format == "pcapng" || in.info.Format == "pcap" && !strings.Contains(in.info.Detail, "µs")
		}
		if out.snap == 0 {
			out.snap = capture.MaxCapLen
		}
		out.buf = bufio.NewWriterSize(out.count, 64<<10)
		if nanos {
			out.pc = pcapgo.NewWriterNanos(out.buf)
		} else {
			out.pc = pcapgo.NewWriter(out.buf)
		}
		out.linkType, out.from = p.LinkType, out.ins[p.File].name
		if err := out.pc.WriteFileHeader(out.snap, p.LinkType); err != nil {
			return err
		}
	} else if p.LinkType != out.linkType {
		return fmt.Errorf("a pcap file holds one link type, but the packets chosen have %s (%s) and %s (frame %d of %s): write pcapng (.pcapng or --format pcapng)",
			linkTypeName(out.linkType), out.from, linkTypeName(p.LinkType), p.Frame, out.ins[p.File].name)
	}
	out.maxCap = max(out.maxCap, uint32(len(p.Data)))
	return out.pc.WritePacket(ci, p.Data)
}

// close writes what is buffered; a pcap file's snap length is raised to
// its largest packet.
func (out *extractOutput) close() error {
	var err error
	switch {
	case out.ng != nil:
		err = out.ng.Flush()
	case out.buf != nil:
		err = out.buf.Flush()
		if err == nil && out.file != nil && out.maxCap > out.snap {
			var b [4]byte
			binary.LittleEndian.PutUint32(b[:], out.maxCap)
			_, err = out.file.WriteAt(b[:], 16)
		}
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", out.name, osCause(err))
	}
	return nil
}

func (out *extractOutput) commit() error {
	if out.file == nil {
		return nil
	}
	if err := out.file.Commit(); err != nil {
		return fmt.Errorf("writing %s: %w", out.name, osCause(err))
	}
	return nil
}

func (out *extractOutput) abort() {
	if out.file != nil {
		out.file.Abort()
	}
}
