package netsim

import (
	"container/heap"
	"math/rand/v2"
	"net"
	"sync"
	"time"

	"github.com/skirmish-go/skirmish/netcode"
)

// Impairment describes what one direction of a simulated link does to the
// datagrams that cross it. The zero value is a perfect link.
type Impairment struct {
	// Loss is the probability (0..1) that a datagram is dropped.
	Loss float64
	// Duplicate is the probability (0..1) that a datagram is delivered
	// twice; the copy gets its own latency and jitter.
	Duplicate float64
	// Reorder is the probability (0..1) that a datagram is held back by
	// ReorderDelay on top of its latency, so that datagrams sent shortly
	// after it overtake it.
	Reorder float64
	// ReorderDelay is the extra hold of a reordered datagram.
	// Zero means 2*Jitter + 20ms.
	ReorderDelay time.Duration
	// Latency is the one-way delay of every datagram.
	Latency time.Duration
	// Jitter widens the delay to Latency ± Jitter, drawn uniformly per
	// datagram (clamped at zero). Jitter larger than the spacing between
	// datagrams reorders them, as on a real path.
	Jitter time.Duration
	// RateBytesPerSec caps the bandwidth: datagrams are serialised through
	// a queue drained at this rate before their latency starts. 0 means
	// unlimited.
	RateBytesPerSec int
	// QueueBytes bounds that queue; a datagram that would make the backlog
	// exceed it is dropped (counted in Dropped and Overflow). Zero means
	// max(RateBytesPerSec/4, 16 KiB), a quarter second of traffic.
	QueueBytes int
}

func (im Impairment) reorderDelay() time.Duration {
	if im.ReorderDelay > 0 {
		return im.ReorderDelay
	}
	return 2*im.Jitter + 20*time.Millisecond
}

func (im Impairment) queueBytes() int {
	if im.QueueBytes > 0 {
		return im.QueueBytes
	}
	return max(im.RateBytesPerSec/4, 16<<10)
}

// Config configures [Wrap]. The zero value passes datagrams through
// unchanged.
type Config struct {
	Send Impairment // applied to datagrams written with WriteTo
	Recv Impairment // applied to datagrams before ReadFrom returns them
	// Seed selects the random decisions. The same Seed and the same sequence
	// of datagrams in a direction give the same decisions.
	Seed int64
	// Trace, if set, is called once per datagram offered to either
	// direction with the decisions taken for it. It is called with the
	// Conn's lock held (so calls never overlap): it must be quick and must
	// not call back into the Conn. See [Recorder].
	Trace func(Event)
	// RecvQueueLen bounds the datagrams that have crossed the Recv side and
	// wait for ReadFrom; beyond it they are dropped (Recv Overflow).
	// Zero means DefaultQueueLen.
	RecvQueueLen int
}

// Direction names one side of a [Conn].
type Direction uint8

const (
	DirSend Direction = iota // datagrams written with WriteTo
	DirRecv                  // datagrams read with ReadFrom
)

func (d Direction) String() string {
	if d == DirSend {
		return "send"
	}
	return "recv"
}

// Event records the decisions taken for one datagram.
type Event struct {
	Dir Direction
	Seq uint64 // index of the datagram in its direction, from 0
	Len int
	// Lost is set when the datagram was dropped by Loss; Overflow when it
	// was dropped because the rate queue was full.
	Lost, Overflow bool
	// Delay is from the offer to the delivery of the datagram: queueing,
	// latency, jitter and any reorder hold.
	Delay     time.Duration
	Reordered bool
	// Duplicated is set when a second copy is delivered after DupDelay.
	Duplicated bool
	DupDelay   time.Duration
}

// Recorder collects Events; pass its Record method as [Config.Trace].
// It is safe for concurrent use.
type Recorder struct {
	mu     sync.Mutex
	events []Event
}

// Record appends e.
func (r *Recorder) Record(e Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

// Events returns a copy of the events recorded so far.
func (r *Recorder) Events() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}

