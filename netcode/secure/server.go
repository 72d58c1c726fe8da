package secure

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/chacha20poly1305"
)

// Server and connection errors.
var (
	// ErrServerClosed is returned by [Server.Serve] and [Server.Send] after [Server.Close].
	ErrServerClosed = errors.New("secure: server closed")
	// ErrNotConnected is returned by [Server.Send] for an empty client slot
	// and by [Client.Send] before the handshake has completed.
	ErrNotConnected = errors.New("secure: not connected")
	// ErrPayloadSize is returned when a payload is not 1..1200 bytes.
	ErrPayloadSize = errors.New("secure: payload must be 1..1200 bytes")
	// ErrDisconnected is the reason when the peer sent disconnect packets.
	ErrDisconnected = errors.New("secure: disconnected by peer")
	// ErrKicked is the server-side reason after [Server.Disconnect].
	ErrKicked = errors.New("secure: disconnected by the server application")
	// ErrConnectionTimedOut is the reason when no packet arrived from the peer
	// within the token's timeout.
	ErrConnectionTimedOut = errors.New("secure: connection timed out")
)

// Protocol timing from the reference implementation.
const (
	sendInterval         = 100 * time.Millisecond // 10 Hz requests, responses and keep-alives
	numDisconnectPackets = 10                     // redundant disconnect packets
)

// Server defaults and bounds.
const (
	DefaultMaxClients         = 256
	DefaultHandshakeRateLimit = 32 // request+response packets per source per second

	readBufBytes      = 1500 // larger than any valid packet, so oversize is detected
	numReadBufs       = 64
	rateLimitWindow   = time.Second
	maxRateSources    = 4096        // tracked sources per window; beyond, all share one bucket
	overflowRateLimit = 256         // handshake packets per window shared by untracked sources
	minHandshakeTotal = 2048        // handshake packets per window from all sources, at least
	quietPendingAge   = time.Second // a half-open handshake this quiet may give way when the table is full
)

// ClientInfo identifies a connected client to the server application.
type ClientInfo struct {
	Index    int            // client slot, 0..MaxClients-1
	ID       uint64         // client id from the connect token
	Addr     netip.AddrPort // source address the connection is bound to
	UserData [UserDataBytes]byte
}

// ServerConfig configures a [Server]. Zero fields take defaults.
type ServerConfig struct {
	ProtocolID uint64
	PrivateKey Key
	// PublicAddr is the address tokens must name; default the conn's local
	// address (set it when the conn is bound to 0.0.0.0 or behind a mapping).
	PublicAddr netip.AddrPort
	MaxClients int              // default 256
	Now        func() time.Time // default time.Now
	Logger     *slog.Logger     // default discards
	// Callbacks, called one at a time (never concurrently) and never with
	// internal locks held (they may call Send and Disconnect): from the
	// goroutine that read the datagram (Serve's reader, or the caller of
	// [Server.HandleDatagram]) or from Serve's 10 Hz tick.
	OnConnect    func(c ClientInfo)
	OnDisconnect func(c ClientInfo, reason error)
	OnPayload    func(c ClientInfo, payload []byte) // payload valid only during the call
	// HandshakeRateLimit bounds request and response packets accepted from one
	// source address per second (default 32; the client sends 10).
	HandshakeRateLimit int
}

// ServerStats counts what the server did with every packet. All counters
// only grow.
type ServerStats struct {
	PacketsReceived uint64
	PacketsSent     uint64
	// Dropped before any cryptography.
	DroppedMalformed     uint64 // size, prefix, type, sequence bytes or version info
	DroppedWrongProtocol uint64 // protocol id of a request is not ours
	DroppedExpiredToken  uint64 // request whose token has expired
	DroppedRateLimited   uint64 // handshake packets beyond the per-source rate
	DroppedUnknownSource uint64 // encrypted packet from an address without a mapping
	// Dropped after (or instead of) cryptography.
	DroppedInvalidToken     uint64 // private token does not open or parse
	DroppedWrongAddress     uint64 // our address is not in the token
	DroppedTokenReused      uint64 // token already used from another address
	DroppedAlreadyConnected uint64 // address or client id already connected
	DroppedDecrypt          uint64 // AEAD failure: tampered or forged packet
	DroppedReplay           uint64 // sequence already received or too old
	DroppedChallenge        uint64 // challenge token does not open
	DroppedPendingFull      uint64 // too many half-open handshakes
	ChallengesSent          uint64
	Denied                  uint64 // connection denied packets sent (server full)
	Connects                uint64
	Disconnects             uint64
	TimedOut                uint64
	PayloadsReceived        uint64
	PayloadsSent            uint64
}

