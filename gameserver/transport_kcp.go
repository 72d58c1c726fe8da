package gameserver

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/skirmish-go/skirmish/netcode/kcp"
	"github.com/skirmish-go/skirmish/netcode/secure"
)

// Transports a Server speaks on its game port (Config.Transport).
const (
	TransportUDP = "udp" // netcode.io (netcode/secure): unreliable packets, the default
	TransportKCP = "kcp" // netcode/kcp: every payload reliable and ordered
)

// ErrUnknownTransport is returned by New for a Config.Transport other than "", "udp" or "kcp".
var ErrUnknownTransport = errors.New("gameserver: unknown transport (want udp or kcp)")

// kcpSendQueue bounds the payloads waiting for one KCP session's writer. At 60 Hz with a
// snapshot and events per tick that is several seconds of traffic: a client whose KCP window
// has been full that long is not coming back, and it is dropped rather than buffered.
const kcpSendQueue = 256

// kcpDrainLimit bounds how long a disconnected session's writer may spend sending what was
// queued before the disconnect (a Denied message) before it gives up and closes.
const kcpDrainLimit = time.Second

// transportFor returns the factory of the transport named by Config.Transport.
func transportFor(name string) (transportFactory, error) {
	switch name {
	case "", TransportUDP:
		return newSecureTransport, nil
	case TransportKCP:
		return newKCPTransport, nil
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownTransport, name)
}

// reliableTransport is implemented by transports that deliver every payload, in order (KCP).
// The match then deltas each snapshot against the previous one it sent to that client: the
// baseline is acknowledged by construction, so the client's acknowledgements are not waited
// for, no snapshot is ever sent whole again, and none is repeated.
type reliableTransport interface {
	Reliable() bool
}

func isReliable(tr transport) bool {
	r, ok := tr.(reliableTransport)
	return ok && r.Reliable()
}

// kcpTransport is the game port over netcode/kcp: a kcp.Listener on the server's socket
// whose sessions (connect token checked by the listener) are numbered like secure.Server's
// client indices.
//
// Goroutines: Serve runs the handlers and an accept loop; each session has a reader (Receive
// → Serve's event queue, then the disconnect) and a writer (its bounded send queue →
// Session.Send, then Session.Close). Send never blocks the match loop: a full queue drops the
// session. Close stops everything and waits for it.
type kcpTransport struct {
	ln  *kcp.Listener
	h   handlers
	log func(msg string, args ...any)

	events  chan kcpEvent // accept loop and readers → Serve, in order per session
	closing chan struct{}

	mu      sync.Mutex
	peers   map[int]*kcpPeer
	next    int
	closed  bool
	serving bool
	wg      sync.WaitGroup // accept loop, readers, writers
	once    sync.Once
	err     error
}

type kcpEventKind uint8

const (
	kcpConnect kcpEventKind = iota
	kcpPayload
	kcpDisconnect
)

type kcpEvent struct {
	kind    kcpEventKind
	p       *kcpPeer
	payload []byte
	reason  error
}

// kcpPeer is one accepted session.
type kcpPeer struct {
	info peer
	sess *kcp.Session

	qmu    sync.Mutex
	sendq  chan *[]byte
	closed bool        // sendq closed: no more Sends
	abort  atomic.Bool // drop what is queued and close at once (overflow)
}

func newKCPTransport(conn net.PacketConn, cfg *Config, h handlers) (transport, error) {
	ln, err := kcp.Listen(conn, kcp.ServerConfig{
		ProtocolID: cfg.ProtocolID,
		PrivateKey: cfg.Key,
		PublicAddr: cfg.PublicAddr,
		MaxClients: cfg.Capacity + cfg.Capacity/8 + 8 + spectatorRoom(cfg), // room for replacements, late leavers, spectators
		Options:    cfg.KCP,
		Now:        cfg.Now,
		Logger:     cfg.Logger,
	})
	if err != nil {
		return nil, err
	}
	return &kcpTransport{
		ln:      ln,
		h:       h,
		log:     cfg.Logger.With("component", "gameserver", "transport", "kcp").Debug,
		events:  make(chan kcpEvent, 256),
		closing: make(chan struct{}),
		peers:   make(map[int]*kcpPeer),
	}, nil
}

