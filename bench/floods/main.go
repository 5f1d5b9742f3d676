// Command floods writes the captures that aim at the converter's memory
// bounds, for bench/floods.sh, and a benign capture of as many packets
// to compare with:
//
//	flows   a SYN flood: n distinct flows, all live until they time out
//	instant the same flood with every packet at one timestamp (flows
//	        evicted at the instant they start: their ids are remembered)
//	frags   n first fragments of IP datagrams that never complete (of
//	        64 flows)
//	holes   TCP flows each behind a lost (but acknowledged-later) segment,
//	        the data after the hole waiting to be reassembled
//	benign  n packets of a few long UDP flows
//
//	go run ./bench/floods -kind frags -n 2000000 -o frags.pcap
package main

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

var (
	kind = flag.String("kind", "flows", "flows, instant, frags, holes or benign")
	n    = flag.Int("n", 2_000_000, "packets")
	out  = flag.String("o", "flood.pcap", "output file")
)

func main() {
	flag.Parse()
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bw := bufio.NewWriterSize(f, 4<<20)
	w := &pcap{w: pcapgo.NewWriter(bw)}
	if err := w.w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	server := [4]byte{192, 0, 2, 1}
	const t0 = int64(1_700_000_000_000_000) // µs
	switch *kind {
	case "flows":
		for i := range *n {
			w.packet(t0+int64(i), ipv4(host(i), server, 6, 0, 0, tcp(uint16(1024+i%60000), 80, uint32(i), 0, 0x02, nil)))
		}
	case "instant":
		for i := range *n {
			w.packet(t0, ipv4(host(i), server, 6, 0, 0, tcp(uint16(1024+i%60000), 80, uint32(i), 0, 0x02, nil)))
		}
	case "frags":
		data := make([]byte, 1480)
		for i := range *n {
			// a first fragment (more to come, offset 0) of a datagram of
			// its own: 64 hosts (so 64 flows), 65,536 IP ids each
			w.packet(t0+int64(i), ipv4(host(i%64), server, 17, uint16(i/64), 0x2000, data))
		}
	case "holes":
		// per flow: handshake, 1 segment, a lost one, then segments until
		// n is reached, over flows interleaved 5,000 at a time
		body := make([]byte, 1400)
		const live = 5000
		i := 0
		for base := 0; i < *n; base += live {
			for k := range live {
				c := host(base + k)
				w.packet(t0+int64(i), ipv4(c, server, 6, 0, 0, tcp(40000, 80, 0, 0, 0x02, nil)))
				w.packet(t0+int64(i)+1, ipv4(server, c, 6, 0, 0, tcp(80, 40000, 0, 1, 0x12, nil)))
				w.packet(t0+int64(i)+2, ipv4(c, server, 6, 0, 0, tcp(40000, 80, 1, 1, 0x18, body)))
				i += 3
			}
			for seg := 2; seg < 40 && i < *n; seg++ {
				for k := 0; k < live && i < *n; k++ {
					// segment 1 (bytes 1401..2800) is never seen
					w.packet(t0+int64(i), ipv4(host(base+k), server, 6, 0, 0, tcp(40000, 80, uint32(1+seg*1400), 1, 0x18, body)))
					i++
				}
			}
		}
	case "benign":
		data := make([]byte, 200)
		for i := range *n {
			w.packet(t0+int64(i), ipv4(host(i%16), server, 17, 0, 0, append([]byte{0x30, 0x39, 0x30, 0x39, 0, 208, 0, 0}, data...)))
		}
	default:
		fmt.Fprintln(os.Stderr, "unknown -kind", *kind)
		os.Exit(2)
	}
	if err := cmp.Or(w.err, bw.Flush()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	f.Close()
}

func host(i int) [4]byte { return [4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)} }

// pcap writes the packets with gopacket's pcapgo; the first write error
// is kept (sticky) and said at the end.
type pcap struct {
	w   *pcapgo.Writer
	err error
}

func (p *pcap) packet(us int64, data []byte) {
	if p.err == nil {
		p.err = p.w.WritePacket(gopacket.CaptureInfo{Timestamp: time.UnixMicro(us), CaptureLength: len(data), Length: len(data)}, data)
	}
}

// ipv4 builds Ethernet + IPv4 (protocol proto, id, fragment field frag) +
// payload.
func ipv4(src, dst [4]byte, proto byte, id uint16, frag uint16, payload []byte) []byte {
	b := make([]byte, 14+20, 14+20+len(payload))
	binary.BigEndian.PutUint16(b[12:], 0x0800)
	ip := b[14:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(20+len(payload)))
	binary.BigEndian.PutUint16(ip[4:], id)
	binary.BigEndian.PutUint16(ip[6:], frag)
	ip[8], ip[9] = 64, proto
	copy(ip[12:], src[:])
	copy(ip[16:], dst[:])
	return append(b, payload...)
}

// tcp is a TCP header (no options) with flags and payload.
func tcp(sport, dport uint16, seq, ack uint32, flags byte, payload []byte) []byte {
	h := make([]byte, 20, 20+len(payload))
	binary.BigEndian.PutUint16(h[0:], sport)
	binary.BigEndian.PutUint16(h[2:], dport)
	binary.BigEndian.PutUint32(h[4:], seq)
	binary.BigEndian.PutUint32(h[8:], ack)
	h[12], h[13] = 5<<4, flags
	binary.BigEndian.PutUint16(h[14:], 65535)
	return append(h, payload...)
}
