package netsim

import (
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/nettest"
)

func listenUDP(t *testing.T) net.PacketConn {
	t.Helper()
	c, err := nettest.NewLocalPacketListener("udp4")
	require.NoError(t, err)
	if u, ok := c.(*net.UDPConn); ok {
		_ = u.SetReadBuffer(4 << 20)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// echo serves datagrams back to their sender until c is closed.
func echo(t *testing.T, c net.PacketConn) {
	var wg sync.WaitGroup
	wg.Go(func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			_, _ = c.WriteTo(buf[:n], from)
		}
	})
	t.Cleanup(func() { c.Close(); wg.Wait() })
}

// TestUDPLoopback runs the impairments over real sockets: a wrapped client
// echoes through a plain UDP server with loss and delay on both sides.
func TestUDPLoopback(t *testing.T) {
	checkGoroutines(t)
	srv := listenUDP(t)
	echo(t, srv)
	var rec Recorder
	im := Impairment{Loss: 0.2, Latency: 2 * time.Millisecond, Jitter: time.Millisecond, Duplicate: 0.05}
	w := Wrap(listenUDP(t), Config{Send: im, Recv: im, Seed: 9, Trace: rec.Record})
	defer w.Close()

	const total = 2000
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range total {
			_, err := w.WriteTo(packet(uint64(i), time.Now(), 64), srv.LocalAddr())
			assert.NoError(t, err)
			if i%50 == 49 { // let the socket buffers drain now and then
				time.Sleep(time.Millisecond)
			}
		}
	})
	got := readAll(t, w, 500*time.Millisecond, 4*total)
	wg.Wait()
	s := w.Stats()
	t.Logf("udp: sent %d, echoed back %d; send %+v; recv %+v", total, len(got), s.Send, s.Recv)

	uniq := map[uint64]bool{}
	for _, p := range got {
		seq, _ := parsePacket(p)
		uniq[seq] = true
	}
	// Both ways lose 20%: 0.8*0.8 = 64% of datagrams make the round trip.
	assert.InDelta(t, 0.64, float64(len(uniq))/total, 0.04)
	assert.Equal(t, uint64(total), s.Send.Packets)
	assert.InDelta(t, 0.2, float64(s.Send.Dropped)/float64(s.Send.Packets), 0.03)
	assert.InDelta(t, 0.2, float64(s.Recv.Dropped)/float64(s.Recv.Packets), 0.03)
	assert.Equal(t, uint64(len(got)), s.Recv.Delivered)

	// The Send decisions are a function of the seed alone: replay them on an
	// in-memory network and compare.
	var replay Recorder
	n := NewNetwork(NetworkConfig{QueueLen: 4 * total})
	w2 := Wrap(listen(t, n), Config{Send: im, Seed: 9, Trace: replay.Record})
	defer w2.Close()
	dst := listen(t, n)
	for i := range total {
		_, err := w2.WriteTo(packet(uint64(i), time.Now(), 64), dst.LocalAddr())
		require.NoError(t, err)
	}
	var sendTrace []Event
	for _, e := range rec.Events() {
		if e.Dir == DirSend {
			sendTrace = append(sendTrace, e)
		}
	}
	assert.Equal(t, replay.Events(), sendTrace, "same seed over UDP and in memory: same Send trace")
}

func TestUDPCloseStopsGoroutines(t *testing.T) {
	checkGoroutines(t)
	w := Wrap(listenUDP(t), Config{Recv: Impairment{Latency: time.Hour}})
	peer := listenUDP(t)
	_, err := peer.WriteTo([]byte("in flight"), w.LocalAddr())
	require.NoError(t, err)
	require.Eventually(t, func() bool { return w.Stats().Recv.Packets == 1 }, 5*time.Second, time.Millisecond)

	done := make(chan error, 1)
	go func() {
		_, _, err := w.ReadFrom(make([]byte, 64))
		done <- err
	}()
	require.NoError(t, w.Close())
	require.NoError(t, w.Close())
	select {
	case err := <-done:
		require.ErrorIs(t, err, net.ErrClosed)
	case <-time.After(5 * time.Second):
		t.Fatal("ReadFrom not unblocked by Close")
	}
	_, _, err = w.ReadFrom(make([]byte, 64))
	require.ErrorIs(t, err, net.ErrClosed)
}

func TestUDPDeadline(t *testing.T) {
	checkGoroutines(t)
	w := Wrap(listenUDP(t), Config{})
	defer w.Close()
	require.NoError(t, w.SetReadDeadline(time.Now().Add(20*time.Millisecond)))
	_, _, err := w.ReadFrom(make([]byte, 64))
	requireTimeout(t, err)
}
