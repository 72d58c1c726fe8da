package floor

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The clients hear the server at its rate, in datagrams of its size, and Serve stops when its
// context ends.
func TestClientsHearTheServerAtItsRate(t *testing.T) {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, c.(*net.UDPConn), ServerConfig{Size: 100, Rate: 50}) }()

	res, err := RunClients(t.Context(), ClientsConfig{Addr: c.LocalAddr().String(), N: 4, Up: 20, Duration: 2 * time.Second})
	require.NoError(t, err)
	assert.Equal(t, 4, res.Clients)
	// The server learns a client from its first datagram, then sends at 50 Hz: never more, and
	// a fair share of it even on a busy machine (a starved ticker skips ticks).
	assert.LessOrEqual(t, res.DownDatagramsPerS, 55.0, "datagrams per second each")
	assert.GreaterOrEqual(t, res.DownDatagramsPerS, 10.0, "datagrams per second each")
	assert.InDelta(t, 100*res.DownDatagramsPerS, res.DownBytesPerS, 1, "100-byte datagrams")

	cancel()
	select {
	case err := <-served:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after its context ended")
	}
}

func TestClientsBadAddress(t *testing.T) {
	_, err := RunClients(t.Context(), ClientsConfig{Addr: "not an address", Duration: time.Second})
	require.Error(t, err)
}
