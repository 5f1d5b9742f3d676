package flows_test

import (
	"bytes"
	"fmt"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/parsers"
)

// streams collects each direction's stream bytes, gaps written as '?'.
type streams map[dirKey][]byte

func (s streams) Stream(ev *flows.StreamEvent) {
	k := dirKey{ev.FlowID, ev.Dir}
	s[k] = append(s[k], ev.Data...)
	s[k] = append(s[k], bytes.Repeat([]byte{'?'}, int(ev.Gap))...)
}

// TestRetain: rows whose bytes live in a buffer that is overwritten after
// each packet (as the reader's is) give the same flows and the same
// streams, with checksums verified, once Retain has kept their bytes:
// fragments (IPv4 and IPv6) and reassembled TCP payload included; with
// one shard and two, observed a packet at a time and in one batch.
func TestRetain(t *testing.T) {
	cfg := flows.DefaultConfig()
	cfg.VerifyChecksums = true
	for _, name := range []string{
		"pcap-analyzer--assets--frag_tcp_80_ipv4.pcap",
		"pcapplusplus--Tests--Pcap__Test--PcapExamples--ip6_fragments.pcap",
		"pcapplusplus--Tests--ExamplesTest--pcap_examples--frag_http_req.pcap",
		"dpkt--examples--data--http.pcap",
	} {
		for _, shards := range []int{1, 2} {
			for _, batch := range []int{1, 8192} {
				t.Run(fmt.Sprintf("%s/shards=%d/batch=%d", name, shards, batch), func(t *testing.T) {
					rows := decodeRows(t, filepath.Join(capturesDir, name))
					want, wantRows := runStreams(cfg, shards, slices.Clone(rows), batch, nil)

					var (
						arena flows.Arena
						buf   []byte
					)
					kept := make([]parsers.PacketRow, len(rows))
					got, gotRows := runStreams(cfg, shards, kept, batch, func(tr *flows.Tracker) {
						for i, r := range rows {
							// the packet's bytes, in a buffer the next packet reuses
							buf = buf[:0]
							for _, b := range []*[]byte{&r.IPPayload, &r.L4, &r.Payload} {
								n := len(buf)
								buf = append(buf, *b...)
								*b = buf[n:len(buf):len(buf)]
							}
							tr.Retain(&r, &arena)
							for j := range buf {
								buf[j] = 0xAA
							}
							kept[i] = r
						}
					})
					if len(wantRows) == 0 || !reflect.DeepEqual(gotRows, wantRows) {
						t.Errorf("flows differ: %d rows, want %d", len(gotRows), len(wantRows))
					}
					if !reflect.DeepEqual(got, want) {
						t.Errorf("streams differ (%d directions, want %d)", len(got), len(want))
					}
				})
			}
		}
	}
}

// runStreams runs rows through a tracker of the given shards in batches
// of batch rows, with a streams plugin on each shard, after calling
// before (if not nil) with the tracker; it returns the streams of all
// shards and the flows.
func runStreams(cfg flows.Config, shards int, rows []parsers.PacketRow, batch int, before func(tr *flows.Tracker)) (streams, []flows.Row) {
	tr := flows.NewTracker(cfg, shards)
	var each []streams
	withStreams(tr, func() streamHandler {
		s := streams{}
		each = append(each, s)
		return s
	})
	if before != nil {
		before(tr)
	}
	fl := feedTracker(tr, rows, batch)
	all := streams{}
	for _, s := range each {
		maps.Copy(all, s) // the flows of shards are apart
	}
	return all, fl
}
