package lobbylink_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/gameserver/lobbylink"
	"github.com/skirmish-go/skirmish/lobby"
	"github.com/skirmish-go/skirmish/lobby/proto"
)

var key = [32]byte{42}

func seal(uint64, netip.AddrPort, [256]byte) ([]byte, error) { return []byte("t"), nil }

type testLobby struct {
	srv  *lobby.Server
	done chan error
}

func serveLobby(t *testing.T, addr string, store lobby.Store) (*testLobby, string) {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	tl := &testLobby{done: make(chan error, 1)}
	tl.srv = lobby.New(lobby.Config{Key: key, SealToken: seal, Store: store, Logger: slog.New(slog.DiscardHandler),
		HeartbeatTimeout: 2 * time.Second})
	go func() { tl.done <- tl.srv.Serve(l) }()
	t.Cleanup(tl.close)
	return tl, l.Addr().String()
}

func (tl *testLobby) close() {
	if tl.srv.Close() == nil {
		select {
		case <-tl.done:
		default:
		}
	}
}

type link struct {
	*lobbylink.Link
	reg   chan string
	acked chan string
	done  chan error
}

// testGame and testModes are what the test links register.
const testGame = "testgame"

var testModes = []proto.ModeInfo{{Name: "duel", MinPlayers: 2, MaxPlayers: 2, Teams: 2}}

func startLink(t *testing.T, lobbies []string, k [32]byte) *link {
	t.Helper()
	lk := &link{reg: make(chan string, 16), acked: make(chan string, 16), done: make(chan error, 1)}
	lk.Link = lobbylink.New(lobbylink.Config{Lobbies: lobbies, Key: k, Name: "gs", Region: "eu", Addr: "127.0.0.1:7001",
		Game: testGame, Modes: testModes,
		Capacity: 16, HeartbeatInterval: 20 * time.Millisecond, BackoffMin: 5 * time.Millisecond,
		BackoffMax: 50 * time.Millisecond, Logger: slog.New(slog.DiscardHandler),
		OnRegistered: func(a string) { lk.reg <- a }, OnResultAcked: func(id string) { lk.acked <- id }})
	go func() { lk.done <- lk.Run(context.Background()) }()
	t.Cleanup(func() { lk.Close() })
	return lk
}

func recv(t *testing.T, ch chan string) string {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatal("timed out")
		return ""
	}
}

func TestRegisterHeartbeatClose(t *testing.T) {
	store := lobby.NewMemoryStore()
	_, addr := serveLobby(t, "127.0.0.1:0", store)
	lk := startLink(t, []string{addr}, key)
	assert.Equal(t, addr, recv(t, lk.reg))
	lk.SetLoad(5, 2)
	require.Eventually(t, func() bool {
		s, err := store.Servers(context.Background())
		return err == nil && len(s) == 1 && s[0].Players == 5 && s[0].Matches == 2 && s[0].Capacity == 16
	}, 5*time.Second, 5*time.Millisecond)
	require.NoError(t, lk.Close())
	require.ErrorIs(t, <-lk.done, lobbylink.ErrClosed)
	require.NoError(t, lk.Close())
}

func TestContextCancelStops(t *testing.T) {
	_, addr := serveLobby(t, "127.0.0.1:0", nil)
	l := lobbylink.New(lobbylink.Config{Lobbies: []string{addr}, Key: key, Name: "gs", Addr: "127.0.0.1:1",
		Game: testGame, Modes: testModes,
		Logger: slog.New(slog.DiscardHandler)})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	cancel()
	select {
	case err := <-done:
		require.ErrorIs(t, err, context.Canceled)
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop")
	}
}

func TestWrongKey(t *testing.T) {
	_, addr := serveLobby(t, "127.0.0.1:0", nil)
	lk := startLink(t, []string{addr}, [32]byte{1})
	require.Eventually(t, func() bool {
		return errors.Is(lk.LastError(), lobbylink.ErrAuth)
	}, 5*time.Second, 5*time.Millisecond)
	select {
	case <-lk.reg:
		t.Fatal("registered with a wrong key")
	default:
	}
}

// Results reported while the lobby is down are kept and delivered after reconnecting, to
// the next lobby in the list.
func TestResultsSurviveReconnectAndFailover(t *testing.T) {
	store := lobby.NewMemoryStore()
	first, addr1 := serveLobby(t, "127.0.0.1:0", store)
	_, addr2 := serveLobby(t, "127.0.0.1:0", store)
	lk := startLink(t, []string{addr1, addr2}, key)
	assert.Equal(t, addr1, recv(t, lk.reg))
	lk.ReportResult(proto.MatchResult{MatchID: "m1"})
	assert.Equal(t, "m1", recv(t, lk.acked))

	first.close()
	lk.ReportResult(proto.MatchResult{MatchID: "m2"})
	lk.ReportResult(proto.MatchResult{MatchID: "m3"})
	assert.Equal(t, addr2, recv(t, lk.reg), "fails over to the next lobby")
	got := []string{recv(t, lk.acked), recv(t, lk.acked)}
	assert.ElementsMatch(t, []string{"m2", "m3"}, got)
	assert.Equal(t, 0, lk.Unacked())
}

func TestUnackedBounded(t *testing.T) {
	l := lobbylink.New(lobbylink.Config{MaxUnacked: 3, Logger: slog.New(slog.DiscardHandler)})
	for i := range 5 {
		l.ReportResult(proto.MatchResult{MatchID: string(rune('a' + i))})
	}
	assert.Equal(t, 3, l.Unacked())
	require.Error(t, l.Run(context.Background()), "config without lobbies")
}
