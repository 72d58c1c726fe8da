package secure

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"
)

// Client errors. [Dial] returns the first four (wrapped); [Client.Err] reports
// why an established connection ended.
var (
	// ErrConnectionDenied: the last server tried answered with a connection
	// denied packet (it is full).
	ErrConnectionDenied = errors.New("secure: connection denied")
	// ErrTokenExpired: the connect token's lifetime (expire − create
	// timestamp, counted from Dial on the client's own clock, as the
	// reference counts it) ran out before a server accepted the client.
	ErrTokenExpired = errors.New("secure: connect token expired")
	// ErrConnectTimedOut: no server answered within the token's timeout.
	ErrConnectTimedOut = errors.New("secure: connect timed out")
	// ErrClientClosed: [Client.Close] was called.
	ErrClientClosed = errors.New("secure: client closed")
)

// ClientState is the standard's client state; negative values are errors.
type ClientState int

// Client states, numbered as in the netcode.io standard.
const (
	StateTokenExpired          ClientState = -6
	StateInvalidToken          ClientState = -5
	StateConnectionTimedOut    ClientState = -4
	StateResponseTimedOut      ClientState = -3
	StateRequestTimedOut       ClientState = -2
	StateConnectionDenied      ClientState = -1
	StateDisconnected          ClientState = 0
	StateSendingRequest        ClientState = 1
	StateSendingResponse       ClientState = 2
	StateConnected             ClientState = 3
	defaultClientPayloadBuffer             = 256
	numClientReadBufs                      = 16
)

func (s ClientState) String() string {
	switch s {
	case StateTokenExpired:
		return "connect token expired"
	case StateInvalidToken:
		return "invalid connect token"
	case StateConnectionTimedOut:
		return "connection timed out"
	case StateResponseTimedOut:
		return "connection response timed out"
	case StateRequestTimedOut:
		return "connection request timed out"
	case StateConnectionDenied:
		return "connection denied"
	case StateDisconnected:
		return "disconnected"
	case StateSendingRequest:
		return "sending connection request"
	case StateSendingResponse:
		return "sending connection response"
	case StateConnected:
		return "connected"
	}
	return fmt.Sprintf("ClientState(%d)", int(s))
}

// ClientConfig configures [Dial]. Zero fields take defaults.
type ClientConfig struct {
	Now           func() time.Time // default time.Now
	Logger        *slog.Logger     // default discards
	PayloadBuffer int              // capacity of Payloads(); default 256, excess dropped
	// OnPayload, if set, receives each payload instead of [Client.Payloads],
	// without a copy: p is valid only during the call. It is called from the
	// client's own goroutine, one payload at a time, with no lock held (it may
	// call Send). A slow OnPayload delays the client's keep-alives.
	OnPayload func(p []byte)
}

// Client is one connection to a game server. Send, Close and the accessors
// are safe for concurrent use.
type Client struct {
	conn   net.PacketConn
	reader packetReader
	cfg    ClientConfig
	log    *slog.Logger
	now    func() time.Time
	token  *ConnectToken
	send   *packetCrypto
	recv   *packetCrypto
	quit   chan struct{}
	in     chan inbound
	bufs   chan []byte
	wg     sync.WaitGroup
	once   sync.Once
	done   chan struct{}
	conned chan struct{}

	payloads chan []byte

	mu             sync.Mutex
	state          ClientState
	err            error
	serverIdx      int
	serverAddr     netip.AddrPort
	serverNetAddr  *net.UDPAddr
	sendSeq        uint64
	replay         replayWindow
	connectStart   time.Time
	lastRecv       time.Time
	lastSend       time.Time
	challengeSeq   uint64
	challengeToken [challengeTokenBytes]byte
	clientIndex    int
	maxClients     int
	droppedPayload uint64
	sendBuf        []byte
}