// DirStats counts what one direction did.
type DirStats struct {
	Packets    uint64 `json:"packets"`    // datagrams offered
	Bytes      uint64 `json:"bytes"`      // bytes offered
	Dropped    uint64 `json:"dropped"`    // datagrams lost, overflowed, or (Send) whose delayed write failed
	Overflow   uint64 `json:"overflow"`   // of Dropped, those dropped by a full queue
	Duplicated uint64 `json:"duplicated"` // extra copies made
	Reordered  uint64 `json:"reordered"`  // datagrams held back by Reorder
	Delayed    uint64 `json:"delayed"`    // copies delivered after a delay > 0
	Delivered  uint64 `json:"delivered"`  // copies delivered (duplicates included)
	// DeliveredBytes counts the bytes of the delivered copies.
	DeliveredBytes uint64 `json:"delivered_bytes"`
}

// Add returns the field-wise sum of s and o.
func (s DirStats) Add(o DirStats) DirStats {
	return DirStats{
		Packets: s.Packets + o.Packets, Bytes: s.Bytes + o.Bytes,
		Dropped: s.Dropped + o.Dropped, Overflow: s.Overflow + o.Overflow,
		Duplicated: s.Duplicated + o.Duplicated, Reordered: s.Reordered + o.Reordered,
		Delayed: s.Delayed + o.Delayed, Delivered: s.Delivered + o.Delivered,
		DeliveredBytes: s.DeliveredBytes + o.DeliveredBytes,
	}
}

// Stats are a [Conn]'s counters, per direction.
type Stats struct {
	Send DirStats `json:"send"`
	Recv DirStats `json:"recv"`
}

// dirState is one direction's decision state.
type dirState struct {
	im       Impairment
	rng      *rand.Rand
	seq      uint64
	linkFree time.Time // when the rate queue finishes its backlog
	stats    DirStats
}

// pending is a datagram copy waiting for its delivery time.
type pending struct {
	at   time.Time
	seq  uint64 // tie-break: equal times deliver in offer order
	dir  Direction
	data []byte
	addr net.Addr
}

type pendingHeap []pending

func (h pendingHeap) Len() int { return len(h) }
func (h pendingHeap) Less(i, j int) bool {
	if h[i].at.Equal(h[j].at) {
		return h[i].seq < h[j].seq
	}
	return h[i].at.Before(h[j].at)
}
func (h pendingHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *pendingHeap) Push(x any)   { *h = append(*h, x.(pending)) }
func (h *pendingHeap) Pop() any {
	old := *h
	p := old[len(old)-1]
	old[len(old)-1] = pending{}
	*h = old[:len(old)-1]
	return p
}

type datagram struct {
	data []byte
	addr net.Addr
}

// Conn is a net.PacketConn that impairs the datagrams of the conn it wraps,
// in both directions. Make one with [Wrap].
type Conn struct {
	inner net.PacketConn
	trace func(Event)

	mu      sync.Mutex
	dirs    [2]dirState
	pending pendingHeap
	nextSeq uint64

	wake     chan struct{} // a new datagram may be the earliest pending
	ready    chan datagram // Recv datagrams waiting for ReadFrom
	quit     chan struct{}
	readDone chan struct{} // the pump stopped; readErr says why
	readErr  error
	rd, wd   *netcode.Deadline

	closeOnce sync.Once
	wg        sync.WaitGroup
}

// Wrap returns a Conn that applies cfg.Send to datagrams written to it and
// cfg.Recv to datagrams read from conn. The Conn owns conn: it reads conn
// from its own goroutine and closes it on Close. Conn's deadlines are its
// own; do not set deadlines on conn.
func Wrap(conn net.PacketConn, cfg Config) *Conn {
	qlen := cfg.RecvQueueLen
	if qlen <= 0 {
		qlen = DefaultQueueLen
	}
	seed := uint64(cfg.Seed)
	c := &Conn{
		inner:    conn,
		trace:    cfg.Trace,
		wake:     make(chan struct{}, 1),
		ready:    make(chan datagram, qlen),
		quit:     make(chan struct{}),
		readDone: make(chan struct{}),
		rd:       new(netcode.Deadline),
		wd:       new(netcode.Deadline),
	}
	// One independent PCG stream per direction, so the decisions of one
	// direction do not depend on how its datagrams interleave with the
	// other's.
	c.dirs[DirSend] = dirState{im: cfg.Send, rng: rand.New(rand.NewPCG(seed, 0x5345_4e44))}
	c.dirs[DirRecv] = dirState{im: cfg.Recv, rng: rand.New(rand.NewPCG(seed, 0x5245_4356))}
	c.wg.Add(2)
	go c.pump()
	go c.schedule()
	return c
}

