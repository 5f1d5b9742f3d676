package dns_test

import (
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/pcap2table/pcap2table/protocols/dns"
)

// TestNamesLookup: the latest answer at or before the time, whatever
// order the answers came in (shards record them concurrently); names in
// lower case without the final dot; bounded per address and in all.
func TestNamesLookup(t *testing.T) {
	a := netip.MustParseAddr("192.0.2.7")
	answers := []struct {
		ts   int64
		name string
	}{{100, "Old.Example."}, {200, "cdn.example"}, {200, "b.example"}, {300, "new.example"}, {50, "oldest.example"}, {400, "newest.example"}}
	tests := []struct {
		ts   int64
		want string
	}{
		{99, ""}, // only answers older than the 4 latest knew it then
		{150, ""},
		{200, "b.example"}, // two answers at one instant: the first name
		{299, "b.example"},
		{300, "new.example"},
		{1000, "newest.example"},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 20 {
		n := dns.NewNames()
		order := rng.Perm(len(answers))
		for _, i := range order {
			n.Resolved(answers[i].ts, answers[i].name, a)
		}
		for _, tt := range tests {
			if got := n.Lookup(a, tt.ts); got != tt.want {
				t.Errorf("round %d (order %v): Lookup at %d = %q, want %q", round, order, tt.ts, got, tt.want)
			}
		}
		if got := n.Lookup(netip.MustParseAddr("::ffff:192.0.2.7"), 1000); got != "newest.example" {
			t.Errorf("a mapped address: %q", got)
		}
	}
	n := dns.NewNames()
	n.MaxAddrs = 2
	for i := range 3 {
		n.Resolved(10, "x.example", netip.AddrFrom4([4]byte{198, 51, 100, byte(i)}))
	}
	if n.Dropped != 1 || n.Lookup(netip.AddrFrom4([4]byte{198, 51, 100, 2}), 10) != "" {
		t.Errorf("past MaxAddrs: %d dropped", n.Dropped)
	}
	var none *dns.Names
	none.Resolved(1, "x", a)
	if none.Lookup(a, 1) != "" {
		t.Error("a nil Names names")
	}
}
