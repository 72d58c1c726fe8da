package lobby

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/skirmish-go/skirmish/lobby/proto"
)

// ErrServerClosed is returned by Serve and ListenAndServe after Shutdown or Close.
var ErrServerClosed = errors.New("lobby: server closed")

// TokenSealer seals a netcode.io connect token for one player: clientID is the player id, addr
// the game server's address, userData a marshalled gameserver/wire.Ticket. Package
// lobby/tokens builds one from netcode/secure.GenerateConnectToken.
type TokenSealer func(clientID uint64, addr netip.AddrPort, userData [256]byte) ([]byte, error)

// Mode is one game mode players can queue for or make rooms of.
type Mode struct {
	MinPlayers  int
	MaxPlayers  int
	Teams       int           // 0: free for all (every player its own team)
	FillTimeout time.Duration // after it a group of at least MinPlayers starts
}

// DefaultModes are the modes of a Config without Modes. They are the modes the default game
// (gameserver/arena: arena.Modes) plays, so every match the lobby forms can start; a game
// server refuses a ticket for a mode its game does not have.
func DefaultModes() map[string]Mode {
	return map[string]Mode{
		"duel":  {MinPlayers: 2, MaxPlayers: 2, Teams: 2, FillTimeout: 10 * time.Second},
		"ffa":   {MinPlayers: 2, MaxPlayers: 16, FillTimeout: 15 * time.Second},
		"quick": {MinPlayers: 2, MaxPlayers: 8, FillTimeout: 3 * time.Second},
		"teams": {MinPlayers: 4, MaxPlayers: 16, Teams: 2, FillTimeout: 20 * time.Second},
		"large": {MinPlayers: 16, MaxPlayers: 64, Teams: 2, FillTimeout: 30 * time.Second},
	}
}

// Config configures a Server. Zero fields mean the defaults in the comments; for limits a
// negative value means "no limit".
type Config struct {
	Addr      string      // ListenAndServe address; default "127.0.0.1:7000"
	TLSConfig *tls.Config // if set, connections are TLS
	// Key is the secret shared with game servers (registration HMAC); required to register any.
	Key [32]byte
	// SealToken seals connect tokens; without it no match can start (no_server).
	SealToken TokenSealer
	Store     Store           // default NewMemoryStore()
	Modes     map[string]Mode // default DefaultModes()
	Instance  string          // this process's name in the Store; default random
	Logger    *slog.Logger    // default slog.Default()
	Now       func() time.Time

	MaxConns      int // default DefaultMaxConns; refused with server_full beyond
	MaxConnsPerIP int // default 256; refused with too_many_conns beyond
	// PerIPv6Prefix is how many leading bits of an IPv6 address count as one source for
	// MaxConnsPerIP: one host usually owns a whole /64. Default 64; 128 counts addresses.
	PerIPv6Prefix    int
	HandshakeTimeout time.Duration // hello deadline after accept; default 10 s
	IdleTimeout      time.Duration // read deadline between messages; default 90 s (clients ping)
	WriteTimeout     time.Duration // per write; default 10 s
	SendQueue        int           // queued outgoing lines per connection; default 128
	MsgRate          float64       // messages per second per player connection; default 20
	MsgBurst         int           // default 40
	// MaxDropped sizes the rate limit's second bucket, which closes abusive connections
	// (with rate_limited): every message dropped as rate_limited adds one to it, it drains at
	// MsgRate/2 per second, and the connection is closed when it holds MaxDropped. So
	// MaxDropped drops in a burst close a connection, and so does sending at more than
	// 1.5 × MsgRate for long enough, however the messages are spread. Default 3*MsgBurst
	// (three full bursts); negative: never closed for its rate.
	MaxDropped int
	// InstanceTTL is the lease on this instance's liveness in the Store, renewed every
	// InstanceTTL/3; the same renewal is the store health check. Other instances take over
	// the nicknames and queue tickets of an instance whose lease ran out. Default 3 s.
	InstanceTTL time.Duration

	HeartbeatTimeout time.Duration // a server silent this long is dead; default 4 s
	SweepInterval    time.Duration // default HeartbeatTimeout/8
	MaxMatchDuration time.Duration // a match without a result ends ("expired") after; default 3 h
	// SeatReservation is how long the seats of a new match count against its game server
	// in the lobby's own books: the connect token's lifetime (30 s) plus a margin for the
	// handshake and the heartbeat that reports it. After it only the server's heartbeat
	// (its real occupancy, seats of matches it runs) counts, so seats of players who took
	// match_found but never connected are free again. Default 45 s.
	SeatReservation time.Duration
	MatchInterval   time.Duration // matchmaker pass; default 250 ms
	SkillWindow     float64       // initial rating window; default 100
	SkillWiden      float64       // window growth per second of wait; default 50
	SkillWindowMax  float64       // default 1000
	MaxRooms        int           // rooms listed per room_list; default 100
}

