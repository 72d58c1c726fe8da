package gameserver

import (
	"io"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// blockingStore's Save waits until release is closed, as a slow disk would.
type blockingStore struct {
	started chan string
	release chan struct{}
}

func (b *blockingStore) Save(name string, f io.WriterTo) error {
	b.started <- name
	<-b.release
	_, err := f.WriteTo(io.Discard)
	return err
}

// One loop drives every match, so a match's slow replay save must not run on it: the other
// match keeps ticking while the save waits, and the finished match's result (which names
// its replay) follows the save.
func TestSlowReplaySaveStallsNoOtherMatch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := &blockingStore{started: make(chan string, 4), release: make(chan struct{})}
		ts := startTestServer(t, Config{Replays: store, EndGrace: 100 * time.Millisecond})
		ts.tr.connect(t, 0, ticket(1, 0, 1, "ticks:60"))
		synctest.Wait()
		ts.tr.connect(t, 1, ticket(2, 0, 1, "endless"))
		name := <-store.started
		other := ts.games.game(1)
		ticks := func() uint32 {
			other.mu.Lock()
			defer other.mu.Unlock()
			return other.tick
		}
		before := ticks()
		time.Sleep(time.Second) // a second of the bubble's clock, with the save still waiting
		assert.GreaterOrEqual(t, ticks()-before, uint32(55), "the other match ticked on")
		assert.Empty(t, ts.results.all(), "the result waits for its replay")

		close(store.release)
		synctest.Wait()
		reps := ts.results.all()
		require.Len(t, reps, 1)
		assert.Equal(t, name, reps[0].Replay)
		assert.Equal(t, "time_limit", reps[0].Result.Reason)
	})
}

// inputFreeGame is the test game claiming InputFree; it records the instant of every Step.
type inputFreeGame struct {
	*testGame
	at []time.Time // guarded by testGame.mu
}

func (g *inputFreeGame) InputFree() bool { return true }

func (g *inputFreeGame) Step(in []PlayerInput) []Event {
	ev := g.testGame.Step(in)
	g.mu.Lock()
	g.at = append(g.at, time.Now())
	g.mu.Unlock()
	return ev
}

// A game that ignores input (InputFree) is woken only for the ticks that send snapshots: at
// 60 ticks and 30 snapshots a second it steps 60 times a second in 30 passes, two ticks a
// pass, and every snapshot tick still sends its snapshot.
func TestInputFreeMatchWakesForSnapshotTicksOnly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g *inputFreeGame
		factory := func(mode string, maxPlayers int, seed uint64) (Game, error) {
			tg, err := newTestGame(mode, maxPlayers, seed)
			if err != nil {
				return nil, err
			}
			g = &inputFreeGame{testGame: tg.(*testGame)}
			return g, nil
		}
		ts := startTestServer(t, Config{Game: factory, Tick: 60, SnapshotRate: 30})
		ts.tr.connect(t, 0, ticket(1, 0, 1, "endless"))
		synctest.Wait()
		time.Sleep(time.Second)
		g.mu.Lock()
		steps := len(g.at)
		passes := map[time.Time]int{}
		for _, at := range g.at {
			passes[at]++
		}
		g.mu.Unlock()
		assert.InDelta(t, 60, steps, 2, "ticks in a second")
		assert.InDelta(t, 30, len(passes), 2, "passes (distinct step instants) in a second")
		for at, n := range passes {
			assert.LessOrEqual(t, n, 2, "steps at %v", at)
		}
	})
}
