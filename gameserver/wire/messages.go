package wire

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// In-match protocol, as a client sees it (gameserver's package documentation has the server's
// side):
//
//   - Every message is one netcode.Endpoint message; byte 0 is its MsgType. Input and Snapshot
//     travel on the unreliable channel, everything else on the reliable one.
//   - After connecting, the client receives Welcome (its slot, the tick and snapshot rates, the
//     server tick) and Roster, reliably. Snapshots may arrive before Welcome.
//   - It makes one input per tick and sends an Input message at the snapshot rate (every tick
//     on a lossy link): AckTick is the newest snapshot tick it has decoded, and Inputs are all
//     its inputs newer than the last Snapshot.LastInputSeq it saw, oldest first, at most
//     MaxInputsPerMessage (drop the oldest beyond that). Sequences are consecutive and wrap at
//     65535; the first may be anything.
//   - The server applies one input per tick per player, in sequence order, from a small jitter
//     buffer; Snapshot.LastInputSeq is the newest one applied, the point to reconcile
//     prediction from, and Snapshot.InputsApplied / RepeatedInputs count the ticks that used a
//     real input of this client and those that had to repeat the last one (input delivery).
//   - A refused connection receives one Denied message (why), then the disconnect.
//   - Each Snapshot's delta is encoded against a snapshot the client acknowledged (or none):
//     keep the last 32 decoded snapshots, read the baseline tick with snapshot.PeekTicks, and
//     ignore a snapshot whose tick is not newer than the newest decoded (a redundant repeat or
//     a late one).
//   - GameEvent carries the game's own event bytes (for Arena: arena's event encoding).
//     MatchEnd ends the match; the server closes the connection a short grace later. Its
//     scores come in slot order (clients rank them) and include the players who left before
//     the end, marked "left": true.

// ProtocolVersion is the version of the in-match messages below. The server sends it in
// [Welcome]; bump it on every wire-incompatible change.
const ProtocolVersion = 2

// MsgType is byte 0 of every in-match message: what the rest of the bytes are.
type MsgType uint8

// Message types. The comment names the direction and the Endpoint channel each travels on.
// MsgSpectatorAck (0x03, client → server, unreliable) is in spectator.go.
const (
	MsgInput     = MsgType(0x01) // client → server, unreliable: snapshot ack + unacknowledged inputs
	MsgSnapshot  = MsgType(0x02) // server → client, unreliable: last input processed + snapshot delta
	MsgWelcome   = MsgType(0x10) // server → client, reliable: your seat and the match's rates
	MsgRoster    = MsgType(0x11) // server → client, reliable: who sits where
	MsgGameEvent = MsgType(0x12) // server → client, reliable: the game's own event bytes
	MsgChat      = MsgType(0x13) // both ways, reliable: a line of chat
	MsgMatchEnd  = MsgType(0x14) // server → client, reliable: the final result
	MsgDenied    = MsgType(0x15) // server → client, reliable: the connection is refused, and why
)

func (t MsgType) String() string {
	switch t {
	case MsgInput:
		return "input"
	case MsgSnapshot:
		return "snapshot"
	case MsgWelcome:
		return "welcome"
	case MsgRoster:
		return "roster"
	case MsgGameEvent:
		return "game_event"
	case MsgChat:
		return "chat"
	case MsgMatchEnd:
		return "match_end"
	case MsgDenied:
		return "denied"
	case MsgSpectatorAck:
		return "spectator_ack"
	}
	return fmt.Sprintf("msg(0x%02x)", uint8(t))
}

// Limits checked by every parser before it reads (or allocates for) a variable field.
const (
	MaxInputsPerMessage = 16       // inputs carried by one Input message (redundancy bound)
	MaxInputBytes       = 64       // one tick of one player's input, game encoded
	MaxRosterPlayers    = 64       // seats listed by one Roster
	MaxChatBytes        = 200      // one chat line, UTF-8
	MaxEventBytes       = 16 << 10 // one GameEvent's game bytes
	MaxResultBytes      = 32 << 10 // one MatchEnd's result JSON
	MaxSnapshotBytes    = 60 << 10 // one snapshot delta (below netcode's 64 KiB message limit)
	MaxReasonBytes      = 200      // one Denied reason, UTF-8
)

