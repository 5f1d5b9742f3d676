// Command gen writes a deterministic, realistic Ethernet pcap for
// benchmarks: mixed IPv4/IPv6, TCP flows with handshakes, payloads and
// FIN teardown, UDP DNS query/response pairs, some ICMP echo, about
// -flows flows interleaved over time. Same flags, same bytes.
//
//	go run ./bench/gen -n 2000000 -o bench/out/bench.pcap
//	go run ./bench/gen -n 300000 -split 3000 -o rot/part.pcap  # rot/part_00000.pcap ... as a rotating writer would
package main

import (
	"bufio"
	"encoding/binary"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

type flow struct {
	v6           bool
	proto        uint8 // 6, 17, 1
	src, dst     [16]byte
	sport, dport uint16
	seqC, seqS   uint32
	step, steps  int
	qname        []byte
	id           uint16
	smac, dmac   [6]byte
	payloadMax   int
	icmpID       uint16
}

var (
	n       = flag.Int("n", 2_000_000, "packets")
	nflows  = flag.Int("flows", 20_000, "flows, about")
	out     = flag.String("o", "bench.pcap", "output file")
	snaplen = flag.Int("snaplen", 65535, "cut packets to this many bytes (the length field keeps the wire size)")
	seed    = flag.Uint64("seed", 1, "random seed")
	split   = flag.Int("split", 1, "write the packets into this many files of as many packets each, OUT with _NNNNN before its extension")
)

// rotator writes the packets into -split files, one after the other.
type rotator struct {
	f     *os.File
	bw    *bufio.Writer
	w     *pcapgo.Writer
	file  int
	count int
}

func (r *rotator) write(ci gopacket.CaptureInfo, data []byte) error {
	if r.w == nil || *split > 1 && r.count == (r.file)*(*n) / *split && r.file < *split {
		if err := r.close(); err != nil {
			return err
		}
		name := *out
		if *split > 1 {
			ext := filepath.Ext(name)
			name = fmt.Sprintf("%s_%05d%s", strings.TrimSuffix(name, ext), r.file, ext)
		}
		f, err := os.Create(name)
		if err != nil {
			return err
		}
		r.f, r.bw = f, bufio.NewWriterSize(f, 4<<20)
		r.w = pcapgo.NewWriter(r.bw)
		if err := r.w.WriteFileHeader(uint32(*snaplen), layers.LinkTypeEthernet); err != nil {
			return err
		}
		r.file++
	}
	r.count++
	return r.w.WritePacket(ci, data)
}

func (r *rotator) close() error {
	if r.f == nil {
		return nil
	}
	if err := r.bw.Flush(); err != nil {
		return err
	}
	return r.f.Close()
}

func main() {
	flag.Parse()
	rng := rand.New(rand.NewPCG(*seed, 0x9e3779b97f4a7c15))
	w := &rotator{}

	// Packets per flow average n/flows; keep ~concurrent flows live.
	perFlow := max(*n / *nflows, 4)
	concurrent := max(*nflows/20, 64)
	live := make([]*flow, 0, concurrent)
	ts := int64(1_700_000_000) * 1e9
	pkt := make([]byte, 0, 2048)
	payload := make([]byte, 1500)
	for i := range payload {
		payload[i] = byte(rng.IntN(256))
	}
	for written := 0; written < *n; {
		for len(live) < concurrent {
			live = append(live, newFlow(rng, perFlow))
		}
		k := rng.IntN(len(live))
		fl := live[k]
		ts += int64(rng.ExpFloat64() * 40_000) // ~25 k packets/s
		pkt = fl.next(rng, pkt[:0], payload)
		caplen := min(len(pkt), *snaplen)
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(0, ts).Truncate(time.Microsecond), CaptureLength: caplen, Length: len(pkt)}
		if err := w.write(ci, pkt[:caplen]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		written++
		if fl.step >= fl.steps {
			live[k] = live[len(live)-1]
			live = live[:len(live)-1]
		}
	}
	if err := w.close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func newFlow(rng *rand.Rand, perFlow int) *flow {
	fl := &flow{v6: rng.IntN(5) == 0}
	r := rng.IntN(100)
	switch {
	case r < 70:
		fl.proto = 6
		fl.dport = []uint16{443, 443, 443, 80, 22, 8080, 3306, 25}[rng.IntN(8)]
		fl.steps = 5 + rng.IntN(2*perFlow)
		fl.seqC, fl.seqS = rng.Uint32(), rng.Uint32()
		fl.payloadMax = []int{1448, 1448, 600, 200}[rng.IntN(4)]
	case r < 95:
		fl.proto = 17
		fl.dport = 53
		fl.steps = 2
		fl.id = uint16(rng.Uint32())
		names := []string{"www.example.com", "api.github.com", "update.microsoft.com", "cdn.jsdelivr.net", "mail.example.org", "ntp.ubuntu.com"}
		fl.qname = []byte(fmt.Sprintf("h%d.%s", rng.IntN(5000), names[rng.IntN(len(names))]))
	default:
		fl.proto = 1
		fl.steps = 2 * (1 + rng.IntN(4))
		fl.icmpID = uint16(rng.Uint32())
	}
	fl.sport = uint16(1024 + rng.IntN(64000))
	if fl.v6 {
		copy(fl.src[:], []byte{0x20, 0x01, 0x0d, 0xb8, 0, 1})
		copy(fl.dst[:], []byte{0x20, 0x01, 0x0d, 0xb8, 0, 2})
		binary.BigEndian.PutUint64(fl.src[8:], rng.Uint64()%4096)
		binary.BigEndian.PutUint64(fl.dst[8:], rng.Uint64()%512)
	} else {
		fl.src[0], fl.src[1], fl.src[2], fl.src[3] = 10, byte(rng.IntN(4)), byte(rng.IntN(256)), byte(1+rng.IntN(254))
		fl.dst[0], fl.dst[1], fl.dst[2], fl.dst[3] = byte(1+rng.IntN(223)), byte(rng.IntN(256)), byte(rng.IntN(256)), byte(1+rng.IntN(254))
	}
	fl.smac = [6]byte{0x02, 0, 0, 0, byte(rng.IntN(256)), byte(rng.IntN(256))}
	fl.dmac = [6]byte{0x02, 0xff, 0, 0, 0, 1}
	return fl
}

func csum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return ^uint16(s)
}

// next appends the flow's next packet (Ethernet frame) to b.
func (fl *flow) next(rng *rand.Rand, b, payload []byte) []byte {
	step := fl.step
	fl.step++
	toServer := true
	var l4 []byte
	switch fl.proto {
	case 6:
		var flags byte
		var data int
		switch {
		case step == 0:
			flags = 0x02
		case step == 1:
			flags, toServer = 0x12, false
		case step == 2:
			flags = 0x10
		case step == fl.steps-2:
			flags = 0x11
		case step == fl.steps-1:
			flags, toServer = 0x11, false
		default:
			toServer = rng.IntN(3) == 0
			flags = 0x10
			if rng.IntN(4) == 0 {
				flags = 0x18
			}
			data = 1 + rng.IntN(fl.payloadMax)
		}
		l4 = make([]byte, 20, 20+data)
		seq, ack := fl.seqC, fl.seqS
		sp, dp := fl.sport, fl.dport
		if !toServer {
			seq, ack, sp, dp = fl.seqS, fl.seqC, fl.dport, fl.sport
		}
		binary.BigEndian.PutUint16(l4[0:], sp)
		binary.BigEndian.PutUint16(l4[2:], dp)
		binary.BigEndian.PutUint32(l4[4:], seq)
		if flags != 0x02 {
			binary.BigEndian.PutUint32(l4[8:], ack)
		}
		l4[12] = 5 << 4
		l4[13] = flags
		binary.BigEndian.PutUint16(l4[14:], 64240)
		l4 = append(l4, payload[:data]...)
		adv := uint32(data)
		if flags&0x03 != 0 {
			adv++
		}
		if toServer {
			fl.seqC += adv
		} else {
			fl.seqS += adv
		}
	case 17:
		toServer = step == 0
		dns := make([]byte, 12, 128)
		binary.BigEndian.PutUint16(dns[0:], fl.id)
		if toServer {
			binary.BigEndian.PutUint16(dns[2:], 0x0100)
		} else {
			binary.BigEndian.PutUint16(dns[2:], 0x8180)
			binary.BigEndian.PutUint16(dns[6:], 1)
		}
		binary.BigEndian.PutUint16(dns[4:], 1)
		for _, label := range splitDots(fl.qname) {
			dns = append(dns, byte(len(label)))
			dns = append(dns, label...)
		}
		dns = append(dns, 0, 0, 1, 0, 1)
		if !toServer {
			dns = append(dns, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 93, 184, 216, byte(rng.IntN(256)))
		}
		l4 = make([]byte, 8, 8+len(dns))
		sp, dp := fl.sport, fl.dport
		if !toServer {
			sp, dp = dp, sp
		}
		binary.BigEndian.PutUint16(l4[0:], sp)
		binary.BigEndian.PutUint16(l4[2:], dp)
		binary.BigEndian.PutUint16(l4[4:], uint16(8+len(dns)))
		l4 = append(l4, dns...)
	case 1:
		toServer = step%2 == 0
		l4 = make([]byte, 8, 64)
		typ := byte(8)
		if fl.v6 {
			typ = 128
		}
		if !toServer {
			typ = 0
			if fl.v6 {
				typ = 129
			}
		}
		l4[0] = typ
		binary.BigEndian.PutUint16(l4[4:], fl.icmpID)
		binary.BigEndian.PutUint16(l4[6:], uint16(step/2))
		l4 = append(l4, payload[:56]...)
		binary.BigEndian.PutUint16(l4[2:], csum(l4))
	}
	src, dst := fl.src, fl.dst
	smac, dmac := fl.smac, fl.dmac
	if !toServer {
		src, dst, smac, dmac = dst, src, dmac, smac
	}
	b = append(b, dmac[:]...)
	b = append(b, smac[:]...)
	proto := fl.proto
	if fl.v6 {
		if proto == 1 {
			proto = 58
		}
		b = append(b, 0x86, 0xdd, 0x60, 0, 0, 0, byte(len(l4)>>8), byte(len(l4)), proto, 64)
		b = append(b, src[:]...)
		b = append(b, dst[:]...)
	} else {
		tot := 20 + len(l4)
		ip := []byte{0x45, 0, byte(tot >> 8), byte(tot), byte(step >> 8), byte(step), 0x40, 0, 64, proto, 0, 0,
			src[0], src[1], src[2], src[3], dst[0], dst[1], dst[2], dst[3]}
		binary.BigEndian.PutUint16(ip[10:], csum(ip))
		b = append(b, 0x08, 0x00)
		b = append(b, ip...)
	}
	return append(b, l4...)
}

func splitDots(s []byte) [][]byte {
	var out [][]byte
	start := 0
	for i, c := range s {
		if c == '.' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}
