package gameserver

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/gameserver/snapshot"
	"github.com/skirmish-go/skirmish/gameserver/wire"
	"github.com/skirmish-go/skirmish/netcode/kcp"
	"github.com/skirmish-go/skirmish/netcode/netsim"
	"github.com/skirmish-go/skirmish/netcode/secure"
)

// kcpGoroutineCheck fails the test if, after its cleanups, the goroutine count does not come
// back to what it was when it was called. Register it first so that it runs last.
func kcpGoroutineCheck(t *testing.T) {
	base := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for range 500 {
			if runtime.NumGoroutine() <= base {
				return
			}
			if time.Now().After(deadline) {
				break
			}
			<-time.After(10 * time.Millisecond)
		}
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Fatalf("goroutines: %d, want <= %d\n%s", runtime.NumGoroutine(), base, buf)
	})
}

// kcpUDP opens a loopback UDP socket, impaired by imp on its sends when imp is not zero.
func kcpUDP(t *testing.T, imp netsim.Impairment, seed int64) net.PacketConn {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(t, err)
	if imp == (netsim.Impairment{}) {
		return c
	}
	return netsim.Wrap(c, netsim.Config{Send: imp, Recv: imp, Seed: seed})
}

func kcpToken(t *testing.T, key secure.Key, server netip.AddrPort, ud [wire.UserDataBytes]byte, id uint64) []byte {
	t.Helper()
	tok, err := secure.GenerateConnectToken(key, secure.TokenParams{ProtocolID: DefaultProtocolID, ClientID: id,
		ServerAddrs: []netip.AddrPort{server}, UserData: ud, TimeoutSeconds: 5})
	require.NoError(t, err)
	return tok
}

func kcpDial(t *testing.T, key secure.Key, server netip.AddrPort, ud [wire.UserDataBytes]byte, id uint64, imp netsim.Impairment) (*kcp.Session, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	return kcp.Dial(ctx, kcpUDP(t, imp, int64(id)), kcpToken(t, key, server, ud, id), kcp.ClientConfig{ConnectTimeout: 3 * time.Second})
}

// kcpEvents records a transport's handler calls, in the order Serve made them.
type kcpEvents struct {
	ch chan string
	mu sync.Mutex
	p  map[int]peer
}

func newKCPEvents() *kcpEvents { return &kcpEvents{ch: make(chan string, 4096), p: map[int]peer{}} }

func (e *kcpEvents) handlers() handlers {
	return handlers{
		connect: func(p peer) {
			e.mu.Lock()
			e.p[p.index] = p
			e.mu.Unlock()
			e.ch <- fmt.Sprintf("connect %d", p.index)
		},
		disconnect: func(p peer, err error) { e.ch <- fmt.Sprintf("disconnect %d", p.index) },
		payload:    func(p peer, b []byte) { e.ch <- fmt.Sprintf("payload %d %s", p.index, b) },
	}
}

func (e *kcpEvents) next(t *testing.T) string {
	t.Helper()
	select {
	case s := <-e.ch:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("no transport event")
		return ""
	}
}

// startKCPTransport runs a kcpTransport on a loopback socket; Close is a cleanup.
func startKCPTransport(t *testing.T, ev *kcpEvents) (*kcpTransport, netip.AddrPort, chan error) {
	t.Helper()
	conn := kcpUDP(t, netsim.Impairment{}, 0)
	cfg := Config{Game: newTestGame, Key: testKey, Logger: quietLogger()}
	require.NoError(t, cfg.populate())
	cfg.PublicAddr = conn.LocalAddr().(*net.UDPAddr).AddrPort()
	tr, err := newKCPTransport(conn, &cfg, ev.handlers())
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- tr.Serve() }()
	t.Cleanup(func() { tr.Close() })
	return tr.(*kcpTransport), cfg.PublicAddr, served
}

