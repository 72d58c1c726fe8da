package netsim

import (
	"net"
	"os"
	"sync"
	"time"
)

// deadline is a settable deadline whose expiry closes a channel, so a
// blocked reader can select on it. It is the pattern of net.Pipe's
// pipeDeadline: the channel is only replaced once it has been closed, so a
// reader already blocked on it sees a deadline set later. It uses
// time.AfterFunc, which runs on the virtual clock inside testing/synctest.
type deadline struct {
	mu     sync.Mutex
	timer  *time.Timer
	cancel chan struct{} // closed when the deadline has passed
}

func newDeadline() *deadline { return &deadline{cancel: make(chan struct{})} }

func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil && !d.timer.Stop() {
		<-d.cancel // the callback is running or ran: wait for it to close cancel
	}
	d.timer = nil
	closed := isClosed(d.cancel)
	if t.IsZero() {
		if closed {
			d.cancel = make(chan struct{})
		}
		return
	}
	if dur := time.Until(t); dur > 0 {
		if closed {
			d.cancel = make(chan struct{})
		}
		cancel := d.cancel
		d.timer = time.AfterFunc(dur, func() { close(cancel) })
		return
	}
	if !closed {
		close(d.cancel)
	}
}

// wait returns a channel that is closed when the deadline passes.
func (d *deadline) wait() chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cancel
}

// stop releases the timer, if any.
func (d *deadline) stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil {
		d.timer.Stop()
	}
}

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// opError wraps err the way the net package does, so callers can use
// errors.Is(err, net.ErrClosed), errors.Is(err, os.ErrDeadlineExceeded) and
// net.Error's Timeout.
func opError(op string, local, remote net.Addr, err error) error {
	return &net.OpError{Op: op, Net: "udp", Source: local, Addr: remote, Err: err}
}

var errTimeout = os.ErrDeadlineExceeded
