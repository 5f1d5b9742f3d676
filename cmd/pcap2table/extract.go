package main

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/pcap2table/pcap2table"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// extractFlags are the flags of the extract command.
type extractFlags struct {
	// conv holds the flags shared with the conversion (the flow settings,
	// -j, --dedup, --zstd-max-window, --fsync, -q): its options() turns
	// them into the same flows.Config a conversion uses.
	conv    convertFlags
	output  string
	format  string
	flowIDs []string
	src     []string
	dst     []string
	host    []string
	srcPort []string
	dstPort []string
	port    []string
	proto   []string
	from    string
	to      string
}

// newExtractCmd is the extract command: the packets of chosen flows,
// back to a pcapng file for Wireshark.
func newExtractCmd(e *env) *cobra.Command {
	f := extractFlags{conv: convertDefaults()}
	c := &cobra.Command{
		Use:   "extract CAPTURE... -o OUT.pcapng (--flow-id ID[,ID...] | --src/--dst/--host/--src-port/--dst-port/--port/--proto/--from/--to)",
		Short: "Write the packets of chosen flows (by flow_id, or by a filter over the flows table) to pcapng for Wireshark",
		Long: `extract writes every packet of the chosen flows, both directions, byte for
byte with its original timestamp and interface, to a pcapng file (or pcap,
when they share a link type): from a row in DuckDB back to Wireshark.

A flow is chosen by its flow_id (--flow-id, as the packets and flows tables
write it), or by a filter over its row of the flows table: --src, --dst and
--host (src_ip, dst_ip, either; an address or a CIDR prefix), --src-port,
--dst-port and --port, --proto (tcp, udp, icmp, sctp, or an IP protocol
number), --from and --to (flows active in that time: ts_start before --to,
ts_end at or after --from). Each filter flag takes one or more values
(comma-separated or repeated), any of which matches; a flow matches the
filter when it matches every filter flag given. Flows given by id and those
the filter matches are all written. A filter reads the captures twice, so
it needs files, not stdin.

flow_id depends on the flow settings: give extract the same captures and
the same --tcp-idle, --udp-idle, --tcp-attempt, --active-timeout,
--max-flows, -j and --dedup as the conversion the ids come from (the
defaults match the conversion's defaults).

Exit codes: 0 ok, 1 error or no packet matched (nothing is written), 2
usage, 3 partial input, or a flow id matched no packet (a warning names
it; the output holds the others), 130 interrupted (the output holds what
was extracted). See docs/extract.md.`,
		Example: `  pcap2table extract dump.pcap --flow-id 4183572998741210 -o flow.pcapng
  pcap2table extract dump.pcap --flow-id "$(duckdb -list -noheader -c "SELECT string_agg(flow_id::VARCHAR, ',') FROM 'out/flows.parquet' WHERE dst_port = 443 AND orig_bytes > 1e6")" -o big-tls.pcapng
  pcap2table extract dump.pcap --host 10.0.0.7 --dst-port 53 --proto udp -o dns.pcapng
  pcap2table extract day/*.pcap.gz --src 10.1.0.0/16 --from 2024-01-02T03:00:00Z --to 2024-01-02T03:05:00Z -o window.pcapng
  pcap2table extract dump.pcap --flow-id 4183572998741210 -o - | wireshark -k -i -`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErr{errors.New("no capture given (use - for stdin)")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return extract(cmd, e, &f, args)
		},
	}
	c.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErr{err} })
	fl := c.Flags()
	fl.StringVarP(&f.output, "output", "o", "", "the file to write: .pcapng (or --format pcapng), or .pcap when the packets share a link type; '-': pcapng on stdout")
	fl.StringVar(&f.format, "format", "", "pcapng or pcap (default: from the extension of -o)")
	fl.StringSliceVar(&f.flowIDs, "flow-id", nil, "`ID`s of the flows to write (flow_id of the packets and flows tables); comma-separated or repeated")
	fl.StringSliceVar(&f.src, "src", nil, "filter: the originator's address (src_ip), an `ADDR` or CIDR prefix")
	fl.StringSliceVar(&f.dst, "dst", nil, "filter: the responder's address (dst_ip), an `ADDR` or CIDR prefix")
	fl.StringSliceVar(&f.host, "host", nil, "filter: either side's address, an `ADDR` or CIDR prefix")
	fl.StringSliceVar(&f.srcPort, "src-port", nil, "filter: the originator's `PORT` (src_port)")
	fl.StringSliceVar(&f.dstPort, "dst-port", nil, "filter: the responder's `PORT` (dst_port)")
	fl.StringSliceVar(&f.port, "port", nil, "filter: either side's `PORT`")
	fl.StringSliceVar(&f.proto, "proto", nil, "filter: the flows table's `PROTO` (tcp, udp, icmp, sctp, unknown_transport) or an IP protocol number")
	fl.StringVar(&f.from, "from", "", "filter: flows whose last packet (ts_end) is at or after `TIME` (RFC 3339, DuckDB's 2024-01-02 03:04:05.123+00, or epoch seconds; UTC unless it says)")
	fl.StringVar(&f.to, "to", "", "filter: flows that started (ts_start) before `TIME`")
	addSharedFlags(fl, &f.conv)
	return c
}

