package beacongen

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// TestGenerateUnchanged: Generate writes the bytes it wrote before the
// configurable planting was added (TestBeaconTruth depends on them).
func TestGenerateUnchanged(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Duration = 2 * time.Hour
	h := sha256.New()
	if _, err := Generate(h, cfg); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintf("%x", h.Sum(nil)); got != "8783b5f151995ee1744b493b1416319052b1c1791f9bea160aa168832e9c9398" {
		t.Fatalf("Generate's bytes changed: sha256 %s", got)
	}
}

// TestSchedule: the sleeps between beats honour the period and the
// one- or two-sided jitter, and the share of missed beats (fixed seeds,
// a day of a 60 s beacon: ~1440 slots).
func TestSchedule(t *testing.T) {
	day := int64(24 * time.Hour)
	for _, tc := range []struct {
		name              string
		spec              Spec
		lo, hi, mean, tol float64 // bounds and mean of the sleeps, s
	}{
		{"fixed", Spec{Period: 60}, 60, 60, 60, 1e-6},
		{"one-sided 30%", Spec{Period: 60, Jitter: 0.3}, 42, 60, 51, 0.5},
		{"two-sided 30%", Spec{Period: 60, Jitter: 0.3, TwoSided: true}, 42, 78, 60, 0.6},
		{"two-sided 60%", Spec{Period: 60, Jitter: 0.6, TwoSided: true}, 24, 96, 60, 1.2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := &gen{start: 0, end: day}
			g.reseed(7, 1)
			calls, beats := g.schedule(tc.spec, day)
			if beats != len(calls) || beats < 1000 {
				t.Fatalf("%d beats, %d call-outs", beats, len(calls))
			}
			var sum float64
			for i := 1; i < len(calls); i++ {
				d := float64(calls[i].t-calls[i-1].t) / 1e9
				if d < tc.lo-1e-6 || d > tc.hi+1e-6 {
					t.Fatalf("sleep %v outside [%v, %v]", d, tc.lo, tc.hi)
				}
				sum += d
			}
			if mean := sum / float64(len(calls)-1); math.Abs(mean-tc.mean) > tc.tol {
				t.Fatalf("mean sleep %v, want %v ± %v", mean, tc.mean, tc.tol)
			}
		})
	}
}

// TestScheduleMissed: each beat is skipped with probability Missed;
// gaps are whole multiples of the period.
func TestScheduleMissed(t *testing.T) {
	day := int64(24 * time.Hour)
	for _, missed := range []float64{0, 0.1, 0.3, 0.5} {
		g := &gen{start: 0, end: day}
		g.reseed(11, 2)
		calls, _ := g.schedule(Spec{Period: 60, Missed: missed}, day)
		slots := 1440.0
		kept := float64(len(calls)) / slots
		sd := math.Sqrt(missed * (1 - missed) / slots)
		if math.Abs(kept-(1-missed)) > 4*sd+1e-9 {
			t.Errorf("missed %v: kept %.3f of the beats", missed, kept)
		}
		for i := 1; i < len(calls); i++ {
			if d := float64(calls[i].t-calls[i-1].t) / 60e9; math.Abs(d-math.Round(d)) > 1e-6 {
				t.Fatalf("missed %v: gap of %v periods", missed, d)
			}
		}
	}
}

// TestScheduleSleepTasking: a working-hours beacon is silent outside
// them; tasking adds 2 to 5 call-outs 1 to 4 s after a beat.
func TestScheduleSleepTasking(t *testing.T) {
	start := DefaultStart.UnixNano()
	g := &gen{start: start, end: start + int64(24*time.Hour)}
	g.reseed(3, 3)
	calls, beats := g.schedule(Spec{Period: 300, Sleep: SleepWorkHours, Tasking: 0.2}, g.end)
	extras := 0
	for _, c := range calls {
		if !working(c.t) && !c.extra {
			t.Fatalf("beat at %v, asleep", time.Unix(0, c.t).UTC())
		}
		if c.extra {
			extras++
		}
	}
	// 10 of 24 hours awake: 120 beats; a fifth with 2 to 5 extras
	if beats < 110 || beats > 121 || extras < 2*beats/10 || extras > 5*beats/3 {
		t.Fatalf("%d beats, %d extras", beats, extras)
	}
}

// decoded is a capture's packets and their times.
type decoded struct {
	times   []time.Time
	packets [][]byte
}

func decode(t *testing.T, b []byte) decoded {
	t.Helper()
	r, err := pcapgo.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var d decoded
	for {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			return d
		}
		d.times, d.packets = append(d.times, ci.Timestamp), append(d.packets, data)
	}
}

// TestSessionKinds: keepalive-http and heartbeat-tcp are one TCP
// connection each, with a payload per call-out; http is one per beat.
func TestSessionKinds(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Duration = 2 * time.Hour
	specs := []Spec{
		{Name: "ka", Kind: KindKeepAliveHTTP, Period: 60, Jitter: 0.2, Tasking: 0.1},
		{Name: "hb", Kind: KindHeartbeatTCP, Period: 30, Jitter: 0.1, TwoSided: true, Missed: 0.2},
		{Name: "http", Kind: KindHTTP, Period: 120},
	}
	var buf bytes.Buffer
	truth, err := GenerateSpecs(&buf, cfg, specs)
	if err != nil {
		t.Fatal(err)
	}
	d := decode(t, buf.Bytes())
	for _, b := range truth.Beacons {
		want := 1
		if b.Spec.Kind == KindHTTP {
			want = b.Callouts
		}
		// browsing from the same host adds SYNs: count those to the beacon's server only
		if got := synsTo(t, buf.Bytes(), b.SrcIP, b.DstIPs[0]); got != want || b.Connections != want {
			t.Errorf("%s: %d SYNs to its server, %d connections in the truth, want %d", b.Spec.Name, got, b.Connections, want)
		}
		if b.Callouts < 50 {
			t.Errorf("%s: %d call-outs", b.Spec.Name, b.Callouts)
		}
	}
	if len(d.packets) != truth.Packets {
		t.Fatalf("%d packets, truth says %d", len(d.packets), truth.Packets)
	}
}

