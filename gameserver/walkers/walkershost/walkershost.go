// Package walkershost makes walkers (package gameserver/walkers: the rules and the snapshot
// codec, shared with clients) a gameserver.Game: the server-side half, which clients never
// link.
//
// [Def] is walkers as a game server hosts it: the name "walkers", its one mode (walkers.Mode
// as a gameserver.ModeSpec, announced to the lobby) and [New] as the factory. A [Game] ignores
// input (walkers move on their own; clients only watch), steps the world once per tick and
// hands the match loop the walkers' legs as snapshot entities. A match never ends by itself:
// like the peer's room it runs while anyone watches, and the game server ends it when the
// last player has left (or drains); [Game.Scores] is then the result. [Game.Checksum] hashes
// the whole scene, so a match's replay carries a checksum a second that cmd/replay -verify
// checks.
package walkershost

import (
	"errors"
	"fmt"

	"github.com/skirmish-go/skirmish/gameserver"
	"github.com/skirmish-go/skirmish/gameserver/snapshot"
	"github.com/skirmish-go/skirmish/gameserver/walkers"
)

// Name is walkers' name among the games a stack hosts (the -game flag).
const Name = "walkers"

// ErrUnknownMode reports a mode walkers does not have.
var ErrUnknownMode = errors.New("walkers: unknown mode")

// Def is walkers as the game a server hosts. The rules are per tick, as the peer's are at
// its 60 Hz; a server ticking at another rate runs the same scene faster or slower, so
// tickRate changes nothing here.
func Def(tickRate int) gameserver.GameDef {
	m := walkers.Mode
	return gameserver.GameDef{Name: Name, New: New, Modes: []gameserver.ModeSpec{{Name: m.Name, Title: m.Title,
		MinPlayers: m.MinPlayers, MaxPlayers: m.MaxPlayers, FillTimeout: m.FillTimeout}}}
}

// New makes a walkers match: a fresh world, its generator seeded 1 as the peer's. The seed
// is not used (the scene's one generator is part of its rules). It is a
// gameserver.GameFactory.
func New(mode string, maxPlayers int, seed uint64) (gameserver.Game, error) {
	if !walkers.IsMode(mode) {
		return nil, fmt.Errorf("%w: %q", ErrUnknownMode, mode)
	}
	if maxPlayers < 1 || maxPlayers > walkers.MaxWalkers {
		return nil, fmt.Errorf("walkers: %d players (want 1..%d)", maxPlayers, walkers.MaxWalkers)
	}
	return &Game{world: walkers.NewWorld(), schema: walkers.Schema()}, nil
}

// Game is walkers as a gameserver.Game.
type Game struct {
	world  *walkers.World
	schema *snapshot.Schema
	names  [256]string
}

var (
	_ gameserver.Game        = (*Game)(nil)
	_ gameserver.Scorer      = (*Game)(nil)
	_ gameserver.Checksummer = (*Game)(nil)
)

// World exposes the scene, for tests and tools. Do not Step it directly.
func (g *Game) World() *walkers.World { return g.world }

// Schema implements gameserver.Game.
func (g *Game) Schema() *snapshot.Schema { return g.schema }

// Join implements gameserver.Game: the walker appears at a random place (the peer's onJoin).
func (g *Game) Join(p gameserver.Player) error {
	if err := g.world.Join(p.Slot); err != nil {
		return err
	}
	g.names[p.Slot] = p.Name
	return nil
}

// Leave implements gameserver.Game.
func (g *Game) Leave(slot uint8) { g.world.Leave(slot) }

// Step implements gameserver.Game. Inputs are ignored: walkers move on their own.
func (g *Game) Step([]gameserver.PlayerInput) []gameserver.Event {
	g.world.Step()
	return nil
}

// AppendEntities implements gameserver.Game: one entity per walker, its leg, health and
// score (walkers.State).
func (g *Game) AppendEntities(dst []snapshot.Entity) []snapshot.Entity {
	return g.world.AppendEntities(dst)
}

// Over implements gameserver.Game: never; the server ends an empty or draining match.
// InputFree reports true: Step ignores input (gameserver.InputFree).
func (g *Game) InputFree() bool { return true }

func (g *Game) Over() (gameserver.Result, bool) { return gameserver.Result{}, false }

// Checksum implements gameserver.Checksummer: the hash of the whole scene (walkers.World.Hash),
// which replays store once a second.
func (g *Game) Checksum() uint64 { return g.world.Hash() }

// Scores implements gameserver.Scorer: the walkers still in the match and their points.
func (g *Game) Scores() []gameserver.PlayerScore {
	ws := g.world.Walkers()
	out := make([]gameserver.PlayerScore, 0, len(ws))
	for _, w := range ws {
		out = append(out, gameserver.PlayerScore{Slot: w.Slot, Name: g.names[w.Slot], Score: w.Score})
	}
	return out
}
