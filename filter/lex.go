package filter

import (
	"fmt"
	"regexp"
	"strings"
)

// The lexer follows libpcap's scanner.l: at each position the longest
// match of any rule wins, and among equally long matches the earlier
// rule (keywords, then operators, then addresses and numbers, then the
// named constants, then plain identifiers). So "len-1" is one
// identifier (write "len - 1"), "001122334455" is a MAC address and
// "tcp-syn" a number, exactly as in tcpdump.

type tokKind uint8

const (
	tEOF  tokKind = iota
	tKW           // keyword: kw says which
	tOp           // operator: text is one of + - * / % : [ ] < > ( ) & | ^ = >= <= != << >>
	tNum          // number: num
	tHID          // dotted IPv4 address or prefix: 1.2, 1.2.3, 1.2.3.4
	tHID6         // IPv6 address
	tEID          // MAC address
	tAID          // ARCnet address ($xx)
	tID           // identifier (or a \escaped word)
)

type token struct {
	kind tokKind
	kw   kw
	text string // source text (unescaped for \words)
	num  uint32
	pos  int // byte offset in the expression
}

func (t token) String() string {
	if t.kind == tEOF {
		return "end of expression"
	}
	return fmt.Sprintf("%q", t.text)
}

// kw is a keyword of the filter language.
type kw uint8

const (
	kwNone kw = iota
	kwDst
	kwSrc
	kwLink // link ether ppp slip fddi tr wlan
	kwArp
	kwRarp
	kwIP
	kwSCTP
	kwTCP
	kwUDP
	kwICMP
	kwIGMP
	kwIGRP
	kwPIM
	kwVRRP
	kwCARP
	kwIP6
	kwICMP6
	kwAH
	kwESP
	kwAtalk
	kwAarp
	kwDecnet
	kwLat
	kwSca
	kwMoprc
	kwMopdl
	kwISO
	kwSTP
	kwIPX
	kwNetbeui
	kwHost
	kwNet
	kwMask
	kwPort
	kwPortrange
	kwProto
	kwProtochain
	kwGateway
	kwLess
	kwGreater
	kwByte
	kwBroadcast
	kwMulticast
	kwAnd
	kwOr
	kwNot
	kwLen
	kwVlan
	kwMpls
	kwAddr // address1..4, ra, ta (802.11 only)
	kwUnsupported
)

// keywords maps every reserved word of libpcap 1.10's scanner to its
// keyword. Words libpcap knows but this package does not implement map
// to kwUnsupported: they are reserved (not host names) and give a
// "not supported" error.
var keywords = map[string]kw{
	"dst": kwDst, "src": kwSrc,
	"link": kwLink, "ether": kwLink, "ppp": kwLink, "slip": kwLink, "fddi": kwLink, "tr": kwLink, "wlan": kwLink,
	"arp": kwArp, "rarp": kwRarp, "ip": kwIP, "sctp": kwSCTP, "tcp": kwTCP, "udp": kwUDP, "icmp": kwICMP,
	"igmp": kwIGMP, "igrp": kwIGRP, "pim": kwPIM, "vrrp": kwVRRP, "carp": kwCARP,
	"ip6": kwIP6, "icmp6": kwICMP6, "ah": kwAH, "esp": kwESP,
	"atalk": kwAtalk, "aarp": kwAarp, "decnet": kwDecnet, "lat": kwLat, "sca": kwSca, "moprc": kwMoprc, "mopdl": kwMopdl,
	"iso": kwISO, "stp": kwSTP, "ipx": kwIPX, "netbeui": kwNetbeui,
	"host": kwHost, "net": kwNet, "mask": kwMask, "port": kwPort, "portrange": kwPortrange,
	"proto": kwProto, "protochain": kwProtochain, "gateway": kwGateway,
	"less": kwLess, "greater": kwGreater, "byte": kwByte, "broadcast": kwBroadcast, "multicast": kwMulticast,
	"and": kwAnd, "&&": kwAnd, "or": kwOr, "||": kwOr, "not": kwNot,
	"len": kwLen, "length": kwLen, "vlan": kwVlan, "mpls": kwMpls,
	"address1": kwAddr, "addr1": kwAddr, "address2": kwAddr, "addr2": kwAddr,
	"address3": kwAddr, "addr3": kwAddr, "address4": kwAddr, "addr4": kwAddr, "ra": kwAddr, "ta": kwAddr,
}

func init() {
	for _, w := range strings.Fields(`radio esis es-is isis is-is l1 l2 iih lsp snp csnp psnp clnp
		type subtype direction dir inbound outbound ifindex pppoed pppoes geneve
		lane llc metac bcc oam oamf4 oamf4ec oamf4sc sc ilmic vpi vci connectmsg metaconnect
		on ifname rset ruleset rnr rulenum srnr subrulenum reason action
		fisu lssu lsu msu hfisu hlssu hmsu sio opc dpc sls hsio hopc hdpc hsls`) {
		keywords[w] = kwUnsupported
	}
}

