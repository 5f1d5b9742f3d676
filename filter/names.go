package filter

// Names the filter language resolves without the network. libpcap asks
// the system (/etc/protocols, /etc/services, its own Ethernet type table);
// these tables are Debian 12's netbase entries, so a name means on every
// machine what it means to tcpdump on Debian.

// ipProtos is /etc/protocols (Debian netbase 6.4).
var ipProtos = map[string]uint32{
	"ip": 0, "hopopt": 0, "icmp": 1, "igmp": 2, "ggp": 3, "ipencap": 4, "st": 5, "tcp": 6, "egp": 8,
	"igp": 9, "pup": 12, "udp": 17, "hmp": 20, "xns-idp": 22, "rdp": 27, "iso-tp4": 29, "dccp": 33,
	"xtp": 36, "ddp": 37, "idpr-cmtp": 38, "ipv6": 41, "ipv6-route": 43, "ipv6-frag": 44, "idrp": 45,
	"rsvp": 46, "gre": 47, "esp": 50, "ah": 51, "skip": 57, "ipv6-icmp": 58, "ipv6-nonxt": 59,
	"ipv6-opts": 60, "rspf": 73, "vmtp": 81, "eigrp": 88, "ospf": 89, "ax.25": 93, "ipip": 94,
	"etherip": 97, "encap": 98, "pim": 103, "ipcomp": 108, "vrrp": 112, "l2tp": 115, "isis": 124,
	"sctp": 132, "fc": 133, "mobility-header": 135, "udplite": 136, "mpls-in-ip": 137, "manet": 138,
	"hip": 139, "shim6": 140, "wesp": 141, "rohc": 142, "ethernet": 143,
	// aliases (third column of /etc/protocols)
	"IP": 0, "HOPOPT": 0, "ICMP": 1, "IGMP": 2, "TCP": 6, "UDP": 17, "IPv6": 41, "IPv6-Route": 43,
	"IPv6-Frag": 44, "GRE": 47, "IPSEC-ESP": 50, "IPSEC-AH": 51, "IPv6-ICMP": 58, "IPv6-NoNxt": 59,
	"IPv6-Opts": 60, "OSPFIGP": 89, "PIM": 103, "VRRP": 112, "L2TP": 115, "SCTP": 132, "UDPLite": 136,
}

// etherProtos is libpcap's Ethernet type table (nametoaddr.c eproto_db)
// followed by its LLC SAP names.
var etherProtos = map[string]uint32{
	"aarp": 0x80f3, "arp": 0x0806, "atalk": 0x809b, "decnet": 0x6003, "ip": 0x0800, "ip6": 0x86dd,
	"lat": 0x6004, "loopback": 0x9000, "mopdl": 0x6001, "moprc": 0x6002, "netbeui": 0xf0, "rarp": 0x8035,
	"sca": 0x6007, "iso": 0xfe, "stp": 0x42, "ipx": 0xe0,
}

type service struct {
	port     uint16
	tcp, udp bool
}

// services is a subset of /etc/services (Debian netbase 6.4): the
// commonly filtered names and their aliases.
var services = map[string]service{
	"tcpmux": {1, true, false}, "echo": {7, true, true}, "discard": {9, true, true}, "daytime": {13, true, true},
	"chargen": {19, true, true}, "ftp-data": {20, true, false}, "ftp": {21, true, false}, "fsp": {21, false, true},
	"ssh": {22, true, false}, "telnet": {23, true, false}, "smtp": {25, true, false}, "mail": {25, true, false},
	"time": {37, true, true}, "whois": {43, true, false}, "tacacs": {49, true, true},
	"domain": {53, true, true}, "bootps": {67, false, true}, "bootpc": {68, false, true}, "tftp": {69, false, true},
	"gopher": {70, true, false}, "finger": {79, true, false}, "http": {80, true, false}, "www": {80, true, false},
	"kerberos": {88, true, true}, "pop3": {110, true, false}, "pop-3": {110, true, false},
	"sunrpc": {111, true, true}, "portmapper": {111, true, true}, "auth": {113, true, false},
	"nntp": {119, true, false}, "ntp": {123, false, true}, "epmap": {135, true, false},
	"netbios-ns": {137, false, true}, "netbios-dgm": {138, false, true}, "netbios-ssn": {139, true, false},
	"imap2": {143, true, false}, "imap": {143, true, false}, "snmp": {161, true, true}, "snmp-trap": {162, true, true},
	"bgp": {179, true, false}, "ldap": {389, true, true}, "https": {443, true, true},
	"microsoft-ds": {445, true, false}, "kpasswd": {464, true, true}, "submissions": {465, true, false},
	"isakmp": {500, false, true}, "rtsp": {554, true, true}, "ipp": {631, true, false},
	"exec": {512, true, false}, "biff": {512, false, true}, "login": {513, true, false}, "who": {513, false, true},
	"shell": {514, true, false}, "syslog": {514, false, true}, "printer": {515, true, false},
	"route": {520, false, true}, "dhcpv6-client": {546, false, true}, "dhcpv6-server": {547, false, true},
	"submission": {587, true, false}, "ldaps": {636, true, true}, "domain-s": {853, true, true},
	"rsync": {873, true, false}, "ftps-data": {989, true, false}, "ftps": {990, true, false},
	"telnets": {992, true, false}, "imaps": {993, true, false}, "pop3s": {995, true, false},
	"socks": {1080, true, false}, "openvpn": {1194, true, true}, "ms-sql-s": {1433, true, false},
	"ms-sql-m": {1434, false, true}, "l2f": {1701, false, true}, "radius": {1812, true, true},
	"radius-acct": {1813, true, true}, "nfs": {2049, true, true}, "mysql": {3306, true, false},
	"ms-wbt-server": {3389, true, false}, "ipsec-nat-t": {4500, false, true}, "sip": {5060, true, true},
	"sip-tls": {5061, true, true}, "xmpp-client": {5222, true, false}, "xmpp-server": {5269, true, false},
	"mdns": {5353, false, true}, "postgresql": {5432, true, false}, "amqp": {5672, true, false},
	"x11": {6000, true, false}, "redis": {6379, true, false}, "http-alt": {8080, true, false},
	"git": {9418, true, false},
}
