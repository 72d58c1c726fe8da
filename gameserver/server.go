package gameserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/skirmish-go/skirmish/gameserver/wire"
	"github.com/skirmish-go/skirmish/netcode"
	"github.com/skirmish-go/skirmish/netcode/kcp"
	"github.com/skirmish-go/skirmish/netcode/secure"
)

// DefaultProtocolID is Skirmish's netcode.io protocol ID, "SKIRMISH".
const DefaultProtocolID = 0x534b49524d495348

// Defaults of Config's zero fields.
const (
	DefaultTick         = 60
	DefaultSnapshotRate = 30
	DefaultCapacity     = 256
	DefaultInboxSize    = 512
	DefaultEmptyTimeout = 30 * time.Second
	DefaultAloneTimeout = 20 * time.Second
	DefaultEndGrace     = 2 * time.Second
)

// finishedMemory is how long a finished match's ID is remembered, so a still-valid connect
// token cannot start it again. Connect tokens expire after 30 s by default.
const finishedMemory = 10 * time.Minute

// Errors.
var (
	// ErrServerClosed is returned by Serve and Drain after Close.
	ErrServerClosed = errors.New("gameserver: server closed")
	// ErrNoGame is returned by New when Config.Game is nil.
	ErrNoGame = errors.New("gameserver: Config.Game is nil")
	// ErrNoKey is returned by New when Config.Key is all zero.
	ErrNoKey = errors.New("gameserver: Config.Key is zero")
)

// Redundancy is the snapshot redundancy policy; see Config.SnapshotRedundancy.
type Redundancy int

const (
	// RedundancyAuto repeats snapshots to clients whose measured packet loss (the Endpoint's
	// estimate of our packets they did not acknowledge) is at least AutoRedundancyLoss. A lost
	// snapshot is then replaced 1/Tick later instead of 1/SnapshotRate later, and the client
	// keeps receiving (almost) the full snapshot rate; it costs those clients up to twice the
	// snapshot bytes, and costs clean links nothing.
	RedundancyAuto Redundancy = iota
	// RedundancyAlways repeats every snapshot to every client.
	RedundancyAlways
	// RedundancyOff never repeats snapshots.
	RedundancyOff
)

// AutoRedundancyLoss is the measured loss at which RedundancyAuto starts repeating snapshots.
const AutoRedundancyLoss = 0.02

// MatchReport is what the server reports when a match ends.
type MatchReport struct {
	MatchID string // 32 hex digits, as wire.Ticket.MatchIDString
	Mode    string
	// Teams is the mode's ModeSpec.Teams: 0 in free-for-all modes (and when the server has
	// no Config.Def.Modes), else how many teams play, so the result is ranked by team.
	Teams int
	// PlayerIDs maps each seat that had a player to the lobby's player ID from its ticket.
	PlayerIDs map[uint8]uint64
	Region    string
	Result    Result
	StartedAt time.Time
	EndedAt   time.Time
	Ticks     uint32
	Replay    string // the replay's file name in Config.Replays; "" when none was saved
}

// ResultSink receives match results: gameserver/lobbylink in production. ReportResult is called
// from the match's goroutine once per match; it must return promptly (queue, don't dial).
type ResultSink interface {
	ReportResult(r MatchReport)
}

// ResultSinkFunc adapts a function to ResultSink.
type ResultSinkFunc func(MatchReport)

// ReportResult calls f(r).
func (f ResultSinkFunc) ReportResult(r MatchReport) { f(r) }

