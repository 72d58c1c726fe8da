package client

import (
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/gameserver/snapshot"
	"github.com/skirmish-go/skirmish/gameserver/wire"
	"github.com/skirmish-go/skirmish/netcode"
)

// fakeRules is a tiny game: one entity kind (a player: x, y in 1/16 px), inputs of two signed
// bytes added to the position each tick.
type fakeRules struct{ schema *snapshot.Schema }

func newFakeRules(wire.Welcome) (Rules, error) {
	return fakeRules{&snapshot.Schema{Kinds: []snapshot.KindSpec{{Name: "player", Fields: []snapshot.FieldSpec{
		{Name: "x", Bits: 20, Signed: true}, {Name: "y", Bits: 20, Signed: true},
	}}}}}, nil
}

func (r fakeRules) Schema() *snapshot.Schema { return r.schema }
func (fakeRules) AppendInput(dst []byte, c Controls, _ float64) []byte {
	return append(dst, byte(int8(math.Round(c.Move.X*16))), byte(int8(math.Round(c.Move.Y*16))))
}
func (fakeRules) Player(s *snapshot.Snapshot, slot uint8) (PlayerState, bool) {
	e, ok := s.Find(uint16(slot) + 1)
	if !ok {
		return PlayerState{}, false
	}
	return PlayerState{X: e.Fields[0], Y: e.Fields[1], Alive: true}, true
}
func (fakeRules) Step(p PlayerState, in []byte) PlayerState {
	if len(in) == 2 {
		p.X += int32(int8(in[0]))
		p.Y += int32(int8(in[1]))
	}
	return p
}
func (fakeRules) Position(p PlayerState) Vec { return Vec{float64(p.X) / 16, float64(p.Y) / 16} }
func (fakeRules) FillScene(sc *Scene, from, to *snapshot.Snapshot, alpha float64, names *[256]string) {
	for _, e := range to.Entities {
		if e.ID == 0 || e.ID > 256 {
			continue
		}
		pos := Vec{float64(e.Fields[0]) / 16, float64(e.Fields[1]) / 16}
		if a, ok := from.Find(e.ID); ok {
			pos = Vec{float64(a.Fields[0]) / 16, float64(a.Fields[1]) / 16}.Lerp(pos, alpha)
		}
		sc.Players = append(sc.Players, ScenePlayer{Slot: uint8(e.ID - 1), Name: names[e.ID-1], Pos: pos, Alive: true})
	}
}
func (fakeRules) Event(sc *Scene, data []byte, names *[256]string, _ *snapshot.Snapshot) {
	if len(data) < 2 {
		return
	}
	sc.KillFeed = append(sc.KillFeed, KillFeedEntry{Killer: names[data[0]], Victim: names[data[1]]})
}

// fakeTransport hands what the client sends to the test.
type fakeTransport struct {
	out  [][]byte
	done chan struct{}
}

func (f *fakeTransport) Send(p []byte) error {
	f.out = append(f.out, append([]byte(nil), p...))
	return nil
}
func (f *fakeTransport) Payloads() <-chan []byte { return nil }
func (f *fakeTransport) Done() <-chan struct{}   { return f.done }
func (f *fakeTransport) Err() error              { return nil }
func (f *fakeTransport) Close() error            { return nil }
func (f *fakeTransport) take() (out [][]byte)    { out, f.out = f.out, nil; return out }
func newFakeTransport() *fakeTransport           { return &fakeTransport{done: make(chan struct{})} }

// delayed is a datagram in flight on the scripted link.
type delayed struct {
	due  int
	data []byte
}

// fakeServer is a scripted authoritative server for one client: one input per tick (repeat the
// last when missing), a snapshot every other tick delta-encoded against the client's ack,
// chat relayed back.
type fakeServer struct {
	t       *testing.T
	ep      *netcode.Endpoint
	schema  *snapshot.Schema
	tick    uint32
	x, y    int32
	inputs  map[uint16][]byte
	next    uint16
	started bool
	applied bool
	lastSeq uint16
	last    []byte
	ack     uint32
	hist    map[uint32]*snapshot.Snapshot
	real    int
	rep     int
	ticks   int
	// counters is what each snapshot told the client: tick → {inputs applied, repeated}.
	counters map[uint32][2]uint32
}

