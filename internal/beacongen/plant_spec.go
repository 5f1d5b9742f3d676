package beacongen

import (
	"io"
	"time"
)

// Kind is how a configured beacon calls out (Spec.Kind).
type Kind string

// The kinds of a configured beacon.
const (
	// KindHTTP is one HTTP connection (GET, port 80) per beat.
	KindHTTP Kind = "http"
	// KindTLS is one TLS connection (port 443) per beat.
	KindTLS Kind = "tls"
	// KindCDN is one TLS connection per beat to one of 12 addresses of one
	// /22, always with the same SNI.
	KindCDN Kind = "cdn"
	// KindDNS is a TXT query for a random label under one domain per beat,
	// to an external resolver, from a new source port each time.
	KindDNS Kind = "dns"
	// KindKeepAliveHTTP is ONE TCP connection kept open, with one HTTP
	// request and response per beat inside it.
	KindKeepAliveHTTP Kind = "keepalive-http"
	// KindHeartbeatTCP is ONE raw TCP session (no HTTP, no TLS): a small
	// payload of the originator and a small answer per beat.
	KindHeartbeatTCP Kind = "heartbeat-tcp"
)

// Kinds lists every Kind, in the order the evaluation rotates them.
var Kinds = []Kind{KindHTTP, KindTLS, KindCDN, KindDNS, KindKeepAliveHTTP, KindHeartbeatTCP}

// Sleep is when a configured beacon is silent (Spec.Sleep).
type Sleep string

// The sleep windows.
const (
	// SleepNone: the beacon calls out all the time.
	SleepNone Sleep = ""
	// SleepWorkHours: silent outside 08:00 to 18:00 UTC.
	SleepWorkHours Sleep = "workhours"
	// SleepStretch: silent for one random stretch of 30 to 50 % of the
	// capture.
	SleepStretch Sleep = "stretch"
)

// Spec describes one planted beacon.
type Spec struct {
	Name string `json:"name"`
	Kind Kind   `json:"kind"`
	// Period is the nominal sleep between beats, in seconds.
	Period float64 `json:"period_s"`
	// Jitter is a fraction of Period. One-sided (Cobalt Strike), each
	// sleep is Period·(1 − U·Jitter); TwoSided, Period·(1 + (2U − 1)·Jitter),
	// U uniform in [0, 1).
	Jitter   float64 `json:"jitter"`
	TwoSided bool    `json:"two_sided,omitempty"`
	// Missed is the probability that a beat is skipped (each beat
	// independently; the schedule goes on as if it had happened).
	Missed float64 `json:"missed,omitempty"`
	Sleep  Sleep   `json:"sleep,omitempty"`
	// Tasking is the probability that a beat is followed by a burst of 2
	// to 5 extra call-outs, 1 to 4 s apart (an operator's tasking).
	Tasking float64 `json:"tasking,omitempty"`
}

// Planted is the truth of one planted Spec.
type Planted struct {
	Spec    Spec     `json:"spec"`
	SrcIP   string   `json:"src_ip"`
	DstIPs  []string `json:"dst_ips"`
	DstPort uint16   `json:"dst_port"`
	Proto   string   `json:"proto"`
	// SNI (tls, cdn), Host (http, keepalive-http) or Domain (dns: each
	// query is a random label under it).
	SNI    string `json:"sni,omitempty"`
	Host   string `json:"host,omitempty"`
	Domain string `json:"domain,omitempty"`
	// Beats is the number of scheduled beats written (not missed, not
	// asleep); Callouts adds the tasking call-outs; Connections is the
	// number of TCP connections or DNS queries (1 for keepalive-http and
	// heartbeat-tcp).
	Beats       int `json:"beats"`
	Callouts    int `json:"callouts"`
	Connections int `json:"connections"`
}

// DstName is the name the beacon reaches its server by: SNI, Host or
// Domain ("" for heartbeat-tcp).
func (p Planted) DstName() string {
	switch {
	case p.SNI != "":
		return p.SNI
	case p.Host != "":
		return p.Host
	}
	return p.Domain
}

// SpecTruth is what a capture with planted Specs holds.
type SpecTruth struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Packets counts every packet written, Background those of the
	// background (generated or read).
	Packets    int       `json:"packets"`
	Background int       `json:"background_packets"`
	Beacons    []Planted `json:"beacons"`
	// Benign lists the periodic pairs of a generated background (none
	// for a real one).
	Benign []Pair `json:"benign,omitempty"`
}

// GenerateSpecs writes the office background of cfg (as Generate does,
// without its five fixed beacons) with specs planted on distinct internal
// hosts, as a pcap with nanosecond timestamps, and returns the truth.
func GenerateSpecs(w io.Writer, cfg Config, specs []Spec) (SpecTruth, error) {
	return OfficeBackground(cfg).Plant(w, cfg.Seed, specs)
}

// PlantCapture reads a real capture (pcap or pcapng, Ethernet) from r and
// writes it to w with specs planted over its time span, from and to
// addresses it does not use, merged in time order (pcap, nanoseconds).
func PlantCapture(w io.Writer, r io.Reader, seed uint64, specs []Spec) (SpecTruth, error) {
	bg, err := ReadBackground(r)
	if err != nil {
		return SpecTruth{}, err
	}
	return bg.Plant(w, seed, specs)
}

// MaxPeriod is the longest period that gives, on average, at least
// beats beats over span when a share missed of them is skipped (room
// left for the random phase and the end margin): for short real
// backgrounds. It is at least 1 s.
func MaxPeriod(span time.Duration, missed float64, beats int) float64 {
	kept := max(0.05, 1-missed)
	return max(1, span.Seconds()*kept/float64(beats+3))
}
