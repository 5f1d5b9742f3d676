package report

import (
	"encoding/binary"
	"net"
	"os"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// The strings a hostile capture carries where the page shows text.
const (
	evilScript = `<script>alert(1)</script>`
	evilImg    = `"><img src=x onerror=alert(1)>`
)

// capWriter writes a pcap of Ethernet frames between two hosts.
type capWriter struct {
	t      *testing.T
	w      *pcapgo.Writer
	ts     time.Time
	client net.IP
	server net.IP
}

func newCapWriter(t *testing.T, path string) (*capWriter, func()) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	c := &capWriter{t: t, w: w, ts: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
		client: net.IP{10, 1, 2, 3}, server: net.IP{192, 0, 2, 80}}
	return c, func() {
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// packet writes one frame, 1 ms after the last.
func (c *capWriter) packet(fromClient bool, transport gopacket.SerializableLayer, payload []byte) {
	c.t.Helper()
	src, dst := c.client, c.server
	if !fromClient {
		src, dst = dst, src
	}
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, SrcIP: src, DstIP: dst}
	switch l := transport.(type) {
	case *layers.TCP:
		ip.Protocol = layers.IPProtocolTCP
		l.SetNetworkLayerForChecksum(ip)
	case *layers.UDP:
		ip.Protocol = layers.IPProtocolUDP
		l.SetNetworkLayerForChecksum(ip)
	}
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, eth, ip, transport, gopacket.Payload(payload)); err != nil {
		c.t.Fatal(err)
	}
	c.ts = c.ts.Add(time.Millisecond)
	b := buf.Bytes()
	if err := c.w.WritePacket(gopacket.CaptureInfo{Timestamp: c.ts, CaptureLength: len(b), Length: len(b)}, b); err != nil {
		c.t.Fatal(err)
	}
}

// tcpSession writes a whole TCP connection: handshake, req from the
// client, resp from the server, and both FINs.
func (c *capWriter) tcpSession(sport, dport uint16, req, resp []byte) {
	cs, ss := uint32(1000), uint32(5000)
	seg := func(fromClient bool, syn, ack, fin bool, p []byte) {
		tcp := &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), SYN: syn, ACK: ack, FIN: fin, PSH: len(p) > 0, Window: 65535}
		if !fromClient {
			tcp.SrcPort, tcp.DstPort = tcp.DstPort, tcp.SrcPort
		}
		tcp.Seq, tcp.Ack = cs, ss
		if !fromClient {
			tcp.Seq, tcp.Ack = ss, cs
		}
		if !ack {
			tcp.Ack = 0
		}
		c.packet(fromClient, tcp, p)
		n := uint32(len(p))
		if syn || fin {
			n++
		}
		if fromClient {
			cs += n
		} else {
			ss += n
		}
	}
	seg(true, true, false, false, nil)
	seg(false, true, true, false, nil)
	seg(true, false, true, false, nil)
	seg(true, false, true, false, req)
	if len(resp) > 0 {
		seg(false, false, true, false, resp)
	}
	seg(true, false, true, true, nil)
	seg(false, false, true, true, nil)
	seg(true, false, true, false, nil)
}

// dnsQuery writes a DNS query for name and its (empty) answer.
func (c *capWriter) dnsQuery(sport uint16, name string) {
	for i, resp := range []bool{false, true} {
		d := &layers.DNS{ID: 0x1234, RD: true, QR: resp, Questions: []layers.DNSQuestion{{Name: []byte(name), Type: layers.DNSTypeA, Class: layers.DNSClassIN}}}
		buf := gopacket.NewSerializeBuffer()
		if err := d.SerializeTo(buf, gopacket.SerializeOptions{FixLengths: true}); err != nil {
			c.t.Fatal(err)
		}
		udp := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: 53}
		if i == 1 {
			udp.SrcPort, udp.DstPort = udp.DstPort, udp.SrcPort
		}
		c.packet(!resp, udp, buf.Bytes())
	}
}

// clientHello is a TLS 1.2 ClientHello record naming sni.
func clientHello(sni string) []byte {
	u16 := func(b []byte, v int) []byte { return binary.BigEndian.AppendUint16(b, uint16(v)) }
	var ext []byte
	ext = u16(ext, 0)          // server_name
	ext = u16(ext, len(sni)+5) // extension length
	ext = u16(ext, len(sni)+3) // server name list length
	ext = append(ext, 0)       // host_name
	ext = u16(ext, len(sni))
	ext = append(ext, sni...)
	body := []byte{3, 3}
	body = append(body, make([]byte, 32)...) // random
	body = append(body, 0)                   // session id
	body = u16(body, 2)
	body = u16(body, 0x002f) // TLS_RSA_WITH_AES_128_CBC_SHA
	body = append(body, 1, 0)
	body = u16(body, len(ext))
	body = append(body, ext...)
	hs := append([]byte{1, 0, byte(len(body) >> 8), byte(len(body))}, body...)
	rec := []byte{0x16, 3, 1}
	rec = u16(rec, len(hs))
	return append(rec, hs...)
}

// writeHostile writes a capture whose HTTP Host and User-Agent, TLS SNI
// and DNS query carry markup, with enough HTTP connections for a beacons
// row.
func writeHostile(t *testing.T, path string) {
	c, done := newCapWriter(t, path)
	defer done()
	req := []byte("GET /" + evilScript + " HTTP/1.1\r\nHost: " + evilImg + "\r\nUser-Agent: " + evilScript + evilImg + "\r\n\r\n")
	resp := []byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
	for i := range 12 {
		c.ts = c.ts.Add(30 * time.Second)
		c.tcpSession(uint16(40000+i), 80, req, resp)
	}
	c.tcpSession(41000, 443, clientHello(evilScript+evilImg), nil)
	c.dnsQuery(53000, evilScript+".example")
}

// writeEmpty writes a capture of no packets.
func writeEmpty(t *testing.T, path string) {
	_, done := newCapWriter(t, path)
	done()
}
