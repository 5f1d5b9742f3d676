//go:build !linux

package hugepage

func advise(int) (bool, error) { return false, nil }
