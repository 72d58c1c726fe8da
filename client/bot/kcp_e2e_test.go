package bot

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/client"
	"github.com/skirmish-go/skirmish/cmd/stacktest"
	"github.com/skirmish-go/skirmish/gameserver"
)

// startKCPStack is a lobby and one game server whose game port speaks KCP, registered with
// the lobby as "kcp" (so match_found announces it), on loopback.
func startKCPStack(t *testing.T) (lobbyAddr string) {
	t.Helper()
	return stacktest.StartStack(t, stacktest.Options{Transport: gameserver.TransportKCP}).LobbyAddr
}

// TestBotsOverKCPThroughLobby: four bots that do not name a transport learn "kcp" from the
// lobby's match_found and play over it, with 10 % loss and 20 ± 10 ms: no disconnect, every
// chat line relayed back in order, inputs delivered.
func TestBotsOverKCPThroughLobby(t *testing.T) {
	addr := startKCPStack(t)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	sum, err := Run(ctx, Config{
		Lobby: addr, N: 4, Duration: 3 * time.Second, Mode: "ffa",
		Loss: 0.1, Latency: 20 * time.Millisecond, Jitter: 10 * time.Millisecond, Seed: 3,
		ChatEvery: 500 * time.Millisecond,
	})
	require.NoError(t, err)
	t.Logf("%s", sum.JSON())
	assert.True(t, sum.OK(), "errors: %v", sum.Errors)
	assert.Zero(t, sum.Disconnects)
	// Rates over 3 s of real time on a shared, -race-loaded machine are liveness checks here;
	// the figures come from `cmd/bots -compare`, and the game server's KCP tests check that
	// every snapshot arrives and deltas against the previous one.
	assert.Greater(t, sum.SnapshotRateHz, 5.0, "snapshots flow over KCP")
	assert.Greater(t, sum.InputDelivery, 0.5, "inputs reach the server over KCP")
	assert.Equal(t, sum.ReliableSent, sum.ReliableDelivered)
	assert.True(t, sum.ReliableInOrder)
	assert.Greater(t, sum.StateAgeMsP50, 0.0)
}

// TestBotsForcedToOtherTransportFail: bots told to use udp refuse a match on a kcp server,
// with the mismatch as the reason.
func TestBotsForcedToOtherTransportFail(t *testing.T) {
	addr := startKCPStack(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	sum, err := Run(ctx, Config{Lobby: addr, N: 2, Duration: time.Second, Mode: "ffa", Transport: "udp"})
	require.NoError(t, err)
	assert.Equal(t, 2, sum.Failed)
	require.NotEmpty(t, sum.Errors)
	assert.Contains(t, sum.Errors[0], client.ErrTransportMismatch.Error())
}

// TestSessionOverKCP is cmd/client -transport kcp without Ebiten: a Session that insists on
// kcp joins a match on the KCP server with a bot and sees both players.
func TestSessionOverKCP(t *testing.T) {
	addr := startKCPStack(t)
	cfg := client.SessionConfig{AutoQueue: true, Autoplay: Autoplay(1), Logger: slog.New(slog.DiscardHandler)}
	cfg.Dial.Force = "kcp"
	s := client.NewSession(cfg)
	defer s.Close()
	s.Connect(addr, "human")
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	done := make(chan Summary, 1)
	go func() {
		sum, _ := Run(ctx, Config{Lobby: addr, N: 1, Duration: 3 * time.Second, Mode: "ffa", Transport: "kcp"})
		done <- sum
	}()
	require.Eventually(t, func() bool {
		sc := s.Scene()
		return s.Lobby().Stage == client.StageMatch && sc != nil && len(sc.Players) == 2
	}, 20*time.Second, 20*time.Millisecond)
	sum := <-done
	assert.True(t, sum.OK(), "%v", sum.Errors)
	s.LeaveMatch()
}
