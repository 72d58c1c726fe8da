package gameserver

import (
	"errors"
	"fmt"
)

// MaxModePlayers is the most players a mode may seat: a connect ticket and a roster name at
// most 64 slots.
const MaxModePlayers = 64

// MaxModeNameLen is the longest mode name, the lobby protocol's limit.
const MaxModeNameLen = 16

// ErrBadGameDef reports a GameDef that cannot be hosted (see [GameDef.Validate]).
var ErrBadGameDef = errors.New("gameserver: bad game definition")

// Validate reports whether d can be hosted: a name, a factory, and at least one mode, each
// with a unique non-empty name of at most MaxModeNameLen bytes, 1 ≤ MinPlayers ≤ MaxPlayers ≤
// MaxModePlayers, Teams 0 or 2..MaxPlayers, and a FillTimeout that is not negative.
func (d GameDef) Validate() error {
	if d.Name == "" {
		return fmt.Errorf("%w: no name", ErrBadGameDef)
	}
	if d.New == nil {
		return fmt.Errorf("%w: game %q has no factory", ErrBadGameDef, d.Name)
	}
	if len(d.Modes) == 0 {
		return fmt.Errorf("%w: game %q has no modes", ErrBadGameDef, d.Name)
	}
	seen := make(map[string]bool, len(d.Modes))
	for _, m := range d.Modes {
		if err := m.validate(); err != nil {
			return fmt.Errorf("%w: game %q: %w", ErrBadGameDef, d.Name, err)
		}
		if seen[m.Name] {
			return fmt.Errorf("%w: game %q: mode %q declared twice", ErrBadGameDef, d.Name, m.Name)
		}
		seen[m.Name] = true
	}
	return nil
}

func (m ModeSpec) validate() error {
	switch {
	case m.Name == "" || len(m.Name) > MaxModeNameLen:
		return fmt.Errorf("mode name %q: want 1..%d bytes", m.Name, MaxModeNameLen)
	case m.MinPlayers < 1 || m.MinPlayers > m.MaxPlayers || m.MaxPlayers > MaxModePlayers:
		return fmt.Errorf("mode %q: players %d..%d: want 1 ≤ min ≤ max ≤ %d", m.Name, m.MinPlayers, m.MaxPlayers, MaxModePlayers)
	case m.Teams < 0 || m.Teams == 1 || m.Teams > m.MaxPlayers:
		return fmt.Errorf("mode %q: %d teams: want 0 or 2..%d", m.Name, m.Teams, m.MaxPlayers)
	case m.FillTimeout < 0:
		return fmt.Errorf("mode %q: negative fill timeout", m.Name)
	}
	return nil
}

// Mode returns the mode of d named name.
func (d GameDef) Mode(name string) (ModeSpec, bool) {
	for _, m := range d.Modes {
		if m.Name == name {
			return m, true
		}
	}
	return ModeSpec{}, false
}
