package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/client/lobbyclient"
)

// TestRunServesTheWholeStack starts the all-in-one server on free ports: a player reaches the
// lobby, which knows the game server registered with it, the operations endpoints answer for
// both, and cancelling stops everything with a nil error.
func TestRunServesTheWholeStack(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	type addrs struct{ lobby, game, http net.Addr }
	ready := make(chan addrs, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-game-addr", "127.0.0.1:0", "-http-addr", "127.0.0.1:0", "-log-level", "warn",
			"-replay-dir", t.TempDir()},
			func(string) string { return "" }, io.Discard, io.Discard,
			func(l, g, h net.Addr) { ready <- addrs{l, g, h} })
	}()
	var a addrs
	select {
	case a = <-ready:
	case err := <-done:
		t.Fatalf("run returned before serving: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("server not ready within 30 s")
	}

	lc, err := lobbyclient.Dial(ctx, a.lobby.String(), nil)
	require.NoError(t, err)
	defer lc.Close()
	_, err = lc.Hello(ctx, "alice")
	require.NoError(t, err)
	// The game server registers over TCP right after it starts; poll the lobby for it.
	deadline := time.Now().Add(10 * time.Second)
	for {
		p, err := lc.Presence(ctx)
		require.NoError(t, err)
		if p.Servers == 1 {
			break
		}
		require.True(t, time.Now().Before(deadline), "game server never registered with the lobby")
		select {
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		}
	}

	for _, path := range []string{"/healthz", "/status", "/metrics", "/lobby/healthz", "/lobby/metrics"} {
		resp, err := http.Get("http://" + a.http.String() + path)
		require.NoError(t, err, path)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, path)
	}

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(45 * time.Second):
		t.Fatal("server did not stop within 45 s of cancel")
	}
}

func TestGameFlag(t *testing.T) {
	o, err := parseFlags([]string{"-game", "arena"}, io.Discard)
	require.NoError(t, err)
	require.Equal(t, "arena", o.game)
	_, err = parseFlags([]string{"-game", "chess"}, io.Discard)
	require.ErrorContains(t, err, `-game "chess": want one of arena`)
}

// TestReplayFlags: replays are on by default under ./replays, off with an empty -replay-dir,
// and negative bounds are refused.
func TestReplayFlags(t *testing.T) {
	o, err := parseFlags(nil, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "replays", o.replays.Dir)
	assert.Equal(t, 500, o.replays.Keep)
	assert.Equal(t, int64(1024)<<20, o.replays.MaxBytes())
	o, err = parseFlags([]string{"-replay-dir", "", "-replay-keep", "3", "-replay-max-mb", "0"}, io.Discard)
	require.NoError(t, err)
	assert.Empty(t, o.replays.Dir)
	assert.Equal(t, 3, o.replays.Keep)
	assert.Zero(t, o.replays.MaxBytes())
	_, err = parseFlags([]string{"-replay-keep", "-1"}, io.Discard)
	assert.Error(t, err)
}
