package gameserver

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/gameserver/snapshot"
	"github.com/skirmish-go/skirmish/gameserver/wire"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestInputBuffer(t *testing.T) {
	// The tick is the sequence in these cases: inputs arrive just in time.
	in := func(b *inputBuffer, seq uint16) { b.add(seq, []byte{1, byte(seq)}, uint32(b.next)) }
	popSeq := func(t *testing.T, b *inputBuffer) (byte, bool) {
		t.Helper()
		data, rep := b.pop(uint32(b.next))
		if len(data) == 0 {
			return 0, rep
		}
		return data[1], rep
	}

	t.Run("in order with redundancy", func(t *testing.T) {
		var b inputBuffer
		_, rep := b.pop(0)
		assert.True(t, rep, "nothing yet")
		for s := uint16(10); s < 20; s++ {
			in(&b, s)
			in(&b, s) // duplicate (redundant copy)
			if s > 10 {
				in(&b, s-1) // stale copy
			}
			got, rep := popSeq(t, &b)
			require.False(t, rep)
			require.Equal(t, byte(s), got)
		}
		assert.Equal(t, uint16(19), b.lastSeq)
	})

	t.Run("late input stalls and repeats", func(t *testing.T) {
		var b inputBuffer
		in(&b, 5)
		got, _ := popSeq(t, &b)
		require.Equal(t, byte(5), got)
		got, rep := popSeq(t, &b) // 6 not here: repeat 5, wait for it
		require.True(t, rep)
		require.Equal(t, byte(5), got)
		in(&b, 6)
		in(&b, 7)
		got, rep = popSeq(t, &b)
		require.False(t, rep)
		require.Equal(t, byte(6), got, "the late input is applied, not skipped")
	})

	t.Run("gap beyond redundancy is skipped", func(t *testing.T) {
		var b inputBuffer
		in(&b, 1)
		popSeq(t, &b)
		in(&b, 3) // 2 is lost for good
		got, rep := popSeq(t, &b)
		require.True(t, rep)
		require.Equal(t, byte(1), got)
		got, rep = popSeq(t, &b)
		require.False(t, rep)
		require.Equal(t, byte(3), got)
	})

	t.Run("latency is bounded", func(t *testing.T) {
		var b inputBuffer
		for s := range uint16(20) {
			in(&b, s)
		}
		got, _ := popSeq(t, &b)
		require.Equal(t, byte(20-maxBufferedInputs/2), got)
		require.Equal(t, uint64(20-maxBufferedInputs/2), b.dropped)
	})

	t.Run("sequence wraps", func(t *testing.T) {
		var b inputBuffer
		for s := uint16(65530); s != 6; s++ {
			in(&b, s)
			got, rep := popSeq(t, &b)
			require.False(t, rep)
			require.Equal(t, byte(s), got)
		}
		in(&b, 65535) // stale across the wrap
		_, rep := popSeq(t, &b)
		require.True(t, rep)
	})

	t.Run("far jump resynchronises", func(t *testing.T) {
		var b inputBuffer
		in(&b, 100)
		popSeq(t, &b)
		in(&b, 30000)
		got, rep := popSeq(t, &b)
		require.False(t, rep)
		require.Equal(t, byte(30000&0xff), got)
	})
}

func TestHistoryBaseline(t *testing.T) {
	var h history
	// Snapshots every 2 ticks: 2, 4, ..., 2*(historySize+4).
	push := func(tick uint32) {
		s := h.next(tick)
		s.Entities = append(s.Entities, snapshot.Entity{ID: uint16(tick)})
	}
	for i := 1; i <= historySize; i++ {
		push(uint32(2 * i))
	}
	cur := uint32(2 * historySize)
	assert.Nil(t, h.baseline(0, cur), "nothing acknowledged: full")
	assert.Nil(t, h.baseline(cur, cur), "ack of the snapshot being sent")
	assert.Nil(t, h.baseline(cur+2, cur), "ack from the future")
	assert.Nil(t, h.baseline(3, cur), "a tick never sent")
	b := h.baseline(2, cur)
	require.NotNil(t, b, "oldest still kept")
	assert.Equal(t, uint32(2), b.Tick)
	assert.Equal(t, uint16(2), b.Entities[0].ID)

	push(cur + 2) // evicts tick 2
	assert.Nil(t, h.baseline(2, cur+2), "too old: full")
	b = h.baseline(cur, cur+2)
	require.NotNil(t, b, "newest ack")
	assert.Equal(t, cur, b.Tick)

	allocs := testing.AllocsPerRun(100, func() { push(cur + 4); _ = h.baseline(cur, cur+4) })
	assert.Zero(t, allocs, "ring reuses entity slices")
}

