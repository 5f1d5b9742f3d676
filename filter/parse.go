package filter

import (
	"fmt"
	"net/netip"
	"strings"
)

// The parser is a recursive-descent rendering of libpcap 1.10's
// grammar.y, producing an AST whose primitives are already resolved
// (addresses, masks, ports, protocol numbers) but not yet tied to a link
// type: compile.go turns the AST into a matcher once per link type, as
// libpcap's gencode.c does for the one link type it compiles for.
//
// Precedence is libpcap's: "not" binds tightest; "and" and "or" have
// equal precedence and associate left to right, so "a or b and c" is
// "(a or b) and c". In arithmetic, | & << >> + - * / bind as in C
// (lowest first), while % and ^ have no precedence in libpcap's grammar:
// its parser then shifts, so they group to the right of whatever
// precedes them ("7 * 4 % 3" is 7 * (4 % 3), "2 ^ 3 + 1" is 2 ^ (3 + 1)).

// qproto is a protocol qualifier (libpcap's Q_IP, Q_TCP, ...).
type qproto uint8

const (
	pDefault qproto = iota
	pLink
	pIP
	pARP
	pRARP
	pSCTP
	pTCP
	pUDP
	pICMP
	pIGMP
	pIGRP
	pPIM
	pVRRP
	pCARP
	pIP6
	pICMP6
	pAH
	pESP
	pAtalk
	pAarp
	pDecnet
	pLat
	pSca
	pMoprc
	pMopdl
	pISO
	pSTP
	pIPX
	pNetbeui
)

var qprotoNames = [...]string{"", "link", "ip", "arp", "rarp", "sctp", "tcp", "udp", "icmp", "igmp", "igrp",
	"pim", "vrrp", "carp", "ip6", "icmp6", "ah", "esp", "atalk", "aarp", "decnet", "lat", "sca", "moprc",
	"mopdl", "iso", "stp", "ipx", "netbeui"}

func (q qproto) String() string { return qprotoNames[q] }

var kwToProto = map[kw]qproto{
	kwLink: pLink, kwIP: pIP, kwArp: pARP, kwRarp: pRARP, kwSCTP: pSCTP, kwTCP: pTCP, kwUDP: pUDP,
	kwICMP: pICMP, kwIGMP: pIGMP, kwIGRP: pIGRP, kwPIM: pPIM, kwVRRP: pVRRP, kwCARP: pCARP, kwIP6: pIP6,
	kwICMP6: pICMP6, kwAH: pAH, kwESP: pESP, kwAtalk: pAtalk, kwAarp: pAarp, kwDecnet: pDecnet,
	kwLat: pLat, kwSca: pSca, kwMoprc: pMoprc, kwMopdl: pMopdl, kwISO: pISO, kwSTP: pSTP, kwIPX: pIPX,
	kwNetbeui: pNetbeui,
}

// qdir is a direction qualifier.
type qdir uint8

const (
	dDefault qdir = iota
	dSrc
	dDst
	dOr  // src or dst
	dAnd // src and dst
)

// qaddr is an address-type qualifier.
type qaddr uint8

const (
	aDefault qaddr = iota
	aHost
	aNet
	aPort
	aPortrange
	aProto
	aProtochain
	aGateway
)

// qual is the qualifier set an identifier is read with; ok is false for
// libpcap's qerr (no qualifier to inherit: a bare value there is a
// syntax error).
type qual struct {
	proto qproto
	dir   qdir
	addr  qaddr
	ok    bool
}

// Protocol numbers and Ethernet types used by the primitives.
const (
	ipprotoAny = -1 // port: tcp, udp or sctp

	etherIP    = 0x0800
	etherARP   = 0x0806
	etherRARP  = 0x8035
	etherIPv6  = 0x86dd
	etherMPLS  = 0x8847
	etherAtalk = 0x809b
	etherAarp  = 0x80f3
	etherIPX   = 0x8137
	etherDN    = 0x6003
	etherLat   = 0x6004
	etherSca   = 0x6007
	etherMopdl = 0x6001
	etherMoprc = 0x6002
	etherNS    = 0x0600

	llcISONS   = 0xfe
	llcIP      = 0x06
	llcNetbeui = 0xf0
	llcIPX     = 0xe0
	llc8021D   = 0x42
)

// AST.
type node interface{}

