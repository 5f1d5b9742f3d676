package pcap2table

import (
	"cmp"

	"github.com/pcap2table/pcap2table/beacons"
	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/parsers"
	"github.com/pcap2table/pcap2table/protocols/dns"
	"github.com/pcap2table/pcap2table/protocols/http"
	"github.com/pcap2table/pcap2table/protocols/tls"
	"github.com/pcap2table/pcap2table/table"
)

// A tableDef is a table the tool can write: its schema and its producer,
// one of three kinds. The packets table is the decoder's own rows. A
// subscriber table is made from the rows of the flows as they end (the
// flows table itself, beacons). A plugin table is made by a protocol
// parser that the flow tracker feeds packets and streams, one per tracker
// shard (dns, http, tls).
type tableDef struct {
	schema *table.Schema
	// subscriber makes the reader of the flows' rows that writes the
	// table's rows to out (cols: the columns its writer reads).
	subscriber func(out *table.Output, cols []int, o *Options, sh *shared) flows.Subscriber
	// plugin makes one shard's protocol parser, which writes its rows to
	// out.
	plugin func(out *flows.Output, o *Options, sh *shared) flows.Plugin
	// names: the parser sets the names the beacons table keys
	// destinations by (Conn.SetName, shared.names), so it runs when
	// beacons is written, its own table written or not.
	names bool
	// weird: the tracker writes the table itself (flows.Tracker.SetWeird),
	// with the anomalies of the decoder, the flows and every parser (which
	// then run, their own tables written or not).
	weird bool
}

// shared is what the producers of one run share.
type shared struct {
	// names are the DNS answers' names of addresses, for the flows'
	// dst_name (nil when the dns parser does not run).
	names *dns.Names
}

// registry lists every table, in documentation order; the plugin tables
// are registered with the tracker in this order (the order of their hooks'
// calls and of the flows table's service names).
var registry = []*tableDef{
	{schema: parsers.Schema},
	{schema: flows.Schema, subscriber: newFlowsTable},
	{schema: dns.Schema, plugin: newDNS, names: true},
	{schema: http.Schema, plugin: func(out *flows.Output, _ *Options, _ *shared) flows.Plugin { return http.New(out) }, names: true},
	{schema: tls.Schema, plugin: func(out *flows.Output, _ *Options, _ *shared) flows.Plugin { return tls.New(out) }, names: true},
	{schema: beacons.Schema, subscriber: newBeacons},
	{schema: flows.WeirdSchema, weird: true},
}

// flowsTable writes the flows' rows into the flows table.
type flowsTable struct {
	out  *table.Output
	cols []int
}

func newFlowsTable(out *table.Output, cols []int, _ *Options, _ *shared) flows.Subscriber {
	return &flowsTable{out: out, cols: cols}
}

func (f *flowsTable) Flow(row *flows.Row) {
	row.AppendTo(f.out.Batch(), f.cols)
	f.out.Added()
}

func (f *flowsTable) Finish() {}

func newDNS(out *flows.Output, _ *Options, sh *shared) flows.Plugin {
	p := dns.New(out)
	p.Names = sh.names
	return p
}

func newBeacons(out *table.Output, _ []int, o *Options, sh *shared) flows.Subscriber {
	s := beacons.New(out, cmp.Or(o.BeaconMinConns, beacons.DefaultMinConns))
	s.NTP, s.ByAddress = o.BeaconNTP, o.BeaconByAddress
	s.MaxPairs = cmp.Or(o.BeaconMaxPairs, beacons.DefaultMaxPairs)
	s.AllDestinations, s.Allow = o.BeaconAllDestinations, o.BeaconAllow
	return s
}

// subscriberStats adds what a subscriber counted, once it finished, to
// the run's stats.
func subscriberStats(st *Stats, s flows.Subscriber) {
	if b, ok := s.(*beacons.Scorer); ok {
		st.BeaconsUnrouted += b.Unrouted
		st.BeaconsAllowed += b.Allowed
		st.BeaconsNTP += b.TimeSync
		st.BeaconStrobes += b.Strobes
	}
}

// lookup returns the named table, or nil.
func lookup(name string) *tableDef {
	for _, t := range registry {
		if t.schema.Name == name {
			return t
		}
	}
	return nil
}

// Schema returns the named table's schema, or nil.
func Schema(name string) *table.Schema {
	if t := lookup(name); t != nil {
		return t.schema
	}
	return nil
}

// TableNames lists the tables, in documentation order.
func TableNames() []string {
	n := make([]string, len(registry))
	for i, t := range registry {
		n[i] = t.schema.Name
	}
	return n
}

// SchemaMarkdown documents every table (the content of docs/schema.md).
func SchemaMarkdown() string {
	s := "# Table schemas\n\n" +
		"Generated from the schema definitions by `go test -run TestSchemaDoc -update`; a test keeps it current.\n\n" +
		"Types map to each format as follows: unsigned integers stay unsigned (Parquet INT(n, unsigned), Arrow uint8..uint64, DuckDB UTINYINT..UBIGINT); " +
		"`timestamp[ns, UTC]` is Parquet TIMESTAMP(NANOS, isAdjustedToUTC) and Arrow timestamp[ns, tz=UTC] (DuckDB reads it as TIMESTAMP WITH TIME ZONE, in µs); " +
		"in CSV and JSONL it is fixed-width RFC 3339 with 9 fractional digits unless `--time-format` says otherwise. " +
		"Null is an empty field in CSV (an empty string is `\"\"`) and `null` in JSONL. " +
		"`list<T>` is a Parquet LIST of required T elements, an Arrow list of non-null T, a JSON array in JSONL, and the same JSON array as one quoted field in CSV " +
		"(an empty list is `[]`, a null list `null` in JSONL and an empty field in CSV).\n\n" +
		"Ids: `flow_id`, the key that joins packets, flows, dns, http and tls, is an unsigned integer below 2^53 in every format (a number in JSONL and CSV, " +
		"UBIGINT in Parquet and Arrow), so that jq, JavaScript, pandas, polars and DuckDB's CSV and JSON auto-detection read it exactly and join on it; " +
		"docs/flows.md says how it is made and what the 53 bits cost.\n\n"
	for _, t := range registry {
		s += t.schema.Markdown() + "\n"
	}
	return s
}
