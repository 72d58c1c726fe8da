package proto

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// ProtocolVersion is sent in every hello; bump it on every wire-incompatible change.
const ProtocolVersion = 1

// MaxLineBytes is the longest line (without its newline) either side accepts.
const MaxLineBytes = 64 << 10

// Limits on fields that players choose.
const (
	MaxNameLen = 32 // nickname bytes (also the Ticket's limit)
	MaxModeLen = 16
	MaxChatLen = 512
)

// Roles a connection declares in hello.
const (
	RolePlayer = "player"
	RoleServer = "server"
)

// Message types. Requests carry an id; their replies echo it. Events carry none.
const (
	// Both roles.
	TypeHello = "hello" // → welcome (player) or challenge (server)
	TypePing  = "ping"  // → pong
	TypePong  = "pong"
	TypeError = "error"
	TypeOK    = "ok" // generic success reply

	// Lobby → any.
	TypeWelcome   = "welcome"
	TypeChallenge = "challenge"
	TypeShutdown  = "shutdown" // event: the lobby is going away; reconnect elsewhere

	// Player requests.
	TypePresence    = "presence"     // → presence
	TypeQueue       = "queue"        // → queued
	TypeCancelQueue = "cancel_queue" // → ok
	TypeRoomCreate  = "room_create"  // → room
	TypeRoomList    = "room_list"    // → rooms
	TypeRoomJoin    = "room_join"    // → room
	TypeRoomLeave   = "room_leave"   // → ok
	TypeRoomReady   = "room_ready"   // → ok
	TypeRoomStart   = "room_start"   // → ok
	TypeChat        = "chat"         // → ok; also the event other members get
	TypeReconnect   = "reconnect"    // → match_found
	TypeHistory     = "history"      // → history

	// Lobby → player replies and events.
	TypeQueued     = "queued"
	TypeRoom       = "room"  // reply, and event on every change of the player's room
	TypeRooms      = "rooms" // reply to room_list
	TypeMatchFound = "match_found"
	TypeMatchEnded = "match_ended"

	// Game server requests.
	TypeAuth        = "auth"         // answer to challenge → welcome
	TypeHeartbeat   = "heartbeat"    // no id, no reply
	TypeMatchResult = "match_result" // → result_ack
	TypeResultAck   = "result_ack"
)

// Error codes, the "code" of an error message.
const (
	CodeBadRequest    = "bad_request"        // malformed JSON, missing or invalid field
	CodeUnknownType   = "unknown_type"       // type not known, or not allowed for this role
	CodeLineTooLong   = "line_too_long"      // line over MaxLineBytes; the lobby then closes
	CodeBadVersion    = "bad_version"        // hello with another ProtocolVersion
	CodeHelloFirst    = "hello_first"        // a request before hello
	CodeAlreadyHello  = "already_hello"      // a second hello
	CodeBadName       = "bad_name"           // nickname empty, too long, or with control, format or replacement characters
	CodeBadUTF8       = "bad_utf8"           // the line is not valid UTF-8; the request is not handled
	CodeBadText       = "bad_text"           // chat text empty, too long or with control characters
	CodeNameTaken     = "name_taken"         // nickname in use by a player online
	CodeRateLimited   = "rate_limited"       // too many messages per second; request dropped
	CodeServerFull    = "server_full"        // max connections reached; the lobby then closes
	CodeTooManyConns  = "too_many_conns"     // max connections from this IP; the lobby then closes
	CodeBadMode       = "bad_mode"           // mode not offered by this lobby
	CodeAlreadyQueued = "already_queued"     // queue while queued
	CodeNotQueued     = "not_queued"         // cancel_queue while not queued
	CodeInRoom        = "in_room"            // queue/create/join while in a room
	CodeNotInRoom     = "not_in_room"        // room request while in no room
	CodeRoomNotFound  = "room_not_found"     // no such room id or join code
	CodeRoomFull      = "room_full"          // room at max_players
	CodeRoomStarted   = "room_started"       // room already starting or playing
	CodeNotHost       = "not_host"           // room_start by someone else than the host
	CodeNotEnough     = "not_enough_players" // room_start below the mode's minimum
	CodeInMatch       = "in_match"           // queue/room while the player's match runs
	CodeNoMatch       = "no_match"           // reconnect to a match that is not running or not the player's
	CodeNoServer      = "no_server"          // no game server with free capacity in the region
	CodeAuthFailed    = "auth_failed"        // game server MAC wrong; the lobby then closes
	CodeShuttingDown  = "shutting_down"      // the lobby is shutting down
	CodeInternal      = "internal"           // the lobby failed; retry later
	CodeIdleTimeout   = "idle_timeout"       // nothing received for the idle timeout; the lobby then closes
	CodeStateLost     = "state_lost"         // the lobby's shared store lost its state; log in again (then closed)
	CodeTLSRequired   = "tls_required"       // plain text to a lobby that speaks TLS (sent in plain text; then closed)
	CodeTLSNotEnabled = "tls_not_enabled"    // a TLS handshake to a lobby without TLS; then closed
)

