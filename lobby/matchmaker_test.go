package lobby

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func tickets(now time.Time, ratings []float64, waits []time.Duration) []QueueTicket {
	ts := make([]QueueTicket, len(ratings))
	for i, r := range ratings {
		ts[i] = QueueTicket{PlayerID: uint64(i + 1), Rating: r, Since: now.Add(-waits[i])}
	}
	return ts
}

func groupRatings(ts []QueueTicket, groups [][]int) [][]float64 {
	var out [][]float64
	for _, g := range groups {
		var rs []float64
		for _, i := range g {
			rs = append(rs, ts[i].Rating)
		}
		slices.Sort(rs)
		out = append(out, rs)
	}
	return out
}

func TestFormGroupsBySkill(t *testing.T) {
	now := time.Unix(1000, 0)
	duel := Mode{MinPlayers: 2, MaxPlayers: 2, FillTimeout: 10 * time.Second}
	ts := tickets(now, []float64{1000, 2000, 1050, 2040, 1500}, []time.Duration{5, 4, 3, 2, 1})
	g := formGroups(ts, duel, now, 100, 50, 1000)
	assert.Equal(t, [][]float64{{1000, 1050}, {2000, 2040}}, groupRatings(ts, g), "similar players pair; 1500 waits")

	// Far apart: nothing at first; the window widens with the oldest player's wait.
	ts = tickets(now, []float64{1000, 1400}, []time.Duration{time.Second, 0})
	assert.Empty(t, formGroups(ts, duel, now, 100, 50, 1000))
	ts = tickets(now, []float64{1000, 1400}, []time.Duration{7 * time.Second, 0})
	assert.Len(t, formGroups(ts, duel, now, 100, 50, 1000), 1, "100 + 7 s × 50 ≥ 400")
	ts = tickets(now, []float64{1000, 2500}, []time.Duration{time.Hour, 0})
	assert.Empty(t, formGroups(ts, duel, now, 100, 50, 1000), "the window is capped")
}

func TestFormGroupsFill(t *testing.T) {
	now := time.Unix(1000, 0)
	ffa := Mode{MinPlayers: 2, MaxPlayers: 4, FillTimeout: 5 * time.Second}
	r := []float64{1500, 1500, 1500}
	assert.Empty(t, formGroups(tickets(now, r, []time.Duration{time.Second, 0, 0}), ffa, now, 100, 50, 1000),
		"3 of 4 wait for the fill timeout")
	g := formGroups(tickets(now, r, []time.Duration{6 * time.Second, 0, 0}), ffa, now, 100, 50, 1000)
	require.Len(t, g, 1)
	assert.Len(t, g[0], 3, "after the timeout, ≥ min starts")
	r = []float64{1500, 1510, 1490, 1505, 1495}
	g = formGroups(tickets(now, r, []time.Duration{1, 1, 1, 1, 1}), ffa, now, 100, 50, 1000)
	require.Len(t, g, 1, "full at once")
	assert.Len(t, g[0], 4)
}

func TestFormGroupsLarge(t *testing.T) {
	now := time.Unix(1000, 0)
	rng := rand.New(rand.NewPCG(1, 2))
	n := 10000
	r := make([]float64, n)
	w := make([]time.Duration, n)
	for i := range r {
		r[i] = 1500 + rng.NormFloat64()*300
		w[i] = time.Duration(rng.IntN(10)) * time.Second
	}
	ts := tickets(now, r, w)
	g := formGroups(ts, Mode{MinPlayers: 2, MaxPlayers: 2, FillTimeout: time.Minute}, now, 100, 50, 1000)
	seen := map[int]bool{}
	for _, gr := range g {
		require.Len(t, gr, 2)
		for _, i := range gr {
			require.False(t, seen[i], "player in two matches")
			seen[i] = true
		}
		d := ts[gr[0]].Rating - ts[gr[1]].Rating
		assert.LessOrEqual(t, max(d, -d), 100+50*10.0)
	}
	assert.Greater(t, len(seen), n*9/10)
}
