package filter

import (
	"encoding/binary"
	"fmt"

	"github.com/gopacket/gopacket/layers"
)

// compile.go turns the AST into a tree of closures for one link type,
// the way libpcap's gencode.c builds BPF for the link type it compiles
// for: the same fields are loaded at the same offsets in the same order,
// and a load past the captured bytes (or a division by zero) rejects the
// whole packet, as the BPF machine does. Where libpcap's optimizer
// removes a load whose value cannot change the outcome (a zero mask, a
// branch that is always false), so does this compiler, so that truncated
// packets are judged alike.

// res is a predicate's outcome: false, true, or abort (the packet is
// rejected whatever the rest of the filter says).
type res int8

const (
	rAbort res = -1
	rFalse res = 0
	rTrue  res = 1
)

type predFunc func(p []byte, wl uint32) res

// pr is a compiled predicate; k is 1 or -1 when it is known at compile
// time to be true or false (then f is unused).
type pr struct {
	f predFunc
	k int8
}

var (
	prTrue  = pr{k: 1}
	prFalse = pr{k: -1}
)

func (a pr) fn() predFunc {
	switch a.k {
	case 1:
		return func([]byte, uint32) res { return rTrue }
	case -1:
		return func([]byte, uint32) res { return rFalse }
	}
	return a.f
}

// and is short-circuit conjunction, left to right.
func and(ps ...pr) pr { return junction(ps, prFalse, rTrue) }

// or is short-circuit disjunction, left to right.
func or(ps ...pr) pr { return junction(ps, prTrue, rFalse) }

// junction combines ps left to right, short-circuit: a constant
// predicate equal to absorb decides it whatever the others, the other
// constant drops out, and a predicate's result other than neutral (rTrue
// for and, rFalse for or; an rAbort too) ends the evaluation with it.
func junction(ps []pr, absorb pr, neutral res) pr {
	var fs []predFunc
	for _, p := range ps {
		switch p.k {
		case absorb.k:
			return absorb
		case -absorb.k:
			continue
		}
		fs = append(fs, p.f)
	}
	switch len(fs) {
	case 0:
		return pr{k: -absorb.k}
	case 1:
		return pr{f: fs[0]}
	case 2: // the common case, without the loop
		a, b := fs[0], fs[1]
		return pr{f: func(p []byte, wl uint32) res {
			if r := a(p, wl); r != neutral {
				return r
			}
			return b(p, wl)
		}}
	}
	return pr{f: func(p []byte, wl uint32) res {
		for _, f := range fs {
			if r := f(p, wl); r != neutral {
				return r
			}
		}
		return neutral
	}}
}

func not(a pr) pr {
	if a.k != 0 {
		return pr{k: -a.k}
	}
	f := a.f
	return pr{f: func(p []byte, wl uint32) res {
		r := f(p, wl)
		if r == rAbort {
			return r
		}
		return 1 - r
	}}
}

// load reads size bytes (1, 2 or 4, big-endian) at off.
func load(p []byte, off uint64, size int) (uint32, bool) {
	if off > uint64(len(p)) || uint64(len(p))-off < uint64(size) {
		return 0, false
	}
	switch size {
	case 1:
		return uint32(p[off]), true
	case 2:
		return uint32(binary.BigEndian.Uint16(p[off:])), true
	}
	return binary.BigEndian.Uint32(p[off:]), true
}

// loc is a field: size bytes at off, plus the IPv4 header length read
// from the byte at ihl when ihl >= 0 (BPF's ldxb 4*([k]&0xf)).
type loc struct {
	off, ihl, size int
}

func at(off, size int) loc { return loc{off, -1, size} }

func (l loc) get(p []byte) (uint32, bool) {
	off := uint64(l.off)
	if l.ihl >= 0 {
		if l.ihl >= len(p) {
			return 0, false
		}
		off += uint64(p[l.ihl]&0x0f) * 4
	}
	return load(p, off, l.size)
}

type cmpOp uint8

const (
	opEQ  cmpOp = iota // (x & mask) == v
	opGT               // (x & mask) > v
	opGE               // (x & mask) >= v
	opSet              // (x & mask) != 0
)

