package beacons_test

import (
	"maps"
	"math"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/pcap2table/pcap2table/beacons"
	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/internal/plugintest"
	"github.com/pcap2table/pcap2table/internal/reftest"
	"github.com/pcap2table/pcap2table/table"
)

// conn is one TCP connection of the generated capture.
type conn struct {
	start    time.Time
	src, dst net.IP
	sport    uint16
	dport    uint16
	data     int
}

// writeCapture writes the connections as a pcap: handshake, one request
// and one response, FIN each way; packets in time order.
func writeCapture(t *testing.T, path string, conns []conn) {
	type pkt struct {
		ts   time.Time
		data []byte
	}
	var pkts []pkt
	for _, c := range conns {
		seqC, seqS := uint32(1000), uint32(5000)
		steps := []struct {
			fromClient bool
			syn, ack   bool
			fin        bool
			payload    int
		}{{true, true, false, false, 0}, {false, true, true, false, 0}, {true, false, true, false, 0},
			{true, false, true, false, c.data}, {false, false, true, false, 3 * c.data}, {true, false, true, true, 0}, {false, false, true, true, 0}}
		for i, s := range steps {
			src, dst, sp, dp, seq, ack := c.src, c.dst, c.sport, c.dport, seqC, seqS
			if !s.fromClient {
				src, dst, sp, dp, seq, ack = dst, src, dp, sp, seqS, seqC
			}
			eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
			ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: src, DstIP: dst}
			tcp := &layers.TCP{SrcPort: layers.TCPPort(sp), DstPort: layers.TCPPort(dp), Seq: seq, Ack: ack, SYN: s.syn, ACK: s.ack, FIN: s.fin, PSH: s.payload > 0, Window: 64240}
			if !s.ack {
				tcp.Ack = 0
			}
			if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
				t.Fatal(err)
			}
			buf := gopacket.NewSerializeBuffer()
			if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
				eth, ip, tcp, gopacket.Payload(make([]byte, s.payload))); err != nil {
				t.Fatal(err)
			}
			adv := uint32(s.payload)
			if s.syn || s.fin {
				adv++
			}
			if s.fromClient {
				seqC += adv
			} else {
				seqS += adv
			}
			pkts = append(pkts, pkt{c.start.Add(time.Duration(i) * 20 * time.Millisecond), buf.Bytes()})
		}
	}
	slices.SortStableFunc(pkts, func(a, b pkt) int { return a.ts.Compare(b.ts) })
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	for _, p := range pkts {
		ci := gopacket.CaptureInfo{Timestamp: p.ts, CaptureLength: len(p.data), Length: len(p.data)}
		if err := w.WritePacket(ci, p.data); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBeaconing generates three hours of traffic: 10.1.1.5 calls
// 203.0.113.7:443 every 60 s ± 2 s (uniform jitter); 10.1.1.9 calls
// 198.51.100.3:443 as often but at random (exponential intervals);
// twenty other hosts call random servers at random. The beacon must
// have the top score, the random pair a low one.
func TestBeaconing(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 2))
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	end := t0.Add(3 * time.Hour)
	var conns []conn
	port := uint16(40000)
	next := func() uint16 { port++; return port }
	for ts := t0.Add(17 * time.Second); ts.Before(end); ts = ts.Add(60*time.Second + time.Duration((rng.Float64()*4-2)*float64(time.Second))) {
		conns = append(conns, conn{ts, net.IP{10, 1, 1, 5}, net.IP{203, 0, 113, 7}, next(), 443, 200 + rng.IntN(8)})
	}
	for ts := t0.Add(5 * time.Second); ts.Before(end); ts = ts.Add(time.Duration(rng.ExpFloat64() * 60 * float64(time.Second))) {
		conns = append(conns, conn{ts, net.IP{10, 1, 1, 9}, net.IP{198, 51, 100, 3}, next(), 443, 100 + rng.IntN(2000)})
	}
	for h := range 20 {
		for ts := t0.Add(time.Duration(rng.IntN(300)) * time.Second); ts.Before(end); ts = ts.Add(time.Duration(rng.ExpFloat64() * 120 * float64(time.Second))) {
			dst := net.IP{192, 0, 2, byte(1 + rng.IntN(4))}
			conns = append(conns, conn{ts, net.IP{10, 2, 0, byte(10 + h)}, dst, next(), []uint16{80, 443, 8080}[rng.IntN(3)], rng.IntN(3000)})
		}
	}
	path := filepath.Join(t.TempDir(), "beacons.pcap")
	writeCapture(t, path, conns)
	rows := plugintest.Subscribe(t, reftest.Decode(t, path), beacons.Schema, func(o *table.Output) flows.Subscriber { return beacons.New(o, 10) })
	if len(rows) < 3 {
		t.Fatalf("%d rows", len(rows))
	}
	top := rows[0]
	if top.Str("src_ip") != "10.1.1.5" || top.Str("dst_ip") != "203.0.113.7" || top.Uint("dst_port") != 443 || top.Str("proto") != "tcp" {
		t.Fatalf("top row is not the beacon: %v", top)
	}
	if s := top["score"].(float64); s < 0.9 {
		t.Errorf("beacon score %.3f, want >= 0.9", s)
	}
	if m := top["interval_median"].(float64); math.Abs(m-60) > 1 {
		t.Errorf("beacon median interval %.2f s", m)
	}
	var random plugintest.Row
	for i, r := range rows {
		if i > 0 && r["score"].(float64) > rows[i-1]["score"].(float64) {
			t.Errorf("rows not ordered by score at %d", i)
		}
		if r.Str("src_ip") == "10.1.1.9" {
			random = r
		}
		if r.Uint("connections") < 10 {
			t.Errorf("a row with %d connections", r.Uint("connections"))
		}
	}
	if random == nil {
		t.Fatal("no row for the random pair")
	}
	if s := random["score"].(float64); s > 0.5 {
		t.Errorf("random pair score %.3f, want <= 0.5", s)
	}
	t.Logf("beacon %.3f, random %.3f, %d rows", top["score"].(float64), random["score"].(float64), len(rows))
}

