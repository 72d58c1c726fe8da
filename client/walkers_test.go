package client

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/netip"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/gameserver"
	"github.com/skirmish-go/skirmish/gameserver/snapshot"
	"github.com/skirmish-go/skirmish/gameserver/walkers"
	"github.com/skirmish-go/skirmish/gameserver/walkers/walkershost"
	"github.com/skirmish-go/skirmish/gameserver/wire"
	"github.com/skirmish-go/skirmish/netcode/netsim"
	"github.com/skirmish-go/skirmish/netcode/secure"
)

// truthGame is walkers as hosted, recording every walker's true state at every tick so a test
// can hold clients' snapshots against it (the match goroutine writes, the test reads, under mu).
type truthGame struct {
	*walkershost.Game
	mu    sync.Mutex
	truth map[uint32]map[uint8]walkers.Walker
}

func (g *truthGame) Step(in []gameserver.PlayerInput) []gameserver.Event {
	ev := g.Game.Step(in)
	w := g.World()
	m := make(map[uint8]walkers.Walker, len(w.Walkers()))
	for _, p := range w.Walkers() {
		m[p.Slot] = p
	}
	g.mu.Lock()
	g.truth[w.Tick()] = m
	g.mu.Unlock()
	return ev
}

func (g *truthGame) at(tick uint32) (map[uint8]walkers.Walker, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	m, ok := g.truth[tick]
	return m, ok
}

// TestWalkersClientsMatchServerUnderLoss plays walkers with 12 watch-only clients, each on a
// link losing 10 % of packets both ways (with latency and jitter), for 20 s of virtual time:
// every snapshot a client decodes puts every walker within the quantisation of its true
// state at that tick (position within walkers.Tolerance, heading within half a step, health
// and score exact), clients keep receiving about 30 snapshots a second, and each sends only
// acknowledgements, about 10 a second.
func TestWalkersClientsMatchServerUnderLoss(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const players = 12
		key := secure.Key{9, 8, 7}
		network := netsim.NewNetwork()
		serverConn, err := network.Listen("127.0.0.1:7001")
		require.NoError(t, err)
		var game *truthGame
		def := walkershost.Def(60)
		def.New = func(mode string, maxPlayers int, seed uint64) (gameserver.Game, error) {
			g, err := walkershost.New(mode, maxPlayers, seed)
			if err != nil {
				return nil, err
			}
			game = &truthGame{Game: g.(*walkershost.Game), truth: map[uint32]map[uint8]walkers.Walker{}}
			return game, nil
		}
		quiet := slog.New(slog.DiscardHandler)
		srv, err := gameserver.New(serverConn, gameserver.Config{Def: def, Key: key, Logger: quiet})
		require.NoError(t, err)
		served := make(chan error, 1)
		go func() { served <- srv.Serve() }()
		addr := serverConn.LocalAddr().(*net.UDPAddr).AddrPort()

		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		defer cancel()
		imp := netsim.Impairment{Loss: 0.10, Latency: 30 * time.Millisecond, Jitter: 10 * time.Millisecond}
		conns := make([]*Conn, players)
		done := make(chan error, players)
		for i := range players {
			tk := wire.Ticket{MatchID: [16]byte{0x3a}, Slot: uint8(i), Players: players, Mode: walkers.ModeName,
				Name: fmt.Sprintf("w%d", i), PlayerID: uint64(100 + i)}
			ud, err := tk.Marshal()
			require.NoError(t, err)
			token, err := secure.GenerateConnectToken(key, secure.TokenParams{ProtocolID: gameserver.DefaultProtocolID,
				ClientID: uint64(100 + i), ServerAddrs: []netip.AddrPort{addr}, UserData: ud})
			require.NoError(t, err)
			c, err := DialGame(ctx, token, DialConfig{ListenPacket: network.Listen,
				Impair: &netsim.Config{Send: imp, Recv: imp, Seed: int64(40 + i)}, Conn: ConnConfig{Logger: quiet}})
			require.NoError(t, err)
			conns[i] = c
			go func() { done <- c.Run(ctx, nil, nil) }()
		}

		// Every 20 ms, hold each client's newest snapshot against the truth of its tick.
		checked := make([]map[uint32]bool, players)
		for i := range checked {
			checked[i] = map[uint32]bool{}
		}
		var worst float64
		tick := time.NewTicker(20 * time.Millisecond)
	loop:
		for {
			select {
			case <-ctx.Done():
				break loop
			case <-tick.C:
			}
			for i, c := range conns {
				c.mu.Lock()
				if !c.hasSnap || checked[i][c.newest] {
					c.mu.Unlock()
					continue
				}
				snap, ok := c.interp.Find(c.newest)
				require.True(t, ok)
				ents := append(snap.Entities[:0:0], snap.Entities...)
				at := c.newest
				c.mu.Unlock()
				truth, ok := game.at(at)
				require.True(t, ok, "tick %d", at)
				require.Len(t, ents, len(truth), "client %d tick %d: walkers", i, at)
				for _, e := range ents {
					s := walkers.StateOf(&e)
					w, ok := truth[s.Slot]
					require.True(t, ok, "client %d tick %d: walker %d", i, at, s.Slot)
					x, y := s.Leg.At(at)
					dx, dy := math.Abs(float64(x)/walkers.FineScale-w.X), math.Abs(float64(y)/walkers.FineScale-w.Y)
					require.LessOrEqual(t, max(dx, dy), walkers.Tolerance, "client %d tick %d walker %d", i, at, s.Slot)
					worst = max(worst, dx, dy)
					dh := math.Remainder(walkers.HeadingRadians(s.Leg.Heading)-w.Heading, 2*math.Pi)
					require.LessOrEqual(t, math.Abs(dh), math.Pi/walkers.HeadingSteps+1e-9)
					require.Equal(t, w.HP, s.HP)
					require.Equal(t, w.Score, s.Score)
				}
				checked[i][at] = true
			}
		}
		tick.Stop()
		for range players {
			require.ErrorIs(t, <-done, context.DeadlineExceeded)
		}
		end := time.Now()
		for i, c := range conns {
			rep := c.Report()
			st := c.Stats(end)
			secs := rep.LastSnapshot.Sub(rep.FirstSnapshot).Seconds()
			rate := float64(rep.SnapshotsReceived) / secs
			t.Logf("client %d: %d snapshots checked, %.1f/s received, %d packets out (%.1f/s), baseline missing %d",
				i, len(checked[i]), rate, st.PacketsOut, float64(st.PacketsOut)/secs, rep.BaselineMissing)
			assert.Greater(t, len(checked[i]), 300, "client %d: snapshots checked", i)
			assert.Greater(t, rate, 25.0, "client %d: 30 Hz less 10 %% loss", i)
			assert.Zero(t, rep.BadMessages, "client %d", i)
			assert.InDelta(t, 10, float64(st.PacketsOut)/secs, 2, "client %d: acks at 10 Hz", i)
			assert.Zero(t, rep.InputTicks, "client %d sent no input", i)
		}
		t.Logf("worst position error %.3f px (tolerance %.2f)", worst, walkers.Tolerance)
		require.NoError(t, srv.Close())
		require.ErrorIs(t, <-served, gameserver.ErrServerClosed)
	})
}