// Errors returned by the parsers. Short input is io.ErrUnexpectedEOF.
var (
	// ErrWrongType means byte 0 is not the message type the parser reads.
	ErrWrongType = errors.New("wire: wrong message type")
	// ErrTooLong means a length field is above its documented limit.
	ErrTooLong = errors.New("wire: field too long")
	// ErrMalformed means the bytes break a rule of the layout other than a length limit.
	ErrMalformed = errors.New("wire: malformed message")
)

// PeekType returns the type of the message in b without parsing the rest.
func PeekType(b []byte) (MsgType, error) {
	if len(b) == 0 {
		return 0, io.ErrUnexpectedEOF
	}
	return MsgType(b[0]), nil
}

// ---------------------------------------------------------------------------------------------
// Input

// Input is what a client sends every tick on the unreliable channel: the newest snapshot it
// received (its acknowledgement of a delta baseline, as in Quake 3) and every input the server
// has not yet acknowledged (redundancy, as in Overwatch), oldest first with consecutive
// sequence numbers, so one lost packet loses no input.
//
// Layout:
//
//	0      type (MsgInput)
//	1-4    ack tick, uint32 LE: the newest snapshot tick received; 0 = none yet
//	5-6    first sequence, uint16 LE: the sequence of Inputs[0]; Inputs[i] has FirstSeq+i (wrapping)
//	7      count n, 1..16
//	       n × (length uint8 ≤ 64, then the game's input bytes)
type Input struct {
	AckTick  uint32
	FirstSeq uint16
	Inputs   [][]byte // oldest first; Parse aliases the message bytes
}

// LastSeq is the sequence of the newest input in the message.
func (m *Input) LastSeq() uint16 { return m.FirstSeq + uint16(len(m.Inputs)) - 1 }

// Len is the encoded size in bytes.
func (m *Input) Len() int {
	n := 8
	for _, in := range m.Inputs {
		n += 1 + len(in)
	}
	return n
}

// Append encodes m after b. It allocates nothing when b has room. Inputs beyond
// MaxInputsPerMessage and bytes beyond MaxInputBytes are an error the parser would report,
// so Append refuses them up front.
func (m *Input) Append(b []byte) ([]byte, error) {
	if len(m.Inputs) == 0 || len(m.Inputs) > MaxInputsPerMessage {
		return b, fmt.Errorf("wire: input: %d inputs: %w", len(m.Inputs), ErrTooLong)
	}
	for _, in := range m.Inputs {
		if len(in) > MaxInputBytes {
			return b, fmt.Errorf("wire: input: %d bytes: %w", len(in), ErrTooLong)
		}
	}
	b = append(b, byte(MsgInput))
	b = binary.LittleEndian.AppendUint32(b, m.AckTick)
	b = binary.LittleEndian.AppendUint16(b, m.FirstSeq)
	b = append(b, byte(len(m.Inputs)))
	for _, in := range m.Inputs {
		b = append(b, byte(len(in)))
		b = append(b, in...)
	}
	return b, nil
}

// ParseInput decodes an Input message. The returned Inputs alias b.
func ParseInput(b []byte) (Input, int, error) { return ParseInputInto(b, nil) }

// ParseInputInto is ParseInput with the Inputs slice built in inputs' array when it is large
// enough (cap MaxInputsPerMessage always is): the server's per-packet path passes the same
// array every time and allocates nothing.
func ParseInputInto(b []byte, inputs [][]byte) (Input, int, error) {
	var m Input
	if len(b) < 8 {
		return m, 0, io.ErrUnexpectedEOF
	}
	if MsgType(b[0]) != MsgInput {
		return m, 0, fmt.Errorf("wire: input: type 0x%02x: %w", b[0], ErrWrongType)
	}
	m.AckTick = binary.LittleEndian.Uint32(b[1:5])
	m.FirstSeq = binary.LittleEndian.Uint16(b[5:7])
	n := int(b[7])
	if n == 0 {
		return m, 0, fmt.Errorf("wire: input: no inputs: %w", ErrMalformed)
	}
	if n > MaxInputsPerMessage {
		return m, 0, fmt.Errorf("wire: input: %d inputs: %w", n, ErrTooLong)
	}
	off := 8
	if cap(inputs) >= n {
		m.Inputs = inputs[:0]
	} else {
		m.Inputs = make([][]byte, 0, n)
	}
	for range n {
		if off >= len(b) {
			return Input{}, 0, io.ErrUnexpectedEOF
		}
		l := int(b[off])
		off++
		if l > MaxInputBytes {
			return Input{}, 0, fmt.Errorf("wire: input: %d bytes: %w", l, ErrTooLong)
		}
		if len(b)-off < l {
			return Input{}, 0, io.ErrUnexpectedEOF
		}
		m.Inputs = append(m.Inputs, b[off:off+l:off+l])
		off += l
	}
	return m, off, nil
}

