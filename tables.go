package pcap2table

import (
	"github.com/pcap2table/pcap2table/parsers"
	"github.com/pcap2table/pcap2table/table"
)

// tables lists every table the tool can write, in documentation order.
var tables = []*table.Schema{parsers.PacketsSchema}

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
