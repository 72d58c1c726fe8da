package view

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/skirmish-go/skirmish/client"
	arenagame "github.com/skirmish-go/skirmish/gameserver/arena"
)

// Titles and results name Arena's modes as the game does.
func TestModeNameMatchesArena(t *testing.T) {
	for _, m := range arenagame.Modes() {
		assert.Equal(t, m.Title, ModeName(m.Name), m.Name)
	}
}

func TestResultSubtitle(t *testing.T) {
	s := &client.Scene{Mode: "teams", Teams: 2, TeamScores: []int{50, 41}, EndReason: "score_limit"}
	assert.Equal(t, "Red 50 : 41 Blue · Score limit reached · Team battle", ResultSubtitle(s))
	assert.Equal(t, "Red team wins", WinnerText(s))
	s = &client.Scene{Mode: "ffa", EndReason: "time_limit"}
	assert.Equal(t, "Time is up · Free for all", ResultSubtitle(s))
}
