package sim

import (
	"math/rand/v2"
	"testing"

	"github.com/skirmish-go/skirmish/assets"
	"github.com/stretchr/testify/require"
)

func teamSizes(w *World) []int {
	sizes := make([]int, max(w.Teams(), 1))
	for _, p := range w.AppendPlayers(nil) {
		sizes[p.Team]++
	}
	return sizes
}

func TestTeamJoinBalance(t *testing.T) {
	newWorld := func(n int) *World {
		w, err := NewWorld(Config{MaxPlayers: n, Teams: 2}, arenaMap(t), 1)
		require.NoError(t, err)
		return w
	}
	// Everyone asks for team 0: the second half goes to team 1.
	w := newWorld(16)
	for i := range 16 {
		require.NoError(t, w.Join(uint8(i), 0))
	}
	require.Equal(t, []int{8, 8}, teamSizes(w))

	// The lobby's draft (slots sorted by team) is kept exactly, in any join order.
	w = newWorld(10)
	for _, i := range []int{9, 0, 1, 2, 8, 3, 4, 7, 6, 5} {
		require.NoError(t, w.Join(uint8(i), uint8(i/5)))
	}
	for i := range 10 {
		p, _ := w.Player(uint8(i))
		require.Equal(t, uint8(i/5), p.Team, "slot %d", i)
	}

	// Teams that do not exist go to the smaller team; an odd match differs by one.
	w = newWorld(5)
	for i, team := range []uint8{7, 200, 1, 1, 9} {
		require.NoError(t, w.Join(uint8(i), team))
	}
	require.Equal(t, []int{2, 3}, teamSizes(w))

	// Random requests in random order, with leaves and rejoins: a full match is balanced.
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		n := 4 + rng.IntN(13)
		w = newWorld(n)
		for _, i := range rng.Perm(n) {
			require.NoError(t, w.Join(uint8(i), uint8(rng.IntN(4))))
		}
		for range rng.IntN(4) {
			slot := uint8(rng.IntN(n))
			w.Leave(slot)
			require.NoError(t, w.Join(slot, uint8(rng.IntN(3))))
		}
		s := teamSizes(w)
		require.LessOrEqual(t, max(s[0], s[1])-min(s[0], s[1]), 1, "%d players: %v", n, s)
	}

	// Free for all keeps the lobby's numbering.
	w, err := NewWorld(Config{MaxPlayers: 4}, arenaMap(t), 1)
	require.NoError(t, err)
	require.NoError(t, w.Join(2, 2))
	p, _ := w.Player(2)
	require.Equal(t, uint8(2), p.Team)
	require.Zero(t, w.Teams())
}

// lineUp seats a shooter (team 0), a teammate in the line of fire and an enemy behind it on
// the box map, all alive and unprotected.
func lineUp(t *testing.T, ff bool) *World {
	w, err := NewWorld(Config{MaxPlayers: 4, Teams: 2, FriendlyFire: ff, ScoreLimit: -1}, boxMap(), 1)
	require.NoError(t, err)
	for slot, team := range []uint8{0, 0, 1, 1} {
		require.NoError(t, w.Join(uint8(slot), team))
	}
	spawnAt(t, w, 0, 100, 300)
	spawnAt(t, w, 1, 200, 300)
	spawnAt(t, w, 2, 300, 300)
	spawnAt(t, w, 3, 900, 500)
	for range 3 {
		w.Step(nil) // history for the rail's lag compensation
	}
	return w
}

func hitsOf(evs []Event) map[uint8]int {
	out := map[uint8]int{}
	for _, e := range eventsOf(evs, EventHit) {
		out[e.Victim] += int(e.Damage)
	}
	return out
}

func TestNoFriendlyFire(t *testing.T) {
	for _, weapon := range []string{"projectile", "rail"} {
		t.Run(weapon, func(t *testing.T) {
			w := lineUp(t, false)
			in := []Input{{Fire: weapon == "projectile", AltFire: weapon == "rail", ViewTick: uint16(w.Tick())}}
			var evs []Event
			for range 30 {
				evs = append(evs, w.Step(in)...)
				in[0].Fire, in[0].AltFire = false, false
			}
			hits := hitsOf(evs)
			require.Zero(t, hits[1], "teammate untouched")
			require.Positive(t, hits[2], "the shot went through the teammate into the enemy")
			mate, _ := w.Player(1)
			require.Equal(t, int32(maxHealth), mate.Health)
		})
	}
}

func TestFriendlyFire(t *testing.T) {
	for _, weapon := range []string{"projectile", "rail"} {
		t.Run(weapon, func(t *testing.T) {
			w := lineUp(t, true)
			w.players[1].Health = 10
			in := []Input{{Fire: weapon == "projectile", AltFire: weapon == "rail", ViewTick: uint16(w.Tick())}}
			var evs []Event
			for range 30 {
				evs = append(evs, w.Step(in)...)
				in[0].Fire, in[0].AltFire = false, false
			}
			hits := hitsOf(evs)
			require.Positive(t, hits[1], "teammate hit")
			require.Zero(t, hits[2], "the teammate stopped the shot")
			kills := eventsOf(evs, EventKill)
			require.Len(t, kills, 1)
			require.Equal(t, uint8(1), kills[0].Victim)
			shooter, _ := w.Player(0)
			mate, _ := w.Player(1)
			require.Zero(t, shooter.Score, "a teamkill scores nothing")
			require.Zero(t, shooter.Kills)
			require.Equal(t, int32(1), mate.Deaths)
			require.Zero(t, w.TeamScore(0))
		})
	}
}

