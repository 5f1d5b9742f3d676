package beacons_test

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/pcap2table/pcap2table/beacons"
	"github.com/pcap2table/pcap2table/internal/plugintest"
)

// TestKeyedByName: connections that reached a service by one name are
// one pair, whatever addresses served them (a CDN); dst_ip is the latest
// connection's, dst_ips counts them; connections without a name keep
// their address as the key; an allow-listed name leaves its pair out.
func TestKeyedByName(t *testing.T) {
	const t0 = int64(1.7e18)
	allow, err := beacons.ParseAllow(strings.NewReader("*.good.example\n"))
	if err != nil {
		t.Fatal(err)
	}
	b := newBatch()
	p := beacons.New(outputFor(b), 10)
	p.Allow = allow
	for i := range 30 {
		row := flowRow(t0 + int64(i)*60e9)
		row.DstIP = netip.AddrFrom4([4]byte{203, 0, 113, byte(i % 12)})
		row.Name, row.NameSource = "c2.example", "tls"
		p.Flow(&row)
		row = flowRow(t0 + int64(i)*60e9 + 1e9)
		row.DstIP = netip.MustParseAddr("198.51.100.9") // no name: by address
		p.Flow(&row)
		row = flowRow(t0 + int64(i)*60e9 + 2e9)
		row.DstIP = netip.AddrFrom4([4]byte{192, 0, 2, byte(i % 3)})
		row.Name, row.NameSource = "api.good.example", "dns"
		p.Flow(&row)
	}
	p.Finish()
	rows := plugintest.Read(t, b)
	if len(rows) != 2 || p.Allowed != 1 {
		t.Fatalf("%d rows, %d allow-listed; want 2, 1", len(rows), p.Allowed)
	}
	got := map[string]string{}
	for _, r := range rows {
		got[r.Str("dst_name")] = fmt.Sprintf("%s %s %d %d", r.Str("dst_ip"), r.Str("dst_name_source"), r.Uint("dst_ips"), r.Uint("connections"))
	}
	want := map[string]string{
		"c2.example": "203.0.113.5 tls 12 30", // the 30th connection's address
		"":           "198.51.100.9  1 30",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rows %v, want %v", got, want)
	}

	// by address: the CDN's 12 addresses are 12 pairs again
	b = newBatch()
	p = beacons.New(outputFor(b), 2)
	p.ByAddress = true
	for i := range 30 {
		row := flowRow(t0 + int64(i)*60e9)
		row.DstIP = netip.AddrFrom4([4]byte{203, 0, 113, byte(i % 12)})
		row.Name, row.NameSource = "c2.example", "tls"
		p.Flow(&row)
	}
	p.Finish()
	if rows := plugintest.Read(t, b); len(rows) != 12 || rows[0].Str("dst_name") != "" {
		t.Errorf("by address: %d rows (want 12), dst_name %q", len(rows), rows[0].Str("dst_name"))
	}
}

// TestNTP: NTP time synchronization (UDP to port 123, NTP-sized
// messages) is left out unless asked for; a periodic channel on port 123
// whose sizes are not NTP's is not.
func TestNTP(t *testing.T) {
	const t0 = int64(1.7e18)
	for _, tc := range []struct {
		name       string
		orig, resp uint64
		keep       bool
		rows       int
		left       uint64
	}{
		{"ntp", 48, 48, false, 0, 1},
		{"ntp with a MAC, unanswered", 68, 0, false, 0, 1},
		{"ntp kept", 48, 48, true, 1, 0},
		{"port 123, other sizes", 48, 400, false, 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBatch()
			p := beacons.New(outputFor(b), 10)
			p.NTP = tc.keep
			for i := range 20 {
				row := flowRow(t0 + int64(i)*1024e9)
				row.Proto, row.IPProto, row.DstPort = "udp", 17, 123
				row.Orig.Bytes, row.Resp.Bytes = tc.orig, tc.resp
				p.Flow(&row)
			}
			p.Finish()
			if rows := plugintest.Read(t, b); len(rows) != tc.rows || p.TimeSync != tc.left {
				t.Errorf("%d rows, %d NTP pairs left out; want %d, %d", len(rows), p.TimeSync, tc.rows, tc.left)
			}
		})
	}
}
