package pcap2table

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/internal/mmdbtest"
)

// enrichTestDBs writes made-up City and ASN databases over the addresses
// of dpkt's http.pcap (but 216.239.59.99's).
func enrichTestDBs(t *testing.T) (city, asn string) {
	t.Helper()
	dir := t.TempDir()
	city, asn = filepath.Join(dir, "city.mmdb"), filepath.Join(dir, "asn.mmdb")
	if err := mmdbtest.Write(city, "GeoLite2-City",
		mmdbtest.Network{Prefix: "145.254.0.0/16", Record: mmdbtest.Country("DE", "DE")},
		mmdbtest.Network{Prefix: "65.208.228.0/24", Record: mmdbtest.Country("US", "US")}); err != nil {
		t.Fatal(err)
	}
	if err := mmdbtest.Write(asn, "GeoLite2-ASN",
		mmdbtest.Network{Prefix: "145.254.0.0/16", Record: mmdbtest.ASN(64496, "Example Access")},
		mmdbtest.Network{Prefix: "65.208.228.0/24", Record: mmdbtest.ASN(64497, "Example Hosting")}); err != nil {
		t.Fatal(err)
	}
	return city, asn
}

func TestOpenEnrich(t *testing.T) {
	city, asn := enrichTestDBs(t)
	missing := filepath.Join(t.TempDir(), "none.mmdb")
	for _, c := range []struct {
		name      string
		tables    []string
		city, asn string
		db        bool   // a DB is returned
		err       string // the usage error
	}{
		{"neither", []string{"packets"}, "", "", false, ""},
		{"both", []string{"flows"}, city, asn, true, ""},
		{"GeoIP only, with other tables", []string{"packets", "flows", "dns"}, city, "", true, ""},
		{"ASN only", []string{"flows"}, "", asn, true, ""},
		{"no table with the columns", []string{"packets"}, city, asn, false, "--geoip fills columns of the flows, dns, http and tls tables, none of which is written: add one (--tables flows,...)"},
		{"no table with the columns, ASN only", []string{"beacons"}, "", asn, false, "--asn fills columns of the flows, dns, http and tls tables, none of which is written: add one (--tables flows,...)"},
		{"ASN database as GeoIP", []string{"flows"}, asn, "", false, "--geoip " + asn + ": an ASN database (GeoLite2-ASN), not a City or Country database"},
		{"City database as ASN", []string{"flows"}, city, city, false, "--asn " + city + ": a City or Country database (GeoLite2-City), not an ASN database"},
		{"missing ASN", []string{"flows"}, city, missing, false, "--asn " + missing + ": no such file or directory"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := makePlan(&Options{Tables: c.tables, Output: t.TempDir() + "/"})
			if err != nil {
				t.Fatal(err)
			}
			db, err := openEnrich(c.city, c.asn, p)
			if db != nil {
				defer db.Close()
			}
			if (db != nil) != c.db {
				t.Errorf("DB %v, want one: %v", db, c.db)
			}
			var ue *UsageError
			switch {
			case c.err == "" && err != nil:
				t.Errorf("error %v", err)
			case c.err != "" && (err == nil || err.Error() != c.err || !errors.As(err, &ue)):
				t.Errorf("error %#v, want the usage error %q", err, c.err)
			}
		})
	}
}

// TestConvertEnrich converts a real capture to the flows table with the
// databases (Options.Flows from withEnrich): the columns hold both ends'
// answers, null where there is none, the same for any number of jobs.
func TestConvertEnrich(t *testing.T) {
	city, asn := enrichTestDBs(t)
	p, err := makePlan(&Options{Tables: []string{"flows"}})
	if err != nil {
		t.Fatal(err)
	}
	db, err := openEnrich(city, asn, p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	base := flows.DefaultConfig()
	base.UDPIdle = 2 * base.UDPIdle
	cfg := withEnrich(&base, db)
	if cfg.Enrich == nil || cfg.UDPIdle != base.UDPIdle || base.Enrich != nil {
		t.Fatalf("withEnrich: %+v from %+v", cfg, base)
	}
	if withEnrich(&base, nil) != &base || withEnrich(nil, nil) != nil {
		t.Fatal("withEnrich without a DB changed the configuration")
	}
	in := []string{"testdata/captures/dpkt--examples--data--http.pcap"}
	client := map[string]any{"src_country": "DE", "src_asn": 64496.0, "src_as_org": "Example Access"}
	want := map[string]map[string]any{ // by dst_ip
		"65.208.228.223": {"dst_country": "US", "dst_asn": 64497.0, "dst_as_org": "Example Hosting"},
		"145.253.2.203":  {"dst_country": nil, "dst_asn": nil, "dst_as_org": nil},
		"216.239.59.99":  {"dst_country": nil, "dst_asn": nil, "dst_as_org": nil},
	}
	var first []byte
	for _, jobs := range []int{1, 3} {
		var out bytes.Buffer
		if _, err := Convert(context.Background(), in, Options{Stdout: &out, Tables: []string{"flows"}, Flows: cfg, Jobs: jobs}); err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = out.Bytes()
		} else if !bytes.Equal(first, out.Bytes()) {
			t.Errorf("-j %d: other bytes than -j 1", jobs)
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if len(lines) != len(want) {
			t.Fatalf("%d flows, want %d", len(lines), len(want))
		}
		for _, l := range lines {
			var row map[string]any
			if err := json.Unmarshal([]byte(l), &row); err != nil {
				t.Fatal(err)
			}
			w := want[row["dst_ip"].(string)]
			for k, v := range client {
				w[k] = v
			}
			for k, v := range w {
				if got, ok := row[k]; !ok || !reflect.DeepEqual(got, v) {
					t.Errorf("-j %d, dst_ip %s: %s = %v, want %v", jobs, row["dst_ip"], k, got, v)
				}
			}
		}
	}
	// the app tables' client and server get the same answers
	var out bytes.Buffer
	if _, err := Convert(context.Background(), in, Options{Stdout: &out, Tables: []string{"http"}, Flows: cfg}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	for _, l := range lines {
		var row map[string]any
		if err := json.Unmarshal([]byte(l), &row); err != nil {
			t.Fatal(err)
		}
		w := want[row["dst_ip"].(string)]
		for k, v := range w {
			if got := row[k]; !reflect.DeepEqual(got, v) {
				t.Errorf("http row to %s: %s = %v, want %v", row["dst_ip"], k, got, v)
			}
		}
	}
	if len(lines) == 0 {
		t.Fatal("no http rows")
	}
}
