package arenahost

import (
	"math/rand/v2"
	"testing"

	"github.com/skirmish-go/skirmish/gameserver"
	"github.com/skirmish-go/skirmish/gameserver/arena"
	"github.com/skirmish-go/skirmish/gameserver/sim"
	"github.com/stretchr/testify/require"
)

// bots plays every seat like a simple bot: run in a direction for a second or so, aim at the
// nearest living enemy with some wobble, fire when one is within reach, rail now and then.
// It sees the world 6 ticks late (100 ms), as a client would.
type bots struct {
	rng   *rand.Rand
	moves [sim.MaxPlayers][2]int8
	until [sim.MaxPlayers]uint32
}

func newBots(seed uint64) *bots { return &bots{rng: rand.New(rand.NewPCG(seed, seed^0x5eed))} }

func (bt *bots) inputs(w *sim.World, players []sim.Player, dst []gameserver.PlayerInput) []gameserver.PlayerInput {
	dst = dst[:0]
	tick := w.Tick()
	for i := range players {
		p := &players[i]
		if tick >= bt.until[p.Slot] {
			bt.moves[p.Slot] = [2]int8{int8(bt.rng.IntN(3)-1) * sim.MaxMove, int8(bt.rng.IntN(3)-1) * sim.MaxMove}
			bt.until[p.Slot] = tick + 30 + uint32(bt.rng.IntN(60))
		}
		in := sim.Input{MoveX: bt.moves[p.Slot][0], MoveY: bt.moves[p.Slot][1], Aim: p.Aim,
			ViewTick: uint16(tick - 6), ViewFrac: uint8(bt.rng.Uint32())}
		best, bestD := -1, int64(1)<<62
		for j := range players {
			q := &players[j]
			if j == i || !q.Alive || w.Teams() > 0 && q.Team == p.Team {
				continue
			}
			dx, dy := int64(q.X-p.X), int64(q.Y-p.Y)
			if d := dx*dx + dy*dy; d < bestD {
				best, bestD = j, d
			}
		}
		if best >= 0 && p.Alive {
			q := &players[best]
			in.Aim = sim.AimAt(p.X, p.Y, q.X, q.Y) + uint16(bt.rng.IntN(1200)) - 600
			const reach = 700 * sim.SubPixels
			in.Fire = bestD < reach*reach
			in.AltFire = bt.rng.IntN(40) == 0
		}
		b, _ := in.AppendBinary(nil)
		dst = append(dst, gameserver.PlayerInput{Slot: p.Slot, Input: b})
	}
	return dst
}

// record plays a match of n bots in mode for ticks ticks and returns every tick's inputs.
func record(t testing.TB, mode string, n, ticks int, seed uint64) [][]gameserver.PlayerInput {
	g := benchGameIn(t, mode, n, seed)
	bt := newBots(seed)
	var players []sim.Player
	out := make([][]gameserver.PlayerInput, 0, ticks)
	for range ticks {
		players = g.World().AppendPlayers(players[:0])
		in := bt.inputs(g.World(), players, nil)
		out = append(out, in)
		g.Step(in)
	}
	return out
}

// benchGame is a match of n seated players on the arena map without score or time limit.
func benchGame(t testing.TB, n int, seed uint64) *Game { return benchGameIn(t, "ffa", n, seed) }

// benchGameIn is a match of n seated players in mode (its map, teams and friendly fire)
// without score or time limit.
func benchGameIn(t testing.TB, mode string, n int, seed uint64) *Game {
	cfg, err := arena.ModeConfig(mode, n, arena.DefaultTickRate)
	require.NoError(t, err)
	cfg.ScoreLimit, cfg.TimeLimit = -1, -1
	m, err := arena.LoadMap(mode)
	require.NoError(t, err)
	g, err := NewWithConfig(cfg, m, seed)
	require.NoError(t, err)
	for i := range n {
		require.NoError(t, g.Join(gameserver.Player{Slot: uint8(i), Team: uint8(i % 2), Name: "bot"}))
	}
	return g
}
