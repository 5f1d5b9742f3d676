package flows

import (
	"cmp"
	"slices"
	"time"

	"github.com/pcap2table/pcap2table/parsers"
)

// A Note is what a plugin learned about a flow for the subscribers, which
// read it in Row.Notes or Row.Facts: an event at TS inside the flow (an
// HTTP request, a DNS query, a burst of payload after silence) or a fact
// about the flow (its client's fingerprint, its certificate). Kind is the
// plugin's name for it; the tracker knows no kind.
type Note struct {
	TS   int64  // capture time of an event, ns; 0 for a fact
	Kind string // "http", "dns", "burst", "ja4", ...
	// Text is the event's or the fact's value (a query's name, a
	// fingerprint), or "".
	Text string
	// Bytes is the payload the event carried, when the plugin counts it.
	Bytes uint64
}

// MaxNotes bounds the events kept per flow: past it Row.Notes is a
// uniform sample of them (Row.NotesSeen counts them all), drawn with the
// flow's own generator, so that the sample depends on the flow alone.
// MaxFacts bounds the facts (a fact of a kind already noted replaces it).
const (
	MaxNotes = 4096
	MaxFacts = 8
)

// notes are a live flow's notes.
type notes struct {
	events []Note
	facts  []Note
	seen   uint64
	rng    uint64
}

// KeepNotes makes the tracker keep what plugins note (Conn.Note,
// Conn.Fact) for the rows of the subscribers; without it those calls do
// nothing. Call it before the first packet.
func (s *Tracker) KeepNotes() {
	for _, t := range s.ws {
		t.notes = map[*flow]*notes{}
	}
}

// NoteBursts makes the tracker note in every flow the originator's
// payload after gap or more of silence (no payload either way since the
// flow's previous payload): events of kind "burst" whose Bytes are the
// payload bytes both ways of the flow's packets before it (retransmitted
// ones included, unlike the row's Orig.Bytes and Resp.Bytes, which count
// sequence space at the end): a subscriber takes differences.
// A flow's first payload is no burst: its start is. These are the
// call-outs inside a long session, a heartbeat over one TCP connection or
// a poll over one kept-alive one, which the beacons table counts. It
// implies KeepNotes; call it before the first packet.
func (s *Tracker) NoteBursts(gap time.Duration) {
	s.KeepNotes()
	for _, t := range s.ws {
		t.burstGap = max(int64(gap), 1)
	}
}

// burst notes the packet of side (with payload) when it begins a burst
// (NoteBursts), and counts its payload.
func (t *shard) burst(f *flow, side uint8, r *parsers.PacketRow) {
	last, before := f.lastPayload, f.payload
	f.lastPayload = r.TS
	f.payload += uint64(r.PayloadLen)
	if last == 0 || side != f.origSide || r.TS-last < t.burstGap {
		return
	}
	c := Conn{ID: f.id, f: f, t: t}
	c.Note(Note{TS: r.TS, Kind: "burst", Bytes: before})
}

// Notes reports whether the tracker keeps notes (KeepNotes): a plugin
// that would build a note for nothing can ask first.
func (c *Conn) Notes() bool { return c.t != nil && c.t.notes != nil }

// Note records an event of the flow (n.TS set), for Row.Notes.
func (c *Conn) Note(n Note) {
	l := c.notes()
	if l == nil {
		return
	}
	l.seen++
	if len(l.events) < MaxNotes {
		l.events = append(l.events, n)
		return
	}
	// Algorithm R, on the flow's own xorshift
	if l.rng == 0 {
		l.rng = c.ID*0x9e3779b97f4a7c15 | 1
	}
	l.rng ^= l.rng << 13
	l.rng ^= l.rng >> 7
	l.rng ^= l.rng << 17
	if j := l.rng % l.seen; j < MaxNotes {
		l.events[j] = n
	}
}

// Fact records a fact about the flow (kind, text), for Row.Facts; it
// replaces an earlier fact of the same kind.
func (c *Conn) Fact(kind, text string) {
	l := c.notes()
	if l == nil {
		return
	}
	for i := range l.facts {
		if l.facts[i].Kind == kind {
			l.facts[i].Text = text
			return
		}
	}
	if len(l.facts) < MaxFacts {
		l.facts = append(l.facts, Note{Kind: kind, Text: text})
	}
}

// notes returns the notes of the event's flow, made at its first note
// (nil when the tracker keeps none).
func (c *Conn) notes() *notes {
	if c.f == nil || c.t == nil || c.t.notes == nil {
		return nil
	}
	l := c.t.notes[c.f]
	if l == nil {
		l = &notes{}
		c.t.notes[c.f] = l
	}
	return l
}

// giveNotes moves flow f's notes to its row, events in time order.
func (t *shard) giveNotes(f *flow, row *Row) {
	l := t.notes[f]
	if l == nil {
		return
	}
	delete(t.notes, f)
	slices.SortStableFunc(l.events, func(a, b Note) int { return cmp.Compare(a.TS, b.TS) })
	row.Notes, row.NotesSeen, row.Facts = l.events, l.seen, l.facts
}