type (
	andNode struct{ l, r node }
	orNode  struct{ l, r node }
	notNode struct{ x node }
	// hostNode: IPv4 host or net (addr under mask) for ip, arp, rarp or
	// all three (pDefault).
	hostNode struct {
		proto      qproto
		dir        qdir
		addr, mask uint32
	}
	host6Node struct {
		dir        qdir
		addr, mask [16]byte
	}
	ehostNode struct {
		dir qdir
		mac [6]byte
	}
	// portNode: lo <= port <= hi on tcp, udp, sctp (ipproto -1) or one of them.
	portNode struct {
		ipproto int
		dir     qdir
		lo, hi  uint32
	}
	// protoNode: pLink: the link-layer type is v (gen_linktype); pIP,
	// pIP6: the IPv4 protocol / IPv6 next header is v; pDefault: either.
	protoNode struct {
		proto qproto
		v     uint32
	}
	bcastNode struct{ proto qproto }
	mcastNode struct{ proto qproto }
	vlanNode  struct {
		id  uint32
		has bool
	}
	mplsNode struct {
		label uint32
		has   bool
	}
	// relNode: a op b, negated (for < <= !=) as libpcap does: the
	// protocol checks of the loads are not negated.
	relNode struct {
		op   relop
		a, b arith
		neg  bool
	}
)

type relop uint8

const (
	relGT relop = iota
	relGE
	relEQ
)

type arith interface{}

type (
	numArith  struct{ v uint32 }
	lenArith  struct{}
	loadArith struct {
		proto qproto
		idx   arith
		size  int
	}
	binArith struct {
		op   string
		l, r arith
	}
	negArith struct{ x arith }
)

// parseError is an error at a token.
type parseError struct {
	pos int
	msg string
}

func (e *parseError) Error() string { return e.msg }

type parser struct {
	toks  []token
	i     int
	depth int
}

const maxDepth = 2000

// parse parses a whole expression. An empty one gives a nil node (every
// packet matches, as tcpdump without a filter).
func parse(expr string) (node, error) {
	toks, err := lex(expr)
	if err != nil {
		return nil, err
	}
	if toks[0].kind == tEOF {
		return nil, nil
	}
	p := &parser{toks: toks}
	n, _, err := p.expr(qual{})
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.syntax(t)
	}
	return n, nil
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) peekAt(k int) token {
	if p.i+k < len(p.toks) {
		return p.toks[p.i+k]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) errAt(t token, format string, args ...any) error {
	return &parseError{pos: t.pos, msg: "filter: at " + t.String() + ": " + fmt.Sprintf(format, args...)}
}

func (p *parser) syntax(t token) error {
	if t.kind == tID {
		return p.errAt(t, "unknown word")
	}
	return p.errAt(t, "syntax error")
}

func isOp(t token, ops ...string) bool {
	if t.kind != tOp {
		return false
	}
	for _, o := range ops {
		if t.text == o {
			return true
		}
	}
	return false
}

func isKW(t token, k kw) bool { return t.kind == tKW && t.kw == k }

func (p *parser) expect(op string) error {
	t := p.next()
	if !isOp(t, op) {
		return p.syntax(t)
	}
	return nil
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return p.errAt(p.peek(), "expression nested too deeply")
	}
	return nil
}

// further returns the error that got further into the expression (the
// second on a tie).
func further(a, b error) error {
	pa, oka := a.(*parseError)
	pb, okb := b.(*parseError)
	if oka && okb && pa.pos > pb.pos {
		return a
	}
	return b
}

// expr: term { (and|or) (term|id) }, left-associative, equal precedence.
// qin is the qualifier in force before the expression (grammar.y's
// $<blk>0); the returned qual is the one the next id would inherit.
func (p *parser) expr(qin qual) (node, qual, error) {
	if err := p.enter(); err != nil {
		return nil, qual{}, err
	}
	defer func() { p.depth-- }()
	n, q, err := p.term(qin)
	if err != nil {
		return nil, q, err
	}
	for {
		t := p.peek()
		if !isKW(t, kwAnd) && !isKW(t, kwOr) {
			return n, q, nil
		}
		p.next()
		r, rq, err := p.termOrID(q)
		if err != nil {
			return nil, q, err
		}
		if t.kw == kwAnd {
			n = andNode{n, r}
		} else {
			n = orNode{n, r}
		}
		q = rq
	}
}

var arithOps = []string{"+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>", ">", "<", ">=", "<=", "=", "!="}

func isIDStart(t token) bool {
	switch t.kind {
	case tID, tHID, tHID6, tEID, tAID:
		return true
	}
	return false
}

// termOrID parses what follows "and"/"or": a term, or an id that
// inherits q ("host a or b").
func (p *parser) termOrID(q qual) (node, qual, error) {
	j := 0
	for isKW(p.peekAt(j), kwNot) {
		j++
	}
	t := p.peekAt(j)
	switch {
	case isIDStart(t):
		return p.id(q)
	case t.kind == tNum && !isOp(p.peekAt(j+1), arithOps...):
		return p.id(q)
	case isOp(t, "("):
		save := p.i
		n, q2, err := p.id(q)
		if err == nil {
			if f := p.peek(); isKW(f, kwAnd) || isKW(f, kwOr) || isOp(f, ")") || f.kind == tEOF {
				return n, q2, nil
			}
			err = p.syntax(p.peek())
		}
		p.i = save
		n, q3, err2 := p.term(q)
		if err2 != nil {
			return nil, q3, further(err, err2)
		}
		return n, q3, nil
	}
	return p.term(q)
}

