package lobbylink

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/skirmish-go/skirmish/lobby/proto"
)

// ErrClosed is returned by Run after Close.
var ErrClosed = errors.New("lobbylink: closed")

// ErrAuth is returned by a registration the lobby refused (wrong key).
var ErrAuth = errors.New("lobbylink: lobby refused registration")

// ErrProtocolMismatch is returned by Run when a lobby speaks TLS and the link plain TCP, or
// the other way round: a configuration error that retrying cannot fix. Run stops with it if
// the link has not registered yet (a server started with the wrong flags); once registered,
// it logs it as an error and keeps retrying (a lobby reconfigured under a running server).
var ErrProtocolMismatch = errors.New("lobbylink: TLS mismatch with the lobby")

// Config configures a Link; zero fields mean the defaults.
type Config struct {
	Lobbies   []string    // host:port of lobby instances, tried in order; required
	Key       [32]byte    // the secret shared with the lobby
	TLSConfig *tls.Config // nil: plain TCP

	Name      string // unique server name; required
	Region    string
	Addr      string // public game address ip:port that tokens name; required
	Transport string // "udp" (default) or "kcp"
	Capacity  int    // players; default 64

	HeartbeatInterval time.Duration // default 1 s
	DialTimeout       time.Duration // default 5 s
	BackoffMin        time.Duration // default 100 ms
	BackoffMax        time.Duration // default 5 s
	MaxUnacked        int           // results kept for resending; default 1024 (oldest dropped)
	Logger            *slog.Logger

	// OnRegistered, if set, is called from Run after each successful registration.
	OnRegistered func(lobby string)
	// OnResultAcked, if set, is called from Run when the lobby acknowledges a result.
	OnResultAcked func(matchID string)
}

// Link is a game server's registration with the lobby.
type Link struct {
	cfg Config

	mu       sync.Mutex
	players  int
	matches  int
	live     []proto.LiveMatch // running matches' summaries (live.go)
	unacked  []proto.MatchResult
	kick     chan struct{} // a result was added
	closed   chan struct{}
	closeMu  sync.Once
	runMu    sync.Mutex
	runDone  chan struct{}
	lobbyIdx int
	lastErr  error
}

// LastError is why the last lobby connection ended or failed (nil while none has); a wrong
// key shows as ErrAuth here, while Run keeps retrying.
func (l *Link) LastError() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lastErr
}

// New returns a Link; nothing happens until Run.
func New(cfg Config) *Link {
	if cfg.Transport == "" {
		cfg.Transport = "udp"
	}
	if cfg.Capacity <= 0 {
		cfg.Capacity = 64
	}
	if cfg.HeartbeatInterval <= 0 {
		cfg.HeartbeatInterval = time.Second
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 5 * time.Second
	}
	if cfg.BackoffMin <= 0 {
		cfg.BackoffMin = 100 * time.Millisecond
	}
	if cfg.BackoffMax <= 0 {
		cfg.BackoffMax = 5 * time.Second
	}
	if cfg.MaxUnacked <= 0 {
		cfg.MaxUnacked = 1024
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Link{cfg: cfg, kick: make(chan struct{}, 1), closed: make(chan struct{})}
}

// SetLoad records the server's current players and running matches for the next heartbeat.
func (l *Link) SetLoad(players, matches int) {
	l.mu.Lock()
	l.players, l.matches = players, matches
	l.mu.Unlock()
}

// ReportResult queues a match result; Run sends it now or after the next (re)registration
// and again until the lobby acknowledges it.
func (l *Link) ReportResult(r proto.MatchResult) {
	l.mu.Lock()
	l.unacked = append(l.unacked, r)
	if over := len(l.unacked) - l.cfg.MaxUnacked; over > 0 {
		l.cfg.Logger.Warn("lobbylink: dropping unacknowledged results", "count", over)
		l.unacked = append(l.unacked[:0], l.unacked[over:]...)
	}
	l.mu.Unlock()
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

// Unacked is the number of results not yet acknowledged.
func (l *Link) Unacked() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.unacked)
}

// Close stops Run and waits for it; safe to call more than once.
func (l *Link) Close() error {
	l.closeMu.Do(func() { close(l.closed) })
	l.runMu.Lock()
	done := l.runDone
	l.runMu.Unlock()
	if done != nil {
		<-done
	}
	return nil
}

