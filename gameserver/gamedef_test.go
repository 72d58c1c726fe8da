package gameserver

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testDef() GameDef {
	return GameDef{Name: "test", New: newTestGame, Modes: []ModeSpec{
		{Name: "endless", Title: "Endless", MinPlayers: 1, MaxPlayers: 4, FillTimeout: time.Second},
		{Name: "pairs", Title: "Pairs", MinPlayers: 4, MaxPlayers: 8, Teams: 2},
	}}
}

func TestGameDefValidate(t *testing.T) {
	require.NoError(t, testDef().Validate())
	for name, edit := range map[string]func(d *GameDef){
		"no name":        func(d *GameDef) { d.Name = "" },
		"no factory":     func(d *GameDef) { d.New = nil },
		"no modes":       func(d *GameDef) { d.Modes = nil },
		"empty mode":     func(d *GameDef) { d.Modes[0].Name = "" },
		"long mode":      func(d *GameDef) { d.Modes[0].Name = "a-very-long-mode-name" },
		"duplicate mode": func(d *GameDef) { d.Modes[1].Name = "endless" },
		"min zero":       func(d *GameDef) { d.Modes[0].MinPlayers = 0 },
		"min over max":   func(d *GameDef) { d.Modes[0].MinPlayers = 5 },
		"over 64":        func(d *GameDef) { d.Modes[0].MaxPlayers = MaxModePlayers + 1 },
		"one team":       func(d *GameDef) { d.Modes[1].Teams = 1 },
		"more teams":     func(d *GameDef) { d.Modes[1].Teams = 9 },
		"negative fill":  func(d *GameDef) { d.Modes[0].FillTimeout = -time.Second },
	} {
		d := testDef()
		d.Modes = append([]ModeSpec(nil), d.Modes...)
		edit(&d)
		require.ErrorIs(t, d.Validate(), ErrBadGameDef, name)
	}
	spec, ok := testDef().Mode("pairs")
	require.True(t, ok)
	require.Equal(t, 2, spec.Teams)
	_, ok = testDef().Mode("ffa")
	require.False(t, ok)
}

// A server hosting a GameDef starts no match for a mode the game does not declare or for more
// players than the mode seats, and names its game in Status.
func TestServerHostsItsGameDef(t *testing.T) {
	_, err := New(nil, Config{Def: GameDef{Name: "broken", New: newTestGame}, Key: testKey})
	require.ErrorIs(t, err, ErrBadGameDef)

	var tr *fakeTransport
	s, err := newServer(nil, Config{Def: testDef(), Key: testKey, Logger: quietLogger()}, newFakeFactory(&tr))
	require.NoError(t, err)
	require.Equal(t, "test", s.Status().Game)
	s.mu.Lock()
	_, errMode := s.startMatchLocked(ticket(1, 0, 2, "ffa"))
	_, errSeats := s.startMatchLocked(ticket(2, 0, 5, "endless"))
	matches := len(s.matches)
	s.mu.Unlock()
	require.ErrorContains(t, errMode, `game "test" has no mode "ffa"`)
	require.ErrorContains(t, errSeats, `mode "endless": 5 players, at most 4`)
	require.Zero(t, matches)
}

// A match's report carries its mode's team count, so the lobby ranks a team mode by team.
func TestMatchReportCarriesTeams(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		def := GameDef{Name: "test", New: newTestGame, Modes: []ModeSpec{
			{Name: "ticks:60", Title: "Pairs", MinPlayers: 1, MaxPlayers: 4, Teams: 2}}}
		ts := startTestServer(t, Config{Def: def, EndGrace: 100 * time.Millisecond})
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		h := newHeadless(ts.tr.connect(t, 0, ticket(1, 0, 2, "ticks:60")), testSchema)
		require.NoError(t, h.play(ctx, time.Second/60, 0))
		<-ts.results.got
		reports := ts.results.all()
		require.Len(t, reports, 1)
		assert.Equal(t, "ticks:60", reports[0].Mode)
		assert.Equal(t, 2, reports[0].Teams)
	})
}
