package arena

import (
	"errors"
	"fmt"
	"time"

	"github.com/skirmish-go/skirmish/assets"
	"github.com/skirmish-go/skirmish/gameserver/sim"
)

// DefaultTickRate is the simulation rate [New] assumes (the game server's default).
const DefaultTickRate = 60

// ErrUnknownMode reports a mode Arena does not have.
var ErrUnknownMode = errors.New("arena: unknown mode")

// Mode is one way to play Arena. The host adapter (gameserver/arena/arenahost) announces
// Name, Title, the player counts, Teams and FillTimeout to the lobby, which matches players
// by them; the rest are the match's rules.
type Mode struct {
	Name         string
	Title        string // shown to players
	Map          string // name under assets/maps
	ScoreLimit   int    // kills (a team's total in team modes)
	TimeLimit    int    // seconds
	MinPlayers   int    // a match starts with at least this many
	MaxPlayers   int    // and seats at most this many (≤ sim.MaxPlayers; the map has a spawn point each)
	Teams        int    // 0: every player for themselves; 2: two teams
	FriendlyFire bool   // with Teams, whether a player's shots hurt their team mates
	// FillTimeout is how long the matchmaker waits for more than MinPlayers.
	FillTimeout time.Duration
}

// Modes lists Arena's modes; "" means "ffa".
func Modes() []Mode {
	return []Mode{
		{Name: "ffa", Title: "Free for all", Map: "arena", ScoreLimit: 20, TimeLimit: 300,
			MinPlayers: 2, MaxPlayers: 16, FillTimeout: 15 * time.Second},
		{Name: "teams", Title: "Team battle", Map: "arena", ScoreLimit: 50, TimeLimit: 300,
			MinPlayers: 4, MaxPlayers: 16, Teams: 2, FillTimeout: 20 * time.Second},
		// A duel is every player for themselves: the lobby still puts the two on different
		// teams for ratings, and the results name the winner rather than a colour.
		{Name: "duel", Title: "Duel", Map: "arena", ScoreLimit: 10, TimeLimit: 300,
			MinPlayers: 2, MaxPlayers: 2, FillTimeout: 10 * time.Second},
		{Name: "quick", Title: "Quick match", Map: "arena", ScoreLimit: 5, TimeLimit: 60,
			MinPlayers: 2, MaxPlayers: 8, FillTimeout: 3 * time.Second},
		{Name: "large", Title: "Large battle", Map: "large", ScoreLimit: 150, TimeLimit: 600,
			MinPlayers: 16, MaxPlayers: 64, Teams: 2, FillTimeout: 30 * time.Second},
	}
}

// FindMode returns the named mode.
func FindMode(name string) (Mode, error) {
	if name == "" {
		name = "ffa"
	}
	for _, m := range Modes() {
		if m.Name == name {
			return m, nil
		}
	}
	return Mode{}, fmt.Errorf("%w: %q", ErrUnknownMode, name)
}

// ModeConfig returns the sim configuration of a match: the client passes the same values
// (from its welcome message) to sim.PredictPlayer that the server's World uses.
func ModeConfig(mode string, maxPlayers, tickRate int) (sim.Config, error) {
	m, err := FindMode(mode)
	if err != nil {
		return sim.Config{}, err
	}
	if maxPlayers < 1 || maxPlayers > sim.MaxPlayers {
		return sim.Config{}, fmt.Errorf("arena: %d players (want 1..%d)", maxPlayers, sim.MaxPlayers)
	}
	return sim.Config{TickRate: tickRate, MaxPlayers: maxPlayers, ScoreLimit: m.ScoreLimit, TimeLimit: m.TimeLimit,
		Teams: m.Teams, FriendlyFire: m.FriendlyFire}, nil
}

// LoadMap parses the map a mode plays on, from the embedded assets.
func LoadMap(mode string) (*sim.Map, error) {
	m, err := FindMode(mode)
	if err != nil {
		return nil, err
	}
	src, err := assets.Map(m.Map)
	if err != nil {
		return nil, err
	}
	return sim.ParseMap(src)
}
