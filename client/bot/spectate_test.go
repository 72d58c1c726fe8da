package bot

import (
	"context"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/cmd/stacktest"
	"github.com/skirmish-go/skirmish/gameserver"
)

// TestSpectatorsThroughLobbyAndGameServer: spectating bots find the bots' match in the real
// lobby's list, get spectator tokens, and receive its snapshots from the real game server at
// the snapshot rate, the spectator delay late, while the players play on.
func TestSpectatorsThroughLobbyAndGameServer(t *testing.T) {
	st := stacktest.StartStack(t, stacktest.Options{})
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	sum, err := Run(ctx, Config{Lobby: st.LobbyAddr, N: 2, Spectators: 2, Duration: 7 * time.Second, Mode: "ffa"})
	require.NoError(t, err)
	t.Logf("%s", sum.JSON())
	assert.True(t, sum.OK(), "errors: %v", sum.Errors)
	assert.Equal(t, 2, sum.Matched)
	assert.Equal(t, 2, sum.Spectators)
	assert.Zero(t, sum.SpectatorsFailed)
	assert.Greater(t, sum.SpectatorSnapshotRateHz, 20.0, "spectators get the players' 30 Hz")
	assert.Greater(t, sum.SpectatorDownBytesPerS, 0.0)
	assert.Greater(t, sum.SnapshotRateHz, 20.0)
	assert.Positive(t, gameserverSnapshots(st.Game, "spectator"))
}

// gameserverSnapshots reads snapshots_total of one kind from the game server's metrics.
func gameserverSnapshots(gs *gameserver.Server, kind string) int {
	rec := httptest.NewRecorder()
	gs.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	prefix := `skirmish_gameserver_snapshots_total{kind="` + kind + `"} `
	for _, l := range strings.Split(rec.Body.String(), "\n") {
		if v, ok := strings.CutPrefix(l, prefix); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err == nil {
				return int(f)
			}
		}
	}
	return 0
}