// ---------------------------------------------------------------------------------------------
// Snapshot

// Snapshot is what the server sends each client at the snapshot rate on the unreliable channel.
// Delta is the gameserver/snapshot codec's output (snapshot.PeekTicks reads its tick and the
// baseline tick it was encoded against; the client keeps its last 32 snapshots to find it).
//
// The server may send a snapshot a second time (redundancy under loss): the repeat is the same
// message byte for byte, so its LastInputSeq and counters still describe the tick of its
// state, and a client reconciles against the right input whichever copy it decodes.
//
// InputsApplied and RepeatedInputs are cumulative counters of this connection, as of the
// snapshot's tick: ticks the server simulated with one of this client's real inputs, and ticks
// (while this client was connected and after its first input arrived) it had to repeat the
// last input because the next one had not arrived. Their ratio is the exact input delivery.
//
// Layout:
//
//	0      type (MsgSnapshot)
//	1      flags: bit 0 = HasInput (an input of this client has been applied)
//	2-3    last input sequence processed for this client, uint16 LE (0 when !HasInput)
//	4-7    inputs applied, uint32 LE
//	8-11   repeated inputs, uint32 LE
//	12-15  delta length n, uint32 LE, ≤ MaxSnapshotBytes
//	16…    n bytes of snapshot delta
type Snapshot struct {
	HasInput       bool
	LastInputSeq   uint16
	InputsApplied  uint32
	RepeatedInputs uint32
	Delta          []byte // Parse aliases the message bytes
}

// snapshotHeaderLen is the size of a Snapshot message without its delta.
const snapshotHeaderLen = 16

// Len is the encoded size in bytes.
func (m *Snapshot) Len() int { return snapshotHeaderLen + len(m.Delta) }

// Append encodes m after b.
func (m *Snapshot) Append(b []byte) ([]byte, error) {
	if len(m.Delta) > MaxSnapshotBytes {
		return b, fmt.Errorf("wire: snapshot: %d bytes: %w", len(m.Delta), ErrTooLong)
	}
	var flags byte
	if m.HasInput {
		flags |= 1
	}
	b = append(b, byte(MsgSnapshot), flags)
	b = binary.LittleEndian.AppendUint16(b, m.LastInputSeq)
	b = binary.LittleEndian.AppendUint32(b, m.InputsApplied)
	b = binary.LittleEndian.AppendUint32(b, m.RepeatedInputs)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(m.Delta)))
	return append(b, m.Delta...), nil
}

// ParseSnapshot decodes a Snapshot message. Delta aliases b.
func ParseSnapshot(b []byte) (Snapshot, int, error) {
	var m Snapshot
	if len(b) < snapshotHeaderLen {
		return m, 0, io.ErrUnexpectedEOF
	}
	if MsgType(b[0]) != MsgSnapshot {
		return m, 0, fmt.Errorf("wire: snapshot: type 0x%02x: %w", b[0], ErrWrongType)
	}
	if b[1]&^1 != 0 {
		return m, 0, fmt.Errorf("wire: snapshot: flags 0x%02x: %w", b[1], ErrMalformed)
	}
	m.HasInput = b[1]&1 != 0
	m.LastInputSeq = binary.LittleEndian.Uint16(b[2:4])
	m.InputsApplied = binary.LittleEndian.Uint32(b[4:8])
	m.RepeatedInputs = binary.LittleEndian.Uint32(b[8:12])
	n := binary.LittleEndian.Uint32(b[12:16])
	if n > MaxSnapshotBytes {
		return Snapshot{}, 0, fmt.Errorf("wire: snapshot: %d bytes: %w", n, ErrTooLong)
	}
	if uint32(len(b)-snapshotHeaderLen) < n {
		return Snapshot{}, 0, io.ErrUnexpectedEOF
	}
	m.Delta = b[snapshotHeaderLen : snapshotHeaderLen+n : snapshotHeaderLen+n]
	return m, snapshotHeaderLen + int(n), nil
}

// ---------------------------------------------------------------------------------------------
// Welcome