func (s *fakeServer) receive(now time.Time, p []byte) {
	require.NoError(s.t, s.ep.Receive(now, p))
	for {
		m, ok := s.ep.NextUnreliable()
		if !ok {
			break
		}
		in, _, err := wire.ParseInput(m)
		require.NoError(s.t, err)
		if in.AckTick > s.ack {
			s.ack = in.AckTick
		}
		for i, b := range in.Inputs {
			seq := in.FirstSeq + uint16(i)
			if !s.started {
				s.started, s.next = true, seq
			}
			if netcode.SequenceLessThan(seq, s.next) {
				continue
			}
			s.inputs[seq] = append([]byte(nil), b...)
		}
	}
	for {
		m, ok := s.ep.NextReliable()
		if !ok {
			break
		}
		c, _, err := wire.ParseChat(m)
		require.NoError(s.t, err)
		c.From = 0
		b, err := c.Append(nil)
		require.NoError(s.t, err)
		require.NoError(s.t, s.ep.SendReliable(b))
	}
}

func (s *fakeServer) step() (snap []byte) {
	if s.started {
		s.ticks++
		if in, ok := s.inputs[s.next]; ok {
			delete(s.inputs, s.next)
			s.last, s.applied, s.lastSeq = in, true, s.next
			s.next++
			s.real++
		} else {
			s.rep++
		}
		if len(s.last) == 2 {
			s.x += int32(int8(s.last[0]))
			s.y += int32(int8(s.last[1]))
		}
	}
	s.tick++
	if s.tick%2 != 0 {
		return nil
	}
	cur := &snapshot.Snapshot{Tick: s.tick, Entities: []snapshot.Entity{
		{ID: 1, Fields: [snapshot.MaxFields]int32{s.x, s.y}},
		{ID: 2, Fields: [snapshot.MaxFields]int32{int32(s.tick) * 8, 100}},
	}}
	s.hist[s.tick] = cur
	base := s.hist[s.ack]
	delta, err := s.schema.AppendDelta(nil, base, cur)
	require.NoError(s.t, err)
	m := wire.Snapshot{HasInput: s.applied, LastInputSeq: s.lastSeq, Delta: delta,
		InputsApplied: uint32(s.real), RepeatedInputs: uint32(s.rep)}
	s.counters[s.tick] = [2]uint32{m.InputsApplied, m.RepeatedInputs}
	b, err := m.Append(nil)
	require.NoError(s.t, err)
	return b
}

