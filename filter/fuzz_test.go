package filter_test

import (
	"bufio"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/gopacket/gopacket/layers"
	"github.com/pcap2table/pcap2table/filter"
)

// referenceExpressions are the expressions of the tcpdump references.
func referenceExpressions(t testing.TB) []string {
	out, err := readExpressions()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func readExpressions() ([]string, error) {
	f, err := os.Open(filepath.Join(refsDir, "expressions.txt"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if sc.Text() != "" {
			out = append(out, sc.Text())
		}
	}
	return out, sc.Err()
}

// FuzzCompile: Compile never panics, and what compiles matches any bytes
// of any link type without panicking, the same way twice.
func FuzzCompile(f *testing.F) {
	for _, e := range referenceExpressions(f) {
		f.Add(e)
	}
	for _, e := range []string{"", "(", ")", "not", "host", "ether host 1:2:3:4:5:6", "ip[", "tcp[1:", "len - - - 1 = 0",
		"vlan 1 and mpls 2 and ip6", "\\", "\\x", "::", "1.2.3.4.5.6", "0x", "portrange 5-1", "host 1.2.3.4 mask 255.0.0.0"} {
		f.Add(e)
	}
	frames := [][]byte{nil, {0x45}, eth(0x800, tcpSyn4), eth(0x86dd, udp6frag), eth(0x806, arpReq), tcpOpts4, tcp6,
		ethernet(macB, macA, 0x8100, cat(be16(100), be16(0x0800), tcpSyn4))}
	lts := []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeRaw, layers.LinkTypeLinuxSLL, layers.LinkTypeNull,
		layers.LinkTypeIPv6, layers.LinkTypePPP, 999}
	f.Fuzz(func(t *testing.T, expr string) {
		flt, err := filter.Compile(expr)
		if err != nil {
			return
		}
		for _, fr := range frames {
			for _, lt := range lts {
				for cut := 0; cut <= len(fr); cut += 7 {
					a := flt.Match(fr[:cut], lt, uint32(len(fr)))
					if b := flt.Match(fr[:cut], lt, uint32(len(fr))); a != b {
						t.Fatalf("%q: Match is not deterministic", expr)
					}
				}
			}
		}
	})
}

var fuzzFilters = sync.OnceValue(func() []*filter.Filter {
	var out []*filter.Filter
	exprs, _ := readExpressions()
	for _, e := range exprs {
		if f, err := filter.Compile(e); err == nil {
			out = append(out, f)
		}
	}
	return out
})

// FuzzMatch: Match never panics on any bytes, for every reference
// expression and link type.
func FuzzMatch(f *testing.F) {
	for _, lt := range synthLinkTypes {
		for i, fr := range synthFrames(lt) {
			if i%5 == 0 {
				f.Add(uint16(lt), fr.data, fr.wireLen)
			}
		}
	}
	filters := fuzzFilters()
	if len(filters) == 0 {
		f.Fatal("no filters")
	}
	f.Fuzz(func(t *testing.T, lt uint16, data []byte, wireLen uint32) {
		for _, flt := range filters {
			flt.Match(data, layers.LinkType(lt), wireLen)
		}
	})
}