// Dial connects through the token's server list, in order, and returns once
// a server has accepted the client. The Client owns conn from then on and
// [Client.Close] closes it; if Dial fails it closes conn itself.
//
// Dial does not compare the token's expire timestamp with the client's clock:
// as in the reference implementation, expiry is the server's to judge (a
// client whose clock runs ahead must still connect). The client only gives
// up once the token's lifetime, expire − create, has passed since Dial; an
// expire timestamp of 2^64−1 (the reference's "never expires") never runs out.
//
// Errors (wrapped, test with errors.Is): [ErrInvalidToken], [ErrTokenExpired],
// [ErrConnectionDenied], [ErrConnectTimedOut], or the context's error.
func Dial(ctx context.Context, conn net.PacketConn, token []byte, cfg ClientConfig) (*Client, error) {
	t, err := ParseConnectToken(token)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("secure: dial: %w", err)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.PayloadBuffer <= 0 {
		cfg.PayloadBuffer = defaultClientPayloadBuffer
	}
	now := cfg.Now()
	send, err := newPacketCrypto(t.ClientToServerKey, t.ProtocolID)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("secure: dial: %w", err)
	}
	recv, err := newPacketCrypto(t.ServerToClientKey, t.ProtocolID)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("secure: dial: %w", err)
	}
	c := &Client{
		conn:         conn,
		reader:       newPacketReader(conn),
		cfg:          cfg,
		log:          cfg.Logger,
		now:          cfg.Now,
		token:        t,
		send:         send,
		recv:         recv,
		quit:         make(chan struct{}),
		in:           make(chan inbound, numClientReadBufs),
		bufs:         make(chan []byte, numClientReadBufs),
		done:         make(chan struct{}),
		conned:       make(chan struct{}),
		payloads:     make(chan []byte, cfg.PayloadBuffer),
		connectStart: now,
		clientIndex:  -1,
		sendBuf:      make([]byte, 0, MaxPacketBytes+64),
	}
	for range numClientReadBufs {
		c.bufs <- make([]byte, readBufBytes)
	}
	c.mu.Lock()
	c.startServer(0, now)
	c.mu.Unlock()
	c.wg.Add(2)
	go c.readLoop()
	go c.run()
	select {
	case <-c.conned:
		return c, nil
	case <-c.done:
		err := c.Err()
		c.Close()
		return nil, fmt.Errorf("secure: dial: %w", err)
	case <-ctx.Done():
		c.Close()
		return nil, fmt.Errorf("secure: dial: %w", ctx.Err())
	}
}

// startServer begins the handshake with server address i; c.mu held.
//
// The send sequence carries on from the previous server: every server of a
// token shares the one client-to-server key, and the sequence is the AEAD
// nonce, so starting again at 0 would encrypt new packets under a nonce
// already used with that key. The reference never resets it either. The
// replay window does start afresh: each server numbers its own packets.
func (c *Client) startServer(i int, now time.Time) {
	c.serverIdx = i
	c.serverAddr = normalizeAddr(c.token.ServerAddrs[i])
	c.serverNetAddr = net.UDPAddrFromAddrPort(c.serverAddr)
	c.state = StateSendingRequest
	c.replay.reset()
	c.lastRecv = now
	c.sendHandshake(now)
}

func (c *Client) sendHandshake(now time.Time) {
	switch c.state {
	case StateSendingRequest:
		c.write(appendRequestPacket(c.sendBuf[:0], c.token), now)
	case StateSendingResponse:
		out := c.send.appendChallengeLike(c.sendBuf[:0], packetResponse, c.sendSeq, c.challengeSeq, &c.challengeToken)
		c.sendSeq++
		c.write(out, now)
	}
}

func (c *Client) write(b []byte, now time.Time) {
	c.lastSend = now
	c.conn.WriteTo(b, c.serverNetAddr) // loss is the protocol's business
}

