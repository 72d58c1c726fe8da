// Command server runs the whole Skirmish stack in one process, with no external service: the
// lobby (TCP 127.0.0.1:7000), one game server registered with it (UDP 127.0.0.1:7001) and the
// operations endpoints (HTTP 127.0.0.1:7002: /healthz, /metrics and /status of the game
// server, the lobby's under /lobby/). The key they share is generated at start unless -key or
// SKIRMISH_KEY gives one. A replay of every match is written to ./replays (-replay-dir; empty:
// off), the oldest deleted beyond -replay-keep files or -replay-max-mb megabytes.
//
//	go run ./cmd/server
//	go run ./cmd/bots -n 16 -duration 30s -json
//
// -game picks the game the game server hosts (arena by default); the lobby offers the modes
// that game declares, narrowed by -mode-limits or -mode-limits-file if given.
//
// SIGINT or SIGTERM drains the game server (running matches end or -drain-timeout passes, and
// their results reach the lobby), then shuts the lobby down, and exits 0.
//
// Profiling: -cpuprofile FILE writes a CPU profile of the whole run (flushed when SIGTERM or
// SIGINT ends it; read it with go tool pprof -top FILE), and -pprof serves net/http/pprof under
// /debug/pprof/ on -http-addr (off by default).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/skirmish-go/skirmish/cmd/internal/stack"
	"github.com/skirmish-go/skirmish/gameserver"
	"github.com/skirmish-go/skirmish/netcode/kcp"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

type options struct {
	lobbyAddr, gameAddr, publicAddr, httpAddr string
	key, redis, region, transport             string
	tick, snapshotRate, capacity              int
	maxConnsPerIP                             int
	cpuProfile                                string
	pprof                                     bool
	drainTimeout                              time.Duration
	logJSON                                   bool
	logLevel                                  string
	spectatorDelay                            time.Duration
	maxSpectators                             int
	kcpFEC                                    kcp.FEC
	game                                      string
	modeLimits, modeLimitsFile                string
	replays                                   *stack.ReplayFlags
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.lobbyAddr, "addr", "127.0.0.1:7000", "TCP `address` of the lobby (players and game servers)")
	fs.StringVar(&o.gameAddr, "game-addr", "127.0.0.1:7001", "UDP `address` of the game server")
	fs.StringVar(&o.publicAddr, "public-addr", "", "`ip:port` clients reach the game server at, named in connect tokens (default -game-addr)")
	fs.StringVar(&o.httpAddr, "http-addr", "127.0.0.1:7002", "TCP `address` for /healthz, /metrics, /status and /lobby/metrics (empty: off)")
	fs.StringVar(&o.key, "key", "", "hex key shared by lobby and game server (default $SKIRMISH_KEY; none: generated)")
	fs.StringVar(&o.redis, "redis", "", "redis://host:port/db to share lobby state with other lobby processes (empty: in memory)")
	fs.StringVar(&o.region, "region", "", "region of the game server")
	fs.StringVar(&o.transport, "transport", "udp", "game transport: udp (netcode.io) or kcp (every message reliable; announced to clients by the lobby)")
	fs.Var(&o.kcpFEC, "kcp-fec", "with -transport kcp: forward error correction as `data,parity` shards (e.g. 10,3; clients must use the same); empty = off")
	fs.StringVar(&o.game, "game", stack.DefaultGame, "`game` to host: "+strings.Join(stack.GameNames(), ", "))
	fs.StringVar(&o.modeLimits, "mode-limits", "", "narrow the player counts of offered modes: `NAME=MIN-MAX,...` (e.g. ffa=2-12,duel=2-2)")
	fs.StringVar(&o.modeLimitsFile, "mode-limits-file", "", "JSON `file` of mode limits: {\"ffa\":{\"min_players\":2,\"max_players\":12}}; -mode-limits entries win")
	fs.IntVar(&o.tick, "tick", gameserver.DefaultTick, "simulation ticks per second")
	fs.IntVar(&o.snapshotRate, "snapshot-rate", gameserver.DefaultSnapshotRate, "snapshots per second to each client")
	fs.IntVar(&o.capacity, "capacity", 1024, "players the game server accepts")
	fs.DurationVar(&o.spectatorDelay, "spectator-delay", gameserver.DefaultSpectatorDelay, "how late spectators see a match")
	fs.IntVar(&o.maxSpectators, "max-spectators", gameserver.DefaultMaxSpectators, "spectators one match admits (negative: none)")
	// A load test runs its bots from one address; the lobby's own default (256) would turn
	// away most of a 1,000-bot run against this all-in-one server.
	fs.IntVar(&o.maxConnsPerIP, "max-conns-per-ip", 2048, "lobby connections accepted from one IP address or IPv6 /64 (negative: no limit); above cmd/lobby's 256 so a load test's bots, all from one address, fit")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run to `file` (complete once SIGTERM or SIGINT has drained the server)")
	fs.BoolVar(&o.pprof, "pprof", false, "serve net/http/pprof under /debug/pprof/ on -http-addr")
	fs.DurationVar(&o.drainTimeout, "drain-timeout", 30*time.Second, "on SIGTERM, how long running matches may take to end")
	fs.BoolVar(&o.logJSON, "log-json", false, "log JSON lines instead of text")
	fs.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	o.replays = stack.AddReplayFlags(fs, "replays")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if err := o.replays.Check(); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.transport != "udp" && o.transport != "kcp" {
		return o, fmt.Errorf("-transport %q: want udp or kcp", o.transport)
	}
	if o.pprof && o.httpAddr == "" {
		return o, errors.New("-pprof needs -http-addr")
	}
	if _, ok := stack.Games[o.game]; !ok {
		return o, fmt.Errorf("-game %q: want one of %s", o.game, strings.Join(stack.GameNames(), ", "))
	}
	return o, nil
}

