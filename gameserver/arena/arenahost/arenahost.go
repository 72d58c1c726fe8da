package arenahost

import (
	"fmt"

	"github.com/skirmish-go/skirmish/gameserver"
	"github.com/skirmish-go/skirmish/gameserver/arena"
	"github.com/skirmish-go/skirmish/gameserver/sim"
	"github.com/skirmish-go/skirmish/gameserver/snapshot"
)

// Name is Arena's name among the games a stack hosts (the -game flag).
const Name = "arena"

// Def is Arena as the game a server hosts at tickRate: its modes from arena.Modes, each
// match made by NewGame.
func Def(tickRate int) gameserver.GameDef {
	d := gameserver.GameDef{Name: Name, New: Factory(tickRate)}
	for _, m := range arena.Modes() {
		d.Modes = append(d.Modes, gameserver.ModeSpec{Name: m.Name, Title: m.Title, MinPlayers: m.MinPlayers,
			MaxPlayers: m.MaxPlayers, Teams: m.Teams, FillTimeout: m.FillTimeout})
	}
	return d
}

// New makes an Arena match at arena.DefaultTickRate. It is a gameserver.GameFactory.
func New(mode string, maxPlayers int, seed uint64) (gameserver.Game, error) {
	return NewGame(mode, maxPlayers, arena.DefaultTickRate, seed)
}

// Factory returns a gameserver.GameFactory for servers ticking at tickRate.
func Factory(tickRate int) gameserver.GameFactory {
	return func(mode string, maxPlayers int, seed uint64) (gameserver.Game, error) {
		return NewGame(mode, maxPlayers, tickRate, seed)
	}
}

// NewGame makes an Arena match.
func NewGame(mode string, maxPlayers, tickRate int, seed uint64) (*Game, error) {
	cfg, err := arena.ModeConfig(mode, maxPlayers, tickRate)
	if err != nil {
		return nil, err
	}
	m, err := arena.LoadMap(mode)
	if err != nil {
		return nil, err
	}
	return NewWithConfig(cfg, m, seed)
}

// NewWithConfig makes a match with explicit rules and map (tests, benchmarks, custom modes).
func NewWithConfig(cfg sim.Config, m *sim.Map, seed uint64) (*Game, error) {
	w, err := sim.NewWorld(cfg, m, seed)
	if err != nil {
		return nil, fmt.Errorf("arena: %w", err)
	}
	return &Game{world: w, schema: arena.Schema()}, nil
}

// Game is Arena as a gameserver.Game.
type Game struct {
	world  *sim.World
	schema *snapshot.Schema
	names  [sim.MaxPlayers]string
	inputs arena.Inputs
}

var _ gameserver.Game = (*Game)(nil)

// World exposes the simulation, for tests, benchmarks and tools. Do not Step it directly.
func (g *Game) World() *sim.World { return g.world }

// InvalidInputs counts input bytes that did not parse (they were replaced by the last input).
func (g *Game) InvalidInputs() uint64 { return g.inputs.Invalid }

// Schema implements gameserver.Game.
func (g *Game) Schema() *snapshot.Schema { return g.schema }

// Join implements gameserver.Game.
func (g *Game) Join(p gameserver.Player) error {
	if err := g.world.Join(p.Slot, p.Team); err != nil {
		return fmt.Errorf("arena: join %q: %w", p.Name, err)
	}
	g.names[p.Slot] = p.Name
	g.inputs.Reset(p.Slot)
	return nil
}

// Leave implements gameserver.Game.
func (g *Game) Leave(slot uint8) {
	g.world.Leave(slot)
	if int(slot) < len(g.names) {
		g.names[slot] = ""
	}
}

// Step implements gameserver.Game. Each input is sim's InputSize-byte encoding, applied as
// arena.Inputs says (a missing or unparsable input repeats the last one; a repeated input
// never fires the alt weapon again).
func (g *Game) Step(inputs []gameserver.PlayerInput) []gameserver.Event {
	g.inputs.Begin()
	for _, pi := range inputs {
		g.inputs.Set(pi.Slot, pi.Input, pi.Repeated)
	}
	var events []gameserver.Event // fresh each tick: the loop may hold them across catch-up ticks
	for _, se := range g.world.Step(g.inputs.Step()) {
		e := arena.EventFromSim(&se)
		data, err := e.Append(make([]byte, 0, e.Len()))
		if err != nil {
			continue
		}
		switch e.Type {
		case arena.EventSpawn:
			events = append(events, gameserver.Event{To: int(e.Player), Data: data})
		case arena.EventHit:
			events = append(events, gameserver.Event{To: int(e.Player), Data: data})
			if e.Victim != e.Player {
				events = append(events, gameserver.Event{To: int(e.Victim), Data: data})
			}
		default:
			events = append(events, gameserver.Event{To: gameserver.Broadcast, Data: data})
		}
	}
	return events
}

// AppendEntities implements gameserver.Game: arena.AppendEntities of the world.
func (g *Game) AppendEntities(dst []snapshot.Entity) []snapshot.Entity {
	return arena.AppendEntities(dst, g.world)
}

// Over implements gameserver.Game.
func (g *Game) Over() (gameserver.Result, bool) {
	reason, over := g.world.Over()
	if !over {
		return gameserver.Result{}, false
	}
	return g.result(reason.String()), true
}

// Scores returns the current scoreboard in slot order.
func (g *Game) Scores() []gameserver.PlayerScore {
	return g.result("").Scores
}

func (g *Game) result(reason string) gameserver.Result {
	r := gameserver.Result{Reason: reason}
	for _, p := range g.world.AppendPlayers(nil) {
		r.Scores = append(r.Scores, gameserver.PlayerScore{Slot: p.Slot, Team: p.Team, Name: g.names[p.Slot],
			Score: int(p.Score), Kills: int(p.Kills), Deaths: int(p.Deaths)})
	}
	return r
}