// addSharedFlags adds the conversion's flags that decide which flow a
// packet belongs to, and how the inputs and the output are handled, with
// the conversion's names, defaults and help (TestExtractSharedFlags keeps
// them so).
func addSharedFlags(fl *pflag.FlagSet, f *convertFlags) {
	addFlowFlags(fl, f)
	fl.IntVarP(&f.jobs, "jobs", "j", 0, "flow trackers working in parallel (default: one per core); flow ids are the same for any -j unless flows were evicted at --max-flows: then give the conversion's")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no summary and no warnings on stderr")
	fl.BoolVar(&f.fsync, "fsync", false, "fsync the output before renaming it into place (durable across a power loss; slower)")
}

// extract runs the extract command.
func extract(cmd *cobra.Command, e *env, f *extractFlags, args []string) error {
	co, err := f.conv.options(e)
	if err != nil {
		return err
	}
	sel, err := f.selection()
	if err != nil {
		return usageErr{err}
	}
	if f.output == "-" && e.isTerminal(e.stdout) {
		return usageErr{errors.New("refusing to write a capture to a terminal: use -o FILE.pcapng or redirect stdout")}
	}
	o := pcap2table.ExtractOptions{
		Output: f.output, Format: f.format, Flows: co.Flows, Jobs: co.Jobs,
		Dedup: co.Dedup, DedupWindow: co.DedupWindow, ZstdMaxWindow: co.ZstdMaxWindow, Filter: co.Filter,
		Stdin: e.stdin, Stdout: e.stdout, Fsync: co.Fsync,
		OnWarning: func(err error) {
			if !f.conv.quiet {
				e.warn(err.Error())
			}
		},
	}
	stopProgress := func(bool) {}
	if !f.conv.quiet && e.isTerminal(e.stderr) {
		o.Progress = &pcap2table.Progress{}
		stopProgress = showProgress(e.stderr, o.Progress)
	}
	start := time.Now()
	st, err := pcap2table.Extract(cmd.Context(), args, sel, o)
	stopProgress(err == nil || errors.Is(err, pcap2table.ErrPartial) || errors.Is(err, pcap2table.ErrFlowNotFound))
	wrote := st != nil && st.Packets > 0 && !errors.Is(err, pcap2table.ErrInterrupted)
	if wrote && !f.conv.quiet {
		fmt.Fprintln(e.stderr, extractSummary(st, time.Since(start)))
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, pcap2table.ErrInterrupted):
		if st != nil && st.Packets > 0 {
			return codeErr{exitInterrupted, "pcap2table: interrupted; the output holds the packets extracted"}
		}
		return codeErr{exitInterrupted, "pcap2table: interrupted; nothing written"}
	case wrote && (errors.Is(err, pcap2table.ErrFlowNotFound) || errors.Is(err, pcap2table.ErrPartial)):
		// The warnings were printed as they came, unless quiet.
		msg := ""
		if f.conv.quiet {
			msg = oneLine(err)
		}
		return codeErr{exitPartial, msg}
	}
	return err
}

