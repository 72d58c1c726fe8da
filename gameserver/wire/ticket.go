// Package wire holds the game server's wire types that other processes share: the match ticket
// the lobby seals into a connect token's user data, and the messages the game server and its
// clients exchange inside a connection.
package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// UserDataBytes is the size of a connect token's user data (netcode.io 1.02).
const UserDataBytes = 256

// TicketVersion is the layout version in byte 0 of a Ticket; bump it on every incompatible change.
const TicketVersion = 1

// TicketVersionFlags is the layout of a Ticket with a flags byte (78): a spectator's. Player
// tickets keep TicketVersion, byte for byte; a game server that predates spectators refuses a
// spectator's ticket as bad rather than seating it as a player.
const TicketVersionFlags = 2

// Ticket flags, byte 78 of a TicketVersionFlags ticket.
const (
	// TicketSpectator: the holder watches the match; it takes no seat and sends no input.
	TicketSpectator = 1 << 0
)

// Limits of a Ticket's variable fields.
const (
	MaxModeLen = 16
	MaxNameLen = 32
)

// ErrBadTicket is returned by ParseTicket for user data that is not a Ticket.
var ErrBadTicket = errors.New("wire: bad match ticket")

// Ticket is what the lobby tells a game server about one player of one match, inside the
// connect token's 256 bytes of user data. The game server needs nothing else to start the match.
//
// Layout (little endian, zero padded to 256 bytes):
//
//	0      version (1)
//	1-16   match ID
//	17     slot: the player's seat in the match, 0..Players-1
//	18     team
//	19     players: seats in the match
//	20     mode length n (≤ 16), 21..36 mode
//	37     name length m (≤ 32), 38..69 name
//	70-77  player ID in the lobby (uint64)
//	78     flags (version 2 only): bit 0 = spectator; other bits must be 0
//
// A spectator's ticket names the match and the watcher (Name, PlayerID); Slot is 0 and Team
// is unused, since a spectator takes no seat.
type Ticket struct {
	MatchID  [16]byte
	Slot     uint8
	Team     uint8
	Players  uint8
	Mode     string
	Name     string
	PlayerID uint64
	// Spectator: the holder watches (see TicketSpectator).
	Spectator bool
}

// MatchIDString renders a match ID as 32 hex digits, the form logs and the lobby use.
func (t Ticket) MatchIDString() string { return fmt.Sprintf("%x", t.MatchID[:]) }

// Marshal lays the ticket out as connect token user data.
func (t Ticket) Marshal() ([UserDataBytes]byte, error) {
	var b [UserDataBytes]byte
	if len(t.Mode) > MaxModeLen || len(t.Name) > MaxNameLen {
		return b, fmt.Errorf("%w: mode or name too long", ErrBadTicket)
	}
	if t.Players == 0 || t.Slot >= t.Players {
		return b, fmt.Errorf("%w: slot %d of %d players", ErrBadTicket, t.Slot, t.Players)
	}
	b[0] = TicketVersion
	if t.Spectator {
		b[0] = TicketVersionFlags
		b[78] = TicketSpectator
	}
	copy(b[1:17], t.MatchID[:])
	b[17], b[18], b[19] = t.Slot, t.Team, t.Players
	b[20] = byte(len(t.Mode))
	copy(b[21:37], t.Mode)
	b[37] = byte(len(t.Name))
	copy(b[38:70], t.Name)
	binary.LittleEndian.PutUint64(b[70:78], t.PlayerID)
	return b, nil
}

// ParseTicket reads a Ticket from connect token user data.
func ParseTicket(b []byte) (Ticket, error) {
	var t Ticket
	if len(b) < 78 {
		return t, fmt.Errorf("%w: %d bytes", ErrBadTicket, len(b))
	}
	switch b[0] {
	case TicketVersion:
	case TicketVersionFlags:
		if len(b) < 79 {
			return t, fmt.Errorf("%w: %d bytes", ErrBadTicket, len(b))
		}
		if b[78] != TicketSpectator {
			return t, fmt.Errorf("%w: flags 0x%02x", ErrBadTicket, b[78])
		}
		t.Spectator = true
	default:
		return t, fmt.Errorf("%w: version %d", ErrBadTicket, b[0])
	}
	copy(t.MatchID[:], b[1:17])
	t.Slot, t.Team, t.Players = b[17], b[18], b[19]
	if t.Players == 0 || t.Slot >= t.Players {
		return t, fmt.Errorf("%w: slot %d of %d players", ErrBadTicket, t.Slot, t.Players)
	}
	ml, nl := int(b[20]), int(b[37])
	if ml > MaxModeLen || nl > MaxNameLen {
		return t, fmt.Errorf("%w: mode or name length", ErrBadTicket)
	}
	t.Mode = string(b[21 : 21+ml])
	t.Name = string(b[38 : 38+nl])
	t.PlayerID = binary.LittleEndian.Uint64(b[70:78])
	return t, nil
}