// testServer runs a Server on a fakeTransport; call inside a synctest bubble.
type testServer struct {
	*Server
	tr      *fakeTransport
	games   *gameRecorder
	results *resultRecorder
	served  chan error
}

func startTestServer(t *testing.T, cfg Config) *testServer {
	ts := &testServer{games: &gameRecorder{}, results: &resultRecorder{got: make(chan struct{}, 64)}, served: make(chan error, 1)}
	if cfg.Game == nil {
		cfg.Game = ts.games.factory
	}
	cfg.Key = testKey
	cfg.Results = ts.results
	cfg.Logger = quietLogger()
	s, err := newServer(nil, cfg, newFakeFactory(&ts.tr))
	require.NoError(t, err)
	ts.Server = s
	go func() { ts.served <- s.Serve() }()
	t.Cleanup(func() {
		require.NoError(t, s.Close())
		require.NoError(t, s.Close(), "Close twice")
		require.ErrorIs(t, <-ts.served, ErrServerClosed)
	})
	return ts
}

func TestMatchPlaysToTheEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ts := startTestServer(t, Config{EndGrace: 500 * time.Millisecond})
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		const players = 3
		clients := make([]*headless, players)
		done := make(chan error, players)
		for i := range players {
			clients[i] = newHeadless(ts.tr.connect(t, i, ticket(1, uint8(i), players, "ticks:180")), testSchema)
			clients[i].inputByte = byte(i + 1)
			go func() { done <- clients[i].play(ctx, time.Second/60, time.Second) }()
		}
		for range players {
			require.NoError(t, <-done)
		}
		reports := ts.results.all()
		require.Len(t, reports, 1)
		rep := reports[0]
		assert.Equal(t, "time_limit", rep.Result.Reason)
		assert.Equal(t, uint32(180), rep.Ticks)
		require.Len(t, rep.Result.Scores, players)
		assert.Equal(t, map[uint8]uint64{0: 100, 1: 101, 2: 102}, rep.PlayerIDs)
		assert.Equal(t, "01000000000000000000000000000000", rep.MatchID)
		for i, c := range clients {
			require.NotNil(t, c.welcome, "client %d welcome", i)
			assert.Equal(t, uint8(i), c.welcome.Slot)
			assert.Equal(t, uint16(60), c.welcome.TickRate)
			assert.Equal(t, uint16(30), c.welcome.SnapshotRate)
			require.NotNil(t, c.end, "client %d match end", i)
			assert.Equal(t, rep.Result, c.end.Result, "same scoreboard everywhere")
			assert.Len(t, c.roster.Players, players)
			assert.Equal(t, 3, c.events, "one event per 60 ticks")
			assert.Zero(t, c.decodeErrs)
			assert.Equal(t, 1, c.full, "one full snapshot, then deltas")
			assert.GreaterOrEqual(t, c.snapshots, 85)
		}
		for i, sc := range rep.Result.Scores {
			// Every tick from the first input applied adds inputByte; the lossless link
			// applies almost every tick.
			assert.Greater(t, sc.Score, 150*(i+1), "slot %d", i)
		}
		synctest.Wait()
		st := ts.Status()
		assert.Zero(t, st.Matches)
		assert.Zero(t, st.Players)
		assert.Zero(t, st.Reserved)
	})
}

// lossyLink drops every nth payload the client sends.
type lossyLink struct {
	*fakeLink
	n, count int
}

func (l *lossyLink) Send(p []byte) error {
	l.count++
	if l.count%l.n == 0 {
		return nil
	}
	return l.fakeLink.Send(p)
}

func TestInputRedundancySurvivesLoss(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ts := startTestServer(t, Config{EndGrace: 200 * time.Millisecond})
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		// Every third packet from the client is lost, including runs of inputs.
		l := &lossyLink{fakeLink: ts.tr.connect(t, 0, ticket(2, 0, 1, "ticks:240")), n: 3}
		c := newHeadless(l, testSchema)
		require.NoError(t, c.play(ctx, time.Second/60, 300*time.Millisecond))
		g := ts.games.game(0)
		g.mu.Lock()
		applied := g.applied[0]
		g.mu.Unlock()
		require.Greater(t, len(applied), 200)
		for i := 1; i < len(applied); i++ {
			require.Equal(t, applied[i-1]+1, applied[i], "input %d missing: sequences applied %v", i, applied)
		}
		synctest.Wait()
	})
}

func TestSecondConnectionReplacesFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ts := startTestServer(t, Config{})
		first := ts.tr.connect(t, 0, ticket(3, 1, 2, "endless"))
		a := newHeadless(first, testSchema)
		synctest.Wait()
		require.NoError(t, a.receive(time.Now(), <-first.Payloads()))
		require.NotNil(t, a.welcome)

		second := ts.tr.connect(t, 5, ticket(3, 1, 2, "endless"))
		synctest.Wait()
		select {
		case <-first.Done():
		default:
			t.Fatal("first connection not closed")
		}
		b := newHeadless(second, testSchema)
		require.NoError(t, b.receive(time.Now(), <-second.Payloads()))
		require.NotNil(t, b.welcome)
		assert.Equal(t, uint8(1), b.welcome.Slot)
		g := ts.games.game(0)
		g.mu.Lock()
		assert.Equal(t, []uint8{1}, g.joins, "the seat stays joined")
		assert.Empty(t, g.leaves)
		g.mu.Unlock()
		assert.Equal(t, 1, ts.Status().Players)
		assert.Equal(t, 1, ts.Status().Matches)
	})
}

func TestRejections(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ts := startTestServer(t, Config{Capacity: 4})
		ts.tr.connect(t, 0, ticket(4, 0, 4, "endless"))
		over := ts.tr.connect(t, 1, ticket(5, 0, 2, "endless")) // 4 + 2 seats > 4
		mismatch := ts.tr.connect(t, 2, ticket(4, 1, 3, "endless"))
		synctest.Wait()
		for _, l := range []*fakeLink{over, mismatch} {
			select {
			case <-l.Done():
			default:
				t.Fatal("not rejected")
			}
		}
		// A bad ticket.
		ts.tr.events <- func() { ts.tr.h.connect(peer{index: 9}) }
		synctest.Wait()
		ts.tr.mu.Lock()
		assert.Contains(t, ts.tr.kicked, 9)
		ts.tr.mu.Unlock()
		st := ts.Status()
		assert.Equal(t, 1, st.Matches)
		assert.Equal(t, 4, st.Reserved)
	})
}

func TestEmptyMatchTimesOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ts := startTestServer(t, Config{EmptyTimeout: 5 * time.Second})
		ts.tr.connect(t, 0, ticket(6, 0, 2, "endless"))
		synctest.Wait()
		require.Equal(t, 1, ts.Status().Players)
		start := time.Now()
		ts.tr.hangUp(0)
		<-ts.results.got
		reps := ts.results.all()
		require.Len(t, reps, 1)
		assert.Equal(t, "abandoned", reps[0].Result.Reason)
		assert.InDelta(t, 5*time.Second, time.Since(start), float64(100*time.Millisecond))
		g := ts.games.game(0)
		g.mu.Lock()
		assert.Equal(t, []uint8{0}, g.leaves)
		g.mu.Unlock()
		time.Sleep(DefaultEndGrace) // virtual: the grace after MatchEnd
		synctest.Wait()
		assert.Zero(t, ts.Status().Matches)
		// The finished match cannot be started again with a still-valid token.
		l := ts.tr.connect(t, 1, ticket(6, 1, 2, "endless"))
		synctest.Wait()
		select {
		case <-l.Done():
		default:
			t.Fatal("finished match restarted")
		}
	})
}