// offer takes the decisions for one datagram at time now. Copies due
// immediately are returned in now (0, 1 or 2 of them); later ones are
// queued for the scheduler. data is owned by the Conn from here.
func (c *Conn) offer(dir Direction, data []byte, addr net.Addr, now time.Time) (immediate int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d := &c.dirs[dir]
	im := d.im
	// Always five draws, in this order, whatever the outcome: the decisions
	// for datagram i depend only on the seed and i.
	uLoss := d.rng.Float64()
	uDup := d.rng.Float64()
	uReorder := d.rng.Float64()
	uJitter := d.rng.Float64()
	uDupJitter := d.rng.Float64()

	ev := Event{Dir: dir, Seq: d.seq, Len: len(data)}
	d.seq++
	d.stats.Packets++
	d.stats.Bytes += uint64(len(data))

	defer func() {
		if c.trace != nil {
			c.trace(ev)
		}
	}()

	if uLoss < im.Loss {
		ev.Lost = true
		d.stats.Dropped++
		return 0
	}
	var queued time.Duration // waiting in, then crossing, the rate queue
	if im.RateBytesPerSec > 0 {
		start := d.linkFree
		if start.Before(now) {
			start = now
		}
		backlog := int(start.Sub(now).Seconds() * float64(im.RateBytesPerSec))
		if backlog+len(data) > im.queueBytes() {
			ev.Overflow = true
			d.stats.Dropped++
			d.stats.Overflow++
			return 0
		}
		tx := time.Duration(len(data)) * time.Second / time.Duration(im.RateBytesPerSec)
		d.linkFree = start.Add(tx)
		queued = d.linkFree.Sub(now)
	}
	ev.Delay = queued + jittered(im, uJitter)
	if uReorder < im.Reorder {
		ev.Reordered = true
		ev.Delay += im.reorderDelay()
		d.stats.Reordered++
	}
	immediate += c.place(dir, data, addr, now, ev.Delay)
	if uDup < im.Duplicate {
		ev.Duplicated = true
		ev.DupDelay = queued + jittered(im, uDupJitter)
		d.stats.Duplicated++
		immediate += c.place(dir, data, addr, now, ev.DupDelay)
	}
	return immediate
}

func jittered(im Impairment, u float64) time.Duration {
	d := im.Latency + time.Duration((2*u-1)*float64(im.Jitter))
	return max(d, 0)
}

// place queues one copy, or reports it as due now. c.mu is held.
func (c *Conn) place(dir Direction, data []byte, addr net.Addr, now time.Time, delay time.Duration) int {
	if delay <= 0 {
		return 1
	}
	c.dirs[dir].stats.Delayed++
	heap.Push(&c.pending, pending{at: now.Add(delay), seq: c.nextSeq, dir: dir, data: data, addr: addr})
	c.nextSeq++
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return 0
}

// pump reads the wrapped conn and feeds the Recv side until it fails.
func (c *Conn) pump() {
	defer c.wg.Done()
	buf := make([]byte, MaxDatagramSize+1)
	for {
		n, from, err := c.inner.ReadFrom(buf)
		if err != nil {
			c.readErr = err
			close(c.readDone)
			return
		}
		data := append([]byte(nil), buf[:n]...)
		for range c.offer(DirRecv, data, from, time.Now()) {
			c.deliverRecv(data, from)
		}
	}
}

func (c *Conn) deliverRecv(data []byte, from net.Addr) {
	select {
	case c.ready <- datagram{data: data, addr: from}:
		c.count(DirRecv, len(data), false)
	default:
		c.count(DirRecv, len(data), true)
	}
}

func (c *Conn) deliverSend(data []byte, to net.Addr) error {
	_, err := c.inner.WriteTo(data, to)
	if err == nil {
		c.count(DirSend, len(data), false)
	}
	return err
}

// deliverLate writes a delayed copy; a failure is a lost datagram.
func (c *Conn) deliverLate(data []byte, to net.Addr) {
	if c.deliverSend(data, to) != nil {
		c.mu.Lock()
		c.dirs[DirSend].stats.Dropped++
		c.mu.Unlock()
	}
}

