// Package mmdbtest writes small MaxMind-format databases for tests, with
// made-up records over the networks a test names (no licensed data): a
// City-like database (country and registered country), an ASN database,
// or any other record shape.
package mmdbtest

import (
	"net"
	"os"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// A Network is a prefix ("81.2.69.0/24", "2001:db8::/32") and its record.
type Network struct {
	Prefix string
	Record mmdbtype.Map
}

// Country is a City or Country database's record: a country (iso_code
// "" for none) and the country the network is registered in ("" none),
// with English names and a city and location to skip over.
func Country(iso, registered string) mmdbtype.Map {
	m := mmdbtype.Map{
		"continent": mmdbtype.Map{"code": mmdbtype.String("EU"), "geoname_id": mmdbtype.Uint32(6255148)},
		"city":      mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String("Somewhere"), "de": mmdbtype.String("Irgendwo")}},
		"location":  mmdbtype.Map{"latitude": mmdbtype.Float64(51.5), "longitude": mmdbtype.Float64(-0.1), "accuracy_radius": mmdbtype.Uint16(100)},
	}
	if iso != "" {
		m["country"] = mmdbtype.Map{"iso_code": mmdbtype.String(iso), "geoname_id": mmdbtype.Uint32(1),
			"names": mmdbtype.Map{"en": mmdbtype.String("Country " + iso)}}
	}
	if registered != "" {
		m["registered_country"] = mmdbtype.Map{"iso_code": mmdbtype.String(registered), "geoname_id": mmdbtype.Uint32(2)}
	}
	return m
}

// ASN is an ASN database's record (GeoLite2-ASN's field names).
func ASN(n uint32, org string) mmdbtype.Map {
	return mmdbtype.Map{
		"autonomous_system_number":       mmdbtype.Uint32(n),
		"autonomous_system_organization": mmdbtype.String(org),
	}
}

// Write writes a database of type dbType (its metadata's database_type,
// e.g. "GeoLite2-City", "GeoLite2-ASN") holding nets to path. The
// database is IPv6 (IPv4 networks are found through the IPv4 subtree and
// its aliases) and may hold reserved networks (private, loopback).
func Write(path, dbType string, nets ...Network) error { return write(path, dbType, 6, nets) }

// WriteIPv4 is Write for an IPv4-only database.
func WriteIPv4(path, dbType string, nets ...Network) error { return write(path, dbType, 4, nets) }

func write(path, dbType string, ipVersion int, nets []Network) error {
	w, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: dbType, IncludeReservedNetworks: true, IPVersion: ipVersion,
		BuildEpoch: 1700000000, Description: map[string]string{"en": "pcap2table test database"}})
	if err != nil {
		return err
	}
	for _, n := range nets {
		_, p, err := net.ParseCIDR(n.Prefix)
		if err != nil {
			return err
		}
		if err := w.Insert(p, n.Record); err != nil {
			return err
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := w.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