func (c *Config) fill() {
	if c.Addr == "" {
		c.Addr = "127.0.0.1:7000"
	}
	if c.Store == nil {
		c.Store = NewMemoryStore()
	}
	if c.Modes == nil {
		c.Modes = DefaultModes()
	}
	if c.Instance == "" {
		c.Instance = randomHex(6)
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	defD := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	defF := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.MaxConns, DefaultMaxConns)
	def(&c.PerIPv6Prefix, 64)
	defD(&c.InstanceTTL, 3*time.Second)
	def(&c.MaxConnsPerIP, 256)
	def(&c.SendQueue, 128)
	def(&c.MsgBurst, 40)
	def(&c.MaxDropped, 3*c.MsgBurst)
	def(&c.MaxRooms, 100)
	defD(&c.HandshakeTimeout, 10*time.Second)
	defD(&c.IdleTimeout, 90*time.Second)
	defD(&c.WriteTimeout, 10*time.Second)
	defD(&c.HeartbeatTimeout, 4*time.Second)
	defD(&c.SweepInterval, c.HeartbeatTimeout/8)
	defD(&c.MatchInterval, 250*time.Millisecond)
	defD(&c.MaxMatchDuration, 3*time.Hour)
	defD(&c.SeatReservation, 45*time.Second)
	defF(&c.MsgRate, 20)
	defF(&c.SkillWindow, 100)
	defF(&c.SkillWiden, 50)
	defF(&c.SkillWindowMax, 1000)
}

// DefaultMaxConns is Config.MaxConns's default. A process must allow more open files than
// this (RLIMIT_NOFILE); cmd/lobby clamps the limit to what the process may open.
const DefaultMaxConns = 20000

// Server is a lobby. Create it with New; serve with Serve or ListenAndServe.
type Server struct {
	cfg     Config
	store   Store
	log     *slog.Logger
	metrics *metrics

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	perIP     map[netip.Addr]int
	players   map[uint64]*conn              // local sessions by player id
	roomConns map[string]map[*conn]struct{} // local room members
	connWG    sync.WaitGroup

	closing   atomic.Bool
	storeDown atomic.Bool  // the health check cannot reach the store
	storeUp   atomic.Int64 // Config.Now in unix ns when the store was last found reachable again
	storeKick chan struct{}
	startOnce sync.Once
	quit      chan struct{}
	quitOnce  sync.Once
	bgWG      sync.WaitGroup
	unsub     func()
	nextConn  atomic.Uint64

	// epochMu orders handing out player ids against noticing a lost store state: a hello
	// holds it shared from PlayerID until its session is registered; checkEpoch holds it
	// exclusively while it adopts a new epoch and picks the sessions of older ones.
	epochMu sync.RWMutex
	epoch   string // the store's epoch (EpochStore); "" for a store that cannot lose its state
}

// New returns a Server; it starts nothing until Serve.
func New(cfg Config) *Server {
	cfg.fill()
	return &Server{
		cfg: cfg, store: cfg.Store, log: cfg.Logger, metrics: newMetrics(),
		listeners: map[net.Listener]struct{}{}, conns: map[*conn]struct{}{},
		perIP: map[netip.Addr]int{}, players: map[uint64]*conn{}, roomConns: map[string]map[*conn]struct{}{},
		quit: make(chan struct{}), storeKick: make(chan struct{}, 1),
	}
}

