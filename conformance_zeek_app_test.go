package pcap2table_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pcap2table/pcap2table"
	"github.com/pcap2table/pcap2table/internal/zeeklog"
)

// zeekAppPeers holds the shared Zeek references (../shared/peers/README.md),
// relative to the repository root.
const zeekAppPeers = "../shared/peers/zeek"

// zeekAppAll makes TestZeekApp log every difference, not only the most
// common kinds: go test -run TestZeekApp -v -zeekapp.all .
var zeekAppAll = flag.Bool("zeekapp.all", false, "TestZeekApp: log every difference")

// zeekAppFloors are the agreements (percent) that TestZeekApp must keep:
// "<log> rows" is the share of Zeek's rows matched by a row of ours, and
// "<log> <field>" the share of the matched rows whose field agrees. Each is
// the value measured when it was set, rounded down to 0.1 %. A floor only
// goes up: raise it when a fix raises the value (the test logs when one
// can be raised); never lower it to make a change pass. The goal of issue
// 23 is 90 % of the rows of each log.
var zeekAppFloors = map[string]float64{
	// ssl.log vs tls (set 2026-12-05)
	"ssl rows":           100.0,
	"ssl issuer":         100.0,
	"ssl subject":        100.0,
	"ssl orig":           100.0,
	"ssl server_name":    100.0,
	"ssl version":        100.0,
	"ssl cipher":         100.0,
	"ssl next_protocol":  100.0,
	"ssl resumed":        100.0,
	"ssl established":    100.0,
	"ssl last_alert":     100.0,
	"ssl cert_chain_fps": 100.0,
	// dns.log vs dns
	"dns rows":        100.0,
	"dns orig":        100.0,
	"dns trans_id":    100.0,
	"dns query":       100.0,
	"dns qclass_name": 100.0,
	"dns qtype_name":  100.0,
	"dns rcode_name":  100.0,
	"dns AA":          100.0,
	"dns TC":          100.0,
	"dns RD":          100.0,
	"dns RA":          100.0,
	"dns answers":     98.0,
	"dns TTLs":        98.0,
	"dns rtt":         94.7,
	// http.log vs http
	"http rows":              97.3,
	"http orig":              100.0,
	"http trans_depth":       100.0,
	"http method":            100.0,
	"http host":              100.0,
	"http uri":               100.0,
	"http referrer":          100.0,
	"http version":           100.0,
	"http user_agent":        100.0,
	"http request_body_len":  95.4,
	"http response_body_len": 100.0,
	"http status_code":       100.0,
	"http status_msg":        100.0,
}

// TestZeekApp converts every trace of the shared Zeek baselines of ssl.log,
// dns.log and http.log (../shared/peers/zeek/MANIFEST.tsv) to our tls, dns
// and http tables and compares them row by row: rows are matched on the
// connection (plus proto for dns), the endpoints unordered, and within a
// connection by agreement then order (and ts within 1 ms where the
// manifest says the log's timestamps are the trace's own: none of the
// app-log baselines, whose timestamps are masked); the fields that map
// onto our columns are compared with the mappings of zeekAppSpecs. A
// baseline with the same trace and rows as an earlier one is left out
// (the same evidence), as are those zeekAppIncomparable names. It logs the
// agreement per log and per field, the worst baselines and the most common
// differences (every one with -zeekapp.all), and asserts zeekAppFloors.
func TestZeekApp(t *testing.T) {
	manifest := filepath.Join(zeekAppPeers, "MANIFEST.tsv")
	if _, err := os.Stat(manifest); err != nil {
		t.Skipf("no shared peer references: %v", err)
	}
	r := zeekAppNewReport()
	outs := map[string]string{} // trace -> output folder
	seen := map[string]string{} // log, trace and rows -> the first test
	for _, m := range zeekAppReadManifest(t, manifest) {
		spec, ok := zeekAppSpecs[m.Log]
		if !ok {
			continue
		}
		r.baselines[m.Log]++
		if why := zeekAppIncomparable(m); why != "" {
			r.skip(m, why)
			continue
		}
		if _, err := os.Stat(filepath.Join(zeekAppPeers, m.Trace)); err != nil {
			r.skip(m, "no trace: "+err.Error())
			continue
		}
		lg := zeekAppReadLog(t, filepath.Join(zeekAppPeers, m.Baseline))
		if why := lg.incomparable(spec); why != "" {
			r.skip(m, why)
			continue
		}
		dup := m.Log + "\x00" + m.Trace + "\x00" + lg.digest(spec)
		if first, ok := seen[dup]; ok {
			r.skip(m, "same trace and rows as "+first)
			continue
		}
		seen[dup] = m.Test
		out, ok := outs[m.Trace]
		if !ok {
			out = zeekAppConvert(t, filepath.Join(zeekAppPeers, m.Trace))
			outs[m.Trace] = out
		}
		ours := readRows(t, filepath.Join(out, spec.table+".jsonl"))
		r.add(m, spec, zeekAppCompare(spec, lg, ours, m.TSReal))
	}
	r.log(t)
	zeekAppCheckFloors(t, r.values())
}

