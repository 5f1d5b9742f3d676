package enrich_test

import (
	"errors"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/maxmind/mmdbwriter/mmdbtype"

	"github.com/pcap2table/pcap2table/enrich"
	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/internal/mmdbtest"
)

// Made-up records (documentation prefixes and ASNs where they fit) over
// the networks the tests look up; private and loopback networks are in
// the databases too, and must still have no answer.
var (
	cityNets = []mmdbtest.Network{
		{Prefix: "81.2.69.0/24", Record: mmdbtest.Country("GB", "GB")},
		{Prefix: "81.2.70.0/24", Record: mmdbtest.Country("GB", "FR")},    // its country map is a pointer to 81.2.69.0/24's
		{Prefix: "203.0.113.0/24", Record: mmdbtest.Country("", "AU")},    // registered country only
		{Prefix: "198.51.100.0/24", Record: mmdbtest.Country("nl", "")},   // lower case
		{Prefix: "192.0.2.0/24", Record: mmdbtest.Country("XYZ", "")},     // not two letters
		{Prefix: "2001:db8:1::/48", Record: mmdbtest.Country("DE", "DE")}, // IPv6
		{Prefix: "10.0.0.0/8", Record: mmdbtest.Country("ZZ", "ZZ")},
		{Prefix: "127.0.0.0/8", Record: mmdbtest.Country("ZZ", "ZZ")},
		{Prefix: "fd00::/8", Record: mmdbtest.Country("ZZ", "ZZ")},
	}
	asnNets = []mmdbtest.Network{
		{Prefix: "81.2.69.0/24", Record: mmdbtest.ASN(64500, "Example Networks Ltd")},
		{Prefix: "81.2.70.0/24", Record: mmdbtest.ASN(64499, "Example Networks Ltd")}, // its organization is a pointer
		{Prefix: "198.51.100.0/24", Record: mmdbtest.ASN(4200000000, "Example 32-bit AS")},
		{Prefix: "2001:db8:1::/48", Record: mmdbtest.ASN(64501, "Example IPv6 Carrier")},
		{Prefix: "192.0.2.0/24", Record: mmdbtype.Map{"autonomous_system_number": mmdbtype.Uint32(64502)}}, // no organization
		{Prefix: "10.0.0.0/8", Record: mmdbtest.ASN(64511, "Private")},
	}
)

// testDBs writes the test databases into a temporary folder and returns
// their paths.
func testDBs(t testing.TB) (city, asn string) {
	t.Helper()
	dir := t.TempDir()
	city, asn = filepath.Join(dir, "city.mmdb"), filepath.Join(dir, "asn.mmdb")
	if err := mmdbtest.Write(city, "GeoLite2-City", cityNets...); err != nil {
		t.Fatal(err)
	}
	if err := mmdbtest.Write(asn, "GeoLite2-ASN", asnNets...); err != nil {
		t.Fatal(err)
	}
	return city, asn
}