func synsTo(t *testing.T, b []byte, src, dst string) int {
	t.Helper()
	r, err := pcapgo.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		data, _, err := r.ReadPacketData()
		if err != nil {
			return n
		}
		p := gopacket.NewPacket(data, layers.LayerTypeEthernet, gopacket.Default)
		ip, _ := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		tcp, _ := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if ip != nil && tcp != nil && tcp.SYN && !tcp.ACK && ip.SrcIP.String() == src && ip.DstIP.String() == dst {
			n++
		}
	}
}

// TestPlantCapture: planting into a capture read back keeps every
// original packet, writes a time-sorted capture, and uses addresses the
// capture does not.
func TestPlantCapture(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Duration = 30 * time.Minute
	var orig bytes.Buffer
	if _, err := Generate(&orig, cfg); err != nil {
		t.Fatal(err)
	}
	var specs []Spec
	for i, k := range Kinds {
		specs = append(specs, Spec{Name: string(k), Kind: k, Period: MaxPeriod(30*time.Minute, 0.3, 8), Jitter: 0.3, Missed: 0.3, TwoSided: i%2 == 0})
	}
	bg, err := ReadBackground(bytes.NewReader(orig.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var merged bytes.Buffer
	truth, err := bg.Plant(&merged, 5, specs)
	if err != nil {
		t.Fatal(err)
	}
	o, m := decode(t, orig.Bytes()), decode(t, merged.Bytes())
	if len(m.packets) != truth.Packets || truth.Background != len(o.packets) || len(m.packets) <= len(o.packets) {
		t.Fatalf("%d packets merged, %d original, truth %d/%d", len(m.packets), len(o.packets), truth.Packets, truth.Background)
	}
	checkMerged(t, o, m)
	for _, b := range truth.Beacons {
		if bg.taken[netip.MustParseAddr(b.SrcIP)] || bg.taken[netip.MustParseAddr(b.DstIPs[0])] {
			t.Errorf("%s: address of the background", b.Spec.Name)
		}
		if b.Beats < 4 {
			t.Errorf("%s: %d beats", b.Spec.Name, b.Beats)
		}
	}
}

// checkMerged: m is sorted by time and holds every packet of o, in o's
// order.
func checkMerged(t *testing.T, o, m decoded) {
	t.Helper()
	j := 0
	for i := range m.packets {
		if i > 0 && m.times[i].Before(m.times[i-1]) {
			t.Fatalf("packet %d out of order", i)
		}
		if j < len(o.packets) && m.times[i].Equal(o.times[j]) && bytes.Equal(m.packets[i], o.packets[j]) {
			j++
		}
	}
	if j != len(o.packets) {
		t.Fatalf("%d of %d original packets found in order", j, len(o.packets))
	}
}

// TestPlantSpecErrors: a spec out of range is an error.
func TestPlantSpecErrors(t *testing.T) {
	bg := OfficeBackground(Config{Duration: time.Hour, Seed: 1})
	for _, s := range []Spec{{Kind: KindHTTP}, {Kind: "smtp", Period: 5}, {Kind: KindTLS, Period: 5, Missed: 1}} {
		if _, err := bg.Plant(&bytes.Buffer{}, 1, []Spec{s}); err == nil {
			t.Errorf("%+v: no error", s)
		}
	}
}

// TestPlantRealPcapng plants into the real pcapng background of this
// machine, when it is there: every original packet is kept, in order.
func TestPlantRealPcapng(t *testing.T) {
	f, err := os.Open("../../../shared/captures/pcap-parser--assets--wireshark_samples-test.pcapng")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	bg, err := ReadBackground(f)
	if err != nil {
		t.Fatal(err)
	}
	from, to := bg.Span()
	var specs []Spec
	for _, k := range Kinds {
		specs = append(specs, Spec{Name: string(k), Kind: k, Period: MaxPeriod(to.Sub(from), 0.5, 8), Jitter: 0.6, Missed: 0.5})
	}
	var merged bytes.Buffer
	truth, err := bg.Plant(&merged, 9, specs)
	if err != nil {
		t.Fatal(err)
	}
	m := decode(t, merged.Bytes())
	o := decoded{}
	for _, p := range bg.pkts {
		o.times, o.packets = append(o.times, time.Unix(0, p.ts)), append(o.packets, p.data)
	}
	if bg.Packets() != 5898 || len(m.packets) != truth.Packets {
		t.Fatalf("%d background packets, %d merged, truth %d", bg.Packets(), len(m.packets), truth.Packets)
	}
	checkMerged(t, o, m)
	for _, b := range truth.Beacons {
		if b.Beats < 4 {
			t.Errorf("%s: %d beats", b.Spec.Name, b.Beats)
		}
	}
}
