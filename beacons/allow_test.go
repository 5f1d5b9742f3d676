package beacons_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/pcap2table/pcap2table/beacons"
)

func TestParseAllow(t *testing.T) {
	const list = `# the allow-list
10.0.0.0/8          # lab
192.0.2.7
2001:db8::/32
updates.example.com
*.cdn.example.net
.ntp.example.org.   # trailing dot
Time.Example.COM
`
	a, err := beacons.ParseAllow(strings.NewReader(list))
	if err != nil {
		t.Fatal(err)
	}
	if a.Len() != 7 {
		t.Errorf("%d entries", a.Len())
	}
	for _, tc := range []struct {
		ip, name string
		want     bool
	}{
		{"10.1.2.3", "", true},
		{"::ffff:10.1.2.3", "", true},
		{"11.0.0.1", "", false},
		{"192.0.2.7", "", true},
		{"192.0.2.8", "", false},
		{"2001:db8::1", "", true},
		{"2001:db9::1", "", false},
		{"203.0.113.1", "updates.example.com", true},
		{"203.0.113.1", "UPDATES.example.com.", true},
		{"203.0.113.1", "x.updates.example.com", false},
		{"203.0.113.1", "cdn.example.net", true},
		{"203.0.113.1", "a.b.cdn.example.net", true},
		{"203.0.113.1", "xcdn.example.net", false},
		{"203.0.113.1", "pool.ntp.example.org", true},
		{"203.0.113.1", "time.example.com", true},
		{"203.0.113.1", "example.com", false},
		{"203.0.113.1", "", false},
	} {
		if got := a.Match(netip.MustParseAddr(tc.ip), tc.name); got != tc.want {
			t.Errorf("Match(%s, %q) = %v, want %v", tc.ip, tc.name, got, tc.want)
		}
	}
	var none *beacons.Allow
	if none.Match(netip.MustParseAddr("10.0.0.1"), "x") || none.Len() != 0 {
		t.Error("a nil Allow matches")
	}
}

func TestParseAllowErrors(t *testing.T) {
	for _, tc := range []struct {
		list, want string
	}{
		{"10.0.0.0/33", "line 1: "},
		{"ok.example.com\n\n# fine\n10.0.0.1/x", "line 4: "},
		{"not a name", "line 1: "},
		{"under_score.ok\nbad..name", "line 2: "},
		{"*.", "line 1: "},
		{"1.2.3", "line 1: "},
		{"fe80::1%eth0", "line 1: "},
		{strings.Repeat("a", 64) + ".com", "line 1: "},
	} {
		_, err := beacons.ParseAllow(strings.NewReader(tc.list))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q...", tc.list, err, tc.want)
		}
	}
}

// FuzzParseAllow: any input parses or fails with a line number, never
// panics, and an address entry of a parsed list matches itself.
func FuzzParseAllow(f *testing.F) {
	for _, s := range []string{"10.0.0.0/8\n", "*.example.com # x\n", ".a.b\n::1\n", "bad line\n", "fe80::/10\nx"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := beacons.ParseAllow(strings.NewReader(s))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "line ") && !strings.HasPrefix(err.Error(), "reading") {
				t.Fatalf("error without a line: %v", err)
			}
			return
		}
		for _, line := range strings.Split(s, "\n") {
			if i := strings.IndexByte(line, '#'); i >= 0 {
				line = line[:i]
			}
			if ip, err := netip.ParseAddr(strings.TrimSpace(line)); err == nil && !a.Match(ip, "") {
				t.Fatalf("%s not matched", ip)
			}
		}
	})
}