func TestDrain(t *testing.T) {
	t.Run("matches end on their own", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ts := startTestServer(t, Config{EndGrace: time.Second})
			ts.tr.connect(t, 0, ticket(7, 0, 1, "ticks:120"))
			synctest.Wait()
			start := time.Now()
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			drained := make(chan error)
			go func() { drained <- ts.Drain(ctx) }()
			synctest.Wait()
			assert.True(t, ts.Status().Draining)
			late := ts.tr.connect(t, 1, ticket(8, 0, 1, "ticks:120"))
			synctest.Wait()
			select {
			case <-late.Done():
			default:
				t.Fatal("new match accepted while draining")
			}
			require.NoError(t, <-drained)
			// 2 s of ticks then the grace.
			assert.InDelta(t, 3*time.Second, time.Since(start), float64(100*time.Millisecond))
			reps := ts.results.all()
			require.Len(t, reps, 1)
			assert.Equal(t, "time_limit", reps[0].Result.Reason)

			rec := httptest.NewRecorder()
			ts.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
			assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
		})
	})
	t.Run("deadline ends the rest", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ts := startTestServer(t, Config{})
			l := ts.tr.connect(t, 0, ticket(9, 0, 2, "endless"))
			c := newHeadless(l, testSchema)
			synctest.Wait()
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
			defer cancel()
			err := ts.Drain(ctx)
			require.ErrorIs(t, err, context.DeadlineExceeded)
			reps := ts.results.all()
			require.Len(t, reps, 1)
			assert.Equal(t, "drained", reps[0].Result.Reason)
			require.Len(t, reps[0].Result.Scores, 1, "scores from the optional Scorer")
			assert.Zero(t, ts.Status().Matches)
			// The client was told before it was disconnected.
			for c.end == nil {
				select {
				case p := <-l.Payloads():
					require.NoError(t, c.receive(time.Now(), p))
				default:
					t.Fatal("no MatchEnd before disconnect")
				}
			}
			assert.Equal(t, "drained", c.end.Result.Reason)
		})
	})
}

func TestChatRelayed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ts := startTestServer(t, Config{})
		la := ts.tr.connect(t, 0, ticket(10, 0, 2, "endless"))
		lb := ts.tr.connect(t, 1, ticket(10, 1, 2, "endless"))
		a, b := newHeadless(la, testSchema), newHeadless(lb, testSchema)
		synctest.Wait()
		msg, err := (&wire.Chat{From: 9, Text: "gl hf"}).Append(nil)
		require.NoError(t, err)
		require.NoError(t, b.ep.SendReliable(msg))
		require.NoError(t, b.flush(time.Now()))
		time.Sleep(100 * time.Millisecond)
		synctest.Wait()
		for len(la.payloads) > 0 {
			require.NoError(t, a.receive(time.Now(), <-la.payloads))
		}
		require.Len(t, a.chats, 1)
		assert.Equal(t, uint8(1), a.chats[0].From, "server stamps the sender's slot")
		assert.Equal(t, "gl hf", a.chats[0].Text)
	})
}

func TestHTTPEndpoints(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ts := startTestServer(t, Config{Region: "eu", Capacity: 32})
		ts.tr.connect(t, 0, ticket(11, 0, 4, "endless"))
		time.Sleep(time.Second)
		synctest.Wait()
		h := ts.Handler()
		get := func(path string) *httptest.ResponseRecorder {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
			return rec
		}
		rec := get("/healthz")
		assert.Equal(t, http.StatusOK, rec.Code)
		rec = get("/status")
		require.Equal(t, http.StatusOK, rec.Code)
		var st Status
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &st))
		assert.Equal(t, Status{Region: "eu", Matches: 1, Players: 1, Reserved: 4, Capacity: 32, TickHz: 60,
			SnapshotHz: 30, TickP99Milli: st.TickP99Milli}, st)
		rec = get("/metrics")
		require.Equal(t, http.StatusOK, rec.Code)
		for _, name := range []string{"skirmish_gameserver_tick_duration_seconds", "skirmish_gameserver_players 1",
			"skirmish_gameserver_matches 1", "skirmish_gameserver_packets_out_total", "skirmish_gameserver_bytes_in_total",
			"skirmish_gameserver_dropped_packets_total", "skirmish_gameserver_invalid_packets_total",
			"skirmish_gameserver_repeated_inputs_total"} {
			assert.Contains(t, rec.Body.String(), name)
		}
	})
}

func TestConfigRequired(t *testing.T) {
	_, err := New(nil, Config{Key: testKey})
	require.ErrorIs(t, err, ErrNoGame)
	_, err = New(nil, Config{Game: newTestGame})
	require.ErrorIs(t, err, ErrNoKey)
	assert.True(t, errors.Is(err, ErrNoKey))
}

// newIdleMatch makes a match whose goroutine is not running, for driving it by hand.
func newIdleMatch(t *testing.T, cfg Config, now *time.Time) (*Server, *match) {
	cfg.Game, cfg.Key, cfg.Logger = newTestGame, testKey, quietLogger()
	cfg.Now = func() time.Time { return *now }
	var tr *fakeTransport
	s, err := newServer(nil, cfg, newFakeFactory(&tr))
	require.NoError(t, err)
	tk := ticket(20, 0, 2, "endless")
	g, err := newTestGame(tk.Mode, 2, 1)
	require.NoError(t, err)
	m := newMatch(s, tk, g)
	m.base, m.emptyAt = *now, *now
	return s, m
}