func (c *Client) readLoop() {
	defer c.wg.Done()
	for {
		var buf []byte
		select {
		case buf = <-c.bufs:
		case <-c.quit:
			return
		}
		n, from, err := c.reader.readFrom(buf)
		if err != nil {
			c.mu.Lock()
			c.end(StateDisconnected, fmt.Errorf("secure: client read: %w", err))
			c.mu.Unlock()
			return
		}
		select {
		case c.in <- inbound{buf: buf, n: n, from: from}:
		case <-c.quit:
			return
		}
	}
}

// clientAllowed is the set of encrypted packet types a client accepts.
const clientAllowed = 1<<packetDenied | 1<<packetChallenge | 1<<packetKeepAlive | 1<<packetPayload | 1<<packetDisconnect

func (c *Client) run() {
	defer c.wg.Done()
	ticker := time.NewTicker(sendInterval)
	defer ticker.Stop()
	for {
		select {
		case p := <-c.in:
			c.receive(p)
			c.bufs <- p.buf
		case <-ticker.C:
			c.tick()
		case <-c.done:
			return
		case <-c.quit:
			return
		}
	}
}

// receive handles one datagram and hands a payload to OnPayload, if set,
// with no lock held; run goroutine only.
func (c *Client) receive(p inbound) {
	if body := c.handle(p.buf[:p.n], p.from); body != nil {
		c.cfg.OnPayload(body) // body aliases p.buf, valid until it is reused
	}
}

// handle processes one datagram from the server. It returns the payload of
// a payload packet when [ClientConfig.OnPayload] is to receive it (the
// caller calls it with no lock held); otherwise payloads go to Payloads().
func (c *Client) handle(b []byte, from netip.AddrPort) (deliver []byte) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state <= StateDisconnected || from != c.serverAddr {
		return nil
	}
	h, err := parseHeader(b, clientAllowed)
	if err != nil {
		return nil
	}
	replayed := h.Type >= packetKeepAlive
	if replayed && c.replay.alreadyReceived(h.Sequence) {
		return nil
	}
	body, err := c.recv.open(b, h)
	if err != nil {
		return nil
	}
	if replayed {
		c.replay.advance(h.Sequence)
	}
	switch h.Type {
	case packetDenied:
		if c.state == StateSendingRequest || c.state == StateSendingResponse {
			c.serverFailed(StateConnectionDenied, ErrConnectionDenied, now)
		}
	case packetChallenge:
		if c.state == StateSendingRequest {
			c.challengeSeq = binary.LittleEndian.Uint64(body)
			copy(c.challengeToken[:], body[8:])
			c.state = StateSendingResponse
			c.lastRecv = now
			c.sendHandshake(now)
		}
	case packetKeepAlive:
		switch c.state {
		case StateSendingResponse:
			c.clientIndex = int(binary.LittleEndian.Uint32(body))
			c.maxClients = int(binary.LittleEndian.Uint32(body[4:]))
			c.state = StateConnected
			c.lastRecv = now
			close(c.conned)
			c.log.Info("secure: connected", "server", c.serverAddr, "index", c.clientIndex)
		case StateConnected:
			c.lastRecv = now
		}
	case packetPayload:
		if c.state == StateConnected {
			c.lastRecv = now
			if c.cfg.OnPayload != nil {
				return body
			}
			select {
			case c.payloads <- append([]byte(nil), body...):
			default:
				c.droppedPayload++
			}
		}
	case packetDisconnect:
		if c.state == StateConnected {
			c.end(StateDisconnected, ErrDisconnected)
		}
	}
	return nil
}

// serverFailed moves on to the next server address, or ends; c.mu held.
func (c *Client) serverFailed(state ClientState, err error, now time.Time) {
	if c.serverIdx+1 < len(c.token.ServerAddrs) {
		c.log.Debug("secure: server failed, trying next", "server", c.serverAddr, "err", err)
		c.startServer(c.serverIdx+1, now)
		return
	}
	c.end(state, err)
}

// end moves to a final state exactly once; c.mu held.
func (c *Client) end(state ClientState, err error) {
	if c.err != nil {
		return
	}
	c.state = state
	c.err = err
	close(c.done)
}

