// Command gameserver runs a Skirmish game server: one UDP port for many concurrent matches,
// an HTTP port for /healthz, /metrics and /status, and (with -lobby) a registration with the
// lobby that carries heartbeats and match results, over TLS with -lobby-tls (-lobby-tls-ca for
// a private CA); a TLS mismatch with the lobby stops the server with an error saying so.
// SIGINT or SIGTERM drains it: no new matches, running ones end (or -drain-timeout passes),
// results are reported, exit 0.
//
// -game names the game it hosts (arena, the default, or another game in cmd/internal/stack's
// registry); its registration tells the lobby the game and its modes.
//
// The logic lives in package gameserver; this main parses flags and wires the pieces.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
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
	lobbyTLS, lobbyTLSInsecure bool
	lobbyTLSCA                 string
	transport                  string
	drainTimeout               time.Duration
	logJSON                    bool
	pprof                      bool
	spectatorDelay             time.Duration
	maxSpectators              int
	kcpFEC                     kcp.FEC
	game                       string
	replays                    *stack.ReplayFlags
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("gameserver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:7001", "UDP `address` to listen on for game traffic")
	fs.StringVar(&o.publicAddr, "public-addr", "", "`ip:port` clients reach this server at, named in connect tokens (default -addr)")
	fs.StringVar(&o.httpAddr, "http-addr", "127.0.0.1:7002", "TCP `address` for /healthz, /metrics and /status (empty: off)")
	fs.StringVar(&o.key, "key", "", "hex key shared with the lobby (default $SKIRMISH_KEY; none: a random key, printed)")
	fs.StringVar(&o.game, "game", stack.DefaultGame, "`game` to host: "+strings.Join(stack.GameNames(), ", "))
	fs.IntVar(&o.tick, "tick", gameserver.DefaultTick, "simulation ticks per second")
	fs.IntVar(&o.snapshotRate, "snapshot-rate", gameserver.DefaultSnapshotRate, "snapshots per second to each client")
	fs.IntVar(&o.capacity, "capacity", gameserver.DefaultCapacity, "players this server accepts")
	fs.DurationVar(&o.spectatorDelay, "spectator-delay", gameserver.DefaultSpectatorDelay, "how late spectators see a match")
	fs.IntVar(&o.maxSpectators, "max-spectators", gameserver.DefaultMaxSpectators, "spectators one match admits (negative: none)")
	fs.StringVar(&o.region, "region", "", "region this server reports to the lobby")
	fs.StringVar(&o.name, "name", "", "unique server name for the lobby (default gameserver-<public-addr>)")
	fs.StringVar(&o.lobbies, "lobby", "", "lobby `host:port[,host:port...]` to register with, failing over in order")
	fs.BoolVar(&o.lobbyTLS, "lobby-tls", false, "register with the lobby over TLS (a lobby run with -tls-cert and -tls-key)")
	fs.StringVar(&o.lobbyTLSCA, "lobby-tls-ca", "", "PEM `file` of the CA (or self-signed certificate) the lobby's certificate must chain to (implies -lobby-tls; default: the system's roots)")
	fs.BoolVar(&o.lobbyTLSInsecure, "lobby-tls-insecure-skip-verify", false, "with TLS, do not verify the lobby's certificate (tests only; implies -lobby-tls)")
	fs.StringVar(&o.transport, "transport", "udp", "game transport: udp (netcode.io) or kcp (every message reliable; announced to clients by the lobby)")
	fs.Var(&o.kcpFEC, "kcp-fec", "with -transport kcp: forward error correction as `data,parity` shards (e.g. 10,3; clients must use the same); empty = off")
	fs.DurationVar(&o.drainTimeout, "drain-timeout", 10*time.Minute, "on SIGTERM, how long running matches may take to end")
	fs.BoolVar(&o.logJSON, "log-json", false, "log JSON lines instead of text")
	fs.BoolVar(&o.pprof, "pprof", false, "serve net/http/pprof under /debug/pprof/ on -http-addr")
	o.replays = stack.AddReplayFlags(fs, "")
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

// run is main without the process: it returns when ctx ends (after draining) or on error.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	log, err := stack.NewLogger(stderr, o.logJSON, "")
	if err != nil {
		return err
	}
	key, generated, err := stack.LoadKey(o.key, getenv)
	if err != nil {
		return err
	}
	if generated {
		fmt.Fprintf(stdout, "no -key or SKIRMISH_KEY: generated key %s\n", key)
	}

	var lobbies []string
	if o.lobbies != "" {
		lobbies = strings.Split(o.lobbies, ",")
	}
	lobbyTLS, err := stack.LobbyClientTLS(o.lobbyTLS, o.lobbyTLSCA, o.lobbyTLSInsecure)
	if err != nil {
		return err
	}
	if o.lobbyTLSInsecure {
		log.Warn("-lobby-tls-insecure-skip-verify: the lobby's certificate is not verified")
	}
	return stack.RunGameServer(ctx, stack.GameServerOptions{
		Addr: o.addr, PublicAddr: o.publicAddr, HTTPAddr: o.httpAddr, Key: key,
		GameName: o.game, Tick: o.tick, Snapshots: o.snapshotRate, Capacity: o.capacity, Region: o.region,
		Name: o.name, Lobbies: lobbies, LobbyTLS: lobbyTLS, Transport: o.transport, DrainTimeout: o.drainTimeout,
		ReplayDir: o.replays.Dir, ReplayKeep: o.replays.Keep, ReplayMaxBytes: o.replays.MaxBytes(),
		KCP: kcp.Options{FEC: o.kcpFEC}, Pprof: o.pprof,
		SpectatorDelay: o.spectatorDelay, MaxSpectators: o.maxSpectators,
		Logger: log, Stdout: stdout,
	})
}
