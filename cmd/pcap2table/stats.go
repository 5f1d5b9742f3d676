package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/pcap2table/pcap2table"
	"github.com/spf13/cobra"
)

func newStatsCmd(e *env) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "stats CAPTURE...",
		Short: "Summarize captures (like capinfos): format, link types, packets, time span, bytes, decode errors",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErr{errors.New("no capture given")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := pcap2table.Scan(cmd.Context(), args, pcap2table.Options{Stdin: e.stdin})
			if st == nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				if jerr := enc.Encode(st); jerr != nil {
					return jerr
				}
			} else {
				for _, f := range st.Files {
					printStats(e.stdout, f)
				}
				if len(st.Files) > 1 {
					printStats(e.stdout, &st.Total)
				}
			}
			switch {
			case err == nil:
				return nil
			case errors.Is(err, pcap2table.ErrPartial):
				return codeErr{exitPartial, oneLine(err)}
			case errors.Is(err, pcap2table.ErrInterrupted):
				return codeErr{exitInterrupted, ""}
			}
			return err
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func fmtTS(ns int64) string {
	return time.Unix(0, ns).UTC().Format("2006-01-02T15:04:05.000000000Z07:00")
}

func printStats(w io.Writer, f *pcap2table.FileStats) {
	fmt.Fprintf(w, "%s\n", f.Name)
	if f.Format != "" {
		comp := ""
		if len(f.Compression) > 0 {
			comp = " in " + strings.Join(f.Compression, " in ")
		}
		fmt.Fprintf(w, "  format:               %s (%s)%s\n", f.Format, f.Detail, comp)
	}
	fmt.Fprintf(w, "  link types:           %s\n", strings.Join(f.LinkTypes, ", "))
	fmt.Fprintf(w, "  packets:              %d\n", f.Packets)
	if f.Packets > f.NoTimestamp+f.TimeOutOfRange {
		fmt.Fprintf(w, "  earliest packet:      %s\n", fmtTS(f.Earliest))
		fmt.Fprintf(w, "  latest packet:        %s\n", fmtTS(f.Latest))
		fmt.Fprintf(w, "  duration:             %.9f s\n", float64(f.Latest-f.Earliest)/1e9)
	}
	if f.NoTimestamp > 0 {
		fmt.Fprintf(w, "  without timestamp:    %d packets (pcapng simple packet blocks)\n", f.NoTimestamp)
	}
	if f.TimeOutOfRange > 0 {
		fmt.Fprintf(w, "  time out of range:    %d packets (before 1677-09-21 or after 2262-04-11; the first is frame %d)\n", f.TimeOutOfRange, f.BadTimeFrame)
	}
	if f.Empty > 0 {
		fmt.Fprintf(w, "  empty records:        %d (caplen and length 0; the first at offset %d)\n", f.Empty, f.EmptyOffset)
	}
	fmt.Fprintf(w, "  bytes on the wire:    %d\n", f.WireBytes)
	fmt.Fprintf(w, "  bytes captured:       %d", f.CapBytes)
	if f.CapBytes < f.WireBytes {
		fmt.Fprintf(w, " (%d short: packets cut by the snaplen)", f.WireBytes-f.CapBytes)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  caplen < length:      %d packets\n", f.Truncated)
	if f.Filtered > 0 {
		fmt.Fprintf(w, "  filtered out:         %d (--filter)\n", f.Filtered)
	}
	if f.Duplicates > 0 {
		fmt.Fprintf(w, "  duplicates dropped:   %d (--dedup)\n", f.Duplicates)
	}
	fmt.Fprintf(w, "  timestamps backwards: %d\n", f.Backwards)
	var nerr uint64
	for _, v := range f.DecodeErrs {
		nerr += v
	}
	fmt.Fprintf(w, "  decode errors:        %d\n", nerr)
	for _, k := range slices.Sorted(maps.Keys(f.DecodeErrs)) {
		fmt.Fprintf(w, "    %-30s %d\n", k, f.DecodeErrs[k])
	}
	if f.Error != "" {
		fmt.Fprintf(w, "  stopped early:        %s\n", f.Error)
	}
}
