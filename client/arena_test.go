package client

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/gameserver/arena"
	"github.com/skirmish-go/skirmish/gameserver/sim"
	"github.com/skirmish-go/skirmish/gameserver/snapshot"
	"github.com/skirmish-go/skirmish/gameserver/wire"
)

// TestArenaPredictionIsExact steps a real sim.World and predicts slot 0 from each snapshot
// entity with the client's rules: every predicted tick equals the server's.
func TestArenaPredictionIsExact(t *testing.T) {
	m, err := arena.LoadMap("ffa")
	require.NoError(t, err)
	w, err := sim.NewWorld(sim.Config{}, m, 1)
	require.NoError(t, err)
	require.NoError(t, w.Join(0, 0))
	require.NoError(t, w.Join(1, 1))
	r, err := NewArenaRules(wire.Welcome{TickRate: 60, Players: 2, Mode: "ffa"})
	require.NoError(t, err)

	rng := rand.New(rand.NewPCG(3, 3))
	ctl := Controls{}
	compared := 0
	for tick := range 1200 {
		if tick%20 == 0 {
			ctl = Controls{Move: Vec{rng.Float64()*2 - 1, rng.Float64()*2 - 1}, Aim: rng.Float64() * 7}
		}
		in := r.AppendInput(nil, ctl, 0)
		before, ok := w.Player(0)
		require.True(t, ok)
		e := arena.PlayerEntity(&before)
		snap := &snapshot.Snapshot{Entities: []snapshot.Entity{e}}
		st, ok := r.Player(snap, 0)
		require.True(t, ok)
		parsed, _, err := sim.ParseInput(in)
		require.NoError(t, err)
		w.Step([]sim.Input{parsed})
		after, _ := w.Player(0)
		if !before.Alive || !after.Alive {
			continue
		}
		got := r.Step(st, in)
		require.Equal(t, [4]int32{after.X, after.Y, after.VX, after.VY}, [4]int32{got.X, got.Y, got.VX, got.VY}, "tick %d", tick)
		compared++
	}
	assert.Greater(t, compared, 1000)
}

func TestArenaInputEncoding(t *testing.T) {
	r, err := NewArenaRules(wire.Welcome{TickRate: 60, Players: 1})
	require.NoError(t, err)
	b := r.AppendInput(nil, Controls{Move: Vec{3, 0}, Aim: math.Pi / 2, Fire: true}, 1000.5)
	in, n, err := sim.ParseInput(b)
	require.NoError(t, err)
	assert.Equal(t, sim.InputSize, n)
	assert.Equal(t, int8(127), in.MoveX, "clamped to the unit circle")
	assert.Equal(t, int8(0), in.MoveY)
	assert.Equal(t, uint16(sim.TurnQuarter), in.Aim, "+y is a quarter turn clockwise")
	assert.True(t, in.Fire)
	assert.False(t, in.AltFire)
	assert.Equal(t, uint16(1000), in.ViewTick)
	assert.Equal(t, uint8(128), in.ViewFrac)
	assert.Equal(t, uint16(0), aimUnits(2*math.Pi))
	assert.InDelta(t, math.Pi, aimRadians(aimUnits(-math.Pi)), 1e-3)
}

