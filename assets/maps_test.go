package assets

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMaps(t *testing.T) {
	names := MapNames()
	require.Contains(t, names, DefaultMap)
	for _, name := range names {
		b, err := Map(name)
		require.NoError(t, err)
		require.True(t, json.Valid(b), name)
	}
	for _, bad := range []string{"", "../doc", "nope", "maps/arena"} {
		_, err := Map(bad)
		require.Error(t, err, bad)
	}
}
