package lobby

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/skirmish-go/skirmish/lobby/proto"
)

// conn is one TCP connection: its serve goroutine reads and handles requests in order; its
// writer goroutine drains out. Fields below mu-free comments are owned by the serve goroutine.
type conn struct {
	s  *Server
	nc net.Conn
	ip netip.Addr
	id string

	out       chan []byte
	drain     chan struct{} // closed: write what is queued, then close
	drainOnce sync.Once
	done      chan struct{} // closed by close
	flushed   chan struct{} // closed by the writer once a drain has been written
	space     chan struct{} // the writer took lines off out: a waiting reader may go on
	closeOnce sync.Once
	writerWG  sync.WaitGroup

	// owned by serve
	role     string
	playerID uint64 // also read by Server under s.mu after it is set
	epoch    string // the store epoch its player id belongs to; read by checkEpoch under epochMu
	name     string
	room     string // guarded by s.mu (setRoom)
	nonce    []byte
	server   *ServerInfo
	tokens   float64
	dropDebt float64   // the rate limit's second bucket: +1 per dropped message, drains at MsgRate/2
	lastDrop time.Time // when dropDebt was last drained
	lastFill time.Time
	renamed  time.Time // last ClaimName/RefreshName of the nickname
}

func newConn(s *Server, nc net.Conn, ip netip.Addr) *conn {
	return &conn{
		s: s, nc: nc, ip: ip, id: s.cfg.Instance + "-" + strconv.FormatUint(s.nextConn.Add(1), 10),
		out: make(chan []byte, s.cfg.SendQueue), drain: make(chan struct{}), done: make(chan struct{}), flushed: make(chan struct{}), space: make(chan struct{}, 1),
		tokens: float64(s.cfg.MsgBurst),
	}
}

// close closes the connection at once; safe from any goroutine, more than once.
func (c *conn) close() {
	c.closeOnce.Do(func() {
		close(c.done)
		c.nc.Close()
	})
}

// send queues m for writing without blocking; a full queue drops the connection.
func (c *conn) send(m *proto.Message) {
	b, err := proto.Append(nil, m)
	if err != nil {
		c.s.log.Error("lobby: encode", "type", m.Type, "err", err)
		return
	}
	select {
	case <-c.done:
		return
	default:
	}
	select {
	case c.out <- b:
	default:
		c.s.metrics.slow.Inc()
		c.s.log.Info("lobby: dropping slow client", "conn", c.id, "name", c.name)
		c.close()
	}
}

// event is send for messages published to this connection. Room events carry the join code:
// only members get them.
func (c *conn) event(m *proto.Message) { c.send(m) }

// sendAndClose queues m (if not nil), then closes once everything queued is written.
func (c *conn) sendAndClose(m *proto.Message) {
	if m != nil {
		c.send(m)
	}
	c.drainOnce.Do(func() { close(c.drain) })
}

func (c *conn) replyErr(id uint64, code, msg string) {
	c.s.metrics.errors.WithLabelValues(code).Inc()
	c.send(proto.ErrorMessage(id, code, msg))
}

func (c *conn) writer() {
	defer c.writerWG.Done()
	// Lines go out in batches with one writev (net.Buffers) and no buffer of our own, so an idle
	// connection holds no write memory.
	var batch [16][]byte
	write := func(first []byte) bool {
		bufs := append(batch[:0], first)
	more:
		for len(bufs) < len(batch) {
			select {
			case b := <-c.out:
				bufs = append(bufs, b)
			default:
				break more
			}
		}
		select {
		case c.space <- struct{}{}:
		default:
		}
		_ = c.nc.SetWriteDeadline(time.Now().Add(c.s.cfg.WriteTimeout))
		nb := net.Buffers(bufs)
		_, err := nb.WriteTo(c.nc)
		clear(batch[:])
		if err != nil {
			c.close()
			return false
		}
		return true
	}
	flushQueued := func() bool {
		for {
			select {
			case b := <-c.out:
				if !write(b) {
					return false
				}
			default:
				return true
			}
		}
	}
	for {
		select {
		case <-c.done:
			return
		case b := <-c.out:
			if !write(b) {
				return
			}
		case <-c.drain:
			flushQueued()
			close(c.flushed)
			if tc, ok := c.nc.(interface{ CloseWrite() error }); ok {
				_ = tc.CloseWrite()
			}
			// Let the reader see the peer close (or its deadline) before closing the socket,
			// so the last lines are not lost to a reset; bounded by the write timeout.
			select {
			case <-c.done:
			case <-time.After(c.s.cfg.WriteTimeout):
				c.close()
			}
			return
		}
	}
}