type serverCounters struct {
	packetsReceived, packetsSent                                  atomic.Uint64
	malformed, wrongProtocol, expired, rateLimited, unknownSource atomic.Uint64
	invalidToken, wrongAddress, tokenReused, alreadyConnected     atomic.Uint64
	decrypt, replay, challenge, pendingFull                       atomic.Uint64
	challengesSent, denied, connects, disconnects, timedOut       atomic.Uint64
	payloadsReceived, payloadsSent                                atomic.Uint64
}

// slot is one connected client. Guarded by Server.mu.
type slot struct {
	connected bool
	confirmed bool // the client has sent a keep-alive or payload since connecting
	info      ClientInfo
	netAddr   *net.UDPAddr
	send      *packetCrypto // server → client key
	recv      *packetCrypto // client → server key
	sendSeq   uint64
	replay    replayWindow
	lastRecv  time.Time
	lastSend  time.Time
	timeout   time.Duration // 0 = none
}

// pendingConn is the standard's "encryption mapping" for an address that
// has sent a valid request but not yet a valid response.
type pendingConn struct {
	c2s, s2c Key
	send     *packetCrypto
	recv     *packetCrypto
	lastRecv time.Time
	expires  time.Time // zero: never (no timeout, and a token that never expires)
	timeout  time.Duration
}

// expired reports whether the mapping has outlived its token or its timeout.
func (pc *pendingConn) expired(now time.Time) bool {
	return (!pc.expires.IsZero() && !now.Before(pc.expires)) ||
		(pc.timeout > 0 && now.Sub(pc.lastRecv) >= pc.timeout)
}

// evictQuietPending makes room in a full table of half-open handshakes by
// dropping the one heard from longest ago, if its client has been quiet for
// at least quietPendingAge (a live client resends at 10 Hz). Without it,
// mappings that never expire (timeout −1 with a token that never expires)
// could hold the table full for good. s.mu held.
func (s *Server) evictQuietPending(now time.Time) bool {
	var oldest netip.AddrPort
	var oldestAt time.Time
	for a, pc := range s.pending {
		if !oldest.IsValid() || pc.lastRecv.Before(oldestAt) {
			oldest, oldestAt = a, pc.lastRecv
		}
	}
	if !oldest.IsValid() || now.Sub(oldestAt) < quietPendingAge {
		return false
	}
	delete(s.pending, oldest)
	return true
}

type eventKind uint8

const (
	evConnect eventKind = iota
	evDisconnect
	evPayload
)

type event struct {
	kind    eventKind
	info    ClientInfo
	reason  error
	payload []byte
}

type inbound struct {
	buf  []byte
	n    int
	from netip.AddrPort
}

// Server is the dedicated-server side of netcode.io: it accepts clients that
// present a valid connect token, and exchanges encrypted payloads with them.
// See the package documentation for the flow and the concurrency rules.
type Server struct {
	conn       net.PacketConn
	reader     packetReader
	cfg        ServerConfig
	log        *slog.Logger
	now        func() time.Time
	publicAddr netip.AddrPort
	stats      serverCounters

	quit      chan struct{}
	wake      chan struct{}
	bufs      chan []byte // read buffers: the reader's, and the tests'
	closeOnce sync.Once

	// cbMu serialises processing and the callbacks it leads to, so they run one at a time
	// in the order the packets were processed, whichever goroutine read them.
	cbMu sync.Mutex

	mu            sync.Mutex
	closed        bool
	serving       bool
	slots         []slot
	numConnected  int
	byAddr        map[netip.AddrPort]int
	byID          map[uint64]int
	pending       map[netip.AddrPort]*pendingConn
	maxPending    int
	tokens        tokenHistory
	limiter       rateLimiter
	tokenAEAD     cipher.AEAD
	challengeAEAD cipher.AEAD
	challengeSeq  uint64
	globalSeq     uint64
	tokenAD       [tokenADBytes]byte
	tokenPlain    [PrivateTokenBytes]byte
	priv          privateToken
	chNonce       [packetNonceBytes]byte
	chToken       [challengeTokenBytes]byte
	sendBuf       []byte
	events        []event
	eventsSpare   []event // owned by the Serve goroutine
}

// NewServer returns a server that will read and write conn once [Server.Serve]
// runs. The server owns conn from now on: [Server.Close] closes it.
func NewServer(conn net.PacketConn, cfg ServerConfig) (*Server, error) {
	return newServer(conn, cfg, rand.Reader)
}

