package hugepage

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"unsafe"
)

const modeFile = "/sys/kernel/mm/transparent_hugepage/enabled"

func advise(reserve int) (bool, error) {
	if unsafe.Sizeof(uintptr(0)) < 8 {
		return false, nil // little address space to spare
	}
	m, err := os.ReadFile(modeFile)
	if err != nil {
		return false, fmt.Errorf("hugepage: %w", err)
	}
	if mode(string(m)) != "madvise" {
		return false, nil
	}
	var grow []byte
	if reserve > 0 {
		// a large object comes straight from newly mapped heap; the
		// runtime knows that memory is zero and does not touch it
		grow = make([]byte, reserve)
	}
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return false, fmt.Errorf("hugepage: %w", err)
	}
	defer f.Close()
	spans, err := anonymous(f)
	if err != nil {
		return false, fmt.Errorf("hugepage: /proc/self/maps: %w", err)
	}
	advised := false
	for _, s := range spans {
		_, _, e := syscall.Syscall(syscall.SYS_MADVISE, s.lo, s.hi-s.lo, syscall.MADV_HUGEPAGE)
		if e != 0 {
			err = fmt.Errorf("hugepage: madvise %#x-%#x: %w", s.lo, s.hi, e)
			continue
		}
		advised = true
	}
	runtime.KeepAlive(grow)
	grow = nil
	// Free the reserve now: the run's allocations then come from it
	// rather than from yet more newly mapped (unadvised) memory.
	runtime.GC()
	return advised, err
}

type span struct{ lo, hi uintptr }

// anonymous returns the private, writable mappings without a file: the
// Go heap and runtime metadata (named "[anon: Go: ...]" since Go 1.25),
// the zeroed part of the binary's data; not stacks of other threads'
// ("[stack]") or files.
func anonymous(r io.Reader) ([]span, error) {
	var out []span
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		// address perms offset dev inode [path]
		fs := strings.Fields(sc.Text())
		if len(fs) < 5 || fs[1] != "rw-p" || fs[4] != "0" {
			continue
		}
		if len(fs) > 5 && !strings.HasPrefix(fs[5], "[anon") {
			continue
		}
		a, b, ok := strings.Cut(fs[0], "-")
		if !ok {
			return nil, fmt.Errorf("bad line %q", sc.Text())
		}
		lo, err1 := strconv.ParseUint(a, 16, 64)
		hi, err2 := strconv.ParseUint(b, 16, 64)
		if err1 != nil || err2 != nil || hi <= lo {
			return nil, fmt.Errorf("bad line %q", sc.Text())
		}
		out = append(out, span{uintptr(lo), uintptr(hi)})
	}
	return out, sc.Err()
}
