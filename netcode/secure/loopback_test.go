package secure

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLoopbackUDP runs one real handshake and payload round trip over
// 127.0.0.1 sockets, to cover *net.UDPConn (ReadFrom → *net.UDPAddr).
func TestLoopbackUDP(t *testing.T) {
	sconn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(t, err)
	key := testKey(0x55)
	got := make(chan string, 1)
	var srv *Server
	srv, err = NewServer(sconn, ServerConfig{
		ProtocolID: testProtocolID,
		PrivateKey: key,
		OnPayload: func(c ClientInfo, p []byte) {
			got <- string(p)
			_ = srv.Send(c.Index, []byte("pong"))
		},
	})
	require.NoError(t, err)
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve() }()
	defer func() {
		require.NoError(t, srv.Close())
		require.ErrorIs(t, <-serveErr, ErrServerClosed)
	}()

	tok, err := GenerateConnectToken(key, TokenParams{
		ProtocolID:  testProtocolID,
		ClientID:    42,
		ServerAddrs: []netip.AddrPort{srv.Addr()},
	})
	require.NoError(t, err)
	cconn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, cconn, tok, ClientConfig{})
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Send([]byte("ping")))
	select {
	case p := <-got:
		assert.Equal(t, "ping", p)
	case <-ctx.Done():
		t.Fatal("server got no payload")
	}
	select {
	case p := <-c.Payloads():
		assert.Equal(t, "pong", string(p))
	case <-ctx.Done():
		t.Fatal("client got no payload")
	}
	assert.Equal(t, 1, srv.NumClients())
	assert.Equal(t, uint64(42), srv.Clients()[0].ID)
}
