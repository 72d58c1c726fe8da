package arenahost

import (
	"testing"

	"github.com/skirmish-go/skirmish/gameserver"
	"github.com/skirmish-go/skirmish/gameserver/arena"
	"github.com/skirmish-go/skirmish/gameserver/sim"
	"github.com/skirmish-go/skirmish/gameserver/snapshot"
	"github.com/stretchr/testify/require"
)

// Arena's modes as other packages (the lobby, the client's screens) rely on them.
func TestModesTable(t *testing.T) {
	type limits struct{ min, max, teams int }
	want := map[string]limits{
		"ffa": {2, 16, 0}, "teams": {4, 16, 2}, "duel": {2, 2, 0}, "quick": {2, 8, 0}, "large": {16, 64, 2},
	}
	got := map[string]limits{}
	for _, m := range arena.Modes() {
		got[m.Name] = limits{m.MinPlayers, m.MaxPlayers, m.Teams}
		require.NotEmpty(t, m.Title, m.Name)
		require.Positive(t, m.FillTimeout, m.Name)
		require.LessOrEqual(t, m.MaxPlayers, sim.MaxPlayers, m.Name)
		require.False(t, m.FriendlyFire, "%s: Arena's team modes spare teammates", m.Name)

		// The map seats MaxPlayers apart: a spawn point each, and in two-team modes a half
		// map's worth for each team.
		mp, err := arena.LoadMap(m.Name)
		require.NoError(t, err, m.Name)
		require.GreaterOrEqual(t, len(mp.Spawns), m.MaxPlayers, m.Name)
		if m.Teams == 2 {
			var west, east int
			for _, s := range mp.Spawns {
				switch {
				case 2*s.X < mp.Width:
					west++
				case 2*s.X > mp.Width:
					east++
				}
			}
			require.GreaterOrEqual(t, min(west, east), (m.MaxPlayers+1)/2, m.Name)
		}
		for _, n := range []int{m.MinPlayers, m.MaxPlayers} {
			cfg, err := arena.ModeConfig(m.Name, n, arena.DefaultTickRate)
			require.NoError(t, err, m.Name)
			require.Equal(t, m.Teams, cfg.Teams)
			require.Equal(t, m.FriendlyFire, cfg.FriendlyFire)
			g, err := New(m.Name, n, 1)
			require.NoError(t, err, m.Name)
			require.NoError(t, g.Schema().Validate())
		}
	}
	require.Equal(t, want, got)
	def, err := arena.FindMode("")
	require.NoError(t, err)
	require.Equal(t, "ffa", def.Name)
}

// A world at its limits (every seat taken, every shot alive) is one snapshot's worth of
// entities, and every entity ID and slot fits its field.
func TestWorldFitsSnapshot(t *testing.T) {
	require.LessOrEqual(t, sim.MaxPlayers+sim.MaxShots, snapshot.MaxEntities)
	p := arena.PlayerEntity(&sim.Player{Slot: sim.MaxPlayers - 1, Team: sim.MaxTeams - 1})
	require.Equal(t, sim.Player{Slot: sim.MaxPlayers - 1, Team: sim.MaxTeams - 1}, arena.PlayerFromEntity(&p))
	s := arena.ProjectileEntity(&sim.Projectile{ID: 0xffff, Owner: sim.MaxPlayers - 1})
	require.Equal(t, uint8(sim.MaxPlayers-1), arena.ProjectileFromEntity(&s, 0).Owner)
	b := arena.BeamEntity(&sim.Beam{ID: 0xffff, Owner: sim.MaxPlayers - 1, Victim: sim.MaxPlayers - 1})
	got := arena.BeamFromEntity(&b, 0)
	require.Equal(t, [2]int{sim.MaxPlayers - 1, sim.MaxPlayers - 1}, [2]int{int(got.Owner), int(got.Victim)})
	for _, e := range []snapshot.Entity{p, s, b} {
		snap := &snapshot.Snapshot{Entities: []snapshot.Entity{e}}
		_, err := arena.Schema().AppendDelta(nil, nil, snap)
		require.NoError(t, err)
	}
}