// Match end reasons, the "reason" of match_ended.
const (
	ReasonFinished   = "finished"    // the game server reported a result
	ReasonServerLost = "server_lost" // the game server stopped heartbeating
	ReasonExpired    = "expired"     // no result within the lobby's MaxMatchDuration
)

// Message is every message of the protocol: a flat object whose fields are omitted when empty.
// Which fields a type uses is listed in lobby/PROTOCOL.md.
type Message struct {
	Type string `json:"type"`
	ID   uint64 `json:"id,omitempty"`

	// hello / welcome
	Version  int    `json:"version,omitempty"`
	Role     string `json:"role,omitempty"`
	Name     string `json:"name,omitempty"`
	PlayerID uint64 `json:"player_id,omitempty"`

	// error / shutdown
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`

	// queue, rooms, chat
	Mode       string  `json:"mode,omitempty"`
	Region     string  `json:"region,omitempty"`
	RoomID     string  `json:"room_id,omitempty"`
	JoinCode   string  `json:"join_code,omitempty"`
	Private    bool    `json:"private,omitempty"`
	MaxPlayers int     `json:"max_players,omitempty"`
	Ready      bool    `json:"ready,omitempty"`
	Text       string  `json:"text,omitempty"`
	From       string  `json:"from,omitempty"`
	Room       *Room   `json:"room,omitempty"`
	Rooms      []Room  `json:"rooms,omitempty"`
	Rating     *Rating `json:"rating,omitempty"`

	// presence (and heartbeat: Players, Matches)
	Online  int `json:"online,omitempty"`
	Queued  int `json:"queued,omitempty"`
	Matches int `json:"matches,omitempty"`
	Servers int `json:"servers,omitempty"`
	Players int `json:"players,omitempty"`

	// match_found / match_ended / reconnect
	Server    string `json:"server,omitempty"`    // game server address host:port
	Transport string `json:"transport,omitempty"` // "udp" (or "kcp")
	Token     []byte `json:"token,omitempty"`     // connect token, base64 in JSON
	MatchID   string `json:"match_id,omitempty"`
	Slot      int    `json:"slot,omitempty"`
	Team      int    `json:"team,omitempty"`
	Reason    string `json:"reason,omitempty"`

	// game server registration
	Nonce    []byte       `json:"nonce,omitempty"` // challenge, base64
	MAC      []byte       `json:"mac,omitempty"`   // auth, base64
	Addr     string       `json:"addr,omitempty"`  // public game address host:port
	Capacity int          `json:"capacity,omitempty"`
	Result   *MatchResult `json:"result,omitempty"`

	History []MatchRecord `json:"history,omitempty"`

	// heartbeat (game server → lobby) and live_matches (lobby → player); spectate.go
	Live []LiveMatch `json:"live,omitempty"`
}

// Room is a room as players see it.
type Room struct {
	ID         string       `json:"id"`
	Name       string       `json:"name,omitempty"`
	Mode       string       `json:"mode"`
	Region     string       `json:"region,omitempty"`
	Host       string       `json:"host"`
	Private    bool         `json:"private,omitempty"`
	JoinCode   string       `json:"join_code,omitempty"` // only sent to members
	MaxPlayers int          `json:"max_players"`
	State      string       `json:"state"` // "open", "playing"
	MatchID    string       `json:"match_id,omitempty"`
	Members    []RoomMember `json:"members"`
}

// RoomMember is one player in a room.
type RoomMember struct {
	Name     string `json:"name"`
	PlayerID uint64 `json:"player_id"`
	Ready    bool   `json:"ready,omitempty"`
}

// Rating is a Glicko-2 rating on the Glicko scale (1500 ± 350 at first).
type Rating struct {
	Rating     float64 `json:"rating"`
	RD         float64 `json:"rd"`
	Volatility float64 `json:"volatility"`
}

// MatchResult is what a game server reports when a match ends. Rank 1 is best; equal ranks draw.
type MatchResult struct {
	MatchID string         `json:"match_id"`
	Players []PlayerResult `json:"players"`
	// Replay is the file name of the match's replay on the game server (gameserver/replay),
	// absent when the server keeps none. Records carry it into the history.
	Replay string `json:"replay,omitempty"`
}

// PlayerResult is one player's line of a match result or record.
type PlayerResult struct {
	PlayerID uint64  `json:"player_id"`
	Name     string  `json:"name,omitempty"`
	Team     int     `json:"team,omitempty"`
	Rank     int     `json:"rank"`
	Score    int     `json:"score,omitempty"`
	Rating   float64 `json:"rating,omitempty"` // after the match (records only)
}

// MatchRecord is one finished match in the history.
type MatchRecord struct {
	MatchID string         `json:"match_id"`
	Mode    string         `json:"mode"`
	Region  string         `json:"region,omitempty"`
	Server  string         `json:"server,omitempty"`
	StartMS int64          `json:"start_ms"` // Unix milliseconds
	EndMS   int64          `json:"end_ms"`
	Reason  string         `json:"reason"`
	Players []PlayerResult `json:"players"`
	Replay  string         `json:"replay,omitempty"` // the game server's replay file, if it kept one
}

// Errors of the codec.
var (
	// ErrLineTooLong is returned for a line longer than MaxLineBytes.
	ErrLineTooLong = errors.New("proto: line too long")
	// ErrNoType is returned for an object without a "type".
	ErrNoType = errors.New("proto: message without type")
	// ErrInvalidUTF8 is returned for a line that is not valid UTF-8. JSON must be UTF-8, and
	// a lenient decoder would turn each bad byte into U+FFFD, so different byte strings
	// would read as one nickname.
	ErrInvalidUTF8 = errors.New("proto: line is not valid UTF-8")
)

// Error is an error message received from the peer; it satisfies error.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("lobby: %s: %s", e.Code, e.Message) }

// Is reports whether target is an *Error with the same code (a Message-less Error matches any).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// ErrorMessage builds an error reply.
func ErrorMessage(id uint64, code, msg string) *Message {
	return &Message{Type: TypeError, ID: id, Code: code, Message: msg}
}

// Append appends m as one JSON line (with its newline) to b.
func Append(b []byte, m *Message) ([]byte, error) {
	j, err := json.Marshal(m)
	if err != nil {
		return b, fmt.Errorf("proto: encode %s: %w", m.Type, err)
	}
	if len(j) > MaxLineBytes {
		return b, fmt.Errorf("proto: encode %s: %w", m.Type, ErrLineTooLong)
	}
	b = append(b, j...)
	return append(b, '\n'), nil
}

// Decode parses one line (without its newline) into a Message. Blank lines are not messages:
// callers skip them (see IsBlank). A line that is not valid UTF-8 is refused with
// ErrInvalidUTF8; the Message returned with it holds only the line's type and id (when it
// has them), so the receiver can answer the request.
func Decode(line []byte) (Message, error) {
	var m Message
	if len(line) > MaxLineBytes {
		return m, ErrLineTooLong
	}
	if !utf8.Valid(line) {
		var head struct {
			Type string `json:"type"`
			ID   uint64 `json:"id"`
		}
		_ = json.Unmarshal(line, &head)
		return Message{Type: head.Type, ID: head.ID}, ErrInvalidUTF8
	}
	if err := json.Unmarshal(line, &m); err != nil {
		return Message{}, fmt.Errorf("proto: decode: %w", err)
	}
	if m.Type == "" {
		return Message{}, ErrNoType
	}
	// An empty binary field ("token":"") means the field is absent, as Append writes it: keep
	// one canonical form so a decoded message equals its re-encoding.
	for _, b := range []*[]byte{&m.Token, &m.Nonce, &m.MAC} {
		if len(*b) == 0 {
			*b = nil
		}
	}
	canonicalLive(&m)
	return m, nil
}

// IsBlank reports whether a line holds only spaces, tabs and carriage returns.
func IsBlank(line []byte) bool {
	for _, c := range line {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}

// ServerMAC is the game server's answer to a challenge: HMAC-SHA256 under the shared key over a
// domain label, the lobby's nonce and the registration fields (name, region, addr, transport,
// capacity), each length-prefixed so no two field lists hash alike.
func ServerMAC(key [32]byte, nonce []byte, m *Message) []byte {
	h := hmac.New(sha256.New, key[:])
	var buf []byte
	field := func(b []byte) {
		buf = binary.BigEndian.AppendUint32(buf[:0], uint32(len(b)))
		h.Write(buf)
		h.Write(b)
	}
	field([]byte("skirmish lobby server auth v1"))
	field(nonce)
	field([]byte(m.Name))
	field([]byte(m.Region))
	field([]byte(m.Addr))
	field([]byte(m.Transport))
	field(binary.BigEndian.AppendUint64(nil, uint64(m.Capacity)))
	return h.Sum(nil)
}

// CheckServerMAC reports whether mac is the right answer to nonce for m, in constant time.
func CheckServerMAC(key [32]byte, nonce []byte, m *Message) bool {
	return hmac.Equal(ServerMAC(key, nonce, m), m.MAC)
}