func cmp(l loc, op cmpOp, mask, v uint32) pr {
	if mask == 0 {
		// libpcap's optimizer folds x&0 to a constant and drops the load.
		switch op {
		case opEQ:
			return pr{k: b2k(v == 0)}
		case opSet, opGT:
			return prFalse
		case opGE:
			return pr{k: b2k(v == 0)}
		}
	}
	return pr{f: func(p []byte, _ uint32) res {
		x, ok := l.get(p)
		if !ok {
			return rAbort
		}
		x &= mask
		var b bool
		switch op {
		case opEQ:
			b = x == v
		case opGT:
			b = x > v
		case opGE:
			b = x >= v
		default:
			b = x != 0
		}
		if b {
			return rTrue
		}
		return rFalse
	}}
}

func b2k(b bool) int8 {
	if b {
		return 1
	}
	return -1
}

func eq(off, size int, v uint32) pr { return cmp(at(off, size), opEQ, 0xffffffff, v) }

// linkKind is a family of link types that share a header layout.
type linkKind uint8

const (
	lkUnknown linkKind = iota
	lkEther
	lkNull
	lkLoop
	lkSLL
	lkSLL2
	lkPPP
	lkPPPSerial
	lkRaw
	lkIPv4
	lkIPv6
	nLinkKinds
)

var linkKindNames = [...]string{"an unsupported link type", "Ethernet", "BSD loopback", "OpenBSD loopback",
	"Linux cooked v1", "Linux cooked v2", "PPP", "PPP over serial", "Raw IP", "IPv4", "IPv6"}

func kindOf(lt layers.LinkType) linkKind {
	switch lt {
	case layers.LinkTypeEthernet:
		return lkEther
	case layers.LinkTypeNull:
		return lkNull
	case layers.LinkTypeLoop:
		return lkLoop
	case layers.LinkTypeLinuxSLL:
		return lkSLL
	case layers.LinkTypeLinuxSLL2:
		return lkSLL2
	case layers.LinkTypePPP:
		return lkPPP
	case layers.LinkTypePPP_HDLC:
		return lkPPPSerial
	case layers.LinkTypeRaw, 12, 14:
		return lkRaw
	case layers.LinkTypeIPv4:
		return lkIPv4
	case layers.LinkTypeIPv6:
		return lkIPv6
	}
	return lkUnknown
}

// gen holds libpcap's per-compilation state for one link type: the
// offsets of the link-layer type field and of the network layer, which
// "vlan" and "mpls" move for everything compiled after them.
type gen struct {
	lk          linkKind
	offLinkType int // -1: no type field
	offLinkPL   int // start of the link-layer payload (LLC or network header)
	offNL       int // network header within the payload (moved by mpls)
	mplsDepth   int
	vlanDepth   int
	err         error
}

func newGen(lk linkKind) *gen {
	g := &gen{lk: lk, offLinkType: -1}
	switch lk {
	case lkEther:
		g.offLinkType, g.offLinkPL = 12, 14
	case lkNull, lkLoop:
		g.offLinkType, g.offLinkPL = 0, 4
	case lkSLL:
		g.offLinkType, g.offLinkPL = 14, 16
	case lkSLL2:
		g.offLinkType, g.offLinkPL = 0, 20
	case lkPPP, lkPPPSerial:
		g.offLinkType, g.offLinkPL = 2, 4
	}
	return g
}

func (g *gen) nl() int { return g.offLinkPL + g.offNL }

// fail records that libpcap refuses this filter on this link type: the
// filter then matches no packet of it.
func (g *gen) fail(format string, args ...any) pr {
	if g.err == nil {
		g.err = fmt.Errorf("filter: "+format, args...)
	}
	return prFalse
}

// compile builds the matcher of n for this link type.
func (g *gen) compile(n node) pr {
	switch n := n.(type) {
	case nil:
		return prTrue
	case andNode:
		l := g.compile(n.l)
		return and(l, g.compile(n.r))
	case orNode:
		l := g.compile(n.l)
		return or(l, g.compile(n.r))
	case notNode:
		return not(g.compile(n.x))
	case protoNode:
		return g.proto(n.proto, n.v)
	case hostNode:
		return g.host(n)
	case host6Node:
		return g.host6(n)
	case ehostNode:
		return g.ehost(n)
	case portNode:
		return g.port(n)
	case bcastNode:
		return g.bcast(n.proto)
	case mcastNode:
		return g.mcast(n.proto)
	case vlanNode:
		return g.vlan(n)
	case mplsNode:
		return g.mpls(n)
	case relNode:
		return g.rel(n)
	}
	return g.fail("internal error: node %T", n)
}

