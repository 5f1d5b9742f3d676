// Package filter applies capture filters written in tcpdump's filter
// language (pcap-filter(7)) to raw frames, with tcpdump's meaning, in
// pure Go.
//
// Compile parses an expression once; Filter.Match then tests a frame
// (its captured bytes, link type and length on the wire) without
// allocating:
//
//	f, err := filter.Compile("tcp port 443 and not net 10.0.0.0/8")
//	...
//	if f.Match(pkt.Data, pkt.LinkType, pkt.Length) { ... }
//
// The meaning is libpcap 1.10's (tcpdump 4.99), checked against tcpdump
// on every capture of testdata/captures and on synthetic captures (see
// testdata/make-filter-refs.sh and docs/filter.md): the compiler follows
// gencode.c, loading the same fields at the same offsets, so its quirks
// are kept. Among them:
//
//   - "vlan" and "mpls" move the offsets of everything after them in the
//     expression to the encapsulated packet: "vlan and ip" is IPv4 in a
//     VLAN tag, and "ip" alone does not match VLAN-tagged IPv4.
//   - "and" and "or" have equal precedence and associate left to right;
//     "not" binds tightest. An identifier after "and"/"or" inherits the
//     qualifiers before it: "host a or b" is "host a or host b".
//   - Ports are read on IPv4 first fragments only (after the options),
//     and on IPv6 only right after the fixed header. "tcp", "udp",
//     "ip6 proto" look through one IPv6 fragment header, no other
//     extension header.
//   - tcp[], udp[], icmp[] index the transport header of IPv4 only;
//     icmp6[] the IPv6 payload after the fixed header.
//   - A field past the captured bytes, or a division by zero, rejects
//     the whole packet, as BPF does ("not tcp[100] = 1" does not match
//     a short TCP packet).
//
// Link types: Ethernet, raw IP (101, 12, 14), LINKTYPE_IPV4 and _IPV6
// (228, 229), BSD loopback (0, either byte order) and OpenBSD loopback
// (108), Linux cooked v1 and v2 (113, 276), PPP (9) and PPP in HDLC
// framing (50). Where tcpdump refuses a filter for a link type (ether
// host on Linux cooked captures, vlan on raw IP, ...) and on other link
// types when the filter needs a layer (802.11, radiotap, ...), Match is
// false for every packet of that link type; LinkTypeError says why.
//
// Host, network, and Ethernet names are not resolved (no DNS, no
// /etc/hosts, /etc/networks or /etc/ethers): give addresses. Protocol
// and port names come from built-in copies of Debian's /etc/protocols
// and /etc/services (the common entries).
package filter
