package wire

import (
	"encoding/binary"
	"fmt"
	"io"
)

// Spectators. A connection whose ticket has the spectator flag takes no seat: its Welcome
// names SpectatorSlot, it receives the Roster, the match's Snapshots replayed with the
// server's spectator delay (each Snapshot's input fields are zero), the game's events with the
// same delay, and MatchEnd. It sends no Input (the server ignores any), only SpectatorAck on
// the unreliable channel to acknowledge the snapshots it decoded, so the server can delta
// against them.

// SpectatorSlot is the Welcome.Slot of a spectator: no seat (seats are 0..63).
const SpectatorSlot = 0xFF

// MsgSpectatorAck is a spectator's acknowledgement (client → server, unreliable).
const MsgSpectatorAck = MsgType(0x03)

// SpectatorAck is what a spectator sends instead of inputs: the newest snapshot tick it
// decoded, the baseline the server may delta its next snapshot against.
//
// Layout:
//
//	0      type (MsgSpectatorAck)
//	1-4    ack tick, uint32 LE: the newest snapshot tick decoded; 0 = none yet
type SpectatorAck struct {
	AckTick uint32
}

// spectatorAckLen is the encoded size of a SpectatorAck.
const spectatorAckLen = 5

// Len is the encoded size in bytes.
func (m *SpectatorAck) Len() int { return spectatorAckLen }

// Append encodes m after b.
func (m *SpectatorAck) Append(b []byte) ([]byte, error) {
	b = append(b, byte(MsgSpectatorAck))
	return binary.LittleEndian.AppendUint32(b, m.AckTick), nil
}

// ParseSpectatorAck decodes a SpectatorAck message.
func ParseSpectatorAck(b []byte) (SpectatorAck, int, error) {
	var m SpectatorAck
	if len(b) < spectatorAckLen {
		return m, 0, io.ErrUnexpectedEOF
	}
	if MsgType(b[0]) != MsgSpectatorAck {
		return m, 0, fmt.Errorf("wire: spectator ack: type 0x%02x: %w", b[0], ErrWrongType)
	}
	m.AckTick = binary.LittleEndian.Uint32(b[1:5])
	return m, spectatorAckLen, nil
}