// TestOutOfOrder: flows that end out of start order give the same
// intervals, and the memory stays bounded (the window) for many
// connections.
func TestOutOfOrder(t *testing.T) {
	run := func(order []int) plugintest.Row {
		b := newBatch()
		p := beacons.New(outputFor(b), 2)
		for _, i := range order {
			row := flowRow(int64(i) * 60e9)
			p.Flow(&row)
		}
		p.Finish()
		rows := plugintest.Read(t, b)
		if len(rows) != 1 {
			t.Fatalf("%d rows", len(rows))
		}
		return rows[0]
	}
	var inOrder, shuffled []int
	for i := range 5000 {
		inOrder = append(inOrder, i)
		shuffled = append(shuffled, i)
	}
	// swap neighbours within the window
	for i := 0; i+7 < len(shuffled); i += 9 {
		shuffled[i], shuffled[i+7] = shuffled[i+7], shuffled[i]
	}
	a, b := run(inOrder), run(shuffled)
	for _, col := range []string{"interval_mean", "interval_median", "interval_stddev", "interval_mad", "score"} {
		if a[col] != b[col] {
			t.Errorf("%s: %v in order, %v shuffled", col, a[col], b[col])
		}
	}
	if a["interval_median"].(float64) != 60 || a["interval_stddev"].(float64) > 1e-9 || a["score"].(float64) < 0.99 {
		t.Errorf("perfect beacon: %v", a)
	}
}

// TestMaxPairs: a flood of one-connection pairs (a scan) keeps at most
// MaxPairs of them, forgetting the least recently seen, while a pair that
// comes back before 100 others pass keeps counting and gets its row.
func TestMaxPairs(t *testing.T) {
	b := newBatch()
	p := beacons.New(outputFor(b), 5)
	p.MaxPairs = 100
	scan := 0
	for i := range 20 {
		row := flowRow(int64(i) * 60e9) // the beacon
		p.Flow(&row)
		for range 90 { // 90 scanned hosts between its connections
			r := flowRow(int64(i)*60e9 + int64(scan))
			r.DstIP = netip.AddrFrom4([4]byte{172, 16, byte(scan >> 8), byte(scan)})
			p.Flow(&r)
			scan++
		}
	}
	p.Finish()
	rows := plugintest.Read(t, b)
	if len(rows) != 1 || rows[0].Uint("connections") != 20 {
		t.Fatalf("rows %v", rows)
	}
	// 1800 scanned pairs, 100 kept at most: the beacon was kept (under
	// the minimum until its 5th connection, then for good)
	if p.Forgotten != 1800-100 {
		t.Errorf("forgot %d pairs, want %d", p.Forgotten, 1800-100)
	}
}

// TestDstSources: dst_sources counts the sources of a destination over
// the pairs held, those below the minimum of connections included.
func TestDstSources(t *testing.T) {
	b := newBatch()
	p := beacons.New(outputFor(b), 4)
	for i := range 6 {
		for s, n := range []int{6, 6, 2} { // three sources of 198.51.100.2:443, one with 2 connections
			if i < n {
				r := flowRow(int64(i) * 60e9)
				r.SrcIP = netip.AddrFrom4([4]byte{10, 1, 0, byte(s)})
				p.Flow(&r)
			}
		}
		r := flowRow(int64(i)*60e9 + 1e9) // a destination only one source calls
		r.DstIP = netip.MustParseAddr("192.0.2.9")
		p.Flow(&r)
	}
	p.Finish()
	got, prev := map[string]uint64{}, map[string]float64{}
	for _, r := range plugintest.Read(t, b) {
		got[r.Str("src_ip")+">"+r.Str("dst_ip")] = r.Uint("dst_sources")
		prev[r.Str("src_ip")+">"+r.Str("dst_ip")] = r["prevalence_score"].(float64)
	}
	want := map[string]uint64{"10.1.0.0>198.51.100.2": 3, "10.1.0.1>198.51.100.2": 3, "10.0.0.1>192.0.2.9": 1}
	if !maps.Equal(got, want) {
		t.Errorf("dst_sources %v, want %v", got, want)
	}
	// 4 sources: two other sources of 3 call 198.51.100.2 too, none 192.0.2.9
	wantPrev := map[string]float64{"10.1.0.0>198.51.100.2": 0.5, "10.1.0.1>198.51.100.2": 0.5, "10.0.0.1>192.0.2.9": 1}
	for k, v := range wantPrev {
		if math.Abs(prev[k]-v) > 1e-12 {
			t.Errorf("%s: prevalence_score %v, want %v", k, prev[k], v)
		}
	}
}
