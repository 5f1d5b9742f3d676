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

// tables lists every table the tool can write, in documentation order.
var tables = []*table.Schema{parsers.Schema, flows.Schema, dns.Schema, http.Schema, tls.Schema, beacons.Schema}

// protocols are the plugin tables: the one list of plugins, in the order
// they are registered with the tracker (the order of their hooks' calls
// and of the flows table's service names). A plugin is made only when its
// table is written.
var protocols = []struct {
	schema *table.Schema
	new    func(out *flows.Output, o *Options) flows.Plugin
}{
	{dns.Schema, func(out *flows.Output, _ *Options) flows.Plugin { return dns.New(out) }},
	{http.Schema, func(out *flows.Output, _ *Options) flows.Plugin { return http.New(out) }},
	{tls.Schema, func(out *flows.Output, _ *Options) flows.Plugin { return tls.New(out) }},
	{beacons.Schema, func(out *flows.Output, o *Options) flows.Plugin {
		p := beacons.New(out, cmp.Or(o.BeaconMinConns, beacons.DefaultMinConns))
		p.MaxPairs = cmp.Or(o.BeaconMaxPairs, beacons.DefaultMaxPairs)
		return p
	}},
}

// Schema returns the named table's schema, or nil.
func Schema(name string) *table.Schema {
	for _, s := range tables {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// TableNames lists the tables.
func TableNames() []string {
	n := make([]string, len(tables))
	for i, s := range tables {
		n[i] = s.Name
	}
	return n
}

// Tables returns every table schema.
func Tables() []*table.Schema { return tables }

// SchemaMarkdown documents every table (the content of docs/schema.md).
func SchemaMarkdown() string {
	s := "# Table schemas\n\n" +
		"Generated from the schema definitions by `go test -run TestSchemaDoc -update`; a test keeps it current.\n\n" +
		"Types map to each format as follows: unsigned integers stay unsigned (Parquet INT(n, unsigned), Arrow uint8..uint64, DuckDB UTINYINT..UBIGINT); " +
		"`timestamp[ns, UTC]` is Parquet TIMESTAMP(NANOS, isAdjustedToUTC) and Arrow timestamp[ns, tz=UTC] (DuckDB reads it as TIMESTAMP WITH TIME ZONE, in µs); " +
		"in CSV and JSONL it is fixed-width RFC 3339 with 9 fractional digits unless `--time-format` says otherwise. " +
		"Null is an empty field in CSV (an empty string is `\"\"`) and `null` in JSONL. " +
		"`list<T>` is a Parquet LIST of required T elements, an Arrow list of non-null T, a JSON array in JSONL, and the same JSON array as one quoted field in CSV " +
		"(an empty list is `[]`, a null list `null` in JSONL and an empty field in CSV).\n\n"
	for _, t := range tables {
		s += t.Markdown() + "\n"
	}
	return s
}
