package lobbyclient

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/skirmish-go/skirmish/lobby/proto"
)

// ErrClosed is returned by requests on a closed client or connection.
var ErrClosed = errors.New("lobbyclient: connection closed")

// Config configures a Client; zero fields mean the defaults.
type Config struct {
	TLSConfig      *tls.Config   // nil: plain TCP
	RequestTimeout time.Duration // per request when ctx has no deadline; default 10 s
	EventBuffer    int           // events buffered before the reader waits; default 64
	WriteTimeout   time.Duration // default 10 s
	// KeepAlive is how long the connection may go without a message from us before the client
	// pings, once Hello succeeded, so the lobby's idle timeout (90 s by default) never drops a
	// player who is just playing. Default 30 s; negative: never.
	KeepAlive time.Duration
}

// Client is one connection to the lobby. Read Events, or the reader stalls when the buffer is
// full, and the lobby eventually drops a client that does not read.
type Client struct {
	nc      net.Conn
	cfg     Config
	events  chan proto.Message
	nextID  atomic.Uint64
	writeMu sync.Mutex
	buf     []byte

	mu      sync.Mutex
	pending map[uint64]chan proto.Message
	err     error

	done      chan struct{}
	closeOnce sync.Once
	readerWG  sync.WaitGroup

	lastWrite     atomic.Int64 // unix nanoseconds of the last line written
	keepAliveOnce sync.Once
}

// Dial connects to a lobby at addr; tlsConfig nil means plain TCP.
func Dial(ctx context.Context, addr string, tlsConfig *tls.Config) (*Client, error) {
	return DialConfig(ctx, addr, Config{TLSConfig: tlsConfig})
}

// DialConfig is Dial with a Config.
func DialConfig(ctx context.Context, addr string, cfg Config) (*Client, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("lobbyclient: dial %s: %w", addr, err)
	}
	if cfg.TLSConfig != nil {
		tcfg := cfg.TLSConfig
		if tcfg.ServerName == "" && !tcfg.InsecureSkipVerify { // as tls.Dial does
			tcfg = tcfg.Clone()
			tcfg.ServerName, _, _ = net.SplitHostPort(addr)
		}
		tc := tls.Client(nc, tcfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			nc.Close()
			return nil, fmt.Errorf("lobbyclient: tls %s: %w", addr, err)
		}
		nc = tc
	}
	return New(nc, cfg), nil
}

// New runs a Client over an established connection.
func New(nc net.Conn, cfg Config) *Client {
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 10 * time.Second
	}
	if cfg.EventBuffer <= 0 {
		cfg.EventBuffer = 64
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 10 * time.Second
	}
	if cfg.KeepAlive == 0 {
		cfg.KeepAlive = 30 * time.Second
	}
	c := &Client{nc: nc, cfg: cfg, events: make(chan proto.Message, cfg.EventBuffer),
		pending: map[uint64]chan proto.Message{}, done: make(chan struct{})}
	c.readerWG.Add(1)
	go c.read()
	return c
}

// Events delivers messages the lobby pushes: match_found, match_ended, room, chat, shutdown and
// errors without an id. It is closed when the connection ends.
func (c *Client) Events() <-chan proto.Message { return c.events }

// Done is closed when the connection has ended; Err then says why.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err is why the connection ended (ErrClosed after Close, io.EOF when the lobby closed it).
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Close closes the connection and waits for the reader; safe to call more than once.
func (c *Client) Close() error {
	c.fail(ErrClosed)
	c.readerWG.Wait()
	return nil
}

func (c *Client) fail(err error) {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.err = err
		c.mu.Unlock()
		close(c.done)
		c.nc.Close()
	})
}

func (c *Client) read() {
	defer c.readerWG.Done()
	defer close(c.events)
	lr := proto.NewLineReader(c.nc, proto.MaxLineBytes)
	for {
		line, err := lr.ReadLine()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				err = ErrClosed
			}
			c.fail(fmt.Errorf("lobbyclient: read: %w", err))
			return
		}
		if proto.IsBlank(line) {
			continue
		}
		m, err := proto.Decode(line)
		if err != nil {
			c.fail(fmt.Errorf("lobbyclient: %w", err))
			return
		}
		if m.ID != 0 {
			c.mu.Lock()
			ch := c.pending[m.ID]
			delete(c.pending, m.ID)
			c.mu.Unlock()
			if ch != nil {
				ch <- m // buffered 1
				continue
			}
		}
		select {
		case c.events <- m:
		case <-c.done:
			return
		}
	}
}

