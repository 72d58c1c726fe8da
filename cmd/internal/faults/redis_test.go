package faults

import (
	"context"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/client/lobbyclient"
	"github.com/skirmish-go/skirmish/gameserver/lobbylink"
	"github.com/skirmish-go/skirmish/lobby/proto"
	"github.com/skirmish-go/skirmish/netcode/secure"
)

// Redis is killed while two matches run and their results are reported: the lobby turns
// unhealthy, refuses (does not acknowledge) the results, keeps the game server registered;
// after Redis restarts (from its append-only file) the results and ratings land, once.
func TestRedisRestartLosesNoResults(t *testing.T) {
	rds := startRedis(t)
	httpAddr := loop(freePort(t, "tcp"))
	_, addr := startLobby(t, "lobby", "-redis", rds.url(), "-http-addr", httpAddr, "-heartbeat-timeout", "2s")
	healthz, metrics := "http://"+httpAddr+"/healthz", "http://"+httpAddr+"/metrics"

	// The game server is a lobbylink in this process, so the test sees its result queue.
	key, err := secure.ParseKey(keyHex)
	require.NoError(t, err)
	acked := make(chan string, 8)
	registered := make(chan struct{}, 8)
	link := lobbylink.New(lobbylink.Config{
		Lobbies: []string{addr}, Key: key, Name: "gs-redis", Region: "eu",
		Game: "testgame", Modes: []proto.ModeInfo{{Name: "duel", MinPlayers: 2, MaxPlayers: 2, Teams: 2}}, Addr: loop(freePort(t, "udp")), Capacity: 16,
		HeartbeatInterval: 250 * time.Millisecond, BackoffMin: 20 * time.Millisecond, BackoffMax: 500 * time.Millisecond,
		Logger:        slog.New(slog.DiscardHandler),
		OnRegistered:  func(string) { registered <- struct{}{} },
		OnResultAcked: func(id string) { acked <- id },
	})
	ctx, cancel := context.WithCancel(context.Background())
	linkDone := make(chan error, 1)
	go func() { linkDone <- link.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-linkDone })
	select {
	case <-registered:
	case <-time.After(10 * time.Second):
		t.Fatal("game server did not register")
	}

	type seat struct {
		c     *lobbyclient.Client
		id    uint64
		match proto.Message
	}
	seats := make([]*seat, 4)
	rctx, rcancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer rcancel()
	for i := range seats {
		c, w := player(t, addr, "r"+string(rune('a'+i)))
		seats[i] = &seat{c: c, id: w.PlayerID}
		require.NoError(t, c.QuickMatch(rctx, "duel", "eu"))
	}
	matches := map[string][]*seat{}
	for _, s := range seats {
		s.match = event(t, s.c, proto.TypeMatchFound, 15*time.Second)
		matches[s.match.MatchID] = append(matches[s.match.MatchID], s)
	}
	require.Len(t, matches, 2)

	killed := time.Now()
	rds.p.kill()
	down := eventually(t, 10*time.Second, "/healthz 503", func() bool {
		code, _ := httpGet(healthz)
		return code == http.StatusServiceUnavailable
	})
	refusedBefore := metric(metrics, `skirmish_lobby_errors_total{code="internal"}`)
	var results []proto.MatchResult
	for id, ss := range matches {
		r := proto.MatchResult{MatchID: id}
		for _, s := range ss {
			rank := 2
			if s.match.Slot == 0 {
				rank = 1
			}
			r.Players = append(r.Players, proto.PlayerResult{PlayerID: s.id, Rank: rank, Score: 10 / rank})
		}
		results = append(results, r)
		link.ReportResult(r)
	}
	// Down longer than the heartbeat timeout, with each result refused at least once.
	eventually(t, 15*time.Second, "results refused while Redis is down", func() bool {
		return time.Since(killed) > 3*time.Second &&
			metric(metrics, `skirmish_lobby_errors_total{code="internal"}`)-refusedBefore >= 2
	})
	require.Equal(t, 2, link.Unacked(), "no result acknowledged while Redis is down")
	code, body := httpGet(healthz)
	require.Equal(t, http.StatusServiceUnavailable, code, body)
	outage := time.Since(killed)

	restarted := time.Now()
	rds.start()
	healthy := eventually(t, 15*time.Second, "/healthz 200 after the restart", func() bool {
		code, _ := httpGet(healthz)
		return code == http.StatusOK
	})
	delivered := eventually(t, 15*time.Second, "results acknowledged", func() bool { return link.Unacked() == 0 })
	sinceRestart := time.Since(restarted)

	hctx, hcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer hcancel()
	told := 0
	for _, s := range seats {
		ended := event(t, s.c, proto.TypeMatchEnded, 10*time.Second)
		told++
		assert.Equal(t, proto.ReasonFinished, ended.Reason, "the outage is not the game server's")
		assert.Equal(t, s.match.MatchID, ended.MatchID)
		hist, rating, err := s.c.History(hctx)
		require.NoError(t, err)
		require.Len(t, hist, 1, "exactly one record: the result was stored once")
		assert.Equal(t, s.match.MatchID, hist[0].MatchID)
		assert.Equal(t, ended.Rating.Rating, rating.Rating)
		if s.match.Slot == 0 {
			assert.Greater(t, rating.Rating, 1500.0)
		} else {
			assert.Less(t, rating.Rating, 1500.0)
		}
	}
	t.Logf("redis killed: lobby /healthz 503 after %v; outage %v; results queued at the game server: %d, refused by the lobby: %.0f",
		down.Round(time.Millisecond), outage.Round(time.Millisecond), len(results),
		metric(metrics, `skirmish_lobby_errors_total{code="internal"}`)-refusedBefore)
	t.Logf("redis restarted: healthy after %v, %d/%d results acknowledged after %v (%v after restart), %d/%d players told finished with new ratings",
		healthy.Round(time.Millisecond), len(results), len(results), delivered.Round(time.Millisecond),
		sinceRestart.Round(time.Millisecond), told, len(seats))
}