// linktype is libpcap's gen_linktype: the link-layer type field says
// proto (an Ethernet type, or an LLC SAP when <= 1500).
func (g *gen) linktype(proto uint32) pr {
	if g.mplsDepth > 0 {
		nl := g.nl()
		bos := cmp(at(nl-2, 1), opEQ, 0x01, 0x01) // bottom of stack on the last label
		switch proto {
		case etherIP:
			return and(bos, cmp(at(nl, 1), opEQ, 0xf0, 0x40))
		case etherIPv6:
			return and(bos, cmp(at(nl, 1), opEQ, 0xf0, 0x60))
		}
		return g.fail("unsupported protocol over mpls")
	}
	lt, llc := g.offLinkType, g.offLinkPL
	switch g.lk {
	case lkEther:
		notLLC := not(cmp(at(lt, 2), opGT, 0xffffffff, 1500))
		switch proto {
		case llcISONS, llcIP, llcNetbeui:
			return and(notLLC, eq(llc, 2, proto<<8|proto))
		case llcIPX:
			return or(eq(lt, 2, etherIPX), and(notLLC, or(snap(llc, 0, etherIPX), eq(llc, 1, llcIPX), eq(llc, 2, 0xffff))))
		case etherAtalk, etherAarp:
			org := uint32(0)
			if proto == etherAtalk {
				org = 0x080007
			}
			return or(eq(lt, 2, proto), and(notLLC, snap(llc, org, proto)))
		}
		if proto <= 1500 {
			return and(notLLC, eq(llc, 1, proto))
		}
		return eq(lt, 2, proto)
	case lkSLL:
		const p8022, p8023 = 4, 1
		switch proto {
		case llcISONS, llcIP, llcNetbeui:
			return and(eq(lt, 2, p8022), eq(llc, 2, proto<<8|proto))
		case llcIPX:
			return or(eq(lt, 2, etherIPX), eq(lt, 2, p8023), and(eq(lt, 2, p8022), or(eq(llc, 1, llcIPX), snap(llc, 0, etherIPX))))
		case etherAtalk, etherAarp:
			org := uint32(0)
			if proto == etherAtalk {
				org = 0x080007
			}
			return or(eq(lt, 2, proto), and(eq(lt, 2, p8022), snap(llc, org, proto)))
		}
		if proto <= 1500 {
			return and(eq(lt, 2, p8022), eq(llc, 1, proto))
		}
		return eq(lt, 2, proto)
	case lkSLL2:
		return eq(lt, 2, proto)
	case lkPPP, lkPPPSerial:
		return eq(lt, 2, pppType(proto))
	case lkNull, lkLoop:
		var afs []uint32
		switch proto {
		case etherIP:
			afs = []uint32{2}
		case etherIPv6:
			afs = []uint32{30, 24, 28} // Darwin, BSD, FreeBSD AF_INET6
		default:
			return prFalse
		}
		var alts []pr
		for _, af := range afs {
			alts = append(alts, eq(0, 4, af))
			if g.lk == lkNull {
				// DLT_NULL's family is in the capturing host's byte
				// order; libpcap expects the file's. Accept either.
				alts = append(alts, eq(0, 4, af<<24))
			}
		}
		return or(alts...)
	case lkRaw:
		switch proto {
		case etherIP:
			return cmp(at(0, 1), opEQ, 0xf0, 0x40)
		case etherIPv6:
			return cmp(at(0, 1), opEQ, 0xf0, 0x60)
		}
		return prFalse
	case lkIPv4:
		return pr{k: b2k(proto == etherIP)}
	case lkIPv6:
		return pr{k: b2k(proto == etherIPv6)}
	}
	if g.err == nil {
		g.err = fmt.Errorf("filter: %w", ErrUnsupportedLinkType)
	}
	return prFalse
}

// snap matches an 802.2 SNAP header (AA AA 03, org, type) at off.
func snap(off int, org, ptype uint32) pr {
	return and(eq(off+4, 4, (org&0xffff)<<16|ptype), eq(off, 4, 0xaaaa0300|org>>16))
}

