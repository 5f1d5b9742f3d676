package enrich

import (
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"strings"
	"unsafe"

	"github.com/oschwald/maxminddb-golang/v2"
	"github.com/oschwald/maxminddb-golang/v2/mmdbdata"

	"github.com/pcap2table/pcap2table/flows"
)

// DB answers look-ups from a GeoIP (City or Country) database, an ASN
// database, or both. It is safe for use by several goroutines at once.
type DB struct {
	geo, asn         *maxminddb.Reader
	geo4, asn4       bool // the database is IPv4 only
	geoType, asnType string
	asnBytes         []byte // the ASN database, which organizations' names point into
	closed           bool
}

var _ flows.Enricher = (*DB)(nil)

// ErrNotMaxMind is the error of a file that is not a MaxMind database.
var ErrNotMaxMind = errors.New("not a MaxMind database")

// An OpenError is a database that Open could not use: the file as it was
// given, which of the two it was, and why (ErrNotMaxMind, the type of a
// database of the wrong kind, or the file system's error).
type OpenError struct {
	Path string
	ASN  bool // the ASN database (else the GeoIP one)
	Err  error
}

// Error is one line that names the file: "FILE: not a MaxMind database".
func (e *OpenError) Error() string { return e.Path + ": " + e.Err.Error() }

func (e *OpenError) Unwrap() error { return e.Err }

// Open opens a City or Country database (geoPath) and an ASN database
// (asnPath); either may be "" for none. An error is an *OpenError naming
// the file: missing or unreadable, not a MaxMind database, or a database
// of the wrong kind (an ASN database given as the GeoIP one, or the
// reverse).
func Open(geoPath, asnPath string) (*DB, error) {
	db := &DB{}
	if geoPath != "" {
		r, err := maxminddb.Open(geoPath)
		if err != nil {
			return nil, openError(geoPath, false, err)
		}
		if err := checkKind(r.Metadata.DatabaseType, false); err != nil {
			r.Close()
			return nil, &OpenError{Path: geoPath, Err: err}
		}
		db.geo, db.geo4, db.geoType = r, r.Metadata.IPVersion == 4, r.Metadata.DatabaseType
	}
	if asnPath != "" {
		// read into memory, not mapped: the organizations' names point
		// into these bytes, and they stay valid as long as a name does
		b, err := os.ReadFile(asnPath)
		if err != nil {
			db.Close()
			return nil, openError(asnPath, true, err)
		}
		r, err := maxminddb.OpenBytes(b)
		if err != nil {
			db.Close()
			return nil, openError(asnPath, true, err)
		}
		if err := checkKind(r.Metadata.DatabaseType, true); err != nil {
			db.Close()
			return nil, &OpenError{Path: asnPath, ASN: true, Err: err}
		}
		db.asn, db.asn4, db.asnType, db.asnBytes = r, r.Metadata.IPVersion == 4, r.Metadata.DatabaseType, b
	}
	return db, nil
}

// openError says why a file could not be opened as a database.
func openError(path string, asn bool, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err // the path is said once
	} else {
		err = ErrNotMaxMind
	}
	return &OpenError{Path: path, ASN: asn, Err: err}
}

// The kinds of databases, from their metadata's database_type.
const (
	kindGeo = 1 << iota // countries: City, Country, Enterprise
	kindASN             // autonomous systems: ASN, ISP
)

// kindOf tells what a database_type holds. Types that name neither
// countries nor autonomous systems but are MaxMind's own products of
// another kind are 0 and known; any other type is unknown (it might hold
// either: its records are read for the same field names).
func kindOf(dbType string) (kind int, known bool) {
	t := strings.ToLower(dbType)
	for _, s := range []string{"city", "country", "enterprise"} {
		if strings.Contains(t, s) {
			kind |= kindGeo
		}
	}
	for _, s := range []string{"asn", "isp"} {
		if strings.Contains(t, s) {
			kind |= kindASN
		}
	}
	if kind != 0 {
		return kind, true
	}
	for _, s := range []string{"anonymous", "connection-type", "domain", "density", "risk", "static-ip"} {
		if strings.Contains(t, s) {
			return 0, true
		}
	}
	return 0, false
}

// checkKind refuses a database of the wrong kind.
func checkKind(dbType string, asn bool) error {
	kind, known := kindOf(dbType)
	switch {
	case !known:
		return nil
	case asn && kind&kindASN == 0:
		if kind&kindGeo != 0 {
			return fmt.Errorf("a City or Country database (%s), not an ASN database", dbType)
		}
		return fmt.Errorf("a %s database, not an ASN database", dbType)
	case !asn && kind&kindGeo == 0:
		if kind&kindASN != 0 {
			return fmt.Errorf("an ASN database (%s), not a City or Country database", dbType)
		}
		return fmt.Errorf("a %s database, not a City or Country database", dbType)
	}
	return nil
}