// term parses a term (grammar.y's term and rterm).
func (p *parser) term(qin qual) (node, qual, error) {
	if err := p.enter(); err != nil {
		return nil, qual{}, err
	}
	defer func() { p.depth-- }()
	t := p.peek()
	switch t.kind {
	case tKW:
		switch t.kw {
		case kwNot:
			p.next()
			n, q, err := p.term(qin)
			if err != nil {
				return nil, q, err
			}
			return notNode{n}, q, nil
		case kwSrc, kwDst, kwAddr, kwHost, kwNet, kwPort, kwPortrange, kwProto, kwProtochain, kwGateway:
			return p.headID(pDefault)
		case kwBroadcast, kwMulticast:
			p.next()
			n, err := p.castNode(t, pDefault)
			return n, qual{}, err
		case kwLess, kwGreater:
			p.next()
			v := p.next()
			if v.kind != tNum {
				return nil, qual{}, p.syntax(v)
			}
			n := relNode{op: relGE, a: lenArith{}, b: numArith{v.num}}
			if t.kw == kwLess {
				n = relNode{op: relGT, a: lenArith{}, b: numArith{v.num}, neg: true}
			}
			return n, qual{}, nil
		case kwVlan, kwMpls:
			p.next()
			v, has := p.pnum()
			if t.kw == kwVlan {
				if has && v > 4095 {
					return nil, qual{}, p.errAt(t, "VLAN tag %d greater than maximum 4095", v)
				}
				return vlanNode{v, has}, qual{}, nil
			}
			if has && v > 1048575 {
				return nil, qual{}, p.errAt(t, "MPLS label %d greater than maximum 1048575", v)
			}
			return mplsNode{v, has}, qual{}, nil
		case kwLen:
			return p.relation()
		case kwByte, kwUnsupported:
			return nil, qual{}, p.errAt(t, "not supported")
		}
		if proto, ok := kwToProto[t.kw]; ok {
			nt := p.peekAt(1)
			switch {
			case isOp(nt, "["):
				return p.relation()
			case nt.kind == tKW && (nt.kw == kwSrc || nt.kw == kwDst || nt.kw == kwAddr || nt.kw == kwHost ||
				nt.kw == kwNet || nt.kw == kwPort || nt.kw == kwPortrange || nt.kw == kwProto ||
				nt.kw == kwProtochain || nt.kw == kwGateway):
				p.next()
				return p.headID(proto)
			case isKW(nt, kwBroadcast) || isKW(nt, kwMulticast):
				p.next()
				p.next()
				n, err := p.castNode(nt, proto)
				return n, qual{}, err
			}
			p.next()
			n, err := p.abbrev(t, proto)
			return n, qual{}, err
		}
	case tNum:
		return p.relation()
	case tOp:
		switch t.text {
		case "-":
			return p.relation()
		case "(":
			save := p.i
			n, q, err := p.relation()
			if err == nil {
				return n, q, nil
			}
			p.i = save
			p.next()
			n, _, err2 := p.expr(qin)
			if err2 == nil {
				err2 = p.expect(")")
			}
			if err2 != nil {
				return nil, qin, further(err, err2)
			}
			return n, qin, nil
		}
	}
	return nil, qual{}, p.syntax(t)
}

// pnum: NUM | '(' pnum ')'. If there is none, nothing is consumed.
func (p *parser) pnum() (uint32, bool) {
	save := p.i
	opens := 0
	for isOp(p.peek(), "(") {
		p.next()
		opens++
	}
	t := p.next()
	if t.kind != tNum {
		p.i = save
		return 0, false
	}
	for ; opens > 0; opens-- {
		if !isOp(p.next(), ")") {
			p.i = save
			return 0, false
		}
	}
	return t.num, true
}

// headID parses [dqual] [aqual|proto|protochain|gateway] id after an
// optional protocol qualifier (already consumed).
func (p *parser) headID(proto qproto) (node, qual, error) {
	q := qual{proto: proto, ok: true}
	t := p.peek()
	switch {
	case isKW(t, kwSrc) || isKW(t, kwDst):
		p.next()
		q.dir = dSrc
		if t.kw == kwDst {
			q.dir = dDst
		}
		if c := p.peek(); isKW(c, kwOr) || isKW(c, kwAnd) {
			p.next()
			o := p.next()
			if !(isKW(o, kwSrc) || isKW(o, kwDst)) || o.kw == t.kw {
				return nil, q, p.syntax(o)
			}
			q.dir = dOr
			if c.kw == kwAnd {
				q.dir = dAnd
			}
		}
		switch a := p.peek(); {
		case isKW(a, kwHost):
			q.addr = aHost
		case isKW(a, kwNet):
			q.addr = aNet
		case isKW(a, kwPort):
			q.addr = aPort
		case isKW(a, kwPortrange):
			q.addr = aPortrange
		}
		if q.addr != aDefault {
			p.next()
		}
	case isKW(t, kwAddr):
		return nil, q, p.errAt(t, "not supported (802.11 addresses)")
	case isKW(t, kwHost):
		q.addr = aHost
		p.next()
	case isKW(t, kwNet):
		q.addr = aNet
		p.next()
	case isKW(t, kwPort):
		q.addr = aPort
		p.next()
	case isKW(t, kwPortrange):
		q.addr = aPortrange
		p.next()
	case isKW(t, kwProto):
		q.addr = aProto
		p.next()
	case isKW(t, kwProtochain):
		return nil, q, p.errAt(t, "not supported")
	case isKW(t, kwGateway):
		p.next()
		return nil, q, p.errAt(p.peek(), "'gateway' needs host names, which are not resolved")
	default:
		return nil, q, p.syntax(t)
	}
	return p.id(q)
}

