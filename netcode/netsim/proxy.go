package netsim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Proxy defaults.
const (
	DefaultProxyListen      = "127.0.0.1:7101"
	DefaultProxyIdleTimeout = 60 * time.Second
	DefaultProxyMaxSessions = 1024
)

var (
	// ErrNoTarget is returned by [NewProxy] when ProxyConfig.Target is empty.
	ErrNoTarget = errors.New("netsim: proxy needs a target address")
	// ErrProxyClosed is returned by [Proxy.Serve] when the proxy was closed
	// before Serve was called, or when Serve is called a second time.
	ErrProxyClosed = errors.New("netsim: proxy closed")
)

// ProxyConfig configures a [Proxy]. Zero fields mean the defaults.
type ProxyConfig struct {
	Listen string // UDP address clients send to; default DefaultProxyListen
	Target string // UDP address of the server; required

	ClientToServer Impairment // applied to datagrams from clients to the server
	ServerToClient Impairment // applied to datagrams from the server to clients
	// Seed seeds session i (counting from 0 in the order clients first
	// appear) with a seed derived from Seed and i, so a run with the same
	// clients in the same order replays.
	Seed int64

	IdleTimeout time.Duration // a session with no traffic either way for this long ends; default 60 s
	MaxSessions int           // sessions open at once; datagrams from further clients are dropped; default 1024
	Logger      *slog.Logger  // default: discard
}

// ProxyStats are a [Proxy]'s counters, summed over all its sessions.
type ProxyStats struct {
	ClientToServer DirStats `json:"client_to_server"`
	ServerToClient DirStats `json:"server_to_client"`
	Sessions       uint64   `json:"sessions"`        // sessions opened
	ActiveSessions int      `json:"active_sessions"` // sessions open now
	Expired        uint64   `json:"expired"`         // sessions ended by IdleTimeout
	// Rejected counts datagrams from new clients dropped because
	// MaxSessions sessions were open.
	Rejected uint64 `json:"rejected"`
}

// Proxy is a UDP impairment proxy: it relays datagrams between clients and
// one target server through an impaired link. Each client source address
// gets a session with its own upstream socket (so the server sees one
// address per client) wrapped by [Wrap], whose Send side carries
// ClientToServer and whose Recv side carries ServerToClient.
type Proxy struct {
	cfg    ProxyConfig
	log    *slog.Logger
	target *net.UDPAddr
	conn   *net.UDPConn

	serving atomic.Bool
	closed  chan struct{}
	once    sync.Once
	wg      sync.WaitGroup // session goroutines

	mu       sync.Mutex
	sessions map[netip.AddrPort]*proxySession // by client, for relay
	live     map[*proxySession]struct{}       // not yet folded into ended
	ended    ProxyStats                       // totals of ended sessions, and session counters
}

type proxySession struct {
	client netip.AddrPort
	link   *Conn
	last   time.Time // guarded by Proxy.mu
}

// NewProxy resolves the target and binds the listen address.
func NewProxy(cfg ProxyConfig) (*Proxy, error) {
	if cfg.Target == "" {
		return nil, ErrNoTarget
	}
	if cfg.Listen == "" {
		cfg.Listen = DefaultProxyListen
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultProxyIdleTimeout
	}
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = DefaultProxyMaxSessions
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	target, err := net.ResolveUDPAddr("udp", cfg.Target)
	if err != nil {
		return nil, fmt.Errorf("netsim: proxy target %q: %w", cfg.Target, err)
	}
	laddr, err := net.ResolveUDPAddr("udp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("netsim: proxy listen %q: %w", cfg.Listen, err)
	}
	conn, err := net.ListenUDP("udp", laddr)
	if err != nil {
		return nil, fmt.Errorf("netsim: proxy listen: %w", err)
	}
	_ = conn.SetReadBuffer(4 << 20) // best effort: ride out bursts from many clients
	return &Proxy{
		cfg:      cfg,
		log:      log,
		target:   target,
		conn:     conn,
		closed:   make(chan struct{}),
		sessions: make(map[netip.AddrPort]*proxySession),
		live:     make(map[*proxySession]struct{}),
	}, nil
}

// Addr is the address clients send to.
func (p *Proxy) Addr() net.Addr { return p.conn.LocalAddr() }

// Close stops the proxy: Serve returns. It is safe to call twice.
func (p *Proxy) Close() error {
	p.once.Do(func() {
		close(p.closed)
		p.conn.Close()
	})
	return nil
}

// Serve relays datagrams until ctx is done or Close is called, then closes
// every session and returns the final counts with a nil error. A failure
// of the listening socket ends it early with that error.
func (p *Proxy) Serve(ctx context.Context) (ProxyStats, error) {
	if !p.serving.CompareAndSwap(false, true) || isClosed(p.closed) {
		return p.Stats(), ErrProxyClosed
	}
	stop := context.AfterFunc(ctx, func() { p.Close() })
	defer stop()
	p.log.Info("netsim proxy serving", "listen", p.Addr(), "target", p.target)

	err := p.relay()
	p.Close()
	p.mu.Lock()
	open := make([]*proxySession, 0, len(p.live))
	for s := range p.live {
		open = append(open, s)
	}
	p.mu.Unlock()
	for _, s := range open {
		s.link.Close() // its goroutine sees net.ErrClosed and ends the session
	}
	p.wg.Wait()
	if isClosed(p.closed) && errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return p.Stats(), err
}

