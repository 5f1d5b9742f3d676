package hugepage

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

func TestAnonymous(t *testing.T) {
	maps := `00400000-014e4000 r-xp 00000000 fe:00 1 /usr/bin/pcap2table
014e4000-03a62000 rw-p 00000000 00:00 0 
3cbcd8400000-3cbce8600000 rw-p 00000000 00:00 0                          [anon: Go: heap]
7f0000000000-7f0000001000 rw-p 00001000 fe:00 7 /lib/libc.so
7ffd1000-7ffd2000 rw-p 00000000 00:00 0                          [stack]
7ffd3000-7ffd4000 r--p 00000000 00:00 0                          [vvar]
`
	got, err := anonymous(strings.NewReader(maps))
	if err != nil {
		t.Fatal(err)
	}
	want := []span{{0x014e4000, 0x03a62000}, {0x3cbcd8400000, 0x3cbce8600000}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("anonymous = %x, want %x", got, want)
	}
	if _, err := anonymous(strings.NewReader("zz-01 rw-p 00000000 00:00 0\n")); err == nil {
		t.Error("a bad address gave no error")
	}
}

// TestAdvise checks that the heap a run allocates from after Advise is
// marked for huge pages ("hg" in smaps' VmFlags).
func TestAdvise(t *testing.T) {
	m, err := os.ReadFile(modeFile)
	if err != nil || mode(string(m)) != "madvise" {
		t.Skipf("transparent huge pages are not in madvise mode here (%q)", m)
	}
	ok, err := Advise(64 << 20)
	if err != nil || !ok {
		t.Fatalf("Advise = %v, %v", ok, err)
	}
	b := make([]byte, 8<<20) // after the reserve was freed: from it
	addr := uint64(uintptr(unsafe.Pointer(&b[0])))
	flags := vmFlags(t, addr)
	if !strings.Contains(" "+flags+" ", " hg ") {
		t.Errorf("the mapping of a new allocation at %#x has VmFlags %q, no hg", addr, flags)
	}
	t.Setenv("GODEBUG", "disablethp=1")
	if ok, err := Advise(0); ok || err != nil {
		t.Errorf("with disablethp=1, Advise = %v, %v", ok, err)
	}
}

// vmFlags returns the VmFlags of the mapping holding addr.
func vmFlags(t *testing.T, addr uint64) string {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	in := false
	for sc.Scan() {
		line := sc.Text()
		if a, rest, ok := strings.Cut(line, "-"); ok && !strings.Contains(a, " ") && !strings.Contains(a, ":") {
			b, _, _ := strings.Cut(rest, " ")
			lo, err1 := strconv.ParseUint(a, 16, 64)
			hi, err2 := strconv.ParseUint(b, 16, 64)
			in = err1 == nil && err2 == nil && lo <= addr && addr < hi
			continue
		}
		if in && strings.HasPrefix(line, "VmFlags:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "VmFlags:"))
		}
	}
	t.Fatalf("no mapping holds %#x", addr)
	return ""
}
