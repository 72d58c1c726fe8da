package kcp

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/netcode/netsim"
	"github.com/skirmish-go/skirmish/netcode/secure"
)

// TestStuckWriter is the nettest PresentTimeout hang made deterministic:
// the peer never reads, so KCP's send window fills and kcp-go's Write
// blocks. A deadline set while Send waits must end it (kcp-go ignores a
// write deadline set during a Write that began without one), Close must end
// a Send that waits without a deadline, and Close must return within about
// the linger even when kcp-go's Write would not come back by itself (a long
// writeSlice stands for that).
func TestStuckWriter(t *testing.T) {
	checkGoroutines(t)
	const linger = 300 * time.Millisecond
	// Small windows and a one-message receive queue: the window fills after a
	// few dozen messages.
	small := Options{SendWindow: 8, RecvWindow: 8, RecvQueue: 1, Linger: linger}
	srv := startServer(t, netsim.Config{}, ServerConfig{Options: small})
	pair := func(clientID uint64, opts Options) *Session {
		tok := makeToken(t, testKey, secure.TokenParams{ClientID: clientID, ServerAddrs: []netip.AddrPort{srv.addr}})
		cs, err := dialTest(t, udp(t, netsim.Config{}), tok, ClientConfig{Options: opts})
		require.NoError(t, err)
		t.Cleanup(func() { cs.Close() })
		acceptOne(t, srv.l) // the server's end: never read
		return cs
	}
	msg := make([]byte, 1000)

	// fill sends with a short deadline until one times out: the window is full.
	fill := func(s *Session) {
		t.Helper()
		for n := 0; n < 10_000; n++ {
			require.NoError(t, s.SetWriteDeadline(time.Now().Add(100*time.Millisecond)))
			if err := s.Send(msg); err != nil {
				requireTimeout(t, err)
				require.NoError(t, s.SetWriteDeadline(time.Time{}))
				return
			}
		}
		t.Fatal("send window never filled")
	}
	// sendUntilError sends without a deadline until a Send fails (bounded:
	// the window takes only a few more), and reports that error.
	sendUntilError := func(s *Session) <-chan error {
		res := make(chan error, 1)
		go func() {
			for n := 0; n < 10_000; n++ {
				if err := s.Send(msg); err != nil {
					res <- err
					return
				}
			}
			res <- errors.New("send never blocked")
		}()
		return res
	}
	// waitWriting waits until a Send holds the stream (it is blocked in
	// kcp-go's Write on the full window).
	waitWriting := func(s *Session) {
		t.Helper()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		deadline := time.After(5 * time.Second)
		for held := 0; held < 3; {
			select {
			case <-tick.C:
				if len(s.wlock) == 1 {
					held++
				} else {
					held = 0
				}
			case <-deadline:
				t.Fatal("no Send blocked on the full window")
			}
		}
	}
	closeWithin := func(s *Session, bound time.Duration) time.Duration {
		t.Helper()
		start := time.Now()
		done := make(chan struct{})
		go func() { s.Close(); close(done) }()
		select {
		case <-done:
		case <-time.After(bound):
			t.Errorf("Close still blocked after %v (linger %v)", bound, linger)
			s.teardown() // unblock it so that the test ends
			<-done
			t.FailNow()
		}
		return time.Since(start)
	}

	cs := pair(1, small)
	fill(cs)

	// A deadline set while Send waits (nettest's PresentTimeout).
	res := sendUntilError(cs)
	waitWriting(cs)
	require.NoError(t, cs.SetWriteDeadline(time.Now().Add(50*time.Millisecond)))
	select {
	case err := <-res:
		requireTimeout(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Send ignored a write deadline set while it waited")
	}

	// Close while a Send waits without a deadline.
	require.NoError(t, cs.SetWriteDeadline(time.Time{}))
	res = sendUntilError(cs)
	waitWriting(cs)
	took := closeWithin(cs, linger+2*time.Second)
	require.ErrorIs(t, <-res, net.ErrClosed)
	t.Logf("Close with a blocked Send: %v", took)

	// Close while kcp-go's Write does not come back by itself.
	stuck := small
	stuck.writeSlice = time.Hour
	cs2 := pair(2, stuck)
	fill(cs2)
	res = sendUntilError(cs2)
	waitWriting(cs2)
	took = closeWithin(cs2, linger+2*time.Second)
	require.ErrorIs(t, <-res, net.ErrClosed)
	t.Logf("Close with a stuck kcp-go Write: %v", took)
}

func requireTimeout(t *testing.T, err error) {
	t.Helper()
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	require.True(t, ne.Timeout())
}