// overDropped adds one dropped message to the connection's drop bucket and reports whether
// it overflowed: the bucket drains at half the message rate, so a burst of MaxDropped drops
// closes the connection, and so does a client that keeps sending faster than 1.5 × MsgRate
// however its messages are spread (one allowed message does not forgive the drops before it).
func (c *conn) overDropped(now time.Time) bool {
	maxDropped := c.s.cfg.MaxDropped
	if maxDropped <= 0 {
		return false
	}
	if !c.lastDrop.IsZero() {
		c.dropDebt = max(0, c.dropDebt-now.Sub(c.lastDrop).Seconds()*c.s.cfg.MsgRate/2)
	}
	c.lastDrop = now
	c.dropDebt++
	// More than MaxDropped-1: MaxDropped drops with no time between them close the
	// connection, although the bucket drained a few nanoseconds' worth meanwhile.
	return c.dropDebt > float64(maxDropped-1)
}

// allow takes a token from the connection's rate bucket.
func (c *conn) allow(now time.Time) bool {
	if c.s.cfg.MsgRate < 0 || c.server != nil { // no limit, or an authenticated game server
		return true
	}
	if c.lastFill.IsZero() {
		c.lastFill = now
	}
	c.tokens += now.Sub(c.lastFill).Seconds() * c.s.cfg.MsgRate
	c.lastFill = now
	if max := float64(c.s.cfg.MsgBurst); c.tokens > max {
		c.tokens = max
	}
	if c.tokens < 1 {
		return false
	}
	c.tokens--
	return true
}

