package flows

import (
	"encoding/binary"
	"hash/fnv"
	"net/netip"

	"github.com/pcap2table/pcap2table/parsers"
)

// Key identifies a flow in both directions: the endpoints in canonical
// order (the smaller address, then port, first; one-way ICMP messages keep
// their direction, as in the Community ID spec), the IP protocol, the outer
// VLAN and the tunnel id.
type Key struct {
	A, B         [16]byte // addresses as 16 bytes (IPv4 mapped)
	PortA, PortB uint16
	Proto        uint8
	V6           bool
	HasPorts     bool
	VLAN         uint16
	TunnelID     uint32
}

// equal is k == o, field by field: the compiler inlines it, where == on
// the struct called the generated type:.eq (2% of a flows-alone profile).
func (k *Key) equal(o *Key) bool {
	return k.A == o.A && k.B == o.B && k.PortA == o.PortA && k.PortB == o.PortB &&
		k.Proto == o.Proto && k.V6 == o.V6 && k.HasPorts == o.HasPorts &&
		k.VLAN == o.VLAN && k.TunnelID == o.TunnelID
}

// flowID is FNV-1a 64 over the key's fields in network byte order, the
// first packet's timestamp (ns) and gen, which tells apart flows of one
// key that start at the same instant (a port reused within a timestamp),
// then, unless it is 0, seq: the index of the first packet in the input
// plus one, for a flow that starts earlier than a packet before it
// (shard.newID), folded to IDBits bits. Deterministic across runs and
// machines.
func flowID(k *Key, firstTS int64, gen uint32, seq uint64) uint64 {
	var buf [16 + 16 + 2 + 2 + 1 + 1 + 2 + 4 + 8 + 4 + 8]byte
	b := append(buf[:0], k.A[:]...)
	b = append(b, k.B[:]...)
	b = binary.BigEndian.AppendUint16(b, k.PortA)
	b = binary.BigEndian.AppendUint16(b, k.PortB)
	b = append(b, k.Proto, 0)
	if k.V6 {
		b[len(b)-1] = 6
	}
	b = binary.BigEndian.AppendUint16(b, k.VLAN)
	b = binary.BigEndian.AppendUint32(b, k.TunnelID)
	b = binary.BigEndian.AppendUint64(b, uint64(firstTS))
	b = binary.BigEndian.AppendUint32(b, gen)
	if seq != 0 {
		b = binary.BigEndian.AppendUint64(b, seq)
	}
	h := fnv.New64a() // once per flow, not per packet
	h.Write(b)
	return fold(h.Sum64())
}

// IDBits is the width of a flow_id: it stays within ±(2^53 − 1), the
// integers a float64 holds exactly, so that jq, JavaScript, pandas and
// DuckDB's CSV reader all read it back digit for digit (a 64-bit id lost
// its last digits in jq 1.6 and joined nothing).
const IDBits = 53

// fold xors the hash's top bits into its low IDBits bits: every bit of
// FNV-1a's output still counts.
func fold(h uint64) uint64 { return (h ^ h>>IDBits) & (1<<IDBits - 1) }

func addr16(a netip.Addr) [16]byte { return a.As16() }

// keyTunnelID is the tunnel id a packet's flow is keyed by: its tunnel's
// (VNI, GRE key), but none for GTP-U and PPTP, whose TEIDs and call ids
// differ by direction (each side picks the one it receives on): keyed by
// them, one connection was two flows, as Zeek never splits it.
func keyTunnelID(r *parsers.PacketRow) uint32 {
	if !r.Has(parsers.ColTunnelID) || r.Tunnel == "gtpu" || r.Tunnel == "pptp" {
		return 0
	}
	return r.TunnelID
}

// addrFrom16 turns a key address back into an address of the key's family.
func addrFrom16(b [16]byte, v6 bool) netip.Addr {
	a := netip.AddrFrom16(b)
	if !v6 {
		return a.Unmap()
	}
	return a
}
