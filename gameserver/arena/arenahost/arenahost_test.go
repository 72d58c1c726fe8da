package arenahost

import (
	"testing"

	"github.com/skirmish-go/skirmish/gameserver"
	"github.com/skirmish-go/skirmish/gameserver/arena"
	"github.com/skirmish-go/skirmish/gameserver/sim"
	"github.com/skirmish-go/skirmish/gameserver/snapshot"
	"github.com/stretchr/testify/require"
)

func TestNewModes(t *testing.T) {
	for _, m := range []string{"", "ffa", "duel", "quick"} {
		g, err := New(m, 8, 1)
		require.NoError(t, err, m)
		require.NoError(t, g.Schema().Validate())
	}
	_, err := New("capture-the-flag", 8, 1)
	require.ErrorIs(t, err, arena.ErrUnknownMode)
	_, err = New("ffa", 0, 1)
	require.Error(t, err)
	_, err = New("ffa", sim.MaxPlayers+1, 1)
	require.Error(t, err)
	var f gameserver.GameFactory = New
	_, err = f("quick", 2, 3)
	require.NoError(t, err)
	_, err = Factory(30)("quick", 2, 3)
	require.NoError(t, err)
}

func input(t testing.TB, in sim.Input) []byte {
	b, err := in.AppendBinary(nil)
	require.NoError(t, err)
	return b
}

// A short match of bots through the Game interface: entities are sorted, valid for the
// schema and convert back to the sim state exactly; events parse; the client's prediction
// from snapshot entities matches the next snapshot.
func TestGamePlaysThroughInterface(t *testing.T) {
	const n = 8
	g := benchGame(t, n, 3)
	s := g.Schema()
	bt := newBots(3)
	var players []sim.Player
	var in []gameserver.PlayerInput
	var ents, prev []snapshot.Entity
	cfg := g.World().Config()
	m := g.World().Map()
	kinds := map[uint8]int{}
	evTypes := map[arena.EventType]int{}
	for tick := range 900 {
		players = g.World().AppendPlayers(players[:0])
		in = bt.inputs(g.World(), players, in)
		evs := g.Step(in)
		for _, ev := range evs {
			e, nb, err := arena.ParseEvent(ev.Data)
			require.NoError(t, err)
			require.Equal(t, len(ev.Data), nb)
			evTypes[e.Type]++
			if e.Type == arena.EventKill || e.Type == arena.EventMatchEnd {
				require.Equal(t, gameserver.Broadcast, ev.To)
			} else {
				require.True(t, ev.To == int(e.Player) || ev.To == int(e.Victim))
			}
		}
		ents = g.AppendEntities(ents[:0])
		snap := &snapshot.Snapshot{Tick: g.World().Tick(), Entities: ents}
		_, err := s.AppendDelta(nil, nil, snap)
		require.NoError(t, err, "tick %d", tick)
		for i := range ents {
			e := &ents[i]
			kinds[e.Kind]++
			switch e.Kind {
			case arena.KindPlayer:
				p, ok := g.World().Player(uint8(e.ID))
				require.True(t, ok)
				got := arena.PlayerFromEntity(e)
				require.Equal(t, [5]int32{p.X, p.Y, p.VX, p.VY, p.Health}, [5]int32{got.X, got.Y, got.VX, got.VY, got.Health})
				require.Equal(t, p.Alive, got.Alive)
				require.Equal(t, p.Score, got.Score)
				require.Equal(t, p.Aim>>6, got.Aim>>6)
				require.Equal(t, arena.PlayerEntity(&got), *e, "entity → state → entity")
			case arena.KindProjectile:
				got := arena.ProjectileFromEntity(e, snap.Tick)
				require.Equal(t, *e, arena.ProjectileEntity(&got))
				found := false
				for _, p := range g.World().Projectiles() {
					if p.ID == e.ID {
						require.Equal(t, p, got)
						found = true
					}
				}
				require.True(t, found)
			case arena.KindBeam:
				got := arena.BeamFromEntity(e, snap.Tick)
				require.Equal(t, *e, arena.BeamEntity(&got))
			}
		}
		// Prediction from the previous snapshot's entity with this tick's input.
		if prev != nil {
			for _, pi := range in {
				var before *snapshot.Entity
				for i := range prev {
					if prev[i].ID == uint16(pi.Slot) && prev[i].Kind == arena.KindPlayer {
						before = &prev[i]
					}
				}
				if before == nil {
					continue
				}
				p := arena.PlayerFromEntity(before)
				after, _ := g.World().Player(pi.Slot)
				if !p.Alive || !after.Alive || after.Protected > 0 && p.Protected == 0 {
					continue // died or respawned this tick: not the client's to predict
				}
				sin, _, err := sim.ParseInput(pi.Input)
				require.NoError(t, err)
				sim.PredictPlayer(cfg, m, &p, sin)
				require.Equal(t, [4]int32{after.X, after.Y, after.VX, after.VY}, [4]int32{p.X, p.Y, p.VX, p.VY}, "tick %d slot %d", tick, pi.Slot)
			}
		}
		prev = append(prev[:0], ents...)
	}
	require.Positive(t, kinds[arena.KindProjectile])
	require.Positive(t, kinds[arena.KindBeam])
	require.Positive(t, evTypes[arena.EventKill])
	require.Positive(t, evTypes[arena.EventHit])
	require.Positive(t, evTypes[arena.EventSpawn])
	_, over := g.Over()
	require.False(t, over)
}

