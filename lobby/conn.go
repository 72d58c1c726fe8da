package lobby

import (
	"context"
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
	closeOnce sync.Once
	writerWG  sync.WaitGroup

	// owned by serve
	role     string
	playerID uint64 // also read by Server under s.mu after it is set
	name     string
	room     string // guarded by s.mu (setRoom)
	nonce    []byte
	server   *ServerInfo
	tokens   float64
	dropped  int // messages dropped by the rate limit in a row
	lastFill time.Time
	renamed  time.Time // last ClaimName/RefreshName of the nickname
}

func newConn(s *Server, nc net.Conn, ip netip.Addr) *conn {
	return &conn{
		s: s, nc: nc, ip: ip, id: s.cfg.Instance + "-" + strconv.FormatUint(s.nextConn.Add(1), 10),
		out: make(chan []byte, s.cfg.SendQueue), drain: make(chan struct{}), done: make(chan struct{}), flushed: make(chan struct{}),
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
	for {
		deadline := time.Now().Add(s.cfg.IdleTimeout)
		if c.role == "" || (c.role == proto.RoleServer && c.server == nil) {
			deadline = helloBy
		}
		_ = c.nc.SetReadDeadline(deadline)
		line, err := lr.ReadLine()
		if err != nil {
			if errors.Is(err, proto.ErrLineTooLong) {
				c.replyErr(0, proto.CodeLineTooLong, "line over 65536 bytes")
				c.sendAndClose(nil)
				c.waitDrained()
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				if c.role == "" || (c.role == proto.RoleServer && c.server == nil) {
					c.replyErr(0, proto.CodeHelloFirst, "no hello in time")
				} else {
					c.replyErr(0, proto.CodeIdleTimeout, "nothing received in time")
				}
				c.sendAndClose(nil)
				c.waitDrained()
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
		if !c.allow(time.Now()) { // every line counts, parsable or not
			c.dropped++
			if s.cfg.MaxDropped > 0 && c.dropped >= s.cfg.MaxDropped {
				s.metrics.kicked.WithLabelValues(proto.CodeRateLimited).Inc()
				s.log.Info("lobby: closing connection over its message rate", "conn", c.id, "ip", c.ip, "dropped", c.dropped)
				c.replyErr(m.ID, proto.CodeRateLimited, "too many messages; closing")
				c.sendAndClose(nil)
				c.waitDrained()
				return
			}
			c.replyErr(m.ID, proto.CodeRateLimited, "too many messages")
			continue
		}
		c.dropped = 0
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
