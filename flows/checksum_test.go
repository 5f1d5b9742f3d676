package flows_test

import (
	"path/filepath"
	"strconv"
	"testing"

	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/internal/reftest"
	"github.com/pcap2table/pcap2table/parsers"
)

// TestChecksumsWithTshark compares every TCP and UDP checksum verdict with
// tshark's (testdata/make-local-refs.sh) on the real captures: a
// segment tshark finds bad is bad here, one it finds good is good.
func TestChecksumsWithTshark(t *testing.T) {
	var bad, good, compared, routing int
	for _, name := range reftest.Captures(t, capturesDir) {
		ref := reftest.ReadTSV(t, filepath.Join(capturesDir, "ref-checksum", name+".tsv"))
		if ref == nil {
			continue
		}
		rows := decodeRows(t, filepath.Join(capturesDir, name))
		byFrame := map[string]int{}
		for i := range rows {
			byFrame[strconv.FormatUint(rows[i].Frame, 10)] = i
		}
		for _, r := range ref {
			status := r["tcp.checksum.status"]
			if status == "" {
				status = r["udp.checksum.status"]
			}
			if status != "0" && status != "1" {
				continue
			}
			i, ok := byFrame[r["frame.number"]]
			if !ok {
				continue
			}
			row := &rows[i]
			if row.Has(parsers.ColFragOffset) && (row.FragOffset > 0 || row.MoreFrags) {
				continue // tshark checks the reassembled datagram on its last fragment
			}
			got, checked := flows.ChecksumOK(row)
			if !checked {
				continue // cut by the snap length, or a tunnel tshark reads further
			}
			compared++
			if got != (status == "1") && name == "tcpdump--tests--ipv6-routing-header.pcap" {
				// RFC 8200: the pseudo-header holds the route's final
				// destination, which rows do not carry (docs/flows.md)
				routing++
				continue
			}
			if got != (status == "1") {
				t.Errorf("%s frame %s: checksum ok %v, tshark status %s", name, r["frame.number"], got, status)
				continue
			}
			if got {
				good++
			} else {
				bad++
			}
		}
	}
	t.Logf("%d checksums compared with tshark: %d bad, %d good agree; %d behind a routing header differ", compared, bad, good, routing)
	if routing != 2 {
		t.Errorf("%d checksums behind a routing header differ, want 2", routing)
	}
	if bad < 1000 || good < 1000 {
		t.Errorf("only %d bad and %d good checksums compared", bad, good)
	}
}
