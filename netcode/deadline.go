package netcode

import (
	"sync"
	"time"
)

// Deadline is a settable deadline whose channel closes when it passes, so a blocked reader or
// writer can select on it; the conns of netcode/netsim and netcode/kcp use it for their
// SetReadDeadline and SetWriteDeadline. It is the pattern of net.Pipe's pipeDeadline: the
// channel is replaced only once it has closed, so a goroutine already waiting on it sees a
// deadline set later. It runs on time.AfterFunc, so it follows the virtual clock inside
// testing/synctest. The zero value has no deadline; a Deadline must not be copied after use.
type Deadline struct {
	mu     sync.Mutex
	timer  *time.Timer
	cancel chan struct{} // closed when the deadline has passed
}

func (d *Deadline) init() {
	if d.cancel == nil {
		d.cancel = make(chan struct{})
	}
}

// Set moves the deadline to t; the zero time means none, a past time closes Wait's channel now.
func (d *Deadline) Set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.init()
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

// Wait returns a channel that is closed when the deadline passes.
func (d *Deadline) Wait() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.init()
	return d.cancel
}

// Exceeded reports whether the deadline has passed.
func (d *Deadline) Exceeded() bool { return isClosed(d.Wait()) }

// Stop releases the timer, if any (the conn is closing).
func (d *Deadline) Stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil {
		d.timer.Stop()
	}
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
