package secure

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/skirmish-go/skirmish/netcode/netsim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lossy is the acceptance test's link: 10 % loss, jitter wide enough to
// reorder, duplication and explicit reordering, applied to both directions
// of the server's conn.
var lossy = netsim.Impairment{
	Loss:      0.10,
	Duplicate: 0.10,
	Reorder:   0.10,
	Latency:   30 * time.Millisecond,
	Jitter:    20 * time.Millisecond,
}

type disconnectEvent struct {
	info   ClientInfo
	reason error
	at     time.Time
}

// testServer runs a Server on a netsim network inside a synctest bubble and
// records its callbacks.
type testServer struct {
	t       *testing.T
	srv     *Server
	raw     net.PacketConn // the unwrapped MemConn
	link    *netsim.Conn   // the impaired conn, if any
	addr    netip.AddrPort
	key     Key
	serveCh chan error

	connects    chan ClientInfo
	disconnects chan disconnectEvent
	mu          sync.Mutex
	payloads    map[int][][]byte
}

func startTestServer(t *testing.T, n *netsim.Network, cfg ServerConfig, imp *netsim.Impairment) *testServer {
	t.Helper()
	raw, err := n.Listen("127.0.0.1:0")
	require.NoError(t, err)
	conn := raw
	var link *netsim.Conn
	if imp != nil {
		link = netsim.Wrap(raw, netsim.Config{Send: *imp, Recv: *imp, Seed: 7})
		conn = link
	}
	if cfg.PrivateKey == (Key{}) {
		cfg.PrivateKey = testKey(0x77)
	}
	ts := &testServer{
		t:           t,
		raw:         raw,
		link:        link,
		key:         cfg.PrivateKey,
		serveCh:     make(chan error, 1),
		connects:    make(chan ClientInfo, 64),
		disconnects: make(chan disconnectEvent, 64),
		payloads:    make(map[int][][]byte),
	}
	cfg.ProtocolID = testProtocolID
	cfg.PrivateKey = ts.key
	cfg.OnConnect = func(c ClientInfo) { ts.connects <- c }
	cfg.OnDisconnect = func(c ClientInfo, reason error) { ts.disconnects <- disconnectEvent{c, reason, time.Now()} }
	userPayload := cfg.OnPayload
	cfg.OnPayload = func(c ClientInfo, p []byte) {
		ts.mu.Lock()
		ts.payloads[c.Index] = append(ts.payloads[c.Index], append([]byte(nil), p...))
		ts.mu.Unlock()
		if userPayload != nil {
			userPayload(c, p)
		}
	}
	ts.srv, err = NewServer(conn, cfg)
	require.NoError(t, err)
	ts.addr = ts.srv.Addr()
	go func() { ts.serveCh <- ts.srv.Serve() }()
	return ts
}

func (ts *testServer) stop() {
	require.NoError(ts.t, ts.srv.Close())
	require.ErrorIs(ts.t, <-ts.serveCh, ErrServerClosed)
	require.NoError(ts.t, ts.srv.Close(), "Close twice")
}

func (ts *testServer) token(id uint64, mod func(p *TokenParams)) []byte {
	ts.t.Helper()
	p := TokenParams{ProtocolID: testProtocolID, ClientID: id, ServerAddrs: []netip.AddrPort{ts.addr}}
	p.UserData[0] = byte(id)
	key := ts.key
	if mod != nil {
		mod(&p)
		if p.ProtocolID == 0 { // marker for "forge with another key"
			key = testKey(0x99)
			p.ProtocolID = testProtocolID
		}
	}
	tok, err := GenerateConnectToken(key, p)
	require.NoError(ts.t, err)
	return tok
}

func (ts *testServer) payloadCount(index int) int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return len(ts.payloads[index])
}

