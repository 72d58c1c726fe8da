package bot

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/gameserver/arena"
	"github.com/skirmish-go/skirmish/lobby"
)

// TestLobbyDefaultModesArePlayable: every mode the lobby forms matches for by default is one
// the default game (Arena) plays, at every group size the lobby can form, and every Arena mode
// can be queued for. (The lobby used to offer "team", which Arena refuses.)
func TestLobbyDefaultModesArePlayable(t *testing.T) {
	modes := lobby.DefaultModes()
	for name, m := range modes {
		for n := m.MinPlayers; n <= m.MaxPlayers; n++ {
			_, err := arena.ModeConfig(name, n, arena.DefaultTickRate)
			require.NoError(t, err, "lobby mode %q with %d players", name, n)
		}
	}
	for _, am := range arena.Modes() {
		assert.Contains(t, modes, am.Name, "arena mode %q is not offered by the lobby", am.Name)
	}
	assert.Less(t, modes["quick"].FillTimeout, modes["ffa"].FillTimeout, "quick fills fast")
	assert.Equal(t, 2, modes["duel"].MaxPlayers)
}
