package lobby

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/lobby/proto"
)

// TestLiveListAndSpectate: a running match is listed with its server's live summary (mode,
// players, scoreboard, time); a player not in it gets a spectator's token for it; players of
// the match, unknown matches and a match at its spectator limit are refused with their codes.
func TestLiveListAndSpectate(t *testing.T) {
	srv, addr := startLobby(t, testConfig())
	gs := startGameServer(t, []string{addr}, "gs1", "eu", 8)
	gs.waitRegistered(t)
	waitServers(t, srv, 1)

	ctx := context.Background()
	a, b, eve := player(t, addr, "ada"), player(t, addr, "bob"), player(t, addr, "eve")
	live, err := eve.LiveMatches(ctx, "")
	require.NoError(t, err)
	assert.Empty(t, live, "nothing runs yet")

	require.NoError(t, a.QuickMatch(ctx, "duel", "eu"))
	require.NoError(t, b.QuickMatch(ctx, "duel", "eu"))
	ma := event(t, a, proto.TypeMatchFound)

	// Before the server's next heartbeat the lobby lists what it knows itself.
	live, err = eve.LiveMatches(ctx, "duel")
	require.NoError(t, err)
	require.Len(t, live, 1)
	assert.Equal(t, ma.MatchID, live[0].MatchID)
	assert.Equal(t, 2, live[0].Players)
	assert.Equal(t, 2, live[0].MaxPlayers)
	assert.Equal(t, "eu", live[0].Region)

	summary := proto.LiveMatch{MatchID: ma.MatchID, Mode: "duel", Players: 2, MaxPlayers: 2, MaxSpectators: 1,
		ElapsedMS: 42000, Scores: []proto.LiveScore{{Name: "ada", Score: 3}, {Name: "bob", Team: 1, Score: 1}}}
	gs.link.SetLive([]proto.LiveMatch{summary})
	require.Eventually(t, func() bool {
		live, err = eve.LiveMatches(ctx, "")
		return err == nil && len(live) == 1 && len(live[0].Scores) == 2
	}, waitFor, 10*time.Millisecond)
	summary.Region = "eu"
	assert.Equal(t, summary, live[0])
	live, err = eve.LiveMatches(ctx, "ffa")
	require.NoError(t, err)
	assert.Empty(t, live, "filtered by mode")

	sp, err := eve.Spectate(ctx, ma.MatchID)
	require.NoError(t, err)
	assert.Equal(t, ma.Server, sp.Server)
	assert.Equal(t, "udp", sp.Transport)
	tk := ticketOf(t, sp.Token)
	assert.True(t, tk.Spectator)
	assert.Equal(t, ma.MatchID, tk.MatchIDString())
	assert.Equal(t, "eve", tk.Name)
	assert.Equal(t, uint8(2), tk.Players)
	assert.Equal(t, "duel", tk.Mode)

	_, err = a.Spectate(ctx, ma.MatchID)
	require.ErrorIs(t, err, &proto.Error{Code: proto.CodeInMatch}, "players of the match play it")
	_, err = eve.Spectate(ctx, "00112233445566778899aabbccddeeff")
	require.ErrorIs(t, err, &proto.Error{Code: proto.CodeNoMatch})
	_, err = eve.Spectate(ctx, "")
	require.ErrorIs(t, err, &proto.Error{Code: proto.CodeBadRequest})

	summary.Spectators = 1
	gs.link.SetLive([]proto.LiveMatch{summary})
	require.Eventually(t, func() bool {
		_, err = eve.Spectate(ctx, ma.MatchID)
		return err != nil
	}, waitFor, 10*time.Millisecond)
	require.ErrorIs(t, err, &proto.Error{Code: proto.CodeSpectatorsFull})

	// A lost server's matches are not listed.
	gs.kill()
	require.Eventually(t, func() bool {
		live, err = eve.LiveMatches(ctx, "")
		return err == nil && len(live) == 0
	}, waitFor, 10*time.Millisecond)
}
