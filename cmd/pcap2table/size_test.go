package main

import "testing"

func TestByteSize(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1048576", 1 << 20, true},
		{"64MiB", 64 << 20, true},
		{"64mib", 64 << 20, true},
		{"1G", 1 << 30, true},
		{"2k", 2048, true},
		{"5MB", 5e6, true},
		{"7 KiB", 7 << 10, true},
		{"0", 0, true},
		{"12b", 12, true},
		{"-1", 0, false},
		{"1.5M", 0, false},
		{"MiB", 0, false},
		{"", 0, false},
		{"99999999999999GiB", 0, false},
	} {
		var b byteSize
		err := b.Set(c.in)
		if (err == nil) != c.ok || (c.ok && int64(b) != c.want) {
			t.Errorf("Set(%q) = %d, %v; want %d, ok %v", c.in, b, err, c.want, c.ok)
		}
	}
	for _, c := range []struct {
		n    byteSize
		want string
	}{{1 << 20, "1MiB"}, {64 << 20, "64MiB"}, {1000, "1000"}, {3 << 10, "3KiB"}, {1 << 30, "1GiB"}} {
		if got := c.n.String(); got != c.want {
			t.Errorf("String(%d) = %q, want %q", int64(c.n), got, c.want)
		}
	}
}
