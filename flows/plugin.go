package flows

import (
	"fmt"
	"math/bits"
	"net/netip"
	"slices"
	"strings"

	"github.com/pcap2table/pcap2table/parsers"
	"github.com/pcap2table/pcap2table/table"
)

// A Plugin analyzes one protocol and writes the rows of its own table
// into an Output. It declares what it needs by implementing hook
// interfaces: PacketHook (every packet of a flow, payload included),
// StartHook, EndHook and StreamHook (each direction of a TCP flow's
// reassembled payload, with gap notices). The tracker calls a hook only
// for the plugins that implement it, on the goroutine that observes the
// flow's packets; with no plugin registered it calls nothing and copies
// no payload.
//
// A plugin writes a flow's rows by the flow's end at the latest, where it
// forgets the flow: a Tracker runs one plugin per shard and merges their
// rows in the order of the packets that made them. (A table whose rows
// span flows, written at the end, is a Subscriber's, as beacons is.)
//
// A plugin that sees that a flow does not speak its protocol (or that it
// has written all it will about it) calls Conn.Ignore: the flow costs it
// nothing more until its end, and a flow every plugin ignores skips the
// hooks at once. A plugin that recognizes its protocol in a flow calls
// Conn.SetService: the flow's service column lists the services set, in
// alphabetical order.
//
// A hook that panics (a plugin bug that malformed data reached) is
// recovered: the panic is counted in Counters.PluginPanics under the
// plugin's table and the plugin gets no more events of that flow but its
// end (EndHook, to forget it); other flows, plugins and tables go on.
// Malformed protocol data that a plugin detects itself belongs in its rows
// (an error column), not in a panic.
type Plugin interface {
	// Schema is the plugin's table.
	Schema() *table.Schema
}

// PacketHook sees every packet of every flow, after the flow counted
// it. r.Payload holds the transport payload (valid during the call),
// except for TCP: a TCP payload is read from a StreamHook, in order.
type PacketHook interface {
	Packet(c *Conn, dir Dir, r *parsers.PacketRow)
}

// StartHook learns of each new flow (its first packet follows).
type StartHook interface {
	FlowStart(c *Conn)
}

// EndHook learns of each flow's end, after its last stream event;
// the plugin forgets the flow there. row is the flow's row (read only).
type EndHook interface {
	FlowEnd(c *Conn, row *Row)
}

// StreamHook consumes the reassembled TCP streams (see StreamEvent).
type StreamHook interface {
	Stream(c *Conn, ev *StreamEvent)
}

// Conn describes the flow of a plugin event. It is valid during the call
// only, and shared by the plugins called for the event: read it, do not
// change it.
type Conn struct {
	ID          uint64
	CommunityID [CommunityIDLen]byte
	Start       int64 // capture time of the flow's first packet, ns
	IPProto     uint8
	// The originator and responder as the flow's row has them at the
	// time of the event (for a StreamHook, as the stream's Dir counts
	// them).
	OrigIP, RespIP     netip.Addr
	OrigPort, RespPort uint16
	HasPorts           bool

	f   *flow
	t   *shard
	bit uint16 // the plugin being called
}

// Ignore tells the tracker that the plugin being called wants no more
// events of this flow but its end (EndHook, to forget it): a plugin
// calls it once it knows the flow does not speak its protocol, or once it
// has written all it will about the flow. Flows that every plugin
// ignores cost the plugins nothing more.
func (c *Conn) Ignore() {
	if c.f != nil {
		c.f.pluginOff |= c.bit
	}
}

// SetService records that the flow speaks the named protocol ("dns",
// "http", "tls", ...): the flows table's service column.
func (c *Conn) SetService(name string) {
	if c.f == nil {
		return
	}
	for i, s := range c.t.services {
		if s == name {
			c.f.service |= 1 << i
			return
		}
	}
	if len(c.t.services) < 16 {
		c.t.services = append(c.t.services, name)
		c.f.service |= 1 << (len(c.t.services) - 1)
	}
}

// SetName records the name the originator reached the responder by, as
// the protocol says it (the TLS server name, the HTTP Host), and the
// protocol that said it ("tls", "http"): Row.Name and Row.NameSource, for
// the subscribers (beacons keys a service by it). The first name set
// stays.
func (c *Conn) SetName(name, source string) {
	if c.f == nil || c.f.name != "" || name == "" {
		return
	}
	c.f.name, c.f.nameSource = strings.Clone(name), source
}

// Named reports whether the flow has a name (or takes none): a plugin
// that would build a name for SetName can ask first.
func (c *Conn) Named() bool { return c.f == nil || c.f.name != "" }

// CommunityIDString returns the Community ID as a string (it allocates).
func (c *Conn) CommunityIDString() string { return string(c.CommunityID[:]) }

// Output collects a plugin's rows: the plugin appends one value to every
// column of Batch(), then calls EndRow. A Tracker makes one per shard
// and merges their rows into the table's output in the flows' order.
type Output struct {
	b *table.Batch
	// tag is the shard's merge key of the rows made now, recorded for
	// each row in tags (tracker.go); nil without a Tracker.
	tag  *uint64
	tags []uint64
}