func TestArenaFillScene(t *testing.T) {
	ffa, err := NewArenaRules(wire.Welcome{TickRate: 60, Mode: "ffa", Players: 2})
	require.NoError(t, err)
	assert.Zero(t, ffa.(*arenaRules).teams)
	large, err := NewArenaRules(wire.Welcome{TickRate: 60, Mode: "large", Players: 64})
	require.NoError(t, err)
	assert.Equal(t, 2, large.(*arenaRules).teams)
	assert.Equal(t, Vec{3200, 2400}, large.(*arenaRules).world, "the large mode's own map")
	r, err := NewArenaRules(wire.Welcome{TickRate: 60, Mode: "teams", Players: 4})
	require.NoError(t, err)
	p0 := sim.Player{Slot: 0, Team: 0, Alive: true, X: 100 * sim.SubPixels, Y: 100 * sim.SubPixels, Health: 80, Score: 2}
	p1 := sim.Player{Slot: 1, Team: 1, Alive: true, X: 500 * sim.SubPixels, Y: 500 * sim.SubPixels, Health: 100, Score: 3}
	from := &snapshot.Snapshot{Tick: 100, Entities: []snapshot.Entity{arena.PlayerEntity(&p0), arena.PlayerEntity(&p1)}}
	p0.X += 20 * sim.SubPixels
	p1.X, p1.Alive = 50*sim.SubPixels, true // teleported (respawn): not interpolated
	shot := sim.Projectile{ID: 70, Owner: 1, X0: 200 * sim.SubPixels, Y0: 200 * sim.SubPixels, VX: 16, SpawnTick: 100}
	to := &snapshot.Snapshot{Tick: 102, Entities: []snapshot.Entity{arena.PlayerEntity(&p0), arena.PlayerEntity(&p1), arena.ProjectileEntity(&shot)}}
	var names [256]string
	names[0], names[1] = "ann", "bob"
	var sc Scene
	r.FillScene(&sc, from, to, 0.5, &names)
	require.Len(t, sc.Players, 2)
	assert.Equal(t, "ann", sc.Players[0].Name)
	assert.InDelta(t, 110, sc.Players[0].Pos.X, 1e-9)
	assert.InDelta(t, 50, sc.Players[1].Pos.X, 1e-9)
	require.Len(t, sc.Projectiles, 1)
	assert.InDelta(t, 201, sc.Projectiles[0].Pos.X, 1e-9, "one tick of flight at 1 px per tick")
	assert.Equal(t, uint8(1), sc.Projectiles[0].Team)
	assert.Equal(t, []int{2, 3}, sc.TeamScores)
	assert.Equal(t, 2, sc.Teams)
	assert.Equal(t, Vec{1600, 1000}, sc.World)
	assert.NotEmpty(t, sc.Walls)
}

func TestArenaEvents(t *testing.T) {
	r, err := NewArenaRules(wire.Welcome{TickRate: 60, Mode: "ffa", Players: 2})
	require.NoError(t, err)
	var names [256]string
	names[0], names[1] = "ann", "bob"
	p1 := sim.Player{Slot: 1, Alive: true, X: 320 * sim.SubPixels, Y: 160 * sim.SubPixels}
	latest := &snapshot.Snapshot{Entities: []snapshot.Entity{arena.PlayerEntity(&p1)}}
	var sc Scene
	kill := arena.Event{Type: arena.EventKill, Player: 0, Victim: 1, Weapon: sim.WeaponRail}
	b, err := kill.Append(nil)
	require.NoError(t, err)
	r.Event(&sc, b, &names, latest)
	require.Len(t, sc.KillFeed, 1)
	assert.Equal(t, KillFeedEntry{Killer: "ann", Victim: "bob", KillerTeam: 0, VictimTeam: 1, Weapon: "rail"}, sc.KillFeed[0])
	require.Len(t, sc.Effects, 1)
	assert.Equal(t, EffectDeath, sc.Effects[0].Kind)
	assert.Equal(t, Vec{320, 160}, sc.Effects[0].Pos)
	r.Event(&sc, []byte{0xff}, &names, latest) // garbage is ignored
	assert.Len(t, sc.KillFeed, 1)
}

// A team match's results screen counts the teams' scores from the server's final scoreboard.
func TestTeamTotals(t *testing.T) {
	final := []ScoreLine{{Team: 1, Score: 4}, {Team: 0, Score: 2}, {Team: 1, Score: 3}, {Team: 0, Score: 5}, {Team: 9, Score: 7}}
	assert.Equal(t, []int{7, 7}, teamTotals(nil, 2, final))
	assert.Equal(t, []int{1, 7, 7}, teamTotals([]int{1}, 2, final), "appends")
	assert.Empty(t, teamTotals(nil, 0, final))
}
