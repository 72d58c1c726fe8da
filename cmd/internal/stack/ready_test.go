package stack

import (
	"context"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/client/lobbyclient"
	"github.com/skirmish-go/skirmish/lobby/proto"
	"github.com/skirmish-go/skirmish/netcode/secure"
)

// Ready comes once the game server has registered with the lobby, so a player who queues
// the moment Ready says so finds the game's modes offered (the lobby offers only what
// registered servers declare).
func TestReadyAfterRegistration(t *testing.T) {
	key, err := secure.GenerateKey()
	require.NoError(t, err)
	quiet := slog.New(slog.DiscardHandler)
	lob, err := StartLobby(LobbyOptions{Addr: "127.0.0.1:0", Key: key, Logger: quiet})
	require.NoError(t, err)
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		lob.Shutdown(ctx)
	}()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	modes := make(chan []proto.ModeInfo, 1)
	done := make(chan error, 1)
	go func() {
		done <- RunGameServer(ctx, GameServerOptions{Addr: "127.0.0.1:0", Key: key, Lobbies: []string{lob.Addr.String()},
			DrainTimeout: time.Second, Logger: quiet, Ready: func(net.Addr, net.Addr) {
				rctx, rcancel := context.WithTimeout(ctx, 5*time.Second)
				defer rcancel()
				c, err := lobbyclient.Dial(rctx, lob.Addr.String(), nil)
				if err != nil {
					modes <- nil
					return
				}
				defer c.Close()
				var ms []proto.ModeInfo
				if _, err = c.Hello(rctx, "early"); err == nil {
					ms, _ = c.Modes(rctx)
				}
				modes <- ms
			}})
	}()
	select {
	case ms := <-modes:
		require.NotEmpty(t, ms, "the lobby offered no mode when Ready came")
		assert.Equal(t, "arena", ms[0].Game)
	case err := <-done:
		t.Fatalf("game server stopped: %v", err)
	case <-time.After(15 * time.Second):
		t.Fatal("no Ready")
	}
	cancel()
	require.NoError(t, <-done)
}

// With no lobby to register with, Ready still comes, after ReadyTimeout.
func TestReadyWithoutLobby(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := ln.Addr().String()
	ln.Close() // nothing listens there now
	key, err := secure.GenerateKey()
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan time.Duration, 1)
	start := time.Now()
	done := make(chan error, 1)
	go func() {
		done <- RunGameServer(ctx, GameServerOptions{Addr: "127.0.0.1:0", Key: key, Lobbies: []string{dead},
			ReadyTimeout: 300 * time.Millisecond, DrainTimeout: time.Second, Logger: slog.New(slog.DiscardHandler),
			Ready: func(net.Addr, net.Addr) { ready <- time.Since(start) }})
	}()
	select {
	case d := <-ready:
		assert.GreaterOrEqual(t, d, 300*time.Millisecond)
	case <-time.After(10 * time.Second):
		t.Fatal("no Ready")
	}
	cancel()
	require.NoError(t, <-done)
}