func TestGameRulesPicksWalkers(t *testing.T) {
	r, err := GameRules(wire.Welcome{Mode: walkers.ModeName, TickRate: 60, SnapshotRate: 30, Players: 4})
	require.NoError(t, err)
	wo, ok := r.(WatchOnly)
	require.True(t, ok)
	require.True(t, wo.WatchOnly())
	r, err = GameRules(wire.Welcome{Mode: "ffa", TickRate: 60, SnapshotRate: 30, Players: 4})
	require.NoError(t, err)
	_, ok = r.(WatchOnly)
	require.False(t, ok)
	_, err = NewWalkersRules(wire.Welcome{Mode: "ffa"})
	require.Error(t, err)
}

func TestWalkersFillScene(t *testing.T) {
	r, err := NewWalkersRules(wire.Welcome{Mode: walkers.ModeName})
	require.NoError(t, err)
	w := walkers.NewWorld()
	require.NoError(t, w.Join(3))
	require.NoError(t, w.Join(1))
	for range 10 {
		w.Step()
	}
	from := snapshotOf(w)
	for range 2 {
		w.Step()
	}
	to := snapshotOf(w)
	var sc Scene
	var names [256]string
	names[1], names[3] = "one", "three"
	r.FillScene(&sc, from, to, 0.5, &names)
	require.Len(t, sc.Players, 2)
	require.Equal(t, Vec{walkers.Width, walkers.Height}, sc.World)
	for _, p := range sc.Players {
		wk, ok := w.Find(p.Slot)
		require.True(t, ok)
		// Halfway between ticks 10 and 12 is tick 11: one move back from the truth at 12.
		require.InDelta(t, wk.X, p.Pos.X, walkers.Speed+walkers.Tolerance)
		require.InDelta(t, wk.Y, p.Pos.Y, walkers.Speed+walkers.Tolerance)
		require.Equal(t, names[p.Slot], p.Name)
		require.Equal(t, wk.HP, p.Health)
	}
}

func snapshotOf(w *walkers.World) *snapshot.Snapshot {
	return &snapshot.Snapshot{Tick: w.Tick(), Entities: w.AppendEntities(nil)}
}