func TestCatchUpIsCapped(t *testing.T) {
	now := time.Unix(1000, 0)
	s, m := newIdleMatch(t, Config{}, &now)
	start := now
	now = start.Add(time.Second) // the process stalled for a second
	require.False(t, m.advance(now))
	assert.Equal(t, uint32(maxCatchUpTicks), m.tick, "at most maxCatchUpTicks in one wake-up")
	assert.Equal(t, float64(60-maxCatchUpTicks), counterValue(t, s.metrics.slippedTicks))
	m.advance(now)
	assert.Equal(t, uint32(maxCatchUpTicks), m.tick, "the clock slipped: nothing more is due now")
	now = now.Add(m.tickDur)
	m.advance(now)
	assert.Equal(t, uint32(maxCatchUpTicks+1), m.tick, "and ticks resume at the rate")
}

func TestFullInboxDropsAndCounts(t *testing.T) {
	now := time.Unix(1000, 0)
	s, m := newIdleMatch(t, Config{InboxSize: 2}, &now)
	s.clients[3] = clientRef{m: m, connID: 1}
	for range 5 {
		b := []byte{1, 2, 3}
		s.onPayload(peer{index: 3}, b)
		b[0] = 9 // the connection layer reuses its buffer after the call
	}
	s.onPayload(peer{index: 4}, []byte{1}) // no such client: ignored
	assert.Len(t, m.inbox, 2)
	assert.Equal(t, float64(3), counterValue(t, s.metrics.droppedPayloads))
	assert.Equal(t, float64(6), counterValue(t, s.metrics.packetsIn))
	assert.Equal(t, []byte{1, 2, 3}, m.inbox[0].data, "the match owns a copy")
	assert.Equal(t, now, m.inbox[0].at, "with its arrival time")

	m.handleInbox()
	assert.Empty(t, m.inbox, "handled")
	s.onPayload(peer{index: 3}, []byte{4, 5})
	require.Len(t, m.inbox, 1)
	assert.Equal(t, []byte{4, 5}, m.inbox[0].data)
	assert.Zero(t, testing.AllocsPerRun(100, func() {
		s.onPayload(peer{index: 3}, []byte{4, 5})
		m.handleInbox()
	}), "queueing a payload reuses the inbox's slots")
}

func counterValue(t *testing.T, c prometheus.Counter) float64 {
	var m dto.Metric
	require.NoError(t, c.Write(&m))
	return m.GetCounter().GetValue()
}

// TestLastPlayerAloneEnds: when every other player has left, the last one is not kept until
// the time limit: the match ends as "players_left" after Config.AloneTimeout, and the
// players who left are still in the final scores, marked Left. A player who comes back in
// time (a dropped connection) stops the clock.
func TestLastPlayerAloneEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ts := startTestServer(t, Config{AloneTimeout: 3 * time.Second})
		for slot := range uint8(3) {
			ts.tr.connect(t, int(slot), ticket(9, slot, 3, "endless"))
		}
		synctest.Wait()
		require.Equal(t, 3, ts.Status().Players)
		ts.tr.hangUp(1)
		ts.tr.hangUp(2)
		synctest.Wait()
		time.Sleep(2 * time.Second)
		ts.tr.connect(t, 3, ticket(9, 2, 3, "endless")) // slot 2 is back
		synctest.Wait()
		time.Sleep(5 * time.Second)
		synctest.Wait()
		assert.Empty(t, ts.results.all(), "two players: the match goes on")

		start := time.Now()
		ts.tr.hangUp(3)
		<-ts.results.got
		assert.InDelta(t, 3*time.Second, time.Since(start), float64(100*time.Millisecond))
		reps := ts.results.all()
		require.Len(t, reps, 1)
		res := reps[0].Result
		assert.Equal(t, "players_left", res.Reason)
		left := map[uint8]bool{}
		for _, s := range res.Scores {
			left[s.Slot] = s.Left
		}
		assert.Equal(t, map[uint8]bool{0: false, 1: true, 2: true}, left, "everyone who played, the leavers marked")
	})
}
