package client

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/skirmish-go/skirmish/client/lobbyclient"
	"github.com/skirmish-go/skirmish/gameserver/arena"
	"github.com/skirmish-go/skirmish/lobby/proto"
	"github.com/skirmish-go/skirmish/netcode/secure"
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
	// LobbyReconnectFor is how long the session keeps dialling the lobby again after its
	// connection dropped (LobbyView.Link says so meanwhile) before it goes back to the name
	// screen saying why; default 30 s.
	LobbyReconnectFor time.Duration
	// AutoWatch spectates the longest running match with players as soon as the lobby
	// welcomes us (cmd/client -watch), waiting for one to start if none runs.
	AutoWatch bool
	Logger    *slog.Logger
}

// Lobby reconnection: the first retry after lobbyRetryFirst, each next wait doubled up to
// lobbyRetryMax, for SessionConfig.LobbyReconnectFor in all.
const (
	lobbyRetryFirst = 250 * time.Millisecond
	lobbyRetryMax   = 4 * time.Second
	lobbyReconnect  = 30 * time.Second
)

// Session is a player's whole client: the lobby session (package client/lobbyclient), the
// matchmaking queue and rooms, and the game connection of the current match. Its methods
// implement the Ebiten front end's Backend (package client/render): the renderer calls Lobby
// and Scene once per frame and the actions when the player clicks; actions never block (they
// run on the session's goroutines and report through the LobbyView's Status).
//
// A player's match outlives their connection to it. When the game connection drops before the
// match ends, the session asks the lobby for a fresh token to the same seat
// ([lobbyclient.Client.Reconnect]) and joins again, a bounded number of times with backoff.
// A player who left a running match (LeaveMatch, a lost connection, a restarted client) and
// then asks for a quick match or a room gets the lobby's in_match refusal; the session rejoins
// that match instead, as it does when the lobby's welcome names a running match.
//
// Safe for concurrent use. Close stops everything.
type Session struct {
	cfg SessionConfig
	log *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu    sync.Mutex
	view  LobbyView
	lobby *lobbyclient.Client
	conn  *Conn
	// addr and name are the lobby and the name last connected with, for reconnecting;
	// lostWhy says why the lobby link was given up (shown when a match leaves to the name
	// screen).
	addr, name string
	lostWhy    string
	// matchID is the match being played (or last played); ended is the last one seen to end,
	// whose in_match the lobby may still report for a moment. stopPlay ends the play loop of
	// the match being played (LeaveMatch); playGen tells that loop from the ones before.
	matchID  string
	ended    string
	stopPlay context.CancelFunc
	playGen  uint64
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
	if cfg.LobbyReconnectFor <= 0 {
		cfg.LobbyReconnectFor = lobbyReconnect
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
	s.addr, s.name, s.lostWhy = addr, name, ""
	s.view.Stage, s.view.Status, s.view.Error = StageConnecting, "Connecting to "+addr+"…", false
	s.view.Link, s.view.LinkAttempt = LinkUp, 0
	s.mu.Unlock()
	s.goDo(func() {
		lc, w, err := s.dialLobby(addr, name)
		if err != nil {
			s.mu.Lock()
			s.view.Stage, s.view.Status, s.view.Error = StageOffline, PlayerText(err, "the lobby at "+addr), true
			s.mu.Unlock()
			return
		}
		s.attachLobby(lc, w, "Connected as "+w.Name)
	})
}

// dialLobby connects to the lobby at addr and says hello as name, within 10 s.
func (s *Session) dialLobby(addr, name string) (*lobbyclient.Client, lobbyclient.Welcome, error) {
	ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
	defer cancel()
	lc, err := lobbyclient.DialConfig(ctx, addr, lobbyclient.Config{TLSConfig: s.cfg.TLS})
	if err != nil {
		s.log.Info("client: lobby dial failed", "addr", addr, "err", err)
		return nil, lobbyclient.Welcome{}, err
	}
	w, err := lc.Hello(ctx, name)
	if err != nil {
		lc.Close()
		s.log.Info("client: lobby hello failed", "addr", addr, "err", err)
		return nil, lobbyclient.Welcome{}, err
	}
	return lc, w, nil
}

// attachLobby makes lc the session's lobby link (on a session goroutine): the lobby screen,
// unless a match is on; then the rooms, a rejoin of the match the welcome names, and the
// automatic queue.
func (s *Session) attachLobby(lc *lobbyclient.Client, w lobbyclient.Welcome, status string) {
	s.mu.Lock()
	if s.ctx.Err() != nil {
		s.mu.Unlock()
		lc.Close()
		return
	}
	s.lobby, s.name, s.lostWhy = lc, w.Name, ""
	if s.view.Stage != StageMatch {
		s.view.Stage, s.view.Status, s.view.Error = StageLobby, status, false
	}
	s.view.PlayerName, s.view.Link, s.view.LinkAttempt = w.Name, LinkUp, 0
	// our match, still running (we left it, lost it, or the lobby link was down): rejoin it,
	// unless we are playing it already
	running := w.MatchID
	if running != "" && s.conn != nil && s.matchID == running {
		running = ""
	}
	playing := s.view.Stage == StageMatch
	s.mu.Unlock()
	s.goDo(func() { s.readLobby(lc) })
	s.RefreshRooms()
	s.RefreshLive()
	if running != "" {
		ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
		defer cancel()
		if err := s.rejoin(ctx, lc, running); err == nil {
			return // played it
		} else if !isNoMatch(err) {
			s.log.Info("client: rejoin failed", "match", running, "err", err)
			s.status("Cannot rejoin your match: "+PlayerText(err, "the lobby"), true)
		}
	}
	if s.cfg.AutoWatch && !playing {
		s.goDo(func() { s.autoWatch(lc) })
		return
	}
	if s.cfg.AutoQueue && !playing {
		s.QuickMatch("")
	}
}

// reconnectLobby dials the lobby again after its connection dropped, with backoff, for
// SessionConfig.LobbyReconnectFor; then it gives up and, outside a match, goes back to the
// name screen with why.
func (s *Session) reconnectLobby() {
	deadline := time.Now().Add(s.cfg.LobbyReconnectFor)
	wait := lobbyRetryFirst
	for attempt := 1; ; attempt++ {
		s.mu.Lock()
		s.view.LinkAttempt = attempt
		addr, name := s.addr, s.name
		s.mu.Unlock()
		lc, w, err := s.dialLobby(addr, name)
		if err == nil {
			s.attachLobby(lc, w, "Reconnected to the lobby")
			return
		}
		if s.ctx.Err() != nil {
			return
		}
		why := PlayerText(err, "the lobby at "+addr)
		if time.Now().Add(wait).After(deadline) {
			s.mu.Lock()
			s.view.Link, s.view.LinkAttempt = LinkUp, 0
			s.lostWhy = "Lost the lobby: " + sentence(why) + " Connect again when it is back."
			if s.view.Stage != StageMatch {
				s.view.Stage, s.view.Status, s.view.Error = StageOffline, s.lostWhy, true
			}
			s.mu.Unlock()
			return
		}
		s.mu.Lock()
		if s.view.Stage != StageMatch {
			s.view.Status, s.view.Error = why+" · reconnecting…", true
		}
		s.mu.Unlock()
		if !sleepCtx(s.ctx, wait) {
			return
		}
		wait = min(2*wait, lobbyRetryMax)
	}
}

// sentence ends s with a full stop unless it ends with punctuation already.
func sentence(s string) string {
	if strings.HasSuffix(s, ".") || strings.HasSuffix(s, "?") || strings.HasSuffix(s, "!") {
		return s
	}
	return s + "."
}

// lobbyStageLocked is the stage a player leaving a match goes to: the lobby, or the name
// screen when the lobby link is gone for good. s.mu is held.
func (s *Session) lobbyStageLocked() LobbyStage {
	if s.lobby != nil || s.view.Link == LinkReconnecting {
		return StageLobby
	}
	return StageOffline
}

// request runs f with the lobby client on a session goroutine, reporting its error. When the
// lobby refuses f because our match is still running (in_match: we left it or lost the
// connection), the session rejoins that match instead.
func (s *Session) request(what string, f func(ctx context.Context, lc *lobbyclient.Client) error) {
	s.mu.Lock()
	lc, link := s.lobby, s.view.Link
	s.mu.Unlock()
	if lc == nil {
		if link == LinkReconnecting {
			s.status("Reconnecting to the lobby — try again in a moment", true)
		} else {
			s.status("Not connected to the lobby", true)
		}
		return
	}
	s.goDo(func() {
		ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
		defer cancel()
		if err := s.requestOrRejoin(ctx, lc, f); err != nil {
			s.log.Info("client: lobby request failed", "request", what, "err", err)
			s.status(PlayerText(err, "the lobby"), true)
		}
	})
}

// endedMatchRetries bounds how often a request is retried while the lobby still reports as
// running a match this session saw end (the game server's result reaches the lobby a moment
// after the players' MatchEnd), endedMatchWait apart.
const (
	endedMatchRetries = 10
	endedMatchWait    = 200 * time.Millisecond
)

func (s *Session) requestOrRejoin(ctx context.Context, lc *lobbyclient.Client, f func(ctx context.Context, lc *lobbyclient.Client) error) error {
	rejoined := false
	for try := 0; ; try++ {
		err := f(ctx, lc)
		var pe *proto.Error
		if !errors.As(err, &pe) || pe.Code != proto.CodeInMatch {
			return err
		}
		id := inMatchID(pe.Message)
		s.mu.Lock()
		if id == "" {
			id = s.matchID
		}
		over := id != "" && id == s.ended
		s.mu.Unlock()
		if over && try < endedMatchRetries {
			if !sleepCtx(ctx, endedMatchWait) {
				return err
			}
			continue
		}
		if rejoined || id == "" {
			return err
		}
		rejoined = true
		rerr := s.rejoin(ctx, lc, id)
		if isNoMatch(rerr) {
			continue // it ended meanwhile: try f again
		}
		return rerr
	}
}

// inMatchID reads the match id out of the lobby's in_match refusal ("your match ID is running;
// reconnect to it"), or "" when the text has another form.
func inMatchID(msg string) string {
	_, rest, ok := strings.Cut(msg, "your match ")
	if !ok {
		return ""
	}
	id, _, ok := strings.Cut(rest, " ")
	if !ok {
		return ""
	}
	return id
}

// isNoMatch reports the lobby's answer to a reconnect when the match is no longer running.
func isNoMatch(err error) bool { return errors.Is(err, &proto.Error{Code: proto.CodeNoMatch}) }

// sleepCtx waits d or until ctx is done; it reports whether the whole d passed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// rejoin asks the lobby for a fresh token to our seat in match id and plays the match (on
// the calling goroutine, until it ends). ctx bounds only the lobby request.
func (s *Session) rejoin(ctx context.Context, lc *lobbyclient.Client, id string) error {
	mf, err := lc.Reconnect(ctx, id)
	if err != nil {
		if isNoMatch(err) {
			s.mu.Lock()
			s.ended = id
			s.mu.Unlock()
		}
		return fmt.Errorf("rejoin match %s: %w", id, err)
	}
	s.mu.Lock()
	s.view.Queue = QueueState{}
	s.view.Status, s.view.Error = "Rejoining your match…", false
	s.mu.Unlock()
	s.play(mf)
	return nil
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
		s.view.Status, s.view.Error = "", false // the queue panel says it
		s.mu.Unlock()
		return nil
	})
}

