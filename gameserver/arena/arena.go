package arena

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/skirmish-go/skirmish/assets"
	"github.com/skirmish-go/skirmish/gameserver"
	"github.com/skirmish-go/skirmish/gameserver/sim"
	"github.com/skirmish-go/skirmish/gameserver/snapshot"
)

// DefaultTickRate is the simulation rate [New] assumes (the game server's default).
const DefaultTickRate = 60

// ErrUnknownMode reports a mode Arena does not have.
var ErrUnknownMode = errors.New("arena: unknown mode")

// Mode is one way to play Arena. The game server offers these to the lobby, which matches
// players for them; the client reads the rules of its match from them.
type Mode struct {
	Name         string        // wire name, e.g. "ffa"
	Title        string        // shown to players, e.g. "Free for all"
	MinPlayers   int           // a match starts with at least this many
	MaxPlayers   int           // at most this many (the map has a spawn point for each)
	Teams        int           // 0: every player for themselves; 2: two teams
	FriendlyFire bool          // in team modes, whether teammates' shots hurt
	FillTimeout  time.Duration // how long the matchmaker waits for more than MinPlayers
	Map          string        // name under assets/maps
	ScoreLimit   int           // kills (a team's total in team modes)
	TimeLimit    int           // seconds
}

// Modes lists Arena's modes; "" means "ffa".
func Modes() []Mode {
	return []Mode{
		{Name: "ffa", Title: "Free for all", MinPlayers: 2, MaxPlayers: 16, FillTimeout: 15 * time.Second,
			Map: "arena", ScoreLimit: 20, TimeLimit: 300},
		{Name: "teams", Title: "Team battle", MinPlayers: 4, MaxPlayers: 16, Teams: 2, FillTimeout: 20 * time.Second,
			Map: "arena", ScoreLimit: 50, TimeLimit: 300},
		{Name: "duel", Title: "Duel", MinPlayers: 2, MaxPlayers: 2, FillTimeout: 10 * time.Second,
			Map: "arena", ScoreLimit: 10, TimeLimit: 300},
		{Name: "quick", Title: "Quick match", MinPlayers: 2, MaxPlayers: 8, FillTimeout: 3 * time.Second,
			Map: "arena", ScoreLimit: 5, TimeLimit: 60},
		{Name: "large", Title: "Large battle", MinPlayers: 16, MaxPlayers: 64, Teams: 2, FillTimeout: 30 * time.Second,
			Map: "large", ScoreLimit: 150, TimeLimit: 600},
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

// New makes an Arena match at DefaultTickRate. It is a gameserver.GameFactory.
func New(mode string, maxPlayers int, seed uint64) (gameserver.Game, error) {
	return NewGame(mode, maxPlayers, DefaultTickRate, seed)
}

// Factory returns a gameserver.GameFactory for servers ticking at tickRate.
func Factory(tickRate int) gameserver.GameFactory {
	return func(mode string, maxPlayers int, seed uint64) (gameserver.Game, error) {
		return NewGame(mode, maxPlayers, tickRate, seed)
	}
}

// NewGame makes an Arena match.
func NewGame(mode string, maxPlayers, tickRate int, seed uint64) (*Game, error) {
	cfg, err := ModeConfig(mode, maxPlayers, tickRate)
	if err != nil {
		return nil, err
	}
	m, err := LoadMap(mode)
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
	return &Game{world: w, schema: Schema()}, nil
}

// Game is Arena as a gameserver.Game.
type Game struct {
	world   *sim.World
	schema  *snapshot.Schema
	names   [sim.MaxPlayers]string
	last    [sim.MaxPlayers]sim.Input
	inputs  [sim.MaxPlayers]sim.Input
	invalid uint64
}

var _ gameserver.Game = (*Game)(nil)

// World exposes the simulation, for tests, benchmarks and tools. Do not Step it directly.
func (g *Game) World() *sim.World { return g.world }

// InvalidInputs counts input bytes that did not parse (they were replaced by the last input).
func (g *Game) InvalidInputs() uint64 { return g.invalid }

// Schema implements gameserver.Game.
func (g *Game) Schema() *snapshot.Schema { return g.schema }

// Join implements gameserver.Game.
func (g *Game) Join(p gameserver.Player) error {
	if err := g.world.Join(p.Slot, p.Team); err != nil {
		return fmt.Errorf("arena: join %q: %w", p.Name, err)
	}
	g.names[p.Slot] = p.Name
	g.last[p.Slot] = sim.Input{}
	return nil
}

// Leave implements gameserver.Game.
func (g *Game) Leave(slot uint8) {
	g.world.Leave(slot)
	if int(slot) < len(g.names) {
		g.names[slot] = ""
	}
}

// Step implements gameserver.Game. Each input is sim's InputSize-byte encoding. A player
// without input this tick, or whose bytes do not parse, repeats their last input; a
// repeated input never fires the alt weapon again (one click, one rail shot).
func (g *Game) Step(inputs []gameserver.PlayerInput) []gameserver.Event {
	for i := range g.inputs {
		g.inputs[i] = g.last[i]
		g.inputs[i].AltFire = false
	}
	for _, pi := range inputs {
		if int(pi.Slot) >= sim.MaxPlayers {
			continue
		}
		in, _, err := sim.ParseInput(pi.Input)
		if err != nil {
			g.invalid++
			continue
		}
		g.last[pi.Slot] = in
		if pi.Repeated {
			in.AltFire = false
		}
		g.inputs[pi.Slot] = in
	}
	var events []gameserver.Event // fresh each tick: the loop may hold them across catch-up ticks
	for _, se := range g.world.Step(g.inputs[:]) {
		e := eventFromSim(&se)
		data, err := e.Append(make([]byte, 0, e.Len()))
		if err != nil {
			continue
		}
		switch e.Type {
		case EventSpawn:
			events = append(events, gameserver.Event{To: int(e.Player), Data: data})
		case EventHit:
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

// AppendEntities implements gameserver.Game: players (ID = slot), then projectiles and
// beams, sorted by ID.
func (g *Game) AppendEntities(dst []snapshot.Entity) []snapshot.Entity {
	w := g.world
	for slot := range w.MaxPlayers() {
		if p, ok := w.Player(uint8(slot)); ok {
			dst = append(dst, PlayerEntity(&p))
		}
	}
	start := len(dst)
	shots := w.Projectiles()
	for i := range shots {
		dst = append(dst, ProjectileEntity(&shots[i]))
	}
	beams := w.Beams()
	for i := range beams {
		dst = append(dst, BeamEntity(&beams[i]))
	}
	tail := dst[start:]
	if !slices.IsSortedFunc(tail, byID) {
		slices.SortFunc(tail, byID)
	}
	return dst
}

func byID(a, b snapshot.Entity) int { return int(a.ID) - int(b.ID) }

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