func TestKCPTransportConnectPayloadsSendDisconnect(t *testing.T) {
	kcpGoroutineCheck(t)
	ev := newKCPEvents()
	tr, addr, served := startKCPTransport(t, ev)
	var ud [wire.UserDataBytes]byte
	ud[0] = 0xAB
	s, err := kcpDial(t, testKey, addr, ud, 77, netsim.Impairment{Loss: 0.3, Duplicate: 0.05, Reorder: 0.05, Latency: 3 * time.Millisecond, Jitter: 2 * time.Millisecond})
	require.NoError(t, err)
	defer s.Close()

	require.Equal(t, "connect 1", ev.next(t))
	ev.mu.Lock()
	p := ev.p[1]
	ev.mu.Unlock()
	assert.Equal(t, uint64(77), p.id)
	assert.Equal(t, ud, p.userData)
	assert.True(t, p.addr.IsValid())

	for i := range 50 {
		require.NoError(t, s.Send(fmt.Appendf(nil, "m%02d", i)))
	}
	for i := range 50 {
		require.Equal(t, fmt.Sprintf("payload 1 m%02d", i), ev.next(t), "in order, exactly once")
	}
	for i := range 50 {
		require.NoError(t, tr.Send(1, fmt.Appendf(nil, "s%02d", i)))
	}
	for i := range 50 {
		msg, err := s.Receive()
		require.NoError(t, err)
		require.Equal(t, fmt.Sprintf("s%02d", i), string(msg))
	}
	assert.Error(t, tr.Send(99, []byte("x")), "unknown index")
	tr.Disconnect(99)

	// Disconnect delivers what was queued before it, then closes.
	require.NoError(t, tr.Send(1, []byte("last")))
	tr.Disconnect(1)
	msg, err := s.Receive()
	require.NoError(t, err)
	assert.Equal(t, "last", string(msg))
	_, err = s.Receive()
	assert.ErrorIs(t, err, io.EOF, "the server closed the session")
	assert.Equal(t, "disconnect 1", ev.next(t))
	assert.Error(t, tr.Send(1, []byte("x")), "after Disconnect")

	require.NoError(t, tr.Close())
	require.NoError(t, tr.Close(), "Close twice")
	require.ErrorIs(t, <-served, net.ErrClosed)
}

func TestKCPTransportRejectsBadToken(t *testing.T) {
	kcpGoroutineCheck(t)
	ev := newKCPEvents()
	tr, addr, _ := startKCPTransport(t, ev)
	_, err := kcpDial(t, secure.Key{9, 9, 9}, addr, [wire.UserDataBytes]byte{}, 5, netsim.Impairment{})
	require.ErrorIs(t, err, kcp.ErrDenied)
	select {
	case e := <-ev.ch:
		t.Fatalf("handler called for a bad token: %s", e)
	default:
	}
	require.NoError(t, tr.Close())
}

// A client that stops reading fills its KCP window, then the server's send queue: the next
// Send fails at once (the match loop never blocks) and the session is dropped.
func TestKCPTransportSendQueueOverflowDropsSession(t *testing.T) {
	kcpGoroutineCheck(t)
	ev := newKCPEvents()
	tr, addr, _ := startKCPTransport(t, ev)
	s, err := kcpDial(t, testKey, addr, [wire.UserDataBytes]byte{}, 8, netsim.Impairment{})
	require.NoError(t, err)
	defer s.Close()
	require.Equal(t, "connect 1", ev.next(t))

	big := make([]byte, 1100)
	var sendErr error
	start := time.Now()
	for i := 0; i < 20000 && sendErr == nil; i++ {
		sendErr = tr.Send(1, big)
	}
	require.Error(t, sendErr, "the queue must overflow")
	assert.Less(t, time.Since(start), 5*time.Second, "Send never blocks")
	assert.Equal(t, "disconnect 1", ev.next(t))
	assert.Error(t, tr.Send(1, big))
	require.NoError(t, tr.Close())
}

func TestTransportForNames(t *testing.T) {
	for _, name := range []string{"", "udp", "kcp"} {
		_, err := transportFor(name)
		assert.NoError(t, err, name)
	}
	_, err := transportFor("tcp")
	assert.ErrorIs(t, err, ErrUnknownTransport)
	conn := kcpUDP(t, netsim.Impairment{}, 0)
	defer conn.Close()
	_, err = New(conn, Config{Game: newTestGame, Key: testKey, Transport: "tcp"})
	assert.ErrorIs(t, err, ErrUnknownTransport)
}

// kcpLink adapts a kcp.Session to the headless test client's link.
type kcpLink struct {
	s        *kcp.Session
	payloads chan []byte
	done     chan struct{}
}

func newKCPLink(s *kcp.Session) *kcpLink {
	l := &kcpLink{s: s, payloads: make(chan []byte, 1024), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		for {
			msg, err := s.Receive()
			if err != nil {
				return
			}
			select {
			case l.payloads <- msg:
			case <-s.Done():
				return
			}
		}
	}()
	return l
}

func (l *kcpLink) Send(p []byte) error     { return l.s.Send(p) }
func (l *kcpLink) Payloads() <-chan []byte { return l.payloads }
func (l *kcpLink) Done() <-chan struct{}   { return l.done }
func (l *kcpLink) Close()                  { l.s.Close(); <-l.done }