func dial(t *testing.T, n *netsim.Network, tok []byte) (*Client, error) {
	t.Helper()
	conn, err := n.Listen("127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return Dial(ctx, conn, tok, ClientConfig{})
}

// waitFor receives from ch or fails after d of (virtual) time.
func waitFor[T any](t *testing.T, ch <-chan T, d time.Duration, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(d):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

func TestHandshakeAndPayloadsOverLossyLink(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := netsim.NewNetwork()
		var ts *testServer
		ts = startTestServer(t, n, ServerConfig{MaxClients: 16, OnPayload: func(c ClientInfo, p []byte) {
			_ = ts.srv.Send(c.Index, p) // echo
		}}, &lossy)
		defer ts.stop()

		const numClients = 8
		clients := make([]*Client, numClients)
		var wg sync.WaitGroup
		for i := range clients {
			wg.Go(func() {
				c, err := dial(t, n, ts.token(uint64(100+i), nil))
				if assert.NoError(t, err) {
					clients[i] = c
				}
			})
		}
		wg.Wait()
		seen := map[int]bool{}
		for range numClients {
			info := waitFor(t, ts.connects, 10*time.Second, "OnConnect")
			assert.False(t, seen[info.Index])
			seen[info.Index] = true
			assert.Equal(t, byte(info.ID), info.UserData[0], "user data from the token")
		}
		require.Equal(t, numClients, ts.srv.NumClients())

		const perClient = 50
		for i, c := range clients {
			require.Equal(t, StateConnected, c.State())
			require.Equal(t, 16, c.MaxClients())
			for j := range perClient {
				require.NoError(t, c.Send([]byte(fmt.Sprintf("c%d-%d", i, j))))
				time.Sleep(20 * time.Millisecond) // virtual: a 50 Hz sender
			}
		}
		time.Sleep(time.Second)
		for i, c := range clients {
			got := ts.payloadCount(c.ClientIndex())
			// 10 % loss plus duplicates that replay protection must drop.
			assert.Greater(t, got, perClient*7/10, "client %d payloads at server", i)
			assert.LessOrEqual(t, got, perClient, "duplicates must be dropped")
			echoes := len(c.Payloads())
			assert.Greater(t, echoes, perClient*6/10, "client %d echoes", i)
			assert.LessOrEqual(t, echoes, perClient)
		}
		st := ts.srv.Stats()
		assert.Positive(t, st.DroppedReplay, "duplicated packets counted as replays")
		ls := ts.link.Stats()
		t.Logf("link: %+v", ls)
		t.Logf("server: %+v", st)
		for _, d := range []netsim.DirStats{ls.Send, ls.Recv} {
			assert.Positive(t, d.Dropped)
			assert.Positive(t, d.Duplicated)
			assert.Positive(t, d.Reordered)
		}
		assert.Equal(t, uint64(numClients), st.Connects)

		// Stay connected on keep-alives alone for longer than the timeout.
		time.Sleep(12 * time.Second)
		require.Equal(t, numClients, ts.srv.NumClients())
		for _, c := range clients {
			require.NoError(t, c.Err())
		}

		for _, c := range clients {
			require.NoError(t, c.Close())
			require.NoError(t, c.Close())
			require.ErrorIs(t, c.Err(), ErrClientClosed)
			require.ErrorIs(t, c.Send([]byte("x")), ErrClientClosed)
		}
		for range numClients {
			ev := waitFor(t, ts.disconnects, 10*time.Second, "OnDisconnect")
			assert.ErrorIs(t, ev.reason, ErrDisconnected)
		}
		assert.Zero(t, ts.srv.NumClients())
	})
}

// rawClient speaks the protocol by hand, for tests that need to misbehave.
type rawClient struct {
	t      *testing.T
	conn   net.PacketConn
	server net.Addr
	tok    *ConnectToken
	send   *packetCrypto
	recv   *packetCrypto
	seq    uint64
	index  int
}

func newRawClient(t *testing.T, n *netsim.Network, to netip.AddrPort, token []byte) *rawClient {
	t.Helper()
	conn, err := n.Listen("127.0.0.1:0")
	require.NoError(t, err)
	tok, err := ParseConnectToken(token)
	require.NoError(t, err)
	send, err := newPacketCrypto(tok.ClientToServerKey, tok.ProtocolID)
	require.NoError(t, err)
	recv, err := newPacketCrypto(tok.ServerToClientKey, tok.ProtocolID)
	require.NoError(t, err)
	return &rawClient{t: t, conn: conn, server: net.UDPAddrFromAddrPort(to), tok: tok, send: send, recv: recv}
}

