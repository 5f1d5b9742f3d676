package pcap2table

import (
	"sort"
	"strconv"
	"sync/atomic"

	"github.com/gopacket/gopacket/layers"
	"github.com/pcap2table/pcap2table/parsers"
	"github.com/pcap2table/pcap2table/parsers/capture"
)

// Progress counts what was read so far; fields are updated atomically.
type Progress struct {
	BytesRead  atomic.Int64 // bytes of input files read (compressed size)
	BytesTotal atomic.Int64 // total size of the input files, 0 if unknown
	Packets    atomic.Int64
}

// FileStats summarizes one input.
type FileStats struct {
	Name        string   `json:"file"`
	Format      string   `json:"format"`
	Detail      string   `json:"detail"`
	Compression []string `json:"compression,omitempty"`
	LinkTypes   []string `json:"link_types"`
	SnapLen     uint32   `json:"snaplen"`
	Packets     uint64   `json:"packets"`
	FirstTS     int64    `json:"first_ts_ns"`    // of the first packet with a timestamp
	LastTS      int64    `json:"last_ts_ns"`     // of the last one
	Earliest    int64    `json:"earliest_ts_ns"` // differs from FirstTS when time goes backwards
	Latest      int64    `json:"latest_ts_ns"`
	NoTimestamp uint64   `json:"packets_without_timestamp"`
	// TimeOutOfRange counts the packets whose timestamps lie outside what
	// timestamp[ns] holds (their ts is null); BadTimeFrame and
	// BadTimeOffset locate the first.
	TimeOutOfRange uint64 `json:"timestamps_out_of_range,omitempty"`
	BadTimeFrame   uint64 `json:"first_out_of_range_frame,omitempty"`
	BadTimeOffset  int64  `json:"first_out_of_range_offset,omitempty"`
	// Empty counts the records of no bytes at all (caplen and length 0),
	// such as a file filled with zeros past its end; EmptyOffset is the
	// first's.
	Empty       uint64 `json:"records_empty,omitempty"`
	EmptyOffset int64  `json:"first_empty_offset,omitempty"`
	WireBytes   uint64 `json:"bytes_on_wire"`
	CapBytes    uint64 `json:"bytes_captured"`
	Truncated   uint64 `json:"packets_truncated"` // caplen < length
	// Duplicates counts the copies dropped (Options.Dedup): they are in
	// no table and in none of the counts above.
	Duplicates uint64 `json:"duplicates_dropped,omitempty"`
	// Filtered counts the packets Options.Filter left out: they are in
	// no table and in none of the counts above but Duplicates.
	Filtered    uint64            `json:"packets_filtered_out,omitempty"`
	Backwards   uint64            `json:"timestamps_backwards"`
	DecodeErrs  map[string]uint64 `json:"decode_errors"`
	Error       string            `json:"error,omitempty"` // why the file stopped early
	ErrorOffset int64             `json:"error_offset,omitempty"`
}

// Stats is what Convert and Scan saw.
type Stats struct {
	Files []*FileStats `json:"files"`
	Total FileStats    `json:"total"`
	Rows  uint64       `json:"rows_written"`
	// Flows is the number of flows tracked (when a flows table or the
	// packets' flow columns were written).
	Flows uint64 `json:"flows,omitempty"`
	// PeakFlows is the most flows live at once (what memory holds).
	PeakFlows uint64 `json:"peak_live_flows,omitempty"`
	// FlowsEvicted counts the flows ended early at the bound of live flows
	// (flows.Config.MaxFlows).
	FlowsEvicted uint64 `json:"flows_evicted,omitempty"`
	// FlowsInterim counts the interim rows of flows that went on
	// (flows.Config.Interim).
	FlowsInterim uint64 `json:"flows_interim_rows,omitempty"`
	// The times a TCP stream gave up waiting for lost segments at a
	// reassembly bound: the bytes one flow may hold behind holes
	// (flows.Config.ReassemblyFlowCap), those all flows may hold
	// (ReassemblyCap), and the holes of one direction (flows.MaxHoles).
	ReassemblyFlowCapHits  uint64 `json:"reassembly_flow_cap_hits,omitempty"`
	ReassemblyTotalCapHits uint64 `json:"reassembly_total_cap_hits,omitempty"`
	ReassemblyHoleHits     uint64 `json:"reassembly_hole_hits,omitempty"`
	// Datagrams counts the IP datagrams reassembled from fragments,
	// DatagramsIncomplete those given up incomplete (timeout, cap, end of
	// input), and FragmentsUnassigned the fragments of incomplete
	// datagrams whose first fragment never came (they count in no flow).
	Datagrams           uint64 `json:"datagrams_reassembled,omitempty"`
	DatagramsIncomplete uint64 `json:"datagrams_incomplete,omitempty"`
	FragmentsUnassigned uint64 `json:"fragments_unassigned,omitempty"`
	// PluginPanics counts, by table, the protocol plugins' hook calls
	// that failed (a plugin bug; the flow's other rows and every other
	// flow were kept).
	PluginPanics map[string]uint64 `json:"plugin_panics,omitempty"`
	// BeaconsUnrouted and BeaconsAllowed count the pairs with enough
	// connections for a row of the beacons table that were left out: to
	// a destination never routed (Options.BeaconAllDestinations brings
	// them back), or to one of Options.BeaconAllow. BeaconStrobes counts
	// the strobes, written unscored.
	BeaconsUnrouted uint64 `json:"beacons_unrouted,omitempty"`
	BeaconsAllowed  uint64 `json:"beacons_allowed,omitempty"`
	// BeaconsNTP counts the NTP pairs left out (Options.BeaconNTP).
	BeaconsNTP    uint64 `json:"beacons_ntp,omitempty"`
	BeaconStrobes uint64 `json:"beacon_strobes,omitempty"`
	// Tables is what was written, by table (Convert).
	Tables []TableStats `json:"tables,omitempty"`
}

