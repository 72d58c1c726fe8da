package faults

import (
	"context"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/lobby/proto"
)

// SIGTERM on cmd/lobby: connected players get "shutdown", /healthz turns 503, exit 0.
func TestLobbySIGTERMDrains(t *testing.T) {
	httpAddr := loop(freePort(t, "tcp"))
	p, addr := startLobby(t, "lobby", "-http-addr", httpAddr)
	offerDuel(t, addr)
	var players []string
	for _, n := range []string{"ann", "ben", "cat"} {
		c, _ := player(t, addr, n)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		require.NoError(t, c.QuickMatch(ctx, "duel", ""))
		cancel()
		players = append(players, n)
		defer func() {
			m := event(t, c, proto.TypeShutdown, 10*time.Second)
			assert.Equal(t, proto.CodeShuttingDown, m.Code)
		}()
	}
	code, _ := httpGet("http://" + httpAddr + "/healthz")
	require.Equal(t, http.StatusOK, code)
	sent := time.Now()
	p.signal(syscall.SIGTERM)
	require.Equal(t, 0, p.exit(15*time.Second), "exit status")
	t.Logf("cmd/lobby SIGTERM with %d players connected and queued: exit 0 after %v", len(players), time.Since(sent).Round(time.Millisecond))
}

// SIGTERM on cmd/gameserver while bots play a match: it drains (the match is ended at
// -drain-timeout), the result reaches the lobby (players get match_ended finished, with
// ratings) before it exits 0.
func TestGameServerSIGTERMDeliversResult(t *testing.T) {
	_, addr := startLobby(t, "lobby")
	httpAddr := loop(freePort(t, "tcp"))
	gs, _ := startGameServer(t, "gs-term", addr, "-http-addr", httpAddr, "-drain-timeout", "1s")
	watch, _ := player(t, addr, "watcher")
	eventually(t, 10*time.Second, "game server registered", func() bool { return presence(watch).Servers == 1 })

	s := newSessions(t)
	stopBots := runBots(t, addr, "term", 2, s)
	var found []proto.Message
	for range 2 {
		select {
		case m := <-s.found:
			found = append(found, m)
		case <-time.After(20 * time.Second):
			t.Fatal("bots were not matched")
		}
	}
	eventually(t, 15*time.Second, "both bots playing", func() bool {
		st := status(t, httpAddr)
		return st.Matches == 1 && st.Players == 2
	})
	sent := time.Now()
	gs.signal(syscall.SIGTERM)
	var told []time.Duration
	for _, m := range found {
		ended := event(t, s.get(m.Name), proto.TypeMatchEnded, 15*time.Second)
		told = append(told, time.Since(sent))
		assert.Equal(t, proto.ReasonFinished, ended.Reason, "the result reached the lobby")
		require.NotNil(t, ended.Rating)
		assert.Less(t, ended.Rating.RD, 350.0, "rating updated (a short drained match may be a draw: RD shrinks)")
	}
	require.Equal(t, 0, gs.exit(20*time.Second), "exit status")
	exited := time.Since(sent)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	hist, _, err := s.get(found[0].Name).History(ctx)
	require.NoError(t, err)
	require.Len(t, hist, 1)
	assert.Equal(t, found[0].MatchID, hist[0].MatchID)
	sum := stopBots()
	t.Logf("cmd/gameserver SIGTERM mid-match (drain timeout 1 s): result delivered, players told %v and %v; exit 0 after %v; bots matched %d",
		told[0].Round(time.Millisecond), told[1].Round(time.Millisecond), exited.Round(time.Millisecond), sum.Matched)
}

// SIGTERM on cmd/server (lobby and game server in one process): exit 0, players told.
func TestServerSIGTERMDrains(t *testing.T) {
	lobbyAddr, gameAddr, httpAddr := loop(freePort(t, "tcp")), loop(freePort(t, "udp")), loop(freePort(t, "tcp"))
	p := start(t, "server", bins.server, "-addr", lobbyAddr, "-game-addr", gameAddr, "-http-addr", httpAddr,
		"-key", keyHex, "-drain-timeout", "1s")
	p.waitLine("skirmish: ready", 20*time.Second)
	c, _ := player(t, lobbyAddr, "dee")
	eventually(t, 10*time.Second, "game server registered", func() bool { return presence(c).Servers == 1 })
	code, _ := httpGet("http://" + httpAddr + "/healthz")
	require.Equal(t, http.StatusOK, code)
	sent := time.Now()
	p.signal(syscall.SIGTERM)
	m := event(t, c, proto.TypeShutdown, 15*time.Second)
	assert.Equal(t, proto.CodeShuttingDown, m.Code)
	require.Equal(t, 0, p.exit(15*time.Second), "exit status")
	t.Logf("cmd/server SIGTERM: player told shutdown, exit 0 after %v", time.Since(sent).Round(time.Millisecond))
}