// 64 players join the large mode through the Game interface, as a game server seats them
// from the lobby's tickets: everyone spawns on the first tick in free space (clear of walls,
// no two bodies overlapping), each team in its own half, and the world goes out as one
// valid snapshot.
func TestLargeModeSeats64(t *testing.T) {
	const n = 64
	for seed := range uint64(3) {
		g, err := New("large", n, seed)
		require.NoError(t, err)
		ag := g.(*Game)
		for i := range n {
			require.NoError(t, g.Join(gameserver.Player{Slot: uint8(i), Team: uint8(i / (n / 2)), Name: "bot"}))
		}
		g.Step(nil)
		w := ag.World()
		m := w.Map()
		ps := w.AppendPlayers(nil)
		require.Len(t, ps, n)
		for i, p := range ps {
			require.True(t, p.Alive, "slot %d", p.Slot)
			require.Equal(t, uint8(i/(n/2)), p.Team, "the lobby's teams are kept")
			require.True(t, m.Clear(p.X/sim.SubPixels, p.Y/sim.SubPixels, sim.PlayerRadius), "slot %d in a wall", p.Slot)
			require.Equal(t, p.Team == 0, p.X < m.Width*sim.SubPixels/2, "slot %d on its side", p.Slot)
			for _, q := range ps[:i] {
				dx, dy := int64(p.X-q.X), int64(p.Y-q.Y)
				const d = 2 * sim.PlayerRadius * sim.SubPixels
				require.GreaterOrEqual(t, dx*dx+dy*dy, int64(d*d), "slots %d and %d overlap", p.Slot, q.Slot)
			}
		}
		ents := g.AppendEntities(nil)
		require.Len(t, ents, n)
		snap := &snapshot.Snapshot{Tick: w.Tick(), Entities: ents}
		b, err := g.Schema().AppendDelta(nil, nil, snap)
		require.NoError(t, err)
		var out snapshot.Snapshot
		require.NoError(t, g.Schema().ParseDelta(b, nil, &out))
		require.Equal(t, ents, out.Entities)
	}
}

// A team match played by bots to its score limit: no hit ever lands on a teammate, the
// result carries every player's team, and the winning team's frags reach the limit.
func TestTeamsMatchResult(t *testing.T) {
	const n, limit = 8, 10
	m, err := arena.LoadMap("teams")
	require.NoError(t, err)
	cfg, err := arena.ModeConfig("teams", n, arena.DefaultTickRate)
	require.NoError(t, err)
	cfg.ScoreLimit, cfg.TimeLimit = limit, -1
	g, err := NewWithConfig(cfg, m, 4)
	require.NoError(t, err)
	for i := range n {
		require.NoError(t, g.Join(gameserver.Player{Slot: uint8(i), Team: uint8(i % 2), Name: "bot"}))
	}
	bt := newBots(4)
	var players []sim.Player
	hits := 0
	for range 60 * 60 * 5 {
		if _, over := g.Over(); over {
			break
		}
		players = g.World().AppendPlayers(players[:0])
		for _, ev := range g.Step(bt.inputs(g.World(), players, nil)) {
			e, _, err := arena.ParseEvent(ev.Data)
			require.NoError(t, err)
			if e.Type == arena.EventHit || e.Type == arena.EventKill {
				a, _ := g.World().Player(e.Player)
				v, _ := g.World().Player(e.Victim)
				require.NotEqual(t, a.Team, v.Team, "%v of a teammate", e.Type)
				hits++
			}
		}
	}
	res, over := g.Over()
	require.True(t, over)
	require.Equal(t, "score_limit", res.Reason)
	require.Positive(t, hits)
	var team [2]int
	for _, s := range res.Scores {
		require.Less(t, int(s.Team), 2)
		team[s.Team] += s.Score
	}
	require.Equal(t, limit, max(team[0], team[1]))
	require.Less(t, min(team[0], team[1]), limit)
	require.Equal(t, int32(team[0]), g.World().TeamScore(0))
	require.Equal(t, int32(team[1]), g.World().TeamScore(1))
}