// Welcome is the first reliable message a client receives after it connects (and after it
// replaces an older connection to the same seat).
//
// Layout:
//
//	0      type (MsgWelcome)
//	1      protocol version (ProtocolVersion)
//	2      slot, 3 team, 4 players (seats in the match)
//	5-6    tick rate Hz, uint16 LE
//	7-8    snapshot rate Hz, uint16 LE
//	9-12   server tick now, uint32 LE
//	13-28  match ID
//	29     mode length n ≤ MaxModeLen, then n bytes of mode
type Welcome struct {
	Version      uint8
	Slot         uint8
	Team         uint8
	Players      uint8
	TickRate     uint16
	SnapshotRate uint16
	Tick         uint32
	MatchID      [16]byte
	Mode         string
}

// Len is the encoded size in bytes.
func (m *Welcome) Len() int { return 30 + len(m.Mode) }

// Append encodes m after b.
func (m *Welcome) Append(b []byte) ([]byte, error) {
	if len(m.Mode) > MaxModeLen {
		return b, fmt.Errorf("wire: welcome: mode: %w", ErrTooLong)
	}
	b = append(b, byte(MsgWelcome), m.Version, m.Slot, m.Team, m.Players)
	b = binary.LittleEndian.AppendUint16(b, m.TickRate)
	b = binary.LittleEndian.AppendUint16(b, m.SnapshotRate)
	b = binary.LittleEndian.AppendUint32(b, m.Tick)
	b = append(b, m.MatchID[:]...)
	b = append(b, byte(len(m.Mode)))
	return append(b, m.Mode...), nil
}

// ParseWelcome decodes a Welcome message.
func ParseWelcome(b []byte) (Welcome, int, error) {
	var m Welcome
	if len(b) < 30 {
		return m, 0, io.ErrUnexpectedEOF
	}
	if MsgType(b[0]) != MsgWelcome {
		return m, 0, fmt.Errorf("wire: welcome: type 0x%02x: %w", b[0], ErrWrongType)
	}
	m.Version, m.Slot, m.Team, m.Players = b[1], b[2], b[3], b[4]
	m.TickRate = binary.LittleEndian.Uint16(b[5:7])
	m.SnapshotRate = binary.LittleEndian.Uint16(b[7:9])
	m.Tick = binary.LittleEndian.Uint32(b[9:13])
	copy(m.MatchID[:], b[13:29])
	n := int(b[29])
	if n > MaxModeLen {
		return Welcome{}, 0, fmt.Errorf("wire: welcome: mode %d bytes: %w", n, ErrTooLong)
	}
	if len(b)-30 < n {
		return Welcome{}, 0, io.ErrUnexpectedEOF
	}
	m.Mode = string(b[30 : 30+n])
	return m, 30 + n, nil
}

// ---------------------------------------------------------------------------------------------
// Roster

// RosterEntry is one seat of a match.
type RosterEntry struct {
	Slot      uint8
	Team      uint8
	Connected bool
	Name      string
}

// Roster lists every seat that has had a player, sent whole whenever it changes.
//
// Layout:
//
//	0      type (MsgRoster)
//	1      count n ≤ MaxRosterPlayers
//	       n × (slot, team, flags: bit 0 = connected, name length m ≤ MaxNameLen, m bytes)
type Roster struct {
	Players []RosterEntry
}

// Len is the encoded size in bytes.
func (m *Roster) Len() int {
	n := 2
	for _, p := range m.Players {
		n += 4 + len(p.Name)
	}
	return n
}

// Append encodes m after b.
func (m *Roster) Append(b []byte) ([]byte, error) {
	if len(m.Players) > MaxRosterPlayers {
		return b, fmt.Errorf("wire: roster: %d players: %w", len(m.Players), ErrTooLong)
	}
	for _, p := range m.Players {
		if len(p.Name) > MaxNameLen {
			return b, fmt.Errorf("wire: roster: name: %w", ErrTooLong)
		}
	}
	b = append(b, byte(MsgRoster), byte(len(m.Players)))
	for _, p := range m.Players {
		var flags byte
		if p.Connected {
			flags = 1
		}
		b = append(b, p.Slot, p.Team, flags, byte(len(p.Name)))
		b = append(b, p.Name...)
	}
	return b, nil
}

