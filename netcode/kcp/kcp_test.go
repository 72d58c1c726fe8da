package kcp

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/netcode/netsim"
	"github.com/skirmish-go/skirmish/netcode/secure"
)

// TestLossyMessagesInOrderExactlyOnce runs the handshake and 2,000 messages
// each way at once over 30 % loss with duplication and reordering.
func TestLossyMessagesInOrderExactlyOnce(t *testing.T) {
	checkGoroutines(t)
	srv := startServer(t, lossy(1), ServerConfig{})
	var ud [secure.UserDataBytes]byte
	copy(ud[:], "match 7, team blue")
	tok := makeToken(t, testKey, secure.TokenParams{ClientID: 42, ServerAddrs: []netip.AddrPort{srv.addr}, UserData: ud})
	cconn := udp(t, lossy(2))
	start := time.Now()
	cs, err := dialTest(t, cconn, tok, ClientConfig{})
	require.NoError(t, err)
	handshake := time.Since(start)
	ss := acceptOne(t, srv.l)
	assert.Equal(t, uint64(42), ss.ClientID())
	assert.Equal(t, uint64(42), cs.ClientID())
	assert.Equal(t, ud, ss.UserData())

	const n = 2000
	run := func(from, to *Session) (lat []time.Duration, err error) {
		errc := make(chan error, 1)
		go func() {
			buf := make([]byte, 300)
			for i := range n {
				size := 12 + i%289
				binary.LittleEndian.PutUint32(buf, uint32(i))
				binary.LittleEndian.PutUint64(buf[4:], uint64(time.Now().UnixNano()))
				for j := 12; j < size; j++ {
					buf[j] = byte(i + j)
				}
				if err := from.Send(buf[:size]); err != nil {
					errc <- err
					return
				}
			}
			errc <- nil
		}()
		to.SetReadDeadline(time.Now().Add(20 * time.Second))
		for i := range n {
			m, err := to.Receive()
			if err != nil {
				return lat, fmt.Errorf("message %d: %w", i, err)
			}
			if len(m) != 12+i%289 || binary.LittleEndian.Uint32(m) != uint32(i) {
				return lat, fmt.Errorf("message %d: got seq %d len %d", i, binary.LittleEndian.Uint32(m), len(m))
			}
			for j := 12; j < len(m); j++ {
				if m[j] != byte(i+j) {
					return lat, fmt.Errorf("message %d: corrupt byte %d", i, j)
				}
			}
			lat = append(lat, time.Since(time.Unix(0, int64(binary.LittleEndian.Uint64(m[4:])))))
		}
		return lat, <-errc
	}
	var wg sync.WaitGroup
	var up, down []time.Duration
	var upErr, downErr error
	xfer := time.Now()
	wg.Go(func() { up, upErr = run(cs, ss) })
	wg.Go(func() { down, downErr = run(ss, cs) })
	wg.Wait()
	elapsed := time.Since(xfer)
	require.NoError(t, upErr)
	require.NoError(t, downErr)

	slices.Sort(up)
	slices.Sort(down)
	st := cconn.Stats()
	t.Logf("30%% loss: handshake %v; %d msgs each way in %v (%.0f msg/s per direction); latency up p50 %v p99 %v, down p50 %v p99 %v; client sent %d datagrams (%d dropped), RTT %v",
		handshake.Round(time.Millisecond), n, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(),
		up[n/2].Round(time.Microsecond), up[n*99/100].Round(time.Microsecond),
		down[n/2].Round(time.Microsecond), down[n*99/100].Round(time.Microsecond),
		st.Send.Packets, st.Send.Dropped, cs.RTT())

	// Nothing more arrives: exactly once.
	cs.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	_, err = cs.Receive()
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)

	require.NoError(t, cs.Close())
	require.NoError(t, ss.Close())
	require.NoError(t, cs.Close(), "second Close")
	require.NoError(t, srv.l.Close())
	require.NoError(t, srv.l.Close(), "second Close")
}

