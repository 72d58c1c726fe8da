package kcp

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	kcpgo "github.com/xtaci/kcp-go/v5"

	"github.com/skirmish-go/skirmish/netcode/secure"
)

// Dial connects to the servers named in token (a 2048-byte connect token
// from the lobby), in order, over conn, and returns the first session a
// server welcomes. Dial owns conn: the Session closes it, and Dial closes it
// when it fails.
//
// Errors: ErrInvalidToken, ErrTokenExpired, ErrDenied (a *DeniedError with
// the reason), ErrConnectTimedOut, or the context's error; with several
// servers, the last server's error.
func Dial(ctx context.Context, conn net.PacketConn, token []byte, cfg ClientConfig) (*Session, error) {
	s, err := dial(ctx, conn, token, cfg)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return s, nil
}

func dial(ctx context.Context, conn net.PacketConn, token []byte, cfg ClientConfig) (*Session, error) {
	t, err := secure.ParseConnectToken(token)
	if err != nil {
		return nil, fmt.Errorf("kcp: dial: %w: %w", ErrInvalidToken, err)
	}
	opts, err := cfg.Options.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("kcp: dial: %w", err)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = timeoutOf(t.TimeoutSeconds)
		if cfg.ConnectTimeout == 0 {
			cfg.ConnectTimeout = DefaultConnectTimeout
		}
	}
	hl := hello{
		Version:         ProtocolVersion,
		ProtocolID:      t.ProtocolID,
		ExpireTimestamp: t.ExpireTimestamp,
		Nonce:           t.Nonce,
		PrivateData:     t.PrivateData,
	}
	// Expiry is the server's call (netcode.io): the client gives up only once the token's
	// lifetime has passed since this Dial began, whatever its own clock says of the date.
	lifetime, limited := t.Lifetime()
	giveUp := cfg.Now().Add(lifetime)
	var lastErr error
	for _, addr := range t.ServerAddrs {
		if limited && cfg.Now().After(giveUp) {
			return nil, fmt.Errorf("kcp: dial: %w", ErrTokenExpired)
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("kcp: dial: %w", err)
		}
		rand.Read(hl.Salt[:])
		s, err := dialOne(ctx, conn, addr, t, &hl, opts, cfg.ConnectTimeout)
		if err == nil {
			return s, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			return nil, err
		}
	}
	return nil, lastErr
}

// dialOne runs the handshake with one server.
func dialOne(ctx context.Context, conn net.PacketConn, addr netip.AddrPort, t *secure.ConnectToken, hl *hello, opts Options, timeout time.Duration) (*Session, error) {
	ac := newAttemptConn(conn, addr)
	var conv uint32
	var cb [4]byte
	rand.Read(cb[:])
	conv = binary.LittleEndian.Uint32(cb[:])
	raw, err := kcpgo.NewConn4(conv, net.UDPAddrFromAddrPort(addr), nil, opts.FEC.DataShards, opts.FEC.ParityShards, false, ac)
	if err != nil {
		ac.Close()
		return nil, translate("dial "+addr.String(), err)
	}
	opts.tune(raw)
	ok := false
	defer func() {
		if !ok {
			raw.Close()
			ac.Close()
		}
	}()
	raw.SetDeadline(time.Now().Add(timeout))
	// Cancellation closes the attempt (kcp-go reads deadlines without a
	// lock, so they are only set from this goroutine).
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	defer stop()

	frame := frameHeader{Type: FrameHello, Len: helloBytes}.Append(make([]byte, 0, frameHeaderBytes+helloBytes))
	frame = hl.Append(frame)
	if _, err := raw.Write(frame); err != nil {
		return nil, dialError(ctx, addr, translate("dial "+addr.String(), err))
	}
	br := bufio.NewReaderSize(raw, 4096)
	var hdr [frameHeaderBytes]byte
	h, body, err := readFrame(br, &hdr)
	if err != nil {
		return nil, dialError(ctx, addr, err)
	}
	switch h.Type {
	case FrameDenied:
		return nil, &DeniedError{Server: addr.String(), Reason: DenyReason(body[0])}
	case FrameWelcome:
	default:
		return nil, fmt.Errorf("kcp: dial %v: %w: %v frame before welcome", addr, ErrProtocol, h.Type)
	}
	var serverSalt [saltBytes]byte
	copy(serverSalt[:], body)
	c2s, s2c, err := sessionKeys(t.ClientToServerKey, t.ServerToClientKey, &hl.Salt, &serverSalt)
	if err != nil {
		return nil, fmt.Errorf("kcp: dial %v: %w", addr, err)
	}
	send, err := newSealer(c2s)
	if err != nil {
		return nil, fmt.Errorf("kcp: dial %v: %w", addr, err)
	}
	recv, err := newSealer(s2c)
	if err != nil {
		return nil, fmt.Errorf("kcp: dial %v: %w", addr, err)
	}
	plain, err := recv.open(hdr[:], body, saltBytes)
	if err != nil {
		return nil, fmt.Errorf("kcp: dial %v: welcome: %w", addr, err)
	}
	clientID := binary.LittleEndian.Uint64(plain)
	timeoutSecs := int32(binary.LittleEndian.Uint32(plain[8:]))
	if !stop() && ctx.Err() != nil {
		return nil, fmt.Errorf("kcp: dial %v: %w", addr, ctx.Err())
	}
	raw.SetDeadline(time.Time{})
	ok = true
	return newSession(raw, br, send, recv, clientID, [secure.UserDataBytes]byte{}, timeoutOf(timeoutSecs), opts, func() {
		ac.Close()
		conn.Close()
	}), nil
}