// CancelQueue leaves the matchmaking queue.
func (s *Session) CancelQueue() {
	s.request("cancel", func(ctx context.Context, lc *lobbyclient.Client) error {
		if err := s.leaveQueue(ctx, lc); err != nil {
			return err
		}
		s.status("Search cancelled", false)
		return nil
	})
}

// leaveQueue leaves the matchmaking queue if we are in it. The lobby may have taken us out
// already (creating or joining a room does): its not_queued is no failure.
func (s *Session) leaveQueue(ctx context.Context, lc *lobbyclient.Client) error {
	s.mu.Lock()
	queued := s.view.Queue.Queued
	s.mu.Unlock()
	if !queued {
		return nil
	}
	if err := lc.CancelQueue(ctx); err != nil && !errors.Is(err, &proto.Error{Code: proto.CodeNotQueued}) {
		return err
	}
	s.mu.Lock()
	s.view.Queue = QueueState{}
	s.mu.Unlock()
	return nil
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
			list = append(list, RoomSummary{Code: roomCode(r), Name: r.Name, Mode: r.Mode, Players: len(r.Members),
				MaxPlayers: r.MaxPlayers, InMatch: r.State == "playing"})
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
	rv := &RoomView{Code: roomCode(r), Name: r.Name, Mode: r.Mode, Private: r.Private, MaxPlayers: r.MaxPlayers}
	for _, m := range r.Members {
		rv.Members = append(rv.Members, RoomMember{Name: m.Name, Ready: m.Ready, Host: m.Name == r.Host,
			You: m.Name == s.view.PlayerName})
	}
	s.view.Room = rv
}