func TestConnAgainstScriptedServer(t *testing.T) {
	for _, tc := range []struct {
		name string
		loss float64
		lag  int // one-way, ticks
	}{
		{"clean", 0, 3},
		{"10% loss 100ms", 0.1, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(42, 0))
			tr := newFakeTransport()
			c := NewConn(tr, ConnConfig{Rules: newFakeRules})
			rules, _ := newFakeRules(wire.Welcome{})
			srv := &fakeServer{t: t, ep: netcode.NewEndpoint(netcode.EndpointConfig{}), schema: rules.Schema(),
				inputs: map[uint16][]byte{}, hist: map[uint32]*snapshot.Snapshot{}, counters: map[uint32][2]uint32{}}
			w := wire.Welcome{Version: wire.ProtocolVersion, Slot: 0, Players: 2, TickRate: 60, SnapshotRate: 30, Mode: "ffa"}
			wb, err := w.Append(nil)
			require.NoError(t, err)
			require.NoError(t, srv.ep.SendReliable(wb))

			start := time.Unix(5000, 0)
			const dt = time.Second / 60
			var up, down []delayed
			var sc Scene
			var prevShown Vec
			maxJump := 0.0
			const ticks = 60 * 20
			for k := range ticks {
				now := start.Add(time.Duration(k) * dt)
				// deliver
				keep := up[:0]
				for _, d := range up {
					if d.due <= k {
						srv.receive(now, d.data)
					} else {
						keep = append(keep, d)
					}
				}
				up = keep
				keep = down[:0]
				for _, d := range down {
					if d.due <= k {
						c.HandlePayload(now, d.data)
					} else {
						keep = append(keep, d)
					}
				}
				down = keep
				// server tick
				if snap := srv.step(); snap != nil {
					require.NoError(t, srv.ep.SendUnreliable(snap))
				}
				require.NoError(t, srv.ep.Flush(now, func(p []byte) error {
					if rng.Float64() >= tc.loss {
						down = append(down, delayed{k + tc.lag, append([]byte(nil), p...)})
					}
					return nil
				}))
				// client tick: circle around
				ctl := Controls{Move: Vec{math.Cos(float64(k) / 40), math.Sin(float64(k) / 40)}}
				c.Update(now, ctl)
				if k%60 == 30 {
					require.NoError(t, c.SendChat("line "+string(rune('a'+k/60))))
				}
				for _, p := range tr.take() {
					if rng.Float64() >= tc.loss {
						up = append(up, delayed{k + tc.lag, p})
					}
				}
				c.Scene(now, &sc)
				for _, p := range sc.Players {
					if p.Local {
						if k > 120 {
							// the local player moves ≤ 1 px per tick; no jump beyond that
							maxJump = max(maxJump, p.Pos.Sub(prevShown).Len())
						}
						prevShown = p.Pos
					}
				}
			}
			rep := c.Report()
			st := c.Stats(start.Add(ticks * dt))
			t.Logf("server real %d/%d", srv.real, srv.ticks)
			t.Logf("snaps %d inputs %d/%d rel %d/%d age p50 %.0f p99 %.0f rate %.1f kbps %.1f/%.1f delay %v", rep.SnapshotsReceived, rep.InputReal, rep.InputTicks, rep.ReliableDelivered, rep.ReliableSent, rep.StateAges.Quantile(0.5), rep.StateAges.Quantile(0.99), st.SnapshotRate, st.KbpsIn, st.KbpsOut, st.InterpDelay)
			require.True(t, rep.Welcomed)
			assert.InDelta(t, 30*20*(1-tc.loss), float64(rep.SnapshotsReceived), 30*20*0.05+5, "snapshots")
			assert.Zero(t, rep.BaselineMissing+rep.BadMessages)
			assert.Zero(t, rep.PredictionErrors.Quantile(0.99), "the scripted server runs the same rules")
			assert.LessOrEqual(t, maxJump, 1.5, "local player's shown motion, px per frame")
			assert.Greater(t, float64(rep.InputReal)/float64(rep.InputTicks), 0.98, "input delivery")
			// Input delivery is exactly the server's count as of the newest snapshot.
			cnt := srv.counters[c.newest]
			assert.Equal(t, uint64(cnt[0]), rep.InputReal, "inputs applied")
			assert.Equal(t, uint64(cnt[0])+uint64(cnt[1]), rep.InputTicks, "input ticks")
			// Inputs go out with the snapshot rate on a clean link (two ticks per packet),
			// every tick on a lossy one.
			perTick := float64(st.PacketsOut) / ticks
			if tc.loss == 0 {
				assert.InDelta(t, 0.5, perTick, 0.05, "packets per tick")
			} else {
				assert.Greater(t, perTick, 0.8, "packets per tick")
			}
			assert.Greater(t, float64(srv.real)/float64(srv.ticks), 0.98, "server-side input delivery")
			assert.Equal(t, uint64(20), rep.ReliableSent)
			assert.GreaterOrEqual(t, rep.ReliableDelivered, uint64(18))
			assert.True(t, rep.ReliableInOrder)
			assert.InDelta(t, 30, st.SnapshotRate, 30*tc.loss+4)
			assert.Greater(t, st.KbpsIn, 0.0)
			assert.Greater(t, st.KbpsOut, 0.0)
			assert.Greater(t, rep.StateAges.Quantile(0.5), 50.0)
			assert.Less(t, rep.StateAges.Quantile(0.99), 400.0)
			require.Len(t, sc.Players, 2)
		})
	}
}

// TestRunReportsDenial: a server that refuses the connection says why (wire.Denied) before it
// disconnects; Run returns ErrDenied with that reason instead of a bare disconnect.
func TestRunReportsDenial(t *testing.T) {
	tr := newFakeTransport()
	c := NewConn(tr, ConnConfig{Rules: newFakeRules, Logger: slog.New(slog.DiscardHandler)})
	srv := netcode.NewEndpoint(netcode.EndpointConfig{})
	d := wire.Denied{Reason: `unknown_mode: arena: unknown mode: "team"`}
	b, err := d.Append(nil)
	require.NoError(t, err)
	require.NoError(t, srv.SendReliable(b))
	now := time.Unix(1, 0)
	require.NoError(t, srv.Flush(now, func(p []byte) error {
		c.HandlePayload(now, p)
		return nil
	}))
	close(tr.done)
	ticks := make(chan time.Time)
	err = c.Run(t.Context(), ticks, nil)
	require.ErrorIs(t, err, ErrDenied)
	assert.Contains(t, err.Error(), `unknown mode: "team"`)
}