// TestCloseDeliversEverything: messages sent before Close all arrive, then
// the peer reads io.EOF, and a Send after that fails with ErrPeerClosed.
func TestCloseDeliversEverything(t *testing.T) {
	checkGoroutines(t)
	srv := startServer(t, lossy(3), ServerConfig{})
	tok := makeToken(t, testKey, secure.TokenParams{ClientID: 1, ServerAddrs: []netip.AddrPort{srv.addr}})
	cs, err := dialTest(t, udp(t, lossy(4)), tok, ClientConfig{})
	require.NoError(t, err)
	defer cs.Close()
	ss := acceptOne(t, srv.l)
	for i := range 100 {
		require.NoError(t, ss.Send([]byte{byte(i)}))
	}
	require.NoError(t, ss.Close())
	require.ErrorIs(t, ss.Send([]byte{1}), net.ErrClosed)
	_, err = ss.Receive()
	require.ErrorIs(t, err, net.ErrClosed)

	cs.SetReadDeadline(time.Now().Add(10 * time.Second))
	for i := range 100 {
		m, err := cs.Receive()
		require.NoError(t, err)
		require.Equal(t, []byte{byte(i)}, m)
	}
	_, err = cs.Receive()
	require.Equal(t, io.EOF, err)
	require.ErrorIs(t, cs.Send([]byte{1}), ErrPeerClosed)
	require.Equal(t, io.EOF, cs.Err())
	require.NoError(t, cs.Close())
}

