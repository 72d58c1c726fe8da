package view

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/skirmish-go/skirmish/client"
	arenagame "github.com/skirmish-go/skirmish/gameserver/arena"
	"github.com/skirmish-go/skirmish/lobby/proto"
)

// Titles name a mode as the lobby lists it, whatever its game; a mode the lobby does not list
// is shown by its name.
func TestModeNameUsesLobbyTitles(t *testing.T) {
	modes := []proto.ModeInfo{{Name: "walkers", Title: "Walkers", Game: "walkers"},
		{Name: "ctf", Title: "Capture the flag", Game: "arena"}, {Name: "bare", Game: "arena"}}
	assert.Equal(t, "Walkers", ModeName(modes, "walkers"))
	assert.Equal(t, "Capture the flag", ModeName(modes, "ctf"))
	assert.Equal(t, "bare", ModeName(modes, "bare"), "listed without a title")
	assert.Equal(t, "ffa", ModeName(modes, "ffa"), "not listed")
	assert.Equal(t, "ffa", ModeName(nil, "ffa"), "no list")
	assert.Equal(t, "Match", ModeName(modes, ""))
	assert.Equal(t, "Room K7 · Capture the flag · 2/6 · open",
		RoomLine(client.RoomSummary{Code: "K7", Mode: "ctf", Players: 2, MaxPlayers: 6}, modes))
	assert.Equal(t, "Searching for a Walkers match… 0:05",
		QueueText(client.QueueState{Queued: true, Mode: "walkers", Waited: 5 * time.Second}, modes))
	s := &client.Scene{Mode: "walkers", EndReason: "time_limit"}
	assert.Equal(t, "Time is up · Walkers", ResultSubtitle(s, modes))
}

// The front ends without a lobby (demo, replays) list Arena's modes with the game's titles.
func TestArenaModesTitles(t *testing.T) {
	for _, m := range arenagame.Modes() {
		assert.Equal(t, m.Title, ModeName(client.ArenaModes(), m.Name), m.Name)
	}
}

func TestResultSubtitle(t *testing.T) {
	s := &client.Scene{Mode: "teams", Teams: 2, TeamScores: []int{50, 41}, EndReason: "score_limit"}
	assert.Equal(t, "Red 50 : 41 Blue · Score limit reached · Team battle", ResultSubtitle(s, client.ArenaModes()))
	assert.Equal(t, "Red team wins", WinnerText(s))
	s = &client.Scene{Mode: "ffa", EndReason: "time_limit"}
	assert.Equal(t, "Time is up · Free for all", ResultSubtitle(s, client.ArenaModes()))
}