func (c *Conn) count(dir Direction, n int, overflow bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := &c.dirs[dir].stats
	if overflow {
		s.Dropped++
		s.Overflow++
		return
	}
	s.Delivered++
	s.DeliveredBytes += uint64(n)
}

// schedule delivers pending copies when they fall due, earliest first. It
// waits on one timer reset to the earliest delivery time.
func (c *Conn) schedule() {
	defer c.wg.Done()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	var due []pending
	for {
		c.mu.Lock()
		now := time.Now()
		due = due[:0]
		for len(c.pending) > 0 && !c.pending[0].at.After(now) {
			due = append(due, heap.Pop(&c.pending).(pending))
		}
		var next time.Duration = -1
		if len(c.pending) > 0 {
			next = c.pending[0].at.Sub(now)
		}
		c.mu.Unlock()

		for i := range due {
			p := &due[i]
			if p.dir == DirSend {
				c.deliverLate(p.data, p.addr)
			} else {
				c.deliverRecv(p.data, p.addr)
			}
			*p = pending{}
		}
		if next >= 0 {
			timer.Reset(next)
		}
		select {
		case <-c.quit:
			return
		case <-timer.C:
		case <-c.wake:
			timer.Stop()
		}
	}
}

// ReadFrom returns the next datagram that has crossed the Recv side.
func (c *Conn) ReadFrom(b []byte) (int, net.Addr, error) {
	select {
	case <-c.quit:
		return 0, nil, opError("read", c.LocalAddr(), nil, net.ErrClosed)
	default:
	}
	select {
	case d := <-c.ready:
		return copy(b, d.data), d.addr, nil
	case <-c.quit:
		return 0, nil, opError("read", c.LocalAddr(), nil, net.ErrClosed)
	case <-c.rd.Wait():
		return 0, nil, opError("read", c.LocalAddr(), nil, errTimeout)
	case <-c.readDone:
		select {
		case d := <-c.ready:
			return copy(b, d.data), d.addr, nil
		default:
			return 0, nil, c.readErr
		}
	}
}

// WriteTo sends b to addr through the Send side. It copies b and returns
// len(b) for a datagram that is dropped or delayed; only a datagram due
// immediately reports the wrapped conn's write error.
func (c *Conn) WriteTo(b []byte, addr net.Addr) (int, error) {
	select {
	case <-c.quit:
		return 0, opError("write", c.LocalAddr(), addr, net.ErrClosed)
	default:
	}
	if c.wd.Exceeded() {
		return 0, opError("write", c.LocalAddr(), addr, errTimeout)
	}
	data := append([]byte(nil), b...)
	for range c.offer(DirSend, data, addr, time.Now()) {
		if err := c.deliverSend(data, addr); err != nil {
			return 0, err
		}
	}
	return len(b), nil
}

// Stats returns the counters of both directions.
func (c *Conn) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Stats{Send: c.dirs[DirSend].stats, Recv: c.dirs[DirRecv].stats}
}

// Close closes the wrapped conn, discards datagrams still in flight and
// stops the Conn's goroutines before it returns. It is safe to call twice;
// the first call returns the wrapped conn's Close error, later ones nil.
func (c *Conn) Close() error {
	var err error
	c.closeOnce.Do(func() {
		close(c.quit)
		err = c.inner.Close()
		c.wg.Wait()
		c.rd.Stop()
		c.wd.Stop()
		c.mu.Lock()
		c.pending = nil
		c.mu.Unlock()
	})
	return err
}

// LocalAddr returns the wrapped conn's local address.
func (c *Conn) LocalAddr() net.Addr { return c.inner.LocalAddr() }

// SetDeadline sets the read and write deadlines.
func (c *Conn) SetDeadline(t time.Time) error {
	c.rd.Set(t)
	c.wd.Set(t)
	return nil
}

// SetReadDeadline makes ReadFrom calls after t (and blocked ones) fail
// with an error wrapping os.ErrDeadlineExceeded.
func (c *Conn) SetReadDeadline(t time.Time) error { c.rd.Set(t); return nil }

// SetWriteDeadline makes WriteTo calls after t fail with an error wrapping
// os.ErrDeadlineExceeded. Datagrams already accepted are still delivered.
func (c *Conn) SetWriteDeadline(t time.Time) error { c.wd.Set(t); return nil }

var _ net.PacketConn = (*Conn)(nil)
