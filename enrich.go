package pcap2table

import (
	"errors"

	"github.com/pcap2table/pcap2table/enrich"
	"github.com/pcap2table/pcap2table/flows"
)

// openEnrich opens the databases that fill the flows table's country and
// ASN columns: geoPath a City or Country database (--geoip), asnPath an
// ASN database (--asn), either "" for none; nil and no error when neither
// is given. The tables written must include flows. An error is a
// *UsageError that names the flag and the file ("--asn FILE: not a
// MaxMind database"). Close the DB after the run (Close of a nil DB does
// nothing).
func openEnrich(geoPath, asnPath string, p *plan) (*enrich.DB, error) {
	if geoPath == "" && asnPath == "" {
		return nil, nil
	}
	enriched := false
	for _, name := range []string{flows.Schema.Name, "dns", "http", "tls"} {
		enriched = enriched || containsTable(p.tables, lookup(name))
	}
	if !enriched {
		flag := "--geoip"
		if geoPath == "" {
			flag = "--asn"
		}
		return nil, usagef("%s fills columns of the flows, dns, http and tls tables, none of which is written: add one (--tables flows,...)", flag)
	}
	db, err := enrich.Open(geoPath, asnPath)
	if err != nil {
		flag := "--geoip"
		if oe := (*enrich.OpenError)(nil); errors.As(err, &oe) && oe.ASN {
			flag = "--asn"
		}
		return nil, &UsageError{Msg: flag + " " + err.Error()}
	}
	return db, nil
}

// withEnrich returns the flow tracker's configuration (cfg; nil is
// flows.DefaultConfig) with db looking up each flow's ends, leaving cfg
// as it is; cfg itself when db is nil.
func withEnrich(cfg *flows.Config, db *enrich.DB) *flows.Config {
	if db == nil {
		return cfg // a nil *enrich.DB as an Enricher would not be nil
	}
	c := flows.DefaultConfig()
	if cfg != nil {
		c = *cfg
	}
	c.Enrich = db
	return &c
}