// Config configures a Server. The zero value of every field means its default; Key and one of
// Def or Game are required.
type Config struct {
	Tick         int // simulation ticks per second; default 60
	SnapshotRate int // snapshots per second to each client, ≤ Tick; default 30
	Capacity     int // players (seats reserved by running matches) the server accepts; default 256
	Region       string
	// Def is the game this server hosts (arenahost.Def for Arena): Def.New makes each match's
	// Game, and a ticket for a mode Def does not declare, or for more players than the mode
	// seats, is refused. Def must pass [GameDef.Validate].
	Def GameDef
	// Game, if set, makes each match's Game instead of Def.New; with no Def.Modes any mode
	// the factory accepts is played (tests, embedders without a lobby).
	Game       GameFactory
	ProtocolID uint64     // netcode.io protocol ID; default DefaultProtocolID
	Key        secure.Key // the key shared with the lobby, which seals connect tokens
	// PublicAddr is the address connect tokens name; default the conn's local address.
	PublicAddr netip.AddrPort
	Logger     *slog.Logger     // default slog.Default()
	Now        func() time.Time // default time.Now; timers use package time (use synctest in tests)
	Results    ResultSink       // default: results are only logged
	// Replays, if set, keeps a replay of every match (replay.Dir writes them to a directory;
	// see package gameserver/replay). Default: no replays.
	Replays ReplayStore

	// SnapshotRedundancy says when a snapshot is sent a second time, on the tick after it (only
	// when SnapshotRate < Tick, so there is a tick between snapshots). Default RedundancyAuto.
	SnapshotRedundancy Redundancy

	// Transport is the game port's protocol: "udp" (netcode.io, the default) or "kcp"
	// (netcode/kcp, every payload reliable; see transport_kcp.go). KCP tunes it (FEC, windows).
	Transport string
	KCP       kcp.Options

	InboxSize    int           // payloads queued per match before drops; default 512
	EmptyTimeout time.Duration // a match with no connected player ends after this; default 30 s
	// AloneTimeout: a match whose other players all left ends ("players_left") after one
	// player has been alone in it this long; default 20 s, longer than a dropped player
	// needs to reconnect.
	AloneTimeout time.Duration
	EndGrace     time.Duration // after MatchEnd, how long clients stay connected; default 2 s

	// SpectatorDelay is how late spectators see a match (spectate.go); default 3 s.
	SpectatorDelay time.Duration
	// MaxSpectators is the spectators one match admits; default 16, negative: none. The
	// server as a whole admits Capacity/4 + MaxSpectators.
	MaxSpectators int
}

