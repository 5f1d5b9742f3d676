package flows

import "net/netip"

// Geo is what an Enricher knows of one address: its country and its
// autonomous system. The zero value is no answer.
type Geo struct {
	// Country is the ISO 3166-1 alpha-2 code, upper case (zero: none).
	Country [2]byte
	// ASN is the autonomous system number (0, which is reserved: none).
	ASN uint32
	// ASOrg is the autonomous system's organization ("": none).
	ASOrg string
}

// HasCountry reports whether g has a country.
func (g *Geo) HasCountry() bool { return g.Country != [2]byte{} }

// An Enricher looks addresses up in GeoIP and ASN databases
// (Config.Enrich; package enrich reads MaxMind's format). The tracker
// looks up both ends of each flow once, as its row is made, on the
// goroutine of the flow's shard: Lookup is called from several goroutines
// at once, and should not allocate (it runs for every flow; package
// enrich's does not).
type Enricher interface {
	// Lookup sets *out to what is known of a (the zero Geo for nothing:
	// private, loopback, link-local, multicast and unknown addresses).
	Lookup(a netip.Addr, out *Geo)
}

// enrich looks up the ends of the row's flow (Config.Enrich).
func (t *shard) enrich(r *Row) {
	if e := t.cfg.Enrich; e != nil {
		e.Lookup(r.SrcIP, &r.SrcGeo)
		e.Lookup(r.DstIP, &r.DstGeo)
	}
}
