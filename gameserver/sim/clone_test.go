package sim

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// A clone taken mid-match goes on exactly as the original, and stepping it leaves the
// original untouched.
func TestCloneIsIndependentAndEqual(t *testing.T) {
	w, err := NewWorld(Config{MaxPlayers: 8, ScoreLimit: -1, TimeLimit: -1, Teams: 2}, arenaMap(t), 7)
	require.NoError(t, err)
	for i := range 8 {
		require.NoError(t, w.Join(uint8(i), 0))
	}
	rng := rand.New(rand.NewPCG(3, 3))
	inputs := make([]Input, 8)
	step := func(w *World, r *rand.Rand) {
		for i := range inputs {
			inputs[i] = Input{MoveX: int8(r.IntN(255) - 127), MoveY: int8(r.IntN(255) - 127),
				Aim: uint16(r.Uint32()), Fire: r.IntN(2) == 0, AltFire: r.IntN(20) == 0}
		}
		w.Step(inputs)
	}
	for range 600 {
		step(w, rng)
	}
	require.NotEmpty(t, w.Projectiles(), "a busy moment, shots in flight")
	c := w.Clone()
	require.Equal(t, w.Hash(), c.Hash())
	before := w.Hash()

	for range 300 {
		step(c, rand.New(rand.NewPCG(5, 5)))
	}
	require.Equal(t, before, w.Hash(), "stepping the clone leaves the original alone")
	for range 300 {
		step(w, rand.New(rand.NewPCG(5, 5)))
	}
	require.Equal(t, w.Hash(), c.Hash(), "original and clone step alike")
	require.NotEqual(t, before, w.Hash())
}
