package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pcap2table/pcap2table"
	"github.com/pcap2table/pcap2table/flows"
)

// warn prints a warning: one line.
func (e *env) warn(msg string) {
	fmt.Fprintf(e.stderr, "pcap2table: warning: %s\n", strings.ReplaceAll(msg, "\n", "; "))
}

// warnBounds says which of the memory bounds were reached: they are not
// errors, but the user should know what they changed.
func warnBounds(e *env, st *pcap2table.Stats, f *convertFlags) {
	if st.FlowsEvicted > 0 {
		e.warn(fmt.Sprintf("%s ended early (end_reason evicted) to keep at most %d flows live (see --max-flows)",
			count(st.FlowsEvicted, "flow"), f.maxFlows))
	}
	const gaveUp = "TCP streams gave up waiting for lost segments "
	if n := st.ReassemblyFlowCapHits; n > 0 {
		e.warn(gaveUp + times(n) + ": a flow held more than --reassembly-flow-cap (" + sizeString(int64(f.rFlowCap)) + ") behind its holes")
	}
	if n := st.ReassemblyTotalCapHits; n > 0 {
		e.warn(gaveUp + times(n) + ": all flows together held more than --reassembly-cap (" + sizeString(int64(f.rCap)) + ") behind their holes")
	}
	if n := st.ReassemblyHoleHits; n > 0 {
		e.warn(gaveUp + times(n) + ": a direction had more than " + strconv.Itoa(flows.MaxHoles) +
			" out-of-order pieces beyond its holes (a fixed bound: the holes before them count as missed bytes)")
	}
	if n := st.FragmentsUnassigned; n == 1 {
		e.warn("1 IP fragment belongs to no flow: its datagram's first fragment never came (see --frag-timeout, --frag-cap)")
	} else if n > 1 {
		e.warn(fmt.Sprintf("%d IP fragments belong to no flow: their datagrams' first fragments never came (see --frag-timeout, --frag-cap)", n))
	}
}

// summary is the line printed at the end of a run: what was read, what
// was written, how long it took.
func summary(st *pcap2table.Stats, took time.Duration) string {
	var b strings.Builder
	b.WriteString("pcap2table: " + count(st.Total.Packets, "packet"))
	read, skipped := uint64(0), uint64(0)
	for _, f := range st.Files {
		if f.Format == "" {
			skipped++ // not a capture
		} else {
			read++
		}
	}
	if read > 1 || skipped > 0 {
		b.WriteString(" from " + count(read, "file"))
	}
	if skipped > 0 {
		fmt.Fprintf(&b, " (%d skipped)", skipped)
	}
	if n := st.Total.Filtered; n > 0 {
		b.WriteString(" (" + count(n, "packet") + " filtered out)")
	}
	if d := st.Total.Duplicates; d > 0 {
		b.WriteString(" (" + count(d, "duplicate") + " dropped)")
	}
	if st.Flows > 0 {
		b.WriteString(", " + count(st.Flows, "flow"))
	}
	fmt.Fprintf(&b, " in %.2f s", took.Seconds())
	var bytes int64
	var rows []string
	where := ""
	for _, t := range st.Tables {
		rows = append(rows, t.Name+" "+count(t.Rows, "row"))
		bytes += t.Bytes
		where = t.Output
	}
	if len(rows) > 0 {
		if len(st.Tables) > 1 {
			where = commonDir(st.Tables)
		}
		fmt.Fprintf(&b, "; wrote %s (%s) to %s", strings.Join(rows, ", "), sizeString(bytes), where)
	}
	b.WriteString(beaconSummary(st))
	errs := uint64(0)
	for _, n := range st.Total.DecodeErrs {
		errs += n
	}
	if errs > 0 {
		b.WriteString("; " + count(errs, "packet") + " with a decode error (see pcap2table stats)")
	}
	return b.String()
}

// beaconSummary is what the beacons table left out or did not score:
// "; beacons: 3 pairs to never-routed destinations left out
// (--beacon-all-destinations), 2 allow-listed, 1 strobe unscored"; "" when
// nothing.
func beaconSummary(st *pcap2table.Stats) string {
	var parts []string
	if n := st.BeaconsUnrouted; n > 0 {
		parts = append(parts, count(n, "pair")+" to never-routed destinations left out (--beacon-all-destinations)")
	}
	if n := st.BeaconsNTP; n > 0 {
		parts = append(parts, count(n, "NTP pair")+" left out (--beacon-ntp)")
	}
	if n := st.BeaconsAllowed; n > 0 {
		parts = append(parts, count(n, "pair")+" allow-listed left out")
	}
	if n := st.BeaconStrobes; n > 0 {
		parts = append(parts, count(n, "strobe")+" unscored")
	}
	if len(parts) == 0 {
		return ""
	}
	return "; beacons: " + strings.Join(parts, ", ")
}

// commonDir is the folder the tables were written to.
func commonDir(ts []pcap2table.TableStats) string {
	dir := ts[0].Output
	if i := strings.LastIndexByte(dir, '/'); i >= 0 {
		dir = dir[:i+1]
	}
	return dir
}

// count is "1 packet", "2 packets".
func count(n uint64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.FormatUint(n, 10) + " " + noun + "s"
}

// times is "once", "twice", "3 times".
func times(n uint64) string {
	switch n {
	case 1:
		return "once"
	case 2:
		return "twice"
	}
	return strconv.FormatUint(n, 10) + " times"
}

// sizeString is a number of bytes for people: "512 B", "1.5 KiB", "3.2 GiB".
func sizeString(n int64) string {
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	f, unit := float64(n)/1024, "KiB"
	for _, u := range []string{"MiB", "GiB", "TiB"} {
		if f < 1024 {
			break
		}
		f, unit = f/1024, u
	}
	return strconv.FormatFloat(f, 'f', 1, 64) + " " + unit
}
