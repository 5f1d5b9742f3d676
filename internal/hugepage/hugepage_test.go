package hugepage

import (
	"testing"
)

func TestDisabled(t *testing.T) {
	for _, c := range []struct {
		in   string
		want bool
	}{
		{"", false},
		{"disablethp=1", true},
		{"gctrace=1,disablethp=1", true},
		{"disablethp=0", false},
		{"disablethp=1,disablethp=0", false},
		{" disablethp=1 ", true},
		{"xdisablethp=1", false},
	} {
		if got := disabled(c.in); got != c.want {
			t.Errorf("disabled(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestMode(t *testing.T) {
	for in, want := range map[string]string{
		"always [madvise] never\n": "madvise",
		"[always] madvise never\n": "always",
		"always madvise [never]":   "never",
		"":                         "",
		"always [madvise":          "",
	} {
		if got := mode(in); got != want {
			t.Errorf("mode(%q) = %q, want %q", in, got, want)
		}
	}
}
