package pcap2table_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pcap2table/pcap2table"
)

// TestDstName: on a real capture (a browsing session: DNS lookups, then
// HTTP and TLS connections), each flow's dst_name is what the protocol
// tables say of it: the TLS server name of its tls row, else the Host of
// its http row, else the query of an answered lookup that gave its dst_ip
// before the flow started; the same for any -j.
func TestDstName(t *testing.T) {
	in := []string{captures + "pcapplusplus--Tests--Pcap__Test--PcapExamples--example.pcap"}
	dir := t.TempDir()
	for _, jobs := range []int{1, 2} {
		o := pcap2table.Options{Output: filepath.Join(dir, "j"+string(rune('0'+jobs))), Format: "jsonl", Jobs: jobs,
			Tables: []string{"flows", "dns", "http", "tls"}}
		if _, err := pcap2table.Convert(context.Background(), in, o); err != nil {
			t.Fatal(err)
		}
	}
	a, _ := os.ReadFile(filepath.Join(dir, "j1", "flows.jsonl"))
	b, _ := os.ReadFile(filepath.Join(dir, "j2", "flows.jsonl"))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Error("flows differ between -j 1 and -j 2")
	}
	out := filepath.Join(dir, "j1")
	sni, host := map[float64]string{}, map[float64]string{}
	for _, r := range readRows(t, filepath.Join(out, "tls.jsonl")) {
		if s := r.str("server_name"); s != "" {
			sni[r["flow_id"].(float64)] = strings.ToLower(s)
		}
	}
	for _, r := range readRows(t, filepath.Join(out, "http.jsonl")) {
		id := r["flow_id"].(float64)
		if h := r.str("host"); h != "" && host[id] == "" {
			h, _, _ = strings.Cut(strings.ToLower(h), ":")
			host[id] = h
		}
	}
	dnsRows := readRows(t, filepath.Join(out, "dns.jsonl"))
	resolved := func(name, addr string, before time.Time) bool {
		for _, r := range dnsRows {
			if r.str("status") != "answered" || !strings.EqualFold(strings.TrimSuffix(r.str("query"), "."), name) {
				continue
			}
			ts, _ := time.Parse(time.RFC3339Nano, r.str("ts"))
			rtt, _ := r.num("rtt")
			answers, _ := r["answers"].([]any)
			if !ts.Add(time.Duration(rtt*1e9)).After(before.Add(time.Microsecond)) && slices.Contains(answers, any(addr)) {
				return true
			}
		}
		return false
	}
	bySource := map[string]int{}
	for _, f := range readRows(t, filepath.Join(out, "flows.jsonl")) {
		id, name, src := f["flow_id"].(float64), f.str("dst_name"), f.str("dst_name_source")
		bySource[src]++
		start, _ := time.Parse(time.RFC3339Nano, f.str("ts_start"))
		switch {
		case sni[id] != "":
			if name != sni[id] || src != "tls" {
				t.Errorf("flow %.0f: dst_name %q (%s), its TLS server name %q", id, name, src, sni[id])
			}
		case host[id] != "":
			if name != host[id] || src != "http" {
				t.Errorf("flow %.0f: dst_name %q (%s), its HTTP host %q", id, name, src, host[id])
			}
		case src == "dns":
			if !resolved(name, f.str("dst_ip"), start) {
				t.Errorf("flow %.0f: dst_name %q from no answer for %s before %s", id, name, f.str("dst_ip"), start)
			}
		case src != "":
			t.Errorf("flow %.0f: dst_name %q from %q, which no row of its says", id, name, src)
		}
	}
	t.Logf("dst_name by source: %v", bySource)
	for _, s := range []string{"tls", "http", "dns"} {
		if bySource[s] == 0 {
			t.Errorf("no flow named by %s: the test checks nothing of it", s)
		}
	}
}