// TableStats is what was written of one table.
type TableStats struct {
	Name   string `json:"table"`
	Output string `json:"output"` // the file or folder written, as the user named it; "stdout"
	Rows   uint64 `json:"rows"`
	Bytes  int64  `json:"bytes"` // the bytes of the output's files (or written to stdout)
}

// linkTypeName names a link type for stats.
func linkTypeName(t layers.LinkType) string {
	n := strconv.Itoa(int(t))
	switch t {
	case 12, 14:
		return "Raw IP (" + n + ")"
	case 50:
		return "PPP in HDLC (" + n + ")"
	case 51:
		return "PPPoE (" + n + ")"
	}
	// LinkTypeMetadata is a fixed-size array: index it only within bounds.
	if int(t) < len(layers.LinkTypeMetadata) && layers.LinkTypeMetadata[t].Name != "" {
		return layers.LinkTypeMetadata[t].Name + " (" + n + ")"
	}
	return "unknown (" + n + ")"
}

func (s *Stats) totalPackets() uint64 {
	n := uint64(0)
	for _, f := range s.Files {
		n += f.Packets
	}
	return n
}

// timed is the number of packets with a timestamp.
func (fs *FileStats) timed() uint64 { return fs.Packets - fs.NoTimestamp - fs.TimeOutOfRange }

func (fs *FileStats) count(p *capture.Packet, r *parsers.PacketRow, lastTS []int64) {
	fs.Packets++
	switch {
	case p.NoTimestamp:
		fs.NoTimestamp++
	case p.TimeOutOfRange:
		if fs.TimeOutOfRange == 0 {
			fs.BadTimeFrame, fs.BadTimeOffset = p.Frame, p.Offset
		}
		fs.TimeOutOfRange++
	default:
		if fs.timed() == 1 {
			fs.FirstTS, fs.Earliest, fs.Latest = p.Timestamp, p.Timestamp, p.Timestamp
		}
		fs.LastTS = p.Timestamp
		fs.Earliest = min(fs.Earliest, p.Timestamp)
		fs.Latest = max(fs.Latest, p.Timestamp)
		if p.Timestamp < lastTS[p.File] {
			fs.Backwards++
		}
		lastTS[p.File] = p.Timestamp
	}
	if p.Length == 0 && p.CapLen == 0 {
		if fs.Empty == 0 {
			fs.EmptyOffset = p.Offset
		}
		fs.Empty++
	}
	fs.WireBytes += uint64(p.Length)
	fs.CapBytes += uint64(p.CapLen)
	if p.CapLen < p.Length {
		fs.Truncated++
	}
	if r.Has(parsers.ColDecodeError) {
		fs.DecodeErrs[r.DecodeError]++
	}
}

func (s *Stats) total() {
	t := &s.Total
	t.Name = "total"
	t.DecodeErrs = map[string]uint64{}
	lts := map[string]bool{}
	for _, f := range s.Files {
		if f.timed() > 0 {
			if t.timed() == 0 {
				t.Earliest, t.Latest = f.Earliest, f.Latest
			}
			t.Earliest = min(t.Earliest, f.Earliest)
			t.Latest = max(t.Latest, f.Latest)
		}
		t.Packets += f.Packets
		t.NoTimestamp += f.NoTimestamp
		t.TimeOutOfRange += f.TimeOutOfRange
		t.Empty += f.Empty
		t.WireBytes += f.WireBytes
		t.CapBytes += f.CapBytes
		t.Truncated += f.Truncated
		t.Duplicates += f.Duplicates
		t.Filtered += f.Filtered
		t.Backwards += f.Backwards
		for k, v := range f.DecodeErrs {
			t.DecodeErrs[k] += v
		}
		for _, l := range f.LinkTypes {
			lts[l] = true
		}
	}
	t.FirstTS, t.LastTS = t.Earliest, t.Latest
	for l := range lts {
		t.LinkTypes = append(t.LinkTypes, l)
	}
	sort.Strings(t.LinkTypes)
}