// NewOutput returns an Output that keeps every row in b, for a plugin
// used without a Tracker (its tests).
func NewOutput(b *table.Batch) *Output { return &Output{b: b} }

// Batch is the batch the next row goes to.
func (o *Output) Batch() *table.Batch { return o.b }

// EndRow counts the row just appended.
func (o *Output) EndRow() {
	o.b.N++
	if o.tag != nil {
		o.tags = append(o.tags, *o.tag)
	}
}

// plugins are the tracker's registered plugins, by hook.
type plugins struct {
	all    []Plugin
	names  []string // table names, by plugin index
	packet []hooked[PacketHook]
	start  []hooked[StartHook]
	end    []hooked[EndHook]
	stream []hooked[StreamHook]
	// Panics counts the hooks that panicked, by table.
	panics map[string]uint64
	conn   Conn // built once per event, for every plugin's hook
	// packetBits and streamBits are the bits of the plugins with those
	// hooks: a flow whose pluginOff covers them skips the hooks at once.
	packetBits, streamBits uint16
}

type hooked[H any] struct {
	h   H
	bit uint16
}

// maxPlugins is the number of plugins a tracker takes (flow.pluginOff's bits).
const maxPlugins = 16

// register adds a plugin (Tracker.Register).
func (t *shard) register(p Plugin) error {
	pl := &t.pl
	if len(pl.all) == maxPlugins {
		return fmt.Errorf("more than %d protocol tables", maxPlugins)
	}
	bit := uint16(1) << len(pl.all)
	pl.all = append(pl.all, p)
	pl.names = append(pl.names, p.Schema().Name)
	if h, ok := p.(PacketHook); ok {
		pl.packet = append(pl.packet, hooked[PacketHook]{h, bit})
		pl.packetBits |= bit
	}
	if h, ok := p.(StartHook); ok {
		pl.start = append(pl.start, hooked[StartHook]{h, bit})
	}
	if h, ok := p.(EndHook); ok {
		pl.end = append(pl.end, hooked[EndHook]{h, bit})
	}
	if h, ok := p.(StreamHook); ok {
		pl.stream = append(pl.stream, hooked[StreamHook]{h, bit})
		pl.streamBits |= bit
		t.rs.h = streamDispatch{t}
	}
	return nil
}

// conn fills the plugins' Conn for flow f, with the roles of side orig as
// originator.
func (t *shard) conn(f *flow, orig uint8) {
	k := &f.key
	a, b := addrFrom16(k.A, k.V6), addrFrom16(k.B, k.V6)
	pa, pb := k.PortA, k.PortB
	if orig == 1 {
		a, b, pa, pb = b, a, pb, pa
	}
	t.pl.conn = Conn{ID: f.id, CommunityID: f.cid, Start: f.first, IPProto: k.Proto,
		OrigIP: a, RespIP: b, OrigPort: pa, RespPort: pb, HasPorts: k.HasPorts, f: f, t: t}
}

// call runs one hook for flow f, unless the plugin failed on it before;
// a panic is counted and turns the plugin off for the flow.
func (t *shard) call(f *flow, bit uint16, fn func(c *Conn)) {
	if f.pluginOff&bit != 0 {
		return
	}
	t.pl.conn.bit = bit
	defer func() {
		if r := recover(); r != nil {
			f.pluginOff |= bit
			if t.pl.panics == nil {
				t.pl.panics = map[string]uint64{}
			}
			t.pl.panics[t.pl.names[bits.TrailingZeros16(bit)]]++
		}
	}()
	fn(&t.pl.conn)
}

// packetHooks runs the packet hooks for a packet of flow f sent by side.
func (t *shard) packetHooks(f *flow, side uint8, r *parsers.PacketRow) {
	if f.pluginOff&t.pl.packetBits == t.pl.packetBits {
		return // every packet hook ignores the flow
	}
	t.conn(f, f.origSide)
	dir := FromOrig
	if side != f.origSide {
		dir = FromResp
	}
	for _, h := range t.pl.packet {
		t.call(f, h.bit, func(c *Conn) { h.h.Packet(c, dir, r) })
	}
}

func (t *shard) startHooks(f *flow) {
	t.conn(f, f.origSide)
	for _, h := range t.pl.start {
		t.call(f, h.bit, func(c *Conn) { h.h.FlowStart(c) })
	}
}

// endHooks runs the flow end hooks, also of the plugins that failed on
// the flow: they forget its state there (which bounds their memory).
func (t *shard) endHooks(f *flow, row *Row) {
	t.conn(f, f.origSide)
	off := f.pluginOff
	f.pluginOff = 0
	for _, h := range t.pl.end {
		t.call(f, h.bit, func(c *Conn) { h.h.FlowEnd(c, row) })
	}
	f.pluginOff = off
}

