// Package playbacktest records Arena replays in memory for the tests of the replay
// playback (package client/playback, cmd/client -replay): a match of simple bots played
// with the shared rules (sim.World stepped with arena.Inputs, exactly as the game server
// steps it) and written with the replay package's Encoder, checksums every second and the
// result included. It links nothing of the game server.
package playbacktest

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/skirmish-go/skirmish/gameserver/arena"
	"github.com/skirmish-go/skirmish/gameserver/replay"
	"github.com/skirmish-go/skirmish/gameserver/sim"
	"github.com/skirmish-go/skirmish/gameserver/wire"
)

// Match describes the match to record. Zero fields mean: mode "ffa", 4 players, 30 s,
// tick rate 60.
type Match struct {
	Mode     string
	Players  int
	Seconds  int
	TickRate int
	Seed     uint64
	// LeaveAt, if positive, is the tick at which the last player leaves; JoinAt, if
	// positive, the tick at which they join again (under another name).
	LeaveAt, JoinAt uint32
}

// Record plays m and returns its replay file.
func Record(m Match) ([]byte, error) {
	if m.Mode == "" {
		m.Mode = "ffa"
	}
	if m.Players <= 0 {
		m.Players = 4
	}
	if m.Seconds <= 0 {
		m.Seconds = 30
	}
	if m.TickRate <= 0 {
		m.TickRate = arena.DefaultTickRate
	}
	cfg, err := arena.ModeConfig(m.Mode, m.Players, m.TickRate)
	if err != nil {
		return nil, err
	}
	mp, err := arena.LoadMap(m.Mode)
	if err != nil {
		return nil, err
	}
	w, err := sim.NewWorld(cfg, mp, m.Seed)
	if err != nil {
		return nil, err
	}
	enc, err := replay.NewEncoder(replay.Header{Game: "arena", Mode: m.Mode, Map: mp.Name, MatchID: [16]byte{0xfa, 15: byte(m.Seed)},
		Seed: m.Seed, TickRate: m.TickRate, MaxPlayers: m.Players, ChecksumEvery: m.TickRate})
	if err != nil {
		return nil, err
	}
	var (
		ins     arena.Inputs
		names   [sim.MaxPlayers]string
		present [sim.MaxPlayers]bool
		rng     = rand.New(rand.NewPCG(m.Seed, 0xb07))
		step    []replay.Input
	)
	join := func(tick uint32, slot uint8, name string) error {
		team := uint8(int(slot) % 2)
		if err := w.Join(slot, team); err != nil {
			return err
		}
		ins.Reset(slot)
		names[slot], present[slot] = name, true
		return enc.Join(tick, replay.Player{Slot: slot, Team: team, Name: name})
	}
	for i := range m.Players {
		if err := join(0, uint8(i), fmt.Sprintf("bot%d", i+1)); err != nil {
			return nil, err
		}
	}
	last := uint8(m.Players - 1)
	ticks := uint32(m.Seconds * m.TickRate)
	tick := uint32(0)
	for ; tick < ticks; tick++ {
		if _, over := w.Over(); over {
			break
		}
		if m.LeaveAt > 0 && tick == m.LeaveAt {
			w.Leave(last)
			present[last] = false
			if err := enc.Leave(tick, last); err != nil {
				return nil, err
			}
		}
		if m.JoinAt > 0 && tick == m.JoinAt {
			if err := join(tick, last, "late"); err != nil {
				return nil, err
			}
		}
		step = step[:0]
		ins.Begin()
		for slot := range m.Players {
			if !present[slot] {
				continue
			}
			in := replay.Input{Slot: uint8(slot)}
			if rng.IntN(8) == 0 { // the server had no fresh input: it repeats the last one
				in.Repeated = true
			} else {
				in.Data, _ = brain(w, uint8(slot), rng).AppendBinary(nil)
			}
			step = append(step, in)
		}
		for _, in := range step {
			ins.Set(in.Slot, in.Data, in.Repeated)
		}
		if err := enc.Tick(tick, step); err != nil {
			return nil, err
		}
		w.Step(ins.Step())
		if (tick+1)%uint32(m.TickRate) == 0 {
			if err := enc.Checksum(tick+1, w.Hash()); err != nil {
				return nil, err
			}
		}
	}
	res := wire.Result{Reason: "abandoned"}
	if r, over := w.Over(); over {
		res.Reason = r.String()
	}
	for _, p := range w.AppendPlayers(nil) {
		res.Scores = append(res.Scores, wire.PlayerScore{Slot: p.Slot, Team: p.Team, Name: names[p.Slot],
			Score: int(p.Score), Kills: int(p.Kills), Deaths: int(p.Deaths)})
	}
	if err := enc.End(tick, res); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if _, err := enc.WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// brain is a bot: run at the nearest living opponent and circle them, aim at them, fire,
// and now and then the rail; wander a little.
func brain(w *sim.World, slot uint8, rng *rand.Rand) sim.Input {
	me, ok := w.Player(slot)
	if !ok || !me.Alive {
		return sim.Input{}
	}
	best, bestD := sim.Player{}, math.Inf(1)
	for _, p := range w.AppendPlayers(nil) {
		if p.Slot == slot || !p.Alive || (w.Teams() > 1 && p.Team == me.Team) {
			continue
		}
		if d := math.Hypot(float64(p.X-me.X), float64(p.Y-me.Y)); d < bestD {
			best, bestD = p, d
		}
	}
	in := sim.Input{MoveX: int8(rng.IntN(2*sim.MaxMove+1) - sim.MaxMove), MoveY: int8(rng.IntN(2*sim.MaxMove+1) - sim.MaxMove),
		ViewTick: uint16(w.Tick())}
	if math.IsInf(bestD, 1) {
		return in
	}
	dx, dy := float64(best.X-me.X), float64(best.Y-me.Y)
	a := math.Atan2(dy, dx) / (2 * math.Pi)
	in.Aim = uint16(int64(math.Round((a-math.Floor(a))*65536)) & 0xffff)
	// Close in from afar; near, circle the target (each bot its own way round) so the bots
	// do not end up stacked on one another.
	ux, uy := dx/bestD, dy/bestD
	if bestD < 220*sim.SubPixels {
		turn := float64(1 - 2*int(slot%2))
		ux, uy = -uy*turn, ux*turn
	}
	in.MoveX = int8(max(-sim.MaxMove, min(sim.MaxMove, int(ux*sim.MaxMove)+rng.IntN(41)-20)))
	in.MoveY = int8(max(-sim.MaxMove, min(sim.MaxMove, int(uy*sim.MaxMove)+rng.IntN(41)-20)))
	in.Fire = true
	in.AltFire = rng.IntN(40) == 0
	return in
}