// Reliable reports that every payload arrives, in order (see reliableTransport).
func (t *kcpTransport) Reliable() bool { return true }

// Serve accepts sessions and calls the handlers, all from this goroutine, until Close; then it
// returns an error wrapping net.ErrClosed.
func (t *kcpTransport) Serve() error {
	t.mu.Lock()
	if t.closed || t.serving {
		t.mu.Unlock()
		return fmt.Errorf("kcp transport: serve: %w", net.ErrClosed)
	}
	t.serving = true
	t.wg.Add(1)
	t.mu.Unlock()
	acceptErr := make(chan error, 1)
	go func() {
		defer t.wg.Done()
		acceptErr <- t.acceptLoop()
	}()
	for {
		select {
		case ev := <-t.events:
			t.dispatch(ev)
		case <-t.closing:
			return fmt.Errorf("kcp transport: serve: %w", net.ErrClosed)
		case err := <-acceptErr:
			select {
			case <-t.closing:
				return fmt.Errorf("kcp transport: serve: %w", net.ErrClosed)
			default:
			}
			return fmt.Errorf("kcp transport: accept: %w", err)
		}
	}
}

func (t *kcpTransport) dispatch(ev kcpEvent) {
	switch ev.kind {
	case kcpConnect:
		t.h.connect(ev.p.info)
	case kcpPayload:
		t.h.payload(ev.p.info, ev.payload)
	case kcpDisconnect:
		t.h.disconnect(ev.p.info, ev.reason)
	}
}

// post queues ev for Serve; it gives up when the transport closes.
func (t *kcpTransport) post(ev kcpEvent) bool {
	select {
	case t.events <- ev:
		return true
	case <-t.closing:
		return false
	}
}

func (t *kcpTransport) acceptLoop() error {
	for {
		s, err := t.ln.Accept()
		if err != nil {
			return err
		}
		p := &kcpPeer{sess: s, sendq: make(chan *[]byte, kcpSendQueue)}
		t.mu.Lock()
		if t.closed {
			t.mu.Unlock()
			s.Close()
			return net.ErrClosed
		}
		t.next++
		p.info = peer{index: t.next, id: s.ClientID(), addr: addrPortOf(s.RemoteAddr()), userData: s.UserData()}
		t.peers[p.info.index] = p
		t.wg.Add(2)
		t.mu.Unlock()
		go t.writeLoop(p)
		// The connect is queued before the reader starts, so Serve sees it before any payload.
		if !t.post(kcpEvent{kind: kcpConnect, p: p}) {
			t.closeQueue(p, false)
			t.wg.Done()
			continue
		}
		go t.readLoop(p)
	}
}

// readLoop hands the session's messages to Serve, then its end.
func (t *kcpTransport) readLoop(p *kcpPeer) {
	defer t.wg.Done()
	for {
		msg, err := p.sess.Receive()
		if err != nil {
			t.forget(p)
			t.closeQueue(p, false)
			t.post(kcpEvent{kind: kcpDisconnect, p: p, reason: err})
			return
		}
		if !t.post(kcpEvent{kind: kcpPayload, p: p, payload: msg}) {
			return
		}
	}
}

// writeLoop sends the session's queued payloads in order; when the queue is closed it closes
// the session (gracefully, unless it overflowed).
func (t *kcpTransport) writeLoop(p *kcpPeer) {
	defer t.wg.Done()
	defer p.sess.Close()
	for buf := range p.sendq {
		if !p.abort.Load() {
			if err := p.sess.Send(*buf); err != nil {
				t.log("send failed; dropping session", "addr", p.info.addr, "err", err)
				p.abort.Store(true)
				p.sess.SetWriteDeadline(time.Now())
			}
		}
		putPayloadBuf(buf)
	}
}

