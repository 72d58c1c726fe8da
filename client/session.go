package client

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/skirmish-go/skirmish/client/lobbyclient"
	"github.com/skirmish-go/skirmish/gameserver/arena"
	"github.com/skirmish-go/skirmish/lobby/proto"
)

// SessionConfig configures a [Session]. The zero value is the default.
type SessionConfig struct {
	// TLS, if set, secures the lobby connection.
	TLS *tls.Config
	// Modes are the quick match modes offered; default Arena's (arena.Modes).
	Modes []string
	// Dial configures the game connections.
	Dial DialConfig
	// Autoplay, if set, makes the controls of each match instead of SetControls (a bot brain:
	// cmd/client -autoplay). It is called once per match with the new connection.
	Autoplay func(c *Conn) InputSource
	// AutoQueue queues for a quick match as soon as the lobby welcomes us (autoplay runs).
	AutoQueue bool
	Logger    *slog.Logger
}

// Session is a player's whole client: the lobby session (package client/lobbyclient), the
// matchmaking queue and rooms, and the game connection of the current match. Its methods
// implement the Ebiten front end's Backend (package client/render): the renderer calls Lobby
// and Scene once per frame and the actions when the player clicks; actions never block (they
// run on the session's goroutines and report through the LobbyView's Status).
//
// Safe for concurrent use. Close stops everything.
type Session struct {
	cfg SessionConfig
	log *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	view     LobbyView
	lobby    *lobbyclient.Client
	conn     *Conn
	controls Controls
	queuedAt time.Time
	scenes   [2]Scene
	cur      int
	chat     []timedChat
	roomChat []timedChat
}

// NewSession returns an offline session.
func NewSession(cfg SessionConfig) *Session {
	if len(cfg.Modes) == 0 {
		for _, m := range arena.Modes() {
			cfg.Modes = append(cfg.Modes, m.Name)
		}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Session{cfg: cfg, log: log, ctx: ctx, cancel: cancel}
	s.view.Modes = cfg.Modes
	return s
}

// Close leaves the match and the lobby and waits for the session's goroutines. Safe twice.
func (s *Session) Close() error {
	s.cancel()
	s.mu.Lock()
	lc, gc := s.lobby, s.conn
	s.mu.Unlock()
	if gc != nil {
		gc.Close()
	}
	if lc != nil {
		lc.Close()
	}
	s.wg.Wait()
	return nil
}

// go runs f on a session goroutine.
func (s *Session) goDo(f func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
}

func (s *Session) status(text string, isErr bool) {
	s.mu.Lock()
	s.view.Status, s.view.Error = text, isErr
	s.mu.Unlock()
}

// Lobby returns the lobby view for this frame.
func (s *Session) Lobby() LobbyView {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.view
	now := time.Now()
	if v.Queue.Queued {
		v.Queue.Waited = now.Sub(s.queuedAt)
	}
	v.Chat = make([]ChatLine, 0, len(s.chat))
	for _, l := range s.chat {
		c := l.c
		c.Age = now.Sub(l.at)
		v.Chat = append(v.Chat, c)
	}
	v.Rooms = append([]RoomSummary(nil), s.view.Rooms...)
	if s.view.Room != nil {
		r := *s.view.Room
		r.Members = append([]RoomMember(nil), r.Members...)
		r.Chat = make([]ChatLine, 0, len(s.roomChat))
		for _, l := range s.roomChat {
			c := l.c
			c.Age = now.Sub(l.at)
			r.Chat = append(r.Chat, c)
		}
		v.Room = &r
	}
	return v
}

// Scene returns the match to draw this frame, or nil when no match is running. The returned
// Scene stays untouched until the next call (two are kept and alternated).
func (s *Session) Scene() *Scene {
	s.mu.Lock()
	c := s.conn
	s.cur = 1 - s.cur
	sc := &s.scenes[s.cur]
	s.mu.Unlock()
	if c == nil {
		return nil
	}
	c.Scene(time.Now(), sc)
	return sc
}

// Conn returns the current match's connection, or nil.
func (s *Session) Conn() *Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conn
}