// extractSummary is the line printed at the end of a run.
func extractSummary(st *pcap2table.ExtractStats, took time.Duration) string {
	s := fmt.Sprintf("pcap2table: wrote %s of %s (%s", count(st.Packets, "packet"), count(uint64(st.Flows), "flow"), sizeString(st.Bytes))
	if st.Format == "pcapng" {
		s += ", " + count(uint64(st.Interfaces), "interface")
	}
	s += ") to " + st.Output + "; read " + count(st.Read, "packet")
	if st.Duplicates > 0 {
		s += " (" + count(st.Duplicates, "duplicate") + " dropped)"
	}
	s += fmt.Sprintf(" in %.2f s", took.Seconds())
	if len(st.Missing) > 0 {
		s += "; " + count(uint64(len(st.Missing)), "flow id") + " given matched no packet"
	}
	return s
}

// selection turns the flags into the flows chosen.
func (f *extractFlags) selection() (pcap2table.Selection, error) {
	var sel pcap2table.Selection
	for _, s := range f.flowIDs {
		id, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return sel, fmt.Errorf("--flow-id %q is not a flow_id (an integer below 2^53)", s)
		}
		sel.FlowIDs = append(sel.FlowIDs, id)
	}
	var err error
	for _, p := range []struct {
		flag string
		in   []string
		out  *[]netip.Prefix
	}{{"--src", f.src, &sel.Src}, {"--dst", f.dst, &sel.Dst}, {"--host", f.host, &sel.Host}} {
		for _, s := range p.in {
			pfx, err := parsePrefix(strings.TrimSpace(s))
			if err != nil {
				return sel, fmt.Errorf("%s %q: want an IP address or a CIDR prefix (10.0.0.1, 10.0.0.0/8, 2001:db8::/32)", p.flag, s)
			}
			*p.out = append(*p.out, pfx)
		}
	}
	for _, p := range []struct {
		flag string
		in   []string
		out  *[]uint16
	}{{"--src-port", f.srcPort, &sel.SrcPort}, {"--dst-port", f.dstPort, &sel.DstPort}, {"--port", f.port, &sel.Port}} {
		for _, s := range p.in {
			n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 16)
			if err != nil {
				return sel, fmt.Errorf("%s %q: want a port number, 0 to 65535", p.flag, s)
			}
			*p.out = append(*p.out, uint16(n))
		}
	}
	for _, s := range f.proto {
		sel.Proto = append(sel.Proto, strings.ToLower(strings.TrimSpace(s)))
	}
	if sel.From, err = parseTime("--from", f.from); err != nil {
		return sel, err
	}
	if sel.To, err = parseTime("--to", f.to); err != nil {
		return sel, err
	}
	return sel, nil
}

// parsePrefix reads an address (a prefix of its full length) or a CIDR
// prefix.
func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// timeLayouts are the forms --from and --to read: RFC 3339 and DuckDB's
// (a space for the T, an offset of hours only), with or without a zone
// (UTC without), or a date; fractional seconds are optional in each.
var timeLayouts = []string{
	"2006-01-02T15:04:05Z07:00", "2006-01-02 15:04:05Z07:00",
	"2006-01-02T15:04:05Z07", "2006-01-02 15:04:05Z07",
	"2006-01-02T15:04:05Z0700", "2006-01-02 15:04:05Z0700",
	"2006-01-02T15:04:05", "2006-01-02 15:04:05",
	"2006-01-02",
}

var epochRE = regexp.MustCompile(`^([0-9]+)(?:\.([0-9]{1,9}))?$`)

// parseTime reads the time of --from or --to ("" is the zero time).
func parseTime(flag, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if m := epochRE.FindStringSubmatch(s); m != nil {
		sec, err1 := strconv.ParseInt(m[1], 10, 64)
		ns, err2 := strconv.ParseInt((m[2] + "000000000")[:9], 10, 64)
		if err1 == nil && err2 == nil {
			return time.Unix(sec, ns).UTC(), nil
		}
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%s %q: want a time such as 2024-01-02T03:04:05Z, 2024-01-02 03:04:05.123+00 (as DuckDB prints it) or epoch seconds 1704164645.123", flag, s)
}
