package gameserver

import (
	"context"
	"encoding/binary"
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

// dialTestClient makes a connect token carrying userData and connects through conn.
func dialTestClient(ctx context.Context, conn net.PacketConn, server netip.AddrPort, userData [wire.UserDataBytes]byte) (*secure.Client, error) {
	return dialTestClientID(ctx, conn, server, userData, binary.LittleEndian.Uint64(userData[70:78]))
}

func dialTestClientID(ctx context.Context, conn net.PacketConn, server netip.AddrPort, userData [wire.UserDataBytes]byte, clientID uint64) (*secure.Client, error) {
	token, err := secure.GenerateConnectToken(testKey, secure.TokenParams{
		ProtocolID: DefaultProtocolID, ClientID: clientID,
		ServerAddrs: []netip.AddrPort{server}, UserData: userData, TimeoutSeconds: 5,
	})
	if err != nil {
		return nil, err
	}
	return secure.Dial(ctx, conn, token, secure.ClientConfig{})
}

// TestEndToEnd16PlayersOverLossyLinks is the game server's end-to-end check: 16 headless clients,
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
		links := make([]*netsim.Conn, players)
		done := make(chan error, players)
		for i := range players {
			raw, err := network.Listen("127.0.0.1:0")
			require.NoError(t, err)
			links[i] = netsim.Wrap(raw, netsim.Config{Send: imp, Recv: imp, Seed: int64(i + 1)})
			ud, err := ticket(42, uint8(i), players, fmt.Sprintf("ticks:%d", matchTick)).Marshal()
			require.NoError(t, err)
			go func() { // dial in parallel: the match starts with the first player
				cl, err := dialTestClient(ctx, links[i], serverAddr, ud)
				if err != nil {
					done <- err
					return
				}
				defer cl.Close()
				clients[i] = newHeadless(cl, testSchema)
				done <- clients[i].play(ctx, time.Second/tickRate, time.Second)
			}()
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
		require.NoError(t, srv.Close())
		require.ErrorIs(t, <-served, ErrServerClosed)
	})
}

// TestReconnectReplacesSeatOverSecure: a player whose old connection is still up reconnects
// with a fresh token (a new netcode.io client ID) for the same match and slot; the server drops
// the old connection and seats the new one.
func TestReconnectReplacesSeatOverSecure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		network := netsim.NewNetwork()
		serverConn, err := network.Listen("127.0.0.1:7001")
		require.NoError(t, err)
		games := &gameRecorder{}
		srv, err := New(serverConn, Config{Game: games.factory, Key: testKey, Logger: quietLogger()})
		require.NoError(t, err)
		served := make(chan error, 1)
		go func() { served <- srv.Serve() }()
		addr := serverConn.LocalAddr().(*net.UDPAddr).AddrPort()
		ud, err := ticket(50, 1, 2, "endless").Marshal()
		require.NoError(t, err)
		dial := func(id uint64) (*secure.Client, *headless) {
			conn, err := network.Listen("127.0.0.1:0")
			require.NoError(t, err)
			cl, err := dialTestClientID(t.Context(), conn, addr, ud, id)
			require.NoError(t, err)
			h := newHeadless(cl, testSchema)
			for h.welcome == nil {
				require.NoError(t, h.receive(time.Now(), <-cl.Payloads()))
			}
			return cl, h
		}
		old, _ := dial(1)
		defer old.Close()
		cl, h := dial(2)
		defer cl.Close()
		<-old.Done()
		assert.Equal(t, uint8(1), h.welcome.Slot)
		assert.Equal(t, 1, srv.Status().Players)
		g := games.game(0)
		g.mu.Lock()
		assert.Equal(t, []uint8{1}, g.joins)
		assert.Empty(t, g.leaves)
		g.mu.Unlock()
		require.NoError(t, srv.Close())
		require.ErrorIs(t, <-served, ErrServerClosed)
	})
}