// Store returns the server's store.
func (s *Server) Store() Store { return s.store }

func (s *Server) shuttingDown() bool { return s.closing.Load() }

func (s *Server) start() error {
	var err error
	s.startOnce.Do(func() {
		s.unsub, err = s.store.Subscribe(context.Background(), s.deliver)
		if err != nil {
			err = fmt.Errorf("lobby: subscribe: %w", err)
			return
		}
		if es, ok := s.store.(EpochStore); ok {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			s.epoch, err = es.Epoch(ctx)
			cancel()
			if err != nil {
				s.unsub()
				err = fmt.Errorf("lobby: store epoch: %w", err)
				return
			}
		}
		s.storeUp.Store(s.cfg.Now().UnixNano())
		s.bgWG.Add(3)
		go s.healthLoop()
		go s.loop(s.cfg.MatchInterval, "matchmaker", s.matchOnce)
		go s.loop(s.cfg.SweepInterval, "sweeper", s.sweepOnce)
	})
	return err
}

// loop runs fn every interval while this instance holds the named lock.
func (s *Server) loop(every time.Duration, lock string, fn func(ctx context.Context)) {
	defer s.bgWG.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.quit:
			return
		case <-t.C:
		}
		if s.storeDown.Load() { // the health loop retries the store with backoff meanwhile
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*every+time.Second)
		ok, err := s.store.Lock(ctx, lock, s.cfg.Instance, 3*every+time.Second)
		if err != nil {
			s.storeFailed(err)
			s.log.Warn("lobby: lock", "lock", lock, "err", err)
		} else if ok {
			fn(ctx)
		}
		cancel()
	}
}

// ListenAndServe listens on Config.Addr and serves.
func (s *Server) ListenAndServe() error {
	if s.shuttingDown() {
		return ErrServerClosed
	}
	l, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("lobby: listen: %w", err)
	}
	return s.Serve(l)
}

// Serve accepts connections on l until Shutdown or Close, then returns ErrServerClosed. With a
// Config.TLSConfig the connections are TLS. Serve closes l.
func (s *Server) Serve(l net.Listener) error {
	if s.cfg.TLSConfig != nil {
		l = tls.NewListener(l, s.cfg.TLSConfig)
	}
	s.mu.Lock()
	if s.shuttingDown() {
		s.mu.Unlock()
		l.Close()
		return ErrServerClosed
	}
	s.listeners[l] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, l)
		s.mu.Unlock()
		l.Close()
	}()
	if err := s.start(); err != nil {
		return err
	}
	var backoff time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			if s.shuttingDown() {
				return ErrServerClosed
			}
			if !errors.Is(err, net.ErrClosed) { // out of file descriptors and the like: wait, retry
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.log.Warn("lobby: accept", "err", err, "retry_in", backoff)
				select {
				case <-time.After(backoff):
				case <-s.quit:
				}
				continue
			}
			return fmt.Errorf("lobby: accept: %w", err)
		}
		backoff = 0
		s.accept(nc)
	}
}

func (s *Server) accept(nc net.Conn) {
	ip := sourceOf(addrOf(nc.RemoteAddr()), s.cfg.PerIPv6Prefix)
	s.mu.Lock()
	reason, code := "", ""
	switch {
	case s.shuttingDown():
		reason, code = "shutdown", proto.CodeShuttingDown
	case s.cfg.MaxConns > 0 && len(s.conns) >= s.cfg.MaxConns:
		reason, code = "max_conns", proto.CodeServerFull
	case s.cfg.MaxConnsPerIP > 0 && s.perIP[ip] >= s.cfg.MaxConnsPerIP:
		reason, code = "max_per_ip", proto.CodeTooManyConns
	}
	if code != "" {
		s.mu.Unlock()
		s.metrics.rejected.WithLabelValues(reason).Inc()
		s.metrics.errors.WithLabelValues(code).Inc()
		b, _ := proto.Append(nil, proto.ErrorMessage(0, code, "connection refused: "+reason))
		_ = nc.SetWriteDeadline(time.Now().Add(time.Second))
		_, _ = nc.Write(b)
		nc.Close()
		return
	}
	c := newConn(s, nc, ip)
	s.conns[c] = struct{}{}
	s.perIP[ip]++
	s.connWG.Add(1)
	s.mu.Unlock()
	s.metrics.conns.Inc()
	go c.serve()
}