// pppType maps an Ethernet type to its PPP protocol number as libpcap.
func pppType(proto uint32) uint32 {
	switch proto {
	case etherIP:
		return 0x0021
	case etherIPv6:
		return 0x0057
	case etherDN:
		return 0x0027
	case etherAtalk:
		return 0x0029
	case etherNS:
		return 0x0025
	case llcISONS:
		return 0x0023
	case llc8021D:
		return 0x0031
	case llcIPX:
		return 0x002b
	}
	return proto
}

// proto: gen_proto for ip, ip6 and link; both IP versions for pDefault.
func (g *gen) proto(q qproto, v uint32) pr {
	nl := g.nl()
	switch q {
	case pLink:
		return g.linktype(v)
	case pIP:
		return and(g.linktype(etherIP), eq(nl+9, 1, v))
	case pIP6:
		// The next header, or that of a fragment header right after
		// the fixed header.
		return and(g.linktype(etherIPv6), or(eq(nl+6, 1, v), and(eq(nl+6, 1, 44), eq(nl+40, 1, v))))
	}
	ip := g.proto(pIP, v)
	return or(ip, g.proto(pIP6, v))
}

// abbrevCheck is the check of a protocol name alone ("tcp", "arp").
func (g *gen) abbrevCheck(q qproto) pr {
	n, err := (&parser{}).abbrev(token{}, q)
	if err != nil {
		return g.fail("%v", err)
	}
	return g.compile(n)
}

func dirop(dir qdir, src, dst pr) pr {
	switch dir {
	case dSrc:
		return src
	case dDst:
		return dst
	case dAnd:
		return and(src, dst)
	}
	return or(src, dst)
}

func (g *gen) hostop(n hostNode, ethertype uint32, srcOff, dstOff int) pr {
	b := g.linktype(ethertype)
	nl := g.nl()
	if b.k == -1 {
		return prFalse
	}
	return and(b, dirop(n.dir, cmp(at(nl+srcOff, 4), opEQ, n.mask, n.addr), cmp(at(nl+dstOff, 4), opEQ, n.mask, n.addr)))
}

func (g *gen) host(n hostNode) pr {
	switch n.proto {
	case pIP:
		return g.hostop(n, etherIP, 12, 16)
	case pARP:
		return g.hostop(n, etherARP, 14, 24)
	case pRARP:
		return g.hostop(n, etherRARP, 14, 24)
	}
	ip := g.hostop(n, etherIP, 12, 16)
	if g.mplsDepth > 0 {
		return ip // libpcap leaves ARP and RARP out after mpls
	}
	arp := g.hostop(n, etherARP, 14, 24)
	return or(ip, arp, g.hostop(n, etherRARP, 14, 24))
}

func (g *gen) host6(n host6Node) pr {
	b := g.linktype(etherIPv6)
	nl := g.nl()
	words := func(off int) pr {
		var ps []pr
		for i := 0; i < 4; i++ {
			m := binary.BigEndian.Uint32(n.mask[4*i:])
			a := binary.BigEndian.Uint32(n.addr[4*i:])
			ps = append(ps, cmp(at(off+4*i, 4), opEQ, m, a))
		}
		return and(ps...)
	}
	return and(b, dirop(n.dir, words(nl+8), words(nl+24)))
}

func (g *gen) ehost(n ehostNode) pr {
	if g.lk != lkEther {
		return g.fail("ethernet addresses supported only on ethernet/FDDI/token ring/802.11/ATM LANE/Fibre Channel")
	}
	mac := func(off int) pr {
		return and(eq(off+2, 4, binary.BigEndian.Uint32(n.mac[2:])), eq(off, 2, uint32(binary.BigEndian.Uint16(n.mac[:]))))
	}
	return dirop(n.dir, mac(6), mac(0))
}

// port: gen_port / gen_portrange over IPv6 (fixed header only) and IPv4
// (first fragment only, after the options).
func (g *gen) port(n portNode) pr {
	nl := g.nl()
	protoset := func(off int) pr {
		if n.ipproto == ipprotoAny {
			return or(eq(off, 1, 132), eq(off, 1, 6), eq(off, 1, 17))
		}
		return eq(off, 1, uint32(n.ipproto))
	}
	inRange := func(l loc) pr {
		if n.lo == n.hi {
			return cmp(l, opEQ, 0xffffffff, n.lo)
		}
		return and(cmp(l, opGE, 0xffffffff, n.lo), not(cmp(l, opGT, 0xffffffff, n.hi)))
	}
	ports := func(src, dst loc) pr { return dirop(n.dir, inRange(src), inRange(dst)) }
	v6 := and(g.linktype(etherIPv6), protoset(nl+6), ports(at(nl+40, 2), at(nl+42, 2)))
	v4 := and(g.linktype(etherIP), protoset(nl+9), g.firstFragment(), ports(loc{nl, nl, 2}, loc{nl + 2, nl, 2}))
	return or(v6, v4)
}