func (r *rawClient) write(b []byte) {
	_, err := r.conn.WriteTo(b, r.server)
	require.NoError(r.t, err)
}

// read returns the next datagram, or nil after 500 ms of virtual time.
func (r *rawClient) read() []byte {
	require.NoError(r.t, r.conn.SetReadDeadline(time.Now().Add(500*time.Millisecond)))
	buf := make([]byte, 2048)
	n, _, err := r.conn.ReadFrom(buf)
	if err != nil {
		return nil
	}
	return buf[:n]
}

// readType reads until a packet of type want decrypts, and returns its body.
func (r *rawClient) readType(want packetType) ([]byte, int) {
	for range 50 {
		b := r.read()
		if b == nil {
			return nil, 0
		}
		h, err := parseHeader(b, 0x7e)
		if err != nil || h.Type != want {
			continue
		}
		body, err := r.recv.open(b, h)
		require.NoError(r.t, err)
		return body, len(b)
	}
	return nil, 0
}

func (r *rawClient) request() []byte {
	b := appendRequestPacket(nil, r.tok)
	r.write(b)
	return b
}

func (r *rawClient) packet(t packetType, body []byte) []byte {
	b := r.send.appendPacket(nil, t, r.seq, body)
	r.seq++
	return b
}

// handshake completes request → challenge → response → keep-alive and
// checks that nothing sent before the connection is larger than what caused it.
func (r *rawClient) handshake() {
	req := r.request()
	body, size := r.readType(packetChallenge)
	require.NotNil(r.t, body, "challenge")
	require.Less(r.t, size, len(req), "challenge smaller than request")
	var ch [challengeTokenBytes]byte
	copy(ch[:], body[8:])
	resp := r.send.appendChallengeLike(nil, packetResponse, r.seq, binary.LittleEndian.Uint64(body), &ch)
	r.seq++
	r.write(resp)
	body, size = r.readType(packetKeepAlive)
	require.NotNil(r.t, body, "keep-alive")
	require.Less(r.t, size, len(resp), "keep-alive smaller than response")
	r.index = int(binary.LittleEndian.Uint32(body))
}

func TestTokenRejections(t *testing.T) {
	type tc struct {
		name  string
		token func(ts *testServer) []byte
		edit  func(req []byte)
		stat  func(s ServerStats) uint64
	}
	now := func() time.Time { return time.Now() }
	for _, c := range []tc{
		{"expired", func(ts *testServer) []byte {
			return ts.token(1, func(p *TokenParams) { p.Now = now().Add(-time.Minute) })
		}, nil, func(s ServerStats) uint64 { return s.DroppedExpiredToken }},
		{"forged", func(ts *testServer) []byte {
			return ts.token(1, func(p *TokenParams) { p.ProtocolID = 0 })
		}, nil, func(s ServerStats) uint64 { return s.DroppedInvalidToken }},
		{"wrong protocol", func(ts *testServer) []byte {
			return ts.token(1, func(p *TokenParams) { p.ProtocolID = 12345 })
		}, nil, func(s ServerStats) uint64 { return s.DroppedWrongProtocol }},
		{"wrong address", func(ts *testServer) []byte {
			return ts.token(1, func(p *TokenParams) { p.ServerAddrs = []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:9")} })
		}, nil, func(s ServerStats) uint64 { return s.DroppedWrongAddress }},
		{"tampered private data", func(ts *testServer) []byte { return ts.token(1, nil) },
			func(req []byte) { req[500] ^= 1 }, func(s ServerStats) uint64 { return s.DroppedInvalidToken }},
		{"tampered expiry", func(ts *testServer) []byte { return ts.token(1, nil) },
			func(req []byte) { req[23]++ }, func(s ServerStats) uint64 { return s.DroppedInvalidToken }},
		{"tampered tag", func(ts *testServer) []byte { return ts.token(1, nil) },
			func(req []byte) { req[len(req)-1] ^= 0x80 }, func(s ServerStats) uint64 { return s.DroppedInvalidToken }},
		{"bad version", func(ts *testServer) []byte { return ts.token(1, nil) },
			func(req []byte) { req[12] = '1' }, func(s ServerStats) uint64 { return s.DroppedMalformed }},
	} {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				n := netsim.NewNetwork()
				ts := startTestServer(t, n, ServerConfig{}, nil)
				defer ts.stop()
				rc := newRawClient(t, n, ts.addr, c.token(ts))
				defer rc.conn.Close()
				req := appendRequestPacket(nil, rc.tok)
				if c.edit != nil {
					c.edit(req)
				}
				rc.write(req)
				synctest.Wait()
				assert.Equal(t, uint64(1), c.stat(ts.srv.Stats()))
				assert.Nil(t, rc.read(), "no reply to a bad request")
				assert.Zero(t, ts.srv.Stats().PacketsSent)
			})
		})
	}
}

func TestDialErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := netsim.NewNetwork()
		ts := startTestServer(t, n, ServerConfig{}, nil)
		defer ts.stop()

		// An expired token is the server's to refuse: TestDialExpiredTokenIsTheServersCall.
		_, err := dial(t, n, []byte("not a token"))
		assert.ErrorIs(t, err, ErrInvalidToken)

		start := time.Now()
		_, err = dial(t, n, ts.token(1, func(p *TokenParams) { p.ProtocolID = 0; p.TimeoutSeconds = 3 }))
		assert.ErrorIs(t, err, ErrConnectTimedOut, "forged token is ignored, so the client times out")
		assert.InDelta(t, 3*time.Second, time.Since(start), float64(150*time.Millisecond))

		// A token that outlives no handshake: expiry before the timeout.
		start = time.Now()
		_, err = dial(t, n, ts.token(1, func(p *TokenParams) {
			p.ProtocolID = 0
			p.ExpireAfter = 2 * time.Second
			p.TimeoutSeconds = 10
		}))
		assert.ErrorIs(t, err, ErrTokenExpired)
		assert.InDelta(t, 2*time.Second, time.Since(start), float64(150*time.Millisecond))

		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		conn, err := n.Listen("127.0.0.1:0")
		require.NoError(t, err)
		_, err = Dial(ctx, conn, ts.token(2, nil), ClientConfig{})
		assert.ErrorIs(t, err, context.Canceled)
	})
}

func TestTokenReusedFromAnotherAddress(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := netsim.NewNetwork()
		ts := startTestServer(t, n, ServerConfig{}, nil)
		defer ts.stop()
		tok := ts.token(5, nil)
		a := newRawClient(t, n, ts.addr, tok)
		defer a.conn.Close()
		a.handshake()
		b := newRawClient(t, n, ts.addr, tok)
		defer b.conn.Close()
		b.request()
		synctest.Wait()
		assert.Nil(t, b.read())
		st := ts.srv.Stats()
		assert.Equal(t, uint64(1), st.DroppedAlreadyConnected+st.DroppedTokenReused)

		// After A leaves, the token is still bound to A's address.
		for range numDisconnectPackets {
			a.write(a.packet(packetDisconnect, nil))
		}
		ev := waitFor(t, ts.disconnects, time.Second, "disconnect")
		assert.ErrorIs(t, ev.reason, ErrDisconnected)
		b.request()
		synctest.Wait()
		assert.Nil(t, b.read())
		assert.Equal(t, uint64(1), ts.srv.Stats().DroppedTokenReused)
		// A may come back with the same token from the same address.
		a.handshake()
	})
}