func openTest(t testing.TB) *enrich.DB {
	t.Helper()
	city, asn := testDBs(t)
	db, err := enrich.Open(city, asn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func geo(country string, asn uint32, org string) flows.Geo {
	g := flows.Geo{ASN: asn, ASOrg: org}
	copy(g.Country[:], country)
	return g
}

var lookups = []struct {
	name string
	addr string
	want flows.Geo
}{
	{"IPv4", "81.2.69.142", geo("GB", 64500, "Example Networks Ltd")},
	{"values behind pointers", "81.2.70.1", geo("GB", 64499, "Example Networks Ltd")},
	{"IPv6", "2001:db8:1::5", geo("DE", 64501, "Example IPv6 Carrier")},
	{"IPv4-mapped IPv6", "::ffff:81.2.69.142", geo("GB", 64500, "Example Networks Ltd")},
	{"registered country only", "203.0.113.9", geo("AU", 0, "")},
	{"lower-case code, 32-bit ASN", "198.51.100.1", geo("NL", 4200000000, "Example 32-bit AS")},
	{"code not two letters, ASN without organization", "192.0.2.1", geo("", 64502, "")},
	{"unknown IPv4", "8.8.8.8", flows.Geo{}},
	{"unknown IPv6", "2001:db8:2::1", flows.Geo{}},
	{"private, in the databases", "10.1.2.3", flows.Geo{}},
	{"loopback, in the database", "127.0.0.1", flows.Geo{}},
	{"unique local IPv6, in the database", "fd00::1", flows.Geo{}},
	{"IPv6 loopback", "::1", flows.Geo{}},
	{"multicast", "224.0.0.251", flows.Geo{}},
	{"IPv6 multicast", "ff02::fb", flows.Geo{}},
	{"link-local", "169.254.1.1", flows.Geo{}},
	{"IPv6 link-local", "fe80::1", flows.Geo{}},
	{"unspecified", "0.0.0.0", flows.Geo{}},
	{"broadcast", "255.255.255.255", flows.Geo{}},
}

func TestLookup(t *testing.T) {
	db := openTest(t)
	// one reused Geo: every look-up sets all of it
	stale := geo("FR", 1, "stale")
	out := stale
	for _, c := range lookups {
		t.Run(c.name, func(t *testing.T) {
			db.Lookup(netip.MustParseAddr(c.addr), &out)
			if out != c.want {
				t.Errorf("Lookup(%s) = %+v, want %+v", c.addr, out, c.want)
			}
			out = stale
		})
	}
	t.Run("invalid address", func(t *testing.T) {
		db.Lookup(netip.Addr{}, &out)
		if out != (flows.Geo{}) {
			t.Errorf("got %+v", out)
		}
	})
}

// TestLookupOneDatabase: with one database, the other's fields stay zero.
func TestLookupOneDatabase(t *testing.T) {
	city, asn := testDBs(t)
	for _, c := range []struct {
		name      string
		city, asn string
		want      flows.Geo
	}{
		{"GeoIP only", city, "", geo("GB", 0, "")},
		{"ASN only", "", asn, geo("", 64500, "Example Networks Ltd")},
		{"neither", "", "", flows.Geo{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			db, err := enrich.Open(c.city, c.asn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var out flows.Geo
			db.Lookup(netip.MustParseAddr("81.2.69.142"), &out)
			if out != c.want {
				t.Errorf("got %+v, want %+v", out, c.want)
			}
		})
	}
}

// TestIPv4Database: an IPv4-only database answers IPv4 (and IPv4-mapped)
// addresses, and nothing for IPv6 ones.
func TestIPv4Database(t *testing.T) {
	dir := t.TempDir()
	city, asn := filepath.Join(dir, "city4.mmdb"), filepath.Join(dir, "asn4.mmdb")
	if err := mmdbtest.WriteIPv4(city, "DBIP-Country-Lite", mmdbtest.Network{Prefix: "81.2.69.0/24", Record: mmdbtest.Country("GB", "")}); err != nil {
		t.Fatal(err)
	}
	if err := mmdbtest.WriteIPv4(asn, "DBIP-ASN-Lite (compat=GeoLite2-ASN)", mmdbtest.Network{Prefix: "81.2.69.0/24", Record: mmdbtest.ASN(64500, "Example")}); err != nil {
		t.Fatal(err)
	}
	db, err := enrich.Open(city, asn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, c := range []struct {
		addr string
		want flows.Geo
	}{
		{"81.2.69.1", geo("GB", 64500, "Example")},
		{"::ffff:81.2.69.1", geo("GB", 64500, "Example")},
		{"2001:db8:1::5", flows.Geo{}},
	} {
		var out flows.Geo
		db.Lookup(netip.MustParseAddr(c.addr), &out)
		if out != c.want {
			t.Errorf("Lookup(%s) = %+v, want %+v", c.addr, out, c.want)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	city, asn := testDBs(t)
	dir := t.TempDir()
	file := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write := func(name, dbType string, nets ...mmdbtest.Network) string {
		p := filepath.Join(dir, name)
		if err := mmdbtest.Write(p, dbType, nets...); err != nil {
			t.Fatal(err)
		}
		return p
	}
	text := file("notes.txt", []byte("81.2.69.0/24 GB\n"))
	empty := file("empty.mmdb", nil)
	anon := write("anon.mmdb", "GeoIP2-Anonymous-IP", mmdbtest.Network{Prefix: "81.2.69.0/24", Record: mmdbtype.Map{"is_anonymous": mmdbtype.Bool(true)}})
	missing := filepath.Join(dir, "missing.mmdb")
	for _, c := range []struct {
		name      string
		city, asn string
		isASN     bool
		msg       string // the whole error
		is        error
	}{
		{"text file as GeoIP", text, "", false, text + ": not a MaxMind database", enrich.ErrNotMaxMind},
		{"empty file as ASN", "", empty, true, empty + ": not a MaxMind database", enrich.ErrNotMaxMind},
		{"folder as GeoIP", dir, "", false, dir + ": is a directory", nil},
		{"missing GeoIP", missing, asn, false, missing + ": no such file or directory", fs.ErrNotExist},
		{"missing ASN", city, missing, true, missing + ": no such file or directory", fs.ErrNotExist},
		{"ASN database as GeoIP", asn, "", false, asn + ": an ASN database (GeoLite2-ASN), not a City or Country database", nil},
		{"City database as ASN", "", city, true, city + ": a City or Country database (GeoLite2-City), not an ASN database", nil},
		{"both swapped: the GeoIP one is named", asn, city, false, asn + ": an ASN database (GeoLite2-ASN), not a City or Country database", nil},
		{"Anonymous-IP database as GeoIP", anon, "", false, anon + ": a GeoIP2-Anonymous-IP database, not a City or Country database", nil},
		{"Anonymous-IP database as ASN", "", anon, true, anon + ": a GeoIP2-Anonymous-IP database, not an ASN database", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			db, err := enrich.Open(c.city, c.asn)
			if err == nil {
				db.Close()
				t.Fatal("no error")
			}
			if err.Error() != c.msg {
				t.Errorf("error %q, want %q", err, c.msg)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error of several lines: %q", err)
			}
			var oe *enrich.OpenError
			if !errors.As(err, &oe) || oe.ASN != c.isASN {
				t.Errorf("error %#v: not an *OpenError of the ASN database (%v)", err, c.isASN)
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("error %q is not %q", err, c.is)
			}
		})
	}
}

// TestUnknownType: a database whose type names neither kind is read for
// the same field names, whichever it is given as.
func TestUnknownType(t *testing.T) {
	p := filepath.Join(t.TempDir(), "custom.mmdb")
	rec := mmdbtest.ASN(64500, "Example")
	rec["country"] = mmdbtype.Map{"iso_code": mmdbtype.String("GB")}
	if err := mmdbtest.Write(p, "Acme-IP-Intel", mmdbtest.Network{Prefix: "81.2.69.0/24", Record: rec}); err != nil {
		t.Fatal(err)
	}
	db, err := enrich.Open(p, p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var out flows.Geo
	db.Lookup(netip.MustParseAddr("81.2.69.1"), &out)
	if want := geo("GB", 64500, "Example"); out != want {
		t.Errorf("got %+v, want %+v", out, want)
	}
	if g, a := db.Types(); g != "Acme-IP-Intel" || a != "Acme-IP-Intel" {
		t.Errorf("Types() = %q, %q", g, a)
	}
}

// TestClose: after Close a look-up answers nothing, and the names given
// before stay valid (they point into bytes the DB no longer holds).
func TestClose(t *testing.T) {
	city, asn := testDBs(t)
	db, err := enrich.Open(city, asn)
	if err != nil {
		t.Fatal(err)
	}
	var before, after flows.Geo
	db.Lookup(netip.MustParseAddr("81.2.69.142"), &before)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	db.Lookup(netip.MustParseAddr("81.2.69.142"), &after)
	if after != (flows.Geo{}) {
		t.Errorf("after Close: %+v", after)
	}
	if before.ASOrg != "Example Networks Ltd" {
		t.Errorf("name after Close: %q", before.ASOrg)
	}
	var nilDB *enrich.DB
	nilDB.Lookup(netip.MustParseAddr("81.2.69.142"), &after)
	if after != (flows.Geo{}) || nilDB.Close() != nil {
		t.Errorf("nil DB: %+v", after)
	}
}

// TestLookupConcurrent: shards look up at once (run with -race).
func TestLookupConcurrent(t *testing.T) {
	db := openTest(t)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			var out flows.Geo
			for range 200 {
				for _, c := range lookups {
					db.Lookup(netip.MustParseAddr(c.addr), &out)
					if out != c.want {
						t.Errorf("Lookup(%s) = %+v, want %+v", c.addr, out, c.want)
						return
					}
				}
			}
		})
	}
	wg.Wait()
}

// TestLookupZeroAllocs: a look-up allocates nothing, answered or not.
func TestLookupZeroAllocs(t *testing.T) {
	db := openTest(t)
	addrs := make([]netip.Addr, len(lookups))
	for i, c := range lookups {
		addrs[i] = netip.MustParseAddr(c.addr)
	}
	out := new(flows.Geo)
	for i, a := range addrs {
		if n := testing.AllocsPerRun(100, func() { db.Lookup(a, out) }); n != 0 {
			t.Errorf("Lookup(%s) (%s): %v allocations", a, lookups[i].name, n)
		}
	}
}

func BenchmarkLookup(b *testing.B) {
	db := openTest(b)
	addrs := []netip.Addr{netip.MustParseAddr("81.2.69.142"), netip.MustParseAddr("2001:db8:1::5"), netip.MustParseAddr("8.8.8.8")}
	var out flows.Geo
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		db.Lookup(addrs[i%len(addrs)], &out)
	}
}