func newServer(conn net.PacketConn, cfg ServerConfig, rnd io.Reader) (*Server, error) {
	if cfg.MaxClients <= 0 {
		cfg.MaxClients = DefaultMaxClients
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.HandshakeRateLimit <= 0 {
		cfg.HandshakeRateLimit = DefaultHandshakeRateLimit
	}
	pub := cfg.PublicAddr
	if !pub.IsValid() {
		pub = addrPortOf(conn.LocalAddr())
	}
	pub = normalizeAddr(pub)
	if !pub.IsValid() || pub.Addr().IsUnspecified() {
		return nil, fmt.Errorf("secure: new server: need ServerConfig.PublicAddr (local address is %v)", conn.LocalAddr())
	}
	var challengeKey Key
	if _, err := io.ReadFull(rnd, challengeKey[:]); err != nil {
		return nil, fmt.Errorf("secure: new server: challenge key: %w", err)
	}
	tokenAEAD, err := chacha20poly1305.NewX(cfg.PrivateKey[:])
	if err != nil {
		return nil, fmt.Errorf("secure: new server: %w", err)
	}
	challengeAEAD, err := chacha20poly1305.New(challengeKey[:])
	if err != nil {
		return nil, fmt.Errorf("secure: new server: %w", err)
	}
	s := &Server{
		conn:          conn,
		reader:        newPacketReader(conn),
		cfg:           cfg,
		log:           cfg.Logger,
		now:           cfg.Now,
		publicAddr:    pub,
		quit:          make(chan struct{}),
		wake:          make(chan struct{}, 1),
		bufs:          make(chan []byte, numReadBufs),
		slots:         make([]slot, cfg.MaxClients),
		byAddr:        make(map[netip.AddrPort]int),
		byID:          make(map[uint64]int),
		pending:       make(map[netip.AddrPort]*pendingConn),
		maxPending:    4 * cfg.MaxClients,
		tokens:        newTokenHistory(8 * cfg.MaxClients),
		limiter:       newRateLimiter(cfg.HandshakeRateLimit, max(minHandshakeTotal, 16*cfg.MaxClients)),
		tokenAEAD:     tokenAEAD,
		challengeAEAD: challengeAEAD,
		globalSeq:     serverGlobalSequenceStart,
		sendBuf:       make([]byte, 0, MaxPacketBytes+64),
	}
	for range numReadBufs {
		s.bufs <- make([]byte, readBufBytes)
	}
	return s, nil
}

// Addr returns the address clients' tokens must name.
func (s *Server) Addr() netip.AddrPort { return s.publicAddr }

// Serve reads and answers packets until [Server.Close], then returns
// [ErrServerClosed]. It also returns if reading conn fails. It may be called once.
func (s *Server) Serve() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrServerClosed
	}
	if s.serving {
		s.mu.Unlock()
		return errors.New("secure: Serve called twice")
	}
	s.serving = true
	s.mu.Unlock()

	readErr := make(chan error, 1)
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		readErr <- s.readLoop()
	}()
	ticker := time.NewTicker(sendInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ticker.C:
			s.tick()
		case <-s.wake:
			s.cbMu.Lock()
			s.mu.Lock()
			evs := s.takeEvents()
			s.mu.Unlock()
			s.dispatch(evs)
			s.cbMu.Unlock()
		case err := <-readErr:
			<-readerDone
			select {
			case <-s.quit:
				return ErrServerClosed
			default:
			}
			return fmt.Errorf("secure: serve: read: %w", err)
		case <-s.quit:
			<-readerDone
			return ErrServerClosed
		}
	}
}

// readLoop reads datagrams, drops junk before any locking or cryptography,
// and processes the rest where it read them: no hand-off to another goroutine
// (and no wake-up of one) per packet.
func (s *Server) readLoop() error {
	var buf []byte
	select {
	case buf = <-s.bufs:
	case <-s.quit:
		return nil
	}
	for {
		p, ok, err := s.readPacket(buf)
		if err != nil {
			select {
			case <-s.quit:
				return nil
			default:
			}
			return err
		}
		if ok {
			s.handle(p)
		}
	}
}

// HandleDatagram processes one datagram from the server's socket that the
// caller read itself (for an owner that reads the socket in its own loop, and
// whose conn's ReadFrom returns nothing meanwhile): the same checks, counters
// and callbacks as a datagram Serve's reader takes, with the callbacks called
// on the calling goroutine before HandleDatagram returns. b is not retained.
// Serve must be running (its tick sends keep-alives and times clients out).
func (s *Server) HandleDatagram(b []byte, from netip.AddrPort) {
	s.stats.packetsReceived.Add(1)
	if !s.prefilter(b) {
		return
	}
	from = normalizeAddr(from)
	if !from.IsValid() {
		s.stats.malformed.Add(1)
		return
	}
	s.handle(inbound{buf: b, n: len(b), from: from})
}

