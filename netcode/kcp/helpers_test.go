package kcp

import (
	"context"
	"net"
	"net/netip"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/netcode/netsim"
	"github.com/skirmish-go/skirmish/netcode/secure"
)

const testProtocolID = 0x534b49524d495348

var testKey = secure.Key{1, 2, 3, 4, 5, 6, 7, 8}

// lossy is the acceptance link: 30 % loss, duplication and reordering on
// each end's sends, a few ms of latency with jitter.
func lossy(seed int64) netsim.Config {
	im := netsim.Impairment{
		Loss:      0.30,
		Duplicate: 0.05,
		Reorder:   0.05,
		Latency:   3 * time.Millisecond,
		Jitter:    2 * time.Millisecond,
	}
	return netsim.Config{Send: im, Seed: seed}
}

// udp opens a loopback UDP socket wrapped by netsim.
func udp(t *testing.T, cfg netsim.Config) *netsim.Conn {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(t, err)
	return netsim.Wrap(c, cfg)
}

func addrOf(c net.PacketConn) netip.AddrPort {
	return c.LocalAddr().(*net.UDPAddr).AddrPort()
}

type server struct {
	l    *Listener
	addr netip.AddrPort
	conn *netsim.Conn
}

func startServer(t *testing.T, link netsim.Config, cfg ServerConfig) *server {
	t.Helper()
	conn := udp(t, link)
	if cfg.ProtocolID == 0 {
		cfg.ProtocolID = testProtocolID
	}
	if cfg.PrivateKey == (secure.Key{}) {
		cfg.PrivateKey = testKey
	}
	l, err := Listen(conn, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	return &server{l: l, addr: addrOf(conn), conn: conn}
}

func makeToken(t *testing.T, key secure.Key, p secure.TokenParams) []byte {
	t.Helper()
	if p.ProtocolID == 0 {
		p.ProtocolID = testProtocolID
	}
	tok, err := secure.GenerateConnectToken(key, p)
	require.NoError(t, err)
	return tok
}

func dialTest(t *testing.T, conn net.PacketConn, tok []byte, cfg ClientConfig) (*Session, error) {
	t.Helper()
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 3 * time.Second
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	return Dial(ctx, conn, tok, cfg)
}

// acceptOne accepts one session, failing the test after a bound.
func acceptOne(t *testing.T, l *Listener) *Session {
	t.Helper()
	got := make(chan *Session, 1)
	go func() {
		s, err := l.Accept()
		if err != nil {
			close(got)
			return
		}
		got <- s
	}()
	select {
	case s, ok := <-got:
		require.True(t, ok, "accept failed")
		return s
	case <-time.After(10 * time.Second):
		l.Close()
		t.Fatal("no session accepted")
		return nil
	}
}

// checkGoroutines fails the test if, after its cleanups, the goroutine
// count does not come back to what it was when checkGoroutines was called.
// Register it first so that it runs last.
func checkGoroutines(t *testing.T) {
	base := runtime.NumGoroutine()
	t.Cleanup(func() {
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		deadline := time.After(5 * time.Second)
		for n := 0; n < 1000; n++ {
			if runtime.NumGoroutine() <= base {
				return
			}
			select {
			case <-tick.C:
			case <-deadline:
				buf := make([]byte, 1<<20)
				buf = buf[:runtime.Stack(buf, true)]
				t.Fatalf("goroutines: %d, want <= %d\n%s", runtime.NumGoroutine(), base, buf)
			}
		}
	})
}

// gateConn drops every datagram it writes while drop is set, and flips the
// last byte of the next written datagram longer than tamperOver while
// tamper is set.
type gateConn struct {
	net.PacketConn
	drop       atomic.Bool
	tamper     atomic.Bool
	tamperOver int
}

func (g *gateConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	if g.drop.Load() {
		return len(b), nil
	}
	if len(b) > g.tamperOver && g.tamper.CompareAndSwap(true, false) {
		c := append([]byte(nil), b...)
		c[len(c)-1] ^= 0x40
		return g.PacketConn.WriteTo(c, addr)
	}
	return g.PacketConn.WriteTo(b, addr)
}
