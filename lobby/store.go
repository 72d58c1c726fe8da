package lobby

import (
	"context"
	"errors"
	"time"

	"github.com/skirmish-go/skirmish/lobby/glicko"
	"github.com/skirmish-go/skirmish/lobby/proto"
)

// Errors a Store returns.
var (
	// ErrNotFound is returned for a room, match or player that the store does not hold.
	ErrNotFound = errors.New("lobby: not found")
	// ErrExists is returned when creating what is already there (a queued player, a room code).
	ErrExists = errors.New("lobby: already exists")
	// ErrStateLost is returned by an EpochStore's PlayerID when the state the lobby adopted
	// is gone (the store restarted empty, or from an older snapshot): the lobby must call
	// Epoch before ids are handed out again.
	ErrStateLost = errors.New("lobby: store lost its state")
)

// EpochStore is a Store that can lose what it holds behind the lobby's back, as a Redis
// without persistence does when it restarts. Its state carries a name, the epoch; when the
// state is lost the store starts a new epoch, and ids handed out in the new one never repeat
// an id of an earlier one. The lobby checks the epoch at start and on every health check
// (and whenever PlayerID returns ErrStateLost); when it changed, every player session that
// logged in under an older epoch is closed with state_lost (its nickname, queue ticket, room
// and match are gone with the state), and its player logs in again under a fresh id.
type EpochStore interface {
	Store
	// Epoch returns the current epoch, starting one if the store holds none or finds its
	// state rolled back, and makes PlayerID work again.
	Epoch(ctx context.Context) (string, error)
}

// Store holds every piece of state that lobby instances share: nicknames and presence, the
// match queue, rooms, the game server registry, running matches, history and ratings, and an
// event bus. The lobby keeps only connection-local state (which socket is which player) in
// memory, so a Store that lives outside the process (Redis) lets several lobby processes act as
// one: each reads the same queue and rooms, one instance at a time (holding Lock) forms
// matches and sweeps dead servers, and events reach players on whichever instance holds their
// connection through Publish/Subscribe.
//
// Every method is safe for concurrent use. Methods that read-modify-write (Enqueue, TakeTickets,
// UpdateRoom, EndMatch, ClaimName, Lock) must be atomic across instances: a Redis store uses
// WATCH/MULTI or Lua for them.
type Store interface {
	// ClaimName gives name to owner (a session id) until released or until ttl passes without
	// a RefreshName; it reports false if another owner holds it.
	ClaimName(ctx context.Context, name, owner string, ttl time.Duration) (bool, error)
	RefreshName(ctx context.Context, name, owner string, ttl time.Duration) error
	ReleaseName(ctx context.Context, name, owner string) error
	// NameOwner returns the session holding name, or ErrNotFound. A lobby takes a name over
	// from a session whose instance is dead (its "instance:<name>" lease expired).
	NameOwner(ctx context.Context, name string) (string, error)
	// PlayerID returns the stable id of a nickname, allocating one on first use.
	PlayerID(ctx context.Context, name string) (uint64, error)
	Presence(ctx context.Context) (Presence, error)

	// Enqueue adds a ticket; ErrExists if the player is queued already.
	Enqueue(ctx context.Context, t QueueTicket) error
	// Dequeue removes a player's ticket and reports whether there was one.
	Dequeue(ctx context.Context, playerID uint64) (bool, error)
	// QueueKeys lists the (mode, region) queues that hold tickets.
	QueueKeys(ctx context.Context) ([]QueueKey, error)
	// Queued lists one queue's tickets, oldest first.
	Queued(ctx context.Context, key QueueKey) ([]QueueTicket, error)
	// TakeTickets removes all the given players from the queue, or none of them (false) if any
	// is no longer queued.
	TakeTickets(ctx context.Context, ids []uint64) (bool, error)

	// CreateRoom stores a new room; ErrExists if its id or join code is taken.
	CreateRoom(ctx context.Context, r Room) error
	Room(ctx context.Context, id string) (Room, error)
	RoomByCode(ctx context.Context, code string) (Room, error)
	// UpdateRoom applies fn to the room atomically and stores the result; a room whose
	// Members end up empty is deleted. fn's error aborts the update and is returned.
	UpdateRoom(ctx context.Context, id string, fn func(*Room) error) (Room, error)
	// ListRooms lists public rooms (of one mode, or all for ""), oldest first, at most limit.
	ListRooms(ctx context.Context, mode string, limit int) ([]Room, error)

	PutServer(ctx context.Context, s ServerInfo) error
	Servers(ctx context.Context) ([]ServerInfo, error)
	DeleteServer(ctx context.Context, name string) error

	PutMatch(ctx context.Context, m Match) error
	Match(ctx context.Context, id string) (Match, error)
	// PlayerMatch returns the id of the running match a player is in, or ErrNotFound.
	PlayerMatch(ctx context.Context, playerID uint64) (string, error)
	// EndMatch removes a running match and returns it; false if it had ended already, so only
	// one caller ever finishes a match.
	EndMatch(ctx context.Context, id string) (Match, bool, error)
	Matches(ctx context.Context) ([]Match, error)
	// FinishMatch ends a running match and, in the same atomic step, stores ratings and adds
	// rec to every listed player's history; false (and nothing written) if the match had
	// ended already. Either all of it is stored or, with an error, possibly none: the caller
	// does not acknowledge the result then, and the game server resends it.
	FinishMatch(ctx context.Context, id string, ratings map[uint64]glicko.Rating, rec proto.MatchRecord) (Match, bool, error)

	AddHistory(ctx context.Context, rec proto.MatchRecord) error
	// History returns a player's newest records first, at most n.
	History(ctx context.Context, playerID uint64, n int) ([]proto.MatchRecord, error)
	// Ratings returns the stored ratings of the players that have one.
	Ratings(ctx context.Context, ids []uint64) (map[uint64]glicko.Rating, error)
	PutRatings(ctx context.Context, r map[uint64]glicko.Rating) error

	// Lock makes owner the holder of a named lease for ttl (renewing it if owner holds it
	// already); false if someone else holds it. The matchmaker and the sweeper run only on
	// the instance holding their lock.
	Lock(ctx context.Context, name, owner string, ttl time.Duration) (bool, error)
	// LockOwner returns the holder of a live lease, or "" when nobody holds it.
	LockOwner(ctx context.Context, name string) (string, error)

	// Publish sends an event to every subscribed instance (including this one).
	Publish(ctx context.Context, ev Event) error
	// Subscribe calls fn for every published event until stop is called. fn must not block.
	Subscribe(ctx context.Context, fn func(Event)) (stop func(), err error)

	Close() error
}

