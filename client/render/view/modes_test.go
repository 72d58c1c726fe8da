package view

import (
	"testing"

	"github.com/stretchr/testify/assert"

	arenagame "github.com/skirmish-go/skirmish/gameserver/arena"
)

// Titles and results name Arena's modes as the game does.
func TestModeNameMatchesArena(t *testing.T) {
	for _, m := range arenagame.Modes() {
		assert.Equal(t, m.Title, ModeName(m.Name), m.Name)
	}
}