// id parses an identifier read with qualifier q: a name, number,
// address, address/len, address mask address, "not id", or "(id and|or
// id ...)".
func (p *parser) id(q qual) (node, qual, error) {
	if err := p.enter(); err != nil {
		return nil, q, err
	}
	defer func() { p.depth-- }()
	t := p.next()
	switch t.kind {
	case tKW:
		if t.kw == kwNot {
			n, q2, err := p.id(q)
			if err != nil {
				return nil, q2, err
			}
			return notNode{n}, q2, nil
		}
	case tOp:
		if t.text == "(" {
			n, q2, err := p.id(q)
			if err != nil {
				return nil, q2, err
			}
			for {
				c := p.peek()
				if !isKW(c, kwAnd) && !isKW(c, kwOr) {
					break
				}
				p.next()
				r, _, err := p.id(q)
				if err != nil {
					return nil, q, err
				}
				if c.kw == kwAnd {
					n = andNode{n, r}
				} else {
					n = orNode{n, r}
				}
			}
			if err := p.expect(")"); err != nil {
				return nil, q, err
			}
			return n, q2, nil
		}
	case tNum:
		if !q.ok {
			return nil, q, p.errAt(t, "syntax error (a number needs a qualifier: host, net, port, ...)")
		}
		n, err := p.ncode(t, "", t.num, q)
		return n, q, err
	case tHID:
		if !q.ok {
			return nil, q, p.errAt(t, "syntax error (an address needs a qualifier: host, net, ...)")
		}
		if isOp(p.peek(), "/") {
			p.next()
			l := p.next()
			if l.kind != tNum {
				return nil, q, p.syntax(l)
			}
			n, err := p.mcode(t, "", l.num, q)
			return n, q, err
		}
		if isKW(p.peek(), kwMask) {
			p.next()
			m := p.next()
			if m.kind != tHID {
				return nil, q, p.syntax(m)
			}
			n, err := p.mcode(t, m.text, 0, q)
			return n, q, err
		}
		if err := checkAddrUse(p, t, q, ""); err != nil {
			return nil, q, err
		}
		n, err := p.ncode(t, t.text, 0, q)
		return n, q, err
	case tHID6:
		if !q.ok {
			return nil, q, p.errAt(t, "syntax error (an address needs a qualifier: host, net, ...)")
		}
		masklen := uint32(128)
		if isOp(p.peek(), "/") {
			p.next()
			l := p.next()
			if l.kind != tNum {
				return nil, q, p.syntax(l)
			}
			masklen = l.num
			if err := checkAddrUse(p, t, q, " and prefix length"); err != nil {
				return nil, q, err
			}
		} else if err := checkAddrUse(p, t, q, ""); err != nil {
			return nil, q, err
		}
		n, err := p.mcode6(t, masklen, q)
		return n, q, err
	case tEID:
		if !q.ok {
			return nil, q, p.syntax(t)
		}
		if !((q.addr == aHost || q.addr == aDefault) && q.proto == pLink) {
			return nil, q, p.errAt(t, "ethernet address used in non-ether expression")
		}
		mac, ok := parseMAC(t.text)
		if !ok {
			return nil, q, p.errAt(t, "bogus ethernet address")
		}
		return ehostNode{q.dir, mac}, q, nil
	case tAID:
		return nil, q, p.errAt(t, "not supported (ARCnet addresses)")
	case tID:
		if !q.ok {
			return nil, q, p.errAt(t, "unknown word")
		}
		n, err := p.scode(t, q)
		return n, q, err
	}
	return nil, q, p.syntax(t)
}

func checkAddrUse(p *parser, t token, q qual, what string) error {
	switch q.addr {
	case aPort, aPortrange, aProto, aProtochain:
		names := map[qaddr]string{aPort: "port", aPortrange: "portrange", aProto: "proto", aProtochain: "protochain"}
		return p.errAt(t, "'%s' modifier applied to IP address%s", names[q.addr], what)
	}
	return nil
}