// Connect connects to the lobby at addr as name.
func (s *Session) Connect(addr, name string) {
	s.mu.Lock()
	if s.view.Stage != StageOffline {
		s.mu.Unlock()
		return
	}
	s.view.Stage, s.view.Status, s.view.Error = StageConnecting, "connecting to "+addr, false
	s.mu.Unlock()
	s.goDo(func() {
		ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
		defer cancel()
		lc, err := lobbyclient.DialConfig(ctx, addr, lobbyclient.Config{TLSConfig: s.cfg.TLS})
		if err == nil {
			var w lobbyclient.Welcome
			if w, err = lc.Hello(ctx, name); err == nil {
				name = w.Name
			} else {
				lc.Close()
			}
		}
		s.mu.Lock()
		if err != nil {
			s.view.Stage, s.view.Status, s.view.Error = StageOffline, fmt.Sprintf("cannot connect: %v", err), true
			s.mu.Unlock()
			return
		}
		s.lobby = lc
		s.view.Stage, s.view.PlayerName, s.view.Status, s.view.Error = StageLobby, name, "connected as "+name, false
		s.mu.Unlock()
		s.goDo(func() { s.readLobby(lc) })
		s.RefreshRooms()
		if s.cfg.AutoQueue {
			s.QuickMatch("")
		}
	})
}

// request runs f with the lobby client on a session goroutine, reporting its error.
func (s *Session) request(what string, f func(ctx context.Context, lc *lobbyclient.Client) error) {
	s.mu.Lock()
	lc := s.lobby
	s.mu.Unlock()
	if lc == nil {
		s.status("not connected", true)
		return
	}
	s.goDo(func() {
		ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
		defer cancel()
		if err := f(ctx, lc); err != nil {
			s.status(fmt.Sprintf("%s: %v", what, err), true)
		}
	})
}

// QuickMatch joins the matchmaking queue for mode ("" = the first offered).
func (s *Session) QuickMatch(mode string) {
	if mode == "" {
		mode = s.cfg.Modes[0]
	}
	s.request("quick match", func(ctx context.Context, lc *lobbyclient.Client) error {
		if err := lc.QuickMatch(ctx, mode, ""); err != nil {
			return err
		}
		s.mu.Lock()
		s.view.Queue = QueueState{Queued: true, Mode: mode}
		s.queuedAt = time.Now()
		s.view.Status, s.view.Error = "looking for a "+mode+" match", false
		s.mu.Unlock()
		return nil
	})
}

// CancelQueue leaves the matchmaking queue.
func (s *Session) CancelQueue() {
	s.request("cancel", func(ctx context.Context, lc *lobbyclient.Client) error {
		err := lc.CancelQueue(ctx)
		s.mu.Lock()
		s.view.Queue = QueueState{}
		s.mu.Unlock()
		return err
	})
}

// RefreshRooms fetches the public room list.
func (s *Session) RefreshRooms() {
	s.request("room list", func(ctx context.Context, lc *lobbyclient.Client) error {
		rooms, err := lc.ListRooms(ctx, "")
		if err != nil {
			return err
		}
		list := make([]RoomSummary, 0, len(rooms))
		for _, r := range rooms {
			list = append(list, RoomSummary{Code: r.JoinCode, Name: r.Name, Mode: r.Mode, Players: len(r.Members),
				MaxPlayers: r.MaxPlayers, InMatch: r.State == "playing"})
			if list[len(list)-1].Code == "" {
				list[len(list)-1].Code = r.ID
			}
		}
		s.mu.Lock()
		s.view.Rooms = list
		s.mu.Unlock()
		return nil
	})
}

func (s *Session) setRoom(r proto.Room) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rv := &RoomView{Code: r.JoinCode, Name: r.Name, Mode: r.Mode, Private: r.Private, MaxPlayers: r.MaxPlayers}
	if rv.Code == "" {
		rv.Code = r.ID
	}
	for _, m := range r.Members {
		rv.Members = append(rv.Members, RoomMember{Name: m.Name, Ready: m.Ready, Host: m.Name == r.Host,
			You: m.Name == s.view.PlayerName})
	}
	s.view.Room = rv
}

// CreateRoom creates a room and joins it.
func (s *Session) CreateRoom(private bool) {
	s.request("create room", func(ctx context.Context, lc *lobbyclient.Client) error {
		r, err := lc.CreateRoom(ctx, lobbyclient.RoomOptions{Mode: s.cfg.Modes[0], Private: private})
		if err == nil {
			s.setRoom(r)
		}
		return err
	})
}

// JoinRoom joins a room by its code.
func (s *Session) JoinRoom(code string) {
	s.request("join room", func(ctx context.Context, lc *lobbyclient.Client) error {
		r, err := lc.JoinRoomByCode(ctx, code)
		if err != nil {
			r, err = lc.JoinRoom(ctx, code)
		}
		if err == nil {
			s.setRoom(r)
		}
		return err
	})
}