// sourceOf is the key connections are counted under for MaxConnsPerIP: the address itself
// for IPv4, its leading bits6 bits for IPv6 (one host usually holds a whole /64, so counting
// addresses would let it open 2^64 times the limit).
func sourceOf(ip netip.Addr, bits6 int) netip.Addr {
	if !ip.Is6() || bits6 <= 0 || bits6 >= 128 {
		return ip
	}
	p, err := ip.WithZone("").Prefix(bits6)
	if err != nil {
		return ip
	}
	return p.Addr()
}

func addrOf(a net.Addr) netip.Addr {
	if ta, ok := a.(*net.TCPAddr); ok {
		ap := ta.AddrPort()
		return ap.Addr().Unmap()
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// forget removes a finished connection.
func (s *Server) forget(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	if s.perIP[c.ip]--; s.perIP[c.ip] <= 0 {
		delete(s.perIP, c.ip)
	}
	if c.playerID != 0 && s.players[c.playerID] == c {
		delete(s.players, c.playerID)
	}
	s.mu.Unlock()
	s.metrics.conns.Dec()
}

func (s *Server) stopBackground() {
	s.quitOnce.Do(func() {
		close(s.quit)
		s.bgWG.Wait()
		if s.unsub != nil {
			s.unsub()
		}
	})
}

func (s *Server) closeListeners() {
	s.mu.Lock()
	s.closing.Store(true)
	for l := range s.listeners {
		l.Close()
	}
	s.mu.Unlock()
}

func (s *Server) allConns() []*conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		out = append(out, c)
	}
	return out
}

// Shutdown stops accepting, tells every connection "shutdown", lets their send queues drain
// and waits for them to close, or for ctx; then closes what is left and returns ctx's error.
// Players are dequeued and leave their rooms; matches and game servers stay in the Store.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closeListeners()
	s.stopBackground()
	for _, c := range s.allConns() {
		c.sendAndClose(&proto.Message{Type: proto.TypeShutdown, Code: proto.CodeShuttingDown, Message: "lobby shutting down"})
	}
	done := make(chan struct{})
	go func() { s.connWG.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		for _, c := range s.allConns() {
			c.close()
		}
		<-done
		return ctx.Err()
	}
}

// Close stops at once: listeners and connections are closed and Close waits for their
// goroutines. Safe to call more than once.
func (s *Server) Close() error {
	s.closeListeners()
	s.stopBackground()
	for _, c := range s.allConns() {
		c.close()
	}
	s.connWG.Wait()
	return nil
}

// deliver hands a published event to the local connections it is for. It never blocks: a full
// send queue drops that connection.
func (s *Server) deliver(ev Event) {
	msg := ev.Msg
	if ev.To != 0 {
		s.mu.Lock()
		c := s.players[ev.To]
		s.mu.Unlock()
		if c != nil {
			c.event(&msg)
		}
		return
	}
	if ev.Room != "" {
		s.mu.Lock()
		members := make([]*conn, 0, len(s.roomConns[ev.Room]))
		for c := range s.roomConns[ev.Room] {
			members = append(members, c)
		}
		s.mu.Unlock()
		for _, c := range members {
			c.event(&msg)
		}
	}
}

// setRoom records which room a local connection is in ("" for none).
func (s *Server) setRoom(c *conn, room string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.room != "" {
		if m := s.roomConns[c.room]; m != nil {
			delete(m, c)
			if len(m) == 0 {
				delete(s.roomConns, c.room)
			}
		}
	}
	c.room = room
	if room != "" {
		m := s.roomConns[room]
		if m == nil {
			m = map[*conn]struct{}{}
			s.roomConns[room] = m
		}
		m[c] = struct{}{}
	}
}

func (s *Server) publish(ctx context.Context, ev Event) {
	if err := s.store.Publish(ctx, ev); err != nil {
		s.log.Warn("lobby: publish", "type", ev.Msg.Type, "err", err)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := io.ReadFull(rand.Reader, b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b)
}