// atoin parses a dotted IPv4 address or prefix ("10", "10.1", "10.1.2.3")
// as libpcap's __pcap_atoin: the value in the low bits and its length
// in bits.
func atoin(s string) (uint32, uint32, bool) {
	var v, n uint32
	for _, part := range strings.Split(s, ".") {
		if part == "" || len(part) > 3 {
			return 0, 0, false
		}
		var o uint32
		for _, c := range []byte(part) {
			if c < '0' || c > '9' {
				return 0, 0, false
			}
			o = o*10 + uint32(c-'0')
		}
		if o > 255 {
			return 0, 0, false
		}
		v = v<<8 | o
		n += 8
	}
	return v, n, true
}

// ncode: a number or dotted address (libpcap's gen_ncode).
func (p *parser) ncode(t token, s string, v uint32, q qual) (node, error) {
	vlen := uint32(32)
	if s != "" {
		var ok bool
		if v, vlen, ok = atoin(s); !ok {
			return nil, p.errAt(t, "invalid IPv4 address")
		}
	}
	switch q.addr {
	case aDefault, aHost, aNet:
		if q.proto == pLink {
			return nil, p.errAt(t, "illegal link layer address")
		}
		mask := uint32(0xffffffff)
		if s == "" && q.addr == aNet {
			for v != 0 && v&0xff000000 == 0 {
				v <<= 8
				mask <<= 8
			}
		} else {
			v <<= 32 - vlen
			mask <<= 32 - vlen
		}
		return p.host(t, v, mask, q)
	case aPort, aPortrange:
		ipproto, err := p.portProto(t, q)
		if err != nil {
			return nil, err
		}
		if v > 65535 {
			return nil, p.errAt(t, "illegal port number %d > 65535", v)
		}
		return portNode{ipproto, q.dir, v, v}, nil
	case aProto:
		return p.proto(t, v, q)
	}
	return nil, p.syntax(t)
}

func (p *parser) portProto(t token, q qual) (int, error) {
	switch q.proto {
	case pTCP:
		return 6, nil
	case pUDP:
		return 17, nil
	case pSCTP:
		return 132, nil
	case pDefault:
		return ipprotoAny, nil
	}
	what := "port"
	if q.addr == aPortrange {
		what = "portrange"
	}
	return 0, p.errAt(t, "illegal qualifier of '%s'", what)
}

// host: an IPv4 host or net (libpcap's gen_host).
func (p *parser) host(t token, addr, mask uint32, q qual) (node, error) {
	switch q.proto {
	case pDefault, pIP, pARP, pRARP:
		return hostNode{q.proto, q.dir, addr, mask}, nil
	case pIP6:
		return nil, p.errAt(t, "'ip6' modifier applied to ip host")
	}
	return nil, p.errAt(t, "'%s' modifier applied to host", q.proto)
}

// mcode: addr/len or addr mask mask (libpcap's gen_mcode).
func (p *parser) mcode(t token, maskText string, masklen uint32, q qual) (node, error) {
	n, nlen, ok := atoin(t.text)
	if !ok {
		return nil, p.errAt(t, "invalid IPv4 address")
	}
	n <<= 32 - nlen
	var m uint32
	if maskText != "" {
		mv, mlen, ok := atoin(maskText)
		if !ok {
			return nil, p.errAt(t, "invalid IPv4 netmask")
		}
		m = mv << (32 - mlen)
		if n&^m != 0 {
			return nil, p.errAt(t, "non-network bits set in \"%s mask %s\"", t.text, maskText)
		}
	} else {
		if masklen > 32 {
			return nil, p.errAt(t, "mask length must be <= 32")
		}
		if masklen > 0 {
			m = 0xffffffff << (32 - masklen)
		}
		if n&^m != 0 {
			return nil, p.errAt(t, "non-network bits set in \"%s/%d\"", t.text, masklen)
		}
	}
	if q.addr != aNet {
		return nil, p.errAt(t, "mask syntax for networks only")
	}
	return p.host(t, n, m, q)
}

// mcode6: an IPv6 host or net (libpcap's gen_mcode6).
func (p *parser) mcode6(t token, masklen uint32, q qual) (node, error) {
	a, err := netip.ParseAddr(t.text)
	if err != nil || !a.Is6() && !a.Is4In6() {
		return nil, p.errAt(t, "invalid ip6 address")
	}
	if masklen > 128 {
		return nil, p.errAt(t, "mask length must be <= 128")
	}
	addr := a.As16()
	var mask [16]byte
	for i := uint32(0); i < masklen; i++ {
		mask[i/8] |= 0x80 >> (i % 8)
	}
	for i := range addr {
		if addr[i]&^mask[i] != 0 {
			return nil, p.errAt(t, "non-network bits set in \"%s/%d\"", t.text, masklen)
		}
	}
	switch q.addr {
	case aDefault, aHost:
		if masklen != 128 {
			return nil, p.errAt(t, "mask syntax for networks only")
		}
	case aNet:
	default:
		return nil, p.errAt(t, "invalid qualifier against IPv6 address")
	}
	switch q.proto {
	case pDefault, pIP6:
		return host6Node{q.dir, addr, mask}, nil
	case pIP:
		return nil, p.errAt(t, "'ip' modifier applied to ip6 host")
	}
	return nil, p.errAt(t, "'%s' modifier applied to host", q.proto)
}

