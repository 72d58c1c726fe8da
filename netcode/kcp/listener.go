package kcp

import (
	"bufio"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	kcpgo "github.com/xtaci/kcp-go/v5"

	"github.com/skirmish-go/skirmish/netcode/secure"
)

// Listener accepts KCP sessions whose first frame is a hello with a valid
// connect token. It owns the net.PacketConn given to [Listen].
type Listener struct {
	cfg    ServerConfig
	conn   net.PacketConn
	kl     *kcpgo.Listener
	pub    netip.AddrPort
	log    *slog.Logger
	accept chan *Session

	pending chan struct{} // semaphore of handshakes in progress

	mu       sync.Mutex
	sessions map[*Session]struct{}
	clients  map[uint64]struct{}   // client ids with an open session
	used     map[[16]byte]tokenUse // token tag → first address
	closing  chan struct{}
	broken   chan struct{} // closed when the accept loop stopped on a socket error
	brokenBy error
	closeErr error
	once     sync.Once
	wg       sync.WaitGroup
}

type tokenUse struct {
	addr   netip.AddrPort
	expire uint64
}

// Listen serves KCP sessions on conn (any net.PacketConn: a UDP socket, a
// netsim.Conn) and verifies each one's connect token. The Listener owns conn
// and closes it in Close.
func Listen(conn net.PacketConn, cfg ServerConfig) (*Listener, error) {
	opts, err := cfg.Options.withDefaults()
	if err != nil {
		conn.Close()
		return nil, err
	}
	cfg.Options = opts
	if cfg.MaxClients <= 0 {
		cfg.MaxClients = DefaultMaxClients
	}
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if cfg.MaxPendingHandshakes <= 0 {
		cfg.MaxPendingHandshakes = DefaultMaxPendingHandshakes
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	pub := cfg.PublicAddr
	if !pub.IsValid() {
		pub = addrPortOf(conn.LocalAddr())
		if !pub.IsValid() || pub.Addr().IsUnspecified() {
			conn.Close()
			return nil, fmt.Errorf("kcp: listen: need ServerConfig.PublicAddr (local address is %v)", conn.LocalAddr())
		}
	}
	kl, err := kcpgo.ServeConn(nil, cfg.FEC.DataShards, cfg.FEC.ParityShards, conn)
	if err != nil {
		conn.Close()
		return nil, translate("listen", err)
	}
	l := &Listener{
		cfg:      cfg,
		conn:     conn,
		kl:       kl,
		pub:      pub,
		log:      cfg.Logger,
		accept:   make(chan *Session),
		pending:  make(chan struct{}, cfg.MaxPendingHandshakes),
		sessions: make(map[*Session]struct{}),
		clients:  make(map[uint64]struct{}),
		used:     make(map[[16]byte]tokenUse),
		closing:  make(chan struct{}),
		broken:   make(chan struct{}),
	}
	l.wg.Add(1)
	go l.acceptLoop()
	return l, nil
}

// Addr returns the local address of the socket.
func (l *Listener) Addr() net.Addr { return l.conn.LocalAddr() }

// NumSessions returns how many accepted sessions are open.
func (l *Listener) NumSessions() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.clients)
}

// Accept waits for the next session that completed the handshake. After
// Close it returns an error wrapping net.ErrClosed.
func (l *Listener) Accept() (*Session, error) {
	select {
	case s := <-l.accept:
		return s, nil
	case <-l.closing:
		return nil, fmt.Errorf("kcp: accept: %w", net.ErrClosed)
	case <-l.broken:
		return nil, l.brokenBy
	}
}

// Close stops accepting, closes every open session (gracefully, in
// parallel, each bounded by Options.Linger), then closes the socket and
// waits for the listener's goroutines. It is safe to call more than once.
func (l *Listener) Close() error {
	l.once.Do(func() {
		close(l.closing)
		l.mu.Lock()
		open := make([]*Session, 0, len(l.sessions))
		for s := range l.sessions {
			open = append(open, s)
		}
		l.mu.Unlock()
		var wg sync.WaitGroup
		for _, s := range open {
			wg.Go(func() { s.Close() })
		}
		wg.Wait()
		// The socket first: that stops kcp-go's read loop, which the accept
		// loop waits for before it drains kcp-go's accept queue.
		l.closeErr = l.conn.Close()
		l.wg.Wait()
		l.kl.Close()
	})
	return l.closeErr
}

func (l *Listener) acceptLoop() {
	defer l.wg.Done()
	for {
		raw, err := l.kl.AcceptKCP()
		if err != nil {
			// We never close l.kl before the socket, so this is the socket's
			// read error: kcp-go's read loop has stopped making sessions.
			select {
			case <-l.closing:
			default:
				l.log.Error("kcp: accept", "err", err)
				l.brokenBy = translate("accept", err)
				close(l.broken)
			}
			break
		}
		if isClosedChan(l.closing) {
			raw.Close()
			continue
		}
		select {
		case l.pending <- struct{}{}:
		default:
			raw.Close() // too many handshakes in flight
			continue
		}
		l.cfg.Options.tune(raw)
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			s := l.handshake(raw)
			<-l.pending
			if s == nil {
				return
			}
			select {
			case l.accept <- s:
			case <-l.closing:
				s.Close()
			}
		}()
	}
	// kcp-go's AcceptKCP picks at random between its queue and its error,
	// and its Close leaves queued sessions (and their goroutines) running:
	// close what is still queued. With the error channel ready, a queued
	// session stays unseen for 64 calls with probability 2^-64.
	for misses := 0; misses < 64; {
		raw, err := l.kl.AcceptKCP()
		if err != nil {
			misses++
			continue
		}
		raw.Close()
	}
}

