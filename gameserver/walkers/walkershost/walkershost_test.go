package walkershost

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/gameserver"
	"github.com/skirmish-go/skirmish/gameserver/snapshot"
	"github.com/skirmish-go/skirmish/gameserver/walkers"
)

func TestDef(t *testing.T) {
	d := Def(60)
	require.NoError(t, d.Validate())
	require.Equal(t, Name, d.Name)
	m, ok := d.Mode("walkers")
	require.True(t, ok)
	require.Equal(t, gameserver.ModeSpec{Name: "walkers", Title: "Walkers", MinPlayers: 1, MaxPlayers: 64,
		FillTimeout: walkers.Mode.FillTimeout}, m)
	require.Equal(t, "2s", m.FillTimeout.String())

	_, err := d.New("ffa", 8, 1)
	require.ErrorIs(t, err, ErrUnknownMode)
	_, err = d.New("walkers", 65, 1)
	require.Error(t, err)
	_, err = d.New("walkers", 0, 1)
	require.Error(t, err)
}

// A match through the Game interface: joins, steps with no input, entities sorted and
// encodable, leaves and the scoreboard.
func TestGamePlaysThroughInterface(t *testing.T) {
	g, err := New("walkers", 64, 7)
	require.NoError(t, err)
	for _, slot := range []uint8{5, 0, 63, 9} {
		require.NoError(t, g.Join(gameserver.Player{Slot: slot, Name: "p"}))
	}
	require.Error(t, g.Join(gameserver.Player{Slot: 5}), "a seat taken")
	s := g.Schema()
	require.NoError(t, s.Validate())
	var prev *snapshot.Snapshot
	var out snapshot.Snapshot
	for tick := uint32(1); tick <= 600; tick++ {
		require.Empty(t, g.Step(nil))
		if tick == 300 {
			g.Leave(0)
		}
		if tick%2 != 0 {
			continue
		}
		cur := &snapshot.Snapshot{Tick: tick, Entities: g.AppendEntities(nil)}
		for i := 1; i < len(cur.Entities); i++ {
			require.Less(t, cur.Entities[i-1].ID, cur.Entities[i].ID)
		}
		b, err := s.AppendDelta(nil, prev, cur)
		require.NoError(t, err)
		require.NoError(t, s.ParseDelta(b, prev, &out))
		require.Equal(t, cur.Entities, out.Entities)
		prev = cur
	}
	require.Len(t, prev.Entities, 3)
	_, over := g.Over()
	require.False(t, over)
	sc := g.(gameserver.Scorer).Scores()
	require.Len(t, sc, 3)
	for _, p := range sc {
		w, ok := g.(*Game).World().Find(p.Slot)
		require.True(t, ok)
		require.Equal(t, w.Score, p.Score)
		require.Equal(t, "p", p.Name)
	}
}