// readPacket reads one datagram into buf and runs the cheap checks; ok is
// false for a datagram to drop (counted). It allocates nothing when the conn
// reads with ReadFromUDPAddrPort, as *net.UDPConn does.
func (s *Server) readPacket(buf []byte) (p inbound, ok bool, err error) {
	n, from, err := s.reader.readFrom(buf)
	if err != nil {
		return inbound{}, false, err
	}
	s.stats.packetsReceived.Add(1)
	if !s.prefilter(buf[:n]) {
		return inbound{}, false, nil
	}
	if !from.IsValid() {
		s.stats.malformed.Add(1)
		return inbound{}, false, nil
	}
	return inbound{buf: buf, n: n, from: from}, true, nil
}

// serverAllowed is the set of encrypted packet types a server accepts.
const serverAllowed = 1<<packetResponse | 1<<packetKeepAlive | 1<<packetPayload | 1<<packetDisconnect

// prefilter is the cheap check: size, prefix, type, version, protocol id
// and token expiry, with no cryptography and no shared state.
func (s *Server) prefilter(b []byte) bool {
	if len(b) > 0 && b[0] == byte(packetRequest) {
		rp, err := parseRequestPacket(b)
		if err != nil {
			s.stats.malformed.Add(1)
			return false
		}
		if rp.ProtocolID != s.cfg.ProtocolID {
			s.stats.wrongProtocol.Add(1)
			return false
		}
		if rp.ExpireTimestamp <= uint64(s.now().Unix()) {
			s.stats.expired.Add(1)
			return false
		}
		return true
	}
	if _, err := parseHeader(b, serverAllowed); err != nil {
		s.stats.malformed.Add(1)
		return false
	}
	return true
}

// handlePacket is handle for a buffer taken from s.bufs, which it returns there.
func (s *Server) handlePacket(p inbound) {
	s.handle(p)
	s.bufs <- p.buf
}

// handle processes one datagram that passed the cheap checks and calls the
// callbacks it leads to, on the calling goroutine.
func (s *Server) handle(p inbound) {
	s.cbMu.Lock()
	now := s.now()
	s.mu.Lock()
	if !s.closed {
		s.process(now, p.buf[:p.n], p.from)
	}
	evs := s.takeEvents()
	s.mu.Unlock()
	s.dispatch(evs)
	s.cbMu.Unlock()
}

func (s *Server) process(now time.Time, b []byte, from netip.AddrPort) {
	if b[0] == byte(packetRequest) {
		s.processRequest(now, b, from)
		return
	}
	h, err := parseHeader(b, serverAllowed)
	if err != nil {
		s.stats.malformed.Add(1)
		return
	}
	if h.Type == packetResponse {
		s.processResponse(now, b, h, from)
		return
	}
	idx, ok := s.byAddr[from]
	if !ok {
		s.stats.unknownSource.Add(1)
		return
	}
	sl := &s.slots[idx]
	if sl.replay.alreadyReceived(h.Sequence) {
		s.stats.replay.Add(1)
		return
	}
	body, err := sl.recv.open(b, h)
	if err != nil {
		s.stats.decrypt.Add(1)
		return
	}
	sl.replay.advance(h.Sequence)
	sl.lastRecv = now
	switch h.Type {
	case packetKeepAlive:
		sl.confirmed = true
	case packetPayload:
		sl.confirmed = true
		s.stats.payloadsReceived.Add(1)
		s.events = append(s.events, event{kind: evPayload, info: sl.info, payload: body})
	case packetDisconnect:
		s.disconnectSlot(idx, ErrDisconnected, false, now)
	}
}

