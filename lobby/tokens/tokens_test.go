package tokens_test

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/client/lobbyclient"
	"github.com/skirmish-go/skirmish/gameserver/lobbylink"
	"github.com/skirmish-go/skirmish/gameserver/wire"
	"github.com/skirmish-go/skirmish/lobby"
	"github.com/skirmish-go/skirmish/lobby/proto"
	"github.com/skirmish-go/skirmish/lobby/tokens"
	"github.com/skirmish-go/skirmish/netcode/secure"
)

// The whole path: a lobby seals real connect tokens, a netcode.io server registered through
// lobbylink accepts the players, and reads the Ticket from the user data.
func TestEndToEnd(t *testing.T) {
	key, err := secure.GenerateKey()
	require.NoError(t, err)
	quiet := slog.New(slog.DiscardHandler)

	// Game server: secure.Server on loopback UDP.
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	gameAddr := pc.LocalAddr().(*net.UDPAddr).AddrPort()
	connected := make(chan wire.Ticket, 4)
	gs, err := secure.NewServer(pc, secure.ServerConfig{ProtocolID: tokens.ProtocolID, PrivateKey: key, Logger: quiet,
		OnConnect: func(c secure.ClientInfo) {
			tk, err := wire.ParseTicket(c.UserData[:])
			if err == nil {
				connected <- tk
			}
		}})
	require.NoError(t, err)
	gsDone := make(chan error, 1)
	go func() { gsDone <- gs.Serve() }()
	defer func() { gs.Close(); <-gsDone }()

	srv := lobby.New(lobby.Config{Key: key, SealToken: tokens.Sealer(key, tokens.ProtocolID, 10*time.Second, 5),
		Logger: quiet, MatchInterval: 20 * time.Millisecond})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	serveDone := make(chan error, 1)
	go func() { serveDone <- srv.Serve(l) }()
	defer func() { srv.Close(); <-serveDone }()

	registered := make(chan struct{}, 1)
	link := lobbylink.New(lobbylink.Config{Lobbies: []string{l.Addr().String()}, Key: key, Name: "gs", Region: "eu",
		Game: "testgame", Modes: []proto.ModeInfo{{Name: "duel", MinPlayers: 2, MaxPlayers: 2, Teams: 2}},
		Addr: gameAddr.String(), Capacity: 8, Logger: quiet, OnRegistered: func(string) { registered <- struct{}{} }})
	linkDone := make(chan error, 1)
	go func() { linkDone <- link.Run(context.Background()) }()
	defer func() { link.Close(); <-linkDone }()
	select {
	case <-registered:
	case <-time.After(5 * time.Second):
		t.Fatal("not registered")
	}
	require.Eventually(t, func() bool {
		p, _ := srv.Store().Presence(context.Background())
		return p.Servers == 1
	}, 5*time.Second, 5*time.Millisecond)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var clients []*lobbyclient.Client
	for _, name := range []string{"ada", "bob"} {
		c, err := lobbyclient.Dial(ctx, l.Addr().String(), nil)
		require.NoError(t, err)
		defer c.Close()
		_, err = c.Hello(ctx, name)
		require.NoError(t, err)
		require.NoError(t, c.QuickMatch(ctx, "duel", "eu"))
		clients = append(clients, c)
	}
	var found []lobbyclient.MatchFound
	for _, c := range clients {
		found = append(found, waitMatch(t, c))
	}
	for _, mf := range found {
		require.Len(t, mf.Token, secure.ConnectTokenBytes)
		conn, err := net.ListenPacket("udp", "127.0.0.1:0")
		require.NoError(t, err)
		cl, err := secure.Dial(ctx, conn, mf.Token, secure.ClientConfig{Logger: quiet})
		require.NoError(t, err)
		select {
		case tk := <-connected:
			assert.Equal(t, mf.MatchID, tk.MatchIDString())
			assert.Equal(t, uint8(2), tk.Players)
			assert.Equal(t, "duel", tk.Mode)
		case <-ctx.Done():
			t.Fatal("game server saw no connection")
		}
		cl.Close()
		conn.Close()
	}
}

func waitMatch(t *testing.T, c *lobbyclient.Client) lobbyclient.MatchFound {
	t.Helper()
	timer := time.NewTimer(5 * time.Second)
	defer timer.Stop()
	for {
		select {
		case m, ok := <-c.Events():
			require.True(t, ok)
			if m.Type == proto.TypeMatchFound {
				return lobbyclient.MatchFoundOf(m)
			}
		case <-timer.C:
			t.Fatal("no match_found")
		}
	}
}

// BenchmarkSealer is the cost of one match_found token (the matchmaker seals one per player).
func BenchmarkSealer(b *testing.B) {
	key, err := secure.GenerateKey()
	require.NoError(b, err)
	seal := tokens.Sealer(key, tokens.ProtocolID, 0, 0)
	addr := netip.MustParseAddrPort("127.0.0.1:7001")
	ud, err := wire.Ticket{Players: 2, Mode: "duel", Name: "ada", PlayerID: 1}.Marshal()
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := seal(1, addr, ud); err != nil {
			b.Fatal(err)
		}
	}
}
