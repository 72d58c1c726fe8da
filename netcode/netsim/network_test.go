package netsim

import (
	"errors"
	"net"
	"os"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNetworkListen(t *testing.T) {
	n := NewNetwork()
	a := listen(t, n)
	b := listen(t, n)
	ua, ok := a.LocalAddr().(*net.UDPAddr)
	require.True(t, ok)
	ub := b.LocalAddr().(*net.UDPAddr)
	assert.NotEqual(t, ua.Port, ub.Port)
	assert.NotZero(t, ua.Port)
	assert.Equal(t, "127.0.0.1", ua.IP.String())

	c, err := n.Listen("127.0.0.1:7001")
	require.NoError(t, err)
	_, err = n.Listen("127.0.0.1:7001")
	require.ErrorIs(t, err, ErrAddrInUse)
	require.NoError(t, c.Close())
	c, err = n.Listen("127.0.0.1:7001") // free again after Close
	require.NoError(t, err)
	require.NoError(t, c.Close())

	for _, bad := range []string{"nonsense", "127.0.0.1:99999", "not-an-ip:1"} {
		_, err := n.Listen(bad)
		assert.Error(t, err, bad)
	}
	for _, in := range []string{":0", "localhost:0", "0.0.0.0:0"} {
		c, err := n.Listen(in)
		require.NoError(t, err, in)
		assert.Equal(t, "127.0.0.1", c.LocalAddr().(*net.UDPAddr).IP.String(), in)
		require.NoError(t, c.Close())
	}
}

func TestNetworkSendReceive(t *testing.T) {
	n := NewNetwork()
	a, b := listen(t, n), listen(t, n)
	msg := []byte("hello")
	k, err := a.WriteTo(msg, b.LocalAddr())
	require.NoError(t, err)
	require.Equal(t, 5, k)
	msg[0] = 'J' // the network copied it

	buf := make([]byte, 64)
	k, from, err := b.ReadFrom(buf)
	require.NoError(t, err)
	assert.Equal(t, "hello", string(buf[:k]))
	ua, ok := from.(*net.UDPAddr)
	require.True(t, ok, "ReadFrom returns *net.UDPAddr")
	assert.Equal(t, a.LocalAddr().(*net.UDPAddr).AddrPort(), ua.AddrPort())

	// Reply through a string-form address too.
	_, err = b.WriteTo([]byte("back"), from)
	require.NoError(t, err)
	k, _, err = a.ReadFrom(buf[:2]) // truncated like UDP
	require.NoError(t, err)
	assert.Equal(t, "ba", string(buf[:k]))

	// Nobody listening: silently discarded, as UDP.
	k, err = a.WriteTo(msg, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1})
	require.NoError(t, err)
	assert.Equal(t, len(msg), k)

	_, err = a.WriteTo(make([]byte, MaxDatagramSize+1), b.LocalAddr())
	require.ErrorIs(t, err, ErrTooLarge)
}

func TestNetworkQueueFullDrops(t *testing.T) {
	n := NewNetwork(NetworkConfig{QueueLen: 4})
	a, b := listen(t, n), listen(t, n)
	for i := range 10 {
		_, err := a.WriteTo([]byte{byte(i)}, b.LocalAddr())
		require.NoError(t, err)
	}
	assert.Equal(t, uint64(6), b.(*MemConn).Dropped())
	got := readAll(t, b, 10*time.Millisecond, 100)
	require.Len(t, got, 4)
	for i, p := range got {
		assert.Equal(t, []byte{byte(i)}, p, "first arrivals are kept, in order")
	}
}

func TestNetworkDeadlines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := NewNetwork()
		a, b := listen(t, n), listen(t, n)
		buf := make([]byte, 16)

		start := time.Now()
		require.NoError(t, b.SetReadDeadline(start.Add(time.Second)))
		_, _, err := b.ReadFrom(buf)
		requireTimeout(t, err)
		assert.Equal(t, time.Second, time.Since(start), "timed out exactly at the deadline")

		// A deadline in the past fails at once; clearing it lets data through.
		require.NoError(t, b.SetReadDeadline(start))
		_, _, err = b.ReadFrom(buf)
		requireTimeout(t, err)
		require.NoError(t, b.SetReadDeadline(time.Time{}))
		_, err = a.WriteTo([]byte("x"), b.LocalAddr())
		require.NoError(t, err)
		_, _, err = b.ReadFrom(buf)
		require.NoError(t, err)

		// A deadline set while a reader is blocked wakes it.
		var wg sync.WaitGroup
		wg.Go(func() {
			_, _, err := b.ReadFrom(buf)
			assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
		})
		synctest.Wait()
		require.NoError(t, b.SetDeadline(time.Now().Add(50*time.Millisecond)))
		wg.Wait()

		require.NoError(t, a.SetWriteDeadline(time.Now().Add(-time.Second)))
		_, err = a.WriteTo([]byte("x"), b.LocalAddr())
		requireTimeout(t, err)
	})
}

func requireTimeout(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err)
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	var ne net.Error
	require.True(t, errors.As(err, &ne))
	require.True(t, ne.Timeout())
}

func TestNetworkClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := NewNetwork()
		a, b := listen(t, n), listen(t, n)
		var wg sync.WaitGroup
		wg.Go(func() {
			_, _, err := b.ReadFrom(make([]byte, 8))
			assert.ErrorIs(t, err, net.ErrClosed)
		})
		synctest.Wait()
		require.NoError(t, b.Close())
		require.NoError(t, b.Close())
		wg.Wait()
		_, _, err := b.ReadFrom(make([]byte, 8))
		require.ErrorIs(t, err, net.ErrClosed)
		_, err = b.WriteTo([]byte("x"), a.LocalAddr())
		require.ErrorIs(t, err, net.ErrClosed)
		// Writing to a closed peer is like writing to a port nobody has.
		_, err = a.WriteTo([]byte("x"), b.LocalAddr())
		require.NoError(t, err)
	})
}