func dialError(ctx context.Context, addr netip.AddrPort, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("kcp: dial %v: %w", addr, ctxErr)
	}
	if isTimeout(err) {
		return fmt.Errorf("kcp: dial %v: %w", addr, ErrConnectTimedOut)
	}
	if errors.Is(err, ErrProtocol) {
		return fmt.Errorf("kcp: dial %v: %w", addr, err)
	}
	return fmt.Errorf("kcp: dial %v: %w", addr, translate("read", err))
}

// attemptConn is the view of the client's socket one connection attempt
// has: it passes only datagrams from the attempt's server, and Close
// detaches kcp-go's read loop from the shared socket (waking a blocked read
// with a past deadline) without closing the socket, so the next server can
// be tried on the same conn.
type attemptConn struct {
	net.PacketConn
	server  netip.AddrPort
	mu      sync.Mutex
	idle    sync.Cond
	closed  bool
	reading int
}

func newAttemptConn(conn net.PacketConn, server netip.AddrPort) *attemptConn {
	a := &attemptConn{PacketConn: conn, server: server}
	a.idle.L = &a.mu
	return a
}

func (a *attemptConn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		a.mu.Lock()
		if a.closed {
			a.mu.Unlock()
			return 0, nil, net.ErrClosed
		}
		a.reading++
		a.mu.Unlock()
		n, from, err := a.PacketConn.ReadFrom(b)
		a.mu.Lock()
		a.reading--
		closed := a.closed
		if a.reading == 0 {
			a.idle.Broadcast()
		}
		a.mu.Unlock()
		if closed {
			return 0, nil, net.ErrClosed
		}
		if err != nil {
			return n, from, err
		}
		if ap := addrPortOf(from); ap.Addr().Unmap() == a.server.Addr().Unmap() && ap.Port() == a.server.Port() {
			return n, from, nil
		}
		// A datagram from another server (a late answer to an earlier attempt): drop it.
	}
}

func (a *attemptConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	a.mu.Lock()
	closed := a.closed
	a.mu.Unlock()
	if closed {
		return 0, net.ErrClosed
	}
	return a.PacketConn.WriteTo(b, addr)
}

// Close detaches the attempt; the shared socket stays open.
func (a *attemptConn) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return nil
	}
	a.closed = true
	if a.reading > 0 {
		a.PacketConn.SetReadDeadline(time.Unix(1, 0))
		for a.reading > 0 {
			a.idle.Wait()
		}
		a.PacketConn.SetReadDeadline(time.Time{})
	}
	return nil
}