// constants are the named numbers of the scanner.
var constants = map[string]uint32{
	"icmptype": 0, "icmpcode": 1,
	"icmp-echoreply": 0, "icmp-unreach": 3, "icmp-sourcequench": 4, "icmp-redirect": 5, "icmp-echo": 8,
	"icmp-routeradvert": 9, "icmp-routersolicit": 10, "icmp-timxceed": 11, "icmp-paramprob": 12,
	"icmp-tstamp": 13, "icmp-tstampreply": 14, "icmp-ireq": 15, "icmp-ireqreply": 16,
	"icmp-maskreq": 17, "icmp-maskreply": 18,
	"icmp6type": 0, "icmp6code": 1,
	"icmp6-destinationunreach": 1, "icmp6-packettoobig": 2, "icmp6-timeexceeded": 3, "icmp6-parameterproblem": 4,
	"icmp6-echo": 128, "icmp6-echoreply": 129, "icmp6-multicastlistenerquery": 130,
	"icmp6-multicastlistenerreportv1": 131, "icmp6-multicastlistenerdone": 132,
	"icmp6-routersolicit": 133, "icmp6-routeradvert": 134, "icmp6-neighborsolicit": 135,
	"icmp6-neighboradvert": 136, "icmp6-redirect": 137, "icmp6-routerrenum": 138,
	"icmp6-nodeinformationquery": 139, "icmp6-nodeinformationresponse": 140,
	"icmp6-ineighbordiscoverysolicit": 141, "icmp6-ineighbordiscoveryadvert": 142,
	"icmp6-multicastlistenerreportv2": 143, "icmp6-homeagentdiscoveryrequest": 144,
	"icmp6-homeagentdiscoveryreply": 145, "icmp6-mobileprefixsolicit": 146,
	"icmp6-mobileprefixadvert": 147, "icmp6-certpathsolicit": 148, "icmp6-certpathadvert": 149,
	"icmp6-multicastrouteradvert": 151, "icmp6-multicastroutersolicit": 152, "icmp6-multicastrouterterm": 153,
	"tcpflags": 13, "tcp-fin": 0x01, "tcp-syn": 0x02, "tcp-rst": 0x04, "tcp-push": 0x08,
	"tcp-ack": 0x10, "tcp-urg": 0x20, "tcp-ece": 0x40, "tcp-cwr": 0x80,
}

// The scanner's regular-expression rules, in rule order.
var (
	reAID   = anchored(`\$` + bB)
	reMAC   = anchored(`(` + bB + `:` + bB + `:` + bB + `:` + bB + `:` + bB + `:` + bB + `|` + bB + `-` + bB + `-` + bB + `-` + bB + `-` + bB + `-` + bB + `|` + bB + `\.` + bB + `\.` + bB + `\.` + bB + `\.` + bB + `\.` + bB + `|` + bB2 + `\.` + bB2 + `\.` + bB2 + `|` + bB2 + bB2 + bB2 + `)`)
	reN     = anchored(bN)
	reHID   = anchored(`(` + bN + `\.` + bN + `|` + bN + `\.` + bN + `\.` + bN + `|` + bN + `\.` + bN + `\.` + bN + `\.` + bN + `)`)
	reV6    = anchored(v6Pattern())
	reBogus = anchored(bB + `:+(` + bB + `:+)+`)
	reID    = anchored(`[A-Za-z0-9]([-_.A-Za-z0-9]*[.A-Za-z0-9])?`)
	reEsc   = anchored(`\\[^ !()\n\t]+`)
)

const (
	bN  = `([0-9]+|(0X|0x)[0-9A-Fa-f]+)`
	bB  = `([0-9A-Fa-f][0-9A-Fa-f]?)`
	bB2 = `([0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f])`
	bW  = `([0-9A-Fa-f][0-9A-Fa-f]?[0-9A-Fa-f]?[0-9A-Fa-f]?)`
)

func anchored(re string) *regexp.Regexp {
	r := regexp.MustCompile(`^(?:` + re + `)`)
	r.Longest()
	return r
}

