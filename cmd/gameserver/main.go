// Command gameserver runs a Skirmish game server: one UDP port for many concurrent matches,
// an HTTP port for /healthz, /metrics and /status, and (with -lobby) a registration with the
// lobby that carries heartbeats and match results. SIGINT or SIGTERM drains it: no new
// matches, running ones end (or -drain-timeout passes), results are reported, exit 0.
//
// The logic lives in package gameserver; this main parses flags and wires the pieces.
package main

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/skirmish-go/skirmish/gameserver"
	"github.com/skirmish-go/skirmish/gameserver/arena"
	"github.com/skirmish-go/skirmish/gameserver/lobbylink"
	"github.com/skirmish-go/skirmish/netcode/secure"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "gameserver:", err)
		os.Exit(1)
	}
}

type options struct {
	addr, publicAddr, httpAddr string
	key                        string
	tick, snapshotRate         int
	capacity                   int
	region, name               string
	lobbies                    string
	transport                  string
	drainTimeout               time.Duration
	logJSON                    bool
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("gameserver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:7001", "UDP `address` to listen on for game traffic")
	fs.StringVar(&o.publicAddr, "public-addr", "", "`ip:port` clients reach this server at, named in connect tokens (default -addr)")
	fs.StringVar(&o.httpAddr, "http-addr", "127.0.0.1:7002", "TCP `address` for /healthz, /metrics and /status (empty: off)")
	fs.StringVar(&o.key, "key", "", "hex key shared with the lobby (default $SKIRMISH_KEY; none: a random key, printed)")
	fs.IntVar(&o.tick, "tick", gameserver.DefaultTick, "simulation ticks per second")
	fs.IntVar(&o.snapshotRate, "snapshot-rate", gameserver.DefaultSnapshotRate, "snapshots per second to each client")
	fs.IntVar(&o.capacity, "capacity", gameserver.DefaultCapacity, "players this server accepts")
	fs.StringVar(&o.region, "region", "", "region this server reports to the lobby")
	fs.StringVar(&o.name, "name", "", "unique server name for the lobby (default gameserver-<public-addr>)")
	fs.StringVar(&o.lobbies, "lobby", "", "lobby `host:port[,host:port...]` to register with, failing over in order")
	fs.StringVar(&o.transport, "transport", "udp", "game transport: udp (kcp: not yet)")
	fs.DurationVar(&o.drainTimeout, "drain-timeout", 10*time.Minute, "on SIGTERM, how long running matches may take to end")
	fs.BoolVar(&o.logJSON, "log-json", false, "log JSON lines instead of text")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.transport != "udp" {
		return o, fmt.Errorf("-transport %q: only udp is supported", o.transport)
	}
	return o, nil
}

// run is main without the process: it returns when ctx ends (after draining) or on error.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	var handler slog.Handler = slog.NewTextHandler(stderr, nil)
	if o.logJSON {
		handler = slog.NewJSONHandler(stderr, nil)
	}
	log := slog.New(handler)

	keyHex := o.key
	if keyHex == "" {
		keyHex = getenv("SKIRMISH_KEY")
	}
	var key secure.Key
	if keyHex == "" {
		if key, err = secure.GenerateKey(); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "no -key or SKIRMISH_KEY: generated key %s\n", hex.EncodeToString(key[:]))
	} else if key, err = secure.ParseKey(keyHex); err != nil {
		return fmt.Errorf("key: %w", err)
	}

	conn, err := net.ListenPacket("udp", o.addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	public := conn.LocalAddr().(*net.UDPAddr).AddrPort()
	if o.publicAddr != "" {
		if public, err = netip.ParseAddrPort(o.publicAddr); err != nil {
			return fmt.Errorf("-public-addr: %w", err)
		}
	}
	if o.name == "" {
		o.name = "gameserver-" + public.String()
	}

	var link *lobbylink.Link
	acked := make(chan struct{}, 1)
	cfg := gameserver.Config{
		Tick: o.tick, SnapshotRate: o.snapshotRate, Capacity: o.capacity, Region: o.region,
		Game: arena.Factory(o.tick), Key: key, PublicAddr: public, Logger: log,
	}
	if o.lobbies != "" {
		link = lobbylink.New(lobbylink.Config{
			Lobbies: strings.Split(o.lobbies, ","), Key: key, Name: o.name, Region: o.region,
			Addr: public.String(), Transport: o.transport, Capacity: o.capacity, Logger: log,
			OnResultAcked: func(string) {
				select {
				case acked <- struct{}{}:
				default:
				}
			},
		})
		cfg.Results = lobbySink{link}
	}
	srv, err := gameserver.New(conn, cfg)
	if err != nil {
		return err
	}

	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	fmt.Fprintf(stdout, "gameserver: game udp://%s (public %s)\n", conn.LocalAddr(), public)

	var httpSrv *http.Server
	httpDone := make(chan error, 1)
	if o.httpAddr != "" {
		ln, err := net.Listen("tcp", o.httpAddr)
		if err != nil {
			srv.Close()
			<-served
			return err
		}
		httpSrv = &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 5 * time.Second}
		go func() { httpDone <- httpSrv.Serve(ln) }()
		fmt.Fprintf(stdout, "gameserver: http://%s/status /metrics /healthz\n", ln.Addr())
	}

	linkCtx, stopLink := context.WithCancel(context.WithoutCancel(ctx))
	linkDone := make(chan struct{})
	if link != nil {
		fmt.Fprintf(stdout, "gameserver: registering with lobby %s as %q\n", o.lobbies, o.name)
		go func() {
			defer close(linkDone)
			if err := link.Run(linkCtx); err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, lobbylink.ErrClosed) {
				log.Error("lobby link", "err", err)
			}
		}()
		go reportLoad(linkCtx, srv, link)
	} else {
		close(linkDone)
	}

	var runErr error
	select {
	case <-ctx.Done():
	case err := <-served:
		runErr = err
	}

	// Drain: no new matches; running ones end or time out; their results are reported.
	log.Info("draining", "timeout", o.drainTimeout)
	drainCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.drainTimeout)
	if err := srv.Drain(drainCtx); err != nil && !errors.Is(err, gameserver.ErrServerClosed) {
		log.Warn("drain deadline passed; remaining matches ended", "err", err)
	}
	cancel()
	if link != nil {
		waitResultsAcked(link, acked, 10*time.Second)
	}
	srv.Close()
	if runErr == nil {
		<-served
	}
	stopLink()
	if link != nil {
		link.Close()
	}
	<-linkDone
	if httpSrv != nil {
		shCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		httpSrv.Shutdown(shCtx)
		cancel()
		<-httpDone
	}
	log.Info("stopped")
	return runErr
}

// reportLoad copies the server's load into the lobby heartbeat every second. The load is the
// seats reserved by running matches (their players may still be on the way), not only the
// players connected, so the lobby does not over-allocate.
func reportLoad(ctx context.Context, srv *gameserver.Server, link *lobbylink.Link) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		st := srv.Status()
		link.SetLoad(max(st.Players, st.Reserved), st.Matches)
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
