package flows_test

import (
	"bytes"
	"path/filepath"
	"reflect"
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
// fragments (IPv4 and IPv6) and reassembled TCP payload included.
func TestRetain(t *testing.T) {
	cfg := flows.DefaultConfig()
	cfg.VerifyChecksums = true
	for _, name := range []string{
		"pcap-analyzer--assets--frag_tcp_80_ipv4.pcap",
		"pcapplusplus--Tests--Pcap__Test--PcapExamples--ip6_fragments.pcap",
		"pcapplusplus--Tests--ExamplesTest--pcap_examples--frag_http_req.pcap",
		"dpkt--examples--data--http.pcap",
	} {
		t.Run(name, func(t *testing.T) {
			rows := decodeRows(t, filepath.Join(capturesDir, name))
			want := streams{}
			wantRows := feed(cfg, want, append([]parsers.PacketRow(nil), rows...))

			tr := flows.NewTracker(cfg)
			got := streams{}
			tr.SetStreamHandler(got)
			var arena, buf []byte
			kept := make([]parsers.PacketRow, len(rows))
			for i, r := range rows {
				// the packet's bytes, in a buffer the next packet reuses
				buf = buf[:0]
				for _, b := range []*[]byte{&r.IPPayload, &r.L4, &r.Payload} {
					n := len(buf)
					buf = append(buf, *b...)
					*b = buf[n:len(buf):len(buf)]
				}
				arena = tr.Retain(&r, arena)
				for j := range buf {
					buf[j] = 0xAA
				}
				kept[i] = r
			}
			var gotRows []flows.Row
			for rs := kept; len(rs) > 0; {
				rs = rs[tr.ObserveBatch(rs, 1<<20):]
			}
			tr.Close()
			gotRows = append(gotRows, tr.TakeEnded()...)
			if len(wantRows) == 0 || !reflect.DeepEqual(gotRows, wantRows) {
				t.Errorf("flows differ: %d rows, want %d", len(gotRows), len(wantRows))
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("streams differ (%d directions, want %d)", len(got), len(want))
			}
		})
	}
}