func (s *Server) processRequest(now time.Time, b []byte, from netip.AddrPort) {
	rp, err := parseRequestPacket(b)
	if err != nil {
		s.stats.malformed.Add(1)
		return
	}
	if rp.ProtocolID != s.cfg.ProtocolID {
		s.stats.wrongProtocol.Add(1)
		return
	}
	if rp.ExpireTimestamp <= uint64(now.Unix()) {
		s.stats.expired.Add(1)
		return
	}
	if !s.limiter.allow(now, from) {
		s.stats.rateLimited.Add(1)
		return
	}
	if _, ok := s.byAddr[from]; ok {
		// A connected client still resending requests: ignore before any crypto.
		s.stats.alreadyConnected.Add(1)
		return
	}
	plain, err := openPrivateToken(s.tokenAEAD, &s.tokenAD, s.tokenPlain[:0], rp.PrivateData, rp.ProtocolID, rp.ExpireTimestamp, rp.Nonce)
	if err != nil {
		s.stats.invalidToken.Add(1)
		return
	}
	if err := parsePrivateToken(plain, &s.priv); err != nil {
		s.stats.invalidToken.Add(1)
		return
	}
	tok := &s.priv
	found := false
	for _, a := range tok.Addrs[:tok.NumAddrs] {
		if normalizeAddr(a) == s.publicAddr {
			found = true
			break
		}
	}
	if !found {
		s.stats.wrongAddress.Add(1)
		return
	}
	if _, ok := s.byAddr[from]; ok {
		s.stats.alreadyConnected.Add(1)
		return
	}
	if _, ok := s.byID[tok.ClientID]; ok {
		s.stats.alreadyConnected.Add(1)
		return
	}
	var mac [macBytes]byte
	copy(mac[:], rp.PrivateData[PrivateTokenBytes-macBytes:])
	if !s.tokens.findOrAdd(mac, from) {
		s.stats.tokenReused.Add(1)
		return
	}
	if s.numConnected >= len(s.slots) {
		pc, err := newPacketCrypto(tok.ServerToClientKey, s.cfg.ProtocolID)
		if err == nil {
			s.sendConnectionless(pc.appendPacket(s.sendBuf[:0], packetDenied, s.nextGlobalSeq(), nil), len(b), from)
			s.stats.denied.Add(1)
		}
		return
	}
	pc := s.pending[from]
	if pc == nil || pc.c2s != tok.ClientToServerKey || pc.s2c != tok.ServerToClientKey {
		if pc == nil && len(s.pending) >= s.maxPending && !s.evictQuietPending(now) {
			s.stats.pendingFull.Add(1)
			return
		}
		send, err1 := newPacketCrypto(tok.ServerToClientKey, s.cfg.ProtocolID)
		recv, err2 := newPacketCrypto(tok.ClientToServerKey, s.cfg.ProtocolID)
		if err1 != nil || err2 != nil {
			return
		}
		pc = &pendingConn{c2s: tok.ClientToServerKey, s2c: tok.ServerToClientKey, send: send, recv: recv}
		s.pending[from] = pc
	}
	// Each request renews the mapping, as in the reference implementation.
	if tok.TimeoutSeconds > 0 {
		pc.timeout = time.Duration(tok.TimeoutSeconds) * time.Second
		pc.expires = now.Add(pc.timeout)
	} else {
		// No timeout: the mapping dies with the token, or never for a token
		// that never expires (NeverExpires); a full table may still reclaim
		// it once its client has gone quiet (evictQuietPending).
		pc.timeout = 0
		pc.expires, _ = expiryTime(rp.ExpireTimestamp)
	}
	pc.lastRecv = now
	ct := challengeToken{ClientID: tok.ClientID, UserData: tok.UserData}
	sealChallengeToken(s.challengeAEAD, &s.chNonce, &s.chToken, &ct, s.challengeSeq)
	out := pc.send.appendChallengeLike(s.sendBuf[:0], packetChallenge, s.nextGlobalSeq(), s.challengeSeq, &s.chToken)
	s.challengeSeq++
	s.sendConnectionless(out, len(b), from)
	s.stats.challengesSent.Add(1)
}

func (s *Server) processResponse(now time.Time, b []byte, h header, from netip.AddrPort) {
	if _, ok := s.byAddr[from]; ok {
		// The client resends responses until our keep-alive reaches it.
		s.stats.alreadyConnected.Add(1)
		return
	}
	pc := s.pending[from]
	if pc == nil {
		s.stats.unknownSource.Add(1)
		return
	}
	if !s.limiter.allow(now, from) {
		s.stats.rateLimited.Add(1)
		return
	}
	body, err := pc.recv.open(b, h)
	if err != nil {
		s.stats.decrypt.Add(1)
		return
	}
	tokenSeq := binary.LittleEndian.Uint64(body)
	ct, err := openChallengeToken(s.challengeAEAD, &s.chNonce, &s.chToken, body[8:], tokenSeq)
	if err != nil {
		s.stats.challenge.Add(1)
		return
	}
	pc.lastRecv = now
	if _, ok := s.byID[ct.ClientID]; ok {
		s.stats.alreadyConnected.Add(1)
		return
	}
	if s.numConnected >= len(s.slots) {
		s.sendConnectionless(pc.send.appendPacket(s.sendBuf[:0], packetDenied, s.nextGlobalSeq(), nil), len(b), from)
		s.stats.denied.Add(1)
		return
	}
	idx := -1
	for i := range s.slots {
		if !s.slots[i].connected {
			idx = i
			break
		}
	}
	sl := &s.slots[idx]
	*sl = slot{
		connected: true,
		info:      ClientInfo{Index: idx, ID: ct.ClientID, Addr: from, UserData: ct.UserData},
		netAddr:   net.UDPAddrFromAddrPort(from),
		send:      pc.send,
		recv:      pc.recv,
		lastRecv:  now,
		lastSend:  now,
		timeout:   pc.timeout,
	}
	delete(s.pending, from)
	s.byAddr[from] = idx
	s.byID[ct.ClientID] = idx
	s.numConnected++
	s.stats.connects.Add(1)
	s.events = append(s.events, event{kind: evConnect, info: sl.info})
	s.sendKeepAlive(sl, now)
	s.log.Info("secure: client connected", "index", idx, "id", ct.ClientID, "addr", from)
}