// relay reads client datagrams and hands them to their sessions.
func (p *Proxy) relay() error {
	buf := make([]byte, MaxDatagramSize+1)
	for {
		n, from, err := p.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if isClosed(p.closed) {
				return net.ErrClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("netsim: proxy read: %w", err)
		}
		from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
		s, err := p.session(from)
		if err != nil {
			p.log.Warn("netsim proxy: cannot open session", "client", from, "err", err)
			continue
		}
		if s == nil {
			continue // rejected: too many sessions
		}
		// A failed write is a lost datagram, as on the network.
		_, _ = s.link.WriteTo(buf[:n], p.target)
	}
}

// session returns the client's session, touching it, or opens one. It
// returns nil, nil when MaxSessions are open.
func (p *Proxy) session(client netip.AddrPort) (*proxySession, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if s := p.sessions[client]; s != nil {
		s.last = time.Now()
		return s, nil
	}
	if len(p.sessions) >= p.cfg.MaxSessions {
		p.ended.Rejected++
		return nil, nil
	}
	up, err := net.DialUDP("udp", nil, p.target)
	if err != nil {
		return nil, fmt.Errorf("netsim: proxy dial %s: %w", p.target, err)
	}
	_ = up.SetReadBuffer(1 << 20)
	seed := int64(uint64(p.cfg.Seed) + p.ended.Sessions*0x9e3779b97f4a7c15)
	s := &proxySession{
		client: client,
		link: Wrap(connectedConn{up}, Config{
			Send: p.cfg.ClientToServer,
			Recv: p.cfg.ServerToClient,
			Seed: seed,
		}),
		last: time.Now(),
	}
	p.ended.Sessions++
	p.sessions[client] = s
	p.live[s] = struct{}{}
	p.wg.Add(1)
	go p.serveSession(s)
	p.log.Debug("netsim proxy: session opened", "client", client, "upstream", up.LocalAddr())
	return s, nil
}

// serveSession relays the server's datagrams back to the client until the
// session idles out or is closed.
func (p *Proxy) serveSession(s *proxySession) {
	defer p.wg.Done()
	buf := make([]byte, MaxDatagramSize+1)
	expired := false
	for {
		p.mu.Lock()
		idleAt := s.last.Add(p.cfg.IdleTimeout)
		p.mu.Unlock()
		_ = s.link.SetReadDeadline(idleAt)
		n, _, err := s.link.ReadFrom(buf)
		if err == nil {
			p.mu.Lock()
			s.last = time.Now()
			p.mu.Unlock()
			_, _ = p.conn.WriteToUDPAddrPort(buf[:n], s.client)
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			p.mu.Lock()
			if time.Since(s.last) < p.cfg.IdleTimeout {
				p.mu.Unlock()
				continue // touched by the client meanwhile
			}
			// Expire under the lock, so relay cannot hand this session a
			// datagram once it is out of the map.
			delete(p.sessions, s.client)
			p.mu.Unlock()
			expired = true
			break
		}
		break // closed
	}
	s.link.Close()
	st := s.link.Stats()
	p.mu.Lock()
	if p.sessions[s.client] == s {
		delete(p.sessions, s.client)
	}
	delete(p.live, s)
	p.ended.ClientToServer = p.ended.ClientToServer.Add(st.Send)
	p.ended.ServerToClient = p.ended.ServerToClient.Add(st.Recv)
	if expired {
		p.ended.Expired++
	}
	p.mu.Unlock()
	p.log.Debug("netsim proxy: session ended", "client", s.client, "expired", expired)
}

// Stats returns the counts so far, including open sessions.
func (p *Proxy) Stats() ProxyStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.ended
	st.ActiveSessions = len(p.sessions)
	for s := range p.live {
		ls := s.link.Stats()
		st.ClientToServer = st.ClientToServer.Add(ls.Send)
		st.ServerToClient = st.ServerToClient.Add(ls.Recv)
	}
	return st
}

// connectedConn adapts a connected UDP socket to net.PacketConn for Wrap:
// writes go to the connected peer whatever the address, reads report it,
// and the ICMP "connection refused" a connected socket surfaces while the
// server is down is treated as the lost datagram it is.
type connectedConn struct{ *net.UDPConn }

func (c connectedConn) WriteTo(b []byte, _ net.Addr) (int, error) {
	n, err := c.Write(b)
	if errors.Is(err, syscall.ECONNREFUSED) {
		return len(b), nil
	}
	return n, err
}

func (c connectedConn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, err := c.Read(b)
		if errors.Is(err, syscall.ECONNREFUSED) {
			continue
		}
		return n, c.RemoteAddr(), err
	}
}