// firstFragment: the IPv4 fragment offset is 0.
func (g *gen) firstFragment() pr {
	return not(cmp(at(g.nl()+6, 2), opSet, 0x1fff, 0))
}

func (g *gen) bcast(q qproto) pr {
	if q == pIP {
		// tcpdump reading a file has netmask 0: the broadcast
		// addresses are then 0.0.0.0 and 255.255.255.255.
		nl := g.nl()
		return and(g.linktype(etherIP), or(eq(nl+16, 4, 0), eq(nl+16, 4, 0xffffffff)))
	}
	if g.lk != lkEther {
		return g.fail("not a broadcast link")
	}
	return and(eq(2, 4, 0xffffffff), eq(0, 2, 0xffff))
}

func (g *gen) mcast(q qproto) pr {
	nl := g.nl()
	switch q {
	case pIP:
		return and(g.linktype(etherIP), cmp(at(nl+16, 1), opGE, 0xffffffff, 224))
	case pIP6:
		return and(g.linktype(etherIPv6), eq(nl+24, 1, 255))
	}
	if g.lk != lkEther {
		return g.fail("link-layer multicast filters supported only on ethernet/FDDI/token ring/ARCNET/802.11/ATM LANE/Fibre Channel")
	}
	return cmp(at(0, 1), opSet, 0x01, 0)
}

// vlan: an 802.1Q/802.1ad tag; what follows is read inside it.
func (g *gen) vlan(n vlanNode) pr {
	if g.mplsDepth > 0 {
		return g.fail("no VLAN match after MPLS")
	}
	if g.lk != lkEther {
		return g.fail("no VLAN support for %s", linkKindNames[g.lk])
	}
	lt := g.offLinkType
	b := or(eq(lt, 2, 0x8100), eq(lt, 2, 0x88a8), eq(lt, 2, 0x9100))
	if n.has {
		b = and(b, cmp(at(lt+2, 2), opEQ, 0x0fff, n.id))
	}
	g.offLinkType += 4
	g.offLinkPL += 4
	g.vlanDepth++
	return b
}

// mpls: an MPLS label; what follows is read after it.
func (g *gen) mpls(n mplsNode) pr {
	var b pr
	switch {
	case g.mplsDepth > 0:
		b = cmp(at(g.nl()-2, 1), opEQ, 0x01, 0) // not the bottom of the stack yet
	case g.lk == lkEther:
		b = eq(g.offLinkType, 2, etherMPLS)
	case g.lk == lkPPP:
		b = eq(g.offLinkType, 2, 0x0281)
	default:
		return g.fail("no MPLS support for %s", linkKindNames[g.lk])
	}
	if n.has {
		b = and(b, cmp(at(g.nl(), 4), opEQ, 0xfffff000, n.label<<12))
	}
	g.offNL += 4
	g.mplsDepth++
	return b
}

// val is a compiled arithmetic value: its protocol checks, and either a
// constant or a function (false: the packet is rejected).
type val struct {
	checks  []pr
	isConst bool
	c       uint32
	f       func(p []byte, wl uint32) (uint32, bool)
}

func (v val) fn() func(p []byte, wl uint32) (uint32, bool) {
	if v.isConst {
		c := v.c
		return func([]byte, uint32) (uint32, bool) { return c, true }
	}
	return v.f
}

func (g *gen) rel(n relNode) pr {
	a := g.arith(n.a)
	b := g.arith(n.b)
	checks := append(append([]pr{}, a.checks...), b.checks...)
	var c pr
	if a.isConst && b.isConst {
		c = pr{k: b2k(relHolds(n.op, a.c, b.c))}
	} else {
		fa, fb, op := a.fn(), b.fn(), n.op
		c = pr{f: func(p []byte, wl uint32) res {
			x, ok := fa(p, wl)
			if !ok {
				return rAbort
			}
			y, ok := fb(p, wl)
			if !ok {
				return rAbort
			}
			if relHolds(op, x, y) {
				return rTrue
			}
			return rFalse
		}}
	}
	if n.neg {
		c = not(c)
	}
	return and(append(checks, c)...)
}