// ParseRoster decodes a Roster message.
func ParseRoster(b []byte) (Roster, int, error) {
	var m Roster
	if len(b) < 2 {
		return m, 0, io.ErrUnexpectedEOF
	}
	if MsgType(b[0]) != MsgRoster {
		return m, 0, fmt.Errorf("wire: roster: type 0x%02x: %w", b[0], ErrWrongType)
	}
	n := int(b[1])
	if n > MaxRosterPlayers {
		return m, 0, fmt.Errorf("wire: roster: %d players: %w", n, ErrTooLong)
	}
	off := 2
	if n > 0 {
		m.Players = make([]RosterEntry, 0, n)
	}
	for range n {
		if len(b)-off < 4 {
			return Roster{}, 0, io.ErrUnexpectedEOF
		}
		p := RosterEntry{Slot: b[off], Team: b[off+1]}
		if b[off+2]&^1 != 0 {
			return Roster{}, 0, fmt.Errorf("wire: roster: flags 0x%02x: %w", b[off+2], ErrMalformed)
		}
		p.Connected = b[off+2]&1 != 0
		l := int(b[off+3])
		off += 4
		if l > MaxNameLen {
			return Roster{}, 0, fmt.Errorf("wire: roster: name %d bytes: %w", l, ErrTooLong)
		}
		if len(b)-off < l {
			return Roster{}, 0, io.ErrUnexpectedEOF
		}
		p.Name = string(b[off : off+l])
		off += l
		m.Players = append(m.Players, p)
	}
	return m, off, nil
}

// ---------------------------------------------------------------------------------------------
// GameEvent, Chat, MatchEnd

// GameEvent carries one gameserver.Event's bytes: kills, scores, announcements.
//
// Layout: type (MsgGameEvent) | length n uint16 LE ≤ MaxEventBytes | n bytes.
type GameEvent struct {
	Data []byte // Parse aliases the message bytes
}

// Len is the encoded size in bytes.
func (m *GameEvent) Len() int { return 3 + len(m.Data) }

// Append encodes m after b.
func (m *GameEvent) Append(b []byte) ([]byte, error) {
	if len(m.Data) > MaxEventBytes {
		return b, fmt.Errorf("wire: game event: %d bytes: %w", len(m.Data), ErrTooLong)
	}
	b = append(b, byte(MsgGameEvent))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(m.Data)))
	return append(b, m.Data...), nil
}

// ParseGameEvent decodes a GameEvent message. Data aliases b.
func ParseGameEvent(b []byte) (GameEvent, int, error) {
	data, n, err := parseBlob(b, MsgGameEvent, MaxEventBytes)
	if err != nil {
		return GameEvent{}, 0, fmt.Errorf("wire: game event: %w", err)
	}
	return GameEvent{Data: data}, n, nil
}

// Chat is one line of chat. A client sends it with any From; the server overwrites From with
// the sender's slot and relays it to the whole match.
//
// Layout: type (MsgChat) | from slot | length n uint8 ≤ MaxChatBytes | n bytes of UTF-8.
type Chat struct {
	From uint8
	Text string
}

// Len is the encoded size in bytes.
func (m *Chat) Len() int { return 3 + len(m.Text) }

// Append encodes m after b.
func (m *Chat) Append(b []byte) ([]byte, error) {
	if len(m.Text) > MaxChatBytes {
		return b, fmt.Errorf("wire: chat: %d bytes: %w", len(m.Text), ErrTooLong)
	}
	b = append(b, byte(MsgChat), m.From, byte(len(m.Text)))
	return append(b, m.Text...), nil
}

// ParseChat decodes a Chat message.
func ParseChat(b []byte) (Chat, int, error) {
	var m Chat
	if len(b) < 3 {
		return m, 0, io.ErrUnexpectedEOF
	}
	if MsgType(b[0]) != MsgChat {
		return m, 0, fmt.Errorf("wire: chat: type 0x%02x: %w", b[0], ErrWrongType)
	}
	n := int(b[2])
	if n > MaxChatBytes {
		return m, 0, fmt.Errorf("wire: chat: %d bytes: %w", n, ErrTooLong)
	}
	if len(b)-3 < n {
		return m, 0, io.ErrUnexpectedEOF
	}
	m.From = b[1]
	m.Text = string(b[3 : 3+n])
	return m, 3 + n, nil
}

// Denied tells a client that the server refused its connection (an unknown mode, a full
// server, a finished match, ...) just before the server disconnects it. It is the only message
// such a client receives.
//
// Layout: type (MsgDenied) | length n uint8 ≤ MaxReasonBytes | n bytes of UTF-8.
type Denied struct {
	Reason string
}

// Len is the encoded size in bytes.
func (m *Denied) Len() int { return 2 + len(m.Reason) }