// Run keeps the server registered until ctx ends (returning ctx.Err()) or Close (ErrClosed).
func (l *Link) Run(ctx context.Context) error {
	if len(l.cfg.Lobbies) == 0 || l.cfg.Name == "" || l.cfg.Addr == "" {
		return errors.New("lobbylink: Lobbies, Name and Addr are required")
	}
	done := make(chan struct{})
	l.runMu.Lock()
	if l.runDone != nil {
		l.runMu.Unlock()
		return errors.New("lobbylink: Run called twice")
	}
	l.runDone = done
	l.runMu.Unlock()
	defer close(done)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-l.closed:
			cancel()
		case <-ctx.Done():
		}
	}()
	backoff := l.cfg.BackoffMin
	everRegistered := false
	for {
		addr := l.cfg.Lobbies[l.lobbyIdx%len(l.cfg.Lobbies)]
		registered, err := l.session(ctx, addr)
		if ctx.Err() != nil {
			select {
			case <-l.closed:
				return ErrClosed
			default:
				return ctx.Err()
			}
		}
		everRegistered = everRegistered || registered
		err = fmt.Errorf("lobbylink: %s: %w", addr, err)
		l.mu.Lock()
		l.lastErr = err
		l.mu.Unlock()
		if errors.Is(err, ErrProtocolMismatch) {
			if !everRegistered {
				l.cfg.Logger.Error("lobbylink: cannot register: TLS mismatch with the lobby; giving up", "lobby", addr, "err", err)
				return err
			}
			l.cfg.Logger.Error("lobbylink: TLS mismatch with the lobby; retrying", "lobby", addr, "err", err)
		} else {
			l.cfg.Logger.Warn("lobbylink: lobby connection ended", "lobby", addr, "err", err)
		}
		l.lobbyIdx++ // fail over to the next lobby
		if registered {
			backoff = l.cfg.BackoffMin
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		backoff = min(2*backoff, l.cfg.BackoffMax)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
	}
}

type lineOrErr struct {
	m   proto.Message
	err error
}

