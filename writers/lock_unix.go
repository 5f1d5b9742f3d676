//go:build unix

package writers

import (
	"os"
	"syscall"
)

// lock takes an exclusive lock on f (a temporary output, file or folder),
// held until f is closed or the process ends; a failure only means a later
// run may not tell the temporary from one left over.
func lock(f *os.File) { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) }

// tryLock reports whether f's lock was free: no live run holds it. The
// lock is released when f is closed.
func tryLock(f *os.File) bool {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil
}