// Team frags add up to a team score; the first team to the limit wins the match even though
// no single player reached it.
func TestTeamScoreLimit(t *testing.T) {
	w, err := NewWorld(Config{MaxPlayers: 4, Teams: 2, ScoreLimit: 2}, boxMap(), 1)
	require.NoError(t, err)
	for slot, team := range []uint8{0, 0, 1, 1} {
		require.NoError(t, w.Join(uint8(slot), team))
	}
	kill := func(shooter, victim uint8) []Event {
		spawnAt(t, w, shooter, 100, 300)
		v := spawnAt(t, w, victim, 300, 300)
		v.Health = 10
		for other := range uint8(4) {
			if other != shooter && other != victim {
				spawnAt(t, w, other, 900, 100+400*int32(other%2))
			}
		}
		in := make([]Input, 4)
		in[shooter] = Input{Fire: true}
		var evs []Event
		for range 30 {
			evs = append(evs, w.Step(in)...)
			in[shooter].Fire = false
		}
		return evs
	}
	require.Len(t, eventsOf(kill(0, 2), EventKill), 1)
	require.Equal(t, [2]int32{1, 0}, [2]int32{w.TeamScore(0), w.TeamScore(1)})
	_, over := w.Over()
	require.False(t, over)
	evs := kill(1, 3)
	require.Equal(t, [2]int32{2, 0}, [2]int32{w.TeamScore(0), w.TeamScore(1)})
	reason, over := w.Over()
	require.True(t, over)
	require.Equal(t, EndScoreLimit, reason)
	require.Len(t, eventsOf(evs, EventMatchEnd), 1)
	for _, p := range w.AppendPlayers(nil) {
		require.Less(t, p.Score, int32(2), "no single player reached the limit")
	}
}

// loadMap parses an embedded map.
func loadMap(t testing.TB, name string) *Map {
	t.Helper()
	src, err := assets.Map(name)
	require.NoError(t, err)
	m, err := ParseMap(src)
	require.NoError(t, err)
	return m
}

// requireSpawnedApart steps w once and checks every seated player is alive, in free space
// (clear of walls, no two bodies overlapping) and, with sides, in its team's half.
func requireSpawnedApart(t *testing.T, w *World, sides bool) {
	t.Helper()
	w.Step(nil)
	ps := w.AppendPlayers(nil)
	for i, p := range ps {
		require.True(t, p.Alive, "slot %d", p.Slot)
		require.True(t, w.m.clear(p.X, p.Y, playerRadius), "slot %d in a wall", p.Slot)
		if sides {
			west := 2*p.X < w.m.Width*SubPixels
			require.Equal(t, p.Team == 0, west, "slot %d of team %d at x=%d", p.Slot, p.Team, p.X/SubPixels)
		}
		for _, q := range ps[:i] {
			dx, dy := int64(p.X-q.X), int64(p.Y-q.Y)
			require.GreaterOrEqual(t, dx*dx+dy*dy, 4*int64(playerRadius)*int64(playerRadius),
				"slots %d and %d overlap", p.Slot, q.Slot)
		}
	}
}

func TestSpawnCapacity(t *testing.T) {
	for _, tc := range []struct {
		name    string
		m       string
		players int
		teams   int
	}{
		{"ffa 16 on arena", "arena", 16, 0},
		{"teams 8v8 on arena", "arena", 16, 2},
		{"ffa 64 on large", "large", 64, 0},
		{"teams 32v32 on large", "large", 64, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for seed := range uint64(5) {
				w, err := NewWorld(Config{MaxPlayers: tc.players, Teams: tc.teams}, loadMap(t, tc.m), seed)
				require.NoError(t, err)
				for i := range tc.players {
					require.NoError(t, w.Join(uint8(i), uint8(i%2)))
				}
				requireSpawnedApart(t, w, tc.teams == 2)
			}
		})
	}
}

// When a team's half is full, a player spawns wherever there is room rather than on a
// teammate.
func TestTeamSpawnOverflow(t *testing.T) {
	m := &Map{Name: "two", Width: 1000, Height: 600,
		Spawns: []Point{{X: 100, Y: 100}, {X: 900, Y: 100}, {X: 900, Y: 500}}}
	w, err := NewWorld(Config{MaxPlayers: 4, Teams: 2}, m, 1)
	require.NoError(t, err)
	require.NoError(t, w.Join(0, 0))
	require.NoError(t, w.Join(1, 0))
	w.Step(nil)
	a, _ := w.Player(0)
	b, _ := w.Player(1)
	require.True(t, a.Alive && b.Alive)
	require.NotEqual(t, [2]int32{a.X, a.Y}, [2]int32{b.X, b.Y})
}
