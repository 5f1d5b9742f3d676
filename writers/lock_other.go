//go:build !unix

package writers

import "os"

// lock is a no-op where flock is missing.
func lock(*os.File) {}

// tryLock reports false where flock is missing: a temporary cannot be
// told from a live run's, so none is swept.
func tryLock(*os.File) bool { return false }
