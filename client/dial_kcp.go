package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/skirmish-go/skirmish/netcode/kcp"
)

// Game transports, as the lobby announces them in match_found ([DialConfig.Transport]).
const (
	TransportUDP = "udp" // netcode.io (netcode/secure), the default
	TransportKCP = "kcp" // netcode/kcp: every payload reliable and ordered
)

// ErrTransportMismatch is returned by [DialGame] when the client was told to use one transport
// ([DialConfig.Force]) and the server runs another ([DialConfig.Transport]).
var ErrTransportMismatch = errors.New("client: transport mismatch")

// kcpSendQueue bounds the payloads waiting for the KCP session's writer; beyond it the
// connection is dropped (the server has not taken our packets for seconds).
const kcpSendQueue = 256

// pickTransport is the transport DialGame uses: the server's (from match_found), checked
// against the one the user forced, if any.
func pickTransport(server, forced string) (string, error) {
	if server == "" {
		server = TransportUDP
	}
	if server != TransportUDP && server != TransportKCP {
		return "", fmt.Errorf("client: server transport %q: want udp or kcp", server)
	}
	if forced != "" && forced != server {
		return "", fmt.Errorf("%w: the game server runs %q, but this client was told to use %q (drop -transport, or use the server's)",
			ErrTransportMismatch, server, forced)
	}
	return server, nil
}

// dialKCP runs the KCP handshake over pc with token and returns the session as a Transport.
func dialKCP(ctx context.Context, pc net.PacketConn, token []byte, cfg kcp.ClientConfig) (Transport, error) {
	s, err := kcp.Dial(ctx, pc, token, cfg)
	if err != nil {
		if errors.Is(err, kcp.ErrConnectTimedOut) {
			return nil, fmt.Errorf("%w (does -kcp-fec match the server's?)", err)
		}
		return nil, err
	}
	return newKCPConn(s), nil
}

// kcpConn adapts a kcp.Session to Transport: a reader goroutine moves the session's messages
// to the Payloads channel, and a writer goroutine sends the queued payloads, so Send never
// blocks the connection's loop on a full KCP window.
type kcpConn struct {
	s        *kcp.Session
	payloads chan []byte
	sendq    chan []byte
	done     chan struct{} // closed when the reader has delivered the last message
	closing  chan struct{}
	written  chan struct{} // closed when the writer has returned

	mu      sync.Mutex
	err     error
	closed  bool
	stopped chan struct{} // closed when both goroutines have returned
}

func newKCPConn(s *kcp.Session) *kcpConn {
	c := &kcpConn{
		s:        s,
		payloads: make(chan []byte, 256),
		sendq:    make(chan []byte, kcpSendQueue),
		done:     make(chan struct{}),
		closing:  make(chan struct{}),
		written:  make(chan struct{}),
		stopped:  make(chan struct{}),
	}
	var wg sync.WaitGroup
	wg.Go(c.readLoop)
	wg.Go(c.writeLoop)
	go func() {
		wg.Wait()
		close(c.stopped)
	}()
	return c
}

func (c *kcpConn) readLoop() {
	defer close(c.done)
	for {
		msg, err := c.s.Receive()
		if err != nil {
			c.fail(err)
			return
		}
		select {
		case c.payloads <- msg:
		case <-c.closing:
			c.fail(net.ErrClosed)
			return
		}
	}
}

func (c *kcpConn) writeLoop() {
	defer close(c.written)
	for {
		select {
		case p := <-c.sendq:
			if err := c.s.Send(p); err != nil {
				c.fail(err)
				c.s.Close()
				return
			}
		case <-c.done:
			return
		case <-c.closing:
			// Send what is still queued (the last acknowledgements) before the close, briefly.
			c.s.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
			for {
				select {
				case p := <-c.sendq:
					if c.s.Send(p) != nil {
						return
					}
				default:
					return
				}
			}
		}
	}
}

// fail records the first reason the connection ended.
func (c *kcpConn) fail(err error) {
	c.mu.Lock()
	if c.err == nil {
		c.err = err
	}
	c.mu.Unlock()
}

// Send queues payload (copied) for the server. A full queue ends the connection.
func (c *kcpConn) Send(payload []byte) error {
	select {
	case <-c.done:
		return fmt.Errorf("client: kcp send: %w", c.Err())
	case <-c.closing:
		return fmt.Errorf("client: kcp send: %w", net.ErrClosed)
	default:
	}
	select {
	case c.sendq <- append([]byte(nil), payload...):
		return nil
	default:
	}
	err := fmt.Errorf("client: kcp send: %d payloads queued for a full window: %w", kcpSendQueue, kcp.ErrTimedOut)
	c.fail(err)
	// Cut the writer's blocked Send short: it fails and closes the session.
	c.s.SetWriteDeadline(time.Now())
	return err
}

// Payloads are the server's messages, in order.
func (c *kcpConn) Payloads() <-chan []byte { return c.payloads }

// Done is closed when the session has ended and every message before the end is in Payloads.
func (c *kcpConn) Done() <-chan struct{} { return c.done }

// Err says why the connection ended (nil while it is up).
func (c *kcpConn) Err() error {
	select {
	case <-c.done:
	default:
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Close sends KCP's close (waiting up to its linger for the server's answer) and stops the
// goroutines. Safe to call more than once.
func (c *kcpConn) Close() error {
	c.mu.Lock()
	first := !c.closed
	c.closed = true
	c.mu.Unlock()
	if first {
		close(c.closing)
		<-c.written
		c.s.Close()
	}
	<-c.stopped
	return nil
}
