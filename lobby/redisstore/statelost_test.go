package redisstore_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/client/lobbyclient"
	"github.com/skirmish-go/skirmish/gameserver/lobbylink"
	"github.com/skirmish-go/skirmish/lobby/proto"
)

// login says hello as name and returns the client and its player id.
func login(t *testing.T, addr, name string) (*lobbyclient.Client, uint64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := lobbyclient.Dial(ctx, addr, nil)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	w, err := c.Hello(ctx, name)
	require.NoError(t, err, "hello %s", name)
	return c, w.PlayerID
}

// expectStateLost waits for c's state_lost error and the end of its connection.
func expectStateLost(t *testing.T, c *lobbyclient.Client, who string) {
	t.Helper()
	timer := time.NewTimer(5 * time.Second)
	defer timer.Stop()
	got := false
	for {
		select {
		case m, ok := <-c.Events():
			if !ok {
				require.True(t, got, "%s's connection ended without state_lost: %v", who, c.Err())
				return
			}
			if m.Type == proto.TypeError && m.Code == proto.CodeStateLost {
				got = true
			}
		case <-timer.C:
			t.Fatalf("%s: no state_lost and close (got state_lost: %v)", who, got)
		}
	}
}

// Redis loses everything (FLUSHALL, as a restart without persistence does) while players are
// online: the lobby notices, closes the sessions of the lost state with state_lost, and never
// hands a player id out twice, so no one receives another player's match_found or is logged
// out by a newcomer.
func TestStateLostNeverReusesIDs(t *testing.T) {
	url := startRedis(t)
	store := open(t, url, "lost:")
	_, addr := startLobby(t, store)
	ctx := context.Background()

	link := lobbylink.New(lobbylink.Config{Lobbies: []string{addr}, Key: key, Name: "gs", Addr: "127.0.0.1:7001",
		Capacity: 8, HeartbeatInterval: 50 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	linkDone := make(chan error, 1)
	go func() { linkDone <- link.Run(ctx) }()
	t.Cleanup(func() { link.Close(); <-linkDone })

	ada, adaID := login(t, addr, "ada")
	zed, zedID := login(t, addr, "zed")
	require.NotEqual(t, adaID, zedID)

	require.NoError(t, store.Client().FlushAll(ctx).Err())

	// A newcomer right after the loss (before any health check) gets a new id, above every
	// id of the lost state.
	bob, bobID := login(t, addr, "bob")
	assert.Greater(t, bobID, max(adaID, zedID), "an id of the lost state was handed out again")
	expectStateLost(t, ada, "ada")
	expectStateLost(t, zed, "zed")
	_, err := bob.Ping(ctx)
	require.NoError(t, err, "the newcomer stays")

	// Everyone logs in again: all ids distinct, and a match reaches exactly its players.
	ada2, ada2ID := login(t, addr, "ada")
	seen := map[uint64]string{adaID: "ada (lost)", zedID: "zed (lost)", bobID: "bob"}
	_, dup := seen[ada2ID]
	require.False(t, dup, "id %d handed out twice", ada2ID)
	require.NoError(t, bob.QuickMatch(ctx, "duel", ""))
	require.NoError(t, ada2.QuickMatch(ctx, "duel", ""))
	mb, ma := event(t, bob, proto.TypeMatchFound), event(t, ada2, proto.TypeMatchFound)
	assert.Equal(t, mb.MatchID, ma.MatchID)
	assert.NotEqual(t, mb.Slot, ma.Slot)

	// Redis restarted from an older snapshot: the epoch is there, but the id counter went
	// back below ids handed out since. The lobby notices at the next login.
	require.NoError(t, store.Client().Set(ctx, "lost:nextid", adaID, 0).Err())
	require.NoError(t, store.Client().Del(ctx, "lost:ids").Err())
	carol, carolID := login(t, addr, "carol")
	assert.Greater(t, carolID, max(bobID, ada2ID), "an id was handed out again after a rollback")
	expectStateLost(t, bob, "bob")
	expectStateLost(t, ada2, "ada")
	_, err = carol.Ping(ctx)
	require.NoError(t, err)
}

// The health check notices a lost state without any login: the sessions of the lost state
// are closed within a few health checks.
func TestStateLostSeenByHealthCheck(t *testing.T) {
	url := startRedis(t)
	store := open(t, url, "hc:")
	_, addr := startLobby(t, store)
	ada, _ := login(t, addr, "ada")
	require.NoError(t, store.Client().FlushAll(context.Background()).Err())
	expectStateLost(t, ada, "ada")
}
