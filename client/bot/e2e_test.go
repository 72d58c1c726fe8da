package bot

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/client"
	"github.com/skirmish-go/skirmish/cmd/stacktest"
	"github.com/skirmish-go/skirmish/gameserver"
)

// gameMetrics returns the game server's Prometheus lines for repeated and dropped inputs and
// slipped ticks.
func gameMetrics(gs *gameserver.Server) string {
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

// TestBotsThroughLobbyAndGameServer runs four bots through a real lobby (quick match) and a
// real game server over loopback, with 10 % loss and 20±10 ms on the bots' sockets.
func TestBotsThroughLobbyAndGameServer(t *testing.T) {
	st := stacktest.StartStack(t, stacktest.Options{})
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	sum, err := Run(ctx, Config{
		Lobby: st.LobbyAddr, N: 4, Duration: 4 * time.Second, Mode: "ffa",
		Loss: 0.1, Latency: 20 * time.Millisecond, Jitter: 10 * time.Millisecond, Seed: 7,
		ChatEvery: 500 * time.Millisecond,
	})
	require.NoError(t, err)
	t.Logf("%s", sum.JSON())
	t.Logf("game server: %s", gameMetrics(st.Game))
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
	st := stacktest.StartStack(t, stacktest.Options{})
	s := client.NewSession(client.SessionConfig{AutoQueue: true, Autoplay: Autoplay(1), Logger: slog.New(slog.DiscardHandler)})
	defer s.Close()
	require.Nil(t, s.Scene())
	s.Connect(st.LobbyAddr, "human")

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	done := make(chan Summary, 1)
	go func() {
		sum, _ := Run(ctx, Config{Lobby: st.LobbyAddr, N: 1, Duration: 3 * time.Second, Mode: "ffa"})
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
