package beacons

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
)

// Allow is an allow-list of destinations that are never beacons: known
// update servers, monitoring, time servers. Its zero value and nil allow
// nothing.
type Allow struct {
	prefixes []netip.Prefix
	names    map[string]bool // exact names
	suffixes map[string]bool // a name and its subdomains ("*.x" or ".x"): "x"
}

// ParseAllow reads an allow-list: one entry per line, an IP address or a
// CIDR prefix (matched against dst_ip) or a DNS name (matched against the
// destination's name, when one is known; a leading "*." or "." also
// matches its subdomains). Blank lines and everything from a "#" are
// ignored. A bad line is an error naming its line number.
func ParseAllow(r io.Reader) (*Allow, error) {
	a := &Allow{names: map[string]bool{}, suffixes: map[string]bool{}}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if err := a.add(line); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading the allow-list: %w", err)
	}
	return a, nil
}

// errEntry is the error of an entry that is neither an address, a prefix
// nor a name.
var errEntry = errors.New("not an IP address, a CIDR prefix or a DNS name")

// add adds one entry.
func (a *Allow) add(e string) error {
	if strings.ContainsRune(e, '/') {
		p, err := netip.ParsePrefix(e)
		if err != nil {
			return fmt.Errorf("%q: %w", e, err)
		}
		a.prefixes = append(a.prefixes, p.Masked())
		return nil
	}
	if ip, err := netip.ParseAddr(e); err == nil {
		if ip.Zone() != "" {
			return fmt.Errorf("%q: an address with a zone", e)
		}
		a.prefixes = append(a.prefixes, netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen()))
		return nil
	}
	name, sub := strings.CutPrefix(e, "*.")
	if !sub {
		name, sub = strings.CutPrefix(e, ".")
	}
	name = strings.TrimSuffix(strings.ToLower(name), ".")
	if !validName(name) {
		return fmt.Errorf("%q: %w", e, errEntry)
	}
	if sub {
		a.suffixes[name] = true
	} else {
		a.names[name] = true
	}
	return nil
}

// validName reports whether s is a DNS name: dot-separated labels of 1 to
// 63 letters, digits, hyphens and underscores, 253 bytes at most, not all
// digits and dots (that would be a mistyped address).
func validName(s string) bool {
	if s == "" || len(s) > 253 || strings.Trim(s, "0123456789.") == "" {
		return false
	}
	for _, l := range strings.Split(s, ".") {
		if l == "" || len(l) > 63 {
			return false
		}
		for _, c := range []byte(l) {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// Len is the number of entries.
func (a *Allow) Len() int {
	if a == nil {
		return 0
	}
	return len(a.prefixes) + len(a.names) + len(a.suffixes)
}

// Match reports whether the destination ip, or its name (""
// when unknown), is allowed.
func (a *Allow) Match(ip netip.Addr, name string) bool {
	if a == nil {
		return false
	}
	ip = ip.Unmap()
	for _, p := range a.prefixes {
		if p.Contains(ip) {
			return true
		}
	}
	if name == "" {
		return false
	}
	name = strings.TrimSuffix(strings.ToLower(name), ".")
	if a.names[name] {
		return true
	}
	for s := name; s != ""; {
		if a.suffixes[s] {
			return true
		}
		i := strings.IndexByte(s, '.')
		if i < 0 {
			break
		}
		s = s[i+1:]
	}
	return false
}

// Unrouted reports whether ip is a destination never routed beyond its
// link or host, which no remote command and control can answer from:
// unspecified, loopback, link-local (169.254.0.0/16, fe80::/10),
// multicast (224.0.0.0/4, ff00::/8), the broadcast 255.255.255.255, and
// the directed broadcast of a private /24 or wider (an address of
// 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 ending in .255: LAN
// discovery, as Dropbox's and NetBIOS's announcements; in a private
// network wider than /24 such an address may be a host, which a
// beacon's command and control, being remote, is not).
func Unrouted(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsUnspecified() || ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsMulticast() ||
		ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}) ||
		ip.Is4() && ip.IsPrivate() && ip.As4()[3] == 255
}
