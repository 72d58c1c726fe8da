package gameserver_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/gameserver"
	"github.com/skirmish-go/skirmish/gameserver/arena"
	"github.com/skirmish-go/skirmish/gameserver/arena/arenahost"
	"github.com/skirmish-go/skirmish/gameserver/sim"
	"github.com/skirmish-go/skirmish/gameserver/snapshot"
	"github.com/skirmish-go/skirmish/gameserver/wire"
	"github.com/skirmish-go/skirmish/netcode/netsim"
)

// shortArena is Arena's ffa with a time limit of seconds and no score limit.
func shortArena(t testing.TB, seconds int) gameserver.GameFactory {
	return func(mode string, maxPlayers int, seed uint64) (gameserver.Game, error) {
		m, err := arena.LoadMap(mode)
		require.NoError(t, err)
		return arenahost.NewWithConfig(sim.Config{TickRate: 60, MaxPlayers: maxPlayers, ScoreLimit: -1, TimeLimit: seconds}, m, seed)
	}
}

// botInput is a deterministic bot: it strafes, turns, fires in bursts and rails now and then.
func botInput(slot uint8, seq uint16) []byte {
	phase := int(seq)/45 + int(slot)
	in := sim.Input{
		MoveX:   int8([]int{127, 0, -127, 0}[phase%4]),
		MoveY:   int8([]int{0, 127, 0, -127}[(phase+int(slot))%4]),
		Aim:     uint16(seq)*397 + uint16(slot)*4099,
		Fire:    (int(seq)/20+int(slot))%3 == 0,
		AltFire: (int(seq)+int(slot)*7)%97 == 0,
	}
	b, _ := in.AppendBinary(nil)
	return b
}

// TestArenaEndToEnd plays Arena itself: 16 bots over lossy links to a time limit.
func TestArenaEndToEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const players, arenaSeconds = 16, 6
		network := netsim.NewNetwork()
		serverConn, err := network.Listen("127.0.0.1:7001")
		require.NoError(t, err)
		var report gameserver.MatchReport
		reported := make(chan struct{}, 1)
		srv, err := gameserver.New(serverConn, gameserver.Config{Game: shortArena(t, arenaSeconds), Key: gameserver.TestKey,
			Logger: quiet(), Results: gameserver.ResultSinkFunc(func(r gameserver.MatchReport) { report = r; reported <- struct{}{} })})
		require.NoError(t, err)
		served := make(chan error, 1)
		go func() { served <- srv.Serve() }()
		addr := serverConn.LocalAddr().(*net.UDPAddr).AddrPort()
		imp := netsim.Impairment{Loss: 0.10, Latency: 50 * time.Millisecond, Jitter: 20 * time.Millisecond}
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		clients := make([]*gameserver.TestClient, players)
		done := make(chan error, players)
		schema := mustSchema(t)
		for i := range players {
			raw, err := network.Listen("127.0.0.1:0")
			require.NoError(t, err)
			conn := netsim.Wrap(raw, netsim.Config{Send: imp, Recv: imp, Seed: int64(100 + i)})
			tk := wire.Ticket{MatchID: [16]byte{0xa, 0xe}, Slot: uint8(i), Team: uint8(i), Players: players, Mode: "ffa",
				Name: fmt.Sprintf("bot%d", i), PlayerID: uint64(1000 + i)}
			ud, err := tk.Marshal()
			require.NoError(t, err)
			go func() {
				cl, err := gameserver.DialTestClient(ctx, conn, addr, ud)
				if err != nil {
					done <- err
					return
				}
				defer cl.Close()
				clients[i] = gameserver.NewTestClient(cl, schema, func(seq uint16) []byte { return botInput(uint8(i), seq) })
				done <- clients[i].Play(ctx, time.Second/60, time.Second)
			}()
		}
		for range players {
			require.NoError(t, <-done)
		}
		<-reported
		assert.Equal(t, "time_limit", report.Result.Reason)
		require.Len(t, report.Result.Scores, players)
		kills := 0
		for _, s := range report.Result.Scores {
			kills += s.Kills
		}
		t.Logf("arena: %d kills in %d s among 16 bots", kills, arenaSeconds)
		for i, c := range clients {
			require.NotNil(t, c.End(), "client %d", i)
			assert.Equal(t, report.Result, c.End().Result, "client %d scoreboard", i)
			assert.Zero(t, c.DecodeErrors(), "client %d", i)
			expected := float64(arenaSeconds*60-c.FirstTick())/2 + 1
			assert.GreaterOrEqual(t, float64(c.Snapshots())/expected, 0.90, "client %d: %d of %.0f", i, c.Snapshots(), expected)
		}
		require.NoError(t, srv.Close())
		require.ErrorIs(t, <-served, gameserver.ErrServerClosed)
	})
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

func mustSchema(t testing.TB) *snapshot.Schema {
	g, err := arenahost.New("ffa", 2, 1)
	require.NoError(t, err)
	return g.Schema()
}

// BenchmarkMatchTick measures the server's CPU for one tick of an Arena match (inputs, the
// simulation, and at 30 Hz a snapshot delta-encoded and packetised for every client) and the
// bytes per client per snapshot: delta as sent, full binary, and JSON of the same world.
func BenchmarkMatchTick(b *testing.B) {
	for _, players := range []int{16, 64} {
		b.Run(fmt.Sprintf("players=%d", players), func(b *testing.B) {
			mb := gameserver.NewMatchBench(b, shortArena(b, -1), "ffa", players, botInput)
			// Warm up: everyone spawned, projectiles in flight, deltas against acked baselines.
			for range 300 {
				mb.ClientWork()
				mb.ServerTick()
			}
			mb.Snapshots, mb.DeltaBytes, mb.FullBytes, mb.JSONBytes = 0, 0, 0, 0
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				mb.ClientWork()
				b.StartTimer()
				mb.ServerTick()
			}
			if mb.Snapshots > 0 {
				n := float64(mb.Snapshots)
				b.ReportMetric(float64(mb.DeltaBytes)/n, "delta-B/snap")
				b.ReportMetric(float64(mb.FullBytes)/n, "full-B/snap")
				b.ReportMetric(float64(mb.JSONBytes)/n, "json-B/snap")
			}
		})
	}
}