func (c *Config) populate() error {
	if c.Def.Name != "" || len(c.Def.Modes) > 0 {
		if err := c.Def.Validate(); err != nil {
			return err
		}
	}
	if c.Game == nil {
		c.Game = c.Def.New
	}
	if c.Game == nil {
		return ErrNoGame
	}
	if c.Key == (secure.Key{}) {
		return ErrNoKey
	}
	if c.Tick <= 0 {
		c.Tick = DefaultTick
	}
	if c.SnapshotRate <= 0 {
		c.SnapshotRate = DefaultSnapshotRate
	}
	if c.SnapshotRate > c.Tick {
		c.SnapshotRate = c.Tick
	}
	if c.Tick > 1000 {
		return fmt.Errorf("gameserver: tick %d Hz above 1000", c.Tick)
	}
	if c.Capacity <= 0 {
		c.Capacity = DefaultCapacity
	}
	if c.ProtocolID == 0 {
		c.ProtocolID = DefaultProtocolID
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.InboxSize <= 0 {
		c.InboxSize = DefaultInboxSize
	}
	if c.EmptyTimeout <= 0 {
		c.EmptyTimeout = DefaultEmptyTimeout
	}
	if c.AloneTimeout <= 0 {
		c.AloneTimeout = DefaultAloneTimeout
	}
	if c.EndGrace <= 0 {
		c.EndGrace = DefaultEndGrace
	}
	if c.SpectatorDelay <= 0 {
		c.SpectatorDelay = DefaultSpectatorDelay
	}
	if c.MaxSpectators == 0 {
		c.MaxSpectators = DefaultMaxSpectators
	}
	return nil
}

// peer is one connection as the transport reports it.
type peer struct {
	index    int
	id       uint64
	addr     netip.AddrPort
	userData [secure.UserDataBytes]byte
}

// transport is the connection layer under the server: a secure.Server in production.
type transport interface {
	Serve() error
	Send(index int, payload []byte) error
	Disconnect(index int)
	Close() error
}

// handlers are the transport's callbacks, all called from its Serve goroutine.
type handlers struct {
	connect    func(p peer)
	disconnect func(p peer, reason error)
	payload    func(p peer, payload []byte)
}

func newSecureTransport(conn net.PacketConn, cfg *Config, h handlers) (transport, error) {
	info := func(c secure.ClientInfo) peer {
		return peer{index: c.Index, id: c.ID, addr: c.Addr, userData: c.UserData}
	}
	var bc *batchConn
	if uc, ok := conn.(*net.UDPConn); ok {
		// A real socket: send in batches (see batchConn). secure.Server closes it.
		bc = newBatchConn(uc)
		conn = bc
	}
	srv, err := secure.NewServer(conn, secure.ServerConfig{
		ProtocolID:   cfg.ProtocolID,
		PrivateKey:   cfg.Key,
		PublicAddr:   cfg.PublicAddr,
		MaxClients:   cfg.Capacity + cfg.Capacity/8 + 8 + spectatorRoom(cfg), // room for replacements, late leavers, spectators
		Now:          cfg.Now,
		Logger:       cfg.Logger,
		OnConnect:    func(c secure.ClientInfo) { h.connect(info(c)) },
		OnDisconnect: func(c secure.ClientInfo, reason error) { h.disconnect(info(c), reason) },
		OnPayload:    func(c secure.ClientInfo, p []byte) { h.payload(info(c), p) },
	})
	if err != nil {
		if bc != nil {
			bc.stop()
		}
		return nil, err
	}
	if bc == nil {
		return srv, nil
	}
	t := &secureTransport{Server: srv, bc: bc}
	t.handle = srv.HandleDatagram // one method value, not one per pass
	return t, nil
}

// secureTransport is a secure.Server on a batchConn: the match loop holds its sends and
// releases them as one batch per pass (sendBatcher).
type secureTransport struct {
	*secure.Server
	bc     *batchConn
	handle func(b []byte, from netip.AddrPort)
}

func (t *secureTransport) holdSends()        { t.bc.hold() }
func (t *secureTransport) releaseSends()     { t.bc.release() }
func (t *secureTransport) gateReads(on bool) { t.bc.gateReads(on) }
func (t *secureTransport) openReads()        { t.bc.openReads() }
func (t *secureTransport) drainReads() bool  { return t.bc.drainReads(t.handle) }

// clientRef routes one transport client index to its match.
type clientRef struct {
	m      *match
	connID uint64
}

// Server hosts many concurrent matches on one UDP port. See the package documentation.
type Server struct {
	cfg     Config
	log     *slog.Logger
	tr      transport
	metrics *metrics
	ticks   tickWindow

	// reliable: the transport delivers every payload (KCP), so snapshot baselines need no ack.
	reliable bool

	epoch time.Time // the tick grid matches start on (alignTick)

	mu          sync.Mutex
	matches     map[[16]byte]*match
	matchList   []*match // the matches again, in start order, for the loop
	loopRunning bool
	loopWake    chan struct{}
	finished    map[[16]byte]time.Time
	clients     map[int]clientRef
	reserved    int // seats of running matches
	players     int // connected players
	nextConnID  uint64
	spectators  int // admitted spectators of all matches (spectate.go)
	draining    bool
	closed      bool
	emptyCh     chan struct{} // closed when the last match goes, while someone waits for it

	wg    sync.WaitGroup // the match loop
	saves sync.WaitGroup // replays being saved, each followed by its match's result
}

// New makes a server on conn (a UDP socket, or a netsim conn in tests). Call Serve to run it.
func New(conn net.PacketConn, cfg Config) (*Server, error) {
	factory, err := transportFor(cfg.Transport)
	if err != nil {
		return nil, err
	}
	return newServer(conn, cfg, factory)
}

type transportFactory func(conn net.PacketConn, cfg *Config, h handlers) (transport, error)

func newServer(conn net.PacketConn, cfg Config, newTransport transportFactory) (*Server, error) {
	if err := cfg.populate(); err != nil {
		return nil, err
	}
	if !cfg.PublicAddr.IsValid() && conn != nil {
		if ua, ok := conn.LocalAddr().(*net.UDPAddr); ok {
			cfg.PublicAddr = ua.AddrPort()
		}
	}
	s := &Server{
		cfg:      cfg,
		log:      cfg.Logger.With("component", "gameserver"),
		metrics:  newMetrics(),
		matches:  make(map[[16]byte]*match),
		finished: make(map[[16]byte]time.Time),
		clients:  make(map[int]clientRef),
		loopWake: make(chan struct{}, 1),
		epoch:    cfg.Now(),
	}
	tr, err := newTransport(conn, &s.cfg, handlers{connect: s.onConnect, disconnect: s.onDisconnect, payload: s.onPayload})
	if err != nil {
		return nil, fmt.Errorf("gameserver: %w", err)
	}
	s.tr = tr
	s.reliable = isReliable(tr)
	return s, nil
}

// Serve runs the connection layer until Close, then returns ErrServerClosed.
func (s *Server) Serve() error {
	err := s.tr.Serve()
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return ErrServerClosed
	}
	return fmt.Errorf("gameserver: serve: %w", err)
}

