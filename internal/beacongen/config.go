package beacongen

import "time"

// Config sets the capture's seed, start, length and size.
type Config struct {
	// Seed makes the capture: the same Config gives the same bytes.
	Seed uint64
	// Start is the capture's first instant (UTC hours decide working
	// hours, 08:00 to 18:00). Zero: DefaultStart.
	Start time.Time
	// Duration is the capture's length (0: 24 hours).
	Duration time.Duration
	// Hosts is the number of internal workstations, all of which browse
	// (0: 16; at least 14): the planted beacons run on the first five,
	// NTP, SSDP, mDNS and LAN sync on the next nine.
	Hosts int
}

// DefaultStart is a Monday noon: the capture spans an afternoon, a night
// and a morning, so the working-hours beacon sleeps in its middle.
var DefaultStart = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

// DefaultConfig is seed 1, DefaultStart, 24 hours and 16 hosts.
func DefaultConfig() Config {
	return Config{Seed: 1, Start: DefaultStart, Duration: 24 * time.Hour, Hosts: 16}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Start.IsZero() {
		c.Start = d.Start
	}
	if c.Duration <= 0 {
		c.Duration = d.Duration
	}
	if c.Hosts <= 0 {
		c.Hosts = d.Hosts
	}
	c.Hosts = max(c.Hosts, minHosts)
	return c
}

// Truth is what the capture holds: the planted beacons and the benign
// pairs that are periodic too.
type Truth struct {
	Seed    uint64    `json:"seed"`
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	Packets int       `json:"packets"`
	// Beacons are the planted command-and-control beacons.
	Beacons []Beacon `json:"beacons"`
	// Benign are pairs of the background that call out on a schedule or
	// often: a scorer should rank them below the beacons (the browsing
	// pairs, irregular, are not listed).
	Benign []Pair `json:"benign"`
}

// Beacon is one planted beacon: one internal host calling one service,
// over one address or (cdn) several.
type Beacon struct {
	Name   string   `json:"name"`
	Kind   string   `json:"kind"` // fixed, jitter, sleep, cdn, dns
	SrcIP  string   `json:"src_ip"`
	DstIPs []string `json:"dst_ips"`
	// DstPort and Proto ("tcp", "udp") as the flows table writes them.
	DstPort uint16 `json:"dst_port"`
	Proto   string `json:"proto"`
	// SNI is the TLS server_name of a TLS beacon; Domain the queried
	// domain of a DNS beacon (each query a random label under it).
	SNI    string `json:"sni,omitempty"`
	Domain string `json:"domain,omitempty"`
	// Interval is the nominal interval in seconds and Jitter the
	// uniform jitter as a fraction of it (0.3: ± 30 %).
	Interval float64 `json:"interval_s"`
	Jitter   float64 `json:"jitter"`
	// Connections is the number of connections (flows) written.
	Connections int    `json:"connections"`
	Note        string `json:"note,omitempty"`
}

// Pair is a benign (src_ip, dst_ip, dst_port, proto) of the background.
type Pair struct {
	Kind    string `json:"kind"` // ntp, ssdp, mdns, lansync, dns
	SrcIP   string `json:"src_ip"`
	DstIP   string `json:"dst_ip"`
	DstPort uint16 `json:"dst_port"`
	Proto   string `json:"proto"`
	Note    string `json:"note,omitempty"`
}
