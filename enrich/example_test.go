package enrich_test

import (
	"fmt"
	"log"
	"net/netip"
	"os"
	"path/filepath"

	"github.com/pcap2table/pcap2table/enrich"
	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/internal/mmdbtest"
)

// Open a City and an ASN database, look addresses up, and give the
// databases to the flow tracker, which fills the flows table's country
// and ASN columns.
func Example() {
	// made-up databases (real ones: GeoLite2-City.mmdb, GeoLite2-ASN.mmdb)
	dir, err := os.MkdirTemp("", "enrich")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	city, asn := filepath.Join(dir, "city.mmdb"), filepath.Join(dir, "asn.mmdb")
	if err := mmdbtest.Write(city, "GeoLite2-City", mmdbtest.Network{Prefix: "81.2.69.0/24", Record: mmdbtest.Country("GB", "GB")}); err != nil {
		log.Fatal(err)
	}
	if err := mmdbtest.Write(asn, "GeoLite2-ASN", mmdbtest.Network{Prefix: "81.2.69.0/24", Record: mmdbtest.ASN(64500, "Example Networks Ltd")}); err != nil {
		log.Fatal(err)
	}

	db, err := enrich.Open(city, asn)
	if err != nil {
		log.Fatal(err) // e.g. "asn.mmdb: a City or Country database (GeoLite2-City), not an ASN database"
	}
	defer db.Close()

	var g flows.Geo // reused: each look-up sets all of it
	for _, a := range []string{"81.2.69.142", "::ffff:81.2.69.142", "192.168.1.10", "9.9.9.9"} {
		db.Lookup(netip.MustParseAddr(a), &g)
		if !g.HasCountry() && g.ASN == 0 {
			fmt.Printf("%s: no answer\n", a)
			continue
		}
		fmt.Printf("%s: %s AS%d %s\n", a, g.Country[:], g.ASN, g.ASOrg)
	}

	cfg := flows.DefaultConfig()
	cfg.Enrich = db // flows.NewTracker(cfg, jobs): every flow's row gets both ends' answers
	// Output:
	// 81.2.69.142: GB AS64500 Example Networks Ltd
	// ::ffff:81.2.69.142: GB AS64500 Example Networks Ltd
	// 192.168.1.10: no answer
	// 9.9.9.9: no answer
}