func (c *conn) serve() {
	s := c.s
	c.writerWG.Add(1)
	go c.writer()
	defer func() {
		c.close()
		c.writerWG.Wait()
		c.cleanup()
		s.forget(c)
		s.connWG.Done()
	}()
	lr := proto.NewLineReader(c.nc, proto.MaxLineBytes)
	helloBy := time.Now().Add(s.cfg.HandshakeTimeout) // from accept, not per line
	if s.cfg.TLSConfig == nil {
		// A TLS client (a game server or player configured for TLS) would wait for a line
		// that never comes: tell it at once. Its TLS stack reads this line as a record that
		// is not TLS and says so.
		_ = c.nc.SetReadDeadline(helloBy)
		if b, err := lr.PeekByte(); err == nil && b == tlsHandshakeRecord {
			c.replyErr(0, proto.CodeTLSNotEnabled, "this lobby speaks plain TCP, not TLS")
			c.closeGracefully()
			return
		}
	}
	for {
		if !c.waitForRoom() {
			return
		}
		deadline := time.Now().Add(s.cfg.IdleTimeout)
		if c.role == "" || (c.role == proto.RoleServer && c.server == nil) {
			deadline = helloBy
		}
		_ = c.nc.SetReadDeadline(deadline)
		line, err := lr.ReadLine()
		if err != nil {
			var notTLS tls.RecordHeaderError
			if errors.As(err, &notTLS) && notTLS.Conn != nil {
				c.refusePlainText(notTLS.Conn)
				return
			}
			if errors.Is(err, proto.ErrLineTooLong) {
				c.replyErr(0, proto.CodeLineTooLong, "line over 65536 bytes")
				c.closeGracefully()
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				if c.role == "" || (c.role == proto.RoleServer && c.server == nil) {
					c.replyErr(0, proto.CodeHelloFirst, "no hello in time")
				} else {
					c.replyErr(0, proto.CodeIdleTimeout, "nothing received in time")
				}
				c.closeGracefully()
			}
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				s.log.Debug("lobby: read", "conn", c.id, "err", err)
			}
			return
		}
		select {
		case <-c.drain:
			// Shutting down: ignore further requests, wait for the peer to go.
			continue
		default:
		}
		if proto.IsBlank(line) {
			continue
		}
		m, err := proto.Decode(line)
		if now := time.Now(); !c.allow(now) { // every line counts, parsable or not
			if c.overDropped(now) {
				s.metrics.kicked.WithLabelValues(proto.CodeRateLimited).Inc()
				s.log.Info("lobby: closing connection over its message rate", "conn", c.id, "ip", c.ip, "drop_debt", c.dropDebt)
				c.replyErr(m.ID, proto.CodeRateLimited, "too many messages; closing")
				c.closeGracefully()
				return
			}
			c.replyErr(m.ID, proto.CodeRateLimited, "too many messages")
			continue
		}
		if errors.Is(err, proto.ErrInvalidUTF8) {
			s.metrics.messages.WithLabelValues("unknown").Inc()
			c.replyErr(m.ID, proto.CodeBadUTF8, "the line is not valid UTF-8; nothing was done")
			continue
		}
		if err != nil {
			s.metrics.messages.WithLabelValues("unknown").Inc()
			c.replyErr(0, proto.CodeBadRequest, err.Error())
			continue
		}
		s.metrics.messages.WithLabelValues(typeLabel(m.Type)).Inc()
		if c.handle(&m) {
			return
		}
		c.refreshName()
	}
}

// refreshName keeps the nickname's lease in the store alive while the player talks (a
// player must send something every IdleTimeout, and the lease lasts twice that).
func (c *conn) refreshName() {
	if c.role != proto.RolePlayer || time.Since(c.renamed) < c.s.cfg.IdleTimeout/2 {
		return
	}
	c.renamed = time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.s.store.RefreshName(ctx, c.name, c.id, 2*c.s.cfg.IdleTimeout); err != nil {
		c.s.log.Warn("lobby: refresh name", "player", c.name, "err", err)
	}
}

// closeGracefully flushes what is queued (the closing error line), shuts down the writing
// side, then reads and discards what the peer still sends until it closes its side, for at
// most drainTimeout and drainBytes, before the deferred close. Closing a socket with unread
// input makes the kernel send a reset, and a reset makes the peer's kernel throw away the
// lines it had received but the peer had not read yet: the closing error would be lost.
func (c *conn) closeGracefully() {
	c.sendAndClose(nil)
	c.waitDrained()
	timeout := min(drainTimeout, c.s.cfg.WriteTimeout)
	_ = c.nc.SetReadDeadline(time.Now().Add(timeout))
	_, _ = io.Copy(io.Discard, io.LimitReader(c.nc, drainBytes))
}

// tlsHandshakeRecord is the first byte of every TLS connection (a handshake record); no line of
// the lobby protocol starts with it.
const tlsHandshakeRecord = 0x16

// refusePlainText answers plain text sent to the TLS port in plain text on the underlying
// connection (as net/http answers HTTP sent to an HTTPS port), so a client configured without
// TLS learns why instead of seeing the connection drop, then closes gracefully.
func (c *conn) refusePlainText(raw net.Conn) {
	c.s.metrics.errors.WithLabelValues(proto.CodeTLSRequired).Inc()
	c.s.log.Info("lobby: plain text on the TLS port", "conn", c.id, "ip", c.ip)
	b, _ := proto.Append(nil, proto.ErrorMessage(0, proto.CodeTLSRequired, "this lobby speaks TLS; connect with TLS"))
	timeout := min(drainTimeout, c.s.cfg.WriteTimeout)
	_ = raw.SetWriteDeadline(time.Now().Add(timeout))
	if _, err := raw.Write(b); err != nil {
		return
	}
	if tc, ok := raw.(interface{ CloseWrite() error }); ok {
		_ = tc.CloseWrite()
	}
	_ = raw.SetReadDeadline(time.Now().Add(timeout))
	_, _ = io.Copy(io.Discard, io.LimitReader(raw, drainBytes))
}

