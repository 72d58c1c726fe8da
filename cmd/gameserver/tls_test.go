package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/lobby"
	"github.com/skirmish-go/skirmish/lobby/lobbytest"
	"github.com/skirmish-go/skirmish/netcode/secure"
)

var testKeyHex = strings.Repeat("ab", 32)

func testEnv(k string) string {
	if k == "SKIRMISH_KEY" {
		return testKeyHex
	}
	return ""
}

// startTLSLobby serves an in-process lobby speaking TLS and returns its address and the PEM
// file of its certificate.
func startTLSLobby(t *testing.T) (*lobby.Server, string, string) {
	t.Helper()
	key, err := secure.ParseKey(testKeyHex)
	require.NoError(t, err)
	serverTLS, _, certPEM := lobbytest.SelfSignedTLS(t)
	caFile := filepath.Join(t.TempDir(), "lobby-ca.pem")
	require.NoError(t, os.WriteFile(caFile, certPEM, 0o600))
	srv := lobby.New(lobby.Config{Key: key, TLSConfig: serverTLS, Logger: slog.New(slog.DiscardHandler)})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		srv.Close()
		require.ErrorIs(t, <-done, lobby.ErrServerClosed)
	})
	return srv, l.Addr().String(), caFile
}

// The game server registers with a TLS lobby given -lobby-tls-ca.
func TestRegistersWithTLSLobby(t *testing.T) {
	srv, addr, caFile := startTLSLobby(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-http-addr", "", "-lobby", addr, "-lobby-tls-ca", caFile,
			"-name", "gs-tls"}, testEnv, io.Discard, io.Discard)
	}()
	require.Eventually(t, func() bool {
		ss, err := srv.Store().Servers(context.Background())
		return err == nil && len(ss) == 1 && ss[0].Name == "gs-tls"
	}, 10*time.Second, 10*time.Millisecond, "the game server did not register with the TLS lobby")
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(20 * time.Second):
		t.Fatal("run did not stop")
	}
}

// Without -lobby-tls the game server does not retry a TLS lobby for ever: it exits with an
// error that says what to do.
func TestPlainToTLSLobbyExits(t *testing.T) {
	_, addr, _ := startTLSLobby(t)
	done := make(chan error, 1)
	go func() {
		done <- run(t.Context(), []string{"-addr", "127.0.0.1:0", "-http-addr", "", "-lobby", addr}, testEnv, io.Discard, io.Discard)
	}()
	select {
	case err := <-done:
		require.Error(t, err)
		assert.Contains(t, err.Error(), "-lobby-tls")
	case <-time.After(10 * time.Second):
		t.Fatal("the game server kept retrying a TLS lobby in plain text")
	}
}

func TestLobbyTLSFlags(t *testing.T) {
	o, err := parseFlags([]string{"-lobby-tls-insecure-skip-verify"}, io.Discard)
	require.NoError(t, err)
	assert.True(t, o.lobbyTLSInsecure)
	err = run(t.Context(), []string{"-lobby", "127.0.0.1:1", "-lobby-tls-ca", filepath.Join(t.TempDir(), "none.pem")},
		testEnv, io.Discard, io.Discard)
	require.ErrorContains(t, err, "lobby TLS CA")
}
