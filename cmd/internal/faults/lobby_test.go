package faults

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/client/lobbyclient"
	"github.com/skirmish-go/skirmish/lobby/proto"
)

// Two lobby instances share Redis; one is killed with SIGKILL while three players wait in its
// queue. Two of them reconnect to the other instance (their nicknames are taken over once the
// dead instance's lease runs out) and are matched with each other; the third, who never comes
// back, is dropped from the queue rather than matched as a ghost.
func TestLobbySIGKILLOtherCarriesOn(t *testing.T) {
	rds := startRedis(t)
	victim, addrA := startLobby(t, "lobby-a", "-redis", rds.url())
	_, addrB := startLobby(t, "lobby-b", "-redis", rds.url())

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	names := []string{"kim", "lee", "ghost"}
	offerDuel(t, addrB)
	var onA []*lobbyclient.Client
	for _, n := range names { // no game server with seats yet: they stay queued
		c, _ := player(t, addrA, n)
		require.NoError(t, c.QuickMatch(ctx, "duel", ""))
		onA = append(onA, c)
	}
	watch, _ := player(t, addrB, "watcher")
	eventually(t, 5*time.Second, "three queued (seen from lobby-b)", func() bool { return presence(watch).Queued == 3 })

	killed := time.Now()
	victim.kill()
	for _, c := range onA {
		select {
		case <-c.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("session on the killed lobby still open")
		}
	}

	// The two come back to lobby-b (what a client does after losing its lobby).
	var back []*lobbyclient.Client
	var rejoined time.Duration
	for _, n := range names[:2] {
		var c *lobbyclient.Client
		eventually(t, 15*time.Second, n+" says hello on lobby-b", func() bool {
			cc, err := lobbyclient.Dial(ctx, addrB, nil)
			if err != nil {
				return false
			}
			if _, err := cc.Hello(ctx, n); err != nil {
				cc.Close()
				require.True(t, errors.Is(err, &proto.Error{Code: proto.CodeNameTaken}), "%v", err)
				return false
			}
			c = cc
			return true
		})
		t.Cleanup(func() { c.Close() })
		require.NoError(t, c.QuickMatch(ctx, "duel", ""))
		back = append(back, c)
	}
	rejoined = time.Since(killed)
	orphans := eventually(t, 15*time.Second, "only the two live players queued", func() bool { return presence(watch).Queued == 2 })

	// A game server registers with the lobbies (the dead one first: it fails over).
	started := time.Now()
	startGameServer(t, "gs-carry", addrA+","+addrB)
	a := event(t, back[0], proto.TypeMatchFound, 20*time.Second)
	b := event(t, back[1], proto.TypeMatchFound, 5*time.Second)
	assert.Equal(t, a.MatchID, b.MatchID, "the two live players play each other, not the ghost")
	assert.Equal(t, 2, a.Players)
	t.Logf("lobby SIGKILL with 3 queued: 2 players back on the other instance %v after the kill (nickname lease takeover), ghost ticket dropped %v later; matched %v after a game server came up (it failed over from the dead lobby)",
		rejoined.Round(time.Millisecond), orphans.Round(time.Millisecond), time.Since(started).Round(time.Millisecond))
}
