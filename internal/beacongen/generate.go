package beacongen

import (
	"bufio"
	"cmp"
	"io"
	"net/netip"
	"os"
	"slices"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Roles of the hosts (indexes into the hosts): the planted beacons run
// on the first five, the periodic chatter on the next ones; every host
// browses and looks names up.
const (
	firstNTP    = 5 // three hosts
	firstSSDP   = 8 // two
	firstMDNS   = 10
	lansyncHost = 13
	minHosts    = 14
	webServers  = 300 // in the browsing pool
)

// Generate writes the capture of cfg to w as a classic pcap (Ethernet,
// IPv4, microsecond timestamps) and returns its truth.
func Generate(w io.Writer, cfg Config) (Truth, error) {
	cfg = cfg.withDefaults()
	g, _, beacons, benign := office(cfg, true)
	truth := Truth{Seed: cfg.Seed, Start: cfg.Start.UTC(), End: cfg.Start.Add(cfg.Duration).UTC(),
		Packets: len(g.pkts), Beacons: beacons, Benign: benign}
	return truth, g.write(w)
}

// office generates the office day of cfg (with defaults): its five
// fixed beacons when plant, the periodic chatter, every host's browsing
// and lookups, the packets sorted by time. It returns the generator, the
// hosts, the beacons and the benign pairs.
func office(cfg Config, plant bool) (*gen, []netip.Addr, []Beacon, []Pair) {
	g := &gen{start: cfg.Start.UnixNano(), end: cfg.Start.Add(cfg.Duration).UnixNano()}
	hosts := make([]netip.Addr, cfg.Hosts)
	for i := range hosts {
		hosts[i] = netip.AddrFrom4([4]byte{10, 1, byte(i / 200), byte(10 + i%200)})
	}
	var beacons []Beacon
	if plant {
		beacons = g.plant(cfg.Seed, hosts)
	}
	benign := g.chatter(cfg.Seed, hosts)
	g.reseed(cfg.Seed, 1)
	pool := g.servers(webServers)
	for i, h := range hosts {
		g.reseed(cfg.Seed, uint64(1000+i))
		g.browse(h, pool)
		g.lookups(h)
		benign = append(benign, Pair{Kind: "dns", SrcIP: h.String(), DstIP: resolver.String(), DstPort: 53, Proto: "udp",
			Note: "lookups to the internal resolver, in bursts at random times"})
	}
	slices.SortStableFunc(g.pkts, func(a, b packet) int { return cmp.Compare(a.ts, b.ts) })
	return g, hosts, beacons, benign
}

// chatter writes the periodic benign background: NTP, SSDP, mDNS and a
// LAN sync broadcast.
func (g *gen) chatter(seed uint64, hosts []netip.Addr) []Pair {
	g.reseed(seed, 200)
	var ntpServers []netip.Addr
	for range 4 {
		ntpServers = append(ntpServers, g.publicAddr())
	}
	boots := []int64{g.start, g.start + int64(20*time.Hour) + int64(g.rng.Float64()*30*60e9), g.start - 1}
	var out []Pair
	for i, boot := range boots {
		g.reseed(seed, uint64(210+i))
		k := 2 + g.rng.IntN(2)
		out = append(out, g.ntp(hosts[firstNTP+i], ntpServers[i%2:i%2+k], boot)...)
	}
	for i := range 2 {
		g.reseed(seed, uint64(220+i))
		out = append(out, g.ssdp(hosts[firstSSDP+i]))
	}
	for i := range 3 {
		g.reseed(seed, uint64(230+i))
		out = append(out, g.mdns(hosts[firstMDNS+i]))
	}
	g.reseed(seed, 240)
	return append(out, g.lansync(hosts[lansyncHost]))
}

// write writes the sorted packets as a pcap.
func (g *gen) write(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	pw := pcapgo.NewWriter(bw)
	if err := pw.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		return err
	}
	for _, p := range g.pkts {
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(0, p.ts).UTC(), CaptureLength: len(p.data), Length: len(p.data)}
		if err := pw.WritePacket(ci, p.data); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// WriteFile writes the capture that write makes (Generate, GenerateSpecs,
// a Background's Plant) to the file path and returns write's truth; the
// file is closed, and its close error reported, before it returns.
func WriteFile[T any](path string, write func(io.Writer) (T, error)) (T, error) {
	f, err := os.Create(path)
	if err != nil {
		var zero T
		return zero, err
	}
	truth, err := write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return truth, err
}
