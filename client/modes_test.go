package client

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/cmd/stacktest"
	"github.com/skirmish-go/skirmish/gameserver"
	"github.com/skirmish-go/skirmish/lobby"
	"github.com/skirmish-go/skirmish/lobby/lobbytest"
	"github.com/skirmish-go/skirmish/lobby/proto"
)

// The session offers the modes the lobby lists (its game servers'), the preferred one first,
// and labels them with their titles and player counts.
func TestSessionShowsLobbyModes(t *testing.T) {
	st := stacktest.StartStack(t, stacktest.Options{Modes: []gameserver.ModeSpec{
		{Name: "ffa", Title: "Free for all", MinPlayers: 2, MaxPlayers: 16, FillTimeout: time.Second},
		{Name: "duel", Title: "Duel", MinPlayers: 2, MaxPlayers: 2, Teams: 2, FillTimeout: time.Second},
	}})
	s := newTestSession(SessionConfig{Modes: []string{"duel", "nope"}})
	defer s.Close()
	require.Empty(t, s.Lobby().Modes, "offline: no modes yet")
	s.Connect(st.LobbyAddr, "ada")
	require.Eventually(t, func() bool { return len(s.Lobby().Modes) == 2 }, 10*time.Second, 10*time.Millisecond,
		"status: %q", s.Lobby().Status)
	lv := s.Lobby()
	assert.Equal(t, []string{"duel", "ffa"}, lv.Modes, "preferred first; unlisted preference left out")
	assert.Equal(t, "Duel · 2 · teams", lv.ModeLabel(0))
	assert.Equal(t, "Free for all · 2–16", lv.ModeLabel(1))
	assert.Equal(t, "arena", lv.ModeInfo[1].Game)
	assert.Empty(t, lv.ModeLabel(2))
}

func TestOrderModes(t *testing.T) {
	listed := []proto.ModeInfo{{Name: "a"}, {Name: "b"}, {Name: "c"}}
	names := func(ms []proto.ModeInfo) (out []string) {
		for _, m := range ms {
			out = append(out, m.Name)
		}
		return out
	}
	assert.Equal(t, []string{"a", "b", "c"}, names(orderModes(listed, nil)))
	assert.Equal(t, []string{"c", "a", "b"}, names(orderModes(listed, []string{"c", "x", "c"})))
	assert.Empty(t, orderModes(nil, []string{"a"}))
}

// With no game server registered the lobby lists no mode: the session says so when it
// connects and when asked to play, instead of queueing for a mode nobody serves.
func TestSessionWithoutModes(t *testing.T) {
	_, addr := lobbytest.StartLobby(t, lobby.Config{})
	s := newTestSession(SessionConfig{AutoQueue: true})
	defer s.Close()
	s.Connect(addr, "ada")
	v := waitView(t, s, "connected", func(v LobbyView) bool { return v.Stage == StageLobby && v.Status != "" })
	assert.Contains(t, v.Status, noModes)
	assert.Empty(t, v.Modes)
	s.QuickMatch("")
	v = waitView(t, s, "refused", func(v LobbyView) bool { return v.Error })
	assert.Equal(t, "Cannot play: "+noModes, v.Status)
	assert.False(t, v.Queue.Queued)
	assert.Equal(t, "No game server offers that mode right now",
		PlayerText(&proto.Error{Code: proto.CodeNoMode, Message: "x"}, "the lobby"))
}