// v6Pattern builds scanner.l's V6: 8 groups, or n groups around one
// "::" (n = 0..7), or the same with a dotted quad in place of the last
// two groups.
func v6Pattern() string {
	var alts []string
	v4 := bN + `\.` + bN + `\.` + bN + `\.` + bN
	groups := func(n int) string {
		s := make([]string, n)
		for i := range s {
			s[i] = bW
		}
		return strings.Join(s, ":")
	}
	alts = append(alts, groups(8))
	for total := 7; total >= 0; total-- { // groups besides the "::"
		for left := 0; left <= total; left++ {
			alts = append(alts, groups(left)+"::"+groups(total-left))
		}
	}
	alts = append(alts, groups(6)+":"+v4)
	for total := 5; total >= 0; total-- {
		for left := 0; left <= total; left++ {
			r := groups(total - left)
			if r != "" {
				r += ":"
			}
			alts = append(alts, groups(left)+"::"+r+v4)
		}
	}
	return "(" + strings.Join(alts, "|") + ")"
}

// operators, longest first.
var operators = []string{">=", "<=", "!=", "==", "<<", ">>", "+", "-", "*", "/", "%", ":", "[", "]", "!", "<", ">", "(", ")", "&", "|", "^", "="}

// lex splits expr into tokens.
func lex(expr string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(expr) {
		c := expr[i]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			i++
			continue
		}
		t, n, err := lexOne(expr[i:])
		if err != nil {
			return nil, err
		}
		t.pos = i
		toks = append(toks, t)
		i += n
	}
	toks = append(toks, token{kind: tEOF, pos: len(expr)})
	return toks, nil
}

// lexOne returns the token at the start of s and its length.
func lexOne(s string) (token, int, error) {
	// Rule order as in scanner.l; the longest match wins, the earliest
	// rule on a tie.
	best, bestLen := token{}, 0
	try := func(t token, n int) {
		if n > bestLen {
			best, bestLen = t, n
		}
	}
	// Keywords (including "&&" and "||").
	for w, k := range keywords {
		if len(w) > bestLen && strings.HasPrefix(s, w) {
			best, bestLen = token{kind: tKW, kw: k, text: w}, len(w)
		}
	}
	for _, op := range operators {
		if strings.HasPrefix(s, op) {
			t := token{kind: tOp, text: op}
			switch op {
			case "!":
				t = token{kind: tKW, kw: kwNot, text: op}
			case "==":
				t.text = "="
			}
			try(t, len(op))
			break
		}
	}
	if n := len(reAID.FindString(s)); n > 0 {
		try(token{kind: tAID, text: s[:n]}, n)
	}
	if n := len(reMAC.FindString(s)); n > 0 {
		try(token{kind: tEID, text: s[:n]}, n)
	}
	if n := len(reN.FindString(s)); n > 0 {
		try(token{kind: tNum, text: s[:n], pos: -1}, n) // pos -1: still to convert
	}
	if n := len(reHID.FindString(s)); n > 0 {
		try(token{kind: tHID, text: s[:n]}, n)
	}
	if n := len(reV6.FindString(s)); n > 0 {
		try(token{kind: tHID6, text: s[:n]}, n)
	}
	bogus := len(reBogus.FindString(s))
	if bogus > bestLen {
		return token{}, 0, fmt.Errorf("filter: at %q: bogus ethernet address", s[:bogus])
	}
	idLen := len(reID.FindString(s))
	if idLen > bestLen {
		if v, ok := constants[s[:idLen]]; ok {
			return token{kind: tNum, text: s[:idLen], num: v}, idLen, nil
		}
	}
	if idLen > bestLen {
		best, bestLen = token{kind: tID, text: s[:idLen]}, idLen
	}
	if bestLen == 0 {
		if n := len(reEsc.FindString(s)); n > 0 {
			return token{kind: tID, text: s[1:n]}, n, nil
		}
		r := []rune(s)[0]
		return token{}, 0, fmt.Errorf("filter: at %q: illegal character", string(r))
	}
	if best.kind == tNum && best.pos == -1 {
		v, err := parseNum(best.text)
		if err != nil {
			return token{}, 0, err
		}
		best.num, best.pos = v, 0
	}
	return best, bestLen, nil
}

// parseNum converts a number as libpcap's stoulen: 0x hex, leading 0
// octal, else decimal, at most 32 bits.
func parseNum(s string) (uint32, error) {
	base, digits := uint64(10), s
	switch {
	case len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'):
		base, digits = 16, s[2:]
	case len(s) >= 1 && s[0] == '0':
		base, digits = 8, s[1:]
	}
	var n uint64
	for _, c := range []byte(digits) {
		var d uint64
		switch {
		case c >= '0' && c <= '9':
			d = uint64(c - '0')
		case c >= 'a' && c <= 'f':
			d = uint64(c-'a') + 10
		case c >= 'A' && c <= 'F':
			d = uint64(c-'A') + 10
		}
		if d >= base {
			return 0, fmt.Errorf("filter: at %q: number contains a non-octal digit", s)
		}
		n = n*base + d
		if n > 0xffffffff {
			return 0, fmt.Errorf("filter: at %q: number overflows 32 bits", s)
		}
	}
	return uint32(n), nil
}