// zeekAppReadManifest reads MANIFEST.tsv.
func zeekAppReadManifest(t *testing.T, path string) []zeeklog.Entry {
	t.Helper()
	m, err := zeeklog.ReadManifest(path)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// zeekAppIncomparable says why a baseline's Zeek arguments or loaded
// scripts make its log mean something our tables do not ("" when they do
// not): a packet filter, another trace, analyzers turned off. (Scripts
// that only add fields, as the ja3 package, need no skip: a field is
// compared only where the log has it.)
func zeekAppIncomparable(m zeeklog.Entry) string {
	for _, c := range []struct{ in, pattern, why string }{
		{m.Args, "-f ", "zeek_args: a BPF filter"},
		{m.Args, "-r ", "zeek_args: another trace"},
		{m.Args, "Analyzer::disable", "zeek_args: analyzers disabled"},
		{m.Loads, "packet-filter", "loads: a packet filter"},
		{m.Loads, "Analyzer::disable", "loads: analyzers disabled"},
	} {
		if strings.Contains(c.in, c.pattern) {
			return c.why
		}
	}
	return ""
}

// zeekAppConvert converts one trace to the dns, http and tls tables (JSONL)
// and returns the output folder.
func zeekAppConvert(t *testing.T, trace string) string {
	t.Helper()
	dir := t.TempDir()
	_, err := pcap2table.Convert(context.Background(), []string{trace}, pcap2table.Options{
		Output: dir + "/", Format: "jsonl", Tables: []string{"dns", "http", "tls"}, Jobs: 1,
	})
	if err != nil && !errors.Is(err, pcap2table.ErrPartial) {
		t.Fatalf("%s: %v", trace, err)
	}
	return dir
}

// zeekAppLog is a Zeek TSV log (zeeklog.Log) with its fields as a set.
type zeekAppLog struct {
	fields map[string]bool
	rows   []zeekAppRow
}

// zeekAppRow is one row of a Zeek log.
type zeekAppRow = map[string]string

// zeekAppReadLog reads a Zeek TSV log (zeeklog.Read).
func zeekAppReadLog(t *testing.T, path string) zeekAppLog {
	t.Helper()
	l, err := zeeklog.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	lg := zeekAppLog{fields: map[string]bool{}, rows: l.Rows}
	for _, f := range l.Fields {
		lg.fields[f] = true
	}
	return lg
}

// incomparable says why the log cannot be compared ("" when it can): it
// lacks the connection fields.
func (lg zeekAppLog) incomparable(spec zeekAppSpec) string {
	for _, f := range spec.key {
		if !lg.fields[f] {
			return "no " + f + " field"
		}
	}
	return ""
}

// digest is the log's rows as the comparison reads them: two baselines of
// the same trace with the same digest are the same evidence.
func (lg zeekAppLog) digest(spec zeekAppSpec) string {
	var b strings.Builder
	for _, r := range lg.rows {
		for _, f := range spec.key {
			b.WriteString(r[f] + "\t")
		}
		for _, f := range spec.fields {
			if v, ok := r[f.name]; ok {
				b.WriteString(v)
			}
			b.WriteByte('\t')
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// zeekAppSpec says how one Zeek log maps onto one of our tables.
type zeekAppSpec struct {
	log, table string
	// key lists Zeek's connection fields that rows are matched on; the
	// two endpoints are taken unordered (a row whose originator differs
	// is matched, and field "orig" tells).
	key    []string
	fields []zeekAppField
}

// zeekAppField is one compared field: Zeek's value and ours, each mapped
// to a string that compares equal when the two mean the same.
type zeekAppField struct {
	name  string                                 // Zeek's field, the name reports use
	needs string                                 // the Zeek field the log must have ("": name)
	zeek  func(z zeekAppRow, name string) string // maps Zeek's value
	ours  func(o row) string                     // maps our row's
	eq    func(z, o string) bool                 // nil: ==
	only  func(z zeekAppRow, o row) bool         // nil: every matched row
}

// zeekAppTuple are the connection fields of every log.
var zeekAppTuple = []string{"id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p"}

// zeekAppSpecs maps ssl.log onto tls, dns.log onto dns and http.log onto
// http. Fields of Zeek's without a column of ours are left out (ssl's
// curve, ssl_history, sni_matches_cert; dns's Z, rejected, opcode; http's
// tags, proxied, file ids and sniffed MIME types, info_code).
var zeekAppSpecs = map[string]zeekAppSpec{
	"ssl": {log: "ssl", table: "tls", key: zeekAppTuple, fields: []zeekAppField{
		zeekAppOrig,
		zeekAppStr("server_name", "server_name"),
		{name: "version", zeek: zeekAppUnknownHex, ours: zeekAppCol("version")},
		{name: "cipher", zeek: zeekAppUnknownHex, ours: zeekAppCol("cipher_name")},
		zeekAppStr("next_protocol", "alpn"),
		{name: "resumed", zeek: zeekAppPlain, ours: zeekAppBool("resumed")},
		// Zeek cannot see a QUIC handshake finish (always F); ours
		// means a 1-RTT packet each way: compared over TCP only.
		{name: "established", zeek: zeekAppPlain, ours: zeekAppBool("established"),
			only: func(_ zeekAppRow, o row) bool { return o.str("transport") != "quic" }},
		{name: "last_alert", zeek: zeekAppPlain, ours: zeekAppAlert},
		zeekAppStr("subject", "cert_subject"),
		zeekAppStr("issuer", "cert_issuer"),
		{name: "cert_chain_fps", zeek: zeekAppFirst, ours: zeekAppCol("cert_sha256")},
		// ja3 is in ssl.log only where a test loads the ja3 package.
		zeekAppStr("ja3", "ja3"),
		zeekAppStr("ja3s", "ja3s"),
	}},
	"dns": {log: "dns", table: "dns", key: append(slices.Clone(zeekAppTuple), "proto"), fields: []zeekAppField{
		zeekAppOrig,
		zeekAppStr("trans_id", "trans_id"),
		// Zeek writes names in lower case; they compare without case.
		{name: "query", zeek: zeekAppPlain, ours: zeekAppCol("query"), eq: strings.EqualFold},
		// Zeek fills qclass and qtype from the query only: compared
		// where it has them.
		{name: "qclass_name", zeek: zeekAppDefaultName("qclass-", "CLASS"), ours: zeekAppCol("qclass_name"), only: zeekAppHas("qclass")},
		{name: "qtype_name", zeek: zeekAppDefaultName("query-", "TYPE"), ours: zeekAppCol("qtype_name"), only: zeekAppHas("qtype")},
		{name: "rcode_name", zeek: zeekAppDefaultName("rcode-", "RCODE"), ours: zeekAppCol("rcode_name")},
		// Zeek sets AA, RA and rtt while logging an answer record, so a
		// response without answers leaves them F and unset: compared
		// where Zeek has answers. TC and RD are F by default.
		{name: "AA", zeek: zeekAppPlain, ours: zeekAppBool("aa"), only: zeekAppHas("answers")},
		{name: "TC", zeek: zeekAppPlain, ours: zeekAppBool("tc")},
		{name: "RD", zeek: zeekAppPlain, ours: zeekAppBool("rd")},
		{name: "RA", zeek: zeekAppPlain, ours: zeekAppBool("ra"), only: zeekAppHas("answers")},
		{name: "answers", zeek: zeekAppAnswers, ours: func(o row) string { return zeekAppSorted(strings.ToLower(zeekAppText(o["answers"]))) }},
		{name: "TTLs", zeek: zeekAppTTLs, ours: zeekAppSet("ttls")},
		{name: "rtt", zeek: zeekAppPlain, ours: zeekAppCol("rtt"), eq: zeekAppNear, only: zeekAppHas("answers")},
	}},
	"http": {log: "http", table: "http", key: zeekAppTuple, fields: []zeekAppField{
		zeekAppOrig,
		zeekAppStr("trans_depth", "trans_depth"),
		zeekAppStr("method", "method"),
		zeekAppStr("host", "host"),
		// Zeek logs the URI percent-decoded, ours as sent.
		{name: "uri", zeek: zeekAppPlain, ours: zeekAppCol("uri"), eq: zeekAppSameURI},
		zeekAppStr("referrer", "referrer"),
		// Zeek's version is the reply's, ours the request's (the
		// reply's without a request): compared where we have no request.
		{name: "version", zeek: zeekAppPlain, ours: zeekAppCol("version"),
			only: func(_ zeekAppRow, o row) bool { return o["method"] == nil }},
		zeekAppStr("user_agent", "user_agent"),
		// Zeek counts 0 bytes where we have no message.
		{name: "request_body_len", zeek: zeekAppPlain, ours: zeekAppCount("request_body_len")},
		{name: "response_body_len", zeek: zeekAppPlain, ours: zeekAppCount("response_body_len")},
		// Zeek writes an HTTP/0.9 reply (no status line) as 0 "<empty>".
		{name: "status_code", zeek: zeekAppExcept("0"), ours: zeekAppCol("status_code")},
		{name: "status_msg", zeek: zeekAppExcept("<empty>"), ours: zeekAppCol("status_msg")},
	}},
}

// zeekAppOrig compares the originator: Zeek's id.orig_h and id.orig_p
// against our client (src_ip, src_port).
var zeekAppOrig = zeekAppField{name: "orig", needs: "id.orig_h",
	zeek: func(z zeekAppRow, _ string) string { return zeekAppEndpoint(z["id.orig_h"], z["id.orig_p"]) },
	ours: func(o row) string { return zeekAppEndpoint(o.str("src_ip"), zeekAppText(o["src_port"])) },
}

// zeekAppHas is true where Zeek's row has a non-empty field.
func zeekAppHas(field string) func(zeekAppRow, row) bool {
	return func(z zeekAppRow, _ row) bool { return z[field] != "" }
}

// zeekAppStr compares a Zeek field with a column of ours as they are.
func zeekAppStr(name, col string) zeekAppField {
	return zeekAppField{name: name, zeek: zeekAppPlain, ours: zeekAppCol(col)}
}

// zeekAppPlain is Zeek's value as it is ("" when unset).
func zeekAppPlain(z zeekAppRow, name string) string { return z[name] }

// zeekAppCol is our column as text ("" when null).
func zeekAppCol(col string) func(row) string {
	return func(o row) string { return zeekAppText(o[col]) }
}

// zeekAppText writes a JSON value as Zeek would: numbers without a
// needless fraction, booleans T and F, lists comma-separated.
func zeekAppText(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		if v {
			return "T"
		}
		return "F"
	case []any:
		s := make([]string, len(v))
		for i, e := range v {
			s[i] = zeekAppText(e)
		}
		return strings.Join(s, ",")
	}
	return fmt.Sprint(v)
}

// zeekAppBool is a boolean column of ours, null read as F (Zeek's default).
func zeekAppBool(col string) func(row) string {
	return func(o row) string {
		if o[col] == nil {
			return "F"
		}
		return zeekAppText(o[col])
	}
}

// zeekAppCount is a count column of ours, null read as 0 (Zeek's default).
func zeekAppCount(col string) func(row) string {
	return func(o row) string {
		if o[col] == nil {
			return "0"
		}
		return zeekAppText(o[col])
	}
}

// zeekAppSet is a list column of ours as a sorted set.
func zeekAppSet(col string) func(row) string {
	return func(o row) string { return zeekAppSorted(zeekAppText(o[col])) }
}

// zeekAppSorted sorts the elements of a comma-separated list.
func zeekAppSorted(v string) string {
	if v == "" {
		return ""
	}
	s := strings.Split(v, ",")
	slices.Sort(s)
	return strings.Join(s, ",")
}

// zeekAppEndpoint writes an address and port, the address in its
// canonical form.
func zeekAppEndpoint(addr, port string) string {
	if a, err := netip.ParseAddr(addr); err == nil {
		addr = a.String()
	}
	return addr + "/" + port
}

// zeekAppUnknownHex writes Zeek's name of an unknown version or cipher
// suite (unknown-32257) as ours does (0x7e01).
func zeekAppUnknownHex(z zeekAppRow, name string) string {
	v := z[name]
	if n, ok := strings.CutPrefix(v, "unknown-"); ok {
		if u, err := strconv.ParseUint(n, 10, 16); err == nil {
			return fmt.Sprintf("0x%04x", u)
		}
	}
	return v
}

// zeekAppDefaultName maps Zeek's name for a number without a name
// (query-65, rcode-23, qclass-7) onto ours (TYPE65, RCODE23, CLASS7).
func zeekAppDefaultName(zeekPrefix, ourPrefix string) func(zeekAppRow, string) string {
	return func(z zeekAppRow, name string) string {
		v := z[name]
		if n, ok := strings.CutPrefix(v, zeekPrefix); ok {
			return ourPrefix + n
		}
		return v
	}
}

// zeekAppExcept is Zeek's value, read as unset when it is x.
func zeekAppExcept(x string) func(zeekAppRow, string) string {
	return func(z zeekAppRow, name string) string {
		if z[name] == x {
			return ""
		}
		return z[name]
	}
}

// zeekAppFirst is the first element of a Zeek vector (the server's
// certificate of cert_chain_fps).
func zeekAppFirst(z zeekAppRow, name string) string {
	first, _, _ := strings.Cut(z[name], ",")
	return first
}

// zeekAppAlerts names the TLS alerts as Zeek does (RFC 8446 6, 5246 7.2).
var zeekAppAlerts = map[string]string{
	"0": "close_notify", "10": "unexpected_message", "20": "bad_record_mac", "21": "decryption_failed",
	"22": "record_overflow", "30": "decompression_failure", "40": "handshake_failure", "41": "no_certificate",
	"42": "bad_certificate", "43": "unsupported_certificate", "44": "certificate_revoked",
	"45": "certificate_expired", "46": "certificate_unknown", "47": "illegal_parameter", "48": "unknown_ca",
	"49": "access_denied", "50": "decode_error", "51": "decrypt_error", "60": "export_restriction",
	"70": "protocol_version", "71": "insufficient_security", "80": "internal_error",
	"86": "inappropriate_fallback", "90": "user_canceled", "100": "no_renegotiation",
	"109": "missing_extension", "110": "unsupported_extension", "112": "unrecognized_name",
	"113": "bad_certificate_status_response", "115": "unknown_psk_identity",
	"116": "certificate_required", "120": "no_application_protocol",
}

// zeekAppAlert is the last alert our error column names ("alert 40"), by
// Zeek's name; "" without one.
func zeekAppAlert(o row) string {
	last := ""
	for _, part := range strings.Split(o.str("error"), "; ") {
		if n, ok := strings.CutPrefix(part, "alert "); ok {
			last = n
			if name, ok := zeekAppAlerts[n]; ok {
				last = name
			}
		}
	}
	return last
}

// zeekAppRRTypes are the record types whose answers Zeek writes as the
// mnemonic and some of the data ("RRSIG 5 cmu.edu", "DNSKEY 5", "SSHFP:
// <fingerprint>"); ours writes them as <RRSIG>.
var zeekAppRRTypes = map[string]bool{
	"DNSKEY": true, "RRSIG": true, "NSEC": true, "NSEC3": true, "NSEC3PARAM": true, "DS": true,
	"SSHFP": true, "TKEY": true, "TSIG": true, "CAA": true, "HINFO": true, "LOC": true, "NAPTR": true,
	"TLSA": true, "SVCB": true, "HTTPS": true, "CERT": true, "OPT": true, "SPF": true, "URI": true,
}

// zeekAppAnswers maps Zeek's answers onto ours, as a sorted set in lower
// case (Zeek writes names in lower case, ours as sent).
func zeekAppAnswers(z zeekAppRow, name string) string {
	v, ok := z[name]
	if !ok || v == "" {
		return v
	}
	s := strings.Split(v, ",")
	for i, a := range s {
		s[i] = strings.ToLower(zeekAppAnswer(a))
	}
	slices.Sort(s)
	return strings.Join(s, ",")
}

// zeekAppAnswer maps one of Zeek's answers onto ours: TXT strings joined
// by spaces (Zeek: "TXT <len> <string>" each), other records without a
// name or address as <TYPE>.
func zeekAppAnswer(a string) string {
	word, _, _ := strings.Cut(a, " ")
	word = strings.TrimSuffix(word, ":")
	if word == "TXT" {
		return zeekAppTXT(a)
	}
	if zeekAppRRTypes[word] {
		return "<" + word + ">"
	}
	return a
}

// zeekAppTXT joins the strings of Zeek's "TXT 3 abc TXT 2 de" by spaces.
func zeekAppTXT(a string) string {
	var out []string
	for {
		rest, ok := strings.CutPrefix(a, "TXT ")
		if !ok {
			return strings.Join(append(out, a), " ")
		}
		n, body, _ := strings.Cut(rest, " ")
		l, err := strconv.Atoi(n)
		if err != nil || l > len(body) {
			return strings.Join(append(out, a), " ")
		}
		out = append(out, body[:l])
		a = strings.TrimPrefix(body[l:], " ")
		if a == "" {
			return strings.Join(out, " ")
		}
	}
}

// zeekAppTTLs is Zeek's TTLs (intervals) as whole seconds, a sorted set.
func zeekAppTTLs(z zeekAppRow, name string) string {
	v, ok := z[name]
	if !ok || v == "" {
		return v
	}
	s := strings.Split(v, ",")
	for i, e := range s {
		if f, err := strconv.ParseFloat(e, 64); err == nil {
			s[i] = strconv.FormatFloat(math.Round(f), 'f', -1, 64)
		}
	}
	slices.Sort(s)
	return strings.Join(s, ",")
}

// zeekAppNear compares two durations within Zeek's microsecond
// resolution.
func zeekAppNear(z, o string) bool {
	if z == "" || o == "" {
		return z == o
	}
	a, err1 := strconv.ParseFloat(z, 64)
	b, err2 := strconv.ParseFloat(o, 64)
	return err1 == nil && err2 == nil && math.Abs(a-b) <= 1.5e-6
}

// zeekAppSameURI compares Zeek's URI (percent-decoded) with ours (as
// sent), raw or decoded.
func zeekAppSameURI(z, o string) bool {
	return z == o || z == zeekAppPercentDecode(o)
}

// zeekAppPercentDecode decodes %XX escapes, leaving a '%' without two hex
// digits as it is (as Zeek's unescape_URI).
func zeekAppPercentDecode(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(n))
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// zeekAppFieldResult is one field of a matched pair.
type zeekAppFieldResult struct {
	name       string
	agree      bool
	zeek, ours string
}

// zeekAppRowResult is what became of one Zeek row.
type zeekAppRowResult struct {
	conn    string // the connection, as zeekAppZeekKey
	matched bool
	miss    string // why it was not matched
	fields  []zeekAppFieldResult
}

// zeekAppResult is the comparison of one baseline.
type zeekAppResult struct {
	rows []zeekAppRowResult
	// extra counts our rows on Zeek's connections that no Zeek row
	// matched; others our rows on connections Zeek did not log.
	extra, others int
}

// zeekAppCompare matches Zeek's rows with ours connection by connection,
// in order (and, where the log's timestamps are the trace's own, tsReal,
// only with a row of ours within 1 ms), and compares the fields of each
// matched pair.
func zeekAppCompare(spec zeekAppSpec, lg zeekAppLog, ours []row, tsReal bool) zeekAppResult {
	zs := map[string][]int{}
	var keys []string
	for i, z := range lg.rows {
		k := zeekAppZeekKey(spec, z)
		if zs[k] == nil {
			keys = append(keys, k)
		}
		zs[k] = append(zs[k], i)
	}
	byKey := map[string][]row{}
	for _, o := range zeekAppByTime(ours) {
		k := zeekAppOurKey(spec, o)
		byKey[k] = append(byKey[k], o)
	}
	res := zeekAppResult{rows: make([]zeekAppRowResult, len(lg.rows))}
	for k, o := range byKey {
		if zs[k] == nil {
			res.others += len(o)
		}
	}
	for _, k := range keys {
		zrows := make([]zeekAppRow, len(zs[k]))
		for i, j := range zs[k] {
			zrows[i] = lg.rows[j]
		}
		pairs := zeekAppAlign(spec, lg, zrows, byKey[k], tsReal)
		res.extra += len(byKey[k]) - len(pairs)
		for i, j := range zs[k] {
			r := &res.rows[j]
			r.conn = k
			if p, ok := pairs[i]; ok {
				r.matched, r.fields = true, zeekAppFields(spec, lg, zrows[i], byKey[k][p])
			} else if len(byKey[k]) == 0 {
				r.miss = "no row of ours on the connection"
			} else {
				r.miss = fmt.Sprintf("fewer rows of ours on the connection (zeek %d, ours %d)", len(zrows), len(byKey[k]))
			}
		}
	}
	return res
}

// zeekAppByTime orders our rows by ts, then trans_depth (our tables write
// rows when they end, not in the order they start).
func zeekAppByTime(rows []row) []row {
	out := slices.Clone(rows)
	sort.SliceStable(out, func(i, j int) bool {
		if a, b := out[i].str("ts"), out[j].str("ts"); a != b {
			return a < b
		}
		a, _ := out[i].num("trans_depth")
		b, _ := out[j].num("trans_depth")
		return a < b
	})
	return out
}

// zeekAppZeekKey is a Zeek row's connection, the endpoints unordered.
func zeekAppZeekKey(spec zeekAppSpec, z zeekAppRow) string {
	extra := ""
	if len(spec.key) > 4 {
		extra = z[spec.key[4]]
	}
	return zeekAppConnKey(zeekAppEndpoint(z["id.orig_h"], z["id.orig_p"]), zeekAppEndpoint(z["id.resp_h"], z["id.resp_p"]), extra)
}

// zeekAppOurKey is our row's connection, as zeekAppZeekKey.
func zeekAppOurKey(spec zeekAppSpec, o row) string {
	extra := ""
	if len(spec.key) > 4 {
		extra = o.str("proto")
	}
	return zeekAppConnKey(zeekAppEndpoint(o.str("src_ip"), zeekAppText(o["src_port"])),
		zeekAppEndpoint(o.str("dst_ip"), zeekAppText(o["dst_port"])), extra)
}

func zeekAppConnKey(a, b, extra string) string {
	if b < a {
		a, b = b, a
	}
	return a + " " + b + " " + extra
}

// zeekAppAlign pairs Zeek's rows of a connection with ours: as many pairs
// as the shorter side has rows, those that agree on the most fields first,
// then those nearest in order (Zeek writes unanswered DNS queries when the
// connection ends, not in order); with tsReal, only rows within 1 ms of
// each other. It returns Zeek's index -> our index.
func zeekAppAlign(spec zeekAppSpec, lg zeekAppLog, zs []zeekAppRow, ours []row, tsReal bool) map[int]int {
	type pair struct{ i, j, agree, dist int }
	var all []pair
	for i := range zs {
		for j := range ours {
			if tsReal && !zeekAppSameTime(zs[i]["ts"], ours[j].str("ts")) {
				continue
			}
			p := pair{i: i, j: j, dist: max(i-j, j-i)}
			for _, f := range zeekAppFields(spec, lg, zs[i], ours[j]) {
				if f.agree {
					p.agree++
				}
			}
			all = append(all, p)
		}
	}
	sort.SliceStable(all, func(a, b int) bool {
		if all[a].agree != all[b].agree {
			return all[a].agree > all[b].agree
		}
		return all[a].dist < all[b].dist
	})
	pairs, used := map[int]int{}, map[int]bool{}
	for _, p := range all {
		if _, ok := pairs[p.i]; !ok && !used[p.j] {
			pairs[p.i] = p.j
			used[p.j] = true
		}
	}
	return pairs
}

// zeekAppSameTime says whether Zeek's ts (epoch seconds) and ours
// (RFC 3339) are within 1 ms.
func zeekAppSameTime(z, o string) bool {
	zs, err1 := strconv.ParseFloat(z, 64)
	ot, err2 := time.Parse(time.RFC3339Nano, o)
	if err1 != nil || err2 != nil {
		return false
	}
	return math.Abs(zs-float64(ot.UnixNano())/1e9) <= 1e-3
}

// zeekAppFields compares the fields of a matched pair that the log has
// and that apply to our row.
func zeekAppFields(spec zeekAppSpec, lg zeekAppLog, z zeekAppRow, o row) []zeekAppFieldResult {
	var out []zeekAppFieldResult
	for _, f := range spec.fields {
		needs := f.needs
		if needs == "" {
			needs = f.name
		}
		if !lg.fields[needs] || (f.only != nil && !f.only(z, o)) {
			continue
		}
		zv, ov := f.zeek(z, f.name), f.ours(o)
		eq := zv == ov
		if f.eq != nil {
			eq = f.eq(zv, ov)
		}
		out = append(out, zeekAppFieldResult{name: f.name, agree: eq, zeek: zv, ours: ov})
	}
	return out
}

// zeekAppReport accumulates the comparisons of every baseline.
type zeekAppReport struct {
	baselines     map[string]int // log -> baselines in the manifest
	skipped       []string
	rows, matched map[string]int          // log -> Zeek's rows, those matched
	extra, others map[string]int          // log -> our unmatched rows (zeekAppResult)
	fields        map[string]*[2]int      // "log field" -> agreeing, compared
	diffs         map[string]*zeekAppDiff // kind of difference
	scores        []zeekAppScore
	all           []string // every difference, for -zeekapp.all
}

// zeekAppDiff counts one kind of difference, with an example.
type zeekAppDiff struct {
	n       int
	tests   map[string]bool
	example string
}

// zeekAppScore is one baseline's agreement.
type zeekAppScore struct {
	name                              string
	rows, matched, agreeing, compared int
}

func zeekAppNewReport() *zeekAppReport {
	return &zeekAppReport{
		baselines: map[string]int{}, rows: map[string]int{}, matched: map[string]int{},
		extra: map[string]int{}, others: map[string]int{},
		fields: map[string]*[2]int{}, diffs: map[string]*zeekAppDiff{},
	}
}

// skip records a baseline left out and why.
func (r *zeekAppReport) skip(m zeeklog.Entry, why string) {
	r.skipped = append(r.skipped, fmt.Sprintf("%s %s: %s", m.Log, m.Test, why))
}

// add records the comparison of one baseline.
func (r *zeekAppReport) add(m zeeklog.Entry, spec zeekAppSpec, res zeekAppResult) {
	sc := zeekAppScore{name: fmt.Sprintf("%s %s (%s)", m.Log, m.Test, filepath.Base(m.Trace)), rows: len(res.rows)}
	r.extra[m.Log] += res.extra
	r.others[m.Log] += res.others
	for _, rr := range res.rows {
		r.rows[m.Log]++
		if !rr.matched {
			r.diff(m.Log+" row: "+rr.miss, m.Test, "")
			r.all = append(r.all, fmt.Sprintf("%s %s %s: %s", m.Log, m.Test, rr.conn, rr.miss))
			continue
		}
		r.matched[m.Log]++
		sc.matched++
		for _, f := range rr.fields {
			k := m.Log + " " + f.name
			if r.fields[k] == nil {
				r.fields[k] = &[2]int{}
			}
			r.fields[k][1]++
			sc.compared++
			if f.agree {
				r.fields[k][0]++
				sc.agreeing++
				continue
			}
			r.diff(k+": "+zeekAppDiffKind(f), m.Test, fmt.Sprintf("zeek %q, ours %q", zeekAppShort(f.zeek), zeekAppShort(f.ours)))
			r.all = append(r.all, fmt.Sprintf("%s %s %s %s: zeek %q, ours %q", m.Log, m.Test, rr.conn, f.name, f.zeek, f.ours))
		}
	}
	r.scores = append(r.scores, sc)
}

// diff counts one difference of a kind.
func (r *zeekAppReport) diff(kind, test, example string) {
	d := r.diffs[kind]
	if d == nil {
		d = &zeekAppDiff{tests: map[string]bool{}, example: test}
		if example != "" {
			d.example += ": " + example
		}
		r.diffs[kind] = d
	}
	d.n++
	d.tests[test] = true
}

// zeekAppDiffKind classifies a field's difference.
func zeekAppDiffKind(f zeekAppFieldResult) string {
	switch {
	case f.ours == "":
		return "ours null, zeek set"
	case f.zeek == "":
		return "zeek unset, ours set"
	}
	return "values differ"
}

// zeekAppShort cuts a long value for the report.
func zeekAppShort(s string) string {
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}

// zeekAppPercent is 100 a / b.
func zeekAppPercent(a, b int) float64 { return 100 * float64(a) / float64(b) }

// values are the measured agreements, keyed as zeekAppFloors.
func (r *zeekAppReport) values() map[string]float64 {
	v := map[string]float64{}
	for log, n := range r.rows {
		if n > 0 {
			v[log+" rows"] = zeekAppPercent(r.matched[log], n)
		}
	}
	for k, f := range r.fields {
		v[k] = zeekAppPercent(f[0], f[1])
	}
	return v
}

// log writes the report: per log, per field, the worst baselines, the
// most common differences and the baselines left out.
func (r *zeekAppReport) log(t *testing.T) {
	t.Helper()
	for _, log := range []string{"ssl", "dns", "http"} {
		n := r.rows[log]
		if n == 0 {
			t.Logf("%s.log: no rows compared", log)
			continue
		}
		t.Logf("%s.log vs %s: %d baselines; rows %d/%d matched (%.1f %%); ours unmatched: %d on Zeek's connections, %d on others",
			log, zeekAppSpecs[log].table, r.baselines[log], r.matched[log], n, zeekAppPercent(r.matched[log], n), r.extra[log], r.others[log])
		for _, f := range zeekAppSpecs[log].fields {
			if c := r.fields[log+" "+f.name]; c != nil {
				t.Logf("    %-18s %4d/%-4d %5.1f %%", f.name, c[0], c[1], zeekAppPercent(c[0], c[1]))
			}
		}
	}
	r.logWorst(t, 15)
	r.logDiffs(t, 30)
	if *zeekAppAll {
		t.Logf("every difference:")
		for _, d := range r.all {
			t.Logf("    %s", d)
		}
	}
	t.Logf("left out (%d):", len(r.skipped))
	for _, s := range r.skipped {
		t.Logf("    %s", s)
	}
}

// logWorst writes the n baselines with the fewest rows matched, then the
// fewest fields agreeing.
func (r *zeekAppReport) logWorst(t *testing.T, n int) {
	t.Helper()
	s := slices.Clone(r.scores)
	rate := func(a, b int) float64 {
		if b == 0 {
			return 1
		}
		return float64(a) / float64(b)
	}
	sort.SliceStable(s, func(i, j int) bool {
		ri, rj := rate(s[i].matched, s[i].rows), rate(s[j].matched, s[j].rows)
		if ri != rj {
			return ri < rj
		}
		return rate(s[i].agreeing, s[i].compared) < rate(s[j].agreeing, s[j].compared)
	})
	t.Logf("worst baselines:")
	for _, sc := range s[:min(n, len(s))] {
		if sc.matched == sc.rows && sc.agreeing == sc.compared {
			break
		}
		t.Logf("    rows %2d/%-2d fields %3d/%-3d  %s", sc.matched, sc.rows, sc.agreeing, sc.compared, sc.name)
	}
}

// logDiffs writes the n most common kinds of difference.
func (r *zeekAppReport) logDiffs(t *testing.T, n int) {
	t.Helper()
	kinds := make([]string, 0, len(r.diffs))
	for k := range r.diffs {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool {
		if a, b := r.diffs[kinds[i]].n, r.diffs[kinds[j]].n; a != b {
			return a > b
		}
		return kinds[i] < kinds[j]
	})
	t.Logf("most common differences (count, baselines, kind, e.g.):")
	for _, k := range kinds[:min(n, len(kinds))] {
		d := r.diffs[k]
		t.Logf("    %3d %2d  %s\n            e.g. %s", d.n, len(d.tests), k, d.example)
	}
}

// zeekAppCheckFloors asserts that every measured agreement is at least its
// floor, that every one has a floor, and says which floors can go up.
func zeekAppCheckFloors(t *testing.T, values map[string]float64) {
	t.Helper()
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := values[k]
		down := math.Floor(v*10+1e-9) / 10
		floor, ok := zeekAppFloors[k]
		switch {
		case !ok:
			t.Errorf("no floor for %q: add %q: %.1f to zeekAppFloors", k, k, down)
		case v+1e-9 < floor:
			t.Errorf("%s: %.2f %% is below its floor %.1f %%", k, v, floor)
		case down > floor:
			t.Logf("floor %q can be raised to %.1f", k, down)
		}
	}
	for k := range zeekAppFloors {
		if _, ok := values[k]; !ok {
			t.Errorf("floor %q: nothing measured", k)
		}
	}
}