func (c *Client) write(m *proto.Message) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	var err error
	c.buf, err = proto.Append(c.buf[:0], m)
	if err != nil {
		return err
	}
	_ = c.nc.SetWriteDeadline(time.Now().Add(c.cfg.WriteTimeout))
	if _, err := c.nc.Write(c.buf); err != nil {
		c.fail(fmt.Errorf("lobbyclient: write: %w", err))
		return fmt.Errorf("lobbyclient: write %s: %w", m.Type, err)
	}
	c.lastWrite.Store(time.Now().UnixNano())
	return nil
}

// keepAlive pings whenever nothing was written for KeepAlive, until the connection ends. It
// runs once Hello succeeded (the lobby wants hello first); Close waits for it.
func (c *Client) keepAlive() {
	defer c.readerWG.Done()
	t := time.NewTicker(c.cfg.KeepAlive / 2)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case now := <-t.C:
			if now.Sub(time.Unix(0, c.lastWrite.Load())) < c.cfg.KeepAlive {
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), c.cfg.RequestTimeout)
			_, err := c.Ping(ctx)
			cancel()
			if err != nil && !errors.Is(err, ErrClosed) {
				c.fail(fmt.Errorf("lobbyclient: keepalive: %w", err))
			}
		}
	}
}

// Request sends m with a fresh id and waits for the reply with that id. An error reply comes
// back as a *proto.Error (compare with errors.Is(err, &proto.Error{Code: proto.CodeX})). A
// request without a ctx deadline times out after Config.RequestTimeout with an error that
// satisfies errors.Is(err, os.ErrDeadlineExceeded).
func (c *Client) Request(ctx context.Context, m *proto.Message) (proto.Message, error) {
	id := c.nextID.Add(1)
	m.ID = id
	ch := make(chan proto.Message, 1)
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return proto.Message{}, err
	}
	c.pending[id] = ch
	c.mu.Unlock()
	forget := func() {
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
	}
	if err := c.write(m); err != nil {
		forget()
		return proto.Message{}, err
	}
	var timeout <-chan time.Time
	if _, ok := ctx.Deadline(); !ok {
		t := time.NewTimer(c.cfg.RequestTimeout)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case r := <-ch:
		if r.Type == proto.TypeError {
			return r, &proto.Error{Code: r.Code, Message: r.Message}
		}
		return r, nil
	case <-ctx.Done():
		forget()
		return proto.Message{}, fmt.Errorf("lobbyclient: %s: %w", m.Type, ctx.Err())
	case <-timeout:
		forget()
		return proto.Message{}, fmt.Errorf("lobbyclient: %s: %w", m.Type, os.ErrDeadlineExceeded)
	case <-c.done:
		return proto.Message{}, fmt.Errorf("lobbyclient: %s: %w", m.Type, c.Err())
	}
}

// Welcome is the lobby's answer to Hello.
type Welcome struct {
	PlayerID uint64
	Name     string
	Rating   proto.Rating
	MatchID  string // the player's running match, if any: Reconnect to it
}

// Hello introduces the player; the nickname must be unique among players online.
func (c *Client) Hello(ctx context.Context, name string) (Welcome, error) {
	r, err := c.Request(ctx, &proto.Message{Type: proto.TypeHello, Version: proto.ProtocolVersion, Role: proto.RolePlayer, Name: name})
	if err != nil {
		return Welcome{}, err
	}
	if c.cfg.KeepAlive > 0 {
		c.keepAliveOnce.Do(func() {
			select {
			case <-c.done:
				return
			default:
			}
			c.readerWG.Add(1)
			go c.keepAlive()
		})
	}
	w := Welcome{PlayerID: r.PlayerID, Name: r.Name, MatchID: r.MatchID}
	if r.Rating != nil {
		w.Rating = *r.Rating
	}
	return w, nil
}

// Ping measures a round trip to the lobby.
func (c *Client) Ping(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	_, err := c.Request(ctx, &proto.Message{Type: proto.TypePing})
	return time.Since(start), err
}

// Presence counts what the lobby holds.
type Presence struct{ Online, Queued, Matches, Servers int }

// Presence asks for the lobby's counts.
func (c *Client) Presence(ctx context.Context) (Presence, error) {
	r, err := c.Request(ctx, &proto.Message{Type: proto.TypePresence})
	return Presence{r.Online, r.Queued, r.Matches, r.Servers}, err
}