// Presence counts what the lobby holds right now.
type Presence struct {
	Online  int // players with a nickname
	Queued  int
	Matches int // running
	Servers int // registered game servers
}

// QueueKey names one queue.
type QueueKey struct {
	Mode   string
	Region string
}

// QueueTicket is one player waiting in a queue.
type QueueTicket struct {
	PlayerID uint64
	Name     string
	Mode     string
	Region   string
	Rating   float64
	RD       float64
	Since    time.Time
	Owner    string // the lobby session (instance-n) that queued it; its instance's death drops it
}

// Key is the queue the ticket waits in.
func (t QueueTicket) Key() QueueKey { return QueueKey{t.Mode, t.Region} }

// Room is a room as stored. JoinCode is set for private rooms.
type Room struct {
	ID         string
	Name       string
	Mode       string
	Region     string
	Host       uint64
	Private    bool
	JoinCode   string
	MaxPlayers int
	MatchID    string // set while the room's match runs
	Created    time.Time
	Members    []RoomMember
}

// RoomMember is one player in a room.
type RoomMember struct {
	PlayerID uint64
	Name     string
	Ready    bool
}

// Wire is the room as players see it; withCode says whether to show the join code.
func (r *Room) Wire(withCode bool) *proto.Room {
	w := &proto.Room{ID: r.ID, Name: r.Name, Mode: r.Mode, Region: r.Region, Private: r.Private,
		MaxPlayers: r.MaxPlayers, State: "open", MatchID: r.MatchID, Members: []proto.RoomMember{}}
	if r.MatchID != "" {
		w.State = "playing"
	}
	if withCode {
		w.JoinCode = r.JoinCode
	}
	for _, m := range r.Members {
		w.Members = append(w.Members, proto.RoomMember{Name: m.Name, PlayerID: m.PlayerID, Ready: m.Ready})
		if m.PlayerID == r.Host {
			w.Host = m.Name
		}
	}
	return w
}

// ServerInfo is a registered game server. Name identifies it across reconnects and lobbies.
type ServerInfo struct {
	Name      string
	Region    string
	Addr      string
	Transport string
	Capacity  int // players
	Players   int // connected, from the last heartbeat
	Matches   int // running, from the last heartbeat
	LastSeen  time.Time
	Instance  string // lobby instance holding its connection
	// Disconnected is when its connection to Instance ended (zero while connected); unless it
	// registers again within HeartbeatTimeout/2 it is lost.
	Disconnected time.Time
	// Live summarises its running matches, from the last heartbeat (spectate.go).
	Live []proto.LiveMatch `json:",omitempty"`
}

// Match is a running match.
type Match struct {
	ID        string // 32 hex digits
	Mode      string
	Region    string
	Server    string // ServerInfo.Name
	Addr      string
	Transport string
	RoomID    string
	Start     time.Time
	Players   []MatchPlayer
}

// MatchPlayer is one seat of a match.
type MatchPlayer struct {
	PlayerID uint64
	Name     string
	Slot     int
	Team     int
}

// Event is a message for players, wherever their connection is: for one player (To) or for
// every member of a room (Room).
type Event struct {
	To   uint64
	Room string
	Msg  proto.Message
}