// TestLocalPlayerSmoothAtDisplayRate is the stutter check through a whole Conn: Update runs on
// its own 60 Hz timer (woken up to 1 ms late), frames come at 59.94 Hz or 144 Hz, the player
// moves at a constant 60 px/s against a scripted server. Every frame moves the local player by
// about velocity × frame time: no frame stands still and none moves two ticks.
func TestLocalPlayerSmoothAtDisplayRate(t *testing.T) {
	for _, fps := range []float64{59.94, 144} {
		t.Run(fmt.Sprintf("%gHz", fps), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, 0))
			tr := newFakeTransport()
			c := NewConn(tr, ConnConfig{Rules: newFakeRules})
			rules, _ := newFakeRules(wire.Welcome{})
			srv := &fakeServer{t: t, ep: netcode.NewEndpoint(netcode.EndpointConfig{}), schema: rules.Schema(),
				inputs: map[uint16][]byte{}, hist: map[uint32]*snapshot.Snapshot{}, counters: map[uint32][2]uint32{}}
			w := wire.Welcome{Version: wire.ProtocolVersion, Slot: 0, Players: 2, TickRate: 60, SnapshotRate: 30, Mode: "ffa"}
			wb, err := w.Append(nil)
			require.NoError(t, err)
			require.NoError(t, srv.ep.SendReliable(wb))

			const lag = 3
			const dt = time.Second / 60
			const v = 60.0 // px/s: Move.X 1 is 16/16 px a tick
			start := time.Unix(5000, 0)
			frameAt := func(i int) time.Time {
				return start.Add(-2500*time.Microsecond + time.Duration(float64(i)*float64(time.Second)/fps))
			}
			var up, down []delayed
			var sc Scene
			var prev Vec
			var prevAt time.Time
			var steps []float64 // shown movement / (velocity × frame time)
			fi := 0
			ctl := Controls{Move: Vec{X: 1}}
			for k := range 60 * 6 {
				tickAt := start.Add(time.Duration(k) * dt)
				now := tickAt.Add(time.Duration(rng.Int64N(int64(time.Millisecond)))) // the timer's lateness
				// Frames drawn before this Update.
				for ; frameAt(fi).Before(now); fi++ {
					f := frameAt(fi)
					c.Scene(f, &sc)
					for _, p := range sc.Players {
						if !p.Local {
							continue
						}
						if k > 60 && !prevAt.IsZero() {
							steps = append(steps, p.Pos.Sub(prev).Len()/(v*f.Sub(prevAt).Seconds()))
						}
						prev, prevAt = p.Pos, f
					}
				}
				keep := up[:0]
				for _, d := range up {
					if d.due <= k {
						srv.receive(now, d.data)
					} else {
						keep = append(keep, d)
					}
				}
				up = keep
				keep = down[:0]
				for _, d := range down {
					if d.due <= k {
						c.HandlePayload(now, d.data)
					} else {
						keep = append(keep, d)
					}
				}
				down = keep
				if snap := srv.step(); snap != nil {
					require.NoError(t, srv.ep.SendUnreliable(snap))
				}
				require.NoError(t, srv.ep.Flush(now, func(p []byte) error {
					down = append(down, delayed{k + lag, append([]byte(nil), p...)})
					return nil
				}))
				c.Update(now, ctl)
				for _, p := range tr.take() {
					up = append(up, delayed{k + lag, p})
				}
			}
			require.Greater(t, len(steps), int(fps*4))
			lo, hi, off := math.Inf(1), 0.0, 0
			for _, s := range steps {
				lo, hi = min(lo, s), max(hi, s)
				if math.Abs(s-1) > 0.1 {
					off++
				}
			}
			t.Logf("%d frames: movement / (velocity × frame time) min %.3f max %.3f; %d frames off by > 10 %%",
				len(steps), lo, hi, off)
			rep := c.Report()
			assert.Zero(t, rep.PredictionErrors.Quantile(0.99))
			assert.Greater(t, lo, 0.5, "no frame stands still")
			assert.Less(t, hi, 1.5, "no frame moves two ticks")
			assert.Less(t, float64(off), 0.1*float64(len(steps)), "nearly every frame within 10 %")
		})
	}
}
