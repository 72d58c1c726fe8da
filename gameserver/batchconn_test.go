package gameserver

import (
	"encoding/binary"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBatchConnDeliversEverything: datagrams written from many goroutines all arrive, intact,
// through the batching writer; Close is safe twice and later writes fail.
func TestBatchConnDeliversEverything(t *testing.T) {
	rx, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	defer rx.Close()
	require.NoError(t, rx.(*net.UDPConn).SetReadBuffer(4<<20))
	tx, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	bc := newBatchConn(tx.(*net.UDPConn))

	const writers, each = 8, 100
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				var p [64]byte
				binary.LittleEndian.PutUint32(p[:], uint32(w*each+i))
				n, err := bc.WriteTo(p[:8+i%50], rx.LocalAddr())
				assert.NoError(t, err)
				assert.Equal(t, 8+i%50, n)
			}
		}()
	}
	wg.Wait()
	seen := make(map[uint32]bool)
	buf := make([]byte, 2048)
	require.NoError(t, rx.SetReadDeadline(time.Now().Add(10*time.Second)))
	for len(seen) < writers*each {
		n, _, err := rx.ReadFrom(buf)
		require.NoError(t, err, "received %d of %d", len(seen), writers*each)
		id := binary.LittleEndian.Uint32(buf[:4])
		require.Equal(t, 8+int(id%each)%50, n, "datagram %d length", id)
		seen[id] = true
	}
	require.NoError(t, bc.Close())
	require.NoError(t, bc.Close(), "Close twice")
	_, err = bc.WriteTo([]byte{1}, rx.LocalAddr())
	require.ErrorIs(t, err, net.ErrClosed)
}