// LeaveRoom leaves the current room.
func (s *Session) LeaveRoom() {
	s.request("leave room", func(ctx context.Context, lc *lobbyclient.Client) error {
		err := lc.LeaveRoom(ctx)
		s.mu.Lock()
		s.view.Room, s.roomChat = nil, nil
		s.mu.Unlock()
		return err
	})
}

// Ready sets our ready flag in the room.
func (s *Session) Ready(ready bool) {
	s.request("ready", func(ctx context.Context, lc *lobbyclient.Client) error { return lc.Ready(ctx, ready) })
}

// Chat says a line in the match, else the room.
func (s *Session) Chat(text string) {
	if c := s.Conn(); c != nil {
		if err := c.SendChat(text); err != nil {
			s.status(err.Error(), true)
		}
		return
	}
	s.request("chat", func(ctx context.Context, lc *lobbyclient.Client) error { return lc.Chat(ctx, text) })
}

// SetControls is the local player's intent for the next ticks.
func (s *Session) SetControls(c Controls) {
	s.mu.Lock()
	s.controls = c
	s.mu.Unlock()
}

// LeaveMatch leaves the match (or its results) for the lobby.
func (s *Session) LeaveMatch() {
	s.mu.Lock()
	c := s.conn
	s.conn = nil
	if s.view.Stage == StageMatch {
		s.view.Stage = StageLobby
	}
	s.mu.Unlock()
	if c != nil {
		c.Close()
	}
}

// readLobby handles what the lobby pushes until the session ends.
func (s *Session) readLobby(lc *lobbyclient.Client) {
	for m := range lc.Events() {
		switch m.Type {
		case proto.TypeMatchFound:
			mf := lobbyclient.MatchFoundOf(m)
			s.mu.Lock()
			s.view.Queue = QueueState{}
			s.view.Status, s.view.Error = "match found: joining "+mf.Server, false
			s.mu.Unlock()
			s.goDo(func() { s.play(mf) })
		case proto.TypeRoom:
			if m.Room != nil {
				s.setRoom(*m.Room)
			}
		case proto.TypeChat:
			s.mu.Lock()
			l := timedChat{time.Now(), ChatLine{From: m.From, Text: m.Text}}
			if m.RoomID != "" {
				s.roomChat = append(s.roomChat, l)
			} else {
				s.chat = append(s.chat, l)
			}
			s.mu.Unlock()
		case proto.TypeShutdown:
			s.status("the lobby is shutting down", true)
		case proto.TypeError:
			s.status(m.Message, true)
		}
	}
	s.mu.Lock()
	if s.lobby == lc {
		s.lobby = nil
		if s.view.Stage != StageMatch {
			s.view.Stage = StageOffline
		}
		s.view.Status, s.view.Error = fmt.Sprintf("lobby connection lost: %v", lc.Err()), true
	}
	s.mu.Unlock()
}

// play joins a match and runs it until it ends, then returns to the lobby screen (the
// results stay on screen until LeaveMatch).
func (s *Session) play(mf lobbyclient.MatchFound) {
	ctx, cancel := context.WithTimeout(s.ctx, 15*time.Second)
	dc := s.cfg.Dial
	dc.Transport = mf.Transport // the server's (udp or kcp); DialGame checks it against Force
	c, err := DialGame(ctx, mf.Token, dc)
	cancel()
	if err != nil {
		s.status(fmt.Sprintf("cannot join the match: %v", err), true)
		return
	}
	s.mu.Lock()
	if old := s.conn; old != nil {
		old.Close()
	}
	s.conn = c
	s.view.Stage, s.view.Status, s.view.Error = StageMatch, "playing", false
	s.mu.Unlock()
	input := func(time.Time) Controls {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.controls
	}
	if s.cfg.Autoplay != nil {
		input = s.cfg.Autoplay(c)
	}
	err = c.Run(s.ctx, nil, input)
	s.mu.Lock()
	left := s.conn != c
	s.mu.Unlock()
	switch {
	case left:
		// LeaveMatch closed it.
	case err == nil:
		s.status("match over", false)
		if s.cfg.AutoQueue {
			s.LeaveMatch()
			s.QuickMatch("")
		}
	case errors.Is(err, context.Canceled):
	default:
		s.status(fmt.Sprintf("match connection lost: %v", err), true)
	}
}
