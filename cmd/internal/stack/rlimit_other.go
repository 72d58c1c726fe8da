//go:build !linux

package stack

// raiseFileLimit is a no-op where RLIMIT_NOFILE is not handled; 0 means "unknown".
func raiseFileLimit() (uint64, error) { return 0, nil }
