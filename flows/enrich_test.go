package flows_test

import (
	"net/netip"
	"path/filepath"
	"reflect"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/pcap2table/pcap2table/enrich"
	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/internal/mmdbtest"
	"github.com/pcap2table/pcap2table/internal/plugintest"
	"github.com/pcap2table/pcap2table/table"
)

// enrichCapture's flows: 145.254.160.237 talks to 65.208.228.223 (HTTP),
// 145.253.2.203 (DNS) and 216.239.59.99 (HTTP).
const enrichCapture = capturesDir + "/dpkt--examples--data--http.pcap"

// enrichDBs writes made-up City and ASN databases over enrichCapture's
// addresses (but 216.239.59.99: no answer) and opens them.
func enrichDBs(t testing.TB) *enrich.DB {
	t.Helper()
	dir := t.TempDir()
	city, asn := filepath.Join(dir, "city.mmdb"), filepath.Join(dir, "asn.mmdb")
	err := mmdbtest.Write(city, "GeoLite2-City",
		mmdbtest.Network{Prefix: "145.254.0.0/16", Record: mmdbtest.Country("DE", "DE")},
		mmdbtest.Network{Prefix: "145.253.0.0/16", Record: mmdbtest.Country("", "DE")},
		mmdbtest.Network{Prefix: "65.208.228.0/24", Record: mmdbtest.Country("US", "US")})
	if err != nil {
		t.Fatal(err)
	}
	err = mmdbtest.Write(asn, "GeoLite2-ASN",
		mmdbtest.Network{Prefix: "145.254.0.0/16", Record: mmdbtest.ASN(64496, "Example Access")},
		mmdbtest.Network{Prefix: "145.253.0.0/16", Record: mmdbtest.ASN(64498, "Example Resolvers")},
		mmdbtest.Network{Prefix: "65.208.228.0/24", Record: mmdbtest.ASN(64497, "Example Hosting")})
	if err != nil {
		t.Fatal(err)
	}
	db, err := enrich.Open(city, asn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// geoCols are the enrichment columns.
var geoCols = []string{"src_country", "dst_country", "src_asn", "dst_asn", "src_as_org", "dst_as_org"}

// TestEnrichCapture runs the tracker with an enricher over a real capture,
// with 1 to 3 shards and batches of 1 to 64 packets: each flow's row
// has both ends' answers, and the flows table's columns hold them (null
// where there is none, and everywhere without the enricher).
func TestEnrichCapture(t *testing.T) {
	db := enrichDBs(t)
	rows := decodeRows(t, enrichCapture)
	src := plugintest.Row{"src_country": "DE", "src_asn": uint64(64496), "src_as_org": "Example Access"}
	want := map[string]plugintest.Row{ // by dst_ip
		"65.208.228.223": {"dst_country": "US", "dst_asn": uint64(64497), "dst_as_org": "Example Hosting"},
		"145.253.2.203":  {"dst_country": "DE", "dst_asn": uint64(64498), "dst_as_org": "Example Resolvers"}, // registered country
		"216.239.59.99":  {"dst_country": nil, "dst_asn": nil, "dst_as_org": nil},
	}
	cases := []struct {
		name          string
		enrich        flows.Enricher
		shards, batch int
	}{
		{"without", nil, 1, 1},
		{"1 shard", db, 1, 1},
		{"2 shards", db, 2, 7},
		{"3 shards", db, 3, 64},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := flows.DefaultConfig()
			cfg.Enrich = c.enrich
			fl := feedBatches(cfg, c.shards, nil, slices.Clone(rows), c.batch)
			if len(fl) != len(want) {
				t.Fatalf("%d flows, want %d", len(fl), len(want))
			}
			cols, err := flows.Schema.Projection(nil)
			if err != nil {
				t.Fatal(err)
			}
			b := table.NewBatch(flows.Schema, len(fl))
			for i := range fl {
				fl[i].AppendTo(b, cols)
			}
			for _, got := range plugintest.Read(t, b) {
				w := plugintest.Row{}
				for _, col := range geoCols {
					w[col] = nil
				}
				if c.enrich != nil {
					for k, v := range src {
						w[k] = v
					}
					for k, v := range want[got["dst_ip"].(string)] {
						w[k] = v
					}
				}
				for _, col := range geoCols {
					if !reflect.DeepEqual(got[col], w[col]) {
						t.Errorf("%s: %v, want %v", col, got[col], w[col])
					}
				}
			}
		})
	}
}