// Bounds of closeGracefully's reading: a peer that keeps sending gets a reset after them.
const (
	drainTimeout = 2 * time.Second
	drainBytes   = 1 << 20
)

// waitForRoom holds the reader while the send queue is nearly full, so a client that sends
// faster than it reads meets TCP backpressure instead of overflowing its queue with replies
// (an overflow drops the connection at once, and the reset loses its last lines). A quarter
// of the queue stays free for events and a closing error line. A peer that reads nothing for
// WriteTimeout is closed.
func (c *conn) waitForRoom() bool {
	headroom := max(1, cap(c.out)/4)
	if len(c.out) < cap(c.out)-headroom {
		return true
	}
	t := time.NewTimer(c.s.cfg.WriteTimeout)
	defer t.Stop()
	for len(c.out) >= cap(c.out)-headroom {
		select {
		case <-c.space:
		case <-c.done:
			return false
		case <-t.C:
			c.close()
			return false
		}
	}
	return true
}

// waitDrained waits until the writer has flushed and closed, bounded by the write timeout.
func (c *conn) waitDrained() {
	select {
	case <-c.done:
	case <-c.flushed:
	case <-time.After(c.s.cfg.WriteTimeout):
	}
}

// handle dispatches one message; true means close the connection.
func (c *conn) handle(m *proto.Message) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if m.Type == proto.TypePing {
		c.send(&proto.Message{Type: proto.TypePong, ID: m.ID})
		return false
	}
	switch c.role {
	case "":
		if m.Type != proto.TypeHello {
			c.replyErr(m.ID, proto.CodeHelloFirst, "say hello first")
			return false
		}
		return c.hello(ctx, m)
	case proto.RolePlayer:
		return c.handlePlayer(ctx, m)
	case proto.RoleServer:
		return c.handleServer(ctx, m)
	}
	return true
}

func (c *conn) hello(ctx context.Context, m *proto.Message) bool {
	if err := proto.CheckVersion(m.Role, m.Version); err != nil {
		c.replyErr(m.ID, proto.CodeBadVersion, err.Error())
		return false
	}
	switch m.Role {
	case proto.RolePlayer, "":
		return c.playerHello(ctx, m)
	case proto.RoleServer:
		c.nonce = []byte(randomHex(16))
		c.role = proto.RoleServer // authenticated once c.server is set
		c.send(&proto.Message{Type: proto.TypeChallenge, ID: m.ID, Nonce: c.nonce})
		return false
	default:
		c.replyErr(m.ID, proto.CodeBadRequest, "role must be player or server")
		return false
	}
}

// cleanup undoes what a finished connection held: its nickname, queue ticket and room seat.
func (c *conn) cleanup() {
	if c.role == proto.RoleServer && c.server != nil && !c.s.shuttingDown() {
		c.s.serverDisconnected(c.server.Name, c.server.LastSeen)
		return
	}
	if c.role != proto.RolePlayer || c.playerID == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s := c.s
	if _, err := s.store.Dequeue(ctx, c.playerID); err != nil {
		s.log.Warn("lobby: dequeue on close", "player", c.name, "err", err)
	}
	c.leaveRoom(ctx)
	if err := s.store.ReleaseName(ctx, c.name, c.id); err != nil {
		s.log.Warn("lobby: release name", "player", c.name, "err", err)
	}
}