func TestPayloadReplayAndTamper(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := netsim.NewNetwork()
		ts := startTestServer(t, n, ServerConfig{}, nil)
		defer ts.stop()
		rc := newRawClient(t, n, ts.addr, ts.token(9, nil))
		defer rc.conn.Close()
		rc.handshake()
		waitFor(t, ts.connects, time.Second, "connect")

		first := rc.packet(packetPayload, []byte("fire"))
		rc.write(first)
		rc.write(first) // replay
		tampered := rc.packet(packetPayload, []byte("move"))
		tampered[len(tampered)-20] ^= 0x40
		rc.write(tampered)
		badPrefix := rc.packet(packetPayload, []byte("jump"))
		badPrefix[0] = badPrefix[0]&0xf0 | byte(packetKeepAlive) // type swapped, size wrong
		rc.write(badPrefix)
		forgedType := rc.packet(packetDisconnect, nil)
		forgedType[0] = forgedType[0]&0xf0 | byte(packetDenied) // denied is not for servers
		rc.write(forgedType)
		for range 300 { // push the window past the first packet
			rc.seq++
		}
		rc.write(rc.packet(packetPayload, []byte("late")))
		rc.write(first) // now far too old
		synctest.Wait()

		st := ts.srv.Stats()
		assert.Equal(t, uint64(2), st.DroppedReplay)
		assert.Equal(t, uint64(1), st.DroppedDecrypt)
		assert.Equal(t, uint64(2), st.DroppedMalformed)
		ts.mu.Lock()
		got := ts.payloads[rc.index]
		ts.mu.Unlock()
		require.Len(t, got, 2)
		assert.Equal(t, "fire", string(got[0]))
		assert.Equal(t, "late", string(got[1]))
		assert.Equal(t, 1, ts.srv.NumClients())
	})
}

func TestServerFullDenies(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := netsim.NewNetwork()
		ts := startTestServer(t, n, ServerConfig{MaxClients: 2}, &lossy)
		defer ts.stop()
		for i := range 2 {
			c, err := dial(t, n, ts.token(uint64(i+1), nil))
			require.NoError(t, err)
			defer c.Close()
		}
		_, err := dial(t, n, ts.token(3, nil))
		require.ErrorIs(t, err, ErrConnectionDenied)
		assert.Positive(t, ts.srv.Stats().Denied)

		// The denied packet is small.
		rc := newRawClient(t, n, ts.addr, ts.token(4, nil))
		defer rc.conn.Close()
		for range 20 {
			req := rc.request()
			if body, size := rc.readType(packetDenied); body != nil {
				assert.Less(t, size, len(req))
				return
			}
		}
		t.Fatal("no denied packet")
	})
}

func TestSilentClientTimesOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := netsim.NewNetwork()
		ts := startTestServer(t, n, ServerConfig{}, nil)
		defer ts.stop()
		rc := newRawClient(t, n, ts.addr, ts.token(9, func(p *TokenParams) { p.TimeoutSeconds = 3 }))
		defer rc.conn.Close()
		rc.handshake()
		rc.write(rc.packet(packetKeepAlive, make([]byte, 8)))
		synctest.Wait()
		last := time.Now()
		ev := waitFor(t, ts.disconnects, 10*time.Second, "timeout")
		assert.ErrorIs(t, ev.reason, ErrConnectionTimedOut)
		assert.InDelta(t, 3*time.Second, ev.at.Sub(last), float64(sendInterval+time.Millisecond))
		assert.Equal(t, uint64(1), ts.srv.Stats().TimedOut)
		// It was told, redundantly.
		disconnects := 0
		for {
			b := rc.read()
			if b == nil {
				break
			}
			if h, err := parseHeader(b, 0x7e); err == nil && h.Type == packetDisconnect {
				disconnects++
			}
		}
		assert.Equal(t, numDisconnectPackets, disconnects)
	})
}

func TestClientTimesOutWhenServerGoesSilent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := netsim.NewNetwork()
		ts := startTestServer(t, n, ServerConfig{}, nil)
		c, err := dial(t, n, ts.token(1, func(p *TokenParams) { p.TimeoutSeconds = 4 }))
		require.NoError(t, err)
		defer c.Close()
		start := time.Now()
		require.NoError(t, ts.raw.Close()) // the server vanishes without a word
		require.Error(t, <-ts.serveCh)
		waitFor(t, c.Done(), 10*time.Second, "client timeout")
		assert.ErrorIs(t, c.Err(), ErrConnectionTimedOut)
		assert.Equal(t, StateConnectionTimedOut, c.State())
		assert.InDelta(t, 4*time.Second, time.Since(start), float64(2*sendInterval))
		require.NoError(t, ts.srv.Close())
	})
}

func TestServerDisconnectAndClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := netsim.NewNetwork()
		ts := startTestServer(t, n, ServerConfig{}, nil)
		c1, err := dial(t, n, ts.token(1, nil))
		require.NoError(t, err)
		defer c1.Close()
		c2, err := dial(t, n, ts.token(2, nil))
		require.NoError(t, err)
		defer c2.Close()
		waitFor(t, ts.connects, time.Second, "connect")
		waitFor(t, ts.connects, time.Second, "connect")

		require.NoError(t, ts.srv.Send(c1.ClientIndex(), []byte("hello")))
		assert.Equal(t, "hello", string(waitFor(t, c1.Payloads(), time.Second, "payload")))
		assert.ErrorIs(t, ts.srv.Send(7, []byte("x")), ErrNotConnected)
		assert.ErrorIs(t, ts.srv.Send(0, nil), ErrPayloadSize)
		assert.ErrorIs(t, c1.Send(make([]byte, 1201)), ErrPayloadSize)

		ts.srv.Disconnect(c1.ClientIndex())
		ev := waitFor(t, ts.disconnects, time.Second, "kick")
		assert.ErrorIs(t, ev.reason, ErrKicked)
		waitFor(t, c1.Done(), time.Second, "client sees disconnect")
		assert.ErrorIs(t, c1.Err(), ErrDisconnected)

		ts.stop()
		waitFor(t, c2.Done(), time.Second, "client sees server close")
		assert.ErrorIs(t, c2.Err(), ErrDisconnected)
		assert.ErrorIs(t, ts.srv.Send(0, []byte("x")), ErrServerClosed)
	})
}

func TestDialWalksServerList(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := netsim.NewNetwork()
		full := startTestServer(t, n, ServerConfig{MaxClients: 1}, nil)
		defer full.stop()
		free := startTestServer(t, n, ServerConfig{PrivateKey: full.key}, nil) // one lobby key for the fleet
		defer free.stop()

		occupant, err := dial(t, n, full.token(1, nil))
		require.NoError(t, err)
		defer occupant.Close()

		dead := netip.MustParseAddrPort("127.0.0.1:9") // nobody listens
		start := time.Now()
		c, err := dial(t, n, full.token(2, func(p *TokenParams) {
			p.ServerAddrs = []netip.AddrPort{dead, full.addr, free.addr}
			p.TimeoutSeconds = 2
		}))
		require.NoError(t, err)
		defer c.Close()
		assert.Equal(t, free.addr, c.ServerAddr())
		assert.InDelta(t, 2*time.Second, time.Since(start), float64(300*time.Millisecond), "one timeout, then a denial, then success")
		assert.Positive(t, full.srv.Stats().Denied)
		waitFor(t, free.connects, time.Second, "connect at the second server")
	})
}

func TestJunkIsDroppedCheaplyAndSilently(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := netsim.NewNetwork()
		ts := startTestServer(t, n, ServerConfig{}, nil)
		defer ts.stop()
		rc := newRawClient(t, n, ts.addr, ts.token(1, nil))
		defer rc.conn.Close()
		rng := rand.New(rand.NewPCG(1, 2))
		const junk = 500
		for i := range junk {
			b := make([]byte, rng.IntN(1400))
			for j := range b {
				b[j] = byte(rng.Uint32())
			}
			if len(b) > 0 && i%2 == 0 {
				b[0] = 0 // looks like a request
			}
			rc.write(b)
		}
		synctest.Wait()
		assert.Nil(t, rc.read(), "junk gets no reply")
		st := ts.srv.Stats()
		assert.Equal(t, uint64(junk), st.DroppedMalformed+st.DroppedUnknownSource)
		assert.Zero(t, st.DroppedInvalidToken, "no junk reached the token decryption")
		assert.Zero(t, st.PacketsSent)
	})
}

func TestHandshakeRateLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := netsim.NewNetwork()
		ts := startTestServer(t, n, ServerConfig{HandshakeRateLimit: 10}, nil)
		defer ts.stop()
		rc := newRawClient(t, n, ts.addr, ts.token(1, nil))
		defer rc.conn.Close()
		for range 100 {
			rc.request()
		}
		synctest.Wait()
		st := ts.srv.Stats()
		assert.Equal(t, uint64(10), st.ChallengesSent)
		assert.Equal(t, uint64(90), st.DroppedRateLimited)
		time.Sleep(rateLimitWindow)
		rc.request()
		synctest.Wait()
		assert.Equal(t, uint64(11), ts.srv.Stats().ChallengesSent, "budget refills")
	})
}