// sendConnectionless sends a packet to an address with no connection yet,
// never larger than the request that caused it (no amplification).
func (s *Server) sendConnectionless(b []byte, requestLen int, to netip.AddrPort) {
	if len(b) > requestLen {
		return
	}
	if _, err := s.conn.WriteTo(b, net.UDPAddrFromAddrPort(to)); err == nil {
		s.stats.packetsSent.Add(1)
	}
}

func (s *Server) nextGlobalSeq() uint64 {
	seq := s.globalSeq
	s.globalSeq++
	return seq
}

func (s *Server) writeSlot(sl *slot, b []byte, now time.Time) {
	sl.sendSeq++
	sl.lastSend = now
	if _, err := s.conn.WriteTo(b, sl.netAddr); err == nil {
		s.stats.packetsSent.Add(1)
	}
}

func (s *Server) sendKeepAlive(sl *slot, now time.Time) {
	out := sl.send.appendKeepAlive(s.sendBuf[:0], sl.sendSeq, uint32(sl.info.Index), uint32(len(s.slots)))
	s.writeSlot(sl, out, now)
}

// disconnectSlot frees a slot, optionally telling the client with redundant
// disconnect packets, and queues OnDisconnect.
func (s *Server) disconnectSlot(idx int, reason error, sendPackets bool, now time.Time) {
	sl := &s.slots[idx]
	if !sl.connected {
		return
	}
	if sendPackets {
		for range numDisconnectPackets {
			out := sl.send.appendPacket(s.sendBuf[:0], packetDisconnect, sl.sendSeq, nil)
			s.writeSlot(sl, out, now)
		}
	}
	info := sl.info
	delete(s.byAddr, info.Addr)
	delete(s.byID, info.ID)
	s.numConnected--
	*sl = slot{}
	s.stats.disconnects.Add(1)
	if errors.Is(reason, ErrConnectionTimedOut) {
		s.stats.timedOut.Add(1)
	}
	s.events = append(s.events, event{kind: evDisconnect, info: info, reason: reason})
	s.log.Info("secure: client disconnected", "index", idx, "id", info.ID, "addr", info.Addr, "reason", reason)
}

// tick sends keep-alives, times out silent clients and expires half-open
// handshakes. It runs at 10 Hz.
func (s *Server) tick() {
	s.cbMu.Lock()
	defer s.cbMu.Unlock()
	now := s.now()
	s.mu.Lock()
	if !s.closed {
		for i := range s.slots {
			sl := &s.slots[i]
			if !sl.connected {
				continue
			}
			if sl.timeout > 0 && now.Sub(sl.lastRecv) >= sl.timeout {
				s.disconnectSlot(i, ErrConnectionTimedOut, true, now)
				continue
			}
			if keepAliveDue(now, sl.lastSend) {
				s.sendKeepAlive(sl, now)
			}
		}
		for a, pc := range s.pending {
			if pc.expired(now) {
				delete(s.pending, a)
			}
		}
	}
	evs := s.takeEvents()
	s.mu.Unlock()
	s.dispatch(evs)
}

// keepAliveDue reports whether a connection that last sent at lastSend owes its peer a
// keep-alive: nothing (payload, keep-alive or anything else) has gone out for a whole send
// interval. This is the reference's rule (netcode.c sends a keep-alive when
// last_packet_send_time + 1/NETCODE_PACKET_SEND_RATE <= time): a side that sends payloads at
// the send rate or faster (snapshots one way, acks the other) sends no keep-alives at all.
func keepAliveDue(now, lastSend time.Time) bool {
	return now.Sub(lastSend) >= sendInterval
}

// takeEvents swaps out the queued events; s.mu must be held.
func (s *Server) takeEvents() []event {
	if len(s.events) == 0 {
		return nil
	}
	evs := s.events
	s.events = s.eventsSpare[:0]
	s.eventsSpare = nil
	return evs
}

