package writers

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"
)

// Outputs are written under a temporary name beside the final one,
// .NAME.tmp-RANDOM (a file, or a dataset's folder), and renamed into place
// when complete. A run holds a lock (flock) on each of its temporaries for
// as long as it lives, so when a run is killed (kill -9, the OOM killer, a
// power loss), the kernel releases its locks and its temporaries are
// known to be left over: the next run to the same output removes them
// (SweepTemporaries), never touching those of a run still alive.

// tempName returns a new temporary name for the output final.
func tempName(final string) string {
	dir, base := filepath.Split(filepath.Clean(final))
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	return filepath.Join(dir, "."+base+".tmp-"+hex.EncodeToString(rnd[:]))
}

// tempPattern matches the temporaries of an output named base (a dataset
// replaced by a commit is renamed .old first).
func tempPattern(base string) *regexp.Regexp {
	return regexp.MustCompile(`^\.` + regexp.QuoteMeta(base) + `\.tmp-[0-9a-f]{12}(\.old)?$`)
}

// sweepAge is how old a temporary must be to be swept: a run locks its
// temporary right after creating it, and this leaves that moment alone.
const sweepAge = 2 * time.Second

// SweepTemporaries removes the temporaries of the output final that runs
// no longer alive left behind (their locks are free), and returns their
// names. Those of live runs stay.
func SweepTemporaries(final string) []string {
	dir, base := filepath.Split(filepath.Clean(final))
	if dir == "" {
		dir = "."
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	re := tempPattern(base)
	var removed []string
	for _, e := range ents {
		if !re.MatchString(e.Name()) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if info, err := e.Info(); err != nil || time.Since(info.ModTime()) < sweepAge {
			continue
		}
		if filepath.Ext(p) == ".old" {
			// a dataset replaced by a commit that stopped half way: keep
			// it unless the new one is in place
			if _, err := os.Stat(final); err != nil {
				continue
			}
		}
		if left(p) && os.RemoveAll(p) == nil {
			removed = append(removed, p)
		}
	}
	return removed
}

// left reports whether the temporary at p belongs to no live run: its
// lock can be taken (and is released at once).
func left(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	return tryLock(f)
}

// temporaries are the temporary outputs (files and dataset folders) not
// yet committed or aborted, for RemoveTemporaries.
var temporaries struct {
	sync.Mutex
	m map[string]bool
}

func track(path string) {
	temporaries.Lock()
	if temporaries.m == nil {
		temporaries.m = map[string]bool{}
	}
	temporaries.m[path] = true
	temporaries.Unlock()
}

func untrack(path string) {
	temporaries.Lock()
	delete(temporaries.m, path)
	temporaries.Unlock()
}

// RemoveTemporaries removes every temporary output not yet committed or
// aborted (a File's temporary file, a Dataset's temporary folder), for a
// process that is about to exit at once (a second interrupt). It may run
// concurrently with writing; whatever was committed stays.
func RemoveTemporaries() {
	temporaries.Lock()
	defer temporaries.Unlock()
	for p := range temporaries.m {
		os.RemoveAll(p)
	}
	clear(temporaries.m)
}
