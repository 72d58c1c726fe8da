package lobbyclient_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/client/lobbyclient"
	"github.com/skirmish-go/skirmish/lobby"
	"github.com/skirmish-go/skirmish/lobby/lobbytest"
	"github.com/skirmish-go/skirmish/lobby/proto"
)

func startLobby(t *testing.T, cfg lobby.Config) string {
	t.Helper()
	cfg.Logger = slog.New(slog.DiscardHandler)
	srv := lobby.New(cfg)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() { srv.Close(); <-done })
	return l.Addr().String()
}

func TestRequestsAndErrors(t *testing.T) {
	key := [32]byte{7}
	addr := startLobby(t, lobby.Config{Key: key})
	ctx := context.Background()
	c, err := lobbyclient.Dial(ctx, addr, nil)
	require.NoError(t, err)
	w, err := c.Hello(ctx, "ada")
	require.NoError(t, err)
	assert.Equal(t, "ada", w.Name)
	assert.InDelta(t, 1500, w.Rating.Rating, 0.01)
	rtt, err := c.Ping(ctx)
	require.NoError(t, err)
	assert.Positive(t, rtt)
	p, err := c.Presence(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, p.Online)

	err = c.CancelQueue(ctx)
	var pe *proto.Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, proto.CodeNotQueued, pe.Code)
	require.ErrorIs(t, err, &proto.Error{Code: proto.CodeNotQueued})
	// No game server is registered: the lobby offers no mode.
	modes, err := c.Modes(ctx)
	require.NoError(t, err)
	assert.Empty(t, modes)
	require.ErrorIs(t, c.QuickMatch(ctx, "duel", ""), &proto.Error{Code: proto.CodeNoMode})
	duel := proto.ModeInfo{Name: "duel", Title: "Duel", MinPlayers: 2, MaxPlayers: 2, Teams: 2, FillMS: 1000}
	lobbytest.RegisterServer(t, addr, key, lobbytest.Server{Game: "testgame", Modes: []proto.ModeInfo{duel}})
	modes, err = c.Modes(ctx)
	require.NoError(t, err)
	duel.Game = "testgame"
	assert.Equal(t, []proto.ModeInfo{duel}, modes)
	require.NoError(t, c.QuickMatch(ctx, "duel", ""))
	require.NoError(t, c.CancelQueue(ctx))

	// Concurrent requests each get their own reply.
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.Ping(ctx)
			assert.NoError(t, err)
		}()
	}
	wg.Wait()

	require.NoError(t, c.Close())
	require.NoError(t, c.Close())
	_, err = c.Ping(ctx)
	require.ErrorIs(t, err, lobbyclient.ErrClosed)
	_, ok := <-c.Events()
	assert.False(t, ok, "events closed")
}

// A lobby that never answers: the request times out by itself, or with its ctx.
func TestRequestTimeout(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		nc, err := l.Accept()
		if err == nil {
			accepted <- nc
		}
	}()
	c, err := lobbyclient.DialConfig(context.Background(), l.Addr().String(), lobbyclient.Config{RequestTimeout: 50 * time.Millisecond})
	require.NoError(t, err)
	defer c.Close()
	nc := <-accepted
	defer nc.Close()
	_, err = c.Ping(context.Background())
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = c.Ping(ctx)
	require.ErrorIs(t, err, context.Canceled)

	// The peer closing ends pending requests and Done.
	go func() { nc.Close() }()
	_, err = c.Request(context.Background(), &proto.Message{Type: proto.TypePing})
	require.Error(t, err)
	<-c.Done()
	require.Error(t, c.Err())
	require.False(t, errors.Is(c.Err(), lobbyclient.ErrClosed))
}

// Bots: many clients in one process.
func TestManyClients(t *testing.T) {
	const n = 1000
	addr := startLobby(t, lobby.Config{MaxConnsPerIP: -1, MsgRate: 1000})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	clients := make([]*lobbyclient.Client, n)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := lobbyclient.Dial(ctx, addr, nil)
			if !assert.NoError(t, err) {
				return
			}
			clients[i] = c
			_, err = c.Hello(ctx, fmt.Sprintf("bot%d", i))
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	p, err := clients[0].Presence(ctx)
	require.NoError(t, err)
	assert.Equal(t, n, p.Online)
	for _, c := range clients {
		if c != nil {
			c.Close()
		}
	}
}

// TestKeepAliveOutlivesIdleTimeout: a player who only plays (sends nothing to the lobby) stays
// connected across several of the lobby's idle timeouts, while a client without keepalive is
// dropped.
func TestKeepAliveOutlivesIdleTimeout(t *testing.T) {
	const idle = 300 * time.Millisecond
	addr := startLobby(t, lobby.Config{IdleTimeout: idle})
	ctx := context.Background()

	alive, err := lobbyclient.DialConfig(ctx, addr, lobbyclient.Config{KeepAlive: idle / 3})
	require.NoError(t, err)
	defer alive.Close()
	_, err = alive.Hello(ctx, "keeps")
	require.NoError(t, err)

	silent, err := lobbyclient.DialConfig(ctx, addr, lobbyclient.Config{KeepAlive: -1})
	require.NoError(t, err)
	defer silent.Close()
	_, err = silent.Hello(ctx, "silent")
	require.NoError(t, err)

	select {
	case <-silent.Done():
	case <-time.After(20 * idle):
		t.Fatal("the lobby did not drop the silent client after its idle timeout")
	}
	select {
	case <-alive.Done():
		t.Fatalf("keepalive client dropped: %v", alive.Err())
	case <-time.After(4 * idle):
	}
	_, err = alive.Ping(ctx)
	require.NoError(t, err)
}