func (c *Client) tick() {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	timeout := time.Duration(c.token.TimeoutSeconds) * time.Second
	silent := c.token.TimeoutSeconds > 0 && now.Sub(c.lastRecv) >= timeout
	due := now.Sub(c.lastSend) >= sendInterval*3/4
	switch c.state {
	case StateSendingRequest, StateSendingResponse:
		if lifetime, ok := tokenLifetime(c.token); ok && now.Sub(c.connectStart) >= lifetime {
			c.end(StateTokenExpired, ErrTokenExpired)
			return
		}
		if silent {
			st := StateRequestTimedOut
			if c.state == StateSendingResponse {
				st = StateResponseTimedOut
			}
			c.serverFailed(st, ErrConnectTimedOut, now)
			return
		}
		if due {
			c.sendHandshake(now)
		}
	case StateConnected:
		if silent {
			c.end(StateConnectionTimedOut, ErrConnectionTimedOut)
			return
		}
		// As in the reference: a keep-alive only when nothing at all went to the server
		// for a whole send interval, so a client sending payloads at 10 Hz or more (acks)
		// sends none. (Handshake packets keep the earlier 3/4 threshold.)
		if keepAliveDue(now, c.lastSend) {
			out := c.send.appendKeepAlive(c.sendBuf[:0], c.sendSeq, 0, 0)
			c.sendSeq++
			c.write(out, now)
		}
	}
}

// Send sends one payload (1..1200 bytes) to the server. It does not retain payload.
func (c *Client) Send(payload []byte) error {
	if len(payload) < 1 || len(payload) > MaxPayloadBytes {
		return fmt.Errorf("secure: send %d bytes: %w", len(payload), ErrPayloadSize)
	}
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return fmt.Errorf("secure: send: %w", c.err)
	}
	if c.state != StateConnected {
		return fmt.Errorf("secure: send: %w", ErrNotConnected)
	}
	out := c.send.appendPacket(c.sendBuf[:0], packetPayload, c.sendSeq, payload)
	c.sendSeq++
	c.write(out, now)
	return nil
}

// Payloads delivers received payloads (each a fresh copy, the one
// allocation of the client's receive path; [ClientConfig.OnPayload] avoids
// it). When the buffer is full, further payloads are dropped (see
// [Client.DroppedPayloads]). The channel is never closed: select on
// [Client.Done] as well. With OnPayload set it delivers nothing.
func (c *Client) Payloads() <-chan []byte { return c.payloads }

// Done is closed when the connection has ended; [Client.Err] says why.
// Call [Client.Close] afterwards to release the conn and the reader goroutine.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err returns why the connection ended ([ErrConnectionTimedOut],
// [ErrDisconnected], [ErrClientClosed], ...), or nil while it is alive.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// State returns the standard's client state.
func (c *Client) State() ClientState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// ClientIndex returns the slot the server gave this client.
func (c *Client) ClientIndex() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.clientIndex
}

// MaxClients returns the server's slot count, as its keep-alive said.
func (c *Client) MaxClients() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.maxClients
}

// ServerAddr returns the address of the server this client is talking to.
func (c *Client) ServerAddr() netip.AddrPort {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.serverAddr
}

// DroppedPayloads counts payloads dropped because Payloads() was full.
func (c *Client) DroppedPayloads() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.droppedPayload
}

// Close sends redundant disconnect packets if connected, stops the client's
// goroutines and closes the conn. Safe to call more than once.
func (c *Client) Close() error {
	var err error
	c.once.Do(func() {
		now := c.now()
		c.mu.Lock()
		if c.state == StateConnected && c.err == nil {
			for range numDisconnectPackets {
				out := c.send.appendPacket(c.sendBuf[:0], packetDisconnect, c.sendSeq, nil)
				c.sendSeq++
				c.write(out, now)
			}
		}
		c.end(StateDisconnected, ErrClientClosed)
		c.mu.Unlock()
		close(c.quit)
		err = c.conn.Close()
		c.wg.Wait()
	})
	return err
}
