package lobby

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/gameserver/lobbylink"
	"github.com/skirmish-go/skirmish/lobby/proto"
)

// The lobby lists, queues and matches exactly the modes live game servers offer: two games on
// two servers are both listed (with the operator's limits applied), each match lands on a
// server that offers its mode, a mode name another game already uses is refused, and a
// lost server's modes disappear.
func TestModesFromLiveServers(t *testing.T) {
	cfg := testConfig()
	cfg.ModeLimits = map[string]ModeLimit{"ffa": {MinPlayers: 2, MaxPlayers: 3}}
	srv, addr := startLobby(t, cfg)
	ctx := context.Background()
	ada := player(t, addr, "ada")
	modes, err := ada.Modes(ctx)
	require.NoError(t, err)
	require.Empty(t, modes, "no game server, no modes")

	startGameServer(t, []string{addr}, "gs-test", "eu", 8).waitRegistered(t)
	race := []proto.ModeInfo{{Name: "race", Title: "Race", MinPlayers: 1, MaxPlayers: 3, FillMS: 50}}
	other := startGameServer(t, []string{addr}, "gs-other", "eu", 8, func(c *lobbylink.Config) {
		c.Game, c.Modes, c.Addr = "racer", race, "127.0.0.1:7101"
	})
	other.waitRegistered(t)
	waitServers(t, srv, 2)

	modes, err = ada.Modes(ctx)
	require.NoError(t, err)
	assert.Equal(t, []proto.ModeInfo{
		{Name: "race", Title: "Race", Game: "racer", MinPlayers: 1, MaxPlayers: 3, FillMS: 50},
		{Name: "duel", Title: "Duel", Game: testGame, MinPlayers: 2, MaxPlayers: 2, Teams: 2, FillMS: 1000},
		{Name: "ffa", Title: "Free for all", Game: testGame, MinPlayers: 2, MaxPlayers: 3, FillMS: 300}, // limited
	}, modes)

	// Each mode's match lands on the server of its game.
	require.NoError(t, ada.QuickMatch(ctx, "race", ""))
	m := event(t, ada, proto.TypeMatchFound)
	assert.Equal(t, "127.0.0.1:7101", m.Server)
	assert.Equal(t, "race", ticketOf(t, m.Token).Mode)
	bob, cy := player(t, addr, "bob"), player(t, addr, "cy")
	require.NoError(t, bob.QuickMatch(ctx, "duel", ""))
	require.NoError(t, cy.QuickMatch(ctx, "duel", ""))
	m = event(t, bob, proto.TypeMatchFound)
	assert.Equal(t, "127.0.0.1:7001", m.Server)
	assert.Equal(t, "duel", ticketOf(t, m.Token).Mode)

	// A third game may not take a mode name that a live server of another game offers.
	clash := startGameServer(t, []string{addr}, "gs-clash", "eu", 8, func(c *lobbylink.Config) {
		c.Game, c.Addr = "clash", "127.0.0.1:7201"
		c.Modes = []proto.ModeInfo{{Name: "duel", MinPlayers: 2, MaxPlayers: 2}}
	})
	require.Eventually(t, func() bool {
		err := clash.link.LastError()
		return err != nil && strings.Contains(err.Error(), proto.CodeModeConflict)
	}, waitFor, 5*time.Millisecond)
	clash.kill()

	// A lost server's modes are no longer offered or queued.
	other.kill()
	require.Eventually(t, func() bool {
		modes, err := ada.Modes(ctx)
		return err == nil && len(modes) == 2
	}, waitFor, 5*time.Millisecond)
	dan := player(t, addr, "dan")
	require.ErrorIs(t, dan.QuickMatch(ctx, "race", ""), &proto.Error{Code: proto.CodeNoMode})
}

func TestParseModeLimits(t *testing.T) {
	got, err := ParseModeLimits("ffa=2-12, duel=2-2")
	require.NoError(t, err)
	require.Equal(t, map[string]ModeLimit{"ffa": {2, 12}, "duel": {2, 2}}, got)
	got, err = ParseModeLimits("")
	require.NoError(t, err)
	require.Empty(t, got)
	for _, bad := range []string{"ffa", "ffa=2", "ffa=a-b", "ffa=3-2", "ffa=0-2", "ffa=2-65", "=2-3", "ffa=2-3,ffa=2-4",
		strings.Repeat("m", proto.MaxModeLen+1) + "=2-3"} {
		_, err := ParseModeLimits(bad)
		require.ErrorIs(t, err, ErrBadModeLimits, bad)
	}

	got, err = DecodeModeLimits(strings.NewReader(`{"ffa":{"min_players":2,"max_players":12}}`))
	require.NoError(t, err)
	require.Equal(t, map[string]ModeLimit{"ffa": {2, 12}}, got)
	for _, bad := range []string{`[]`, `{"ffa":{"min":2}}`, `{"ffa":{"min_players":5,"max_players":2}}`, `{} {}`, `{`} {
		_, err := DecodeModeLimits(strings.NewReader(bad))
		require.ErrorIs(t, err, ErrBadModeLimits, bad)
	}
}

// A limit only narrows what the game declares.
func TestModeLimitApply(t *testing.T) {
	m := Mode{Name: "ffa", MinPlayers: 2, MaxPlayers: 16}
	for _, tt := range []struct {
		l        ModeLimit
		min, max int
	}{
		{ModeLimit{2, 12}, 2, 12},
		{ModeLimit{4, 64}, 4, 16},
		{ModeLimit{1, 1}, 2, 2},
		{ModeLimit{20, 30}, 16, 16},
	} {
		got := tt.l.apply(m)
		assert.Equal(t, [2]int{tt.min, tt.max}, [2]int{got.MinPlayers, got.MaxPlayers}, "%+v", tt.l)
	}
}
