package beacongen_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/pcap2table/pcap2table/internal/beacongen"
)

// short is a two-hour capture: every part of the generator, in a moment.
func short(seed uint64) beacongen.Config {
	c := beacongen.DefaultConfig()
	c.Seed, c.Duration = seed, 2*time.Hour
	return c
}

// TestDeterministic: the same Config gives the same bytes and truth, and
// another seed another capture.
func TestDeterministic(t *testing.T) {
	var a, b, c bytes.Buffer
	ta, err := beacongen.Generate(&a, short(3))
	if err != nil {
		t.Fatal(err)
	}
	tb, _ := beacongen.Generate(&b, short(3))
	beacongen.Generate(&c, short(4))
	if !bytes.Equal(a.Bytes(), b.Bytes()) || ta.Packets != tb.Packets {
		t.Fatal("same config, different captures")
	}
	if bytes.Equal(a.Bytes(), c.Bytes()) {
		t.Fatal("another seed, the same capture")
	}
	if len(ta.Beacons) != 5 || ta.Beacons[3].Kind != "cdn" || len(ta.Beacons[3].DstIPs) != 12 {
		t.Fatalf("truth: %+v", ta.Beacons)
	}
}

// TestPackets decodes every packet with gopacket: well-formed Ethernet,
// IPv4, TCP or UDP, checksums right, timestamps in order and in the span.
func TestPackets(t *testing.T) {
	var buf bytes.Buffer
	cfg := short(1)
	truth, err := beacongen.Generate(&buf, cfg)
	if err != nil {
		t.Fatal(err)
	}
	r, err := pcapgo.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	var last time.Time
	n := 0
	for ; ; n++ {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			break
		}
		if ci.Timestamp.Before(last) || ci.Timestamp.Before(truth.Start) || !ci.Timestamp.Before(truth.End) {
			t.Fatalf("packet %d at %v: out of order or of the span", n, ci.Timestamp)
		}
		last = ci.Timestamp
		checkPacket(t, n, gopacket.NewPacket(data, layers.LayerTypeEthernet, gopacket.Default))
	}
	if n != truth.Packets || n < 1000 {
		t.Fatalf("read %d packets, truth says %d", n, truth.Packets)
	}
}

func checkPacket(t *testing.T, n int, p gopacket.Packet) {
	t.Helper()
	if el := p.ErrorLayer(); el != nil {
		t.Fatalf("packet %d: %v", n, el.Error())
	}
	ip, _ := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	if ip == nil {
		t.Fatalf("packet %d: not IPv4", n)
	}
	if err, res := ip.VerifyChecksum(); err != nil || !res.Valid {
		t.Fatalf("packet %d: IPv4 checksum %v %+v", n, err, res)
	}
	var err error
	var res gopacket.ChecksumVerificationResult
	switch l4 := p.TransportLayer().(type) {
	case *layers.TCP:
		l4.SetNetworkLayerForChecksum(ip)
		err, res = l4.VerifyChecksum()
	case *layers.UDP:
		l4.SetNetworkLayerForChecksum(ip)
		err, res = l4.VerifyChecksum()
	default:
		t.Fatalf("packet %d: transport %T", n, l4)
	}
	if err != nil || !res.Valid {
		t.Fatalf("packet %d: %v checksum %v %+v", n, p.TransportLayer().LayerType(), err, res)
	}
}
