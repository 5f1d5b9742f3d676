package report

import (
	"cmp"
	"github.com/pcap2table/pcap2table/beacons"

	"github.com/apache/arrow-go/v18/arrow"
	"slices"
	"strconv"
	"strings"
)

// beaconCols are the columns of the beacons table the page shows, those
// present, in this order; columns with "score" in their name (sub-scores)
// follow score.
var beaconCols = []string{"src_ip", "dst_ip", "dst_name", "dst_port", "proto", "connections", "callouts", "callout_kind", "interval_median", "period", "score"}

// beaconTail are shown last, when present.
var beaconTail = []string{"strobe", "why"}

// pickBeaconCols picks the columns to show among those of the table.
func pickBeaconCols(names []string) []string {
	var out []string
	for _, c := range beaconCols {
		if slices.Contains(names, c) {
			out = append(out, c)
		}
	}
	for _, c := range names {
		if c != "score" && strings.Contains(c, "score") && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	for _, c := range beaconTail {
		if slices.Contains(names, c) {
			out = append(out, c)
		}
	}
	return out
}

// cellClass is the CSS class of column c's cells.
func cellClass(b *batch, c string) string {
	switch b.cols[c].DataType().ID() {
	case arrow.STRING, arrow.LIST:
		if c == "why" {
			return "w"
		}
		return ""
	case arrow.BOOL, arrow.TIMESTAMP:
		return ""
	}
	return "n"
}

// readBeacons keeps the n rows with the highest score.
func (d *Data) readBeacons(path string, n int) error {
	type scored struct {
		row   BeaconRow
		score float64
	}
	var rows []scored
	err := eachBatch(path, func(b *batch) {
		if d.BeaconCols == nil {
			d.BeaconCols = pickBeaconCols(b.names)
		}
		for i := 0; i < b.n; i++ {
			r := BeaconRow{key: pairKey{src: b.str("src_ip", i), dst: destination(b, i), proto: b.str("proto", i)}, Kind: b.str("callout_kind", i)}
			r.Of = calloutsOf(r.Kind)
			port, _ := b.num("dst_port", i)
			r.key.port = uint16(port)
			for _, c := range d.BeaconCols {
				r.Cells = append(r.Cells, Cell{b.text(c, i), cellClass(b, c)})
			}
			s, _ := b.num("score", i)
			rows = append(rows, scored{r, s})
		}
	})
	d.BeaconRows = len(rows)
	slices.SortStableFunc(rows, func(a, b scored) int { return cmp.Compare(b.score, a.score) })
	for _, r := range rows[:min(n, len(rows))] {
		d.Beacons = append(d.Beacons, r.row)
	}
	return err
}

// What a beacon's histogram is of (BeaconRow.Of).
const (
	ofConnections            = "connection starts"
	ofRequests               = "HTTP requests"
	ofRequestsAndConnections = "HTTP requests and connection starts"
	ofQueries                = "DNS queries"
)

// calloutsOf says where a beacon's call-outs of the kinds of its
// callout_kind (comma-separated) are listed: the flows table's starts,
// the http table's requests (and the starts of its flows without any),
// the dns table's queries; "" when a kind is listed nowhere (bursts).
func calloutsOf(kinds string) string {
	has := func(k string) bool { return slices.Contains(strings.Split(kinds, ","), k) }
	switch {
	case has("bursts"):
		return ""
	case has("queries"):
		return ofQueries
	case has("requests") && has("connections"):
		return ofRequestsAndConnections
	case has("requests"):
		return ofRequests
	}
	return ofConnections // "connections", or a table from before callout_kind
}

// flowAgg gathers what the page shows of the flows table.
type flowAgg struct {
	hosts    map[string]*HostRow
	services map[ServiceRow]*ServiceRow
	tl       *timeline
	// starts are the call-outs of the beacons shown: their connection
	// starts, or their HTTP requests (the flows ids of those beacons'
	// flows: ids) or their DNS queries (queries: the beacons of those).
	starts  map[pairKey][]int64
	ids     map[uint64]idStart
	wantIDs map[pairKey]bool
	queries map[pairKey]bool
}

// idStart is a flow's beacon and start, until its requests are read.
type idStart struct {
	pk       pairKey
	start    int64
	requests bool
}

// readFlows reads the flows table (and the http and dns tables for the
// call-outs inside connections): top talkers, services, the timeline and
// the call-outs of the beacons shown.
func (d *Data) readFlows(path, httpPath, dnsPath string, o *Options, t0, t1 int64) error {
	a := &flowAgg{
		hosts:    map[string]*HostRow{},
		services: map[ServiceRow]*ServiceRow{},
		starts:   map[pairKey][]int64{},
		ids:      map[uint64]idStart{},
		wantIDs:  map[pairKey]bool{},
		queries:  map[pairKey]bool{},
	}
	if t1 >= t0 && d.Total.First != "" {
		a.tl = newTimeline(t0, t1, o.bins())
	}
	for _, b := range d.Beacons {
		switch b.Of {
		case ofConnections:
			a.starts[b.key] = nil
		case ofRequests, ofRequestsAndConnections:
			a.wantIDs[b.key] = true
		case ofQueries:
			a.queries[b.key] = true
		}
	}
	err := eachBatch(path, func(b *batch) {
		for i := 0; i < b.n; i++ {
			a.add(b, i)
		}
	})
	if err == nil {
		err = a.callouts(httpPath, dnsPath)
	}
	d.Hosts = topHosts(a.hosts, o.top())
	d.Services = topServices(a.services, o.top())
	if a.tl != nil {
		d.HasTimeline = true
		d.BytesChart, d.FlowsChart = a.tl.charts()
	}
	for i := range d.Beacons {
		b := &d.Beacons[i]
		gaps := intervals(a.starts[b.key])
		b.Gaps = len(gaps)
		b.Hist = histogram(gaps)
	}
	return err
}

// add counts flow row i.
func (a *flowAgg) add(b *batch, i int) {
	src, dst, proto := b.str("src_ip", i), b.str("dst_ip", i), b.str("proto", i)
	ob, _ := b.num("orig_ip_bytes", i)
	rb, _ := b.num("resp_ip_bytes", i)
	host := func(h string) *HostRow {
		r := a.hosts[h]
		if r == nil {
			r = &HostRow{Host: h}
			a.hosts[h] = r
		}
		r.Flows++
		return r
	}
	s := host(src)
	s.Sent += uint64(ob)
	s.Received += uint64(rb)
	if dst != src {
		r := host(dst)
		r.Sent += uint64(rb)
		r.Received += uint64(ob)
	}
	port, hasPort := b.num("dst_port", i)
	k := ServiceRow{Service: b.str("service", i), Proto: proto}
	if hasPort {
		k.Port = strconv.Itoa(int(port))
	}
	sv := a.services[k]
	if sv == nil {
		sv = &k
		a.services[k] = sv
	}
	sv.Flows++
	sv.Bytes += uint64(ob + rb)
	start, ok := b.ts("ts_start", i)
	if !ok {
		return
	}
	end, _ := b.ts("ts_end", i)
	if a.tl != nil {
		a.tl.add(start, max(end, start), ob+rb)
	}
	pk := pairKey{src, destination(b, i), proto, uint16(port)}
	if st, ok := a.starts[pk]; ok {
		a.starts[pk] = append(st, start)
	}
	if id, ok := b.num("flow_id", i); ok && a.wantIDs[pk] {
		a.ids[uint64(id)] = idStart{pk: pk, start: start}
	}
}

// callouts adds the HTTP requests of the flows in ids (or their start,
// for a flow without any) and the DNS queries of the beacons in queries
// to their call-outs, as the beacons table counts them (docs/beacons.md,
// "Call-outs").
func (a *flowAgg) callouts(httpPath, dnsPath string) error {
	if len(a.ids) > 0 {
		err := eachBatch(httpPath, func(b *batch) {
			for i := 0; i < b.n; i++ {
				id, _ := b.num("flow_id", i)
				f, ok := a.ids[uint64(id)]
				if ts, has := b.ts("ts", i); ok && has && b.str("method", i) != "" {
					a.starts[f.pk] = append(a.starts[f.pk], ts)
					f.requests = true
					a.ids[uint64(id)] = f
				}
			}
		})
		if err != nil {
			return err
		}
		for _, f := range a.ids {
			if !f.requests {
				a.starts[f.pk] = append(a.starts[f.pk], f.start)
			}
		}
	}
	if len(a.queries) == 0 {
		return nil
	}
	return eachBatch(dnsPath, func(b *batch) {
		for i := 0; i < b.n; i++ {
			port, _ := b.num("dst_port", i)
			pk := pairKey{b.str("src_ip", i), "name " + beacons.QueryDomain(b.str("query", i)), b.str("proto", i), uint16(port)}
			if ts, ok := b.ts("ts", i); ok && a.queries[pk] && b.str("status", i) != "unsolicited" {
				a.starts[pk] = append(a.starts[pk], ts)
			}
		}
	})
}

// destination is row i's key for the beacons table: its dst_name (as the
// flows and beacons tables both have it), else its dst_ip.
func destination(b *batch, i int) string {
	if n := b.str("dst_name", i); n != "" {
		return "name " + n
	}
	return b.str("dst_ip", i)
}

// readCounts counts the non-empty values of a column of a table, and
// returns the table's rows.
func readCounts(path string, cols ...string) ([]counter, int, error) {
	cs := make([]counter, len(cols))
	for i := range cs {
		cs[i] = counter{}
	}
	rows := 0
	err := eachBatch(path, func(b *batch) {
		rows += b.n
		for i := 0; i < b.n; i++ {
			for j, c := range cols {
				if v := b.str(c, i); v != "" {
					cs[j][v]++
				}
			}
		}
	})
	return cs, rows, err
}

// intervals are the gaps in seconds between the sorted starts.
func intervals(starts []int64) []float64 {
	slices.Sort(starts)
	var gaps []float64
	for i := 1; i < len(starts); i++ {
		gaps = append(gaps, float64(starts[i]-starts[i-1])/1e9)
	}
	return gaps
}
