package secure

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/skirmish-go/skirmish/netcode/netsim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tapConn wraps a PacketConn: it records every datagram written (with its
// destination) and, while blocked, drops writes on the floor, as a cut cable
// would.
type tapConn struct {
	net.PacketConn
	blocked atomic.Bool
	mu      sync.Mutex
	sent    []tapped
}

type tapped struct {
	to   netip.AddrPort
	data []byte
}

func (c *tapConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	c.mu.Lock()
	c.sent = append(c.sent, tapped{to: addrPortOf(addr), data: append([]byte(nil), b...)})
	c.mu.Unlock()
	if c.blocked.Load() {
		return len(b), nil
	}
	return c.PacketConn.WriteTo(b, addr)
}

func (c *tapConn) written() []tapped {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]tapped(nil), c.sent...)
}

// fakeServer answers connection requests with a challenge and the
// responses that follow with a denial once it has seen denyAfter of them:
// a server that fails a client half-way through the handshake.
func fakeServer(t *testing.T, conn net.PacketConn, tok *ConnectToken, denyAfter int) (stop func()) {
	s2c, err := newPacketCrypto(tok.ServerToClientKey, tok.ProtocolID)
	require.NoError(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, readBufBytes)
		seq := serverGlobalSequenceStart
		responses := 0
		for {
			n, from, err := conn.ReadFrom(buf)
			if err != nil {
				return
			}
			var out []byte
			switch b := buf[:n]; {
			case len(b) == RequestPacketBytes && b[0] == byte(packetRequest):
				var ch [challengeTokenBytes]byte
				out = s2c.appendChallengeLike(nil, packetChallenge, seq, 7, &ch)
			case len(b) > 0 && packetType(b[0]&0x0f) == packetResponse:
				if responses++; responses < denyAfter {
					continue
				}
				out = s2c.appendPacket(nil, packetDenied, seq, nil)
			default:
				continue
			}
			seq++
			if _, err := conn.WriteTo(out, from); err != nil {
				return
			}
		}
	}()
	return func() {
		conn.Close()
		<-done
	}
}

// TestNextServerKeepsSendSequence: a client that moves to the next server of
// its token keeps counting its packet sequence, because every server of the
// token shares one client-to-server key and the sequence is the nonce.
func TestNextServerKeepsSendSequence(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := netsim.NewNetwork()
		good := startTestServer(t, n, ServerConfig{}, nil)
		defer good.stop()
		badConn, err := n.Listen("127.0.0.1:0")
		require.NoError(t, err)
		bad := addrPortOf(badConn.LocalAddr())

		raw := good.token(1, func(p *TokenParams) { p.ServerAddrs = []netip.AddrPort{bad, good.addr} })
		tok, err := ParseConnectToken(raw)
		require.NoError(t, err)
		stopFake := fakeServer(t, badConn, tok, 3)
		defer stopFake()

		cconn, err := n.Listen("127.0.0.1:0")
		require.NoError(t, err)
		tap := &tapConn{PacketConn: cconn}
		c, err := Dial(context.Background(), tap, raw, ClientConfig{})
		require.NoError(t, err)
		assert.Equal(t, good.addr, c.ServerAddr())
		for i := range 5 {
			require.NoError(t, c.Send([]byte{byte(i)}))
		}
		time.Sleep(time.Second) // keep-alives as well
		require.NoError(t, c.Close())

		seen := map[uint64]netip.AddrPort{}
		perServer := map[netip.AddrPort]int{}
		for _, w := range tap.written() {
			if w.data[0] == byte(packetRequest) {
				continue // unencrypted, no sequence
			}
			h, err := parseHeader(w.data, 0x7e)
			require.NoError(t, err)
			if first, ok := seen[h.Sequence]; ok {
				t.Fatalf("sequence %d (a %v packet to %v) was already used towards %v under the same key", h.Sequence, h.Type, w.to, first)
			}
			seen[h.Sequence] = w.to
			perServer[w.to]++
		}
		assert.GreaterOrEqual(t, perServer[bad], 3, "responses to the server that failed the client")
		assert.Greater(t, perServer[good.addr], 5, "response, payloads, keep-alives and disconnects to the second")
	})
}

// TestDialClockAhead: a client whose clock runs an hour ahead of the
// servers' still connects; expiry is the server's to judge.
func TestDialClockAhead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := netsim.NewNetwork()
		ts := startTestServer(t, n, ServerConfig{}, nil)
		defer ts.stop()
		conn, err := n.Listen("127.0.0.1:0")
		require.NoError(t, err)
		ahead := func() time.Time { return time.Now().Add(time.Hour) }
		c, err := Dial(context.Background(), conn, ts.token(1, nil), ClientConfig{Now: ahead})
		require.NoError(t, err, "a token that looks expired by the client's clock")
		defer c.Close()
		waitFor(t, ts.connects, time.Second, "connect")
		require.NoError(t, c.Send([]byte("hi")))
		synctest.Wait()
		assert.Equal(t, 1, ts.payloadCount(c.ClientIndex()))
	})
}

// TestDialExpiredTokenIsTheServersCall: a token that really has expired is
// sent anyway; the server drops its requests and the client times out.
func TestDialExpiredTokenIsTheServersCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := netsim.NewNetwork()
		ts := startTestServer(t, n, ServerConfig{}, nil)
		defer ts.stop()
		start := time.Now()
		_, err := dial(t, n, ts.token(1, func(p *TokenParams) { p.Now = time.Now().Add(-time.Minute); p.TimeoutSeconds = 2 }))
		assert.ErrorIs(t, err, ErrConnectTimedOut)
		assert.InDelta(t, 2*time.Second, time.Since(start), float64(2*sendInterval))
		assert.Positive(t, ts.srv.Stats().DroppedExpiredToken)
		assert.Zero(t, ts.srv.Stats().ChallengesSent)
	})
}