// roomCode is the code a room is shown and joined by: a private room's join code, else its
// id, in capitals (what the join field types; JoinRoom takes either case).
func roomCode(r proto.Room) string {
	if r.JoinCode != "" {
		return strings.ToUpper(r.JoinCode)
	}
	return strings.ToUpper(r.ID)
}

// CreateRoom creates a room and joins it. A search under way is cancelled first: a player
// is in a room or in the queue, not both.
func (s *Session) CreateRoom(private bool) {
	s.request("create room", func(ctx context.Context, lc *lobbyclient.Client) error {
		if err := s.leaveQueue(ctx, lc); err != nil {
			return err
		}
		r, err := lc.CreateRoom(ctx, lobbyclient.RoomOptions{Mode: s.cfg.Modes[0], Private: private})
		if err != nil {
			return err
		}
		s.setRoom(r)
		s.status("Room "+roomCode(r)+" created: others join with its code", false)
		return nil
	})
}

// JoinRoom joins a room by its code, in any case: a private room's join code or a public
// room's id (a search under way is cancelled first).
func (s *Session) JoinRoom(code string) {
	code = strings.TrimSpace(code)
	s.request("join room", func(ctx context.Context, lc *lobbyclient.Client) error {
		if err := s.leaveQueue(ctx, lc); err != nil {
			return err
		}
		r, err := lc.JoinRoomByCode(ctx, strings.ToUpper(code))
		if errors.Is(err, &proto.Error{Code: proto.CodeRoomNotFound}) {
			r, err = lc.JoinRoom(ctx, strings.ToLower(code))
		}
		if err != nil {
			return err
		}
		s.setRoom(r)
		s.status("", false)
		return nil
	})
}

