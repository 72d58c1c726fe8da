package secure

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The per-packet path allocates nothing: reading a datagram, the header and
// replay checks, decryption, the application's callback, encryption and the
// write. These tests drive it over real 127.0.0.1 sockets (*net.UDPConn, the
// production conn), one step at a time, so testing.AllocsPerRun sees only
// the path itself; TestRoundTripAllocsUDP runs it through the goroutines too.

// udpSlotPair is a Server on a UDP socket with one client connected in slot
// 0 (the slot set up directly, as after a handshake), the client's own UDP
// socket, and a Client in the connected state on that socket. Neither
// Serve nor the client's goroutines run: the tests call the steps.
type udpSlotPair struct {
	srv     *Server
	srvAddr *net.UDPAddr
	cconn   *net.UDPConn
	client  *Client
	c2s     *packetCrypto // the client's key, for hand-made packets
	s2c     *packetCrypto // the server's key, for hand-made packets
}

func newUDPSlotPair(tb testing.TB, onServerPayload func(ClientInfo, []byte), onClientPayload func([]byte)) *udpSlotPair {
	tb.Helper()
	sconn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(tb, err)
	cconn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(tb, err)
	now := func() time.Time { return goldenTime }
	srv, err := NewServer(sconn, ServerConfig{ProtocolID: testProtocolID, PrivateKey: testKey(3), Now: now, OnPayload: onServerPayload})
	require.NoError(tb, err)
	c2sKey, s2cKey := testKey(8), testKey(9)
	mk := func(k Key) *packetCrypto {
		pc, err := newPacketCrypto(k, testProtocolID)
		require.NoError(tb, err)
		return pc
	}
	from := cconn.LocalAddr().(*net.UDPAddr).AddrPort()
	srv.mu.Lock()
	srv.slots[0] = slot{connected: true, confirmed: true, info: ClientInfo{Index: 0, ID: 1, Addr: from},
		netAddr: net.UDPAddrFromAddrPort(from), send: mk(s2cKey), recv: mk(c2sKey), lastRecv: goldenTime}
	srv.byAddr[from] = 0
	srv.byID[1] = 0
	srv.numConnected = 1
	srv.mu.Unlock()

	srvAddr := sconn.LocalAddr().(*net.UDPAddr)
	c := &Client{
		conn:          cconn,
		reader:        newPacketReader(cconn),
		cfg:           ClientConfig{OnPayload: onClientPayload},
		log:           discardLogger,
		now:           now,
		token:         &ConnectToken{ProtocolID: testProtocolID, ServerAddrs: []netip.AddrPort{srvAddr.AddrPort()}},
		send:          mk(c2sKey),
		recv:          mk(s2cKey),
		done:          make(chan struct{}),
		conned:        make(chan struct{}),
		payloads:      make(chan []byte, 1),
		sendBuf:       make([]byte, 0, MaxPacketBytes+64),
		state:         StateConnected,
		serverAddr:    srvAddr.AddrPort(),
		serverNetAddr: srvAddr,
		clientIndex:   0,
	}
	tb.Cleanup(func() {
		srv.Close()
		cconn.Close()
	})
	return &udpSlotPair{srv: srv, srvAddr: srvAddr, cconn: cconn, client: c, c2s: mk(c2sKey), s2c: mk(s2cKey)}
}

// serverReceive reads one datagram from the server's socket and handles it
// as Serve would (packet checks, replay, decrypt, OnPayload).
func (p *udpSlotPair) serverReceive() {
	buf := <-p.srv.bufs
	in, ok, err := p.srv.readPacket(buf)
	if err != nil || !ok {
		panic("server dropped a good packet")
	}
	p.srv.handlePacket(in) // returns buf to the pool
}

// clientReceive reads one datagram from the client's socket and handles it
// as the client's run loop would.
func (p *udpSlotPair) clientReceive(buf []byte) {
	n, from, err := p.client.reader.readFrom(buf)
	if err != nil {
		panic(err)
	}
	p.client.receive(inbound{buf: buf, n: n, from: from})
}

