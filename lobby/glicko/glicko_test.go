package glicko

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The worked example of Glickman's paper: 1500/200/0.06 against three opponents.
func TestPaperExample(t *testing.T) {
	r := Update(Rating{1500, 200, 0.06}, []Outcome{
		{Rating{1400, 30, 0.06}, 1},
		{Rating{1550, 100, 0.06}, 0},
		{Rating{1700, 300, 0.06}, 0},
	})
	assert.InDelta(t, 1464.06, r.Rating, 0.01)
	assert.InDelta(t, 151.52, r.RD, 0.01)
	assert.InDelta(t, 0.05999, r.Volatility, 0.00001)
}

func TestUpdateMatch(t *testing.T) {
	out := UpdateMatch([]Player{
		{Rating: New(), Team: 1, Rank: 1},
		{Rating: New(), Team: 2, Rank: 2},
	})
	require.Len(t, out, 2)
	assert.Greater(t, out[0].Rating, DefaultRating)
	assert.Less(t, out[1].Rating, DefaultRating)
	assert.Less(t, out[0].RD, DefaultRD)

	draw := UpdateMatch([]Player{{Rating: New(), Team: 0, Rank: 1}, {Rating: New(), Team: 1, Rank: 1}})
	assert.InDelta(t, DefaultRating, draw[0].Rating, 0.001)

	idle := Update(Rating{1500, 50, 0.06}, nil)
	assert.Greater(t, idle.RD, 50.0)
}