// QuickMatch joins the queue of a mode and region ("" = any region); match_found follows
// as an event.
func (c *Client) QuickMatch(ctx context.Context, mode, region string) error {
	_, err := c.Request(ctx, &proto.Message{Type: proto.TypeQueue, Mode: mode, Region: region})
	return err
}

// CancelQueue leaves the queue.
func (c *Client) CancelQueue(ctx context.Context) error {
	_, err := c.Request(ctx, &proto.Message{Type: proto.TypeCancelQueue})
	return err
}

// RoomOptions are a new room's settings.
type RoomOptions struct {
	Name       string
	Mode       string
	Region     string
	Private    bool // joined by JoinCode only, not listed
	MaxPlayers int  // 0: the mode's maximum
}

// CreateRoom makes a room with the player as host.
func (c *Client) CreateRoom(ctx context.Context, o RoomOptions) (proto.Room, error) {
	return c.roomReply(c.Request(ctx, &proto.Message{Type: proto.TypeRoomCreate, Name: o.Name, Mode: o.Mode,
		Region: o.Region, Private: o.Private, MaxPlayers: o.MaxPlayers}))
}

func (c *Client) roomReply(r proto.Message, err error) (proto.Room, error) {
	if err != nil {
		return proto.Room{}, err
	}
	if r.Room == nil {
		return proto.Room{}, fmt.Errorf("lobbyclient: %s reply without room", r.Type)
	}
	return *r.Room, nil
}

// ListRooms lists public rooms of a mode ("" = all).
func (c *Client) ListRooms(ctx context.Context, mode string) ([]proto.Room, error) {
	r, err := c.Request(ctx, &proto.Message{Type: proto.TypeRoomList, Mode: mode})
	return r.Rooms, err
}

// JoinRoom joins a public room by id.
func (c *Client) JoinRoom(ctx context.Context, roomID string) (proto.Room, error) {
	return c.roomReply(c.Request(ctx, &proto.Message{Type: proto.TypeRoomJoin, RoomID: roomID}))
}

// JoinRoomByCode joins a room (private or public) by its join code.
func (c *Client) JoinRoomByCode(ctx context.Context, code string) (proto.Room, error) {
	return c.roomReply(c.Request(ctx, &proto.Message{Type: proto.TypeRoomJoin, JoinCode: code}))
}

// LeaveRoom leaves the player's room; host passes to another member.
func (c *Client) LeaveRoom(ctx context.Context) error {
	_, err := c.Request(ctx, &proto.Message{Type: proto.TypeRoomLeave})
	return err
}

// Ready sets the player's ready flag; the room starts when everyone is ready.
func (c *Client) Ready(ctx context.Context, ready bool) error {
	_, err := c.Request(ctx, &proto.Message{Type: proto.TypeRoomReady, Ready: ready})
	return err
}

// StartRoom starts the room's match (host only).
func (c *Client) StartRoom(ctx context.Context) error {
	_, err := c.Request(ctx, &proto.Message{Type: proto.TypeRoomStart})
	return err
}

// Chat says text to the player's room.
func (c *Client) Chat(ctx context.Context, text string) error {
	_, err := c.Request(ctx, &proto.Message{Type: proto.TypeChat, Text: text})
	return err
}

// MatchFound is where and how to join a match.
type MatchFound struct {
	MatchID   string
	Server    string // host:port
	Transport string // "udp" or "kcp"
	Token     []byte // netcode.io connect token
	Mode      string
	Slot      int
	Team      int
	Players   int
	// Spectator: the token is a spectator's (Spectate); Slot and Team mean nothing.
	Spectator bool
}

// MatchFoundOf reads a match_found message.
func MatchFoundOf(m proto.Message) MatchFound {
	return MatchFound{MatchID: m.MatchID, Server: m.Server, Transport: m.Transport, Token: m.Token, Mode: m.Mode,
		Slot: m.Slot, Team: m.Team, Players: m.Players}
}

// Reconnect asks for a fresh token to the player's seat in a running match.
func (c *Client) Reconnect(ctx context.Context, matchID string) (MatchFound, error) {
	r, err := c.Request(ctx, &proto.Message{Type: proto.TypeReconnect, MatchID: matchID})
	if err != nil {
		return MatchFound{}, err
	}
	return MatchFoundOf(r), nil
}

// History returns the player's recent matches, newest first, and current rating.
func (c *Client) History(ctx context.Context) ([]proto.MatchRecord, proto.Rating, error) {
	r, err := c.Request(ctx, &proto.Message{Type: proto.TypeHistory})
	var rt proto.Rating
	if r.Rating != nil {
		rt = *r.Rating
	}
	return r.History, rt, err
}