// TestServerReceivePayloadAllocs: a connected client's payload packet, from
// the server's socket to its OnPayload, allocates nothing.
func TestServerReceivePayloadAllocs(t *testing.T) {
	got := 0
	p := newUDPSlotPair(t, func(ClientInfo, []byte) { got++ }, nil)
	payload := make([]byte, 100)
	out := make([]byte, 0, MaxPacketBytes)
	seq := uint64(0)
	allocs := testing.AllocsPerRun(500, func() {
		pkt := p.c2s.appendPacket(out[:0], packetPayload, seq, payload)
		seq++
		if _, err := p.cconn.WriteTo(pkt, p.srvAddr); err != nil {
			panic(err)
		}
		p.serverReceive()
	})
	assert.Zero(t, allocs)
	assert.Equal(t, 501, got, "every payload reached OnPayload") // AllocsPerRun runs once more to warm up
	assert.Zero(t, p.srv.Stats().DroppedReplay+p.srv.Stats().DroppedDecrypt)
}

// TestHandleDatagramCallsBackBeforeReturning: a datagram the owner read itself
// and passed to HandleDatagram reaches OnPayload on the calling goroutine,
// before HandleDatagram returns, with no allocation; a replay of it and junk
// are dropped and counted as Serve's reader would.
func TestHandleDatagramCallsBackBeforeReturning(t *testing.T) {
	got := 0
	var last []byte
	p := newUDPSlotPair(t, func(_ ClientInfo, b []byte) { got++; last = append(last[:0], b...) }, nil)
	payload := []byte("hello")
	out := make([]byte, 0, MaxPacketBytes)
	buf := make([]byte, readBufBytes)
	from := p.cconn.LocalAddr().(*net.UDPAddr).AddrPort()
	seq := uint64(0)
	allocs := testing.AllocsPerRun(100, func() {
		pkt := p.c2s.appendPacket(out[:0], packetPayload, seq, payload)
		seq++
		before := got
		p.srv.HandleDatagram(pkt, from)
		if got != before+1 {
			panic("OnPayload was not called before HandleDatagram returned")
		}
	})
	assert.Zero(t, allocs)
	assert.Equal(t, payload, last)

	pkt := p.c2s.appendPacket(buf[:0], packetPayload, 0, payload) // sequence 0 again: a replay
	p.srv.HandleDatagram(pkt, from)
	p.srv.HandleDatagram([]byte{0xff, 1, 2}, from)
	assert.Equal(t, 101, got)
	st := p.srv.Stats()
	assert.Equal(t, uint64(1), st.DroppedReplay)
	assert.Equal(t, uint64(1), st.DroppedMalformed)
	assert.Equal(t, uint64(103), st.PacketsReceived)
}

// TestClientPayloadAllocs: the server's Send (seal, write), the client's
// receive (read, checks, replay, open, OnPayload) and the client's Send back
// (seal, write), read by the server: no allocation anywhere.
func TestClientPayloadAllocs(t *testing.T) {
	serverGot, clientGot := 0, 0
	p := newUDPSlotPair(t, func(ClientInfo, []byte) { serverGot++ }, func([]byte) { clientGot++ })
	payload := make([]byte, 100)
	cbuf := make([]byte, readBufBytes)
	allocs := testing.AllocsPerRun(500, func() {
		if err := p.srv.Send(0, payload); err != nil {
			panic(err)
		}
		p.clientReceive(cbuf)
		if err := p.client.Send(payload); err != nil {
			panic(err)
		}
		p.serverReceive()
	})
	assert.Zero(t, allocs)
	assert.Equal(t, 501, clientGot)
	assert.Equal(t, 501, serverGot)
}

// TestRoundTripAllocsUDP: a payload up and one down through Serve and a
// Dial'ed client's goroutines, over loopback, allocates nothing either.
func TestRoundTripAllocsUDP(t *testing.T) {
	serverGot := make(chan int, 1)
	clientGot := make(chan struct{}, 1)
	rt := startUDPRoundTrip(t, serverGot, clientGot)
	payload := make([]byte, 100)
	allocs := testing.AllocsPerRun(200, func() { rt.roundTrip(payload) })
	assert.Zero(t, allocs)
}

