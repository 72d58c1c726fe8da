package gameserver

import (
	"context"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/gameserver/snapshot"
	"github.com/skirmish-go/skirmish/gameserver/wire"
)

func spectatorTicket(match byte, players uint8, mode string) wire.Ticket {
	return wire.Ticket{MatchID: [16]byte{match}, Players: players, Mode: mode, Name: "watcher", PlayerID: 900,
		Spectator: true}
}

// recorded is a headless client's run: when each snapshot tick arrived, and its decoded state;
// when each Roster arrived (with how many players were connected) and when MatchEnd did.
type recorded struct {
	at       map[uint32]time.Time
	states   map[uint32][]snapshot.Entity
	deltas   map[uint32][]byte
	rosterAt []time.Time
	rosterOn []int
	endAt    time.Time
}

// runRecorded drives h until the connection ends or ctx is done: a player sends an input every
// tick, a spectator a SpectatorAck of its newest snapshot; every new snapshot is recorded.
func runRecorded(ctx context.Context, h *headless, spectator bool) (*recorded, error) {
	r := &recorded{at: map[uint32]time.Time{}, states: map[uint32][]snapshot.Entity{}, deltas: map[uint32][]byte{}}
	tk := time.NewTicker(time.Second / 60)
	defer tk.Stop()
	var buf []byte
	for {
		select {
		case <-ctx.Done():
			return r, ctx.Err()
		case <-h.link.Done():
			return r, nil
		case p := <-h.link.Payloads():
			before, rosters := h.newest, h.rosters
			h.keepRaw = true
			if err := h.receive(time.Now(), p); err != nil {
				return r, err
			}
			if h.rosters != rosters {
				on := 0
				for _, e := range h.roster.Players {
					if e.Connected {
						on++
					}
				}
				r.rosterAt, r.rosterOn = append(r.rosterAt, time.Now()), append(r.rosterOn, on)
			}
			if h.end != nil && r.endAt.IsZero() {
				r.endAt = time.Now()
			}
			for _, msg := range h.raw {
				snap, _, err := wire.ParseSnapshot(msg)
				if err != nil {
					return r, err
				}
				tick, _, _, err := snapshot.PeekTicks(snap.Delta)
				if err != nil {
					return r, err
				}
				if _, ok := r.deltas[tick]; !ok {
					r.deltas[tick] = slices.Clone(snap.Delta)
				}
			}
			h.raw = h.raw[:0]
			if h.newest != before {
				r.at[h.newest] = time.Now()
				s := h.findBaseline(h.newest)
				r.states[h.newest] = slices.Clone(s.Entities)
			}
		case <-tk.C:
			if !spectator {
				if h.welcome != nil && h.end == nil {
					if err := h.sendInput(time.Now()); err != nil {
						return r, err
					}
				}
				continue
			}
			a := wire.SpectatorAck{AckTick: h.newest}
			buf, _ = a.Append(buf[:0])
			if err := h.ep.SendUnreliable(buf); err != nil {
				return r, err
			}
			if err := h.flush(time.Now()); err != nil {
				return r, err
			}
		}
	}
}

// denial reads the Denied message a refused client was sent.
func denial(t *testing.T, l *fakeLink) string {
	t.Helper()
	h := newHeadless(l, testSchema)
	for len(l.Payloads()) > 0 {
		require.NoError(t, h.ep.Receive(time.Now(), <-l.Payloads()))
		for {
			msg, ok := h.ep.NextReliable()
			if !ok {
				break
			}
			if d, _, err := wire.ParseDenied(msg); err == nil {
				return d.Reason
			}
		}
	}
	return ""
}