// serviceString joins the names of the services whose bits are set, in
// alphabetical order.
func (t *shard) serviceString(set uint16) string {
	if set == 0 {
		return ""
	}
	if set&(set-1) == 0 {
		return t.services[bits.TrailingZeros16(set)]
	}
	// in alphabetical order, whichever the tracker met first
	var names [16]string
	n := 0
	for i, s := range t.services {
		if set&(1<<i) != 0 {
			names[n] = s
			n++
		}
	}
	slices.Sort(names[:n])
	return strings.Join(names[:n], ",")
}

// streamDispatch hands stream events to the plugins' StreamHooks.
type streamDispatch struct{ t *shard }

func (d streamDispatch) Stream(ev *StreamEvent) {
	t, f := d.t, ev.f
	if f.pluginOff&t.pl.streamBits == t.pl.streamBits {
		return // every stream hook ignores the flow
	}
	orig := f.origSide
	if f.streamOrig != 0 {
		orig = f.streamOrig - 1
	}
	t.conn(f, orig)
	for _, h := range t.pl.stream {
		t.call(f, h.bit, func(c *Conn) { h.h.Stream(c, ev) })
	}
}

// Side returns the address and port of the side that sends in direction
// d, as the event's Conn has the roles.
func (c *Conn) Side(d Dir) (netip.Addr, uint16) {
	if d == FromOrig {
		return c.OrigIP, c.OrigPort
	}
	return c.RespIP, c.RespPort
}

// NumConnColumns is the number of ConnColumns: a transaction table's own
// columns start there.
const NumConnColumns = 13

// ConnColumns returns the columns that begin every transaction table
// (dns, http, tls): ts, flow_id, community_id, then the client as src_ip
// and src_port and the server as dst_ip and dst_port. tsDoc says which
// message's time ts is; clientDoc who the client is.
func ConnColumns(tsDoc, clientDoc string) []table.Column {
	return []table.Column{
		{Name: "ts", Type: table.Timestamp, Doc: tsDoc},
		{Name: "flow_id", Type: table.Uint64, Doc: "The flow carrying the messages (joins flows and packets)."},
		{Name: "community_id", Type: table.String, Doc: "Community ID of that flow."},
		{Name: "src_ip", Type: table.String, Hint: table.Dict, Doc: clientDoc},
		{Name: "src_port", Type: table.Uint16, Doc: "The client's port."},
		{Name: "dst_ip", Type: table.String, Hint: table.Dict, Doc: "The server."},
		{Name: "dst_port", Type: table.Uint16, Doc: "The server's port."},
		{Name: "src_country", Type: table.String, Nullable: true, Hint: table.Dict, Doc: "ISO 3166-1 alpha-2 code of the client's country in the `--geoip` database, as the flows table's (docs/enrich.md); null without one, or with no answer."},
		{Name: "dst_country", Type: table.String, Nullable: true, Hint: table.Dict, Doc: "The same for the server."},
		{Name: "src_asn", Type: table.Uint32, Nullable: true, Hint: table.Dict, Doc: "The client's autonomous system number, from the `--asn` database; null without one, or with no answer."},
		{Name: "dst_asn", Type: table.Uint32, Nullable: true, Hint: table.Dict, Doc: "The same for the server."},
		{Name: "src_as_org", Type: table.String, Nullable: true, Hint: table.Dict, Doc: "Organization of the client's autonomous system."},
		{Name: "dst_as_org", Type: table.String, Nullable: true, Hint: table.Dict, Doc: "The same for the server."},
	}
}

// AppendConn appends the values of ConnColumns to the first columns of a
// row: ts, c's flow_id and community_id, the client and the server, and
// their countries and autonomous systems (Config.Enrich; null without).
func AppendConn(v []table.Vector, ts int64, c *Conn, client netip.Addr, clientPort uint16, server netip.Addr, serverPort uint16) {
	v[0].AppendInt(ts)
	v[1].AppendUint(c.ID)
	v[2].AppendBytes(c.CommunityID[:])
	v[3].Str = parsers.AppendAddr(v[3].Str, client)
	v[3].EndString()
	v[4].AppendUint(uint64(clientPort))
	v[5].Str = parsers.AppendAddr(v[5].Str, server)
	v[5].EndString()
	v[6].AppendUint(uint64(serverPort))
	if c.t == nil || c.t.cfg.Enrich == nil {
		for i := 7; i < NumConnColumns; i++ {
			v[i].AppendNull()
		}
		return
	}
	geo := &c.t.geo // the shard's: a Geo handed to the interface would escape
	c.t.cfg.Enrich.Lookup(client, &geo[0])
	c.t.cfg.Enrich.Lookup(server, &geo[1])
	for i := range geo {
		g := &geo[i]
		if g.HasCountry() {
			v[7+i].AppendBytes(g.Country[:])
		} else {
			v[7+i].AppendNull()
		}
		appendOptUint(&v[9+i], g.ASN != 0, uint64(g.ASN))
		appendOptString(&v[11+i], g.ASOrg)
	}
}