// Drain stops new matches and waits for the running ones to end (players may still join or
// rejoin them). Results are reported as usual. If ctx ends first, Drain ends the remaining
// matches at once with reason "drained", reports their results, waits for their goroutines and
// returns ctx.Err(). Drain does not close the server: call Close afterwards.
func (s *Server) Drain(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrServerClosed
	}
	if !s.draining {
		s.log.Info("draining", "matches", len(s.matches))
	}
	s.draining = true
	ch := s.emptyWaitLocked()
	s.mu.Unlock()
	if ch == nil {
		s.saves.Wait()
		return nil
	}
	select {
	case <-ch:
		s.saves.Wait() // the last results follow their replays
		return nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	for _, m := range s.matches {
		m.end("drained")
	}
	ch = s.emptyWaitLocked()
	s.mu.Unlock()
	if ch != nil {
		<-ch // forced matches end within one loop iteration
	}
	s.saves.Wait()
	return ctx.Err()
}

// emptyWaitLocked returns a channel closed when no match is left, or nil if none is.
func (s *Server) emptyWaitLocked() chan struct{} {
	if len(s.matches) == 0 {
		return nil
	}
	if s.emptyCh == nil {
		s.emptyCh = make(chan struct{})
	}
	return s.emptyCh
}

// Close ends every match at once (reason "closed", results reported), closes the connection
// layer and waits for all goroutines. It is safe to call more than once.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.draining = true
	for _, m := range s.matches {
		m.end("closed")
	}
	s.mu.Unlock()
	s.wg.Wait()
	s.saves.Wait()
	if err := s.tr.Close(); err != nil {
		return fmt.Errorf("gameserver: close: %w", err)
	}
	return nil
}