// TestIPv6AndConcurrentSend connects over an IPv6 address (token address
// type 2) and sends from several goroutines at once on both sides.
func TestIPv6AndConcurrentSend(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := netsim.NewNetwork()
		raw, err := n.Listen("[::1]:0")
		require.NoError(t, err)
		key := testKey(0x66)
		var mu sync.Mutex
		got := 0
		srv, err := NewServer(raw, ServerConfig{ProtocolID: testProtocolID, PrivateKey: key,
			OnPayload: func(ClientInfo, []byte) { mu.Lock(); got++; mu.Unlock() }})
		require.NoError(t, err)
		require.True(t, srv.Addr().Addr().Is6())
		serveErr := make(chan error, 1)
		go func() { serveErr <- srv.Serve() }()

		tok, err := GenerateConnectToken(key, TokenParams{ProtocolID: testProtocolID, ClientID: 1, ServerAddrs: []netip.AddrPort{srv.Addr()}})
		require.NoError(t, err)
		cconn, err := n.Listen("[::1]:0")
		require.NoError(t, err)
		c, err := Dial(context.Background(), cconn, tok, ClientConfig{PayloadBuffer: 1000})
		require.NoError(t, err)

		var wg sync.WaitGroup
		for g := range 4 {
			wg.Go(func() {
				for i := range 50 {
					assert.NoError(t, srv.Send(c.ClientIndex(), []byte{byte(g), byte(i)}))
					assert.NoError(t, c.Send([]byte{byte(g), byte(i)}))
				}
			})
		}
		wg.Wait()
		synctest.Wait()
		mu.Lock()
		assert.Equal(t, 200, got)
		mu.Unlock()
		assert.Len(t, c.Payloads(), 200)
		require.NoError(t, c.Close())
		require.NoError(t, srv.Close())
		require.ErrorIs(t, <-serveErr, ErrServerClosed)
	})
}

// TestHalfOpenMappingExpires: a challenge answered after the token's timeout
// finds no mapping left.
func TestHalfOpenMappingExpires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := netsim.NewNetwork()
		ts := startTestServer(t, n, ServerConfig{}, nil)
		defer ts.stop()
		rc := newRawClient(t, n, ts.addr, ts.token(3, func(p *TokenParams) { p.TimeoutSeconds = 2 }))
		defer rc.conn.Close()
		rc.request()
		body, _ := rc.readType(packetChallenge)
		require.NotNil(t, body)
		time.Sleep(2*time.Second + sendInterval)
		var ch [challengeTokenBytes]byte
		copy(ch[:], body[8:])
		rc.write(rc.send.appendChallengeLike(nil, packetResponse, 0, binary.LittleEndian.Uint64(body), &ch))
		synctest.Wait()
		assert.Equal(t, uint64(1), ts.srv.Stats().DroppedUnknownSource)
		assert.Zero(t, ts.srv.NumClients())
	})
}

// TestCloseFromCallback: callbacks run without locks, so Close inside one
// does not deadlock.
func TestCloseFromCallback(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := netsim.NewNetwork()
		var ts *testServer
		closed := make(chan struct{})
		ts = startTestServer(t, n, ServerConfig{OnPayload: func(ClientInfo, []byte) {
			assert.NoError(t, ts.srv.Close())
			close(closed)
		}}, nil)
		c, err := dial(t, n, ts.token(1, nil))
		require.NoError(t, err)
		defer c.Close()
		require.NoError(t, c.Send([]byte("bye")))
		waitFor(t, closed, time.Second, "close in callback")
		require.ErrorIs(t, <-ts.serveCh, ErrServerClosed)
		waitFor(t, c.Done(), time.Second, "client told")
		assert.ErrorIs(t, c.Err(), ErrDisconnected)
	})
}
