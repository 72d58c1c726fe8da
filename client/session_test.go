package client

import (
	"fmt"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/cmd/stacktest"
	"github.com/skirmish-go/skirmish/gameserver"
)

// tokenTimeout is the connection timeout written into the test lobby's connect tokens: a
// connection that vanishes without a disconnect holds the player's seat on the server this
// long, so a reconnect after a silent drop waits for it.
const tokenTimeout = 2

// startLobbyAndServer runs a real lobby (quick match "ffa" for one player or more) and a real
// game server registered with it, on loopback; it returns the lobby's address and stops both
// when the test ends.
func startLobbyAndServer(t *testing.T) string {
	t.Helper()
	return stacktest.StartStack(t, stacktest.Options{
		Modes: []gameserver.ModeSpec{{Name: "ffa", Title: "Free for all", MinPlayers: 1, MaxPlayers: 4,
			FillTimeout: 100 * time.Millisecond}},
		TokenTimeout: tokenTimeout,
		Capacity:     16,
	}).LobbyAddr
}

// socketRecorder hands the session's game sockets to the test, so that it can cut one.
type socketRecorder struct {
	mu    sync.Mutex
	conns []net.PacketConn
}

func (r *socketRecorder) listen(addr string) (net.PacketConn, error) {
	pc, err := net.ListenPacket("udp", addr)
	if err == nil {
		r.mu.Lock()
		r.conns = append(r.conns, pc)
		r.mu.Unlock()
	}
	return pc, err
}

func (r *socketRecorder) last() net.PacketConn {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.conns[len(r.conns)-1]
}

// inMatch waits until s plays a match (a welcomed connection other than not) and returns it.
func inMatch(t *testing.T, s *Session, not *Conn) (*Conn, string, uint8) {
	t.Helper()
	var c *Conn
	require.Eventually(t, func() bool {
		c = s.Conn()
		if c == nil || c == not || s.Lobby().Stage != StageMatch {
			return false
		}
		_, ok := c.Welcome()
		return ok
	}, 15*time.Second, 10*time.Millisecond, "status: %q", s.Lobby().Status)
	w, _ := c.Welcome()
	require.NotZero(t, w.MatchID)
	return c, fmt.Sprintf("%x", w.MatchID[:]), w.Slot
}

// localShown waits for the local player to be drawn in s's scene.
func localShown(t *testing.T, s *Session) {
	t.Helper()
	require.Eventually(t, func() bool {
		sc := s.Scene()
		if sc == nil {
			return false
		}
		for _, p := range sc.Players {
			if p.Local {
				return true
			}
		}
		return false
	}, 10*time.Second, 10*time.Millisecond)
}

func newTestSession(cfg SessionConfig) *Session {
	cfg.Logger = slog.New(slog.DiscardHandler)
	return NewSession(cfg)
}

// TestSessionRejoinsAfterLeaveMatch: a player who left a running match and asks for a quick
// match gets the lobby's in_match refusal; the session rejoins that match (same match, same
// seat, a fresh token) instead of reporting the error.
func TestSessionRejoinsAfterLeaveMatch(t *testing.T) {
	addr := startLobbyAndServer(t)
	s := newTestSession(SessionConfig{AutoQueue: true})
	defer s.Close()
	s.Connect(addr, "ada")
	first, match, slot := inMatch(t, s, nil)

	s.LeaveMatch()
	require.Equal(t, StageLobby, s.Lobby().Stage)
	require.Nil(t, s.Conn())

	s.QuickMatch("")
	again, match2, slot2 := inMatch(t, s, first)
	assert.Equal(t, match, match2, "the same match")
	assert.Equal(t, slot, slot2, "the same seat")
	assert.False(t, s.Lobby().Queue.Queued, "not queued for another match")
	assert.False(t, s.Lobby().Error, "status: %q", s.Lobby().Status)
	localShown(t, s)
	assert.Same(t, again, s.Conn())
}

// TestSessionReconnectsAfterDrop: when the game connection drops before the match ends, the
// session gets a fresh token from the lobby and joins the same match again, rather than
// dropping to the lobby: after a clean disconnect, and after the socket died silently (the
// server holds the seat's old connection until its timeout, so that takes longer).
func TestSessionReconnectsAfterDrop(t *testing.T) {
	addr := startLobbyAndServer(t)
	for _, tc := range []struct {
		name string
		drop func(c *Conn, sock net.PacketConn)
	}{
		{"disconnect", func(c *Conn, _ net.PacketConn) { c.Close() }},
		{"socket closed", func(_ *Conn, sock net.PacketConn) { sock.Close() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var rec socketRecorder
			s := newTestSession(SessionConfig{AutoQueue: true, Dial: DialConfig{ListenPacket: rec.listen}})
			defer s.Close()
			s.Connect(addr, "bob-"+tc.name[:4])
			first, match, slot := inMatch(t, s, nil)
			localShown(t, s)

			start := time.Now()
			tc.drop(first, rec.last())
			again, match2, slot2 := inMatch(t, s, first)
			t.Logf("back in the match after %v", time.Since(start).Round(time.Millisecond))
			assert.Equal(t, match, match2, "the same match")
			assert.Equal(t, slot, slot2, "the same seat")
			localShown(t, s)
			assert.Same(t, again, s.Conn())
			assert.Equal(t, StageMatch, s.Lobby().Stage)
		})
	}
}

// TestSessionRejoinsOnWelcome: a player whose client went away mid-match connects to the
// lobby again; the welcome names the running match and the session rejoins it.
func TestSessionRejoinsOnWelcome(t *testing.T) {
	addr := startLobbyAndServer(t)
	s := newTestSession(SessionConfig{AutoQueue: true})
	s.Connect(addr, "cy")
	_, match, slot := inMatch(t, s, nil)
	require.NoError(t, s.Close())

	s2 := newTestSession(SessionConfig{}) // no AutoQueue: the rejoin is the welcome's doing
	defer s2.Close()
	var c *Conn
	attempts := 0
	require.Eventually(t, func() bool {
		// The lobby frees the name once it has seen the old connection go: until then it
		// refuses it, and the session is offline again.
		if s2.Lobby().Stage == StageOffline && attempts < 50 {
			attempts++
			s2.Connect(addr, "cy")
		}
		c = s2.Conn()
		if c == nil {
			return false
		}
		_, ok := c.Welcome()
		return ok
	}, 15*time.Second, 20*time.Millisecond, "status: %q", s2.Lobby().Status)
	w, _ := c.Welcome()
	assert.Equal(t, match, fmt.Sprintf("%x", w.MatchID[:]))
	assert.Equal(t, slot, w.Slot)
	assert.Equal(t, StageMatch, s2.Lobby().Stage)
	localShown(t, s2)
}

func TestInMatchID(t *testing.T) {
	assert.Equal(t, "5f0c9e", inMatchID("your match 5f0c9e is running; reconnect to it"))
	assert.Empty(t, inMatchID("in a match"))
	assert.Empty(t, inMatchID("your match"))
}