func TestBadTokensDenied(t *testing.T) {
	checkGoroutines(t)
	srv := startServer(t, lossy(5), ServerConfig{})
	otherKey := secure.Key{9, 9, 9}
	addrs := []netip.AddrPort{srv.addr}
	past := time.Now().Add(-time.Hour)
	tampered := makeToken(t, testKey, secure.TokenParams{ClientID: 5, ServerAddrs: addrs})
	tampered[13+8+8+8+24+100] ^= 1 // a byte of the sealed private part
	expiredPub := makeToken(t, testKey, secure.TokenParams{ClientID: 6, ServerAddrs: addrs})
	expiredPub[13+8+8] ^= 1 // the public expire timestamp (authenticated)

	tests := []struct {
		name      string
		tok       []byte
		clientNow time.Time
		want      DenyReason
	}{
		{"forged", makeToken(t, otherKey, secure.TokenParams{ClientID: 1, ServerAddrs: addrs}), time.Time{}, DenyInvalidToken},
		{"expired", makeToken(t, testKey, secure.TokenParams{ClientID: 2, ServerAddrs: addrs, Now: past}), past, DenyTokenExpired},
		{"wrong protocol", makeToken(t, testKey, secure.TokenParams{ProtocolID: 77, ClientID: 3, ServerAddrs: addrs}), time.Time{}, DenyWrongProtocol},
		{"wrong address", makeToken(t, testKey, secure.TokenParams{ClientID: 4, ServerAddrs: []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:9")}}), time.Time{}, 0},
		{"tampered", tampered, time.Time{}, DenyInvalidToken},
		{"tampered expiry", expiredPub, time.Time{}, DenyInvalidToken},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ClientConfig{}
			if !tt.clientNow.IsZero() {
				cfg.Now = func() time.Time { return tt.clientNow }
			}
			tok := tt.tok
			if tt.name == "wrong address" {
				// The token names another server; send its hello to ours anyway.
				tok = retarget(t, tok, srv.addr)
				tt.want = DenyWrongAddress
			}
			_, err := dialTest(t, udp(t, lossy(int64(100+i))), tok, cfg)
			require.ErrorIs(t, err, ErrDenied)
			var de *DeniedError
			require.ErrorAs(t, err, &de)
			require.Equal(t, tt.want, de.Reason, "%v", err)
		})
	}
	require.Zero(t, srv.l.NumSessions())
}

// retarget rewrites the public server list of a token (which the server
// cannot see) so the client sends the hello to addr.
func retarget(t *testing.T, tok []byte, addr netip.AddrPort) []byte {
	ct, err := secure.ParseConnectToken(tok)
	require.NoError(t, err)
	ct.ServerAddrs = []netip.AddrPort{addr}
	return ct.Append(nil)
}

func TestTokenReuseAndDuplicateClient(t *testing.T) {
	checkGoroutines(t)
	srv := startServer(t, lossy(6), ServerConfig{})
	tok := makeToken(t, testKey, secure.TokenParams{ClientID: 9, ServerAddrs: []netip.AddrPort{srv.addr}})
	cs, err := dialTest(t, udp(t, lossy(7)), tok, ClientConfig{})
	require.NoError(t, err)
	defer cs.Close()
	ss := acceptOne(t, srv.l)
	defer ss.Close()

	_, err = dialTest(t, udp(t, lossy(8)), tok, ClientConfig{})
	var de *DeniedError
	require.ErrorAs(t, err, &de)
	require.Equal(t, DenyTokenReused, de.Reason)

	tok2 := makeToken(t, testKey, secure.TokenParams{ClientID: 9, ServerAddrs: []netip.AddrPort{srv.addr}})
	_, err = dialTest(t, udp(t, lossy(9)), tok2, ClientConfig{})
	require.ErrorAs(t, err, &de)
	require.Equal(t, DenyAlreadyConnected, de.Reason)
}

func TestServerFull(t *testing.T) {
	checkGoroutines(t)
	srv := startServer(t, netsim.Config{}, ServerConfig{MaxClients: 1})
	addrs := []netip.AddrPort{srv.addr}
	cs, err := dialTest(t, udp(t, netsim.Config{}), makeToken(t, testKey, secure.TokenParams{ClientID: 1, ServerAddrs: addrs}), ClientConfig{})
	require.NoError(t, err)
	defer cs.Close()
	ss := acceptOne(t, srv.l)
	defer ss.Close()
	_, err = dialTest(t, udp(t, netsim.Config{}), makeToken(t, testKey, secure.TokenParams{ClientID: 2, ServerAddrs: addrs}), ClientConfig{})
	var de *DeniedError
	require.ErrorAs(t, err, &de)
	require.Equal(t, DenyServerFull, de.Reason)
}

func TestClientSideTokenErrors(t *testing.T) {
	checkGoroutines(t)
	_, err := Dial(t.Context(), udp(t, netsim.Config{}), make([]byte, 100), ClientConfig{})
	require.ErrorIs(t, err, ErrInvalidToken)
	require.ErrorIs(t, err, secure.ErrInvalidToken)
}

// TestDialClockAhead: expiry is the server's call (as in netcode.io), so a client whose clock
// runs an hour ahead of the server's still connects with a fresh token.
func TestDialClockAhead(t *testing.T) {
	checkGoroutines(t)
	srv := startServer(t, netsim.Config{}, ServerConfig{})
	tok := makeToken(t, testKey, secure.TokenParams{ClientID: 7, ServerAddrs: []netip.AddrPort{srv.addr}})
	ahead := func() time.Time { return time.Now().Add(time.Hour) }
	cs, err := dialTest(t, udp(t, netsim.Config{}), tok, ClientConfig{Now: ahead})
	require.NoError(t, err)
	defer cs.Close()
	ss := acceptOne(t, srv.l)
	defer ss.Close()
}

// TestDialTriesServersInOrder: the first server never answers, the second
// welcomes; then a token whose only server is silent times out.
func TestDialTriesServersInOrder(t *testing.T) {
	checkGoroutines(t)
	silent := udp(t, netsim.Config{}) // bound, never read: datagrams vanish
	defer silent.Close()
	srv := startServer(t, lossy(10), ServerConfig{})
	tok := makeToken(t, testKey, secure.TokenParams{ClientID: 3, ServerAddrs: []netip.AddrPort{addrOf(silent), srv.addr}})
	cs, err := dialTest(t, udp(t, lossy(11)), tok, ClientConfig{ConnectTimeout: 300 * time.Millisecond})
	require.NoError(t, err)
	ss := acceptOne(t, srv.l)
	require.NoError(t, cs.Send([]byte("hi")))
	ss.SetReadDeadline(time.Now().Add(5 * time.Second))
	m, err := ss.Receive()
	require.NoError(t, err)
	require.Equal(t, "hi", string(m))
	cs.Close()
	ss.Close()

	tok = makeToken(t, testKey, secure.TokenParams{ClientID: 4, ServerAddrs: []netip.AddrPort{addrOf(silent)}})
	_, err = dialTest(t, udp(t, netsim.Config{}), tok, ClientConfig{ConnectTimeout: 200 * time.Millisecond})
	require.ErrorIs(t, err, ErrConnectTimedOut)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = Dial(ctx, udp(t, netsim.Config{}), tok, ClientConfig{})
	require.ErrorIs(t, err, context.Canceled)
}

// TestTamperedFrameDropsSession flips one bit of a message on the wire
// (KCP itself has no checksum without kcp-go's crypt): the server's AEAD
// check fails and it drops the session.
func TestTamperedFrameDropsSession(t *testing.T) {
	checkGoroutines(t)
	srv := startServer(t, netsim.Config{}, ServerConfig{})
	tok := makeToken(t, testKey, secure.TokenParams{ClientID: 1, ServerAddrs: []netip.AddrPort{srv.addr}})
	gate := &gateConn{PacketConn: udp(t, netsim.Config{}), tamperOver: 100}
	cs, err := dialTest(t, gate, tok, ClientConfig{})
	require.NoError(t, err)
	defer cs.Close()
	ss := acceptOne(t, srv.l)
	defer ss.Close()

	require.NoError(t, cs.Send([]byte("before")))
	ss.SetReadDeadline(time.Now().Add(5 * time.Second))
	m, err := ss.Receive()
	require.NoError(t, err)
	require.Equal(t, "before", string(m))

	gate.tamper.Store(true)
	require.NoError(t, cs.Send(make([]byte, 200)))
	_, err = ss.Receive()
	require.ErrorIs(t, err, ErrAuthFailed)
	require.ErrorIs(t, ss.Err(), ErrAuthFailed)
	require.Zero(t, srv.l.NumSessions())
}

// TestSilentPeerTimesOut: after the token's timeout with nothing from the
// client, the server ends the session with ErrTimedOut.
func TestSilentPeerTimesOut(t *testing.T) {
	checkGoroutines(t)
	srv := startServer(t, netsim.Config{}, ServerConfig{})
	tok := makeToken(t, testKey, secure.TokenParams{ClientID: 1, TimeoutSeconds: 1, ServerAddrs: []netip.AddrPort{srv.addr}})
	gate := &gateConn{PacketConn: udp(t, netsim.Config{}), tamperOver: 1 << 20}
	cs, err := dialTest(t, gate, tok, ClientConfig{})
	require.NoError(t, err)
	defer cs.Close()
	ss := acceptOne(t, srv.l)
	defer ss.Close()
	gate.drop.Store(true)
	select {
	case <-ss.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("server session did not time out")
	}
	require.ErrorIs(t, ss.Err(), ErrTimedOut)
}

func TestDeadlinesAndErrors(t *testing.T) {
	checkGoroutines(t)
	srv := startServer(t, netsim.Config{}, ServerConfig{})
	tok := makeToken(t, testKey, secure.TokenParams{ClientID: 1, ServerAddrs: []netip.AddrPort{srv.addr}})
	cs, err := dialTest(t, udp(t, netsim.Config{}), tok, ClientConfig{})
	require.NoError(t, err)
	ss := acceptOne(t, srv.l)

	isTimeoutErr := func(err error) {
		t.Helper()
		require.ErrorIs(t, err, os.ErrDeadlineExceeded)
		var ne net.Error
		require.ErrorAs(t, err, &ne)
		require.True(t, ne.Timeout())
	}
	ss.SetReadDeadline(time.Now().Add(-time.Second))
	_, err = ss.Receive()
	isTimeoutErr(err)
	ss.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
	_, err = ss.Receive()
	isTimeoutErr(err)
	cs.SetWriteDeadline(time.Now().Add(-time.Second))
	isTimeoutErr(cs.Send([]byte("x")))

	// A pending Receive sees a deadline set later.
	ss.SetReadDeadline(time.Time{})
	errc := make(chan error, 1)
	go func() { _, err := ss.Receive(); errc <- err }()
	ss.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	isTimeoutErr(<-errc)

	// Clearing the deadlines makes the session usable again.
	cs.SetDeadline(time.Time{})
	ss.SetDeadline(time.Now().Add(5 * time.Second))
	require.NoError(t, cs.Send([]byte("y")))
	m, err := ss.Receive()
	require.NoError(t, err)
	require.Equal(t, "y", string(m))

	require.ErrorIs(t, cs.Send(make([]byte, MaxMessageBytes+1)), ErrMessageTooLarge)
	big := make([]byte, MaxMessageBytes)
	big[MaxMessageBytes-1] = 7
	require.NoError(t, cs.Send(big))
	m, err = ss.Receive()
	require.NoError(t, err)
	require.Equal(t, big, m)

	// A Receive blocked when Close is called returns net.ErrClosed.
	go func() { _, err := cs.Receive(); errc <- err }()
	require.NoError(t, cs.Close())
	require.ErrorIs(t, <-errc, net.ErrClosed)
	require.ErrorIs(t, cs.Send([]byte("z")), net.ErrClosed)
	require.NoError(t, ss.Close())

	require.NoError(t, srv.l.Close())
	_, err = srv.l.Accept()
	require.ErrorIs(t, err, net.ErrClosed)
}

// TestFEC runs the handshake and messages with Reed-Solomon FEC on.
func TestFEC(t *testing.T) {
	checkGoroutines(t)
	opts := Options{FEC: FEC{DataShards: 10, ParityShards: 3}}
	srv := startServer(t, lossy(12), ServerConfig{Options: opts})
	tok := makeToken(t, testKey, secure.TokenParams{ClientID: 1, ServerAddrs: []netip.AddrPort{srv.addr}})
	cs, err := dialTest(t, udp(t, lossy(13)), tok, ClientConfig{Options: opts})
	require.NoError(t, err)
	defer cs.Close()
	ss := acceptOne(t, srv.l)
	defer ss.Close()
	ss.SetReadDeadline(time.Now().Add(10 * time.Second))
	for i := range 300 {
		require.NoError(t, cs.Send([]byte{byte(i), byte(i >> 8)}))
	}
	for i := range 300 {
		m, err := ss.Receive()
		require.NoError(t, err)
		require.Equal(t, []byte{byte(i), byte(i >> 8)}, m)
	}
}

// TestListenerCloseEndsSessions: closing the listener closes its sessions
// (the client reads io.EOF) and a pending Accept.
func TestListenerCloseEndsSessions(t *testing.T) {
	checkGoroutines(t)
	srv := startServer(t, lossy(14), ServerConfig{})
	tok := makeToken(t, testKey, secure.TokenParams{ClientID: 1, ServerAddrs: []netip.AddrPort{srv.addr}})
	cs, err := dialTest(t, udp(t, lossy(15)), tok, ClientConfig{})
	require.NoError(t, err)
	defer cs.Close()
	ss := acceptOne(t, srv.l)
	acc := make(chan error, 1)
	go func() { _, err := srv.l.Accept(); acc <- err }()
	require.NoError(t, srv.l.Close())
	require.ErrorIs(t, <-acc, net.ErrClosed)
	require.ErrorIs(t, ss.Err(), net.ErrClosed)
	cs.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = cs.Receive()
	require.Equal(t, io.EOF, err)
}

func TestParseFEC(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want FEC
		bad  bool
	}{
		{"", FEC{}, false},
		{"off", FEC{}, false},
		{"0,0", FEC{}, false},
		{"10,3", FEC{10, 3}, false},
		{" 4 , 2 ", FEC{4, 2}, false},
		{"10", FEC{}, true},
		{"a,b", FEC{}, true},
		{"0,3", FEC{}, true},
		{"3,0", FEC{}, true},
		{"200,100", FEC{}, true},
		{"-1,2", FEC{}, true},
	} {
		got, err := ParseFEC(tt.in)
		if tt.bad {
			assert.Error(t, err, tt.in)
			continue
		}
		assert.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
		var f FEC
		assert.NoError(t, f.Set(got.String()))
		assert.Equal(t, got, f)
	}
}

