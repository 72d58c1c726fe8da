package bot

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/cmd/stacktest"
	"github.com/skirmish-go/skirmish/gameserver/walkers/walkershost"
)

// TestWalkersBotsThroughLobby plays walkers through a real lobby and a game server hosting it:
// the mode is offered, one match seats every bot, and the bots only watch: 30 snapshots a
// second, no input, no chat, acknowledgements alone upstream.
func TestWalkersBotsThroughLobby(t *testing.T) {
	st := stacktest.StartStack(t, stacktest.Options{Game: walkershost.Def(60)})
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	mode, err := CheckMode(ctx, st.LobbyAddr, "walkers")
	require.NoError(t, err)
	assert.Equal(t, "walkers", mode.Game)
	assert.Equal(t, 1, mode.MinPlayers)
	assert.Equal(t, 64, mode.MaxPlayers)
	sum, err := Run(ctx, Config{Lobby: st.LobbyAddr, N: 8, Duration: 4 * time.Second, Mode: "walkers", Seed: 5})
	require.NoError(t, err)
	t.Logf("%s", sum.JSON())
	assert.True(t, sum.OK(), "errors: %v", sum.Errors)
	assert.Equal(t, "1", matchesStarted(t, st.Game), "one match for all 8")
	assert.Greater(t, sum.SnapshotRateHz, 25.0)
	assert.Zero(t, sum.InputDelivery, "no input")
	assert.Zero(t, sum.ReliableSent, "no chat")
	assert.Zero(t, sum.PredictionErrP99)
	// 10 acknowledgements a second of about 30 bytes, a few netcode.io keep-alives, and over
	// only 4 s the handshake's two 1078-byte packets weigh in (Arena's bots send 2-3 kB/s).
	assert.Less(t, sum.UpBytesPerS, 1000.0)
	assert.Greater(t, sum.DownBytesPerS, 0.0)
	assert.Less(t, sum.DownBytesPerS, 1600.0)
}
