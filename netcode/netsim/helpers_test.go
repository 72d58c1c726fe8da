package netsim

import (
	"encoding/binary"
	"errors"
	"net"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// checkGoroutines fails the test if, after every other cleanup ran, the
// goroutine count has not returned to what it was when it was called.
// (Inside a synctest bubble this is implied: synctest.Test fails when a
// bubble goroutine outlives the test function.)
func checkGoroutines(t *testing.T) {
	t.Helper()
	base := runtime.NumGoroutine()
	t.Cleanup(func() {
		// Poll (require.Eventually would add a goroutine of its own).
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		timeout := time.After(5 * time.Second)
		for runtime.NumGoroutine() > base {
			select {
			case <-tick.C:
			case <-timeout:
				buf := make([]byte, 1<<16)
				t.Fatalf("goroutines leaked: before %d, now %d\n%s", base, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
			}
		}
	})
}

// readAll reads datagrams until none arrives for idle, and returns them.
func readAll(t *testing.T, c net.PacketConn, idle time.Duration, limit int) [][]byte {
	t.Helper()
	var out [][]byte
	buf := make([]byte, 2048)
	for len(out) < limit {
		require.NoError(t, c.SetReadDeadline(time.Now().Add(idle)))
		n, _, err := c.ReadFrom(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			break
		}
		require.NoError(t, err)
		out = append(out, append([]byte(nil), buf[:n]...))
	}
	require.NoError(t, c.SetReadDeadline(time.Time{}))
	return out
}

// packet returns a datagram of size bytes (at least 16) carrying seq and
// the send time.
func packet(seq uint64, at time.Time, size int) []byte {
	b := make([]byte, max(size, 16))
	binary.BigEndian.PutUint64(b, seq)
	binary.BigEndian.PutUint64(b[8:], uint64(at.UnixNano()))
	return b
}

func parsePacket(b []byte) (seq uint64, at time.Time) {
	return binary.BigEndian.Uint64(b), time.Unix(0, int64(binary.BigEndian.Uint64(b[8:])))
}

func listen(t *testing.T, n *Network) net.PacketConn {
	t.Helper()
	c, err := n.Listen("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}
