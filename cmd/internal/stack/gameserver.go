// Package stack wires Skirmish's processes from their packages: a lobby, a game server
// registered with one or more lobbies, and their HTTP operations endpoints. cmd/lobby,
// cmd/gameserver and cmd/server are flag parsing around these functions, so the all-in-one
// server runs exactly the code the separate processes run.
package stack

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/skirmish-go/skirmish/gameserver"
	"github.com/skirmish-go/skirmish/gameserver/lobbylink"
	"github.com/skirmish-go/skirmish/gameserver/replay"
	"github.com/skirmish-go/skirmish/netcode/kcp"
	"github.com/skirmish-go/skirmish/netcode/secure"
)

// GameServerOptions configures RunGameServer. Zero fields take the defaults in the comments.
type GameServerOptions struct {
	Addr       string // UDP address for game traffic; default 127.0.0.1:7001
	PublicAddr string // address named in connect tokens; default the bound Addr
	HTTPAddr   string // /healthz, /metrics, /status; empty: no HTTP
	Key        secure.Key
	// GameName names the game hosted in Games; default DefaultGame. An unknown name is an
	// error listing the known ones.
	GameName string
	// Game, if its Name is set, is hosted instead of GameName's (tests, embedders).
	Game      gameserver.GameDef
	Tick      int // default gameserver.DefaultTick
	Snapshots int // snapshots per second; default gameserver.DefaultSnapshotRate
	Capacity  int // players; default gameserver.DefaultCapacity
	Region    string
	Name      string      // name in the lobby's registry; default gameserver-<public addr>
	Lobbies   []string    // lobby addresses to register with, tried in order; none: standalone
	LobbyTLS  *tls.Config // TLS for the lobby link (LobbyClientTLS); nil: plain TCP
	Transport string      // "udp" (default) or "kcp": the game port's protocol, announced to lobbies
	KCP       kcp.Options // KCP tuning (FEC) with Transport "kcp"

	// SpectatorDelay and MaxSpectators: how late spectators see a match and how many one match
	// admits; defaults gameserver.DefaultSpectatorDelay and DefaultMaxSpectators.
	SpectatorDelay time.Duration
	MaxSpectators  int
	// ReplayDir is the directory where a replay of every match is written (see
	// gameserver/replay); empty: no replays. ReplayKeep and ReplayMaxBytes bound it (0: no
	// bound): the oldest replays are deleted first.
	ReplayDir      string
	ReplayKeep     int
	ReplayMaxBytes int64
	// DrainTimeout bounds how long running matches may take to end after ctx is cancelled.
	DrainTimeout time.Duration // default 10 min
	Logger       *slog.Logger  // default slog.Default()
	Stdout       io.Writer     // where the addresses are printed; default io.Discard
	// HTTP mounts more handlers on the HTTP server (cmd/server adds the lobby's under /lobby/).
	HTTP map[string]http.Handler
	// Pprof serves net/http/pprof under /debug/pprof/ on HTTPAddr (see MountPprof).
	Pprof bool
	// Ready, if set, is called once the game server and its HTTP listener are up and, with
	// Lobbies, it has registered with one of them (so the lobby offers its modes), or
	// ReadyTimeout passed without a registration (logged).
	Ready func(game net.Addr, http net.Addr)
	// ReadyTimeout bounds Ready's wait for the first registration; default 10 s.
	ReadyTimeout time.Duration
}

// socketBuffer is the UDP receive and send buffer the game server asks the kernel for.
const socketBuffer = 4 << 20

