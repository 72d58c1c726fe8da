package client

import (
	"fmt"
	"time"

	"github.com/skirmish-go/skirmish/gameserver/snapshot"
	"github.com/skirmish-go/skirmish/gameserver/walkers"
	"github.com/skirmish-go/skirmish/gameserver/wire"
)

// WatchOnly is implemented by the [Rules] of a game whose players send no input (walkers:
// they only watch). A [Conn] with such rules makes no inputs and predicts nothing; it
// acknowledges snapshots with a wire.SpectatorAck every [AckInterval] (which also stands in for
// netcode.io's keep-alives) and flushes at once when reliable messages arrive, so the server
// frees them promptly.
type WatchOnly interface {
	WatchOnly() bool
}

// AckInterval is how often a watch-only client acknowledges snapshots: 10 Hz, the rate
// netcode.io would send keep-alives anyway. Acknowledging every snapshot would let the
// server delta against a newer baseline (a few bytes less per snapshot) at the cost of three
// times the upstream packets, each of which costs the server a receive and a decryption.
const AckInterval = 100 * time.Millisecond

// walkersRules is [Rules] for walkers (package gameserver/walkers): no input, no local
// prediction; every walker is drawn where its leg puts it at the moment shown.
type walkersRules struct {
	schema *snapshot.Schema
}

// NewWalkersRules returns the client rules of walkers.
func NewWalkersRules(w wire.Welcome) (Rules, error) {
	if !walkers.IsMode(w.Mode) {
		return nil, fmt.Errorf("client: walkers rules: unknown mode %q", w.Mode)
	}
	return &walkersRules{schema: walkers.Schema()}, nil
}

// GameRules is the default [RulesFactory]: walkers' rules for its mode, Arena's otherwise.
func GameRules(w wire.Welcome) (Rules, error) {
	if walkers.IsMode(w.Mode) {
		return NewWalkersRules(w)
	}
	return NewArenaRules(w)
}

func (r *walkersRules) WatchOnly() bool                                      { return true }
func (r *walkersRules) Schema() *snapshot.Schema                             { return r.schema }
func (r *walkersRules) AppendInput(dst []byte, _ Controls, _ float64) []byte { return dst }
func (r *walkersRules) Player(*snapshot.Snapshot, uint8) (PlayerState, bool) {
	return PlayerState{}, false
}
func (r *walkersRules) Step(p PlayerState, _ []byte) PlayerState               { return p }
func (r *walkersRules) Position(PlayerState) Vec                               { return Vec{} }
func (r *walkersRules) Event(*Scene, []byte, *[256]string, *snapshot.Snapshot) {}

// FillScene draws each walker of to at the shown tick from its leg (a walker that turned
// after from's tick is drawn from to's leg only once the shown tick reaches the turn; before,
// from's leg). Legs are exact functions of time, so this is extrapolation the server vouches
// for, not a blend.
func (r *walkersRules) FillScene(sc *Scene, from, to *snapshot.Snapshot, alpha float64, names *[256]string) {
	sc.World, sc.Walls, sc.Teams = Vec{walkers.Width, walkers.Height}, sc.Walls[:0], 0
	rt := float64(from.Tick) + alpha*float64(to.Tick-from.Tick)
	if to.Tick == from.Tick {
		rt = float64(to.Tick)
	}
	for i := range to.Entities {
		e := &to.Entities[i]
		s := walkers.StateOf(e)
		if float64(s.Leg.Tick) > rt {
			if fe, ok := from.Find(e.ID); ok {
				s.Leg = walkers.StateOf(fe).Leg
			}
		}
		x, y := s.Leg.Pixels(rt)
		sc.Players = append(sc.Players, ScenePlayer{
			Slot: s.Slot, Name: names[s.Slot], Team: s.Slot, Pos: Vec{x, y},
			Angle: walkers.HeadingRadians(s.Leg.Heading), Health: s.HP, MaxHealth: walkers.MaxHP,
			Alive: true, Score: s.Score,
		})
	}
	sc.TimeLeft, sc.ScoreLimit, sc.TeamScores = 0, 0, sc.TeamScores[:0]
}
