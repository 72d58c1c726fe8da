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