func TestTokenLifetime(t *testing.T) {
	for _, tc := range []struct {
		create, expire uint64
		want           time.Duration
		never          bool
	}{
		{create: 100, expire: 130, want: 30 * time.Second},
		{create: 100, expire: 100, want: 0},
		{create: 1796559177, expire: NeverExpires, never: true},
		{create: 0, expire: maxExpireUnix, never: true}, // longer than a time.Duration
		{create: maxExpireUnix - 60, expire: maxExpireUnix, want: time.Minute},
		{create: 0, expire: maxExpireUnix + 1, never: true},
	} {
		got, ok := tokenLifetime(&ConnectToken{CreateTimestamp: tc.create, ExpireTimestamp: tc.expire})
		assert.Equal(t, !tc.never, ok, "%d..%d", tc.create, tc.expire)
		assert.Equal(t, tc.want, got, "%d..%d", tc.create, tc.expire)
	}
	at, ok := expiryTime(NeverExpires)
	assert.False(t, ok)
	assert.True(t, at.IsZero())
	at, ok = expiryTime(1796559207)
	assert.True(t, ok)
	assert.Equal(t, int64(1796559207), at.Unix())
}

// TestPendingTableReclaimsQuietHandshakes: half-open handshakes that never
// expire cannot hold a full table for good; one whose client has gone quiet
// gives way to a newcomer, one that is still talking does not.
func TestPendingTableReclaimsQuietHandshakes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := netsim.NewNetwork()
		ts := startTestServer(t, n, ServerConfig{MaxClients: 1}, nil) // 4 half-open handshakes at most
		defer ts.stop()
		noTimeout := func(p *TokenParams) { p.TimeoutSeconds = -1; p.ExpireAfter = time.Hour }
		var quiet []*rawClient
		for id := range uint64(4) {
			rc := newRawClient(t, n, ts.addr, ts.token(10+id, noTimeout))
			defer rc.conn.Close()
			rc.request()
			body, _ := rc.readType(packetChallenge)
			require.NotNil(t, body)
			quiet = append(quiet, rc)
		}
		late := newRawClient(t, n, ts.addr, ts.token(20, noTimeout))
		defer late.conn.Close()
		late.request()
		synctest.Wait()
		assert.Equal(t, uint64(1), ts.srv.Stats().DroppedPendingFull, "all four heard from just now")

		time.Sleep(10 * time.Second) // far past every timeout the tick knows, but these have none
		ts.srv.mu.Lock()
		assert.Len(t, ts.srv.pending, 4, "no timeout: the tick keeps them")
		ts.srv.mu.Unlock()
		late.handshake()
		assert.Equal(t, 1, ts.srv.NumClients(), "a quiet mapping gave way")
		assert.Equal(t, uint64(1), ts.srv.Stats().DroppedPendingFull)
	})
}

// TestClientOnPayload: with OnPayload set, payloads go to it (not to
// Payloads()), and it may call Send: the client echoes what it hears.
func TestClientOnPayload(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := netsim.NewNetwork()
		ts := startTestServer(t, n, ServerConfig{}, nil)
		defer ts.stop()
		conn, err := n.Listen("127.0.0.1:0")
		require.NoError(t, err)
		var c *Client
		heard := make(chan string, 4)
		c, err = Dial(context.Background(), conn, ts.token(1, nil), ClientConfig{OnPayload: func(p []byte) {
			heard <- string(p)
			assert.NoError(t, c.Send(p))
		}})
		require.NoError(t, err)
		defer c.Close()
		waitFor(t, ts.connects, time.Second, "connect")
		require.NoError(t, ts.srv.Send(c.ClientIndex(), []byte("echo me")))
		assert.Equal(t, "echo me", waitFor(t, heard, time.Second, "OnPayload"))
		synctest.Wait()
		ts.mu.Lock()
		assert.Equal(t, [][]byte{[]byte("echo me")}, ts.payloads[c.ClientIndex()])
		ts.mu.Unlock()
		assert.Empty(t, c.Payloads())
	})
}

// TestKeepAliveOnlyWhenQuiet: a client that sends a payload at least every 100 ms sends no
// keep-alives (as netcode.c: a keep-alive goes out only when nothing else did for a whole send
// interval); once it falls quiet, keep-alives carry the connection again.
func TestKeepAliveOnlyWhenQuiet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := netsim.NewNetwork()
		ts := startTestServer(t, n, ServerConfig{}, nil)
		defer ts.stop()
		cconn, err := n.Listen("127.0.0.1:0")
		require.NoError(t, err)
		tap := &tapConn{PacketConn: cconn}
		c, err := Dial(context.Background(), tap, ts.token(1, nil), ClientConfig{})
		require.NoError(t, err)
		defer c.Close()

		keepAlives := func() int {
			k := 0
			for _, w := range tap.written() {
				if w.data[0] != byte(packetRequest) && packetType(w.data[0]&0x0f) == packetKeepAlive {
					k++
				}
			}
			return k
		}
		// 90 ms apart: the ticker finds the last payload anywhere from 0 to 90 ms old.
		before := keepAlives()
		for i := range 30 {
			require.NoError(t, c.Send([]byte{byte(i)}))
			time.Sleep(90 * time.Millisecond)
		}
		assert.Equal(t, before, keepAlives(), "keep-alives while payloads went out every 90 ms")

		quiet := keepAlives()
		time.Sleep(time.Second)
		assert.GreaterOrEqual(t, keepAlives()-quiet, 9, "keep-alives in a quiet second")
		require.NoError(t, c.Err())
	})
}