// RunGameServer runs a game server until ctx is cancelled, then drains it: no new matches,
// running ones end (or DrainTimeout passes), their results reach the lobby (waiting up to
// 10 s for acknowledgement), and it returns nil.
func RunGameServer(ctx context.Context, o GameServerOptions) error {
	if o.Addr == "" {
		o.Addr = "127.0.0.1:7001"
	}
	if o.Transport == "" {
		o.Transport = "udp"
	}
	if o.Transport != gameserver.TransportUDP && o.Transport != gameserver.TransportKCP {
		return fmt.Errorf("transport %q: want udp or kcp", o.Transport)
	}
	if o.DrainTimeout <= 0 {
		o.DrainTimeout = 10 * time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Stdout == nil {
		o.Stdout = io.Discard
	}
	if o.Tick <= 0 {
		o.Tick = gameserver.DefaultTick
	}
	if o.Game.Name == "" {
		def, err := LookupGame(cmp.Or(o.GameName, DefaultGame), o.Tick)
		if err != nil {
			return err
		}
		o.Game = def
	}
	if err := o.Game.Validate(); err != nil {
		return err
	}
	log := o.Logger

	conn, err := net.ListenPacket("udp", o.Addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	// A flood or a burst of many clients must not overflow the kernel's queue before the
	// server reads it; the kernel caps this at net.core.rmem_max.
	if uc, ok := conn.(*net.UDPConn); ok {
		_ = uc.SetReadBuffer(socketBuffer)
		_ = uc.SetWriteBuffer(socketBuffer)
	}
	public := conn.LocalAddr().(*net.UDPAddr).AddrPort()
	if o.PublicAddr != "" {
		if public, err = netip.ParseAddrPort(o.PublicAddr); err != nil {
			return fmt.Errorf("public address: %w", err)
		}
	}
	if o.Name == "" {
		o.Name = "gameserver-" + public.String()
	}

	var link *lobbylink.Link
	acked := make(chan struct{}, 1)
	registered := make(chan struct{})
	var registeredOnce sync.Once
	cfg := gameserver.Config{
		Tick: o.Tick, SnapshotRate: o.Snapshots, Capacity: o.Capacity, Region: o.Region,
		Def: o.Game, Key: o.Key, PublicAddr: public, Logger: log,
		Transport: o.Transport, KCP: o.KCP,
		SpectatorDelay: o.SpectatorDelay, MaxSpectators: o.MaxSpectators,
	}
	if o.ReplayDir != "" {
		dir, err := replay.NewDir(o.ReplayDir, o.ReplayKeep, o.ReplayMaxBytes)
		if err != nil {
			return err
		}
		cfg.Replays = dir
		fmt.Fprintf(o.Stdout, "gameserver: replays in %s\n", o.ReplayDir)
	}
	if len(o.Lobbies) > 0 {
		game, modes := lobbylink.Modes(o.Game)
		link = lobbylink.New(lobbylink.Config{
			Game: game, Modes: modes,
			Lobbies: o.Lobbies, Key: o.Key, TLSConfig: o.LobbyTLS, Name: o.Name, Region: o.Region,
			Addr: public.String(), Transport: o.Transport, Capacity: o.Capacity, Logger: log,
			OnRegistered: func(string) { registeredOnce.Do(func() { close(registered) }) },
			OnResultAcked: func(string) {
				select {
				case acked <- struct{}{}:
				default:
				}
			},
		})
		cfg.Results = lobbylink.Sink(link)
	}
	srv, err := gameserver.New(conn, cfg)
	if err != nil {
		return err
	}

	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	fmt.Fprintf(o.Stdout, "gameserver: game %s://%s (public %s)\n", o.Transport, conn.LocalAddr(), public)

	var httpSrv *http.Server
	var httpAddr net.Addr
	httpDone := make(chan error, 1)
	if o.HTTPAddr != "" {
		ln, err := net.Listen("tcp", o.HTTPAddr)
		if err != nil {
			srv.Close()
			<-served
			return err
		}
		mux := http.NewServeMux()
		mux.Handle("/", srv.Handler())
		for pattern, h := range o.HTTP {
			mux.Handle(pattern, h)
		}
		if o.Pprof {
			MountPprof(mux)
		}
		httpSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		httpAddr = ln.Addr()
		go func() { httpDone <- httpSrv.Serve(ln) }()
		fmt.Fprintf(o.Stdout, "gameserver: http://%s/status /metrics /healthz\n", ln.Addr())
	}

	linkCtx, stopLink := context.WithCancel(context.WithoutCancel(ctx))
	linkDone := make(chan struct{})
	loadDone := make(chan struct{})
	linkFailed := make(chan error, 1) // the link gave up (a TLS mismatch): the server stops
	if link != nil {
		fmt.Fprintf(o.Stdout, "gameserver: registering with lobby %v as %q, game %s\n", o.Lobbies, o.Name, o.Game.Name)
		go func() {
			defer close(linkDone)
			if err := link.Run(linkCtx); err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, lobbylink.ErrClosed) {
				log.Error("lobby link", "err", err)
				linkFailed <- err
			}
		}()
		go func() {
			defer close(loadDone)
			reportLoad(linkCtx, srv, link)
		}()
	} else {
		close(linkDone)
		close(loadDone)
		close(registered)
	}
	if o.Ready != nil {
		// Players may queue as soon as Ready says so: the lobby offers the modes of registered
		// game servers only.
		wait := time.NewTimer(cmp.Or(o.ReadyTimeout, 10*time.Second))
		select {
		case <-registered:
		case <-wait.C:
			log.Warn("not registered with a lobby yet; its players see none of this game's modes until it is", "lobbies", o.Lobbies)
		case err := <-linkFailed:
			linkFailed <- err // for the wait below, which stops the server
		case <-ctx.Done():
		}
		wait.Stop()
		o.Ready(conn.LocalAddr(), httpAddr)
	}

	var runErr error
	servedDone := false
	select {
	case <-ctx.Done():
	case err := <-served:
		runErr, servedDone = err, true
	case err := <-linkFailed:
		runErr = fmt.Errorf("lobby link: %w", err)
	}

	// Drain: no new matches; running ones end or time out; their results are reported. The
	// lobby hears at once that this server is full, so it allocates no new match here.
	log.Info("draining", "timeout", o.DrainTimeout)
	if link != nil {
		link.SetLoad(srv.Status().Capacity, srv.Status().Matches)
	}
	drainCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.DrainTimeout)
	if err := srv.Drain(drainCtx); err != nil && !errors.Is(err, gameserver.ErrServerClosed) {
		log.Warn("drain deadline passed; remaining matches ended", "err", err)
	}
	cancel()
	if link != nil {
		waitResultsAcked(link, acked, 10*time.Second)
	}
	srv.Close()
	if !servedDone {
		<-served
	}
	stopLink()
	if link != nil {
		link.Close()
	}
	<-linkDone
	<-loadDone
	if httpSrv != nil {
		shCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = httpSrv.Shutdown(shCtx)
		cancel()
		<-httpDone
	}
	log.Info("game server stopped")
	return runErr
}