// dispatch calls the application's callbacks; s.cbMu held, s.mu not.
func (s *Server) dispatch(evs []event) {
	if len(evs) == 0 {
		return
	}
	for i := range evs {
		ev := &evs[i]
		switch ev.kind {
		case evConnect:
			if s.cfg.OnConnect != nil {
				s.cfg.OnConnect(ev.info)
			}
		case evDisconnect:
			if s.cfg.OnDisconnect != nil {
				s.cfg.OnDisconnect(ev.info, ev.reason)
			}
		case evPayload:
			if s.cfg.OnPayload != nil {
				s.cfg.OnPayload(ev.info, ev.payload)
			}
		}
		*ev = event{}
	}
	s.mu.Lock()
	if s.eventsSpare == nil {
		s.eventsSpare = evs[:0]
	}
	s.mu.Unlock()
}

// Send sends one payload (1..1200 bytes) to the client in slot index. It is
// safe for concurrent use and does not retain payload.
func (s *Server) Send(index int, payload []byte) error {
	if len(payload) < 1 || len(payload) > MaxPayloadBytes {
		return fmt.Errorf("secure: send %d bytes: %w", len(payload), ErrPayloadSize)
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrServerClosed
	}
	if index < 0 || index >= len(s.slots) || !s.slots[index].connected {
		return fmt.Errorf("secure: send to slot %d: %w", index, ErrNotConnected)
	}
	sl := &s.slots[index]
	if !sl.confirmed {
		// Until the client proves it heard us, each payload is preceded by a
		// keep-alive that carries its client index.
		s.sendKeepAlive(sl, now)
	}
	out := sl.send.appendPacket(s.sendBuf[:0], packetPayload, sl.sendSeq, payload)
	s.writeSlot(sl, out, now)
	s.stats.payloadsSent.Add(1)
	return nil
}

// Disconnect sends redundant disconnect packets to the client in slot index
// and frees the slot. OnDisconnect (reason [ErrKicked]) follows from the Serve
// goroutine. Safe for concurrent use; a free slot is a no-op.
func (s *Server) Disconnect(index int) {
	now := s.now()
	s.mu.Lock()
	if !s.closed && index >= 0 && index < len(s.slots) {
		s.disconnectSlot(index, ErrKicked, true, now)
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// NumClients returns how many clients are connected.
func (s *Server) NumClients() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.numConnected
}

// Clients returns the connected clients.
func (s *Server) Clients() []ClientInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ClientInfo
	for i := range s.slots {
		if s.slots[i].connected {
			out = append(out, s.slots[i].info)
		}
	}
	return out
}

// Close sends redundant disconnect packets to every connected client, closes
// the conn and makes Serve return [ErrServerClosed]. OnDisconnect is not
// called for those clients. Close does not wait for Serve to return; it is
// safe to call more than once.
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() {
		now := s.now()
		s.mu.Lock()
		for i := range s.slots {
			if s.slots[i].connected {
				s.disconnectSlot(i, ErrServerClosed, true, now)
			}
		}
		s.events = nil
		s.closed = true
		s.mu.Unlock()
		close(s.quit)
		err = s.conn.Close()
	})
	return err
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() ServerStats {
	c := &s.stats
	return ServerStats{
		PacketsReceived:         c.packetsReceived.Load(),
		PacketsSent:             c.packetsSent.Load(),
		DroppedMalformed:        c.malformed.Load(),
		DroppedWrongProtocol:    c.wrongProtocol.Load(),
		DroppedExpiredToken:     c.expired.Load(),
		DroppedRateLimited:      c.rateLimited.Load(),
		DroppedUnknownSource:    c.unknownSource.Load(),
		DroppedInvalidToken:     c.invalidToken.Load(),
		DroppedWrongAddress:     c.wrongAddress.Load(),
		DroppedTokenReused:      c.tokenReused.Load(),
		DroppedAlreadyConnected: c.alreadyConnected.Load(),
		DroppedDecrypt:          c.decrypt.Load(),
		DroppedReplay:           c.replay.Load(),
		DroppedChallenge:        c.challenge.Load(),
		DroppedPendingFull:      c.pendingFull.Load(),
		ChallengesSent:          c.challengesSent.Load(),
		Denied:                  c.denied.Load(),
		Connects:                c.connects.Load(),
		Disconnects:             c.disconnects.Load(),
		TimedOut:                c.timedOut.Load(),
		PayloadsReceived:        c.payloadsReceived.Load(),
		PayloadsSent:            c.payloadsSent.Load(),
	}
}

