package parsers

import (
	"math/rand/v2"
	"net/netip"
	"testing"
)

func TestAppendAddr(t *testing.T) {
	addrs := []string{
		"0.0.0.0", "255.255.255.255", "10.2.188.214", "1.20.100.9",
		"::", "::1", "1::", "2001:db8::1", "2001:db8:0:0:1:0:0:1", "2001:0:0:1::1",
		"fe80::1:2:3:4", "0:1:0:1:0:1:0:1", "1:0:1:0:1:0:1:0", "1:2:3:4:5:6:7:8",
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::ffff:1.2.3.4", "fe80::1%eth0",
		"::1:0:0:0", "0:0:1::", "1:0:0:2:0:0:0:3", "a:b:c:d:e::", "100:200:30:4::",
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		var a [16]byte
		for i := range a {
			// mostly zero bytes, so zero runs of every length occur
			if r.IntN(3) > 0 {
				a[i] = byte(r.UintN(256))
			}
		}
		addrs = append(addrs, netip.AddrFrom16(a).String(), netip.AddrFrom4([4]byte(a[:4])).String())
	}
	for _, s := range addrs {
		a := netip.MustParseAddr(s)
		want := a.String()
		if got := string(AppendAddr([]byte("x"), a)); got != "x"+want {
			t.Fatalf("AppendAddr(%s) = %s, want %s", want, got[1:], want)
		}
	}
	if got := AppendAddr(nil, netip.Addr{}); string(got) != "" { // as AppendTo
		t.Errorf("zero Addr: %q", got)
	}
}

func FuzzAppendAddr(f *testing.F) {
	f.Add([]byte{32, 1, 13, 184, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1})
	f.Add([]byte{10, 0, 0, 1})
	f.Fuzz(func(t *testing.T, in []byte) {
		a, ok := netip.AddrFromSlice(in)
		if !ok {
			return
		}
		if got, want := string(AppendAddr(nil, a)), a.String(); got != want {
			t.Fatalf("AppendAddr(%v) = %s, want %s", in, got, want)
		}
	})
}

func BenchmarkAppendAddr(b *testing.B) {
	v4 := netip.MustParseAddr("10.2.188.214")
	v6 := netip.MustParseAddr("2001:db8:1::6ea")
	buf := make([]byte, 0, 64)
	b.Run("fast", func(b *testing.B) {
		for range b.N {
			buf = AppendAddr(AppendAddr(buf[:0], v4), v6)
		}
	})
	b.Run("netip", func(b *testing.B) {
		for range b.N {
			buf = v6.AppendTo(v4.AppendTo(buf[:0]))
		}
	})
}
