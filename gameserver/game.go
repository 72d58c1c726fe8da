package gameserver

import (
	"time"

	"github.com/skirmish-go/skirmish/gameserver/snapshot"
	"github.com/skirmish-go/skirmish/gameserver/wire"
)

// Player is one seat in a match, as the lobby assigned it in the connect token.
type Player struct {
	Slot uint8 // 0..MaxPlayers-1, unique within the match; the game's identity for this player
	Team uint8
	Name string
}

// PlayerInput is what one player did during one tick.
type PlayerInput struct {
	Slot uint8
	// Input is the game's own encoding of one tick of input, as the client sent it.
	// It is valid only during the Step call.
	Input []byte
	// Repeated reports that no input arrived for this tick and Input repeats the last one.
	Repeated bool
}

// Broadcast as an Event's To sends it to every player of the match.
const Broadcast = -1

// Event is a game message delivered reliably and in order: kills, scores, announcements.
type Event struct {
	To   int    // slot of the one recipient, or Broadcast
	Data []byte // the game's own encoding
}

// PlayerScore is one line of a match's final scoreboard. It is the wire type, so the lobby and
// clients decode results without importing this package.
type PlayerScore = wire.PlayerScore

// Result is how a match ended; Reason is "score_limit", "time_limit", "abandoned", "drained",
// "closed", or the game's own word.
type Result = wire.Result

// Scorer is an optional interface of a Game: the scoreboard so far. When a match ends before
// the game says it is over (everyone left, the server drains), the server reports these scores;
// a Game without it reports an empty scoreboard then.
type Scorer interface {
	Scores() []PlayerScore
}

// Game is the rules of one match. The loop calls it from a single goroutine, one fixed tick at a
// time; a Game needs no locking, must be deterministic for the same calls, and must not do I/O.
// Arena (package gameserver/arena) is the default; a hosting developer can plug in their own.
type Game interface {
	// Schema describes the entity kinds that AppendEntities produces, for the snapshot codec.
	Schema() *snapshot.Schema
	// Join seats a player. It is called before the player's first Step.
	Join(p Player) error
	// Leave removes a player whose connection ended.
	Leave(slot uint8)
	// Step advances the world one tick with one input per seated player.
	Step(inputs []PlayerInput) []Event
	// AppendEntities appends the whole visible world, sorted by entity ID, quantised as sent.
	AppendEntities(dst []snapshot.Entity) []snapshot.Entity
	// Over reports whether the match has ended, and how.
	Over() (Result, bool)
}

// InputFree is implemented by a Game whose Step ignores its players' input (walkers: players
// watch a scene that runs by itself). The match loop then wakes such a match only for the ticks
// that send snapshots (and for repeats it owes a lossy client) and runs the ticks between in
// the same pass: the simulation and the snapshots are the same, for half the wake-ups at 60 Hz
// with 30 snapshots a second. A game that reads input must not claim it (an input would wait
// for the next snapshot tick).
type InputFree interface {
	InputFree() bool
}

// GameFactory makes the Game for a new match. mode comes from the connect token; seed is derived
// from the match ID so a match replays exactly.
type GameFactory func(mode string, maxPlayers int, seed uint64) (Game, error)

// ModeSpec is one way to play a game, as the game declares it and the lobby matches it.
type ModeSpec struct {
	Name        string        // wire name, e.g. "ffa"; unique across the games a lobby serves
	Title       string        // shown to players, e.g. "Free for all"
	MinPlayers  int           // a match starts with at least this many
	MaxPlayers  int           // at most this many (1..64)
	Teams       int           // 0: every player for themselves; 2: two teams
	FillTimeout time.Duration // how long the matchmaker waits for more than MinPlayers
}

// GameDef is a game a server hosts: its name (the -game flag), its modes and its factory.
type GameDef struct {
	Name  string
	Modes []ModeSpec
	New   GameFactory
}