func TestTranslate(t *testing.T) {
	require.ErrorIs(t, translate("x", fmt.Errorf("wrapped: %w", io.ErrClosedPipe)), net.ErrClosed)
	err := translate("read", kcpTimeout{})
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	var ne net.Error
	require.True(t, errors.As(err, &ne) && ne.Timeout())
	require.Nil(t, translate("x", nil))
}

type kcpTimeout struct{}

func (kcpTimeout) Error() string   { return "timeout" }
func (kcpTimeout) Timeout() bool   { return true }
func (kcpTimeout) Temporary() bool { return true }

// TestPacedLatency sends 200-byte messages at 60 Hz from the server to the
// client (like snapshots) for one second, at 0 % and 30 % loss (each way,
// 3 ms ± 2 ms one-way), and logs delivery latency and wire overhead.
func TestPacedLatency(t *testing.T) {
	checkGoroutines(t)
	for i, loss := range []float64{0, 0.3} {
		link := lossy(int64(20 + 2*i))
		link.Send.Loss = loss
		srv := startServer(t, link, ServerConfig{})
		tok := makeToken(t, testKey, secure.TokenParams{ClientID: 1, ServerAddrs: []netip.AddrPort{srv.addr}})
		clink := lossy(int64(21 + 2*i))
		clink.Send.Loss = loss
		cconn := udp(t, clink)
		cs, err := dialTest(t, cconn, tok, ClientConfig{})
		require.NoError(t, err)
		ss := acceptOne(t, srv.l)
		before := srv.conn.Stats().Send.Bytes
		const n, size = 60, 200
		done := make(chan error, 1)
		go func() {
			tick := time.NewTicker(time.Second / 60)
			defer tick.Stop()
			msg := make([]byte, size)
			for range n {
				<-tick.C
				binary.LittleEndian.PutUint64(msg, uint64(time.Now().UnixNano()))
				if err := ss.Send(msg); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
		var lat []time.Duration
		cs.SetReadDeadline(time.Now().Add(10 * time.Second))
		for range n {
			m, err := cs.Receive()
			require.NoError(t, err)
			lat = append(lat, time.Since(time.Unix(0, int64(binary.LittleEndian.Uint64(m)))))
		}
		require.NoError(t, <-done)
		wire := srv.conn.Stats().Send.Bytes - before
		slices.Sort(lat)
		t.Logf("%2.0f%% loss, 60 Hz x %d B: latency p50 %v p99 %v max %v; server wrote %d B for %d B of messages (%.2fx, UDP/IP headers not counted)",
			loss*100, size, lat[n/2].Round(100*time.Microsecond), lat[n*99/100].Round(100*time.Microsecond), lat[n-1].Round(100*time.Microsecond),
			wire, n*size, float64(wire)/float64(n*size))
		require.NoError(t, cs.Close())
		require.NoError(t, ss.Close())
		require.NoError(t, srv.l.Close())
	}
}

// TestPlainUDP runs a session over bare UDP sockets (kcp-go's recvmmsg
// path on Linux) rather than netsim.
func TestPlainUDP(t *testing.T) {
	checkGoroutines(t)
	sc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(t, err)
	l, err := Listen(sc, ServerConfig{ProtocolID: testProtocolID, PrivateKey: testKey})
	require.NoError(t, err)
	defer l.Close()
	cc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(t, err)
	tok := makeToken(t, testKey, secure.TokenParams{ClientID: 77, ServerAddrs: []netip.AddrPort{addrOf(sc)}})
	cs, err := dialTest(t, cc, tok, ClientConfig{})
	require.NoError(t, err)
	ss := acceptOne(t, l)
	require.NoError(t, ss.Send([]byte("snapshot")))
	cs.SetReadDeadline(time.Now().Add(5 * time.Second))
	m, err := cs.Receive()
	require.NoError(t, err)
	require.Equal(t, "snapshot", string(m))
	require.NoError(t, cs.Close())
	require.NoError(t, ss.Close())
	require.NoError(t, l.Close())
}
