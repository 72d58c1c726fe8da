package assets

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSprites(t *testing.T) {
	sizes := map[string][2]int{"player": {96, 96}, "gun": {96, 96}, "floor": {128, 128}, "wall": {64, 64}, "bolt": {40, 16}}
	for _, name := range SpriteNames {
		img, err := Sprite(name)
		require.NoError(t, err, name)
		if want, ok := sizes[name]; ok {
			assert.Equal(t, want[0], img.Bounds().Dx(), name)
			assert.Equal(t, want[1], img.Bounds().Dy(), name)
		}
	}
	_, err := Sprite("nope")
	assert.Error(t, err)
}

func TestFonts(t *testing.T) {
	for _, f := range [][]byte{GoRegular, GoBold, GoMonoBold} {
		require.Greater(t, len(f), 1000)
		assert.Equal(t, []byte{0, 1, 0, 0}, f[:4], "a TrueType file")
	}
}