// TestSpectatorSeesMatchDelayed: a spectator receives the very states the player received,
// each exactly SpectatorDelay later (virtual time), at the snapshot rate, delta encoded (one
// full snapshot), mostly as the players' own encodings; it gets the roster, the game's events
// (delayed too) and the match end, and takes no seat.
func TestSpectatorSeesMatchDelayed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const delay = 2 * time.Second
		ts := startTestServer(t, Config{EndGrace: 500 * time.Millisecond, SpectatorDelay: delay})
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		player := newHeadless(ts.tr.connect(t, 0, ticket(30, 0, 2, "ticks:600")), testSchema)
		synctest.Wait()
		watcher := newHeadless(ts.tr.connect(t, 5, spectatorTicket(30, 2, "ticks:600")), testSchema)
		pdone := make(chan *recorded, 1)
		go func() {
			r, err := runRecorded(ctx, player, false)
			assert.NoError(t, err)
			pdone <- r
		}()
		wr, err := runRecorded(ctx, watcher, true)
		require.NoError(t, err)
		pr := <-pdone

		require.NotNil(t, watcher.welcome)
		assert.Equal(t, uint8(wire.SpectatorSlot), watcher.welcome.Slot)
		require.NotEmpty(t, watcher.roster.Players, "the spectator knows who plays")
		require.NotNil(t, watcher.end, "the spectator hears the match end")

		// 600 ticks at 30 snapshots/s, the first 2 s (120 ticks) only reach spectators after
		// the delay: about (600-120)/2 snapshots, all but one deltas.
		assert.GreaterOrEqual(t, watcher.snapshots, 230)
		assert.Equal(t, 1, watcher.full, "one full snapshot, deltas after")
		assert.Zero(t, watcher.decodeErrs)
		shared, checked := 0, 0
		for tick, at := range wr.at {
			pat, ok := pr.at[tick]
			require.True(t, ok, "tick %d was a player's snapshot", tick)
			require.Equal(t, delay, at.Sub(pat), "tick %d shown exactly the delay late", tick)
			require.Equal(t, pr.states[tick], wr.states[tick], "tick %d: the same state", tick)
			if slices.Equal(pr.deltas[tick], wr.deltas[tick]) {
				shared++
			}
			checked++
		}
		t.Logf("spectator: %d snapshots, %d byte-identical to the player's", checked, shared)
		assert.Greater(t, shared, checked/2, "most spectator snapshots are the players' encodings")

		// Events: one per second in the test game; the spectator gets those it was shown.
		assert.GreaterOrEqual(t, watcher.events, 7)
		assert.Less(t, watcher.events, player.events+1)

		g := ts.games.game(0)
		g.mu.Lock()
		assert.Equal(t, []uint8{0}, g.joins, "the spectator took no seat")
		g.mu.Unlock()
		assert.GreaterOrEqual(t, counterValue(t, ts.metrics.snapSpectator), float64(watcher.snapshots),
			"spectator snapshots are counted under their own kind")
	})
}

// TestSpectatorSeesMatchEndDelayed: the match end and the roster's changes reach a spectator
// SpectatorDelay after the players, and a match that ends keeps serving its spectators the
// seconds they have not seen yet: their last snapshot is the players' last.
func TestSpectatorSeesMatchEndDelayed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const delay = 2 * time.Second
		ts := startTestServer(t, Config{EndGrace: 500 * time.Millisecond, SpectatorDelay: delay})
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		p0 := newHeadless(ts.tr.connect(t, 0, ticket(31, 0, 2, "ticks:360")), testSchema)
		synctest.Wait()
		watcher := newHeadless(ts.tr.connect(t, 5, spectatorTicket(31, 2, "ticks:360")), testSchema)
		run := func(h *headless, spectator bool) <-chan *recorded {
			done := make(chan *recorded, 1)
			go func() {
				r, err := runRecorded(ctx, h, spectator)
				assert.NoError(t, err)
				done <- r
			}()
			return done
		}
		p0done, wdone := run(p0, false), run(watcher, true)
		time.Sleep(time.Second) // virtual time: the second player comes a second into the match
		p1 := newHeadless(ts.tr.connect(t, 1, ticket(31, 1, 2, "ticks:360")), testSchema)
		p1done := run(p1, false)
		pr, wr := <-p0done, <-wdone
		<-p1done

		require.NotNil(t, p0.end)
		require.NotNil(t, watcher.end, "the spectator hears the match end")
		assert.Equal(t, p0.end.Result, watcher.end.Result)
		assert.Equal(t, delay, wr.endAt.Sub(pr.endAt), "the match end reaches the spectator the delay late")
		assert.Equal(t, p0.newest, watcher.newest, "the spectator is shown the match to its last snapshot")
		assert.Equal(t, delay, wr.at[watcher.newest].Sub(pr.at[p0.newest]))

		// The second player's arrival: the player sees both connected at once, the spectator
		// (who was sent the roster of one when it connected) the delay later.
		pi := slices.Index(pr.rosterOn, 2)
		wi := slices.Index(wr.rosterOn, 2)
		require.GreaterOrEqual(t, pi, 0, "player rosters: %v", pr.rosterOn)
		require.GreaterOrEqual(t, wi, 1, "spectator rosters: %v", wr.rosterOn)
		assert.Equal(t, 1, wr.rosterOn[0])
		// Held messages go out with the snapshots, so with the first one that shows their tick.
		late := wr.rosterAt[wi].Sub(pr.rosterAt[pi])
		assert.GreaterOrEqual(t, late, delay, "the roster change reaches the spectator the delay late")
		assert.LessOrEqual(t, late, delay+time.Second/30)
	})
}