// Append encodes m after b.
func (m *Denied) Append(b []byte) ([]byte, error) {
	if len(m.Reason) > MaxReasonBytes {
		return b, fmt.Errorf("wire: denied: %d bytes: %w", len(m.Reason), ErrTooLong)
	}
	b = append(b, byte(MsgDenied), byte(len(m.Reason)))
	return append(b, m.Reason...), nil
}

// ParseDenied decodes a Denied message.
func ParseDenied(b []byte) (Denied, int, error) {
	if len(b) < 2 {
		return Denied{}, 0, io.ErrUnexpectedEOF
	}
	if MsgType(b[0]) != MsgDenied {
		return Denied{}, 0, fmt.Errorf("wire: denied: type 0x%02x: %w", b[0], ErrWrongType)
	}
	n := int(b[1])
	if n > MaxReasonBytes {
		return Denied{}, 0, fmt.Errorf("wire: denied: %d bytes: %w", n, ErrTooLong)
	}
	if len(b)-2 < n {
		return Denied{}, 0, io.ErrUnexpectedEOF
	}
	return Denied{Reason: string(b[2 : 2+n])}, 2 + n, nil
}

// PlayerScore is one line of a match's final scoreboard.
type PlayerScore struct {
	Slot   uint8  `json:"slot"`
	Team   uint8  `json:"team"`
	Name   string `json:"name"`
	Score  int    `json:"score"`
	Kills  int    `json:"kills"`
	Deaths int    `json:"deaths"`
	// Left marks a player who left before the match ended: the server keeps their last
	// score row (the game forgets a player who leaves) so the final table names everyone who
	// played.
	Left bool `json:"left,omitempty"`
}

// Result is how a match ended: the game server sends it to its clients in MatchEnd and to the
// lobby, which records it. gameserver.Result is this type.
type Result struct {
	Scores []PlayerScore `json:"scores"`
	Reason string        `json:"reason"` // "score_limit", "time_limit", "abandoned", "drained", ...
}

// MatchEnd tells a client the match is over and how it ended. The connection is closed by the
// server a short grace period later.
//
// Layout: type (MsgMatchEnd) | length n uint16 LE ≤ MaxResultBytes | n bytes of Result as JSON.
type MatchEnd struct {
	Result Result
}

// Append encodes m after b. It allocates (encoding/json); MatchEnd is sent once per match.
func (m *MatchEnd) Append(b []byte) ([]byte, error) {
	js, err := json.Marshal(&m.Result)
	if err != nil {
		return b, fmt.Errorf("wire: match end: %w", err)
	}
	if len(js) > MaxResultBytes {
		return b, fmt.Errorf("wire: match end: %d bytes: %w", len(js), ErrTooLong)
	}
	b = append(b, byte(MsgMatchEnd))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(js)))
	return append(b, js...), nil
}

// ParseMatchEnd decodes a MatchEnd message.
func ParseMatchEnd(b []byte) (MatchEnd, int, error) {
	data, n, err := parseBlob(b, MsgMatchEnd, MaxResultBytes)
	if err != nil {
		return MatchEnd{}, 0, fmt.Errorf("wire: match end: %w", err)
	}
	var m MatchEnd
	if err := json.Unmarshal(data, &m.Result); err != nil {
		return MatchEnd{}, 0, fmt.Errorf("wire: match end: %w: %v", ErrMalformed, err)
	}
	if len(m.Result.Scores) > MaxRosterPlayers {
		return MatchEnd{}, 0, fmt.Errorf("wire: match end: %d scores: %w", len(m.Result.Scores), ErrTooLong)
	}
	return m, n, nil
}

// parseBlob reads type | uint16 LE length ≤ limit | bytes.
func parseBlob(b []byte, t MsgType, limit int) ([]byte, int, error) {
	if len(b) < 3 {
		return nil, 0, io.ErrUnexpectedEOF
	}
	if MsgType(b[0]) != t {
		return nil, 0, fmt.Errorf("type 0x%02x: %w", b[0], ErrWrongType)
	}
	n := int(binary.LittleEndian.Uint16(b[1:3]))
	if n > limit {
		return nil, 0, fmt.Errorf("%d bytes: %w", n, ErrTooLong)
	}
	if len(b)-3 < n {
		return nil, 0, io.ErrUnexpectedEOF
	}
	return b[3 : 3+n : 3+n], 3 + n, nil
}