// LeaveRoom leaves the current room.
func (s *Session) LeaveRoom() {
	s.request("leave room", func(ctx context.Context, lc *lobbyclient.Client) error {
		err := lc.LeaveRoom(ctx)
		s.mu.Lock()
		s.view.Room, s.roomChat = nil, nil
		if err == nil {
			s.view.Status, s.view.Error = "", false
		}
		s.mu.Unlock()
		return err
	})
}

// Ready sets our ready flag in the room.
func (s *Session) Ready(ready bool) {
	s.request("ready", func(ctx context.Context, lc *lobbyclient.Client) error { return lc.Ready(ctx, ready) })
}

// Chat says a line in the match, else the room. The lobby relays chat within rooms only:
// outside both the line is not sent, and the status says where chat works.
func (s *Session) Chat(text string) {
	if c := s.Conn(); c != nil {
		if err := c.SendChat(text); err != nil {
			s.log.Info("client: match chat", "err", err)
			s.status("Chat line not sent: too long or the connection is busy", true)
		}
		return
	}
	s.mu.Lock()
	inRoom := s.view.Room != nil
	s.mu.Unlock()
	if !inRoom {
		s.status("Chat works in a room: create or join one", false)
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

// LeaveMatch leaves the match (or its results) for the lobby. A match still running keeps our
// seat: a later quick match or room request rejoins it (see [Session]).
func (s *Session) LeaveMatch() {
	s.mu.Lock()
	c := s.conn
	s.conn = nil
	if s.stopPlay != nil {
		s.stopPlay() // under mu: the play loop checks for it before it installs a connection
		s.stopPlay = nil
	}
	if s.view.Stage == StageMatch {
		s.view.Stage = s.lobbyStageLocked()
		s.view.Status, s.view.Error = "", false // the match's lines ("playing", ...) are over
		if s.view.Stage == StageOffline {
			s.view.Status, s.view.Error = s.lostWhy, true
		} else if s.view.Link == LinkReconnecting {
			s.view.Status, s.view.Error = "Reconnecting to the lobby…", true
		}
	}
	s.view.MatchAttempt, s.view.MatchAttempts = 0, 0
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
			s.view.Status, s.view.Error = "Match found: joining…", false
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
			s.status("The lobby is shutting down", true)
		case proto.TypeError:
			s.status(lobbyErrorText(&proto.Error{Code: m.Code, Message: m.Message}), true)
		}
	}
	// The link dropped (not by Close): reconnect on its own, showing it.
	s.mu.Lock()
	lost := s.lobby == lc && s.ctx.Err() == nil
	if s.lobby == lc {
		s.lobby = nil
	}
	if lost {
		s.log.Info("client: lobby connection lost; reconnecting", "err", lc.Err())
		s.view.Link, s.view.LinkAttempt = LinkReconnecting, 0
		// the lobby forgets a player's queue place and room with their connection
		s.view.Queue, s.view.Room, s.roomChat, s.view.Rooms = QueueState{}, nil, nil, nil
		if s.view.Stage != StageMatch {
			s.view.Stage = StageLobby
			s.view.Status, s.view.Error = PlayerText(lc.Err(), "the lobby")+" · reconnecting…", true
		}
	}
	s.mu.Unlock()
	if lost {
		s.goDo(s.reconnectLobby)
	}
}

