package tls_test

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/internal/plugintest"
	"github.com/pcap2table/pcap2table/internal/reftest"
	"github.com/pcap2table/pcap2table/parsers"
	"github.com/pcap2table/pcap2table/protocols/tls"
)

const capturesDir = "../../testdata/captures"

func run(t testing.TB, rows []parsers.PacketRow) []plugintest.Row {
	t.Helper()
	got, _ := plugintest.Run(t, rows, tls.Schema, func(o *flows.Output) flows.Plugin { return tls.New(o) })
	return got
}

// TestTshark compares the tls table with tshark's handshake fields (ref/
// NAME.tls.tsv: one line per ClientHello and ServerHello with
// tls.handshake.extensions_server_name, ja3 and ja3s) on every real
// capture, as multisets: tshark's ClientHellos' (SNI, ja3) are exactly
// our rows' (server_name, ja3) for the rows with a ClientHello, its
// ServerHellos' ja3s exactly our ja3s; captures where tshark found no
// TLS give no row.
func TestTshark(t *testing.T) {
	compared := 0
	for _, name := range reftest.Captures(t, capturesDir) {
		ref := reftest.ReadTSV(t, filepath.Join(capturesDir, "ref", name+".tls.tsv"))
		t.Run(name, func(t *testing.T) {
			got := run(t, reftest.Decode(t, filepath.Join(capturesDir, name)))
			var wantCH, gotCH, wantSH, gotSH []string
			for _, r := range ref {
				switch r["tls.handshake.type"] {
				case "1":
					wantCH = append(wantCH, r["tls.handshake.extensions_server_name"]+" "+r["tls.handshake.ja3"])
				case "2":
					wantSH = append(wantSH, r["tls.handshake.ja3s"])
				}
			}
			for _, r := range got {
				if r["client_version"] != nil {
					gotCH = append(gotCH, r.Str("server_name")+" "+r.Str("ja3"))
				}
				if r["version"] != nil {
					gotSH = append(gotSH, r.Str("ja3s"))
				}
				if r["error"] != nil {
					t.Errorf("flow %d: error %q", r.Uint("flow_id"), r.Str("error"))
				}
			}
			slices.Sort(wantCH)
			slices.Sort(gotCH)
			slices.Sort(wantSH)
			slices.Sort(gotSH)
			if !slices.Equal(wantCH, gotCH) {
				t.Errorf("ClientHellos differ:\n tshark %q\n ours   %q", wantCH, gotCH)
			}
			if !slices.Equal(wantSH, gotSH) {
				t.Errorf("ServerHellos differ:\n tshark %q\n ours   %q", wantSH, gotSH)
			}
			if ref != nil {
				compared++
			}
		})
	}
	if compared < 6 {
		t.Errorf("compared %d captures with TLS, want >= 6", compared)
	}
}

// TestIgnoresOthers: on HTTP flows the plugin calls Conn.Ignore at the
// first data and gets no more stream events; on a TLS flow it ignores
// the rest once the handshake is established.
func TestIgnoresOthers(t *testing.T) {
	mk := func(o *flows.Output) flows.Plugin { return tls.New(o) }
	if n := plugintest.StreamEvents(t, reftest.Decode(t, filepath.Join(capturesDir, "dpkt--examples--data--http.pcap")), tls.Schema, mk); n > 2 {
		t.Errorf("%d stream events for one HTTP flow, want <= 2", n)
	}
}
