package netsim

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// echoServer is a UDP echo server that records its clients' addresses.
type echoServer struct {
	conn    net.PacketConn
	mu      sync.Mutex
	clients map[netip.AddrPort]int
	packets atomic.Int64
}

func newEchoServer(t *testing.T) *echoServer {
	e := &echoServer{conn: listenUDP(t), clients: map[netip.AddrPort]int{}}
	var wg sync.WaitGroup
	wg.Go(func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := e.conn.ReadFrom(buf)
			if err != nil {
				return
			}
			e.packets.Add(1)
			e.mu.Lock()
			e.clients[from.(*net.UDPAddr).AddrPort()]++
			e.mu.Unlock()
			_, _ = e.conn.WriteTo(buf[:n], from)
		}
	})
	t.Cleanup(func() { e.conn.Close(); wg.Wait() })
	return e
}

func (e *echoServer) numClients() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.clients)
}

// startProxy runs a proxy to target; the returned func stops it and
// returns Serve's result.
func startProxy(t *testing.T, cfg ProxyConfig) (*Proxy, func() ProxyStats) {
	t.Helper()
	cfg.Listen = "127.0.0.1:0"
	p, err := NewProxy(cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	type result struct {
		st  ProxyStats
		err error
	}
	done := make(chan result, 1)
	go func() {
		st, err := p.Serve(ctx)
		done <- result{st, err}
	}()
	stopped := false
	var final ProxyStats
	stop := func() ProxyStats {
		if stopped {
			return final
		}
		stopped = true
		cancel()
		select {
		case r := <-done:
			require.NoError(t, r.err)
			final = r.st
		case <-time.After(10 * time.Second):
			t.Fatal("Serve did not return after cancel")
		}
		return final
	}
	t.Cleanup(func() { stop() })
	return p, stop
}

func TestProxyImpairsBothWays(t *testing.T) {
	checkGoroutines(t)
	srv := newEchoServer(t)
	p, stop := startProxy(t, ProxyConfig{
		Target:         srv.conn.LocalAddr().String(),
		ClientToServer: Impairment{Loss: 0.2, Latency: time.Millisecond},
		ServerToClient: Impairment{Loss: 0.1, Duplicate: 0.05, Latency: time.Millisecond},
		Seed:           1,
	})
	client := listenUDP(t)
	const total = 2000
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range total {
			_, err := client.WriteTo(packet(uint64(i), time.Now(), 64), p.Addr())
			assert.NoError(t, err)
			if i%50 == 49 {
				time.Sleep(time.Millisecond) // pace: stay inside socket buffers
			}
		}
	})
	got := readAll(t, client, 500*time.Millisecond, 4*total)
	wg.Wait()
	st := stop()
	t.Logf("proxy: client sent %d, server saw %d, client got %d; stats %+v", total, srv.packets.Load(), len(got), st)

	uniq := map[uint64]bool{}
	for _, b := range got {
		seq, _ := parsePacket(b)
		uniq[seq] = true
	}
	assert.InDelta(t, total, st.ClientToServer.Packets, total*0.01)
	assert.InDelta(t, 0.2, float64(st.ClientToServer.Dropped)/float64(st.ClientToServer.Packets), 0.03)
	assert.InDelta(t, 0.1, float64(st.ServerToClient.Dropped)/float64(st.ServerToClient.Packets), 0.03)
	assert.InDelta(t, 0.8*0.9, float64(len(uniq))/total, 0.04)
	assert.Equal(t, st.ClientToServer.Delivered, uint64(srv.packets.Load()))
	assert.LessOrEqual(t, uint64(len(got)), st.ServerToClient.Delivered)
	assert.Positive(t, st.ServerToClient.Duplicated)
	assert.Equal(t, uint64(1), st.Sessions)
	assert.Zero(t, st.ActiveSessions, "Serve closed every session")
}

func TestProxySessions(t *testing.T) {
	checkGoroutines(t)
	srv := newEchoServer(t)
	p, stop := startProxy(t, ProxyConfig{
		Target:      srv.conn.LocalAddr().String(),
		IdleTimeout: 500 * time.Millisecond,
		MaxSessions: 2,
	})
	// roundTrip returns as soon as the echo arrives; it waits 100 ms to
	// conclude that none will, well inside IdleTimeout.
	roundTrip := func(c net.PacketConn) bool {
		_, err := c.WriteTo([]byte("ping"), p.Addr())
		require.NoError(t, err)
		return len(readAll(t, c, 100*time.Millisecond, 1)) == 1
	}
	a, b, c := listenUDP(t), listenUDP(t), listenUDP(t)
	require.True(t, roundTrip(a))
	require.True(t, roundTrip(b))
	assert.Equal(t, 2, srv.numClients(), "one upstream socket per client")
	assert.False(t, roundTrip(c), "third client over MaxSessions is dropped")
	assert.Equal(t, uint64(1), p.Stats().Rejected)
	assert.Equal(t, 2, p.Stats().ActiveSessions)

	// Idle sessions expire and free their slots.
	require.Eventually(t, func() bool { return p.Stats().Expired == 2 }, 5*time.Second, 10*time.Millisecond)
	assert.Zero(t, p.Stats().ActiveSessions)
	require.True(t, roundTrip(c))
	assert.Equal(t, 3, srv.numClients())

	st := stop()
	assert.Equal(t, uint64(3), st.Sessions)
	assert.Equal(t, uint64(2), st.Expired)
	assert.Equal(t, uint64(3), st.ClientToServer.Delivered)
	assert.Equal(t, uint64(3), st.ServerToClient.Delivered)
	assert.Zero(t, st.ActiveSessions)
}

func TestProxyLifecycle(t *testing.T) {
	checkGoroutines(t)
	_, err := NewProxy(ProxyConfig{})
	require.ErrorIs(t, err, ErrNoTarget)
	_, err = NewProxy(ProxyConfig{Target: "127.0.0.1:7001", Listen: "bad address"})
	require.Error(t, err)

	p, err := NewProxy(ProxyConfig{Target: "127.0.0.1:9", Listen: "127.0.0.1:0"})
	require.NoError(t, err)
	require.NoError(t, p.Close())
	require.NoError(t, p.Close())
	_, err = p.Serve(context.Background())
	require.ErrorIs(t, err, ErrProxyClosed)

	p, stop := startProxy(t, ProxyConfig{Target: "127.0.0.1:9"})
	// The target refuses (nothing listens on the discard port): datagrams
	// are lost, the proxy keeps going.
	client := listenUDP(t)
	for range 3 {
		_, err := client.WriteTo([]byte("x"), p.Addr())
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool { return p.Stats().ClientToServer.Packets == 3 }, 5*time.Second, 5*time.Millisecond)
	st := stop()
	assert.Equal(t, uint64(3), st.ClientToServer.Packets)
	_, err = p.Serve(context.Background())
	require.ErrorIs(t, err, ErrProxyClosed, "Serve twice")
}