type udpRoundTrip struct {
	tb        testing.TB
	srv       *Server
	client    *Client
	serverGot chan int
	clientGot chan struct{}
	timeout   *time.Timer // one timer, reset per wait: a new one per wait would allocate
}

func startUDPRoundTrip(tb testing.TB, serverGot chan int, clientGot chan struct{}) *udpRoundTrip {
	tb.Helper()
	sconn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(tb, err)
	key := testKey(0x31)
	srv, err := NewServer(sconn, ServerConfig{ProtocolID: testProtocolID, PrivateKey: key,
		OnPayload: func(c ClientInfo, _ []byte) { serverGot <- c.Index }})
	require.NoError(tb, err)
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve() }()
	tok, err := GenerateConnectToken(key, TokenParams{ProtocolID: testProtocolID, ClientID: 1, ServerAddrs: []netip.AddrPort{srv.Addr()}})
	require.NoError(tb, err)
	cconn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(tb, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, cconn, tok, ClientConfig{OnPayload: func([]byte) { clientGot <- struct{}{} }})
	require.NoError(tb, err)
	tb.Cleanup(func() {
		c.Close()
		srv.Close()
		if err := <-serveErr; err != ErrServerClosed {
			tb.Errorf("Serve: %v", err)
		}
	})
	rt := &udpRoundTrip{tb: tb, srv: srv, client: c, serverGot: serverGot, clientGot: clientGot, timeout: time.NewTimer(time.Hour)}
	tb.Cleanup(func() { rt.timeout.Stop() })
	return rt
}

// roundTrip sends payload up and back down and waits for both (5 s at most).
func (rt *udpRoundTrip) roundTrip(payload []byte) {
	rt.timeout.Reset(5 * time.Second)
	timeout := rt.timeout
	if err := rt.client.Send(payload); err != nil {
		panic(err)
	}
	var idx int
	select {
	case idx = <-rt.serverGot:
	case <-timeout.C:
		panic("no payload at the server")
	}
	if err := rt.srv.Send(idx, payload); err != nil {
		panic(err)
	}
	select {
	case <-rt.clientGot:
	case <-timeout.C:
		panic("no payload at the client")
	}
}

// BenchmarkServerReceiveUDP: one payload packet written to the server's
// socket and taken through its receive path to OnPayload.
func BenchmarkServerReceiveUDP(b *testing.B) {
	p := newUDPSlotPair(b, func(ClientInfo, []byte) {}, nil)
	payload := make([]byte, 100)
	out := make([]byte, 0, MaxPacketBytes)
	seq := uint64(0)
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		pkt := p.c2s.appendPacket(out[:0], packetPayload, seq, payload)
		seq++
		if _, err := p.cconn.WriteTo(pkt, p.srvAddr); err != nil {
			b.Fatal(err)
		}
		p.serverReceive()
	}
}

// BenchmarkServerSendClientReceiveUDP: the server's Send and the client's
// receive path to OnPayload, over a socket.
func BenchmarkServerSendClientReceiveUDP(b *testing.B) {
	p := newUDPSlotPair(b, nil, func([]byte) {})
	payload := make([]byte, 100)
	cbuf := make([]byte, readBufBytes)
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		if err := p.srv.Send(0, payload); err != nil {
			b.Fatal(err)
		}
		p.clientReceive(cbuf)
	}
}

// BenchmarkRoundTripUDP: a payload up and one down through Serve and a
// Dial'ed client, their goroutines and loopback sockets.
func BenchmarkRoundTripUDP(b *testing.B) {
	rt := startUDPRoundTrip(b, make(chan int, 1), make(chan struct{}, 1))
	payload := make([]byte, 100)
	b.ReportAllocs()
	for b.Loop() {
		rt.roundTrip(payload)
	}
}