// LobbyClientTLS is the game server's TLS config for its lobby link, from its flags: nil
// (plain TCP) unless enabled, caFile or insecure is set. caFile is a PEM file of the CA (or
// the self-signed certificate) the lobby's certificate must chain to (default: the system's
// roots); insecure skips verifying the lobby's certificate (tests only: anyone between the
// two can then read and change the registration, heartbeats and results).
func LobbyClientTLS(enabled bool, caFile string, insecure bool) (*tls.Config, error) {
	if !enabled && caFile == "" && !insecure {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: insecure}
	if caFile != "" {
		b, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("lobby TLS CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("lobby TLS CA %s: no PEM certificate in it", caFile)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// reportLoad copies the server's load into the lobby heartbeat every second. The load is the
// seats reserved by running matches (their players may still be on the way), not only the
// players connected, so the lobby does not over-allocate.
func reportLoad(ctx context.Context, srv *gameserver.Server, link *lobbylink.Link) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		st := srv.Status()
		load := max(st.Players, st.Reserved)
		if st.Draining {
			load = st.Capacity // a draining server takes no new match
		}
		link.SetLoad(load, st.Matches)
		perMatch, _ := srv.SpectatorLimits()
		link.SetLive(lobbylink.LiveMatches(srv.LiveMatches(), st.Region, perMatch))
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// waitResultsAcked waits up to limit for the lobby to acknowledge every queued result.
func waitResultsAcked(link *lobbylink.Link, acked <-chan struct{}, limit time.Duration) {
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	for link.Unacked() > 0 {
		select {
		case <-acked:
		case <-deadline.C:
			return
		}
	}
}
