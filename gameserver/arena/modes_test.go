package arena

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/gameserver/sim"
)

// Every mode Arena declares (and so announces to the lobby) plays at every player count the
// lobby may form a match of, has a title, and a unique name that fits the lobby protocol.
func TestModesArePlayable(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range Modes() {
		require.False(t, seen[m.Name], "mode %q twice", m.Name)
		seen[m.Name] = true
		require.NotEmpty(t, m.Title, m.Name)
		require.LessOrEqual(t, len(m.Name), 16, m.Name)
		require.True(t, 1 <= m.MinPlayers && m.MinPlayers <= m.MaxPlayers && m.MaxPlayers <= sim.MaxPlayers, "%+v", m)
		require.True(t, m.Teams == 0 || (m.Teams >= 2 && m.Teams <= m.MaxPlayers), "%+v", m)
		for n := m.MinPlayers; n <= m.MaxPlayers; n++ {
			_, err := ModeConfig(m.Name, n, DefaultTickRate)
			require.NoError(t, err, "mode %q with %d players", m.Name, n)
		}
		_, err := LoadMap(m.Name)
		require.NoError(t, err, m.Name)
	}
	require.True(t, seen["ffa"], `"" means ffa, so Arena has it`)
}
