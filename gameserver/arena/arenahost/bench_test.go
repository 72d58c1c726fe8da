package arenahost

import (
	"fmt"
	"testing"

	"github.com/skirmish-go/skirmish/gameserver"
	"github.com/skirmish-go/skirmish/gameserver/snapshot"
	"github.com/stretchr/testify/require"
)

const (
	ringSize  = 16
	minAge    = 2 // baseline age in ticks for client c is minAge + c%ages
	ages      = 7
	warmTicks = 120
)

// snapshotSizes replays recorded play and returns the mean bytes per client per snapshot of
// delta snapshots (baselines 2..8 ticks old), full binary and full JSON snapshots.
func snapshotSizes(t testing.TB, mode string, rec [][]gameserver.PlayerInput, n int, seed uint64) (delta, full, json float64) {
	g := benchGameIn(t, mode, n, seed)
	s := g.Schema()
	var ring [ringSize]snapshot.Snapshot
	var buf []byte
	var dSum, fSum, jSum, dN, fN int
	for i, in := range rec {
		g.Step(in)
		tick := g.World().Tick()
		cur := &ring[tick%ringSize]
		cur.Tick = tick
		cur.Entities = g.AppendEntities(cur.Entities[:0])
		if i < warmTicks {
			continue
		}
		var err error
		for c := range n {
			age := uint32(minAge + c%ages)
			buf, err = s.AppendDelta(buf[:0], &ring[(tick-age)%ringSize], cur)
			require.NoError(t, err)
			dSum += len(buf)
			dN++
		}
		buf, err = s.AppendDelta(buf[:0], nil, cur)
		require.NoError(t, err)
		fSum += len(buf)
		jSum += len(s.AppendJSON(buf[:0], cur))
		fN++
	}
	return float64(dSum) / float64(dN), float64(fSum) / float64(fN), float64(jSum) / float64(fN)
}

// TestSnapshotSizeTargets holds the codec to this round's targets on recorded bot play:
// delta at most 1/3 of a full binary snapshot and 1/10 of JSON.
func TestSnapshotSizeTargets(t *testing.T) {
	const n, ticks, seed = 16, 600, 11
	rec := record(t, "ffa", n, ticks, seed)
	delta, full, json := snapshotSizes(t, "ffa", rec, n, seed)
	t.Logf("16 players: delta %.0f B, full %.0f B, JSON %.0f B per client per snapshot", delta, full, json)
	require.LessOrEqual(t, delta, full/3)
	require.LessOrEqual(t, delta, json/10)
}

// BenchmarkServerTick measures one server tick of a match: the simulation of recorded bot
// play plus a delta snapshot for every client against a baseline 2..8 ticks old, and reports
// the mean snapshot sizes per client: delta, full binary and full JSON. "shared" encodes
// through a snapshot.Encoder (one encoding per distinct baseline, as a server loop should);
// "per-client" calls AppendDelta once per client. "players=N" plays free for all on the
// default map; "large/players=64" is the mode "large": two teams of 32 on its 3200×2400 map.
func BenchmarkServerTick(b *testing.B) {
	for _, c := range []struct {
		mode, prefix string
		n            int
	}{{"ffa", "", 16}, {"ffa", "", 64}, {"large", "large/", 64}} {
		const seed = 5
		n := c.n
		var rec [][]gameserver.PlayerInput
		var delta, full, json float64
		for _, shared := range []bool{true, false} {
			name := fmt.Sprintf("%splayers=%d/per-client", c.prefix, n)
			if shared {
				name = fmt.Sprintf("%splayers=%d/shared", c.prefix, n)
			}
			b.Run(name, func(b *testing.B) {
				if rec == nil {
					rec = record(b, c.mode, n, 1200, seed)
					delta, full, json = snapshotSizes(b, c.mode, rec, n, seed)
				}
				g := benchGameIn(b, c.mode, n, seed)
				s := g.Schema()
				enc := snapshot.NewEncoder(s)
				var ring [ringSize]snapshot.Snapshot
				for i := range ring {
					ring[i].Entities = make([]snapshot.Entity, 0, 1024)
				}
				buf := make([]byte, 0, 64<<10)
				i := 0
				step := func() {
					g.Step(rec[i%len(rec)])
					i++
					tick := g.World().Tick()
					cur := &ring[tick%ringSize]
					cur.Tick = tick
					cur.Entities = g.AppendEntities(cur.Entities[:0])
					enc.Reset(cur)
					for c := range n {
						age := uint32(minAge + c%ages)
						var base *snapshot.Snapshot
						if tick > age {
							base = &ring[(tick-age)%ringSize]
						}
						var err error
						if shared {
							buf, err = enc.Encode(base)
						} else {
							buf, err = s.AppendDelta(buf[:0], base, cur)
						}
						if err != nil {
							b.Fatal(err)
						}
					}
				}
				for range warmTicks {
					step()
				}
				b.ReportAllocs()
				for b.Loop() {
					step()
				}
				b.ReportMetric(delta, "B-delta/client")
				b.ReportMetric(full, "B-full/client")
				b.ReportMetric(json, "B-json/client")
			})
		}
	}
}