// parseMAC reads the forms of scanner.l's MAC.
func parseMAC(s string) ([6]byte, bool) {
	var mac [6]byte
	hexv := func(s string) (uint32, bool) {
		var v uint32
		for _, c := range []byte(s) {
			switch {
			case c >= '0' && c <= '9':
				v = v<<4 | uint32(c-'0')
			case c >= 'a' && c <= 'f':
				v = v<<4 | uint32(c-'a'+10)
			case c >= 'A' && c <= 'F':
				v = v<<4 | uint32(c-'A'+10)
			default:
				return 0, false
			}
		}
		return v, s != ""
	}
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == ':' || r == '-' || r == '.' })
	switch len(parts) {
	case 6:
		for i, part := range parts {
			v, ok := hexv(part)
			if !ok || len(part) > 2 {
				return mac, false
			}
			mac[i] = byte(v)
		}
	case 3:
		for i, part := range parts {
			v, ok := hexv(part)
			if !ok || len(part) != 4 {
				return mac, false
			}
			mac[2*i], mac[2*i+1] = byte(v>>8), byte(v)
		}
	case 1:
		if len(s) != 12 {
			return mac, false
		}
		for i := range mac {
			v, ok := hexv(s[2*i : 2*i+2])
			if !ok {
				return mac, false
			}
			mac[i] = byte(v)
		}
	default:
		return mac, false
	}
	return mac, true
}

// scode: a name (libpcap's gen_scode). Host and network names are not
// resolved.
func (p *parser) scode(t token, q qual) (node, error) {
	name := t.text
	switch q.addr {
	case aDefault, aHost:
		return nil, p.errAt(t, "host names are not resolved: give an address")
	case aNet:
		return nil, p.errAt(t, "network names are not resolved: give an address")
	case aPort:
		port, real, ok := lookupPort(name)
		if !ok {
			return nil, p.errAt(t, "unknown port '%s'", name)
		}
		ipproto, err := p.namedPortProto(t, q, real)
		if err != nil {
			return nil, err
		}
		return portNode{ipproto, q.dir, port, port}, nil
	case aPortrange:
		lo, hi, real, err := p.portRange(t)
		if err != nil {
			return nil, err
		}
		ipproto, err := p.namedPortProto(t, q, real)
		if err != nil {
			return nil, err
		}
		if lo > hi {
			lo, hi = hi, lo
		}
		return portNode{ipproto, q.dir, lo, hi}, nil
	case aProto:
		var v uint32
		var ok bool
		switch q.proto {
		case pDefault, pIP, pIP6:
			if v, ok = ipProtos[name]; !ok {
				return nil, p.errAt(t, "unknown ip proto '%s'", name)
			}
		case pLink:
			if v, ok = etherProtos[name]; !ok {
				return nil, p.errAt(t, "unknown ether proto '%s'", name)
			}
		default:
			return nil, p.errAt(t, "'%s proto' is bogus", q.proto)
		}
		return p.proto(t, v, q)
	}
	return nil, p.syntax(t)
}

// lookupPort resolves a service name as pcap_nametoport: real is the
// IP protocol it is defined for (6, 17) or ipprotoAny for both.
func lookupPort(name string) (port uint32, real int, ok bool) {
	s, ok := services[name]
	if !ok {
		return 0, 0, false
	}
	switch {
	case s.tcp && s.udp:
		real = ipprotoAny
	case s.tcp:
		real = 6
	default:
		real = 17
	}
	return uint32(s.port), real, true
}

func (p *parser) namedPortProto(t token, q qual, real int) (int, error) {
	switch q.proto {
	case pUDP:
		if real == 6 {
			return 0, p.errAt(t, "port '%s' is tcp", t.text)
		}
		return 17, nil
	case pTCP:
		if real == 17 {
			return 0, p.errAt(t, "port '%s' is udp", t.text)
		}
		return 6, nil
	case pSCTP:
		return 132, nil
	case pDefault:
		return real, nil
	}
	what := "port"
	if q.addr == aPortrange {
		what = "portrange"
	}
	return 0, p.errAt(t, "illegal qualifier of '%s'", what)
}

