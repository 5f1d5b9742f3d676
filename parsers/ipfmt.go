package parsers

import "net/netip"

// decOctet holds the decimal digits of every byte value, the count in [3].
var decOctet = func() (t [256][4]byte) {
	for i := range t {
		switch {
		case i >= 100:
			t[i] = [4]byte{byte('0' + i/100), byte('0' + i/10%10), byte('0' + i%10), 3}
		case i >= 10:
			t[i] = [4]byte{byte('0' + i/10), byte('0' + i%10), 0, 2}
		default:
			t[i] = [4]byte{byte('0' + i), 0, 0, 1}
		}
	}
	return t
}()

// AppendAddr appends a as netip.Addr.AppendTo does (dotted quad, RFC 5952
// for IPv6), with table lookups instead of netip's per-digit division: IP
// formatting was the largest single cost of a row. Zoned and IPv4-mapped
// IPv6 addresses, which the decoder never produces, go to netip.
func AppendAddr(b []byte, a netip.Addr) []byte {
	if a.Is4() {
		return appendIPv4(b, a.As4())
	}
	if !a.Is6() || a.Is4In6() || a.Zone() != "" {
		return a.AppendTo(b)
	}
	return appendIPv6(b, a.As16())
}

func appendIPv4(b []byte, ip [4]byte) []byte {
	for i, x := range ip {
		if i > 0 {
			b = append(b, '.')
		}
		// three bytes always, then cut to the digit count: cheaper than a
		// variable-length copy (memmove)
		d := &decOctet[x]
		b = append(b, d[0], d[1], d[2])
		b = b[:len(b)-3+int(d[3])]
	}
	return b
}

// appendIPv6 appends ip in RFC 5952 form: lowercase hex without leading
// zeros, the first longest run of two or more zero groups as "::".
func appendIPv6(b []byte, ip [16]byte) []byte {
	var g [8]uint16
	for i := range g {
		g[i] = uint16(ip[2*i])<<8 | uint16(ip[2*i+1])
	}
	zs, zl := -1, 1 // longest zero run: start, length (runs of 1 do not count)
	for i := 0; i < 8; {
		if g[i] != 0 {
			i++
			continue
		}
		j := i + 1
		for j < 8 && g[j] == 0 {
			j++
		}
		if j-i > zl {
			zs, zl = i, j-i
		}
		i = j
	}
	for i := 0; i < 8; i++ {
		if i == zs {
			b = append(b, ':', ':')
			i += zl - 1
			continue
		}
		if i > 0 && i != zs+zl {
			b = append(b, ':')
		}
		x := g[i]
		switch {
		case x >= 0x1000:
			b = append(b, hexDigits[x>>12], hexDigits[x>>8&15], hexDigits[x>>4&15], hexDigits[x&15])
		case x >= 0x100:
			b = append(b, hexDigits[x>>8], hexDigits[x>>4&15], hexDigits[x&15])
		case x >= 0x10:
			b = append(b, hexDigits[x>>4], hexDigits[x&15])
		default:
			b = append(b, hexDigits[x])
		}
	}
	return b
}
