package filter_test

import (
	"strings"
	"testing"

	"github.com/gopacket/gopacket/layers"
	"github.com/pcap2table/pcap2table/filter"
)

// Hand-made frames for the unit tests.
var (
	ipA, ipB, ipC = []byte{10, 0, 0, 1}, []byte{192, 168, 1, 5}, []byte{8, 8, 8, 8}
	v6A, v6B      = v6(0x20, 0x01, 0x0d, 0xb8, 15, 1), v6(0xfe, 0x80, 0, 0, 15, 1)

	tcpSyn4    = ipv4(6, ipA, ipB, nil, 0x4000, tcpSeg(34567, 80, 0x02, nil))
	tcpSynAck4 = ipv4(6, ipB, ipA, nil, 0x4000, tcpSeg(80, 34567, 0x12, nil))
	tcpOpts4   = ipv4(6, ipA, ipB, []byte{1, 1, 1, 0}, 0, tcpSeg(1234, 443, 0x18, []byte("GET / HTTP/1.1\r\n")))
	udpDNS4    = ipv4(17, ipA, ipC, nil, 0, udpDgram(40000, 53, make([]byte, 20)))
	sctp4      = ipv4(132, ipA, ipB, nil, 0, sctpPkt(5000, 80))
	icmpEcho4  = ipv4(1, ipA, ipC, nil, 0, icmpMsg(8, 0))
	icmpUnr4   = ipv4(1, ipC, ipA, nil, 0, icmpMsg(3, 3))
	gre4       = ipv4(47, ipA, ipB, nil, 0, make([]byte, 8))
	fragFirst4 = ipv4(6, ipA, ipB, nil, 0x2000, tcpSeg(2000, 80, 0x18, []byte("xxxxxxxx")))
	fragLater4 = ipv4(6, ipA, ipB, nil, 185, cat(be16(80), be16(80), make([]byte, 16)))
	mcast4     = ipv4(17, ipB, []byte{224, 0, 0, 251}, nil, 0, udpDgram(5353, 5353, nil))
	bcast4     = ipv4(17, []byte{0, 0, 0, 0}, []byte{255, 255, 255, 255}, nil, 0, udpDgram(68, 67, nil))
	tcp6       = ipv6(6, v6A, v6B, tcpSeg(50000, 443, 0x02, nil))
	udp6frag   = ipv6(44, v6A, v6B, cat([]byte{17, 0, 0, 1, 0, 0, 0, 9}, udpDgram(53, 53, nil)))
	icmp6Echo  = ipv6(58, v6B, []byte{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, icmpMsg(128, 0))
	hbh6udp    = ipv6(0, v6A, v6B, cat([]byte{17, 0, 0, 0, 0, 0, 0, 0}, udpDgram(53, 53, nil)))
	arpReq     = arpPkt(1, ipA, ipB)

	eth = func(etype uint16, payload []byte) []byte { return ethernet(macB, macA, etype, payload) }
)

func TestPrimitives(t *testing.T) {
	const (
		E    = layers.LinkTypeEthernet
		SLL  = layers.LinkTypeLinuxSLL
		SLL2 = layers.LinkTypeLinuxSLL2
		NULL = layers.LinkTypeNull
		LOOP = layers.LinkTypeLoop
		PPP  = layers.LinkTypePPP
		RAW  = layers.LinkTypeRaw
		IPV4 = layers.LinkTypeIPv4
		IPV6 = layers.LinkTypeIPv6
		WLAN = layers.LinkTypeIEEE802_11
	)
	vlanTCP := ethernet(macB, macA, 0x8100, cat(be16(100), be16(0x0800), tcpSyn4))
	qinqUDP := ethernet(macB, macA, 0x88a8, cat(be16(10), be16(0x8100), be16(20), be16(0x0800), udpDNS4))
	mplsTCP := ethernet(macB, macA, 0x8847, cat(mplsLabel(16, true), tcpSyn4))
	mpls2TCP6 := ethernet(macB, macA, 0x8847, cat(mplsLabel(16, false), mplsLabel(7, true), tcp6))
	sll := func(etype uint16, p []byte) []byte {
		return cat(be16(0), be16(1), be16(6), macA, []byte{0, 0}, be16(etype), p)
	}
	sll2 := func(etype uint16, p []byte) []byte {
		return cat(be16(etype), be16(0), []byte{0, 0, 0, 3}, be16(1), []byte{0, 6}, macB, []byte{0, 0}, p)
	}
	le := func(af byte, p []byte) []byte { return cat([]byte{af, 0, 0, 0}, p) }
	bigE := func(af byte, p []byte) []byte { return cat([]byte{0, 0, 0, af}, p) }
	ppp := func(proto uint16, p []byte) []byte { return cat([]byte{0xff, 0x03}, be16(proto), p) }
	stp := cat(macMcast, macA, be16(38), []byte{0x42, 0x42, 0x03}, make([]byte, 35))

	cases := []struct {
		expr  string
		lt    layers.LinkType
		frame []byte
		want  bool
	}{
		{"ip", E, eth(0x800, tcpSyn4), true},
		{"ip", E, eth(0x86dd, tcp6), false},
		{"ip6", E, eth(0x86dd, tcp6), true},
		{"arp", E, eth(0x806, arpReq), true},
		{"rarp", E, eth(0x8035, arpReq), true},
		{"rarp", E, eth(0x806, arpReq), false},
		{"tcp", E, eth(0x800, tcpSyn4), true},
		{"tcp", E, eth(0x86dd, tcp6), true},
		{"tcp", E, eth(0x800, udpDNS4), false},
		{"udp", E, eth(0x86dd, udp6frag), true}, // one fragment header is looked through
		{"udp", E, eth(0x86dd, hbh6udp), false}, // other extension headers are not
		{"icmp", E, eth(0x800, icmpEcho4), true},
		{"icmp", E, eth(0x86dd, icmp6Echo), false},
		{"icmp6", E, eth(0x86dd, icmp6Echo), true},
		{"sctp", E, eth(0x800, sctp4), true},
		{"ip proto 47", E, eth(0x800, gre4), true},
		{"ip proto \\gre", E, eth(0x800, gre4), true},
		{"proto \\udp", E, eth(0x86dd, udp6frag), true},
		{"ip6 proto 17", E, eth(0x86dd, udp6frag), true},
		{"ip6 proto 0", E, eth(0x86dd, hbh6udp), true},

		{"host 10.0.0.1", E, eth(0x800, tcpSyn4), true},
		{"host 10.0.0.1", E, eth(0x806, arpReq), true}, // ARP sender/target, as libpcap
		{"ip host 10.0.0.1", E, eth(0x806, arpReq), false},
		{"src host 10.0.0.1", E, eth(0x800, tcpSynAck4), false},
		{"dst host 10.0.0.1", E, eth(0x800, tcpSynAck4), true},
		{"src and dst host 10.0.0.1", E, eth(0x800, tcpSyn4), false},
		{"host 8.8.8.8 or 192.168.1.5", E, eth(0x800, tcpSyn4), true}, // "or 192.168.1.5" is "or host 192.168.1.5"
		{"host 8.8.8.8 and not 10.0.0.1", E, eth(0x800, udpDNS4), false},
		{"host 10.0", E, eth(0x800, tcpSyn4), true}, // short address: a /16 as libpcap
		{"net 10.0.0.0/8", E, eth(0x800, tcpSyn4), true},
		{"net 10", E, eth(0x800, tcpSyn4), true},
		{"net 192.168.0.0 mask 255.255.0.0", E, eth(0x800, tcpSyn4), true},
		{"src net 192.168", E, eth(0x800, tcpSyn4), false},
		{"not net 10.0.0.0/8", E, eth(0x800, tcpSyn4), false},
		{"host 2001:db8::1", E, eth(0x86dd, tcp6), true},
		{"net fe80::/10", E, eth(0x86dd, tcp6), true},
		{"src net fe80::/10", E, eth(0x86dd, tcp6), false},

		{"port 80", E, eth(0x800, tcpSyn4), true},
		{"port 443", E, eth(0x800, tcpOpts4), true}, // after the IPv4 options
		{"port 443", E, eth(0x86dd, tcp6), true},
		{"udp port 53", E, eth(0x800, udpDNS4), true},
		{"tcp port 53", E, eth(0x800, udpDNS4), false},
		{"src port 53", E, eth(0x800, udpDNS4), false},
		{"dst port 53", E, eth(0x800, udpDNS4), true},
		{"src or dst port 53", E, eth(0x800, udpDNS4), true},
		{"port 80", E, eth(0x800, sctp4), true},
		{"port 80", E, eth(0x800, fragFirst4), true},
		{"port 80", E, eth(0x800, fragLater4), false}, // not the first fragment
		{"ip[6:2] & 0x1fff != 0", E, eth(0x800, fragLater4), true},
		{"port 53", E, eth(0x86dd, udp6frag), false}, // ports only right after the IPv6 header
		{"portrange 1-1024", E, eth(0x800, tcpSyn4), true},
		{"portrange 81-1024", E, eth(0x800, tcpSyn4), false},
		{"tcp portrange 30000-40000", E, eth(0x800, tcpSyn4), true},
		{"port http", E, eth(0x800, tcpSyn4), true},
		{"port domain", E, eth(0x800, udpDNS4), true},
		{"tcp port 443 and not net 10.0.0.0/8", E, eth(0x800, tcpOpts4), false},

		{"ether host 00:11:22:33:44:55", E, eth(0x800, tcpSyn4), true},
		{"ether src 0:11:22:33:44:55", E, eth(0x800, tcpSyn4), true},
		{"ether dst 00-11-22-33-44-55", E, eth(0x800, tcpSyn4), false},
		{"ether dst 6677.8899.aabb", E, eth(0x800, tcpSyn4), true},
		{"ether proto 0x0806", E, eth(0x806, arpReq), true},
		{"ether proto \\ip6", E, eth(0x86dd, tcp6), true},
		{"stp", E, stp, true},
		{"ether multicast", E, stp, true},
		{"multicast", E, eth(0x800, tcpSyn4), false},
		{"broadcast", E, ethernet(macBcast, macA, 0x800, bcast4), true},
		{"ether broadcast", E, stp, false},
		{"ip broadcast", E, ethernet(macBcast, macA, 0x800, bcast4), true},
		{"ip multicast", E, eth(0x800, mcast4), true},
		{"ip6 multicast", E, eth(0x86dd, icmp6Echo), true},

		// vlan and mpls move what follows them, as in libpcap.
		{"ip", E, vlanTCP, false},
		{"vlan", E, vlanTCP, true},
		{"vlan 100", E, vlanTCP, true},
		{"vlan 200", E, vlanTCP, false},
		{"vlan and ip", E, vlanTCP, true},
		{"vlan and tcp port 80", E, vlanTCP, true},
		{"vlan and vlan and udp port 53", E, qinqUDP, true},
		{"vlan 10 and vlan 20", E, qinqUDP, true},
		{"vlan and ip", E, qinqUDP, false},
		{"vlan or ip", E, eth(0x800, tcpSyn4), false}, // "ip" is read after a tag
		{"not vlan and ip", E, eth(0x800, tcpSyn4), false},
		{"ip and vlan", E, vlanTCP, false},
		{"mpls", E, mplsTCP, true},
		{"mpls 16 and ip and tcp", E, mplsTCP, true},
		{"mpls 17", E, mplsTCP, false},
		{"mpls and ip6", E, mplsTCP, false},
		{"mpls and mpls 7 and ip6 and port 443", E, mpls2TCP6, true},
		{"mpls and ip6", E, mpls2TCP6, false}, // not the bottom of the stack

		{"greater 60", E, eth(0x800, tcpSyn4), false},
		{"greater 54", E, eth(0x800, tcpSyn4), true},
		{"less 54", E, eth(0x800, tcpSyn4), true},
		{"len = 54", E, eth(0x800, tcpSyn4), true},
		{"len >= 54 and len <= 54", E, eth(0x800, tcpSyn4), true},

		{"tcp[tcpflags] & (tcp-syn|tcp-ack) = tcp-syn", E, eth(0x800, tcpSyn4), true},
		{"tcp[tcpflags] & (tcp-syn|tcp-ack) = tcp-syn", E, eth(0x800, tcpSynAck4), false},
		{"tcp[13] & 2 != 0", E, eth(0x800, tcpSynAck4), true},
		{"tcp[13] & 2 != 0", E, eth(0x86dd, tcp6), false}, // tcp[] is IPv4 only in libpcap 1.10
		{"tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420", E, eth(0x800, tcpOpts4), true},
		{"icmp[icmptype] = icmp-echo", E, eth(0x800, icmpEcho4), true},
		{"icmp[icmptype] != icmp-echo", E, eth(0x800, icmpUnr4), true},
		{"icmp[icmptype] != icmp-echo", E, eth(0x800, tcpSyn4), false}, // the icmp check is not negated
		{"not icmp[icmptype] = icmp-echo", E, eth(0x800, tcpSyn4), true},
		{"icmp6[icmp6type] = icmp6-echo", E, eth(0x86dd, icmp6Echo), true},
		{"ip6[6] = 58", E, eth(0x86dd, icmp6Echo), true},
		{"udp[2:2] = 53", E, eth(0x800, udpDNS4), true},
		{"ether[12:2] = 0x8100", E, vlanTCP, true},
		{"arp[7] = 1", E, eth(0x806, arpReq), true},
		{"ip[0] & 0xf > 5", E, eth(0x800, tcpOpts4), true},
		{"len - 14 = 40", E, eth(0x800, tcpSyn4), true},
		{"2 ^ 3 + 1 = 6", E, eth(0x800, tcpSyn4), true}, // ^ groups to the right: 2 ^ (3 + 1)
		{"7 * 4 % 3 = 7", E, eth(0x800, tcpSyn4), true},
		{"tcp[100] = 0 or ip", E, eth(0x800, tcpSyn4), false}, // out of bounds: rejected
		{"not tcp[100] = 1", E, eth(0x800, tcpSyn4), false},
		{"ip or tcp[100] = 0", E, eth(0x800, tcpSyn4), true}, // never read
		{"ether[0] / (ether[0] - 0) = 1", E, cat([]byte{0}, eth(0x800, tcpSyn4)[1:]), false},

		// Precedence: not binds tightest, and/or are equal and left-associative.
		{"udp or tcp and host 8.8.8.8", E, eth(0x800, tcpSyn4), false},
		{"udp or (tcp and host 8.8.8.8)", E, eth(0x800, udpDNS4), true},
		{"not tcp or udp", E, eth(0x800, tcpSyn4), false},
		{"! (tcp || udp) && ip", E, eth(0x800, icmpEcho4), true},

		// Other link types.
		{"tcp port 80", SLL, sll(0x800, tcpSyn4), true},
		{"host 10.0.0.1", SLL, sll(0x806, arpReq), true},
		{"ip6 and tcp", SLL2, sll2(0x86dd, tcp6), true},
		{"ether host 00:11:22:33:44:55", SLL, sll(0x800, tcpSyn4), false}, // tcpdump refuses it there
		{"ip", NULL, le(2, tcpSyn4), true},
		{"ip", NULL, bigE(2, tcpSyn4), true}, // either byte order
		{"ip6", NULL, le(30, tcp6), true},
		{"ip6", NULL, le(10, tcp6), false},
		{"ip and tcp port 80", LOOP, bigE(2, tcpSyn4), true},
		{"ip", LOOP, le(2, tcpSyn4), false},
		{"udp", PPP, ppp(0x21, udpDNS4), true},
		{"ip6", PPP, ppp(0x57, tcp6), true},
		{"mpls and ip", PPP, ppp(0x281, cat(mplsLabel(5, true), tcpSyn4)), true},
		{"udp", layers.LinkTypePPP_HDLC, ppp(0x21, udpDNS4), true},
		{"ip and udp port 53", RAW, udpDNS4, true},
		{"ip6", RAW, udpDNS4, false},
		{"ip6", 12, tcp6, true},
		{"ip6", 14, tcp6, true},
		{"ip", IPV4, tcpSyn4, true},
		{"ip6", IPV4, tcpSyn4, false},
		{"not ip6", IPV4, tcpSyn4, true},
		{"tcp", IPV6, tcp6, true},
		{"ip", WLAN, tcpSyn4, false},
		{"not ip", WLAN, tcpSyn4, false}, // a layer it cannot find: no match
		{"len > 10", WLAN, tcpSyn4, true},
		{"ether[0] = 0x45", WLAN, tcpSyn4, true},
		{"", WLAN, nil, true},
	}
	for _, c := range cases {
		f, err := filter.Compile(c.expr)
		if err != nil {
			t.Errorf("Compile(%q): %v", c.expr, err)
			continue
		}
		if got := f.Match(c.frame, c.lt, uint32(len(c.frame))); got != c.want {
			t.Errorf("%q on link type %d: Match = %v, want %v", c.expr, c.lt, got, c.want)
		}
	}
}

func TestWireLength(t *testing.T) {
	f := filter.MustCompile("greater 1000")
	frame := eth(0x800, tcpSyn4)
	if f.Match(frame, layers.LinkTypeEthernet, uint32(len(frame))) {
		t.Error("greater 1000 matches a 54-byte packet")
	}
	if !f.Match(frame, layers.LinkTypeEthernet, 1500) {
		t.Error("greater 1000 should test the wire length, not the captured length")
	}
}

func TestLinkTypeError(t *testing.T) {
	f := filter.MustCompile("ether host 00:11:22:33:44:55 or vlan")
	if err := f.LinkTypeError(layers.LinkTypeEthernet); err != nil {
		t.Errorf("Ethernet: %v", err)
	}
	for _, lt := range []layers.LinkType{layers.LinkTypeLinuxSLL, layers.LinkTypeRaw, layers.LinkTypeNull} {
		if err := f.LinkTypeError(lt); err == nil || !strings.HasPrefix(err.Error(), "filter: ") {
			t.Errorf("link type %d: error %v", lt, err)
		}
	}
	if err := filter.MustCompile("ip").LinkTypeError(layers.LinkTypeIEEE802_11); err == nil {
		t.Error("802.11: no error")
	}
	if err := filter.MustCompile("len > 100").LinkTypeError(layers.LinkTypeIEEE802_11); err != nil {
		t.Errorf("len on 802.11: %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct{ expr, want string }{
		{"xyz", `filter: at "xyz": unknown word`},
		{"host www.example.com", `filter: at "www.example.com": host names are not resolved: give an address`},
		{"net intranet", "network names are not resolved"},
		{"tcp port", "at end of expression: syntax error"},
		{"tcp and", "at end of expression: syntax error"},
		{"(tcp", "syntax error"},
		{"tcp)", `at ")": syntax error`},
		{"1.2.3.4", "syntax error"},
		{"host 1.2.3.4 5", "syntax error"},
		{"port 70000", "illegal port number 70000 > 65535"},
		{"portrange 1-70000", "illegal port number"},
		{"port 80 or foo", "unknown port 'foo'"},
		{"udp port http", "port 'http' is tcp"},
		{"ip port 80", "illegal qualifier of 'port'"},
		{"tcp src 80", "'tcp' modifier applied to host"},
		{"ip6 host 1.2.3.4", "'ip6' modifier applied to ip host"},
		{"ip host ::1", "'ip' modifier applied to ip6 host"},
		{"ether host 1.2.3.4", "illegal link layer address"},
		{"ip host 00:11:22:33:44:55", "ethernet address used in non-ether expression"},
		{"ether host 00:11:22:33:44:55:66", "bogus ethernet address"},
		{"net 10.1.2.3/8", `non-network bits set in "10.1.2.3/8"`},
		{"net 10.0.0.0/33", "mask length must be <= 32"},
		{"src 10.0.0.0/8", "mask syntax for networks only"},
		{"net fe80::1/10", "non-network bits set"},
		{"host fe80::/10", "mask syntax for networks only"},
		{"port 1.2.3.4", "'port' modifier applied to IP address"},
		{"ip proto \\nosuch", "unknown ip proto 'nosuch'"},
		{"ether proto \\nosuch", "unknown ether proto 'nosuch'"},
		{"src proto 6", "syntax error"},
		{"vlan 4096", "VLAN tag 4096 greater than maximum 4095"},
		{"mpls 1048576", "greater than maximum"},
		{"mpls and arp", "unsupported protocol over mpls"},
		{"len / 0 = 1", "division by zero"},
		{"len % 0 = 1", "modulus by zero"},
		{"len << 32 = 0", "shift by more than 31 bits"},
		{"ip[0:3] = 1", "data size must be 1, 2, or 4"},
		{"ah[0] = 1", "unsupported index operation"},
		{"len-1 = 0", `at "len-1": unknown word`}, // one identifier, as in tcpdump: write "len - 1"
		{"08 = len", "non-octal digit"},
		{"0x123456789 = len", "overflows 32 bits"},
		{"tcp broadcast", "only link-layer/IP broadcast filters supported"},
		{"inbound", `at "inbound": not supported`},
		{"gateway 1.2.3.4", "not resolved"},
		{"host 1.2.3.4 @", `at "@": illegal character`},
		{"tcp or 80", "syntax error"},
		{strings.Repeat("(", 5000) + "tcp" + strings.Repeat(")", 5000), "nested too deeply"},
		{strings.Repeat("not ", 5000) + "tcp", "nested too deeply"},
		{"len = " + strings.Repeat("-", 5000) + "1", "nested too deeply"},
	}
	for _, c := range cases {
		f, err := filter.Compile(c.expr)
		if err == nil {
			t.Errorf("Compile(%.40q) = %v, want an error with %q", c.expr, f, c.want)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, c.want) {
			t.Errorf("Compile(%.40q): %q, want %q", c.expr, msg, c.want)
		}
		if !strings.HasPrefix(msg, "filter: ") || strings.Contains(msg, "\n") {
			t.Errorf("Compile(%.40q): %q: not one line starting with \"filter: \"", c.expr, msg)
		}
	}
}

func TestValidExpressions(t *testing.T) {
	for _, e := range []string{
		"", "  ", "tcp", "tcp-syn = 2 or tcp",
		"ether proto \\ip and ip proto \\tcp", "host 10.0.0.1 and (2.2.2.2 or 3.3.3.3)",
		"src or dst host 1.2.3.4", "dst and src net 10", "icmp6[icmp6type] = icmp6-neighborsolicit",
		"ip6 net ::/0", "net 0.0.0.0/0", "host ::ffff:1.2.3.4", "ether host 001122334455",
		"portrange http-https", "tcp dst port http or domain", "len = 100000", "(len) > (5)",
		"ip and (tcp or udp) and not (port 22 or port 53)", "vlan (5)", "less 100 and greater 50",
	} {
		if _, err := filter.Compile(e); err != nil {
			t.Errorf("Compile(%q): %v", e, err)
		}
	}
}

func TestMatchDoesNotAllocate(t *testing.T) {
	f := filter.MustCompile("(vlan and tcp port 80) or (tcp[tcpflags] & (tcp-syn|tcp-ack) = tcp-syn and not net 10.0.0.0/8) or host 2001:db8::1 or len - 14 > 1000 or ether host 00:11:22:33:44:55")
	frames := [][]byte{eth(0x800, tcpSyn4), eth(0x86dd, tcp6), eth(0x800, fragLater4), eth(0x806, arpReq), nil, {1, 2, 3}}
	n := testing.AllocsPerRun(100, func() {
		for _, fr := range frames {
			f.Match(fr, layers.LinkTypeEthernet, uint32(len(fr)))
			f.Match(fr, layers.LinkTypeLinuxSLL, uint32(len(fr)))
			f.Match(fr, layers.LinkTypeIEEE802_11, uint32(len(fr)))
		}
	})
	if n != 0 {
		t.Errorf("Match allocates %v times per run", n)
	}
}

func BenchmarkMatch(b *testing.B) {
	f := filter.MustCompile("tcp port 443 and not net 10.0.0.0/8")
	frame := eth(0x800, tcpOpts4)
	b.ReportAllocs()
	for b.Loop() {
		f.Match(frame, layers.LinkTypeEthernet, uint32(len(frame)))
	}
}
