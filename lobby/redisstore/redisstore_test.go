package redisstore_test

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/client/lobbyclient"
	"github.com/skirmish-go/skirmish/gameserver/lobbylink"
	"github.com/skirmish-go/skirmish/lobby"
	"github.com/skirmish-go/skirmish/lobby/proto"
	"github.com/skirmish-go/skirmish/lobby/redisstore"
	"github.com/skirmish-go/skirmish/lobby/storetest"
)

// startRedis runs a redis-server on a free loopback port for the test and returns its URL.
// It fails (never skips) when redis-server cannot start.
func startRedis(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	require.NoError(t, err, "redis-server must be installed (Debian package redis-server)")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	cmd := exec.Command(path, "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--protected-mode", "yes")
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		ok := false
		for sc.Scan() {
			if !ok && strings.Contains(sc.Text(), "Ready to accept connections") {
				ok = true
				ready <- true
			}
		}
		if !ok {
			ready <- false
		}
	}()
	select {
	case ok := <-ready:
		require.True(t, ok, "redis-server exited before it was ready")
	case <-time.After(10 * time.Second):
		t.Fatal("redis-server did not start in 10 s")
	}
	return fmt.Sprintf("redis://127.0.0.1:%d/0", port)
}

var prefixN atomic.Int64

func open(t *testing.T, url, prefix string) *redisstore.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := redisstore.Open(ctx, url, prefix)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	url := startRedis(t)
	storetest.Run(t, func(t *testing.T) lobby.Store {
		return open(t, url, fmt.Sprintf("t%d:", prefixN.Add(1)))
	})
}

var key = [32]byte{9, 8, 7}

func seal(clientID uint64, addr netip.AddrPort, ud [256]byte) ([]byte, error) {
	return append([]byte("TOKEN"), ud[:]...), nil
}

func startLobby(t *testing.T, store lobby.Store) (*lobby.Server, string) {
	t.Helper()
	srv := lobby.New(lobby.Config{Key: key, SealToken: seal, Store: store, Logger: slog.New(slog.DiscardHandler),
		MatchInterval: 20 * time.Millisecond, HeartbeatTimeout: 2 * time.Second, SweepInterval: 50 * time.Millisecond})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		srv.Close()
		require.ErrorIs(t, <-done, lobby.ErrServerClosed)
	})
	return srv, l.Addr().String()
}

func player(t *testing.T, addr, name string) *lobbyclient.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := lobbyclient.Dial(ctx, addr, nil)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	_, err = c.Hello(ctx, name)
	require.NoError(t, err)
	return c
}

func event(t *testing.T, c *lobbyclient.Client, typ string) proto.Message {
	t.Helper()
	timer := time.NewTimer(5 * time.Second)
	defer timer.Stop()
	for {
		select {
		case m, ok := <-c.Events():
			require.True(t, ok, "events closed: %v", c.Err())
			if m.Type == typ {
				return m
			}
		case <-timer.C:
			t.Fatalf("no %s event", typ)
		}
	}
}

// Two lobby instances on one Redis act as one lobby.
func TestTwoInstances(t *testing.T) {
	url := startRedis(t)
	ctx := context.Background()
	_, addr1 := startLobby(t, open(t, url, "x:"))
	srv2, addr2 := startLobby(t, open(t, url, "x:"))

	// The game server registers with instance 1 only.
	reg := make(chan struct{}, 4)
	link := lobbylink.New(lobbylink.Config{Lobbies: []string{addr1}, Key: key, Name: "gs", Region: "eu",
		Addr: "127.0.0.1:7001", Capacity: 8, HeartbeatInterval: 100 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler), OnRegistered: func(string) { reg <- struct{}{} }})
	linkDone := make(chan error, 1)
	go func() { linkDone <- link.Run(ctx) }()
	t.Cleanup(func() { link.Close(); <-linkDone })
	select {
	case <-reg:
	case <-time.After(5 * time.Second):
		t.Fatal("not registered")
	}

	// Nicknames are unique across instances.
	a, adaID := login(t, addr1, "ada")
	c2, err := lobbyclient.Dial(ctx, addr2, nil)
	require.NoError(t, err)
	defer c2.Close()
	_, err = c2.Hello(ctx, "ada")
	require.ErrorIs(t, err, &proto.Error{Code: proto.CodeNameTaken})

	// Players on different instances are matched together.
	b, bobID := login(t, addr2, "bob")
	require.NoError(t, a.QuickMatch(ctx, "duel", "eu"))
	require.NoError(t, b.QuickMatch(ctx, "duel", "eu"))
	ma, mb := event(t, a, proto.TypeMatchFound), event(t, b, proto.TypeMatchFound)
	assert.Equal(t, ma.MatchID, mb.MatchID)

	// A room made on one instance is joined from the other; chat crosses.
	host := player(t, addr1, "host")
	guest := player(t, addr2, "guest")
	room, err := host.CreateRoom(ctx, lobbyclient.RoomOptions{Mode: "ffa", Private: true})
	require.NoError(t, err)
	_, err = guest.JoinRoomByCode(ctx, room.JoinCode)
	require.NoError(t, err)
	require.NoError(t, guest.Chat(ctx, "hi from 2"))
	assert.Equal(t, "hi from 2", event(t, host, proto.TypeChat).Text)
	require.NoError(t, host.Chat(ctx, "hi from 1"))
	assert.Equal(t, "hi from 2", event(t, guest, proto.TypeChat).Text, "the sender gets its own line too")
	assert.Equal(t, "hi from 1", event(t, guest, proto.TypeChat).Text)

	// The result goes to instance 1; history survives a restart of instance 2.
	link.ReportResult(proto.MatchResult{MatchID: ma.MatchID, Players: []proto.PlayerResult{
		{PlayerID: adaID, Rank: 1}, {PlayerID: bobID, Rank: 2}}})
	assert.Equal(t, proto.ReasonFinished, event(t, b, proto.TypeMatchEnded).Reason)
	b.Close()
	require.NoError(t, srv2.Close())
	_, addr3 := startLobby(t, open(t, url, "x:"))
	b2 := player(t, addr3, "bob")
	hist, rating, err := b2.History(ctx)
	require.NoError(t, err)
	require.Len(t, hist, 1)
	assert.Equal(t, ma.MatchID, hist[0].MatchID)
	assert.NotEqual(t, 1500.0, rating.Rating)
}
