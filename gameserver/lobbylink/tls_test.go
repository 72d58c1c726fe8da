package lobbylink_test

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/gameserver/lobbylink"
	"github.com/skirmish-go/skirmish/lobby"
	"github.com/skirmish-go/skirmish/lobby/lobbytest"
)

// serveTLSLobby serves a lobby speaking TLS with a self-signed certificate; roots trust it.
func serveTLSLobby(t *testing.T) (addr string, roots *tls.Config) {
	t.Helper()
	serverTLS, pool, _ := lobbytest.SelfSignedTLS(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := lobby.New(lobby.Config{Key: key, SealToken: seal, Logger: slog.New(slog.DiscardHandler), TLSConfig: serverTLS})
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		srv.Close()
		require.ErrorIs(t, <-done, lobby.ErrServerClosed)
	})
	return l.Addr().String(), &tls.Config{RootCAs: pool}
}

// runLink runs a link with the given TLS config and returns its Run result (bounded).
func runLink(t *testing.T, addr string, tlsConfig *tls.Config) (reg chan string, done chan error) {
	t.Helper()
	reg, done = make(chan string, 4), make(chan error, 1)
	l := lobbylink.New(lobbylink.Config{Lobbies: []string{addr}, Key: key, TLSConfig: tlsConfig, Name: "gs",
		Addr: "127.0.0.1:7001", HeartbeatInterval: 20 * time.Millisecond, BackoffMin: 5 * time.Millisecond,
		BackoffMax: 20 * time.Millisecond, Logger: slog.New(slog.DiscardHandler),
		OnRegistered: func(a string) { reg <- a }})
	go func() { done <- l.Run(context.Background()) }()
	t.Cleanup(func() { l.Close() })
	return reg, done
}

func TestRegisterOverTLS(t *testing.T) {
	addr, roots := serveTLSLobby(t)
	reg, _ := runLink(t, addr, roots)
	assert.Equal(t, addr, recv(t, reg))
}

// A link without TLS to a TLS lobby stops with a clear error instead of retrying
// "challenge: EOF" for ever.
func TestPlainLinkToTLSLobbyFailsLoudly(t *testing.T) {
	addr, _ := serveTLSLobby(t)
	reg, done := runLink(t, addr, nil)
	select {
	case err := <-done:
		require.ErrorIs(t, err, lobbylink.ErrProtocolMismatch)
		assert.Contains(t, err.Error(), "-lobby-tls")
		t.Log(err)
	case <-reg:
		t.Fatal("registered in plain text with a TLS lobby")
	case <-time.After(5 * time.Second):
		t.Fatal("the link kept retrying a TLS lobby in plain text")
	}
}

// A link with TLS to a lobby without TLS stops with a clear error too.
func TestTLSLinkToPlainLobbyFailsLoudly(t *testing.T) {
	_, addr := serveLobby(t, "127.0.0.1:0", nil)
	reg, done := runLink(t, addr, &tls.Config{InsecureSkipVerify: true})
	select {
	case err := <-done:
		require.ErrorIs(t, err, lobbylink.ErrProtocolMismatch)
		assert.Contains(t, err.Error(), "does not speak TLS")
		t.Log(err)
	case <-reg:
		t.Fatal("registered")
	case <-time.After(5 * time.Second):
		t.Fatal("the link kept retrying a plain lobby with TLS")
	}
}
