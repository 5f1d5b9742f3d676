package dns_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pcap2table/pcap2table/internal/reftest"
)

const capturesDir = "../../testdata/captures"

// msgKey identifies a DNS message for the comparison with tshark:
// transaction id, query name and type (and for responses the rcode).
type msgKey struct {
	id    uint16
	name  string
	qtype string
	rcode string
}

// TestTshark compares the dns table with tshark's DNS fields (ref/
// NAME.dns.tsv: dns.id, dns.flags.response, dns.qry.name, dns.qry.type,
// dns.flags.rcode, dns.a, dns.aaaa) on every real capture:
//   - the queries (tshark's messages with response 0) are exactly the
//     rows with a query side (answered, unanswered);
//   - the responses are exactly the rows with a response side (answered,
//     unsolicited), with the same rcode;
//   - each response's A and AAAA answers, in order, begin tshark's dns.a
//     and dns.aaaa lists (tshark lists the records of every section: the
//     answer section comes first);
//   - captures where tshark found no DNS give no row.
//
// mDNS (port 5353) and LLMNR (5355) are left out: they are DNS messages
// and the table has them, but tshark names them mdns and llmnr, which its
// dns filter does not match (docs/fidelity.md).
func TestTshark(t *testing.T) {
	compared := 0
	for _, name := range reftest.Captures(t, capturesDir) {
		ref := reftest.ReadTSV(t, filepath.Join(capturesDir, "ref", name+".dns.tsv"))
		t.Run(name, func(t *testing.T) {
			all, _, _ := run(t, reftest.Decode(t, filepath.Join(capturesDir, name)))
			var got []row
			for _, r := range all {
				if r.SrcPort != 5353 && r.SrcPort != 5355 && r.DstPort != 5353 && r.DstPort != 5355 {
					got = append(got, r)
				}
			}
			if ref == nil {
				if len(got) > 0 {
					t.Errorf("tshark saw no DNS; we wrote %d rows, the first %+v", len(got), got[0])
				}
				return
			}
			compared++
			wantQ, wantR := map[msgKey]int{}, map[msgKey][][2][]string{}
			for _, r := range ref {
				id, err := strconv.ParseUint(strings.TrimPrefix(r["dns.id"], "0x"), 16, 16)
				if err != nil {
					t.Fatalf("frame %s: dns.id %q", r["frame.number"], r["dns.id"])
				}
				k := msgKey{id: uint16(id), name: r["dns.qry.name"], qtype: r["dns.qry.type"]}
				if r["dns.flags.response"] == "0" {
					wantQ[k]++
					continue
				}
				k.rcode = r["dns.flags.rcode"]
				wantR[k] = append(wantR[k], [2][]string{split(r["dns.a"]), split(r["dns.aaaa"])})
			}
			gotQ, gotR := map[msgKey]int{}, map[msgKey][][2][]string{}
			for _, r := range got {
				k := msgKey{id: r.TransID}
				if r.Query != nil {
					k.name, k.qtype = *r.Query, strconv.Itoa(int(*r.QType))
				}
				if r.Status != "unsolicited" {
					gotQ[k]++
				}
				if r.Status == "unanswered" {
					continue
				}
				k.rcode = strconv.Itoa(int(*r.Rcode))
				var a, aaaa []string
				for _, x := range r.Answers {
					switch {
					case strings.Count(x, ".") == 3 && !strings.ContainsAny(x, ":abcdefghijklmnopqrstuvwxyz"):
						a = append(a, x)
					case strings.Contains(x, ":"):
						aaaa = append(aaaa, x)
					}
				}
				gotR[k] = append(gotR[k], [2][]string{a, aaaa})
			}
			if d := diff(wantQ, gotQ); d != "" {
				t.Errorf("queries differ from tshark's:\n%s", d)
			}
			for k, want := range wantR {
				g := gotR[k]
				if len(g) != len(want) {
					t.Errorf("response %+v: tshark %d, we %d", k, len(want), len(g))
					continue
				}
				for i := range want {
					for f, field := range []string{"dns.a", "dns.aaaa"} {
						if !isPrefix(g[i][f], want[i][f]) {
							t.Errorf("response %+v: our %s %v do not begin tshark's %v", k, field, g[i][f], want[i][f])
						}
					}
				}
			}
			for k, g := range gotR {
				if _, ok := wantR[k]; !ok {
					t.Errorf("response %+v (%d): tshark has none", k, len(g))
				}
			}
		})
	}
	if compared < 10 {
		t.Errorf("compared %d captures with DNS, want the 14 of testdata", compared)
	}
}

func split(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "|")
}

func isPrefix(p, s []string) bool { return len(p) <= len(s) && slices.Equal(p, s[:len(p)]) }

func diff(want, got map[msgKey]int) string {
	var b strings.Builder
	for k, n := range want {
		if got[k] != n {
			fmt.Fprintf(&b, "  %+v: tshark %d, we %d\n", k, n, got[k])
		}
	}
	for k, n := range got {
		if _, ok := want[k]; !ok {
			fmt.Fprintf(&b, "  %+v: tshark 0, we %d\n", k, n)
		}
	}
	return b.String()
}
