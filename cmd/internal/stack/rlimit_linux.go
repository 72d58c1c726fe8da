//go:build linux

package stack

import "syscall"

// raiseFileLimit raises the soft RLIMIT_NOFILE to the hard limit (a lobby holds one file per
// connection) and returns the soft limit now in force.
func raiseFileLimit() (uint64, error) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0, err
	}
	if rl.Cur < rl.Max {
		want := rl
		want.Cur = rl.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil {
			return rl.Cur, err
		}
		rl = want
	}
	return rl.Cur, nil
}