func TestGameOverAndResult(t *testing.T) {
	m, err := arena.LoadMap("quick")
	require.NoError(t, err)
	g, err := NewWithConfig(sim.Config{MaxPlayers: 4, ScoreLimit: 2}, m, 9)
	require.NoError(t, err)
	names := []string{"ann", "bob", "cid", "dee"}
	for i, name := range names {
		require.NoError(t, g.Join(gameserver.Player{Slot: uint8(i), Team: 0, Name: name}))
	}
	require.Error(t, g.Join(gameserver.Player{Slot: 1, Name: "again"}))
	bt := newBots(9)
	var players []sim.Player
	var ended []arena.Event
	for range 20000 {
		if _, over := g.Over(); over {
			break
		}
		players = g.World().AppendPlayers(players[:0])
		for _, ev := range g.Step(bt.inputs(g.World(), players, nil)) {
			e, _, err := arena.ParseEvent(ev.Data)
			require.NoError(t, err)
			if e.Type == arena.EventMatchEnd {
				ended = append(ended, e)
			}
		}
	}
	res, over := g.Over()
	require.True(t, over)
	require.Equal(t, "score_limit", res.Reason)
	require.Len(t, ended, 1)
	require.Equal(t, sim.EndScoreLimit, ended[0].Reason)
	require.Len(t, res.Scores, 4)
	top := 0
	for i, s := range res.Scores {
		require.Equal(t, names[i], s.Name)
		top = max(top, s.Score)
	}
	require.Equal(t, 2, top)
	g.Leave(3)
	g.Leave(3)
	require.Len(t, g.Scores(), 3)
}

func TestGameInputHandling(t *testing.T) {
	g := benchGame(t, 2, 1)
	// Garbage is counted and replaced by the last good input.
	g.Step([]gameserver.PlayerInput{{Slot: 0, Input: input(t, sim.Input{MoveX: sim.MaxMove})}})
	g.Step([]gameserver.PlayerInput{{Slot: 0, Input: []byte{0xff}}, {Slot: 99, Input: nil}})
	require.Equal(t, uint64(1), g.InvalidInputs())
	p, _ := g.World().Player(0)
	require.Positive(t, p.VX, "kept moving on the last good input")
	// A repeated input does not fire the rail again.
	for range 200 {
		g.Step(nil) // let spawn protection and cooldowns run out
	}
	alt := input(t, sim.Input{AltFire: true})
	g.Step([]gameserver.PlayerInput{{Slot: 0, Input: alt, Repeated: true}})
	require.Empty(t, g.World().Beams())
	g.Step([]gameserver.PlayerInput{{Slot: 0, Input: alt}})
	require.Len(t, g.World().Beams(), 1)
}

// Def announces exactly Arena's modes, with their player counts and teams, and its factory
// plays each of them.
func TestDef(t *testing.T) {
	d := Def(30)
	require.NoError(t, d.Validate())
	require.Equal(t, "arena", d.Name)
	require.Len(t, d.Modes, len(arena.Modes()))
	for i, m := range arena.Modes() {
		spec := d.Modes[i]
		require.Equal(t, gameserver.ModeSpec{Name: m.Name, Title: m.Title, MinPlayers: m.MinPlayers,
			MaxPlayers: m.MaxPlayers, Teams: m.Teams, FillTimeout: m.FillTimeout}, spec)
		require.NotEmpty(t, spec.Title, m.Name)
		g, err := d.New(spec.Name, spec.MaxPlayers, 1)
		require.NoError(t, err, m.Name)
		require.Equal(t, 30, g.(*Game).World().Config().TickRate)
	}
	ffa, ok := d.Mode("ffa")
	require.True(t, ok)
	require.Equal(t, 16, ffa.MaxPlayers)
}
