package pcap2table_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pcap2table/pcap2table"
)

// TestWeird: the weird table holds the anomalies of real captures from
// each source: the decoder's (dsa.pcap: a link type it cannot decode, 8
// packets, no flow), the flows' (a segment lost from the capture:
// content_gap) and the http parser's (the body it cut), the latter two
// with their flow's id; the same bytes for 1 and 3 jobs.
func TestWeird(t *testing.T) {
	in := []string{captures + "tcpdump--tests--dsa.pcap", "testdata/edited/http-lost-segment.pcap"}
	dir := t.TempDir()
	var outs []string
	for _, jobs := range []int{1, 3} {
		out := filepath.Join(dir, "weird.jsonl")
		if _, err := pcap2table.Convert(context.Background(), in, pcap2table.Options{Output: out, Tables: []string{"weird"}, Jobs: jobs}); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, string(b))
	}
	if outs[0] != outs[1] {
		t.Fatal("-j 1 and -j 3 differ")
	}
	count := func(sub string) int { return strings.Count(outs[0], sub) }
	for _, c := range []struct {
		what string
		n    int
	}{
		{`"name":"link: unsupported link type","detail":"frame `, 8},
		{`"flow_id":null`, 8},
		{`"name":"content_gap","detail":"1380 bytes acknowledged but not captured","source":"flows"`, 1},
		{`"name":"gap of 1380 bytes in the response body","detail":null,"source":"http"`, 1},
	} {
		if n := count(c.what); n != c.n {
			t.Errorf("%d rows with %s, want %d:\n%s", n, c.what, c.n, outs[0])
		}
	}
	if n := strings.Count(outs[0], "\n"); n != 10 {
		t.Errorf("%d rows, want 10", n)
	}
}