// errNoLobbyLink is why a lost match cannot be rejoined while the lobby link is down too:
// only the lobby hands out the fresh connect token.
var errNoLobbyLink = errors.New("client: no lobby connection to get a new connect token from")

// Reconnection to a running match after its game connection dropped.
const (
	// reconnectAttempts bounds the attempts in a row that fail to get back into the match.
	reconnectAttempts = 5
	// reconnectBackoff is the wait before the first attempt, doubled for each next one: 0.25,
	// 0.5, 1, 2 and 4 s, about 8 s in all, which outlasts the server's timeout (5 s by
	// default) of a connection that vanished without a disconnect: until then the server
	// ignores a new connection request from the same player.
	reconnectBackoff = 250 * time.Millisecond
)

// play joins a match and runs it until it ends, then returns to the lobby screen (the
// results stay on screen until LeaveMatch). When the game connection drops before the match
// ends it gets a fresh token from the lobby and joins again (reconnectAttempts, with
// backoff); a connection that was welcomed resets the count.
func (s *Session) play(mf lobbyclient.MatchFound) {
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	s.mu.Lock()
	if s.stopPlay != nil {
		s.stopPlay() // the loop of an earlier match: this one replaces it
	}
	s.playGen++
	gen := s.playGen
	s.stopPlay, s.matchID = cancel, mf.MatchID
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		if s.playGen == gen {
			s.stopPlay = nil
		}
		s.mu.Unlock()
	}()
	failed, joined := 0, false
	for {
		welcomed, err := s.playOnce(ctx, mf)
		joined = joined || welcomed
		switch {
		case ctx.Err() != nil:
			return // LeaveMatch, Close, or a newer match
		case err == nil:
			s.mu.Lock()
			s.ended = mf.MatchID
			s.mu.Unlock()
			s.status("", false)
			if s.cfg.AutoQueue {
				s.LeaveMatch()
				s.QuickMatch("")
			}
			return
		case errors.Is(err, ErrDenied), errors.Is(err, ErrTransportMismatch), errors.Is(err, secure.ErrConnectionDenied):
			s.log.Info("client: cannot join the match", "match", mf.MatchID, "err", err)
			s.leftMatch(gen, "Cannot join the match: "+PlayerText(err, "the game server"))
			return
		}
		if welcomed {
			failed = 0
		}
		for {
			failed++
			if failed > reconnectAttempts {
				s.log.Info("client: match connection lost; giving up", "match", mf.MatchID, "err", err)
				s.leftMatch(gen, fmt.Sprintf("Lost the match: %s (gave up after %d attempts)",
					PlayerText(err, "the game server"), reconnectAttempts))
				return
			}
			s.mu.Lock()
			if s.playGen == gen {
				s.conn = nil // the renderer shows the reconnection meanwhile (MatchAttempt)
				if joined {
					s.view.MatchAttempt, s.view.MatchAttempts = failed, reconnectAttempts
				}
				s.view.Status, s.view.Error = PlayerText(err, "the game server"), true
			}
			lc := s.lobby
			s.mu.Unlock()
			s.log.Info("client: game connection lost; reconnecting", "match", mf.MatchID, "attempt", failed, "err", err)
			if !sleepCtx(ctx, reconnectBackoff<<(failed-1)) {
				return
			}
			if lc == nil {
				err = errNoLobbyLink
				continue
			}
			rctx, rcancel := context.WithTimeout(ctx, 10*time.Second)
			next, rerr := rejoin(rctx, lc, mf)
			rcancel()
			if ctx.Err() != nil {
				return
			}
			if isNoMatch(rerr) {
				s.mu.Lock()
				s.ended = mf.MatchID
				s.mu.Unlock()
				s.leftMatch(gen, "the match ended while you were away")
				if s.cfg.AutoQueue {
					s.QuickMatch("")
				}
				return
			}
			if rerr != nil {
				err = rerr
				continue
			}
			mf = next
			break
		}
	}
}