func startKCPServer(t *testing.T, cfg Config) (*Server, netip.AddrPort, chan error) {
	t.Helper()
	conn := kcpUDP(t, netsim.Impairment{}, 0)
	cfg.Transport, cfg.Key, cfg.Logger = TransportKCP, testKey, quietLogger()
	srv, err := New(conn, cfg)
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	return srv, conn.LocalAddr().(*net.UDPAddr).AddrPort(), served
}

// In KCP mode the baseline of each snapshot is the previous one sent, acknowledged by
// construction: a client that never acknowledges anything still gets deltas, every snapshot
// arrives, and nothing is repeated.
func TestKCPSnapshotsDeltaAgainstPreviousWithoutAcks(t *testing.T) {
	kcpGoroutineCheck(t)
	srv, addr, served := startKCPServer(t, Config{Game: newTestGame, Tick: 60, SnapshotRate: 30,
		SnapshotRedundancy: RedundancyAlways})
	ud, err := ticket(60, 0, 2, "endless").Marshal()
	require.NoError(t, err)
	s, err := kcpDial(t, testKey, addr, ud, 1, netsim.Impairment{Loss: 0.1, Latency: 5 * time.Millisecond, Jitter: 3 * time.Millisecond})
	require.NoError(t, err)
	l := newKCPLink(s)
	h := newHeadless(l, testSchema)
	h.keepRaw = true
	timeout := time.After(20 * time.Second)
	for h.snapshots < 30 {
		select {
		case p := <-l.Payloads():
			require.NoError(t, h.receive(time.Now(), p)) // no input, so no snapshot ack, ever
		case <-timeout:
			t.Fatalf("%d snapshots in 20 s", h.snapshots)
		}
	}
	assert.Equal(t, 1, h.full, "only the first snapshot is whole")
	assert.Zero(t, h.decodeErrs)
	var prev uint32
	for i, raw := range h.raw {
		m, _, err := wire.ParseSnapshot(raw)
		require.NoError(t, err)
		tick, base, hasBase, err := snapshot.PeekTicks(m.Delta)
		require.NoError(t, err)
		if i > 0 {
			require.True(t, hasBase, "snapshot %d", i)
			assert.Equal(t, prev, base, "snapshot %d deltas against the previous one", i)
			assert.Equal(t, prev+2, tick, "every snapshot arrives, none twice (60/30 Hz)")
		}
		prev = tick
	}
	l.Close()
	require.NoError(t, srv.Close())
	require.ErrorIs(t, <-served, ErrServerClosed)
}

// TestKCPEndToEndMatch: four headless clients over KCP with 10 % loss and 20 ± 10 ms play a
// short match to its end; every one gets the result, every snapshot decodes, and they see the
// full snapshot rate.
func TestKCPEndToEndMatch(t *testing.T) {
	kcpGoroutineCheck(t)
	const players, tickRate, snapRate, matchTick = 4, 60, 30, 150
	results := &resultRecorder{got: make(chan struct{}, 4)}
	srv, addr, served := startKCPServer(t, Config{Game: newTestGame, Tick: tickRate, SnapshotRate: snapRate,
		Results: results, EndGrace: 500 * time.Millisecond})
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	imp := netsim.Impairment{Loss: 0.10, Latency: 20 * time.Millisecond, Jitter: 10 * time.Millisecond}
	clients := make([]*headless, players)
	done := make(chan error, players)
	for i := range players {
		ud, err := ticket(61, uint8(i), players, fmt.Sprintf("ticks:%d", matchTick)).Marshal()
		require.NoError(t, err)
		go func() {
			s, err := kcpDial(t, testKey, addr, ud, uint64(i+1), imp)
			if err != nil {
				done <- err
				return
			}
			l := newKCPLink(s)
			defer l.Close()
			clients[i] = newHeadless(l, testSchema)
			done <- clients[i].play(ctx, time.Second/tickRate, 300*time.Millisecond)
		}()
	}
	for range players {
		require.NoError(t, <-done)
	}
	<-results.got
	rep := results.all()[0]
	for i, c := range clients {
		require.NotNil(t, c.end, "client %d saw no MatchEnd", i)
		assert.Equal(t, rep.Result, c.end.Result)
		assert.Zero(t, c.decodeErrs)
		assert.Equal(t, 1, c.full, "client %d: one full snapshot, then deltas", i)
		expected := float64(matchTick-c.firstTick)*snapRate/tickRate + 1
		assert.GreaterOrEqual(t, float64(c.snapshots)/expected, 0.97, "client %d: %d of %.0f", i, c.snapshots, expected)
	}
	require.NoError(t, srv.Close())
	require.ErrorIs(t, <-served, ErrServerClosed)
}
