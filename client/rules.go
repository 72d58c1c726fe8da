package client

import (
	"github.com/skirmish-go/skirmish/gameserver/snapshot"
	"github.com/skirmish-go/skirmish/gameserver/wire"
)

// PlayerState is the part of the local player's state the client predicts, in the game's own
// integer units (for Arena: sim.Player's position and velocity in 1/16 pixel).
type PlayerState struct {
	X, Y, VX, VY int32
	Aim          uint16
	Alive        bool
	// Aux holds whatever else a game's movement needs; Arena leaves it zero.
	Aux [4]int32
}

// Rules is the game-specific half of the client: how to turn controls into the game's input
// bytes, how to predict the local player, and how to read snapshots and events into a
// [Scene]. The connection ([Conn]) knows nothing else about the game. [ArenaRules] is the
// default, for the Arena game of package gameserver/arena.
type Rules interface {
	// Schema is the snapshot schema the server encodes with.
	Schema() *snapshot.Schema
	// AppendInput appends the game's encoding of one tick of controls. viewTick is the server
	// time (in ticks, fractional) the player was looking at, for lag compensation.
	AppendInput(dst []byte, c Controls, viewTick float64) []byte
	// Player finds slot's state in a snapshot.
	Player(s *snapshot.Snapshot, slot uint8) (PlayerState, bool)
	// Step advances the local player by one tick of input, exactly as the server does.
	Step(p PlayerState, input []byte) PlayerState
	// Position converts a state's position to scene units (pixels).
	Position(p PlayerState) Vec
	// FillScene writes the world blended from two snapshots (alpha 0 = from, 1 = to, above 1
	// extrapolates) into sc: World, Walls, Players, Projectiles, Effects, TimeLeft, ScoreLimit,
	// TeamScores. It reuses sc's slices. names maps slots to player names (from the roster).
	FillScene(sc *Scene, from, to *snapshot.Snapshot, alpha float64, names *[256]string)
	// Event decodes one game event into kill feed lines and effects appended to sc. latest is
	// the newest snapshot received (for positions), or nil.
	Event(sc *Scene, data []byte, names *[256]string, latest *snapshot.Snapshot)
}

// RulesFactory makes the Rules of a match from the server's welcome.
type RulesFactory func(w wire.Welcome) (Rules, error)
