package replay

import (
	"errors"
	"time"

	"github.com/skirmish-go/skirmish/gameserver/wire"
)

// Version is the file format version written after the magic; bump it on every incompatible
// change to the layout in the package documentation.
const Version = 1

// Magic opens every replay file.
const Magic = "SKRPLAY\n"

// Ext is the extension of replay files in a [Dir]; a match's replay is named its match ID
// (32 hex digits, as the lobby's match history shows it) plus Ext.
const Ext = ".replay"

// Limits every reader checks before it reads or allocates.
const (
	MaxNameBytes  = 64                 // game, mode, map, player and reason strings
	MaxPlayers    = 64                 // seats of a match
	MaxInputBytes = wire.MaxInputBytes // one tick of one player's input
	MaxTickRate   = 1000
	MaxTicks      = 1 << 24 // ticks of one match: 77 hours at 60 Hz
	// MaxBodyBytes bounds the uncompressed body an Encoder records and [Read] accepts; a
	// 5-minute 16-player Arena match is well under 1/20 of it.
	MaxBodyBytes = 64 << 20
)

// Errors. Every read error wraps ErrCorrupt, ErrTruncated, ErrVersion or ErrTooLarge (or an
// I/O error of the underlying reader).
var (
	ErrNotReplay = errors.New("replay: not a replay file (bad magic)")
	ErrVersion   = errors.New("replay: unsupported format version")
	ErrCorrupt   = errors.New("replay: corrupt file")
	ErrTruncated = errors.New("replay: truncated file")
	ErrTooLarge  = errors.New("replay: over a size limit")
	// ErrEnded reports a record written after End.
	ErrEnded = errors.New("replay: already ended")
)

// Header is a match's configuration: everything a re-simulation needs besides the records.
type Header struct {
	Game       string // the game's name, e.g. "arena"; "" means the default game
	Mode       string
	Map        string // "" when the game does not name one
	MatchID    [16]byte
	Seed       uint64
	Start      time.Time // millisecond precision
	TickRate   int
	MaxPlayers int
	// ChecksumEvery is the number of ticks between world checksums (the tick rate: one a
	// second); 0 when the game computes none.
	ChecksumEvery int
}

// Kind says what a [Record] is.
type Kind uint8

// Record kinds.
const (
	KindJoin     Kind = 1 // Player joined
	KindLeave    Kind = 2 // Player.Slot left
	KindInputs   Kind = 3 // Inputs changed
	KindChecksum Kind = 4 // Checksum of the world
	KindEnd      Kind = 5 // the match ended with Result
)

func (k Kind) String() string {
	switch k {
	case KindJoin:
		return "join"
	case KindLeave:
		return "leave"
	case KindInputs:
		return "inputs"
	case KindChecksum:
		return "checksum"
	case KindEnd:
		return "end"
	}
	return "kind(?)"
}

// Player is a seat taken at a Join.
type Player struct {
	Slot uint8
	Team uint8
	Name string
}

// Input is one slot's input in effect from a tick on.
type Input struct {
	Slot uint8
	// Absent says the slot passes no input to Step (it left); Data and Repeated are unset.
	Absent bool
	// Repeated says the server had no fresh input and repeated the last one.
	Repeated bool
	// Data is the game's own encoding of one tick of input; nil and empty are the same.
	Data []byte
}

// Record is one entry of a replay's timeline; see the package documentation for the tick at
// which each kind happens.
type Record struct {
	Kind     Kind
	Tick     uint32
	Player   Player  // KindJoin; KindLeave sets only Slot
	Inputs   []Input // KindInputs: the slots whose input changed, ascending
	Checksum uint64  // KindChecksum
	Result   wire.Result
}

// Replay is a whole replay in memory.
type Replay struct {
	Header  Header
	Records []Record // the last is KindEnd
}

// End returns the End record: the final tick and result.
func (r *Replay) End() Record {
	if n := len(r.Records); n > 0 && r.Records[n-1].Kind == KindEnd {
		return r.Records[n-1]
	}
	return Record{}
}

// Name is the file name a replay of the match with the given ID (32 hex digits) has in a Dir.
func Name(matchID string) string { return matchID + Ext }

const (
	flagRepeated = 1 << 0
	flagAbsent   = 1 << 1
	flagXOR      = 1 << 2
	flagsKnown   = flagRepeated | flagAbsent | flagXOR

	scoreLeft = 1 << 0 // a score row's flags: the player left before the end
)