// onConnect routes a new connection to its match, starting the match if it is the first.
func (s *Server) onConnect(p peer) {
	t, err := wire.ParseTicket(p.userData[:])
	if err != nil {
		s.metrics.invalidPackets.Inc()
		s.reject(p, "bad_ticket", err)
		return
	}
	if t.Spectator {
		s.connectSpectator(p, t)
		return
	}
	s.mu.Lock()
	m := s.matches[t.MatchID]
	if m == nil {
		reason := ""
		switch {
		case s.draining:
			reason = "draining"
		case !s.finished[t.MatchID].IsZero():
			reason = "match_finished"
		case s.reserved+int(t.Players) > s.cfg.Capacity:
			reason = "capacity"
		}
		if reason == "" {
			m, err = s.startMatchLocked(t)
			if err != nil {
				// The game has no such mode (or not for this many seats): the lobby and the
				// game disagree. Refuse the connection now, with the game's reason, rather
				// than seat a player in a match that cannot run.
				reason = "unknown_mode"
			}
		}
		if reason != "" {
			s.mu.Unlock()
			s.reject(p, reason, err)
			return
		}
	} else if m.ticket.Players != t.Players || m.ticket.Mode != t.Mode {
		s.mu.Unlock()
		s.reject(p, "ticket_mismatch", nil)
		return
	}
	s.nextConnID++
	id := s.nextConnID
	s.clients[p.index] = clientRef{m: m, connID: id}
	s.mu.Unlock()
	m.control(ctlEvent{connect: true, index: p.index, connID: id, addr: p.addr, ticket: t})
}

// deniedCopies is how many times the Denied message's packet is sent: it is the only thing a
// refused client hears before the disconnect, so it gets the same redundancy as netcode.io's
// disconnect packets.
const deniedCopies = 3

// reject refuses a connection: it logs why, tells the client why (a wire.Denied message on a
// throwaway channel, since the client never gets a seat) and disconnects it.
func (s *Server) reject(p peer, reason string, err error) {
	s.metrics.rejected.WithLabelValues(reason).Inc()
	s.log.Info("connection rejected", "addr", p.addr, "client_id", p.id, "reason", reason, "err", err)
	text := reason
	if err != nil {
		text += ": " + err.Error()
	}
	if len(text) > wire.MaxReasonBytes {
		text = text[:wire.MaxReasonBytes]
	}
	d := wire.Denied{Reason: text}
	if msg, aerr := d.Append(nil); aerr == nil {
		ep := netcode.NewEndpoint(netcode.EndpointConfig{})
		if ep.SendReliable(msg) == nil {
			_ = ep.Flush(s.cfg.Now(), func(pkt []byte) error {
				for range deniedCopies {
					if err := s.tr.Send(p.index, pkt); err != nil {
						return err
					}
				}
				return nil
			})
		}
	}
	s.tr.Disconnect(p.index)
}

func (s *Server) onDisconnect(p peer, reason error) {
	s.mu.Lock()
	ref, ok := s.clients[p.index]
	if ok {
		delete(s.clients, p.index)
	}
	s.mu.Unlock()
	if ok {
		ref.m.control(ctlEvent{index: p.index, connID: ref.connID, reason: reason})
	}
}

func (s *Server) onPayload(p peer, payload []byte) {
	s.metrics.packetsIn.Inc()
	s.metrics.bytesIn.Add(float64(len(payload)))
	s.mu.Lock()
	ref, ok := s.clients[p.index]
	s.mu.Unlock()
	if !ok {
		return
	}
	// Queued for the match loop without waking it: the match handles its payloads when it next
	// runs (its next tick at the latest), with their arrival time.
	if !ref.m.enqueue(p.index, ref.connID, s.cfg.Now(), payload) {
		s.metrics.droppedPayloads.Inc()
	}
}

// disconnect ends a client's connection if it is still the one connID names.
func (s *Server) disconnect(index int, connID uint64) {
	s.mu.Lock()
	ref, ok := s.clients[index]
	if ok && ref.connID == connID {
		delete(s.clients, index)
	}
	s.mu.Unlock()
	if ok && ref.connID == connID {
		s.tr.Disconnect(index)
	}
}

