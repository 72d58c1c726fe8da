package stack

import (
	"flag"
	"fmt"
)

// ReplayFlags are the replay flags cmd/server and cmd/gameserver share.
type ReplayFlags struct {
	Dir   string
	Keep  int
	MaxMB int
}

// Default bounds of a replay directory: with Arena's replays at a few hundred kilobytes per
// long match, a server keeps days of matches in well under the size bound.
const (
	DefaultReplayKeep  = 500
	DefaultReplayMaxMB = 1024
)

// AddReplayFlags defines -replay-dir (default dir; empty: off), -replay-keep and
// -replay-max-mb on fs.
func AddReplayFlags(fs *flag.FlagSet, dir string) *ReplayFlags {
	f := &ReplayFlags{}
	fs.StringVar(&f.Dir, "replay-dir", dir, "`directory` where a replay of every match is written (empty: no replays)")
	fs.IntVar(&f.Keep, "replay-keep", DefaultReplayKeep, "most replays kept in -replay-dir; the oldest are deleted first (0: no limit)")
	fs.IntVar(&f.MaxMB, "replay-max-mb", DefaultReplayMaxMB, "most megabytes of replays kept in -replay-dir; the oldest are deleted first (0: no limit)")
	return f
}

// Check validates the flags' values.
func (f *ReplayFlags) Check() error {
	if f.Keep < 0 || f.MaxMB < 0 {
		return fmt.Errorf("-replay-keep %d, -replay-max-mb %d: want 0 or more", f.Keep, f.MaxMB)
	}
	return nil
}

// MaxBytes is -replay-max-mb in bytes.
func (f *ReplayFlags) MaxBytes() int64 { return int64(f.MaxMB) << 20 }
