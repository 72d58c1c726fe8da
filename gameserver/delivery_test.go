package gameserver

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/gameserver/snapshot"
	"github.com/skirmish-go/skirmish/gameserver/wire"
)

// stallLink loses the client's packets in bursts: `burst` in a row out of every `period`, so
// the inputs arrive late (in the packet after the burst) and the server has to repeat some.
type stallLink struct {
	*fakeLink
	period, burst, count int
}

func (l *stallLink) Send(p []byte) error {
	l.count++
	if l.count%l.period < l.burst {
		return nil
	}
	return l.fakeLink.Send(p)
}

// TestSnapshotCountsInputsExactly: the counters in the last snapshot of a match equal what the
// game saw: the ticks it simulated with this client's real input, and the ticks it had to
// repeat the last one because the real one was late.
func TestSnapshotCountsInputsExactly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ts := startTestServer(t, Config{EndGrace: 200 * time.Millisecond})
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		l := &stallLink{fakeLink: ts.tr.connect(t, 0, ticket(20, 0, 1, "ticks:600")), period: 50, burst: 8}
		c := newHeadless(l, testSchema)
		require.NoError(t, c.play(ctx, time.Second/60, 300*time.Millisecond))
		synctest.Wait()

		g := ts.games.game(0)
		g.mu.Lock()
		real, repeats := len(g.applied[0]), g.repeats[0]
		g.mu.Unlock()
		require.Equal(t, uint32(600), c.newest, "the last snapshot is of the last tick")
		require.Positive(t, repeats, "the stalls made the server repeat inputs")
		assert.Equal(t, uint32(real), c.lastSnap.InputsApplied)
		assert.Equal(t, uint32(repeats), c.lastSnap.RepeatedInputs)
		t.Logf("applied %d, repeated %d: delivery %.4f", real, repeats, float64(real)/float64(real+repeats))
	})
}

// TestRepeatedSnapshotIsByteIdentical: a snapshot sent again for redundancy is the same message
// byte for byte, so its last input sequence is still the one of its tick's state (patching it
// made a client reconcile tick T's state against tick T+1's input).
func TestRepeatedSnapshotIsByteIdentical(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ts := startTestServer(t, Config{EndGrace: 200 * time.Millisecond, SnapshotRedundancy: RedundancyAlways})
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		c := newHeadless(ts.tr.connect(t, 0, ticket(21, 0, 1, "ticks:120")), testSchema)
		c.keepRaw = true
		require.NoError(t, c.play(ctx, time.Second/60, 300*time.Millisecond))
		synctest.Wait()

		byTick := map[uint32][]byte{}
		repeats := 0
		for _, msg := range c.raw {
			snap, _, err := wire.ParseSnapshot(msg)
			require.NoError(t, err)
			tick, _, _, err := snapshot.PeekTicks(snap.Delta)
			require.NoError(t, err)
			if first, ok := byTick[tick]; ok {
				repeats++
				require.Equal(t, first, msg, "repeat of tick %d differs", tick)
				continue
			}
			byTick[tick] = msg
		}
		assert.Greater(t, repeats, 40, "every snapshot is repeated")
	})
}

// TestUnknownModeIsDenied: a ticket whose mode the game does not have is refused at connect:
// the client hears why (wire.Denied) and is disconnected, no match starts, and the rejection is
// counted under its reason.
func TestUnknownModeIsDenied(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ts := startTestServer(t, Config{})
		l := ts.tr.connect(t, 0, ticket(22, 0, 2, "ticks:nope")) // the test game refuses it
		synctest.Wait()
		select {
		case <-l.Done():
		default:
			t.Fatal("not disconnected")
		}
		h := newHeadless(l, testSchema)
		var denied *wire.Denied
		for len(l.Payloads()) > 0 {
			p := <-l.Payloads()
			require.NoError(t, h.ep.Receive(time.Now(), p))
			for {
				msg, ok := h.ep.NextReliable()
				if !ok {
					break
				}
				d, _, err := wire.ParseDenied(msg)
				require.NoError(t, err)
				require.Nil(t, denied, "delivered once")
				denied = &d
			}
		}
		require.NotNil(t, denied, "the client is told why")
		assert.Contains(t, denied.Reason, "unknown_mode")
		assert.Contains(t, denied.Reason, "ticks:nope")
		assert.Zero(t, ts.Status().Matches)
		assert.Zero(t, ts.Status().Reserved)
		assert.Equal(t, 1.0, counterValue(t, ts.metrics.rejected.WithLabelValues("unknown_mode")))
	})
}