// countingEnricher counts its look-ups and answers one country for all.
type countingEnricher struct{ n atomic.Int64 }

func (e *countingEnricher) Lookup(_ netip.Addr, out *flows.Geo) {
	e.n.Add(1)
	*out = flows.Geo{Country: [2]byte{'Z', 'Z'}}
}

// TestEnrichOncePerFlow: the enricher is asked once per end of each
// flow, not per packet.
func TestEnrichOncePerFlow(t *testing.T) {
	rows := decodeRows(t, enrichCapture)
	e := &countingEnricher{}
	cfg := flows.DefaultConfig()
	cfg.Enrich = e
	fl := feed(cfg, nil, rows)
	if got, want := e.n.Load(), int64(2*len(fl)); got != want || len(rows) <= len(fl) {
		t.Errorf("%d look-ups for %d flows of %d packets, want %d", got, len(fl), len(rows), want)
	}
	for _, r := range fl {
		if string(r.SrcGeo.Country[:]) != "ZZ" || string(r.DstGeo.Country[:]) != "ZZ" {
			t.Errorf("flow %d: %+v %+v", r.FlowID, r.SrcGeo, r.DstGeo)
		}
	}
}

// TestEnrichZeroAllocs: with an enricher that answers every public
// address, tracking still allocates nothing (TestObserveZeroAllocs's
// passes), the flows' look-ups included.
func TestEnrichZeroAllocs(t *testing.T) {
	dir := t.TempDir()
	city, asn := filepath.Join(dir, "city.mmdb"), filepath.Join(dir, "asn.mmdb")
	var cityNets, asnNets []mmdbtest.Network
	for i, p := range []string{"0.0.0.0/1", "128.0.0.0/1", "2000::/3"} {
		cityNets = append(cityNets, mmdbtest.Network{Prefix: p, Record: mmdbtest.Country("DE", "DE")})
		asnNets = append(asnNets, mmdbtest.Network{Prefix: p, Record: mmdbtest.ASN(uint32(64496+i), "Example")})
	}
	if err := mmdbtest.Write(city, "GeoLite2-City", cityNets...); err != nil {
		t.Fatal(err)
	}
	if err := mmdbtest.Write(asn, "GeoLite2-ASN", asnNets...); err != nil {
		t.Fatal(err)
	}
	db, err := enrich.Open(city, asn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows := decodeRows(t, filepath.Join(capturesDir, "pcapplusplus--Tests--Pcap__Test--PcapExamples--example.pcap"))
	for _, shards := range []int{1, 2} {
		cfg := flows.DefaultConfig()
		cfg.Enrich = db
		tr := flows.NewTracker(cfg, shards)
		var ended, answered int
		tr.Subscribe(&countGeo{ended: &ended, answered: &answered})
		var arena flows.Arena
		pass := func() {
			arena.Reset()
			for i := range rows {
				tr.Retain(&rows[i], &arena)
			}
			for lo := 0; lo < len(rows); lo += 512 {
				tr.Observe(rows[lo:min(lo+512, len(rows))])
			}
		}
		pass()
		pass()
		if n := testing.AllocsPerRun(5, pass); n != 0 {
			t.Errorf("%d shards: %v allocations per pass over %d packets", shards, n, len(rows))
		}
		tr.Close()
		if ended == 0 || answered == 0 {
			t.Errorf("%d shards: %d flows ended, %d with an answer: the test misses the look-ups", shards, ended, answered)
		}
	}
}

// countGeo is a Subscriber that counts the flows' rows, and those with
// an answer for an end.
type countGeo struct{ ended, answered *int }

func (c *countGeo) Flow(r *flows.Row) {
	*c.ended++
	if r.SrcGeo.ASN != 0 || r.DstGeo.ASN != 0 {
		*c.answered++
	}
}
func (c *countGeo) Finish() {}