// tokenHistory remembers which address first used each connect token
// (keyed by the token's Poly1305 tag), so a token works from one address
// only. Bounded: the oldest entry is forgotten first.
type tokenHistory struct {
	byMAC map[[macBytes]byte]netip.AddrPort
	ring  [][macBytes]byte
	next  int
}

func newTokenHistory(n int) tokenHistory {
	return tokenHistory{byMAC: make(map[[macBytes]byte]netip.AddrPort, n), ring: make([][macBytes]byte, 0, n)}
}

// findOrAdd reports whether the token may be used from addr.
func (t *tokenHistory) findOrAdd(mac [macBytes]byte, addr netip.AddrPort) bool {
	if a, ok := t.byMAC[mac]; ok {
		return a == addr
	}
	if len(t.ring) < cap(t.ring) {
		t.ring = append(t.ring, mac)
	} else {
		delete(t.byMAC, t.ring[t.next])
		t.ring[t.next] = mac
		t.next = (t.next + 1) % len(t.ring)
	}
	t.byMAC[mac] = addr
	return true
}

// rateLimiter counts handshake packets per source in fixed one-second
// windows, per source address and port and per host (the IPv4 address, or
// the IPv6 /64), so spraying source ports from one host buys no more than
// perHost. Memory is bounded: past maxRateSources hosts, newcomers share
// one overflow budget.
type rateLimiter struct {
	perSource   int
	perHost     int
	totalLimit  int // all sources together, so many hosts cannot buy unbounded CPU
	windowStart time.Time
	counts      map[netip.AddrPort]int
	hosts       map[netip.Prefix]int
	overflow    int
	total       int
}

func newRateLimiter(perSource, totalLimit int) rateLimiter {
	return rateLimiter{perSource: perSource, perHost: 8 * perSource, totalLimit: totalLimit,
		counts: make(map[netip.AddrPort]int), hosts: make(map[netip.Prefix]int)}
}

func hostOf(a netip.Addr) netip.Prefix {
	bits := 32
	if a.Is6() {
		bits = 64
	}
	p, _ := a.Prefix(bits)
	return p
}

func (r *rateLimiter) allow(now time.Time, a netip.AddrPort) bool {
	if now.Sub(r.windowStart) >= rateLimitWindow || now.Before(r.windowStart) {
		clear(r.counts)
		clear(r.hosts)
		r.overflow = 0
		r.total = 0
		r.windowStart = now
	}
	if r.total >= r.totalLimit {
		return false
	}
	h := hostOf(a.Addr())
	hc, ok := r.hosts[h]
	if !ok && len(r.hosts) >= maxRateSources {
		if r.overflow >= overflowRateLimit {
			return false
		}
		r.overflow++
		r.total++
		return true
	}
	if hc >= r.perHost || r.counts[a] >= r.perSource {
		return false
	}
	r.hosts[h] = hc + 1
	r.counts[a]++
	r.total++
	return true
}

// packetReader reads datagrams with their source as a netip.AddrPort. For
// a conn with ReadFromUDPAddrPort (*net.UDPConn) that costs no allocation;
// ReadFrom would allocate a *net.UDPAddr and its IP for every datagram.
type packetReader struct {
	conn net.PacketConn
	ap   interface {
		ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error)
	}
}

func newPacketReader(conn net.PacketConn) packetReader {
	r := packetReader{conn: conn}
	if ap, ok := conn.(interface {
		ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error)
	}); ok {
		r.ap = ap
	}
	return r
}

// readFrom reads one datagram; the source is normalised (IPv4-in-IPv6
// unmapped), and invalid if the conn's address type is not an IP one.
func (r packetReader) readFrom(b []byte) (int, netip.AddrPort, error) {
	if r.ap != nil {
		n, from, err := r.ap.ReadFromUDPAddrPort(b)
		return n, normalizeAddr(from), err
	}
	n, addr, err := r.conn.ReadFrom(b)
	return n, addrPortOf(addr), err
}

// addrPortOf converts a net.Addr from ReadFrom without string formatting in
// the common (*net.UDPAddr) case.
func addrPortOf(a net.Addr) netip.AddrPort {
	switch a := a.(type) {
	case *net.UDPAddr:
		return normalizeAddr(a.AddrPort())
	case nil:
		return netip.AddrPort{}
	default:
		ap, err := netip.ParseAddrPort(a.String())
		if err != nil {
			return netip.AddrPort{}
		}
		return normalizeAddr(ap)
	}
}

// normalizeAddr unmaps IPv4-in-IPv6 so both forms compare equal.
func normalizeAddr(a netip.AddrPort) netip.AddrPort {
	if !a.IsValid() {
		return a
	}
	return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
}
