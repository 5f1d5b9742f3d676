package pcap2table

import (
	"encoding/binary"
	"hash/maphash"
	"time"

	"github.com/pcap2table/pcap2table/parsers"
	"github.com/pcap2table/pcap2table/parsers/capture"
)

// Duplicate packets (Options.Dedup): a SPAN port that mirrors both
// directions of two ports, or two taps merged, give some packets twice.
// A packet is a copy of one seen within the window before it when they
// agree on what a router or a second mirror point leaves unchanged: the
// IP addresses, protocol, identification, length and fragment fields,
// the transport header and every captured byte after it (for non-IP
// frames, the whole frame). Left out, as Arkime and editcap -D do in
// effect: the link layer (MACs and VLAN tags change from hop to hop),
// the TTL or hop limit and the IP header checksum.

// DefaultDedupWindow is how far back a packet's copy is looked for: a
// SPAN port's copies come within microseconds, a second tap's within a
// few milliseconds. It stays short so that packets a host really sends
// twice (a retransmission, a heartbeat with the same bytes) are kept:
// those come later, and a TCP retransmission differs in its IP id or
// timestamps anyway.
const DefaultDedupWindow = 10 * time.Millisecond

// maxDedupEntries bounds the packets remembered (their hashes and
// times, 16 bytes each, plus the map's share): past it the oldest are
// forgotten early, so a flood within the window cannot grow memory.
const maxDedupEntries = 1 << 20

type dedupEntry struct {
	ts   int64
	hash uint64
}

type dedup struct {
	window int64
	seed   maphash.Seed
	h      maphash.Hash
	seen   map[uint64]int64 // hash → time of the packet kept
	fifo   []dedupEntry     // the entries of seen, oldest first, from head
	head   int
}

func newDedup(window time.Duration) *dedup {
	if window <= 0 {
		window = DefaultDedupWindow
	}
	d := &dedup{window: int64(window), seed: maphash.MakeSeed(), seen: map[uint64]int64{}}
	d.h.SetSeed(d.seed)
	return d
}

// dup reports whether the decoded packet r is a copy of one seen within
// the window before it, and remembers it otherwise.
func (d *dedup) dup(p *capture.Packet, r *parsers.PacketRow) bool {
	if p.NoTimestamp || p.TimeOutOfRange {
		return false // no time: no window to place it in
	}
	d.expire(r.TS)
	h := d.key(p, r)
	if ts, ok := d.seen[h]; ok && r.TS-ts <= d.window {
		return true
	}
	d.seen[h] = r.TS
	d.fifo = append(d.fifo, dedupEntry{r.TS, h})
	return false
}

// expire forgets the packets older than the window before now (and the
// oldest past maxDedupEntries).
func (d *dedup) expire(now int64) {
	for d.head < len(d.fifo) && (now-d.fifo[d.head].ts > d.window || len(d.fifo)-d.head >= maxDedupEntries) {
		e := d.fifo[d.head]
		if d.seen[e.hash] == e.ts {
			delete(d.seen, e.hash)
		}
		d.head++
	}
	if d.head > 4096 && d.head > len(d.fifo)/2 {
		n := copy(d.fifo, d.fifo[d.head:])
		d.fifo, d.head = d.fifo[:n], 0
	}
}

// key hashes what a copy of the packet shares with it.
func (d *dedup) key(p *capture.Packet, r *parsers.PacketRow) uint64 {
	d.h.Reset()
	if !r.Has(parsers.ColSrcIP) {
		d.h.Write(p.Data)
		return d.h.Sum64() ^ uint64(p.Length)
	}
	var b [64]byte
	src, dst := r.SrcIP.As16(), r.DstIP.As16()
	n := copy(b[:], src[:])
	n += copy(b[n:], dst[:])
	b[n] = r.IPProto
	binary.BigEndian.PutUint32(b[n+1:], r.IPID)
	binary.BigEndian.PutUint16(b[n+5:], r.IPLen)
	binary.BigEndian.PutUint16(b[n+7:], r.FragOffset)
	if r.MoreFrags {
		b[n+9] = 1
	}
	binary.BigEndian.PutUint32(b[n+10:], r.TunnelID)
	binary.BigEndian.PutUint32(b[n+14:], r.PayloadLen)
	n += 18
	d.h.Write(b[:n])
	switch {
	case len(r.L4) > 0:
		d.h.Write(r.L4)
	case len(r.Payload) > 0:
		// ICMP and other protocols: the type and code, then the data
		b[0], b[1] = r.ICMPType, r.ICMPCode
		d.h.Write(b[:2])
		d.h.Write(r.Payload)
	default:
		d.h.Write(r.IPPayload)
	}
	return d.h.Sum64()
}
