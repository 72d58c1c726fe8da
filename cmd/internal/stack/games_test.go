package stack

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/lobby"
)

func TestLookupGame(t *testing.T) {
	def, err := LookupGame(DefaultGame, 30)
	require.NoError(t, err)
	require.NoError(t, def.Validate())
	require.Equal(t, "arena", def.Name)
	_, err = LookupGame("chess", 60)
	require.ErrorContains(t, err, `unknown game "chess" (known: arena`)
}

func TestLoadModeLimits(t *testing.T) {
	file := filepath.Join(t.TempDir(), "limits.json")
	require.NoError(t, os.WriteFile(file, []byte(`{"ffa":{"min_players":2,"max_players":12},"duel":{"min_players":2,"max_players":2}}`), 0o600))
	got, err := LoadModeLimits("ffa=4-8", file)
	require.NoError(t, err)
	require.Equal(t, map[string]lobby.ModeLimit{"ffa": {MinPlayers: 4, MaxPlayers: 8}, "duel": {MinPlayers: 2, MaxPlayers: 2}}, got)
	_, err = LoadModeLimits("ffa", "")
	require.ErrorContains(t, err, "-mode-limits")
	_, err = LoadModeLimits("", filepath.Join(t.TempDir(), "missing.json"))
	require.ErrorContains(t, err, "-mode-limits-file")
}
