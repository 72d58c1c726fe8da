package stack

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"time"

	"github.com/skirmish-go/skirmish/lobby"
	"github.com/skirmish-go/skirmish/lobby/redisstore"
	"github.com/skirmish-go/skirmish/lobby/tokens"
	"github.com/skirmish-go/skirmish/netcode/secure"
)

// LobbyOptions configures StartLobby. Zero fields take the defaults in the comments.
type LobbyOptions struct {
	Addr        string // TCP address for players and game servers; default 127.0.0.1:7000
	HTTPAddr    string // /metrics and /healthz; empty: none (cmd/server mounts Handler itself)
	Pprof       bool   // also net/http/pprof under /debug/pprof/ on HTTPAddr (see MountPprof)
	Key         secure.Key
	RedisURL    string // redis://host:port/db; empty: in-memory store
	RedisPrefix string // default redisstore.DefaultPrefix
	TLSConfig   *tls.Config
	Logger      *slog.Logger // default slog.Default()
	Stdout      io.Writer    // where the addresses are printed; default io.Discard
	// Limits and timings; zero fields take lobby.Config's defaults. StartLobby raises the soft
	// RLIMIT_NOFILE to the hard limit and clamps MaxConns (default lobby.DefaultMaxConns) to
	// ConnsForFileLimit of it, logging when it does, so connections are refused with
	// server_full before accept runs out of file descriptors.
	MaxConns, MaxConnsPerIP int
	// ModeLimits overrides the player counts of the modes game servers offer (see
	// LoadModeLimits); nil: as the games declare them.
	ModeLimits       map[string]lobby.ModeLimit
	MsgRate          float64
	IdleTimeout      time.Duration
	HeartbeatTimeout time.Duration
}

// ConnsForFileLimit is how many lobby connections fit in nofile open files, keeping headroom
// for everything else the process opens (listeners, Redis pool, HTTP, logs): an eighth of the
// limit, at least 64. 0 means no clamp (limit unknown).
func ConnsForFileLimit(nofile uint64) int {
	if nofile == 0 || nofile > 1<<40 {
		return 0
	}
	headroom := max(64, nofile/8)
	if nofile <= headroom {
		return 1
	}
	return int(nofile - headroom)
}

// Lobby is a running lobby started by StartLobby.
type Lobby struct {
	Server *lobby.Server
	Addr   net.Addr // the bound TCP address

	closeStore func() error
	httpSrv    *http.Server
	served     chan error
}

// StartLobby opens the store, binds the lobby's port and serves it in the background.
func StartLobby(o LobbyOptions) (*Lobby, error) {
	if o.Addr == "" {
		o.Addr = "127.0.0.1:7000"
	}
	if o.RedisPrefix == "" {
		o.RedisPrefix = redisstore.DefaultPrefix
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Stdout == nil {
		o.Stdout = io.Discard
	}
	l := &Lobby{closeStore: func() error { return nil }, served: make(chan error, 1)}
	var store lobby.Store
	if o.RedisURL != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		rs, err := redisstore.Open(ctx, o.RedisURL, o.RedisPrefix)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("redis: %w", err)
		}
		store, l.closeStore = rs, rs.Close
	}
	nofile, err := raiseFileLimit()
	if err != nil {
		o.Logger.Warn("lobby: cannot raise the open file limit", "nofile", nofile, "err", err)
	}
	maxConns := o.MaxConns
	if fit := ConnsForFileLimit(nofile); fit > 0 && (maxConns <= 0 || maxConns > fit) {
		want := maxConns
		if want == 0 {
			want = lobby.DefaultMaxConns
		}
		if want < 0 || want > fit {
			o.Logger.Warn("lobby: max connections clamped to the open file limit",
				"max_conns", fit, "requested", want, "nofile", nofile)
			maxConns = fit
		}
	}
	l.Server = lobby.New(lobby.Config{
		Key: o.Key, SealToken: tokens.Sealer(o.Key, tokens.ProtocolID, 0, 0), TLSConfig: o.TLSConfig,
		Logger: o.Logger, Store: store, MaxConns: maxConns, MaxConnsPerIP: o.MaxConnsPerIP,
		ModeLimits: o.ModeLimits,
		MsgRate:    o.MsgRate, IdleTimeout: o.IdleTimeout, HeartbeatTimeout: o.HeartbeatTimeout,
	})
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		l.closeStore()
		return nil, err
	}
	l.Addr = ln.Addr()
	scheme := "tcp"
	if o.TLSConfig != nil {
		scheme = "tls"
	}
	fmt.Fprintf(o.Stdout, "lobby listening on %s://%s\n", scheme, ln.Addr())
	if o.HTTPAddr != "" {
		hl, err := net.Listen("tcp", o.HTTPAddr)
		if err != nil {
			ln.Close()
			l.closeStore()
			return nil, err
		}
		var h http.Handler = l.Server.Handler()
		if o.Pprof {
			mux := http.NewServeMux()
			mux.Handle("/", h)
			MountPprof(mux)
			h = mux
		}
		l.httpSrv = &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
		fmt.Fprintf(o.Stdout, "lobby metrics on http://%s/metrics\n", hl.Addr())
		go func() { _ = l.httpSrv.Serve(hl) }()
	}
	go func() { l.served <- l.Server.Serve(ln) }()
	return l, nil
}

// Err delivers Serve's error if the lobby stops by itself (a listener failure).
func (l *Lobby) Err() <-chan error { return l.served }

// Shutdown stops accepting, tells connected players, closes every connection and the store.
func (l *Lobby) Shutdown(ctx context.Context) error {
	if l.httpSrv != nil {
		_ = l.httpSrv.Shutdown(ctx)
	}
	err := l.Server.Shutdown(ctx)
	select {
	case serr := <-l.served:
		if serr != nil && !errors.Is(serr, lobby.ErrServerClosed) && err == nil {
			err = serr
		}
	case <-ctx.Done():
	}
	if cerr := l.closeStore(); cerr != nil && err == nil {
		err = cerr
	}
	return err
}

// LoadModeLimits reads the lobby's mode limits from the -mode-limits-file JSON (if file is
// not empty), then the -mode-limits flag's NAME=MIN-MAX list (whose entries win).
func LoadModeLimits(spec, file string) (map[string]lobby.ModeLimit, error) {
	out := map[string]lobby.ModeLimit{}
	if file != "" {
		fromFile, err := lobby.LoadModeLimits(file)
		if err != nil {
			return nil, fmt.Errorf("-mode-limits-file: %w", err)
		}
		maps.Copy(out, fromFile)
	}
	fromFlag, err := lobby.ParseModeLimits(spec)
	if err != nil {
		return nil, fmt.Errorf("-mode-limits: %w", err)
	}
	maps.Copy(out, fromFlag)
	return out, nil
}
