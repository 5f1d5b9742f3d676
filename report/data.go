package report

import (
	"cmp"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/pcap2table/pcap2table"
)

// Data is what the page shows, gathered from a conversion's stats and
// tables. Every string in it may come from a capture: the template
// escapes them all.
type Data struct {
	Title   string
	Version string
	Files   []FileRow
	Total   FileRow
	Flows   uint64
	// Partial says why the tables may be incomplete (an input cut short,
	// the run interrupted); "" when they are whole.
	Partial  string
	Hosts    []HostRow
	Services []ServiceRow
	// BytesChart and FlowsChart are the timeline: bytes (each flow's
	// spread evenly over its duration) and flow starts per bin.
	BytesChart *Chart
	FlowsChart *Chart
	// BeaconCols are the columns of the beacons table shown, in order.
	BeaconCols []string
	Beacons    []BeaconRow
	// BeaconRows is the number of rows of the beacons table.
	BeaconRows  int
	DNSNames    []CountRow
	TLSNames    []CountRow
	HTTPHosts   []CountRow
	UserAgents  []CountRow
	DNSRows     int
	TLSRows     int
	HTTPRows    int
	HasTimeline bool
}

// FileRow is the summary of one input, or of all.
type FileRow struct {
	Name         string
	Format       string
	Packets      uint64
	WireBytes    uint64
	CapBytes     uint64
	First, Last  string // "" without timestamps
	Duration     string
	DecodeErrors uint64
	Error        string
}

// HostRow is a host's traffic: bytes are IP bytes, sent as originator or
// responder.
type HostRow struct {
	Host           string
	Sent, Received uint64
	Flows          uint64
}

// Total is the bytes sent and received.
func (h HostRow) Total() uint64 { return h.Sent + h.Received }

// ServiceRow is the traffic of a service: the flows table's service, else
// the protocol and responder port.
type ServiceRow struct {
	Service string
	Proto   string
	Port    string
	Flows   uint64
	Bytes   uint64
}

// CountRow is a value and how often it was seen.
type CountRow struct {
	Value string
	Count uint64
}

// BeaconRow is a row of the beacons table with the histogram of the
// gaps between its call-outs (Of says what they are; "" when no table
// lists them: bursts inside a session) and Kind, its callout_kind.
type BeaconRow struct {
	Cells []Cell
	Kind  string
	Of    string
	Gaps  int
	Hist  *Chart
	key   pairKey
}

// Cell is a table cell and its CSS class: "n" for a number, "w" for
// text that wraps.
type Cell struct {
	Text, Class string
}

// pairKey names a beacons row and the flows it counts.
type pairKey struct {
	src, dst, proto string
	port            uint16
}

// fileRow summarizes a FileStats.
func fileRow(f *pcap2table.FileStats) FileRow {
	r := FileRow{
		Name: f.Name, Format: f.Format, Packets: f.Packets,
		WireBytes: f.WireBytes, CapBytes: f.CapBytes, Error: f.Error,
	}
	if f.Detail != "" {
		r.Format += " (" + f.Detail + ")"
	}
	if f.Packets > f.NoTimestamp+f.TimeOutOfRange {
		r.First, r.Last = fmtTime(f.Earliest), fmtTime(f.Latest)
		r.Duration = strconv.FormatFloat(float64(f.Latest-f.Earliest)/1e9, 'f', 3, 64) + " s"
	}
	for _, n := range f.DecodeErrs {
		r.DecodeErrors += n
	}
	return r
}

// title is the default title: the names of the captures.
func title(inputs []string) string {
	var names []string
	for i, in := range inputs {
		if i == 3 {
			names = append(names, "and "+strconv.Itoa(len(inputs)-3)+" more")
			break
		}
		names = append(names, filepath.Base(in))
	}
	return "pcap2table report: " + strings.Join(names, ", ")
}

// counter counts strings.
type counter map[string]uint64

// top is the n most frequent values, ties in value order.
func (c counter) top(n int) []CountRow {
	rows := make([]CountRow, 0, len(c))
	for v, k := range c {
		rows = append(rows, CountRow{v, k})
	}
	slices.SortFunc(rows, func(a, b CountRow) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Value, b.Value))
	})
	return rows[:min(n, len(rows))]
}

// topHosts is the n hosts with the most bytes.
func topHosts(m map[string]*HostRow, n int) []HostRow {
	rows := make([]HostRow, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		rows = append(rows, *m[k])
	}
	slices.SortStableFunc(rows, func(a, b HostRow) int {
		return cmp.Or(cmp.Compare(b.Total(), a.Total()), cmp.Compare(b.Flows, a.Flows))
	})
	return rows[:min(n, len(rows))]
}

// topServices is the n services with the most bytes.
func topServices(m map[ServiceRow]*ServiceRow, n int) []ServiceRow {
	rows := make([]ServiceRow, 0, len(m))
	for _, r := range m {
		rows = append(rows, *r)
	}
	slices.SortFunc(rows, func(a, b ServiceRow) int {
		return cmp.Or(cmp.Compare(b.Bytes, a.Bytes), cmp.Compare(b.Flows, a.Flows),
			cmp.Compare(a.Service, b.Service), cmp.Compare(a.Proto, b.Proto), cmp.Compare(a.Port, b.Port))
	})
	return rows[:min(n, len(rows))]
}