// TestSpectatorLimit: beyond MaxSpectators a spectator is refused with spectators_full; a
// spectator of a match the server does not run is refused with no_match and starts nothing.
func TestSpectatorLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ts := startTestServer(t, Config{MaxSpectators: 2})
		ts.tr.connect(t, 0, ticket(31, 0, 2, "forever"))
		synctest.Wait()
		var links []*fakeLink
		for i := range 3 {
			links = append(links, ts.tr.connect(t, 10+i, spectatorTicket(31, 2, "forever")))
			synctest.Wait()
		}
		for _, l := range links[:2] {
			select {
			case <-l.Done():
				t.Fatal("a spectator within the limit was refused")
			default:
			}
		}
		<-links[2].Done()
		assert.Contains(t, denial(t, links[2]), DeniedSpectatorsFull)
		assert.Equal(t, 1.0, counterValue(t, ts.metrics.rejected.WithLabelValues(DeniedSpectatorsFull)))

		// A place frees when a spectator leaves.
		ts.tr.hangUp(10)
		synctest.Wait()
		again := ts.tr.connect(t, 20, spectatorTicket(31, 2, "forever"))
		synctest.Wait()
		select {
		case <-again.Done():
			t.Fatal("the freed place was not given")
		default:
		}

		time.Sleep(2 * time.Second) // virtual: the match publishes its live summary
		stray := ts.tr.connect(t, 21, spectatorTicket(99, 2, "forever"))
		<-stray.Done()
		assert.Contains(t, denial(t, stray), DeniedNoMatch)
		st := ts.Status()
		assert.Equal(t, 1, st.Matches, "a spectator starts no match")
		assert.Equal(t, 1, st.Players, "spectators are not players")
		live := ts.LiveMatches()
		require.Len(t, live, 1)
		assert.Equal(t, 2, live[0].Spectators)
	})
}

// TestSpectatorCannotMovePlayer: Input messages from a spectator reach no game: the player's
// inputs are the only ones applied, the spectator's are counted invalid, and no seat changes.
func TestSpectatorCannotMovePlayer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ts := startTestServer(t, Config{EndGrace: 200 * time.Millisecond})
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		player := newHeadless(ts.tr.connect(t, 0, ticket(32, 0, 1, "ticks:300")), testSchema)
		player.inputByte = 1
		synctest.Wait()
		// The spectator claims slot 0's inputs with sequences the player also uses.
		cheat := newHeadless(ts.tr.connect(t, 7, spectatorTicket(32, 1, "ticks:300")), testSchema)
		cheat.inputByte = 100
		cheat.makeInput = func(seq uint16) []byte { return []byte{100, 0xEE} }
		done := make(chan error, 1)
		go func() { done <- cheat.play(ctx, time.Second/60, 100*time.Millisecond) }()
		require.NoError(t, player.play(ctx, time.Second/60, 300*time.Millisecond))
		require.NoError(t, <-done)

		g := ts.games.game(0)
		g.mu.Lock()
		defer g.mu.Unlock()
		assert.Equal(t, []uint8{0}, g.joins)
		require.NotNil(t, player.end)
		require.Len(t, player.end.Result.Scores, 1)
		assert.LessOrEqual(t, player.end.Result.Scores[0].Score, 300,
			"every tick added the player's 1, never the spectator's 100")
		assert.Positive(t, counterValue(t, ts.metrics.invalidPackets), "the spectator's inputs were refused")
	})
}