// playOnce dials the match with mf's token and runs the connection until it ends. It reports
// whether the server welcomed us.
func (s *Session) playOnce(ctx context.Context, mf lobbyclient.MatchFound) (welcomed bool, err error) {
	dctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	dc := s.cfg.Dial
	dc.Transport = mf.Transport // the server's (udp or kcp); DialGame checks it against Force
	c, err := DialGame(dctx, mf.Token, dc)
	cancel()
	if err != nil {
		return false, fmt.Errorf("join the match: %w", err)
	}
	s.mu.Lock()
	if ctx.Err() != nil { // left while dialling (LeaveMatch cancels under mu)
		s.mu.Unlock()
		c.Close()
		return false, ctx.Err()
	}
	if old := s.conn; old != nil {
		old.Close()
	}
	s.conn = c
	s.view.Stage, s.view.Status, s.view.Error = StageMatch, "", false
	s.view.MatchAttempt, s.view.MatchAttempts = 0, 0
	s.mu.Unlock()
	input := func(time.Time) Controls {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.controls
	}
	if s.cfg.Autoplay != nil {
		input = s.cfg.Autoplay(c)
	}
	err = c.Run(ctx, nil, input)
	_, welcomed = c.Welcome()
	return welcomed, err
}

// leftMatch ends the match of play loop gen, which could not (re)join it: back to the lobby
// with why.
func (s *Session) leftMatch(gen uint64, why string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx.Err() != nil || s.playGen != gen {
		return // closing, or a newer match took over
	}
	s.conn = nil
	s.view.MatchAttempt, s.view.MatchAttempts = 0, 0
	if s.view.Stage == StageMatch {
		s.view.Stage = s.lobbyStageLocked()
		if s.view.Stage == StageOffline && s.lostWhy != "" {
			why += ". " + s.lostWhy
		}
	}
	s.view.Status, s.view.Error = why, true
}
