package client

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/netcode/kcp"
	"github.com/skirmish-go/skirmish/netcode/secure"
)

func TestPickTransport(t *testing.T) {
	for _, c := range []struct{ server, forced, want string }{
		{"", "", "udp"}, {"udp", "", "udp"}, {"kcp", "", "kcp"}, {"kcp", "kcp", "kcp"}, {"", "udp", "udp"},
	} {
		got, err := pickTransport(c.server, c.forced)
		require.NoError(t, err, "%+v", c)
		assert.Equal(t, c.want, got, "%+v", c)
	}
	_, err := pickTransport("kcp", "udp")
	assert.ErrorIs(t, err, ErrTransportMismatch)
	assert.ErrorContains(t, err, `runs "kcp"`)
	_, err = pickTransport("", "kcp")
	assert.ErrorIs(t, err, ErrTransportMismatch)
	_, err = pickTransport("tcp", "")
	assert.Error(t, err)
}

// TestDialGameTransportMismatch: a client told to use udp refuses a kcp match before it
// opens a socket.
func TestDialGameTransportMismatch(t *testing.T) {
	_, err := DialGame(t.Context(), make([]byte, secure.ConnectTokenBytes), DialConfig{Transport: "kcp", Force: "udp",
		ListenPacket: func(string) (net.PacketConn, error) { t.Fatal("socket opened"); return nil, nil }})
	require.ErrorIs(t, err, ErrTransportMismatch)
}

var kcpTestKey = secure.Key{4, 4, 4}

// kcpPair is a kcp.Listener on loopback and a kcpConn dialled to it.
func kcpPair(t *testing.T) (*kcpConn, *kcp.Session, *kcp.Listener) {
	t.Helper()
	sc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(t, err)
	addr := sc.LocalAddr().(*net.UDPAddr).AddrPort()
	l, err := kcp.Listen(sc, kcp.ServerConfig{ProtocolID: 1, PrivateKey: kcpTestKey})
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	tok, err := secure.GenerateConnectToken(kcpTestKey, secure.TokenParams{ProtocolID: 1, ClientID: 3,
		ServerAddrs: []netip.AddrPort{addr}, TimeoutSeconds: 5})
	require.NoError(t, err)
	accepted := make(chan *kcp.Session, 1)
	go func() {
		s, err := l.Accept()
		if err == nil {
			accepted <- s
		}
	}()
	cc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	tr, err := dialKCP(ctx, cc, tok, kcp.ClientConfig{})
	require.NoError(t, err)
	select {
	case s := <-accepted:
		return tr.(*kcpConn), s, l
	case <-time.After(10 * time.Second):
		t.Fatal("no session accepted")
		return nil, nil, nil
	}
}

func kcpGoroutines(t *testing.T) {
	base := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for range 500 {
			if runtime.NumGoroutine() <= base || time.Now().After(deadline) {
				break
			}
			<-time.After(10 * time.Millisecond)
		}
		assert.LessOrEqual(t, runtime.NumGoroutine(), base, "goroutines left behind")
	})
}

func TestKCPConnCarriesPayloadsBothWaysAndEnds(t *testing.T) {
	kcpGoroutines(t)
	c, srv, _ := kcpPair(t)
	for i := range 100 {
		require.NoError(t, c.Send(fmt.Appendf(nil, "up%03d", i)))
		require.NoError(t, srv.Send(fmt.Appendf(nil, "down%03d", i)))
	}
	for i := range 100 {
		msg, err := srv.Receive()
		require.NoError(t, err)
		require.Equal(t, fmt.Sprintf("up%03d", i), string(msg))
		select {
		case p := <-c.Payloads():
			require.Equal(t, fmt.Sprintf("down%03d", i), string(p))
		case <-time.After(10 * time.Second):
			t.Fatal("no payload")
		}
	}
	assert.NoError(t, c.Err(), "up")
	require.NoError(t, srv.Send([]byte("bye")))
	require.NoError(t, srv.Close()) // the server ends the session
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("Done not closed after the server's close")
	}
	assert.Equal(t, "bye", string(<-c.Payloads()), "messages before the end are delivered before Done")
	assert.ErrorIs(t, c.Err(), io.EOF)
	assert.Error(t, c.Send([]byte("x")))
	require.NoError(t, c.Close())
	require.NoError(t, c.Close(), "Close twice")
}

func TestKCPConnCloseTellsTheServer(t *testing.T) {
	kcpGoroutines(t)
	c, srv, _ := kcpPair(t)
	require.NoError(t, c.Send([]byte("last")))
	require.NoError(t, c.Close())
	msg, err := srv.Receive()
	require.NoError(t, err)
	assert.Equal(t, "last", string(msg), "what was queued goes out before the close")
	_, err = srv.Receive()
	assert.ErrorIs(t, err, io.EOF)
	assert.ErrorIs(t, c.Err(), net.ErrClosed)
	srv.Close()
}