// Types returns the database_type of the GeoIP and ASN databases ("" for
// none), as their metadata gives it.
func (db *DB) Types() (geo, asn string) { return db.geoType, db.asnType }

// Close closes the databases, after the last look-up (a look-up after
// it answers nothing). The organizations' names that look-ups gave stay
// valid.
func (db *DB) Close() error {
	if db == nil || db.closed {
		return nil
	}
	db.closed = true
	var err error
	if db.geo != nil {
		err = db.geo.Close()
	}
	if db.asn != nil {
		err = errors.Join(err, db.asn.Close())
	}
	return err
}

// Lookup sets *out to the country (GeoIP database) and the autonomous
// system (ASN database) of a; the zero Geo when a is private, loopback,
// link-local, multicast or unspecified, or neither database knows it. A
// nil DB answers nothing. It allocates nothing.
func (db *DB) Lookup(a netip.Addr, out *flows.Geo) {
	*out = flows.Geo{}
	if db == nil || db.closed {
		return
	}
	a = a.Unmap().WithZone("")
	if !a.IsGlobalUnicast() || a.IsPrivate() {
		return
	}
	if db.geo != nil && (a.Is4() || !db.geo4) {
		if db.geo.Lookup(a).Decode((*geoRecord)(out)) != nil {
			out.Country = [2]byte{}
		}
	}
	if db.asn != nil && (a.Is4() || !db.asn4) {
		if db.asn.Lookup(a).Decode((*asnRecord)(out)) != nil {
			out.ASN, out.ASOrg = 0, ""
		}
	}
}

// geoRecord decodes a City or Country database's record into a Geo's
// Country: country.iso_code, else registered_country.iso_code.
type geoRecord flows.Geo

func (g *geoRecord) UnmarshalMaxMindDBCursor(c mmdbdata.Cursor) (mmdbdata.Cursor, error) {
	m, err := c.Map()
	if err != nil {
		return mmdbdata.Cursor{}, mmdbdata.NormalizeUnmarshalError[geoRecord](err)
	}
	var registered [2]byte
	var next mmdbdata.Cursor
	for {
		key, v, ok := m.Next(next)
		if !ok {
			break
		}
		switch string(key) {
		case "country":
			next, err = isoCode(v, &g.Country)
		case "registered_country":
			next, err = isoCode(v, &registered)
		default:
			next, err = v.Skip()
		}
		if err != nil {
			return mmdbdata.Cursor{}, err
		}
	}
	if g.Country == [2]byte{} {
		g.Country = registered
	}
	return m.End()
}

// isoCode reads the iso_code of the country map at c into *iso, if it is
// two letters (upper-cased), and returns the map's successor.
func isoCode(c mmdbdata.Cursor, iso *[2]byte) (mmdbdata.Cursor, error) {
	m, err := c.Map()
	if err != nil {
		return mmdbdata.Cursor{}, err
	}
	var next mmdbdata.Cursor
	for {
		key, v, ok := m.Next(next)
		if !ok {
			break
		}
		if string(key) == "iso_code" {
			if b, err := stringBytes(v); err == nil && len(b) == 2 && isLetter(b[0]) && isLetter(b[1]) {
				*iso = [2]byte{b[0] &^ 0x20, b[1] &^ 0x20}
			}
		}
		if next, err = v.Skip(); err != nil {
			return mmdbdata.Cursor{}, err
		}
	}
	return m.End()
}

func isLetter(b byte) bool { b |= 0x20; return b >= 'a' && b <= 'z' }

// stringBytes returns the bytes of the string at c, without copying them:
// they alias the database (a string is encoded as a map key is).
func stringBytes(c mmdbdata.Cursor) ([]byte, error) {
	b, _, err := c.ReadMapKey()
	return b, err
}

// asnRecord decodes an ASN database's record into a Geo's ASN and ASOrg.
type asnRecord flows.Geo

func (g *asnRecord) UnmarshalMaxMindDBCursor(c mmdbdata.Cursor) (mmdbdata.Cursor, error) {
	m, err := c.Map()
	if err != nil {
		return mmdbdata.Cursor{}, mmdbdata.NormalizeUnmarshalError[asnRecord](err)
	}
	var next mmdbdata.Cursor
	for {
		key, v, ok := m.Next(next)
		if !ok {
			break
		}
		switch string(key) {
		case "autonomous_system_number":
			var n uint64
			if n, next, err = v.ReadUint(); err == nil && n <= 1<<32-1 {
				g.ASN = uint32(n)
			}
		case "autonomous_system_organization":
			var b []byte
			if b, err = stringBytes(v); err == nil && len(b) > 0 {
				// the bytes are the ASN database's, held in memory and
				// never written
				g.ASOrg = unsafe.String(&b[0], len(b))
			}
			if err == nil {
				next, err = v.Skip()
			}
		default:
			next, err = v.Skip()
		}
		if err != nil {
			return mmdbdata.Cursor{}, err
		}
	}
	return m.End()
}
