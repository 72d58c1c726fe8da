package gameserver

import (
	"net"
	"sync"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// Batched sending. A server with a thousand clients writes about 30,000 datagrams a second,
// one sendto system call each from the match goroutines, and the system calls were the
// largest part of its CPU. batchConn queues the datagrams and one writer goroutine sends
// whatever has queued with sendmmsg (x/net's WriteBatch; elsewhere than Linux it writes them
// one by one): the matches of a tick land in a handful of system calls.
const (
	// batchQueueLimit bounds the datagrams waiting for the writer; beyond it a write is
	// dropped (as a full socket buffer would) rather than growing memory.
	batchQueueLimit = 8192
	// batchSize is the most datagrams one sendmmsg carries.
	batchSize = 256
)

// batchWriter is what ipv4.PacketConn and ipv6.PacketConn have in common.
type batchWriter interface {
	WriteBatch(ms []ipv4.Message, flags int) (int, error)
}

type queuedDatagram struct {
	buf  []byte
	addr net.Addr
}

// batchConn is a *net.UDPConn whose WriteTo queues for a writer goroutine. Reads, addresses
// and deadlines are the socket's own. Close sends what is queued, stops the writer and closes
// the socket; it is safe to call more than once.
type batchConn struct {
	*net.UDPConn
	bw batchWriter

	mu      sync.Mutex
	queue   []queuedDatagram
	closed  bool
	dropped uint64

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
	b := &batchConn{UDPConn: c, wake: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	if ua, ok := c.LocalAddr().(*net.UDPAddr); ok && ua.IP.To4() == nil {
		b.bw = ipv6.NewPacketConn(c)
	} else {
		b.bw = ipv4.NewPacketConn(c)
	}
	go b.writeLoop()
	return b
}

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
		b.queue = append(b.queue, queuedDatagram{})
	}
	d := &b.queue[n]
	d.buf = append(d.buf[:0], p...)
	d.addr = addr
	wake := n == 0
	b.mu.Unlock()
	if wake {
		select {
		case b.wake <- struct{}{}:
		default:
		}
	}
	return len(p), nil
}

func (b *batchConn) writeLoop() {
	defer close(b.done)
	var spare []queuedDatagram
	msgs := make([]ipv4.Message, batchSize)
	for i := range msgs {
		msgs[i].Buffers = make([][]byte, 1)
	}
	for {
		quitting := false
		select {
		case <-b.wake:
		case <-b.quit:
			quitting = true
		}
		b.mu.Lock()
		batch := b.queue
		b.queue = spare[:0]
		b.mu.Unlock()
		for out := batch; len(out) > 0; {
			k := min(len(out), batchSize)
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
		// The sent datagrams' slots (and buffers) become the next queue.
		spare = batch[:0]
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
	b.once.Do(func() {
		b.mu.Lock()
		b.closed = true
		b.mu.Unlock()
		close(b.quit)
		<-b.done
	})
}
