package bot

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/client"
	"github.com/skirmish-go/skirmish/gameserver"
	"github.com/skirmish-go/skirmish/gameserver/arena"
	"github.com/skirmish-go/skirmish/gameserver/lobbylink"
	"github.com/skirmish-go/skirmish/lobby"
	"github.com/skirmish-go/skirmish/lobby/tokens"
	"github.com/skirmish-go/skirmish/netcode/secure"
)

// stack is a lobby and one game server in this process, on loopback.
type stack struct {
	lobbyAddr string
	metrics   func() string // the game server's Prometheus text
	stop      func()
}

func startStack(t *testing.T) stack {
	t.Helper()
	key, err := secure.GenerateKey()
	require.NoError(t, err)
	quiet := slog.New(slog.DiscardHandler)

	lb := lobby.New(lobby.Config{
		Key: key, SealToken: tokens.Sealer(key, tokens.ProtocolID, 0, 0), Logger: quiet,
		Modes:         map[string]lobby.Mode{"ffa": {MinPlayers: 2, MaxPlayers: 4, FillTimeout: 500 * time.Millisecond}},
		MatchInterval: 50 * time.Millisecond,
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	lobbyDone := make(chan error, 1)
	go func() { lobbyDone <- lb.Serve(ln) }()

	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	public := pc.LocalAddr().(*net.UDPAddr).AddrPort()
	gs, err := gameserver.New(pc, gameserver.Config{Game: arena.Factory(60), Key: key, PublicAddr: public, Logger: quiet, Capacity: 64})
	require.NoError(t, err)
	gsDone := make(chan error, 1)
	go func() { gsDone <- gs.Serve() }()

	registered := make(chan struct{})
	var once sync.Once
	link := lobbylink.New(lobbylink.Config{Lobbies: []string{ln.Addr().String()}, Key: key, Name: "gs-test",
		Addr: public.String(), Capacity: 64, Logger: quiet,
		OnRegistered: func(string) { once.Do(func() { close(registered) }) }})
	linkCtx, stopLink := context.WithCancel(context.Background())
	linkDone := make(chan struct{})
	go func() {
		defer close(linkDone)
		link.Run(linkCtx)
	}()
	select {
	case <-registered:
	case <-time.After(10 * time.Second):
		t.Fatal("game server did not register with the lobby")
	}
	metrics := func() string {
		rec := httptest.NewRecorder()
		gs.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		var lines []string
		for _, l := range strings.Split(rec.Body.String(), "\n") {
			if strings.HasPrefix(l, "skirmish_gameserver_repeated_inputs_total") ||
				strings.HasPrefix(l, "skirmish_gameserver_dropped_inputs_total") ||
				strings.HasPrefix(l, "skirmish_gameserver_slipped_ticks_total") {
				lines = append(lines, l)
			}
		}
		return strings.Join(lines, "; ")
	}
	return stack{lobbyAddr: ln.Addr().String(), metrics: metrics, stop: func() {
		stopLink()
		link.Close()
		<-linkDone
		gs.Close()
		<-gsDone
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		lb.Shutdown(ctx)
		if err := <-lobbyDone; !errors.Is(err, lobby.ErrServerClosed) {
			t.Errorf("lobby serve: %v", err)
		}
	}}
}

// TestBotsThroughLobbyAndGameServer runs four bots through a real lobby (quick match) and a
// real game server over loopback, with 10 % loss and 20±10 ms on the bots' sockets.
func TestBotsThroughLobbyAndGameServer(t *testing.T) {
	st := startStack(t)
	defer st.stop()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	sum, err := Run(ctx, Config{
		Lobby: st.lobbyAddr, N: 4, Duration: 4 * time.Second, Mode: "ffa",
		Loss: 0.1, Latency: 20 * time.Millisecond, Jitter: 10 * time.Millisecond, Seed: 7,
		ChatEvery: 500 * time.Millisecond,
	})
	require.NoError(t, err)
	t.Logf("%s", sum.JSON())
	t.Logf("game server: %s", st.metrics())
	assert.True(t, sum.OK(), "errors: %v", sum.Errors)
	assert.Equal(t, 4, sum.Matched)
	assert.Zero(t, sum.Disconnects)
	assert.Greater(t, sum.SnapshotRateHz, 20.0, "server sends 30 Hz")
	assert.Greater(t, sum.InputDelivery, 0.9)
	assert.GreaterOrEqual(t, sum.ReliableSent, uint64(16), "4 bots, a line every 500 ms for 3 s")
	assert.Equal(t, sum.ReliableSent, sum.ReliableDelivered, "every line relayed back")
	assert.True(t, sum.ReliableInOrder)
	assert.Greater(t, sum.DownBytesPerS, 0.0)
	assert.Greater(t, sum.UpBytesPerS, 0.0)
	assert.Greater(t, sum.RTTMsP50, 30.0, "2 × 20 ms of simulated latency")
	assert.Greater(t, sum.StateAgeMsP99, 0.0)
}

// TestSessionAutoplayWithBots is the Ebiten front end's path without Ebiten: a Session
// connects to the lobby, queues automatically, joins the match with a bot and plays it with
// the brain; its Scene shows both players.
func TestSessionAutoplayWithBots(t *testing.T) {
	st := startStack(t)
	defer st.stop()
	s := client.NewSession(client.SessionConfig{AutoQueue: true, Autoplay: Autoplay(1), Logger: slog.New(slog.DiscardHandler)})
	defer s.Close()
	require.Nil(t, s.Scene())
	s.Connect(st.lobbyAddr, "human")

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	done := make(chan Summary, 1)
	go func() {
		sum, _ := Run(ctx, Config{Lobby: st.lobbyAddr, N: 1, Duration: 3 * time.Second, Mode: "ffa"})
		done <- sum
	}()
	require.Eventually(t, func() bool {
		sc := s.Scene()
		return s.Lobby().Stage == client.StageMatch && sc != nil && len(sc.Players) == 2
	}, 20*time.Second, 20*time.Millisecond)
	sc := s.Scene()
	local := 0
	for _, p := range sc.Players {
		if p.Local {
			local++
			assert.Equal(t, "human", p.Name)
		}
	}
	assert.Equal(t, 1, local)
	assert.NotEmpty(t, sc.Walls)
	assert.Equal(t, "ffa", sc.Mode)
	sum := <-done
	assert.True(t, sum.OK(), "%v", sum.Errors)
	s.LeaveMatch()
	assert.Equal(t, client.StageLobby, s.Lobby().Stage)
}