// session runs one connection; registered says whether it got as far as registering.
func (l *Link) session(ctx context.Context, addr string) (registered bool, err error) {
	dctx, cancel := context.WithTimeout(ctx, l.cfg.DialTimeout)
	defer cancel()
	var d net.Dialer
	nc, err := d.DialContext(dctx, "tcp", addr)
	if err != nil {
		return false, fmt.Errorf("dial: %w", err)
	}
	if l.cfg.TLSConfig != nil {
		tcfg := l.cfg.TLSConfig
		if tcfg.ServerName == "" && !tcfg.InsecureSkipVerify { // as tls.Dial does
			tcfg = tcfg.Clone()
			tcfg.ServerName, _, _ = net.SplitHostPort(addr)
		}
		tc := tls.Client(nc, tcfg)
		if err := tc.HandshakeContext(dctx); err != nil {
			nc.Close()
			var notTLS tls.RecordHeaderError
			if errors.As(err, &notTLS) { // the lobby answered with something that is not TLS
				return false, fmt.Errorf("%w: the lobby answered the TLS handshake in plain text (%q): it does not speak TLS; register without TLS (no -lobby-tls): %w",
					ErrProtocolMismatch, notTLS.RecordHeader[:], err)
			}
			return false, fmt.Errorf("tls: %w", err)
		}
		nc = tc
	}
	// Reader goroutine: lines to the session loop; it ends when nc is closed.
	lines := make(chan lineOrErr, 16)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	defer func() {
		close(stop)
		nc.Close()
		wg.Wait()
	}()
	readDeadline := 10 * l.cfg.HeartbeatInterval
	wg.Add(1)
	go func() {
		defer wg.Done()
		lr := proto.NewLineReader(nc, proto.MaxLineBytes)
		for {
			_ = nc.SetReadDeadline(time.Now().Add(max(readDeadline, l.cfg.DialTimeout)))
			line, err := lr.ReadLine()
			var m proto.Message
			if err == nil {
				if proto.IsBlank(line) {
					continue
				}
				m, err = proto.Decode(line)
			}
			select {
			case lines <- lineOrErr{m, err}:
			case <-stop:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	var nextID uint64
	var buf []byte
	send := func(m *proto.Message) error {
		var err error
		buf, err = proto.Append(buf[:0], m)
		if err != nil {
			return err
		}
		_ = nc.SetWriteDeadline(time.Now().Add(l.cfg.DialTimeout))
		if _, err := nc.Write(buf); err != nil {
			return fmt.Errorf("write %s: %w", m.Type, err)
		}
		return nil
	}
	recv := func() (proto.Message, error) {
		select {
		case le := <-lines:
			return le.m, le.err
		case <-ctx.Done():
			return proto.Message{}, ctx.Err()
		}
	}

	// Register: hello → challenge → auth → welcome.
	nextID++
	if err := send(&proto.Message{Type: proto.TypeHello, ID: nextID, Version: proto.ProtocolVersion, Role: proto.RoleServer}); err != nil {
		return false, err
	}
	ch, err := recv()
	if err != nil {
		if l.cfg.TLSConfig == nil && (errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)) {
			// A lobby older than tls_required closes a plain connection to its TLS port so.
			return false, fmt.Errorf("challenge: %w (the lobby closed the connection without a word: if it speaks TLS, register with TLS: -lobby-tls)", err)
		}
		return false, fmt.Errorf("challenge: %w", err)
	}
	if ch.Type == proto.TypeError && ch.Code == proto.CodeTLSRequired {
		return false, fmt.Errorf("%w: the lobby speaks TLS and this link plain TCP; register with TLS (-lobby-tls, -lobby-tls-ca): %s",
			ErrProtocolMismatch, ch.Message)
	}
	if ch.Type != proto.TypeChallenge {
		return false, fmt.Errorf("challenge: got %s %s %s", ch.Type, ch.Code, ch.Message)
	}
	auth := &proto.Message{Type: proto.TypeAuth, Name: l.cfg.Name, Region: l.cfg.Region, Addr: l.cfg.Addr,
		Transport: l.cfg.Transport, Capacity: l.cfg.Capacity}
	auth.MAC = proto.ServerMAC(l.cfg.Key, ch.Nonce, auth)
	nextID++
	auth.ID = nextID
	if err := send(auth); err != nil {
		return false, err
	}
	w, err := recv()
	if err != nil {
		return false, fmt.Errorf("welcome: %w", err)
	}
	if w.Type != proto.TypeWelcome {
		if w.Code == proto.CodeAuthFailed {
			return false, fmt.Errorf("%w: %s", ErrAuth, w.Message)
		}
		return false, fmt.Errorf("register: got %s %s %s", w.Type, w.Code, w.Message)
	}
	l.cfg.Logger.Info("lobbylink: registered", "lobby", addr, "name", l.cfg.Name)
	if l.cfg.OnRegistered != nil {
		l.cfg.OnRegistered(addr)
	}

	heartbeat := func() error {
		l.mu.Lock()
		hb := &proto.Message{Type: proto.TypeHeartbeat, Players: l.players, Matches: l.matches, Capacity: l.cfg.Capacity,
			Live: l.live}
		hb.Live = fitLive(hb)
		l.mu.Unlock()
		return send(hb)
	}
	inflight := map[uint64]string{} // request id → match id
	sent := map[string]bool{}       // match ids sent on this connection
	sendResults := func() error {
		l.mu.Lock()
		todo := make([]proto.MatchResult, 0, len(l.unacked))
		for _, r := range l.unacked {
			if !sent[r.MatchID] {
				todo = append(todo, r)
			}
		}
		l.mu.Unlock()
		for i := range todo {
			nextID++
			inflight[nextID] = todo[i].MatchID
			sent[todo[i].MatchID] = true
			if err := send(&proto.Message{Type: proto.TypeMatchResult, ID: nextID, Result: &todo[i]}); err != nil {
				return err
			}
		}
		return nil
	}
	ack := func(matchID string) {
		l.mu.Lock()
		for i, r := range l.unacked {
			if r.MatchID == matchID {
				l.unacked = append(l.unacked[:i], l.unacked[i+1:]...)
				break
			}
		}
		l.mu.Unlock()
		if l.cfg.OnResultAcked != nil {
			l.cfg.OnResultAcked(matchID)
		}
	}
	if err := heartbeat(); err != nil {
		return true, err
	}
	if err := sendResults(); err != nil {
		return true, err
	}
	tick := time.NewTicker(l.cfg.HeartbeatInterval)
	defer tick.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return true, ctx.Err()
		case <-tick.C:
			if err := heartbeat(); err != nil {
				return true, err
			}
			if n%3 == 0 { // a ping keeps replies flowing so a dead lobby trips the read deadline
				nextID++
				if err := send(&proto.Message{Type: proto.TypePing, ID: nextID}); err != nil {
					return true, err
				}
			}
			if err := sendResults(); err != nil {
				return true, err
			}
		case <-l.kick:
			if err := sendResults(); err != nil {
				return true, err
			}
		case le := <-lines:
			if le.err != nil {
				return true, fmt.Errorf("read: %w", le.err)
			}
			m := le.m
			mid, isResult := inflight[m.ID]
			delete(inflight, m.ID)
			switch {
			case m.Type == proto.TypeResultAck:
				ack(m.MatchID)
			case m.Type == proto.TypeError && isResult:
				if m.Code == proto.CodeInternal || m.Code == proto.CodeRateLimited {
					delete(sent, mid) // the lobby could not take it now: resend on the next tick
				} else {
					l.cfg.Logger.Warn("lobbylink: result refused; dropping it", "match", mid, "code", m.Code, "msg", m.Message)
					ack(mid)
				}
			case m.Type == proto.TypeShutdown:
				return true, errors.New("lobby shutting down")
			case m.Type == proto.TypeError:
				l.cfg.Logger.Warn("lobbylink: lobby error", "code", m.Code, "msg", m.Message)
			}
		}
	}
}