// portRange reads "lo-hi" as pcap_nametoportrange: two numbers
// (sscanf "%d-%d"), else two service names.
func (p *parser) portRange(t token) (lo, hi uint32, real int, err error) {
	s := t.text
	scanInt := func(s string) (int64, string, bool) {
		i, neg := 0, false
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			neg = s[i] == '-'
			i++
		}
		j := i
		var v int64
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			if v < 1<<40 {
				v = v*10 + int64(s[j]-'0')
			}
			j++
		}
		if j == i {
			return 0, s, false
		}
		if neg {
			v = -v
		}
		return v, s[j:], true
	}
	if a, rest, ok := scanInt(s); ok && strings.HasPrefix(rest, "-") {
		if b, _, ok := scanInt(rest[1:]); ok {
			for _, v := range []int64{a, b} {
				if v < 0 {
					return 0, 0, 0, p.errAt(t, "illegal port number %d < 0", v)
				}
				if v > 65535 {
					return 0, 0, 0, p.errAt(t, "illegal port number %d > 65535", v)
				}
			}
			return uint32(a), uint32(b), ipprotoAny, nil
		}
	}
	first, second, found := strings.Cut(s, "-")
	if !found {
		return 0, 0, 0, p.errAt(t, "unknown port in range '%s'", s)
	}
	a, r1, ok1 := lookupPort(first)
	b, r2, ok2 := lookupPort(second)
	if !ok1 || !ok2 {
		return 0, 0, 0, p.errAt(t, "unknown port in range '%s'", s)
	}
	real = r1
	if r1 != r2 {
		real = ipprotoAny
	}
	return a, b, real, nil
}

// proto: "[ether|ip|ip6] proto N" (libpcap's gen_proto).
func (p *parser) proto(t token, v uint32, q qual) (node, error) {
	if q.dir != dDefault {
		return nil, p.errAt(t, "direction applied to 'proto'")
	}
	switch q.proto {
	case pDefault, pIP, pIP6, pLink:
		return protoNode{q.proto, v}, nil
	case pARP, pRARP:
		return nil, p.errAt(t, "%s does not encapsulate another protocol", q.proto)
	}
	return nil, p.errAt(t, "'%s proto' is bogus", q.proto)
}

// abbrev: a protocol name alone ("tcp", "ip6", "arp").
func (p *parser) abbrev(t token, proto qproto) (node, error) {
	switch proto {
	case pSCTP:
		return protoNode{pDefault, 132}, nil
	case pTCP:
		return protoNode{pDefault, 6}, nil
	case pUDP:
		return protoNode{pDefault, 17}, nil
	case pPIM:
		return protoNode{pDefault, 103}, nil
	case pAH:
		return protoNode{pDefault, 51}, nil
	case pESP:
		return protoNode{pDefault, 50}, nil
	case pICMP:
		return protoNode{pIP, 1}, nil
	case pIGMP:
		return protoNode{pIP, 2}, nil
	case pIGRP:
		return protoNode{pIP, 9}, nil
	case pVRRP, pCARP:
		return protoNode{pIP, 112}, nil
	case pICMP6:
		return protoNode{pIP6, 58}, nil
	case pIP:
		return protoNode{pLink, etherIP}, nil
	case pIP6:
		return protoNode{pLink, etherIPv6}, nil
	case pARP:
		return protoNode{pLink, etherARP}, nil
	case pRARP:
		return protoNode{pLink, etherRARP}, nil
	case pAtalk:
		return protoNode{pLink, etherAtalk}, nil
	case pAarp:
		return protoNode{pLink, etherAarp}, nil
	case pDecnet:
		return protoNode{pLink, etherDN}, nil
	case pLat:
		return protoNode{pLink, etherLat}, nil
	case pSca:
		return protoNode{pLink, etherSca}, nil
	case pMopdl:
		return protoNode{pLink, etherMopdl}, nil
	case pMoprc:
		return protoNode{pLink, etherMoprc}, nil
	case pISO:
		return protoNode{pLink, llcISONS}, nil
	case pSTP:
		return protoNode{pLink, llc8021D}, nil
	case pIPX:
		return protoNode{pLink, llcIPX}, nil
	case pNetbeui:
		return protoNode{pLink, llcNetbeui}, nil
	}
	return nil, p.errAt(t, "link layer applied in wrong context")
}

// castNode: [proto] broadcast|multicast.
func (p *parser) castNode(t token, proto qproto) (node, error) {
	if t.kw == kwBroadcast {
		switch proto {
		case pDefault, pLink, pIP:
			return bcastNode{proto}, nil
		}
		return nil, p.errAt(t, "only link-layer/IP broadcast filters supported")
	}
	switch proto {
	case pDefault, pLink, pIP, pIP6:
		return mcastNode{proto}, nil
	}
	return nil, p.errAt(t, "only link-layer/IP/IPv6 multicast filters supported")
}

