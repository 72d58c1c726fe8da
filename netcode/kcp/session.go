package kcp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	kcpgo "github.com/xtaci/kcp-go/v5"

	"github.com/skirmish-go/skirmish/netcode"
	"github.com/skirmish-go/skirmish/netcode/secure"
)

// Session is one authenticated, reliable, ordered message session over KCP:
// the server's end comes from [Listener.Accept], the client's from [Dial].
//
// Send and Receive may be called from different goroutines; Send is safe for
// concurrent use. Internally a reader goroutine reads and authenticates
// frames and queues messages for Receive, and a keep-alive goroutine keeps
// an idle session alive; both stop in Close (and when the session fails).
type Session struct {
	raw      *kcpgo.UDPSession
	clientID uint64
	userData [secure.UserDataBytes]byte
	timeout  time.Duration // no frame for this long ends the session; 0 = never
	opts     Options

	// wlock is a one-slot semaphore: one frame at a time on the stream; it
	// guards send, wbuf and sentClose. A channel and not a sync.Mutex so
	// that Close and the reader can give up waiting for it (see Close).
	wlock      chan struct{}
	send       *sealer
	wbuf       []byte
	sentClose  bool
	lastSendNs atomic.Int64
	closeBy    atomic.Int64 // unix ns: Close's linger ends; 0 = not closing

	recv *sealer // reader goroutine only
	br   *bufio.Reader

	msgs       chan []byte
	done       chan struct{} // closed when the reader stops; err says why
	err        error
	peerClosed chan struct{} // closed when the peer's FrameClose arrived

	closing   chan struct{} // closed by Close
	closeOnce sync.Once
	closed    chan struct{} // closed when Close has finished
	rd        netcode.Deadline
	wdMu      sync.Mutex
	wd        time.Time

	teardownOnce sync.Once
	teardownFn   func() // closes the kcp-go session and what the side owns
	wg           sync.WaitGroup
}

func newSession(raw *kcpgo.UDPSession, br *bufio.Reader, send, recv *sealer, clientID uint64, userData [secure.UserDataBytes]byte, timeout time.Duration, opts Options, teardown func()) *Session {
	s := &Session{
		raw:        raw,
		clientID:   clientID,
		userData:   userData,
		timeout:    timeout,
		opts:       opts,
		send:       send,
		recv:       recv,
		br:         br,
		wbuf:       make([]byte, 0, frameHeaderBytes+maxFrameBody),
		wlock:      make(chan struct{}, 1),
		msgs:       make(chan []byte, opts.RecvQueue),
		done:       make(chan struct{}),
		peerClosed: make(chan struct{}),
		closing:    make(chan struct{}),
		closed:     make(chan struct{}),
		teardownFn: teardown,
	}
	s.lastSendNs.Store(time.Now().UnixNano())
	s.wg.Add(2)
	go s.readLoop()
	go s.keepAliveLoop(keepAliveFor(&opts, timeout))
	return s
}

// ClientID returns the client id from the connect token.
func (s *Session) ClientID() uint64 { return s.clientID }

// UserData returns the 256 bytes of user data from the connect token (on
// the client's end: zero, the client cannot read the private token).
func (s *Session) UserData() [secure.UserDataBytes]byte { return s.userData }

// LocalAddr returns the local network address.
func (s *Session) LocalAddr() net.Addr { return s.raw.LocalAddr() }

// RemoteAddr returns the peer's network address.
func (s *Session) RemoteAddr() net.Addr { return s.raw.RemoteAddr() }

// RTT returns KCP's smoothed round-trip time estimate.
func (s *Session) RTT() time.Duration { return time.Duration(s.raw.GetSRTT()) * time.Millisecond }

// Done is closed when the session has ended: closed locally, closed by the
// peer, timed out or dropped for a bad frame. [Session.Err] says why.
func (s *Session) Done() <-chan struct{} { return s.done }

// Err returns why the session ended, or nil while it is up: net.ErrClosed
// (local Close), io.EOF (peer closed), ErrTimedOut, ErrAuthFailed,
// ErrProtocol, or a socket error.
func (s *Session) Err() error {
	select {
	case <-s.done:
		return s.err
	default:
		return nil
	}
}

// Send queues msg (copied; 1..MaxMessageBytes bytes) for reliable, ordered
// delivery. It blocks while KCP's send window is full, up to the write
// deadline (also one set while it waits), Close's linger, or the peer's
// close (then ErrPeerClosed).
func (s *Session) Send(msg []byte) error {
	if len(msg) > MaxMessageBytes {
		return fmt.Errorf("kcp: send %d bytes: %w", len(msg), ErrMessageTooLarge)
	}
	if isClosedChan(s.closing) {
		return fmt.Errorf("kcp: send: %w", net.ErrClosed)
	}
	select {
	case <-s.done:
		if s.err == io.EOF {
			return fmt.Errorf("kcp: send: %w", ErrPeerClosed)
		}
		return fmt.Errorf("kcp: send: session ended: %w", s.err)
	default:
	}
	s.lockWrite()
	defer s.unlockWrite()
	if s.sentClose {
		return fmt.Errorf("kcp: send: %w", net.ErrClosed)
	}
	return s.writeFrameLocked(FrameMessage, msg, "send", time.Time{})
}

