package beaconeval

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Flow is the part of a flows row the scorers read (docs/schema.md).
type Flow struct {
	FlowID      int64     `json:"flow_id"`
	TSStart     time.Time `json:"ts_start"`
	TSEnd       time.Time `json:"ts_end"`
	SrcIP       string    `json:"src_ip"`
	DstIP       string    `json:"dst_ip"`
	DstPort     uint16    `json:"dst_port"`
	Proto       string    `json:"proto"`
	OrigIPBytes float64   `json:"orig_ip_bytes"`
	EndReason   string    `json:"end_reason"`
}

// HTTP is the part of an http row RITA reads: one row per transaction.
type HTTP struct {
	TS     time.Time `json:"ts"`
	FlowID int64     `json:"flow_id"`
	Host   *string   `json:"host"`
}

// TLS is the part of a tls row RITA reads.
type TLS struct {
	FlowID     int64   `json:"flow_id"`
	ServerName *string `json:"server_name"`
}

// BeaconRow is the part of a beacons row the evaluation reads: only
// these columns (the others are changing).
type BeaconRow struct {
	SrcIP   string   `json:"src_ip"`
	DstIP   string   `json:"dst_ip"`
	DstName *string  `json:"dst_name"`
	DstPort uint16   `json:"dst_port"`
	Proto   string   `json:"proto"`
	Score   *float64 `json:"score"`
	Strobe  *bool    `json:"strobe"`
}

// Tables are the tables of one converted capture.
type Tables struct {
	Flows   []Flow
	HTTP    []HTTP
	TLS     []TLS
	Beacons []BeaconRow
}

// ReadTables reads flows, http, tls and beacons .jsonl from dir (a
// table that is missing is empty).
func ReadTables(dir string) (Tables, error) {
	var t Tables
	var err error
	if t.Flows, err = readJSONL[Flow](filepath.Join(dir, "flows.jsonl")); err != nil {
		return t, err
	}
	if t.HTTP, err = readJSONL[HTTP](filepath.Join(dir, "http.jsonl")); err != nil {
		return t, err
	}
	if t.TLS, err = readJSONL[TLS](filepath.Join(dir, "tls.jsonl")); err != nil {
		return t, err
	}
	t.Beacons, err = readJSONL[BeaconRow](filepath.Join(dir, "beacons.jsonl"))
	return t, err
}

// readJSONL decodes each line of a JSONL file into a T; a missing file
// is no rows.
func readJSONL[T any](path string) ([]T, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read table: %w", err)
	}
	defer f.Close()
	var rows []T
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for line := 1; sc.Scan(); line++ {
		var r T
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("%s: line %d: %w", path, line, err)
		}
		rows = append(rows, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rows, nil
}

// outbound tells whether the anchors score a connection to dst: a
// destination outside the private networks (RFC 1918, RFC 4193) that is
// routed (not unspecified, loopback, link-local, multicast or the
// limited broadcast). RITA scores internal-to-external traffic; the same
// filter is applied to the mode score so that both rank the same pairs.
func outbound(dst string) bool {
	a, err := netip.ParseAddr(dst)
	if err != nil {
		return false
	}
	a = a.Unmap()
	return !(a.IsPrivate() || a.IsUnspecified() || a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsMulticast() ||
		a.IsLinkLocalMulticast() || a == netip.AddrFrom4([4]byte{255, 255, 255, 255}))
}

// hostName is an HTTP Host without its port, in lower case, or "" for
// none.
func hostName(h *string) string {
	if h == nil {
		return ""
	}
	s := strings.ToLower(strings.TrimSuffix(*h, "."))
	if i := strings.LastIndexByte(s, ':'); i >= 0 && !strings.Contains(s[:i], ":") {
		s = s[:i]
	}
	return strings.TrimSuffix(s, ".")
}
