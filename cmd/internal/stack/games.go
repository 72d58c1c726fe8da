package stack

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/skirmish-go/skirmish/gameserver"
	"github.com/skirmish-go/skirmish/gameserver/arena/arenahost"
)

// DefaultGame is the game a server hosts without -game.
const DefaultGame = "arena"

// Games is every game a Skirmish game server can host, by its -game name: each makes the
// game's definition (modes and factory) for a server ticking at tickRate.
var Games = map[string]func(tickRate int) gameserver.GameDef{
	"arena": arenahost.Def,
}

// GameNames lists the names in Games, sorted.
func GameNames() []string { return slices.Sorted(maps.Keys(Games)) }

// LookupGame returns the definition of the named game at tickRate; an unknown name is an error
// that lists the known ones.
func LookupGame(name string, tickRate int) (gameserver.GameDef, error) {
	def, ok := Games[name]
	if !ok {
		return gameserver.GameDef{}, fmt.Errorf("unknown game %q (known: %s)", name, strings.Join(GameNames(), ", "))
	}
	return def(tickRate), nil
}