// handshake reads and checks the hello. It returns the session, or nil after
// denying or dropping it.
func (l *Listener) handshake(raw *kcpgo.UDPSession) *Session {
	raw.SetReadDeadline(time.Now().Add(l.cfg.HandshakeTimeout))
	stop := make(chan struct{})
	defer close(stop)
	go func() { // Close interrupts a handshake
		select {
		case <-l.closing:
			raw.Close() // (not a deadline: kcp-go reads those without a lock)
		case <-stop:
		}
	}()
	br := bufio.NewReaderSize(raw, 4096)
	var hdr [frameHeaderBytes]byte
	h, body, err := readFrame(br, &hdr)
	if err != nil || h.Type != FrameHello {
		raw.Close()
		return nil
	}
	hl, _, err := parseHello(body)
	if err != nil {
		raw.Close()
		return nil
	}
	from := addrPortOf(raw.RemoteAddr())
	s, reason := l.admit(raw, br, &hl, from)
	if s == nil {
		l.log.Debug("kcp: denied", "from", from, "reason", reason)
		l.deny(raw, reason)
		return nil
	}
	return s
}

func (l *Listener) admit(raw *kcpgo.UDPSession, br *bufio.Reader, hl *hello, from netip.AddrPort) (*Session, DenyReason) {
	if hl.Version != ProtocolVersion {
		return nil, DenyVersion
	}
	if hl.ProtocolID != l.cfg.ProtocolID {
		return nil, DenyWrongProtocol
	}
	now := uint64(l.cfg.Now().Unix())
	if hl.ExpireTimestamp <= now {
		return nil, DenyTokenExpired
	}
	tok, err := secure.OpenConnectToken(l.cfg.PrivateKey, hl.ProtocolID, hl.ExpireTimestamp, hl.Nonce[:], hl.PrivateData[:])
	if err != nil {
		return nil, DenyInvalidToken
	}
	found := false
	for _, a := range tok.ServerAddrs {
		if a.Addr().Unmap() == l.pub.Addr().Unmap() && a.Port() == l.pub.Port() {
			found = true
			break
		}
	}
	if !found {
		return nil, DenyWrongAddress
	}

	var serverSalt [saltBytes]byte
	rand.Read(serverSalt[:])
	c2s, s2c, err := sessionKeys(tok.ClientToServerKey, tok.ServerToClientKey, &hl.Salt, &serverSalt)
	if err != nil {
		return nil, DenyInvalidToken
	}
	send, err := newSealer(s2c)
	if err != nil {
		return nil, DenyInvalidToken
	}
	recv, err := newSealer(c2s)
	if err != nil {
		return nil, DenyInvalidToken
	}

	var tag [16]byte
	copy(tag[:], hl.PrivateData[len(hl.PrivateData)-16:])
	l.mu.Lock()
	if u, ok := l.used[tag]; ok && u.addr != from {
		l.mu.Unlock()
		return nil, DenyTokenReused
	}
	if _, ok := l.clients[tok.ClientID]; ok {
		l.mu.Unlock()
		return nil, DenyAlreadyConnected
	}
	if len(l.clients) >= l.cfg.MaxClients {
		l.mu.Unlock()
		return nil, DenyServerFull
	}
	if len(l.used) >= 1024 { // forget expired tokens; bounded by token lifetime
		for k, u := range l.used {
			if u.expire <= now {
				delete(l.used, k)
			}
		}
	}
	l.used[tag] = tokenUse{addr: from, expire: hl.ExpireTimestamp}
	l.clients[tok.ClientID] = struct{}{}
	l.mu.Unlock()

	// The welcome: proof we opened the token, and the salt for the keys.
	w := make([]byte, 0, welcomePlainBytes)
	w = appendUint64(w, tok.ClientID)
	w = appendUint32(w, uint32(tok.TimeoutSeconds))
	frame := send.appendFrame(nil, FrameWelcome, serverSalt[:], w)
	raw.SetWriteDeadline(time.Now().Add(l.cfg.HandshakeTimeout))
	if _, err := raw.Write(frame); err != nil {
		l.release(nil, tok.ClientID)
		raw.Close()
		return nil, 0
	}
	raw.SetDeadline(time.Time{})
	send.commit()

	var s *Session
	s = newSession(raw, br, send, recv, tok.ClientID, tok.UserData, timeoutOf(tok.TimeoutSeconds), l.cfg.Options, func() { l.release(s, tok.ClientID) })
	l.mu.Lock()
	l.sessions[s] = struct{}{}
	l.mu.Unlock()
	return s, 0
}

func (l *Listener) release(s *Session, clientID uint64) {
	l.mu.Lock()
	delete(l.clients, clientID)
	if s != nil {
		delete(l.sessions, s)
	}
	l.mu.Unlock()
}

// deny sends a denial and keeps the KCP session up a little so that it is
// retransmitted if lost, then drops it. (reason 0: just drop.)
func (l *Listener) deny(raw *kcpgo.UDPSession, reason DenyReason) {
	if reason != 0 {
		frame := frameHeader{Type: FrameDenied, Len: 1}.Append(make([]byte, 0, frameHeaderBytes+1))
		frame = append(frame, byte(reason))
		raw.SetWriteDeadline(time.Now().Add(defaultDenyLinger))
		if _, err := raw.Write(frame); err == nil {
			t := time.NewTimer(defaultDenyLinger)
			select {
			case <-t.C:
			case <-l.closing:
			}
			t.Stop()
		}
	}
	raw.Close()
}

func addrPortOf(a net.Addr) netip.AddrPort {
	switch a := a.(type) {
	case *net.UDPAddr:
		return a.AddrPort()
	case interface{ AddrPort() netip.AddrPort }:
		return a.AddrPort()
	}
	if a == nil {
		return netip.AddrPort{}
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.AddrPort{}
	}
	return ap
}