func (s *Session) lockWrite()   { s.wlock <- struct{}{} }
func (s *Session) unlockWrite() { <-s.wlock }

func (s *Session) tryLockWrite() bool {
	select {
	case s.wlock <- struct{}{}:
		return true
	default:
		return false
	}
}

// lockWriteBefore takes the write lock, or gives up when expired fires.
func (s *Session) lockWriteBefore(expired <-chan time.Time) bool {
	select {
	case s.wlock <- struct{}{}:
		return true
	case <-expired:
		return false
	}
}

// defaultWriteSlice bounds each kcp-go Write (Options.writeSlice).
//
// kcp-go v5.6.24's UDPSession.WriteBuffers reads its write deadline once, on
// entry (and again only after a write event if it had armed a timer): a
// Write that starts with a zero deadline waits on a nil timer channel, and a
// later SetWriteDeadline merely wakes it to find the window still full and
// wait again, for ever; only closing the kcp-go session frees it. It also
// reads the deadline without its lock, so changing it during a Write is a
// data race. So we never pass our deadline through: every kcp-go Write runs
// under a fresh, never-zero deadline of at most one slice, set by the
// writing goroutine itself, and the loop in writeFrameLocked looks again at
// our deadline, Close's linger and the peer's close between slices.
const defaultWriteSlice = 20 * time.Millisecond

// writeFrameLocked seals and writes one frame; the write lock is held.
// kcp-go takes a whole Write into its queue or nothing, so a timed-out write
// leaves the stream and the counter consistent. limit, if not zero, bounds
// the write on top of the write deadline and Close's linger. Once the peer's
// close has arrived, only a close frame is still written (the peer drops
// anything else).
func (s *Session) writeFrameLocked(t FrameType, plain []byte, op string, limit time.Time) error {
	s.wbuf = s.send.appendFrame(s.wbuf[:0], t, nil, plain)
	for {
		if t != FrameClose && isClosedChan(s.peerClosed) {
			return fmt.Errorf("kcp: %s: %w", op, ErrPeerClosed)
		}
		s.wdMu.Lock()
		dl := s.wd
		s.wdMu.Unlock()
		for _, d := range [2]time.Time{limit, time.Unix(0, s.closeBy.Load())} {
			if d.UnixNano() > 0 && (dl.IsZero() || d.Before(dl)) {
				dl = d
			}
		}
		now := time.Now()
		if !dl.IsZero() && !now.Before(dl) {
			if t != FrameClose && isClosedChan(s.closing) {
				return fmt.Errorf("kcp: %s: %w", op, net.ErrClosed)
			}
			return timeoutError{op: op}
		}
		slice := now.Add(s.opts.writeSlice) // never zero: see defaultWriteSlice
		if !dl.IsZero() && dl.Before(slice) {
			slice = dl
		}
		s.raw.SetWriteDeadline(slice)
		_, err := s.raw.Write(s.wbuf)
		if err == nil {
			s.send.commit()
			s.lastSendNs.Store(time.Now().UnixNano())
			return nil
		}
		if !isTimeout(err) {
			return translate(op, err)
		}
	}
}

// Receive returns the next message, in order, exactly once; the caller owns
// the slice. After the peer closed the session it returns the messages sent
// before the close, then io.EOF. It waits up to the read deadline (then an
// error matching os.ErrDeadlineExceeded, a net.Error timeout).
func (s *Session) Receive() ([]byte, error) {
	select {
	case <-s.closing:
		return nil, fmt.Errorf("kcp: receive: %w", net.ErrClosed)
	default:
	}
	select {
	case m := <-s.msgs:
		return m, nil
	default:
	}
	select {
	case m := <-s.msgs:
		return m, nil
	case <-s.closing:
		return nil, fmt.Errorf("kcp: receive: %w", net.ErrClosed)
	case <-s.done:
		select {
		case m := <-s.msgs:
			return m, nil
		default:
		}
		if s.err == io.EOF {
			return nil, io.EOF
		}
		return nil, fmt.Errorf("kcp: receive: %w", s.err)
	case <-s.rd.Wait():
		return nil, timeoutError{op: "receive"}
	}
}

// SetDeadline sets the read and write deadlines.
func (s *Session) SetDeadline(t time.Time) error {
	s.SetReadDeadline(t)
	return s.SetWriteDeadline(t)
}

// SetReadDeadline sets the deadline for Receive, including a pending one.
// The zero time means none.
func (s *Session) SetReadDeadline(t time.Time) error {
	s.rd.Set(t)
	return nil
}

// SetWriteDeadline sets the deadline for Send, including a pending one
// blocked on a full window. The zero time means none.
func (s *Session) SetWriteDeadline(t time.Time) error {
	s.wdMu.Lock()
	s.wd = t
	s.wdMu.Unlock()
	return nil
}