func (s *Server) startMatchLocked(t wire.Ticket) (*match, error) {
	if len(s.cfg.Def.Modes) > 0 {
		spec, ok := s.cfg.Def.Mode(t.Mode)
		if !ok {
			return nil, fmt.Errorf("gameserver: game %q has no mode %q", s.cfg.Def.Name, t.Mode)
		}
		if int(t.Players) > spec.MaxPlayers {
			return nil, fmt.Errorf("gameserver: mode %q: %d players, at most %d", t.Mode, t.Players, spec.MaxPlayers)
		}
	}
	game, err := s.cfg.Game(t.Mode, int(t.Players), seedOf(t.MatchID))
	if err != nil {
		return nil, fmt.Errorf("gameserver: new game %q: %w", t.Mode, err)
	}
	m := newMatch(s, t, game)
	s.matches[t.MatchID] = m
	s.matchList = append(s.matchList, m)
	s.reserved += int(t.Players)
	s.metrics.matches.Set(float64(len(s.matches)))
	s.metrics.matchesStarted.Inc()
	s.startLoopLocked()
	return m, nil
}

// removeMatch forgets a match whose goroutine is ending, and disconnects its clients.
func (s *Server) removeMatch(m *match) {
	now := s.cfg.Now()
	var drop []int
	s.mu.Lock()
	delete(s.matches, m.ticket.MatchID)
	if i := slices.Index(s.matchList, m); i >= 0 {
		s.matchList = slices.Delete(s.matchList, i, i+1)
	}
	s.reserved -= int(m.ticket.Players)
	for id, at := range s.finished {
		if now.Sub(at) > finishedMemory {
			delete(s.finished, id)
		}
	}
	s.finished[m.ticket.MatchID] = now
	for index, ref := range s.clients {
		if ref.m == m {
			delete(s.clients, index)
			drop = append(drop, index)
		}
	}
	s.metrics.matches.Set(float64(len(s.matches)))
	if len(s.matches) == 0 && s.emptyCh != nil {
		close(s.emptyCh)
		s.emptyCh = nil
	}
	s.mu.Unlock()
	for _, index := range drop {
		s.tr.Disconnect(index)
	}
}

func (s *Server) addPlayers(n int) {
	s.mu.Lock()
	s.players += n
	s.metrics.players.Set(float64(s.players))
	s.mu.Unlock()
}

// reportResult hands a finished match's result to Config.Results, if any.
func (s *Server) reportResult(r MatchReport) {
	if sink := s.cfg.Results; sink != nil {
		sink.ReportResult(r)
	}
}

// seedOf derives a game seed from a match ID, so a match replays exactly.
func seedOf(id [16]byte) uint64 {
	var x uint64
	for i, b := range id {
		x ^= uint64(b) << (8 * (i % 8))
	}
	// splitmix64 finaliser
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Status is the server's state as /status reports it, and what lobbylink heartbeats carry.
type Status struct {
	Game         string  `json:"game,omitempty"` // Config.Def.Name
	Region       string  `json:"region"`
	PublicAddr   string  `json:"public_addr"`
	Matches      int     `json:"matches"`
	Players      int     `json:"players"`
	Reserved     int     `json:"reserved"` // seats of running matches
	Capacity     int     `json:"capacity"`
	Draining     bool    `json:"draining"`
	TickHz       int     `json:"tick_hz"`
	SnapshotHz   int     `json:"snapshot_hz"`
	TickP99Milli float64 `json:"tick_p99_ms"`
}

// Status reports the server's current state. Safe for concurrent use.
func (s *Server) Status() Status {
	s.mu.Lock()
	st := Status{
		Game:       s.cfg.Def.Name,
		Region:     s.cfg.Region,
		Matches:    len(s.matches),
		Players:    s.players,
		Reserved:   s.reserved,
		Capacity:   s.cfg.Capacity,
		Draining:   s.draining,
		TickHz:     s.cfg.Tick,
		SnapshotHz: s.cfg.SnapshotRate,
	}
	s.mu.Unlock()
	if s.cfg.PublicAddr.IsValid() {
		st.PublicAddr = s.cfg.PublicAddr.String()
	}
	st.TickP99Milli = float64(s.ticks.p99()) / float64(time.Millisecond)
	return st
}
