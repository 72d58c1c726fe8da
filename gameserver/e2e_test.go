package gameserver

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/gameserver/wire"
	"github.com/skirmish-go/skirmish/netcode/netsim"
	"github.com/skirmish-go/skirmish/netcode/secure"
)

// dialTestClient makes a connect token for tk and connects through conn.
func dialTestClient(t *testing.T, ctx context.Context, conn net.PacketConn, server netip.AddrPort, tk wire.Ticket) *secure.Client {
	t.Helper()
	ud, err := tk.Marshal()
	require.NoError(t, err)
	token, err := secure.GenerateConnectToken(testKey, secure.TokenParams{
		ProtocolID: DefaultProtocolID, ClientID: tk.PlayerID, ServerAddrs: []netip.AddrPort{server},
		UserData: ud, TimeoutSeconds: 5,
	})
	require.NoError(t, err)
	cl, err := secure.Dial(ctx, conn, token, secure.ClientConfig{})
	require.NoError(t, err)
	return cl
}

// TestEndToEnd16PlayersOverLossyLinks is the acceptance test of issue 4: 16 headless clients,
// each behind a link with 10 % loss and 50 ms ± 20 ms of one-way delay in both directions,
// play a match to its end on a real secure.Server over netsim's in-memory network, in virtual
// time. Every client must receive snapshots at ≥ 90 % of the configured rate and see the same
// final scoreboard as the one reported to the lobby.
func TestEndToEnd16PlayersOverLossyLinks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const (
			players   = 16
			tickRate  = 60
			snapRate  = 30
			matchTick = 480 // 8 s
		)
		network := netsim.NewNetwork()
		serverConn, err := network.Listen("127.0.0.1:7001")
		require.NoError(t, err)
		results := &resultRecorder{got: make(chan struct{}, 4)}
		srv, err := New(serverConn, Config{Game: newTestGame, Key: testKey, Logger: quietLogger(),
			Results: results, Tick: tickRate, SnapshotRate: snapRate})
		require.NoError(t, err)
		served := make(chan error, 1)
		go func() { served <- srv.Serve() }()
		serverAddr := serverConn.LocalAddr().(*net.UDPAddr).AddrPort()

		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		defer cancel()
		imp := netsim.Impairment{Loss: 0.10, Latency: 50 * time.Millisecond, Jitter: 20 * time.Millisecond}
		clients := make([]*headless, players)
		conns := make([]*secure.Client, players)
		links := make([]*netsim.Conn, players)
		done := make(chan error, players)
		for i := range players {
			raw, err := network.Listen("127.0.0.1:0")
			require.NoError(t, err)
			links[i] = netsim.Wrap(raw, netsim.Config{Send: imp, Recv: imp, Seed: int64(i + 1)})
			conns[i] = dialTestClient(t, ctx, links[i], serverAddr, ticket(42, uint8(i), players, fmt.Sprintf("ticks:%d", matchTick)))
			clients[i] = newHeadless(conns[i], testSchema)
			go func() { done <- clients[i].play(ctx, time.Second/tickRate, time.Second) }()
		}
		for range players {
			require.NoError(t, <-done)
		}
		<-results.got
		reps := results.all()
		require.Len(t, reps, 1)
		rep := reps[0]
		assert.Equal(t, "time_limit", rep.Result.Reason)
		require.Len(t, rep.Result.Scores, players)

		minRatio := 1.0
		for i, c := range clients {
			require.NotNil(t, c.end, "client %d saw no MatchEnd", i)
			assert.Equal(t, rep.Result, c.end.Result, "client %d scoreboard", i)
			assert.Zero(t, c.decodeErrs, "client %d", i)
			// Snapshot ticks are every tickRate/snapRate ticks; count those the client could
			// have received from its first to the match's last.
			expected := float64(matchTick-c.firstTick)*snapRate/tickRate + 1
			ratio := float64(c.snapshots) / expected
			minRatio = min(minRatio, ratio)
			assert.GreaterOrEqual(t, ratio, 0.90, "client %d: %d snapshots of %.0f", i, c.snapshots, expected)
		}
		t.Logf("16 clients, 10%% loss, 50±20 ms: worst snapshot delivery %.1f%% of %d Hz", 100*minRatio, snapRate)
		for _, c := range conns {
			c.Close()
		}
		require.NoError(t, srv.Close())
		require.ErrorIs(t, <-served, ErrServerClosed)
	})
}