// run is main without the process. ready, if set, receives the bound lobby, game and HTTP
// addresses once everything serves.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, ready func(lobby, game, http net.Addr)) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	log, err := stack.NewLogger(stderr, o.logJSON, o.logLevel)
	if err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}
	key, _, err := stack.LoadKey(o.key, getenv)
	if err != nil {
		return err
	}
	limits, err := stack.LoadModeLimits(o.modeLimits, o.modeLimitsFile)
	if err != nil {
		return err
	}
	stopProfile, err := stack.StartCPUProfile(o.cpuProfile)
	if err != nil {
		return err
	}
	defer func() {
		if err := stopProfile(); err != nil {
			log.Error("cpu profile", "err", err)
		}
	}()

	lob, err := stack.StartLobby(stack.LobbyOptions{
		Addr: o.lobbyAddr, Key: key, RedisURL: o.redis, Logger: log.With("component", "lobby"), Stdout: stdout,
		MaxConnsPerIP: o.maxConnsPerIP, ModeLimits: limits,
	})
	if err != nil {
		return fmt.Errorf("lobby: %w", err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := lob.Shutdown(sctx); err != nil {
			log.Warn("lobby shutdown", "err", err)
		}
	}()

	gameCtx, stopGame := context.WithCancel(ctx)
	defer stopGame()
	go func() {
		// The lobby failing by itself (its listener died) stops the game server too.
		select {
		case err := <-lob.Err():
			if err != nil {
				log.Error("lobby stopped", "err", err)
			}
			stopGame()
		case <-gameCtx.Done():
		}
	}()
	return stack.RunGameServer(gameCtx, stack.GameServerOptions{
		Addr: o.gameAddr, PublicAddr: o.publicAddr, HTTPAddr: o.httpAddr, Key: key,
		GameName: o.game, Tick: o.tick, Snapshots: o.snapshotRate, Capacity: o.capacity, Region: o.region,
		Lobbies: []string{lob.Addr.String()}, Transport: o.transport, DrainTimeout: o.drainTimeout,
		ReplayDir: o.replays.Dir, ReplayKeep: o.replays.Keep, ReplayMaxBytes: o.replays.MaxBytes(),
		KCP: kcp.Options{FEC: o.kcpFEC}, Pprof: o.pprof,
		SpectatorDelay: o.spectatorDelay, MaxSpectators: o.maxSpectators,
		Logger: log.With("component", "gameserver"), Stdout: stdout,
		HTTP: map[string]http.Handler{"/lobby/": http.StripPrefix("/lobby", lob.Server.Handler())},
		Ready: func(game, httpAddr net.Addr) {
			fmt.Fprintf(stdout, "skirmish: ready: lobby %s, game %s, http %v\n", lob.Addr, game, httpAddr)
			if ready != nil {
				ready(lob.Addr, game, httpAddr)
			}
		},
	})
}
