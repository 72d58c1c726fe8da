package walkers

import "time"

// ModeName is the walkers' one mode, as the lobby and connect tokens name it.
const ModeName = "walkers"

// ModeInfo describes a mode of the game, in the terms the lobby matches on.
type ModeInfo struct {
	Name        string
	Title       string
	MinPlayers  int
	MaxPlayers  int
	FillTimeout time.Duration
}

// Mode is the mode "walkers": 1 to 64 players; the matchmaker starts a match 2 s after the
// first player queues, with whoever has come.
var Mode = ModeInfo{Name: ModeName, Title: "Walkers", MinPlayers: 1, MaxPlayers: MaxWalkers, FillTimeout: 2 * time.Second}

// IsMode reports whether name is a mode of walkers.
func IsMode(name string) bool { return name == ModeName }
