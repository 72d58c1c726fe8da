package gameserver

import (
	"net"
	"net/netip"
	"sync"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// Batched sending and receiving. A server with a thousand clients writes about 30,000
// datagrams a second, and one system call per datagram (and one goroutine wake-up per
// datagram read) was most of its CPU. batchConn queues the datagrams written to it and sends
// them with sendmmsg (x/net's WriteBatch; elsewhere than Linux one by one): while the match
// loop holds it (hold/release) everything a loop pass writes leaves in one batch from the
// loop's goroutine; other writes (handshake replies, keep-alives) go through a writer
// goroutine. Reads take up to readBatch datagrams per recvmmsg (Linux; batchconn_linux.go)
// and hand them out one ReadFrom at a time, so a burst of packets costs one system call and
// one wake-up of the reader.
const (
	// batchQueueLimit bounds the datagrams waiting to be sent; beyond it a write is
	// dropped (as a full socket buffer would) rather than growing memory.
	batchQueueLimit = 8192
	// batchSize is the most datagrams one sendmmsg carries; a held queue this long is
	// handed to the writer at once.
	batchSize = 256
	// readBatch is the most datagrams one recvmmsg takes.
	readBatch = 64
	// readBufBytes is each receive slot's size: larger than any valid packet, so an
	// oversize datagram is seen as such (its length is the slot's, and it fails parsing).
	readBufBytes = 1500
)

// batchWriter is what ipv4.PacketConn and ipv6.PacketConn have in common.
type batchWriter interface {
	WriteBatch(ms []ipv4.Message, flags int) (int, error)
}

type queuedDatagram struct {
	buf  []byte
	addr net.Addr
}

// batchConn is a *net.UDPConn whose WriteTo queues for batched sending and whose ReadFrom
// reads in batches. Addresses and deadlines are the socket's own. Close sends what is
// queued, stops the writer and closes the socket; it is safe to call more than once.
type batchConn struct {
	*net.UDPConn
	bw batchWriter

	mu      sync.Mutex
	queue   []queuedDatagram
	free    [][]queuedDatagram // sent queues, to be reused with their buffers
	holding bool
	closed  bool
	dropped uint64

	// release's own messages; the writer goroutine has its own.
	relMu   sync.Mutex
	relMsgs []ipv4.Message

	rd   batchReader // batched reads (batchconn_linux.go); ReadFrom's state
	gate readGate

	wake      chan struct{}
	quit      chan struct{}
	done      chan struct{}
	once      sync.Once
	closeOnce sync.Once
}

// socketBuffer is the receive and send buffer asked of the kernel for the server's socket
// (Linux caps it at net.core.rmem_max / wmem_max). The default ~200 KB holds about 10 ms of
// a thousand clients' packets: any longer pause of the reading goroutine (a busy machine, a
// GC) dropped most of them at the socket.
const socketBuffer = 8 << 20

// newBatchConn wraps c, enlarges its buffers and starts its writer.
func newBatchConn(c *net.UDPConn) *batchConn {
	_ = c.SetReadBuffer(socketBuffer) // best effort: the default still works, just drops sooner
	_ = c.SetWriteBuffer(socketBuffer)
	b := &batchConn{UDPConn: c, wake: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{}),
		relMsgs: newMessages()}
	if ua, ok := c.LocalAddr().(*net.UDPAddr); ok && ua.IP.To4() == nil {
		b.bw = ipv6.NewPacketConn(c)
	} else {
		b.bw = ipv4.NewPacketConn(c)
	}
	b.gate.init()
	b.rd.init(c, &b.gate)
	go b.writeLoop()
	return b
}

func newMessages() []ipv4.Message {
	msgs := make([]ipv4.Message, batchSize)
	for i := range msgs {
		msgs[i].Buffers = make([][]byte, 1)
	}
	return msgs
}

// ReadFrom returns the next datagram of the current batch, reading a new batch when it is
// used up. Like the socket's ReadFrom it blocks until a datagram arrives or a deadline or
// Close ends the wait.
func (b *batchConn) ReadFrom(p []byte) (int, net.Addr, error) {
	return b.rd.readFrom(b.UDPConn, p)
}

// ReadFromUDPAddrPort is ReadFrom with the source as a value (no allocation); netcode/secure
// reads with it. It shadows the socket's own, so every read goes through the batches.
func (b *batchConn) ReadFromUDPAddrPort(p []byte) (int, netip.AddrPort, error) {
	return b.rd.readFromAddrPort(b.UDPConn, p)
}

// drainReads hands what the socket holds to fn on the calling goroutine (see
// batchReader.drain); false if it read nothing because it cannot.
func (b *batchConn) drainReads(fn func(p []byte, from netip.AddrPort)) bool {
	return b.rd.drain(fn)
}

// gateReads turns gated reading on or off (see readGate); openReads lets a gated reader take
// what has arrived.
func (b *batchConn) gateReads(on bool) { b.gate.set(on) }
func (b *batchConn) openReads()        { b.gate.open() }

