package beacongen

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Background is a capture held in memory, sorted by time, into which
// Specs are planted: a generated office day or a real capture.
type Background struct {
	start, end int64 // span, ns
	pkts       []packet
	wire       []int // wire length of pkts[i] when it exceeds len(data) (real captures), else 0
	taken      map[netip.Addr]bool
	free       []netip.Addr // internal hosts free for beacons (generated backgrounds)
	benign     []Pair
	generated  bool
}

// Span is the background's first and last instant.
func (b *Background) Span() (time.Time, time.Time) {
	return time.Unix(0, b.start).UTC(), time.Unix(0, b.end).UTC()
}

// Packets is the number of packets of the background.
func (b *Background) Packets() int { return len(b.pkts) }

// OfficeBackground generates the office day of cfg as Generate does (the
// same chatter, browsing and lookups, from the same random streams)
// without its five fixed beacons: their hosts, and the hosts beyond the
// chatter's, are free for planted Specs.
func OfficeBackground(cfg Config) *Background {
	g, hosts, _, benign := office(cfg.withDefaults(), false)
	bg := &Background{start: g.start, end: g.end, taken: map[netip.Addr]bool{}, generated: true, benign: benign}
	bg.pkts = g.pkts
	bg.wire = make([]int, len(g.pkts))
	for _, p := range g.pkts {
		bg.note(p.data)
	}
	bg.free = append(bg.free, hosts[:firstNTP]...)
	bg.free = append(bg.free, hosts[minHosts:]...)
	return bg
}

// ReadBackground reads a pcap or pcapng capture of Ethernet frames.
func ReadBackground(r io.Reader) (*Background, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	magic, err := br.Peek(4)
	if err != nil {
		return nil, fmt.Errorf("read background: %w", err)
	}
	var src gopacket.PacketDataSource
	var link layers.LinkType
	if binary.BigEndian.Uint32(magic) == 0x0a0d0d0a {
		ng, err := pcapgo.NewNgReader(br, pcapgo.DefaultNgReaderOptions)
		if err != nil {
			return nil, fmt.Errorf("read background: %w", err)
		}
		src, link = ng, ng.LinkType()
	} else {
		pr, err := pcapgo.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("read background: %w", err)
		}
		src, link = pr, pr.LinkType()
	}
	if link != layers.LinkTypeEthernet {
		return nil, fmt.Errorf("read background: link type %v, want Ethernet", link)
	}
	return readPackets(src)
}

func readPackets(src gopacket.PacketDataSource) (*Background, error) {
	bg := &Background{taken: map[netip.Addr]bool{}}
	for {
		data, ci, err := src.ReadPacketData()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read background packet %d: %w", len(bg.pkts)+1, err)
		}
		wire := 0
		if ci.Length > len(data) {
			wire = ci.Length
		}
		bg.pkts = append(bg.pkts, packet{ts: ci.Timestamp.UnixNano(), data: data})
		bg.wire = append(bg.wire, wire)
		bg.note(data)
	}
	if len(bg.pkts) == 0 {
		return nil, errors.New("read background: no packets")
	}
	// keep the capture's order but sort by time (stable: ties keep it)
	idx := make([]int, len(bg.pkts))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(bg.pkts[a].ts, bg.pkts[b].ts) })
	pkts, wire := make([]packet, len(idx)), make([]int, len(idx))
	for i, j := range idx {
		pkts[i], wire[i] = bg.pkts[j], bg.wire[j]
	}
	bg.pkts, bg.wire = pkts, wire
	bg.start, bg.end = pkts[0].ts, pkts[len(pkts)-1].ts
	return bg, nil
}

// note marks the IPv4 and IPv6 addresses of an Ethernet frame (after up
// to two VLAN tags) as taken.
func (b *Background) note(data []byte) {
	off := 12
	for off+4 <= len(data) && (binary.BigEndian.Uint16(data[off:]) == 0x8100 || binary.BigEndian.Uint16(data[off:]) == 0x88a8) {
		off += 4
	}
	if off+2 > len(data) {
		return
	}
	typ, ip := binary.BigEndian.Uint16(data[off:]), data[off+2:]
	switch {
	case typ == 0x0800 && len(ip) >= 20:
		b.taken[netip.AddrFrom4([4]byte(ip[12:16]))] = true
		b.taken[netip.AddrFrom4([4]byte(ip[16:20]))] = true
	case typ == 0x86dd && len(ip) >= 40:
		b.taken[netip.AddrFrom16([16]byte(ip[8:24]))] = true
		b.taken[netip.AddrFrom16([16]byte(ip[24:40]))] = true
	}
}

// Plant writes the background with specs planted (seed makes their
// addresses and timing) to w, as a pcap with nanosecond timestamps, and
// returns the truth. The background is not changed: plant again with
// other specs.
func (b *Background) Plant(w io.Writer, seed uint64, specs []Spec) (SpecTruth, error) {
	p := &planter{bg: b, g: &gen{start: b.start, end: b.end}, used: map[netip.Addr]bool{}}
	truth := SpecTruth{Start: time.Unix(0, b.start).UTC(), End: time.Unix(0, b.end).UTC(), Background: len(b.pkts), Benign: b.benign}
	for i, s := range specs {
		p.g.reseed(seed, uint64(300+i))
		pl, err := p.plant(i, s)
		if err != nil {
			return SpecTruth{}, err
		}
		truth.Beacons = append(truth.Beacons, pl)
	}
	slices.SortStableFunc(p.g.pkts, func(a, b packet) int { return cmp.Compare(a.ts, b.ts) })
	truth.Packets = len(b.pkts) + len(p.g.pkts)
	return truth, b.merge(w, p.g.pkts)
}

// merge writes the background's packets and planted, in time order (the
// background's first on a tie).
func (b *Background) merge(w io.Writer, planted []packet) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	pw := pcapgo.NewWriterNanos(bw)
	if err := pw.WriteFileHeader(262144, layers.LinkTypeEthernet); err != nil {
		return fmt.Errorf("write capture: %w", err)
	}
	i, j := 0, 0
	for i < len(b.pkts) || j < len(planted) {
		var p packet
		wire := 0
		if j == len(planted) || (i < len(b.pkts) && b.pkts[i].ts <= planted[j].ts) {
			p, wire = b.pkts[i], b.wire[i]
			i++
		} else {
			p = planted[j]
			j++
		}
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(0, p.ts).UTC(), CaptureLength: len(p.data), Length: max(wire, len(p.data))}
		if err := pw.WritePacket(ci, p.data); err != nil {
			return fmt.Errorf("write capture: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write capture: %w", err)
	}
	return nil
}
