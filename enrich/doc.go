// Package enrich looks addresses up in MaxMind-format databases: the
// country of a City or Country database (GeoLite2-City, GeoLite2-Country,
// GeoIP2, DB-IP's lite databases) and the autonomous system of an ASN
// database (GeoLite2-ASN, or any with its field names
// autonomous_system_number and autonomous_system_organization).
//
// A DB is a flows.Enricher: set as flows.Config.Enrich, it fills the flows
// table's src_country, dst_country, src_asn, dst_asn, src_as_org and
// dst_as_org, one look-up per end of each flow. A look-up takes a few
// hundred nanoseconds and allocates nothing: it decodes the record in
// place (no reflection, no cache of answers), and the organization's
// name is a string that points into the ASN database's bytes, which the
// DB holds in memory (never unmapped, so such a string stays valid
// after Close). The City or Country database is memory-mapped.
//
// Private, loopback, link-local, multicast and unspecified addresses have
// no answer whatever the database says, nor do addresses the database
// does not know; an IPv4-mapped IPv6 address is looked up as its IPv4
// address.
//
// docs/enrich.md says where to get databases and what the columns mean.
package enrich