// readGate makes the reader (Linux) take datagrams once per loop pass instead of once per
// arrival. Ungated, the reader wakes for every datagram that finds it waiting, and hands it to
// the connection layer's goroutine, which wakes too: two goroutine wake-ups per datagram, the
// largest part of the server's CPU after the system calls once clients send a few packets a
// second each. Gated, while matches run, the reader takes whatever the socket holds when the
// loop opens the gate (a little ahead of each pass, so what arrived is handled in that pass)
// and otherwise waits for the next opening; datagrams wait in the socket's buffer meanwhile.
// A closed conn's reader returns net.ErrClosed at once.
type readGate struct {
	mu     sync.Mutex
	gated  bool
	done   bool
	opened chan struct{} // cap 1: the loop opened the gate (or it was turned off, or closed)
}

func (g *readGate) init() { g.opened = make(chan struct{}, 1) }

func (g *readGate) set(on bool) {
	g.mu.Lock()
	g.gated = on
	g.mu.Unlock()
	if !on {
		g.open() // a waiting reader goes back to waiting for datagrams
	}
}

func (g *readGate) open() {
	select {
	case g.opened <- struct{}{}:
	default:
	}
}

func (g *readGate) close() {
	g.mu.Lock()
	g.done = true
	g.mu.Unlock()
	g.open()
}

func (g *readGate) on() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.gated && !g.done
}

func (g *readGate) closed() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.done
}

// wait returns when the gate is opened, turned off or closed.
func (g *readGate) wait() { <-g.opened }

// WriteTo queues a copy of p for addr. It never blocks on the socket.
func (b *batchConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return 0, net.ErrClosed
	}
	if len(b.queue) >= batchQueueLimit {
		b.dropped++
		b.mu.Unlock()
		return len(p), nil
	}
	n := len(b.queue)
	if n < cap(b.queue) {
		b.queue = b.queue[:n+1] // reuse the slot's buffer
	} else {
		if n == 0 && len(b.free) > 0 {
			b.queue = b.free[len(b.free)-1][:1]
			b.free = b.free[:len(b.free)-1]
		} else {
			b.queue = append(b.queue, queuedDatagram{})
		}
	}
	d := &b.queue[n]
	d.buf = append(d.buf[:0], p...)
	d.addr = addr
	// Held: the loop sends it on release, unless the batch is full already.
	wake := (n == 0 && !b.holding) || n+1 == batchSize
	b.mu.Unlock()
	if wake {
		select {
		case b.wake <- struct{}{}:
		default:
		}
	}
	return len(p), nil
}

// hold makes writes queue until release.
func (b *batchConn) hold() {
	b.mu.Lock()
	b.holding = true
	b.mu.Unlock()
}

// release sends what is queued from the calling goroutine and ends the hold.
func (b *batchConn) release() {
	b.mu.Lock()
	b.holding = false
	batch := b.takeLocked()
	b.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	b.relMu.Lock()
	b.send(batch, b.relMsgs)
	b.relMu.Unlock()
	b.mu.Lock()
	b.free = append(b.free, batch[:0])
	b.mu.Unlock()
}

// takeLocked takes the queue, leaving an empty one (b.mu held).
func (b *batchConn) takeLocked() []queuedDatagram {
	batch := b.queue
	b.queue = nil
	if len(b.free) > 0 {
		b.queue = b.free[len(b.free)-1]
		b.free = b.free[:len(b.free)-1]
	}
	return batch
}

// send writes batch with as few sendmmsg calls as batchSize allows.
func (b *batchConn) send(batch []queuedDatagram, msgs []ipv4.Message) {
	for out := batch; len(out) > 0; {
		k := min(len(out), len(msgs))
		for i := range k {
			msgs[i].Buffers[0], msgs[i].Addr = out[i].buf, out[i].addr
		}
		sent, err := b.bw.WriteBatch(msgs[:k], 0)
		if err != nil || sent <= 0 {
			sent = 1 // a datagram the socket refused is lost, as with WriteTo
		}
		out = out[sent:]
	}
	for i := range msgs {
		msgs[i].Buffers[0], msgs[i].Addr = nil, nil
	}
}

func (b *batchConn) writeLoop() {
	defer close(b.done)
	msgs := newMessages()
	for {
		quitting := false
		select {
		case <-b.wake:
		case <-b.quit:
			quitting = true
		}
		b.mu.Lock()
		batch := b.takeLocked()
		b.mu.Unlock()
		if len(batch) > 0 {
			b.send(batch, msgs)
			b.mu.Lock()
			b.free = append(b.free, batch[:0]) // its slots (and buffers) are reused
			b.mu.Unlock()
		}
		if quitting {
			return
		}
	}
}

// Close flushes the queue, stops the writer and closes the socket.
func (b *batchConn) Close() error {
	b.stop()
	var err error
	b.closeOnce.Do(func() { err = b.UDPConn.Close() })
	return err
}

// stop flushes the queue and stops the writer, leaving the socket open.
func (b *batchConn) stop() {
	b.gate.close()
	b.once.Do(func() {
		b.mu.Lock()
		b.closed = true
		b.holding = false
		b.mu.Unlock()
		close(b.quit)
		<-b.done
	})
}