// Send queues payload (copied) for the client at index. It never blocks: when the client's
// queue is full the session is dropped (its disconnect follows from Serve).
func (t *kcpTransport) Send(index int, payload []byte) error {
	t.mu.Lock()
	p := t.peers[index]
	t.mu.Unlock()
	if p == nil {
		return fmt.Errorf("kcp transport: send to client %d: %w", index, net.ErrClosed)
	}
	buf := getPayloadBuf()
	*buf = append((*buf)[:0], payload...)
	p.qmu.Lock()
	if p.closed {
		p.qmu.Unlock()
		putPayloadBuf(buf)
		return fmt.Errorf("kcp transport: send to client %d: %w", index, net.ErrClosed)
	}
	select {
	case p.sendq <- buf:
		p.qmu.Unlock()
		return nil
	default:
	}
	p.qmu.Unlock()
	putPayloadBuf(buf)
	t.forget(p)
	t.closeQueue(p, true)
	return fmt.Errorf("kcp transport: send to client %d: queue of %d payloads full; dropped", index, kcpSendQueue)
}

// Disconnect closes the client's session after what was already queued for it (bounded by
// kcpDrainLimit); the client hears a close. Its disconnect handler call follows from Serve.
func (t *kcpTransport) Disconnect(index int) {
	t.mu.Lock()
	p := t.peers[index]
	delete(t.peers, index)
	t.mu.Unlock()
	if p != nil {
		t.closeQueue(p, false)
	}
}

// forget removes p from the index table.
func (t *kcpTransport) forget(p *kcpPeer) {
	t.mu.Lock()
	if t.peers[p.info.index] == p {
		delete(t.peers, p.info.index)
	}
	t.mu.Unlock()
}

// closeQueue ends p's send queue: the writer then sends what is queued (or, with abort, drops
// it) and closes the session. A write blocked on a full KCP window is cut short.
func (t *kcpTransport) closeQueue(p *kcpPeer, abort bool) {
	p.qmu.Lock()
	defer p.qmu.Unlock()
	if abort && !p.abort.Load() {
		p.abort.Store(true)
		p.sess.SetWriteDeadline(time.Now())
	}
	if p.closed {
		return
	}
	p.closed = true
	if !abort {
		p.sess.SetWriteDeadline(time.Now().Add(kcpDrainLimit))
	}
	close(p.sendq)
}

// Close closes every session (each bounded by kcp's linger), the listener and its socket, and
// waits for the transport's goroutines. Safe to call more than once.
func (t *kcpTransport) Close() error {
	t.once.Do(func() {
		t.mu.Lock()
		t.closed = true
		peers := make([]*kcpPeer, 0, len(t.peers))
		for _, p := range t.peers {
			peers = append(peers, p)
		}
		clear(t.peers)
		t.mu.Unlock()
		close(t.closing)
		for _, p := range peers {
			t.closeQueue(p, false)
		}
		t.err = t.ln.Close()
		t.wg.Wait()
	})
	return t.err
}

func addrPortOf(a net.Addr) netip.AddrPort {
	if ua, ok := a.(*net.UDPAddr); ok {
		return ua.AddrPort()
	}
	if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		return ap
	}
	return netip.AddrPort{}
}

// payloadBufs recycles the copies of payloads queued for the KCP sessions' writers.
var payloadBufs = sync.Pool{New: func() any {
	b := make([]byte, 0, secure.MaxPayloadBytes)
	return &b
}}

func getPayloadBuf() *[]byte { return payloadBufs.Get().(*[]byte) }

func putPayloadBuf(b *[]byte) {
	if cap(*b) <= 2*secure.MaxPayloadBytes {
		payloadBufs.Put(b)
	}
}