// Close ends the session gracefully: it sends a close frame and waits (up to
// Options.Linger) for the peer's answering close, which proves the peer read
// everything sent before it; then it releases the KCP session and stops the
// session's goroutines. Messages not yet received are dropped. Close is safe
// to call more than once and from several goroutines.
//
// A Send blocked on a full window when Close is called may still complete
// within the linger; after it, the Send returns an error matching
// net.ErrClosed. Close returns within about Options.Linger even if the peer
// never reads.
func (s *Session) Close() error {
	first := false
	s.closeOnce.Do(func() { first = true; close(s.closing) })
	if !first {
		<-s.closed
		return nil
	}
	defer close(s.closed)
	s.rd.Stop()
	linger := time.NewTimer(s.opts.Linger)
	defer linger.Stop()
	select {
	case <-s.done:
	default:
		// Bound a Send blocked on a full window, and our close frame, by the linger.
		s.closeBy.Store(time.Now().Add(s.opts.Linger).UnixNano())
		if !s.lockWriteBefore(linger.C) {
			// A write still holds the stream after the whole linger (its
			// kcp-go Write did not give up at its deadline): too late for a
			// close frame. Closing the kcp-go session ends that Write
			// (io.ErrClosedPipe); then let it finish.
			s.teardown()
			s.lockWrite()
			s.sentClose = true
			s.unlockWrite()
			break
		}
		var err error
		if !s.sentClose {
			s.sentClose = true
			err = s.writeFrameLocked(FrameClose, nil, "close", time.Time{})
		}
		s.unlockWrite()
		if err == nil {
			select {
			case <-s.peerClosed:
			case <-s.done:
			case <-linger.C:
			}
		}
	}
	s.teardown()
	s.wg.Wait()
	return nil
}

// teardown releases the kcp-go session (and, for a client, its socket) once.
func (s *Session) teardown() {
	s.teardownOnce.Do(func() {
		s.raw.Close()
		if s.teardownFn != nil {
			s.teardownFn()
		}
	})
}

// end records why the session ended and wakes everyone waiting on it.
func (s *Session) end(err error) {
	s.err = err
	close(s.done)
}

func (s *Session) readLoop() {
	defer s.wg.Done()
	var hdr [frameHeaderBytes]byte
	for {
		if s.timeout > 0 {
			s.raw.SetReadDeadline(time.Now().Add(s.timeout))
		}
		h, body, err := readFrame(s.br, &hdr)
		if err != nil {
			s.fail(s.readError(err))
			return
		}
		switch h.Type {
		case FrameMessage, FrameKeepAlive, FrameClose:
		default:
			s.fail(fmt.Errorf("%w: unexpected %v frame", ErrProtocol, h.Type))
			return
		}
		plain, err := s.recv.open(hdr[:], body, 0)
		if err != nil {
			s.fail(err)
			return
		}
		switch h.Type {
		case FrameMessage:
			select {
			case s.msgs <- plain:
			case <-s.closing:
				// Close drops unreceived messages; keep reading for the peer's close.
			}
		case FrameClose:
			close(s.peerClosed) // a Send in progress gives up within a slice
			t := time.NewTimer(s.opts.Linger)
			answered := s.lockWriteBefore(t.C)
			if answered {
				if !s.sentClose {
					s.sentClose = true
					s.writeFrameLocked(FrameClose, nil, "close", time.Now().Add(s.opts.Linger))
				}
				s.unlockWrite()
			}
			if isClosedChan(s.closing) {
				s.end(net.ErrClosed) // our Close started it: this was the answer
			} else {
				s.end(io.EOF)
			}
			if answered {
				// Keep KCP running so our answering close gets through,
				// until the user closes or the linger passes.
				select {
				case <-s.closing:
				case <-t.C:
				}
			}
			t.Stop()
			s.teardown() // (also ends a write that held the stream all along)
			return
		}
	}
}

// fail ends the session on an error and drops it at once: released first
// (for a server session, no longer counted by Listener.NumSessions), then
// Done closes.
func (s *Session) fail(err error) {
	select {
	case <-s.closing:
		err = net.ErrClosed
	default:
	}
	s.teardown()
	s.end(err)
}

func (s *Session) readError(err error) error {
	switch {
	case errors.Is(err, io.ErrClosedPipe):
		// Not our Close (fail checks that): kcp-go replaced the session with
		// a new conversation from the same address.
		return fmt.Errorf("kcp: session replaced by a new KCP conversation: %w", net.ErrClosed)
	case isTimeout(err):
		return fmt.Errorf("%w: nothing for %v", ErrTimedOut, s.timeout)
	case errors.Is(err, ErrProtocol):
		return err
	}
	return fmt.Errorf("kcp: read: %w", err)
}

func (s *Session) keepAliveLoop(every time.Duration) {
	defer s.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.closing:
			return
		case <-s.done:
			return
		case now := <-t.C:
			if now.Sub(time.Unix(0, s.lastSendNs.Load())) < every {
				continue
			}
			if s.tryLockWrite() { // a Send in progress is traffic enough
				if !s.sentClose {
					s.writeFrameLocked(FrameKeepAlive, nil, "keep-alive", now.Add(every))
				}
				s.unlockWrite()
			}
		}
	}
}

func isClosedChan(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
