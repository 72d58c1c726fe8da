package client

import (
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/cmd/stacktest"
	"github.com/skirmish-go/skirmish/gameserver"
)

// lobbyProxy stands between a session and the lobby on a fixed loopback address, so a test
// can make the lobby vanish (every connection cut, nothing listening) and come back.
type lobbyProxy struct {
	t      *testing.T
	addr   string
	target string

	mu    sync.Mutex
	ln    net.Listener
	conns []net.Conn
	wg    sync.WaitGroup
}

func newLobbyProxy(t *testing.T, target string) *lobbyProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &lobbyProxy{t: t, addr: ln.Addr().String(), target: target}
	p.serve(ln)
	t.Cleanup(func() {
		p.down()
		p.wg.Wait()
	})
	return p
}

func (p *lobbyProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			p.wg.Add(2)
			go func() { defer p.wg.Done(); io.Copy(up, c); up.Close() }()
			go func() { defer p.wg.Done(); io.Copy(c, up); c.Close() }()
		}
	}()
}

// down closes the listener and every connection: the lobby is gone.
func (p *lobbyProxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// up listens on the same address again: the lobby is back.
func (p *lobbyProxy) up() {
	ln, err := net.Listen("tcp", p.addr)
	require.NoError(p.t, err)
	p.serve(ln)
}

func waitView(t *testing.T, s *Session, what string, ok func(LobbyView) bool) LobbyView {
	t.Helper()
	var v LobbyView
	require.Eventually(t, func() bool { v = s.Lobby(); return ok(v) }, 15*time.Second, 10*time.Millisecond,
		"%s; view: stage %d link %d status %q", what, s.Lobby().Stage, s.Lobby().Link, s.Lobby().Status)
	return v
}

// TestSessionReconnectsToLobby: when the lobby connection drops (the server stopped), the
// lobby screen says it is reconnecting, its actions say so instead of "not connected", and
// once the lobby is back the session is connected again and can play.
func TestSessionReconnectsToLobby(t *testing.T) {
	p := newLobbyProxy(t, startLobbyAndServer(t))
	s := newTestSession(SessionConfig{})
	defer s.Close()
	s.Connect(p.addr, "dee")
	waitView(t, s, "connected", func(v LobbyView) bool { return v.Stage == StageLobby })

	p.down()
	start := time.Now()
	v := waitView(t, s, "reconnecting shown", func(v LobbyView) bool { return v.Link == LinkReconnecting })
	assert.Less(t, time.Since(start), 2*time.Second)
	assert.Equal(t, StageLobby, v.Stage, "still the lobby screen")
	assert.Contains(t, v.Status, "reconnecting")
	s.QuickMatch("")
	v = s.Lobby()
	assert.Equal(t, "Reconnecting to the lobby — try again in a moment", v.Status)
	assert.NotContains(t, strings.ToLower(v.Status), "not connected")

	p.up()
	v = waitView(t, s, "reconnected", func(v LobbyView) bool { return v.Link == LinkUp && v.Stage == StageLobby })
	assert.Equal(t, "dee", v.PlayerName)
	s.QuickMatch("")
	inMatch(t, s, nil)
}

// TestSessionGivesUpOnLobby: a lobby that stays away sends the player back to the name
// screen with a line saying why, not a Go error chain.
func TestSessionGivesUpOnLobby(t *testing.T) {
	p := newLobbyProxy(t, startLobbyAndServer(t))
	s := newTestSession(SessionConfig{LobbyReconnectFor: time.Second})
	defer s.Close()
	s.Connect(p.addr, "eve")
	waitView(t, s, "connected", func(v LobbyView) bool { return v.Stage == StageLobby })
	p.down()
	v := waitView(t, s, "back to the name screen", func(v LobbyView) bool { return v.Stage == StageOffline })
	assert.True(t, v.Error)
	assert.Equal(t, "Lost the lobby: Can't reach the lobby at "+p.addr+" — is the server running? Connect again when it is back.", v.Status)
}

// TestSessionPlayerErrors: a lobby that is not there is reported in the player's words.
func TestSessionPlayerErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	s := newTestSession(SessionConfig{})
	defer s.Close()
	s.Connect(addr, "fay")
	v := waitView(t, s, "refused", func(v LobbyView) bool { return v.Stage == StageOffline && v.Status != "" })
	assert.Equal(t, "Can't reach the lobby at "+addr+" — is the server running?", v.Status)
	assert.True(t, v.Error)
	assert.Equal(t, "The lobby closed the connection", PlayerText(io.EOF, "The lobby"))
	assert.Equal(t, "Trouble with the lobby: boom", PlayerText(errors.New("lobbyclient: x: boom"), "the lobby"))
}

// TestSessionQueueAndRooms: cancelling a search says so (no stale "looking for" line);
// creating a room while searching leaves the search first (no phantom search whose Cancel
// fails); a public room's code, shown in capitals, joins it typed in either case; chat
// outside a room is not sent into the void.
func TestSessionQueueAndRooms(t *testing.T) {
	addr := stacktest.StartStack(t, stacktest.Options{
		Modes: []gameserver.ModeSpec{{Name: "ffa", Title: "Free for all", MinPlayers: 4, MaxPlayers: 4, FillTimeout: time.Minute}},
	}).LobbyAddr
	a := newTestSession(SessionConfig{Modes: []string{"ffa"}})
	defer a.Close()
	a.Connect(addr, "gil")
	waitView(t, a, "connected", func(v LobbyView) bool { return v.Stage == StageLobby })

	a.QuickMatch("")
	waitView(t, a, "queued", func(v LobbyView) bool { return v.Queue.Queued })
	a.CancelQueue()
	v := waitView(t, a, "cancelled", func(v LobbyView) bool { return !v.Queue.Queued && v.Status != "" })
	assert.Equal(t, "Search cancelled", v.Status)
	assert.False(t, v.Error)

	a.Chat("hello?")
	v = a.Lobby()
	assert.Equal(t, "Chat works in a room: create or join one", v.Status)

	a.QuickMatch("")
	waitView(t, a, "queued again", func(v LobbyView) bool { return v.Queue.Queued })
	a.CreateRoom(false)
	v = waitView(t, a, "in a room", func(v LobbyView) bool { return v.Room != nil })
	assert.False(t, v.Queue.Queued, "no phantom search")
	assert.False(t, v.Error, "status %q", v.Status)
	code := v.Room.Code
	assert.Equal(t, strings.ToUpper(code), code, "shown in capitals")
	a.CancelQueue() // nothing to cancel: no error either
	waitView(t, a, "cancel is harmless", func(v LobbyView) bool { return !v.Error })

	b := newTestSession(SessionConfig{Modes: []string{"ffa"}})
	defer b.Close()
	b.Connect(addr, "hal")
	waitView(t, b, "connected", func(v LobbyView) bool { return v.Stage == StageLobby })
	b.JoinRoom(code) // as typed into the (capitalising) code field
	v = waitView(t, b, "joined", func(v LobbyView) bool { return v.Room != nil || v.Error })
	require.NotNil(t, v.Room, "status %q", v.Status)
	assert.Equal(t, code, v.Room.Code)
	b.LeaveRoom()
	waitView(t, b, "left", func(v LobbyView) bool { return v.Room == nil })
	b.JoinRoom(strings.ToLower(code))
	waitView(t, b, "joined in lower case", func(v LobbyView) bool { return v.Room != nil })
	b.Chat("hi gil")
	waitView(t, a, "room chat", func(v LobbyView) bool { return v.Room != nil && len(v.Room.Chat) > 0 })
}