func relHolds(op relop, x, y uint32) bool {
	switch op {
	case relGT:
		return x > y
	case relGE:
		return x >= y
	}
	return x == y
}

func (g *gen) arith(a arith) val {
	switch a := a.(type) {
	case numArith:
		return val{isConst: true, c: a.v}
	case lenArith:
		return val{f: func(_ []byte, wl uint32) (uint32, bool) { return wl, true }}
	case negArith:
		x := g.arith(a.x)
		if x.isConst {
			return val{checks: x.checks, isConst: true, c: -x.c}
		}
		f := x.f
		return val{checks: x.checks, f: func(p []byte, wl uint32) (uint32, bool) {
			v, ok := f(p, wl)
			return -v, ok
		}}
	case binArith:
		l := g.arith(a.l)
		r := g.arith(a.r)
		// libpcap's gen_arth keeps the protocol checks of the left
		// operand only: in "ip[2:2] - tcp[12]" the tcp[12] is read
		// whatever the packet is (as if its IPv4 header were there),
		// while "tcp[12] - ip[0]" requires TCP. tcpdump means that.
		checks := l.checks
		if l.isConst && r.isConst {
			if v, ok := alu(a.op, l.c, r.c); ok {
				return val{checks: checks, isConst: true, c: v}
			}
		}
		fl, fr, op := l.fn(), r.fn(), a.op
		return val{checks: checks, f: func(p []byte, wl uint32) (uint32, bool) {
			x, ok := fl(p, wl)
			if !ok {
				return 0, false
			}
			y, ok := fr(p, wl)
			if !ok {
				return 0, false
			}
			return alu(op, x, y)
		}}
	case loadArith:
		return g.load(a)
	}
	g.fail("internal error: arithmetic %T", a)
	return val{isConst: true}
}

// alu is BPF's 32-bit arithmetic; false for a division by zero (BPF
// rejects the packet).
func alu(op string, x, y uint32) (uint32, bool) {
	switch op {
	case "+":
		return x + y, true
	case "-":
		return x - y, true
	case "*":
		return x * y, true
	case "/":
		if y == 0 {
			return 0, false
		}
		return x / y, true
	case "%":
		if y == 0 {
			return 0, false
		}
		return x % y, true
	case "&":
		return x & y, true
	case "|":
		return x | y, true
	case "^":
		return x ^ y, true
	case "<<":
		if y >= 32 {
			return 0, true
		}
		return x << y, true
	case ">>":
		if y >= 32 {
			return 0, true
		}
		return x >> y, true
	}
	return 0, false
}

// load: proto[idx:size] (libpcap's gen_load).
func (g *gen) load(a loadArith) val {
	idx := g.arith(a.idx)
	checks := append([]pr{}, idx.checks...)
	size := a.size
	fi := idx.fn()
	var base int
	ihl := -1
	switch a.proto {
	case pLink:
		base = 0
	case pIP, pARP, pRARP, pIP6, pAtalk, pDecnet, pSca, pLat, pMoprc, pMopdl:
		checks = append(checks, g.abbrevCheck(a.proto))
		base = g.nl()
	case pICMP6:
		checks = append(checks, g.linktype(etherIPv6), eq(g.nl()+6, 1, 58))
		base = g.nl() + 40
	default: // transport: relative to the end of the IPv4 header
		ip := g.linktype(etherIP)
		checks = append(checks, ip, g.abbrevCheck(a.proto), g.firstFragment())
		base = g.nl()
		ihl = g.nl()
	}
	if ihl < 0 {
		return val{checks: checks, f: func(p []byte, wl uint32) (uint32, bool) {
			i, ok := fi(p, wl)
			if !ok {
				return 0, false
			}
			return load(p, uint64(i)+uint64(base), size)
		}}
	}
	return val{checks: checks, f: func(p []byte, wl uint32) (uint32, bool) {
		i, ok := fi(p, wl)
		if !ok || ihl >= len(p) {
			return 0, false
		}
		x := i + uint32(p[ihl]&0x0f)*4 // BPF's A += X: 32 bits
		return load(p, uint64(x)+uint64(base), size)
	}}
}
