package dns

import (
	"net/netip"
	"strings"
	"sync"
)

// Names remembers which names DNS answers gave to which addresses, so that
// a connection to an address can be named by what its client looked up
// (the flows' dst_name; the beacons table keys a service by it: a beacon
// whose name resolves to many addresses, a CDN or fast flux, is one
// pair). The Plugin feeds it (Plugin.Names: Resolved, from every shard at
// once; it is safe for concurrent use); the tracker's namer asks it
// (Lookup) as the flows' rows are merged.
//
// Memory is bounded: the latest answersPerAddr answers of at most
// MaxAddrs addresses (about 100 bytes each); past that, answers for new
// addresses are not kept (counted in Dropped) and their connections keep
// their address as the key.
type Names struct {
	mu sync.Mutex
	m  map[netip.Addr]*[answersPerAddr]answer
	// MaxAddrs bounds the addresses remembered (DefaultMaxNames).
	MaxAddrs int
	// Dropped counts the answers not kept at MaxAddrs.
	Dropped uint64
}

// DefaultMaxNames is the default bound on the addresses Names remembers:
// about 40 MiB.
const DefaultMaxNames = 1 << 18

// answersPerAddr is how many answers an address keeps, latest first.
const answersPerAddr = 4

type answer struct {
	ts   int64 // ns; 0 for none
	name string
}

// NewNames returns an empty Names bounded by DefaultMaxNames.
func NewNames() *Names {
	return &Names{m: map[netip.Addr]*[answersPerAddr]answer{}, MaxAddrs: DefaultMaxNames}
}

// Resolved records that a DNS answer at capture time ts gave name the
// address addr. The name is kept in lower case, without a final dot.
func (n *Names) Resolved(ts int64, name string, addr netip.Addr) {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	if n == nil || name == "" || !addr.IsValid() {
		return
	}
	addr = addr.Unmap()
	n.mu.Lock()
	defer n.mu.Unlock()
	a := n.m[addr]
	if a == nil {
		if len(n.m) >= n.MaxAddrs {
			n.Dropped++
			return
		}
		a = new([answersPerAddr]answer)
		n.m[addr] = a
	}
	// keep them by time, latest first; an answer repeated keeps one place
	i := 0
	for i < len(a) && a[i].ts != 0 && (a[i].ts > ts || a[i].ts == ts && a[i].name < name) {
		i++
	}
	if i == len(a) || a[i].ts == ts && a[i].name == name {
		return
	}
	copy(a[i+1:], a[i:len(a)-1])
	a[i] = answer{ts, strings.Clone(name)}
}

// Lookup returns the name of the latest answer for addr at or before ts
// ("" when none): the name a client looked up before connecting. Given
// the same answers, in any order, it gives the same name.
func (n *Names) Lookup(addr netip.Addr, ts int64) string {
	if n == nil {
		return ""
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	a := n.m[addr.Unmap()]
	if a == nil {
		return ""
	}
	for _, x := range a {
		if x.ts != 0 && x.ts <= ts {
			return x.name
		}
	}
	return ""
}

// Each calls f (which must not call n) with every answer n holds: the answer's capture time,
// the name (lower case, without a final dot) and the address. The order
// is not defined. Resolved with every answer of one Names gives another
// the same look-ups (Lookup) as the first.
func (n *Names) Each(f func(ts int64, name string, addr netip.Addr)) {
	if n == nil {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for addr, a := range n.m {
		for _, x := range a {
			if x.ts != 0 {
				f(x.ts, x.name, addr)
			}
		}
	}
}
