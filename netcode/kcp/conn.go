package kcp

import (
	"fmt"
	"net"
	"sync"
	"time"
)

// Conn returns a byte-stream view of the session as a net.Conn, for code
// that wants one (a stream protocol, a test harness): Write sends its bytes
// as messages of at most MaxMessageBytes, Read returns the bytes of the
// received messages in order (io.EOF after the peer closed), deadlines and
// Close are the session's. Use either the Conn or Send/Receive on a session,
// not both.
func (s *Session) Conn() net.Conn { return &streamConn{s: s} }

type streamConn struct {
	s    *Session
	rmu  sync.Mutex
	rest []byte // unread bytes of the current message
}

func (c *streamConn) Read(b []byte) (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if isClosedChan(c.s.closing) {
		return 0, fmt.Errorf("kcp: read: %w", net.ErrClosed)
	}
	if len(c.rest) == 0 {
		if len(b) == 0 {
			return 0, nil
		}
		m, err := c.s.Receive()
		if err != nil {
			return 0, err
		}
		c.rest = m
	}
	n := copy(b, c.rest)
	c.rest = c.rest[n:]
	return n, nil
}

func (c *streamConn) Write(b []byte) (int, error) {
	n := 0
	for len(b) > 0 {
		chunk := b[:min(len(b), MaxMessageBytes)]
		if err := c.s.Send(chunk); err != nil {
			return n, err
		}
		n += len(chunk)
		b = b[len(chunk):]
	}
	return n, nil
}

func (c *streamConn) Close() error                       { return c.s.Close() }
func (c *streamConn) LocalAddr() net.Addr                { return c.s.LocalAddr() }
func (c *streamConn) RemoteAddr() net.Addr               { return c.s.RemoteAddr() }
func (c *streamConn) SetDeadline(t time.Time) error      { return c.s.SetDeadline(t) }
func (c *streamConn) SetReadDeadline(t time.Time) error  { return c.s.SetReadDeadline(t) }
func (c *streamConn) SetWriteDeadline(t time.Time) error { return c.s.SetWriteDeadline(t) }