// relation: arth relop arth.
func (p *parser) relation() (node, qual, error) {
	a, err := p.arith()
	if err != nil {
		return nil, qual{}, err
	}
	t := p.next()
	var n relNode
	switch {
	case isOp(t, ">"):
		n = relNode{op: relGT}
	case isOp(t, ">="):
		n = relNode{op: relGE}
	case isOp(t, "="):
		n = relNode{op: relEQ}
	case isOp(t, "<="):
		n = relNode{op: relGT, neg: true}
	case isOp(t, "<"):
		n = relNode{op: relGE, neg: true}
	case isOp(t, "!="):
		n = relNode{op: relEQ, neg: true}
	default:
		return nil, qual{}, p.syntax(t)
	}
	b, err := p.arith()
	if err != nil {
		return nil, qual{}, err
	}
	n.a, n.b = a, b
	return n, qual{}, nil
}

// binPrec is the yacc precedence of the binary operators; 0 means none
// (% and ^), on which the parser shifts.
var binPrec = map[string]int{"|": 1, "&": 2, "<<": 3, ">>": 3, "+": 4, "-": 4, "*": 5, "/": 5, "%": 0, "^": 0}

const unaryPrec = 6

// arith parses an arithmetic expression with yacc's conflict
// resolution (see the package comment on % and ^).
func (p *parser) arith() (arith, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	type opEntry struct {
		op  string // "neg" for unary minus
		tok token
	}
	var vals []arith
	var ops []opEntry
	prec := func(o string) int {
		if o == "neg" {
			return unaryPrec
		}
		return binPrec[o]
	}
	reduce := func() error {
		o := ops[len(ops)-1]
		ops = ops[:len(ops)-1]
		if o.op == "neg" {
			vals[len(vals)-1] = negArith{vals[len(vals)-1]}
			return nil
		}
		l, r := vals[len(vals)-2], vals[len(vals)-1]
		vals = vals[:len(vals)-2]
		if c, ok := r.(numArith); ok {
			switch {
			case o.op == "/" && c.v == 0:
				return p.errAt(o.tok, "division by zero")
			case o.op == "%" && c.v == 0:
				return p.errAt(o.tok, "modulus by zero")
			case (o.op == "<<" || o.op == ">>") && c.v > 31:
				return p.errAt(o.tok, "shift by more than 31 bits")
			}
		}
		vals = append(vals, binArith{o.op, l, r})
		return nil
	}
	for {
		// operand position: unary minuses, then a primary.
		for isOp(p.peek(), "-") {
			ops = append(ops, opEntry{"neg", p.next()})
			if len(ops) > maxDepth {
				return nil, p.errAt(p.peek(), "expression nested too deeply")
			}
		}
		v, err := p.primary()
		if err != nil {
			return nil, err
		}
		vals = append(vals, v)
		t := p.peek()
		if t.kind != tOp {
			break
		}
		bp, isBin := binPrec[t.text]
		if !isBin {
			break
		}
		for len(ops) > 0 && bp > 0 && prec(ops[len(ops)-1].op) > 0 && prec(ops[len(ops)-1].op) >= bp {
			if err := reduce(); err != nil {
				return nil, err
			}
		}
		ops = append(ops, opEntry{t.text, p.next()})
		if len(ops) > maxDepth {
			return nil, p.errAt(t, "expression nested too deeply")
		}
	}
	for len(ops) > 0 {
		if err := reduce(); err != nil {
			return nil, err
		}
	}
	return vals[0], nil
}

// primary: NUM | len | proto '[' arth [':' size] ']' | '(' arth ')'.
func (p *parser) primary() (arith, error) {
	t := p.next()
	switch t.kind {
	case tNum:
		return numArith{t.num}, nil
	case tKW:
		if t.kw == kwLen {
			return lenArith{}, nil
		}
		proto, ok := kwToProto[t.kw]
		if !ok || !isOp(p.peek(), "[") {
			break
		}
		p.next()
		idx, err := p.arith()
		if err != nil {
			return nil, err
		}
		size := uint32(1)
		if isOp(p.peek(), ":") {
			p.next()
			s := p.next()
			if s.kind != tNum {
				return nil, p.syntax(s)
			}
			size = s.num
		}
		if err := p.expect("]"); err != nil {
			return nil, err
		}
		if size != 1 && size != 2 && size != 4 {
			return nil, p.errAt(t, "data size must be 1, 2, or 4")
		}
		switch proto {
		case pLink, pIP, pARP, pRARP, pIP6, pAtalk, pDecnet, pSca, pLat, pMoprc, pMopdl,
			pTCP, pUDP, pSCTP, pICMP, pIGMP, pIGRP, pPIM, pVRRP, pCARP, pICMP6:
		default:
			return nil, p.errAt(t, "unsupported index operation")
		}
		return loadArith{proto, idx, int(size)}, nil
	case tOp:
		if t.text == "(" {
			a, err := p.arith()
			if err != nil {
				return nil, err
			}
			if err := p.expect(")"); err != nil {
				return nil, err
			}
			return a, nil
		}
	}
	return nil, p.syntax(t)
}
