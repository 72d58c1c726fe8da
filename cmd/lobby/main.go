// Command lobby runs the Skirmish lobby: players and game servers connect to one TCP port
// (JSON lines, see lobby/PROTOCOL.md). SIGINT or SIGTERM shuts it down gracefully.
//
//	go run ./cmd/lobby -key $(openssl rand -hex 32)
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/skirmish-go/skirmish/cmd/internal/stack"
	"github.com/skirmish-go/skirmish/lobby/redisstore"
	"github.com/skirmish-go/skirmish/netcode/secure"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "lobby:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:7000", "TCP address for players and game servers")
	httpAddr := flag.String("http-addr", "", "address for /metrics and /healthz (empty: off)")
	redisURL := flag.String("redis", "", "redis://host:port/db of a store shared by several lobby processes (empty: in memory)")
	redisPrefix := flag.String("redis-prefix", redisstore.DefaultPrefix, "prefix of every Redis key")
	keyHex := flag.String("key", "", "shared key, 64 hex digits (default: env SKIRMISH_KEY)")
	certFile := flag.String("tls-cert", "", "TLS certificate (PEM); with -tls-key enables TLS")
	keyFile := flag.String("tls-key", "", "TLS private key (PEM)")
	maxConns := flag.Int("max-conns", 0, "max connections, beyond: server_full (0: 20000; clamped to the open file limit less 1/8, min 64)")
	maxPerIP := flag.Int("max-conns-per-ip", 0, "max connections per IPv4 address or IPv6 /64, beyond: too_many_conns (0: 256, <0: none)")
	rate := flag.Float64("msg-rate", 0, "messages per second per player connection, bursts of 40; over it: rate_limited, and closed when 120 drops pile up (they drain at half this rate) (0: 20)")
	idle := flag.Duration("idle-timeout", 0, "read deadline between messages (0: 90s)")
	hb := flag.Duration("heartbeat-timeout", 0, "game server silence before it is dead (0: 4s)")
	modeLimits := flag.String("mode-limits", "", "narrow the player counts of offered modes: `NAME=MIN-MAX,...` (e.g. ffa=2-12,duel=2-2)")
	modeLimitsFile := flag.String("mode-limits-file", "", "JSON `file` of mode limits: {\"ffa\":{\"min_players\":2,\"max_players\":12}}; -mode-limits entries win")
	pprofOn := flag.Bool("pprof", false, "serve net/http/pprof under /debug/pprof/ on -http-addr")
	flag.Parse()
	limits, err := stack.LoadModeLimits(*modeLimits, *modeLimitsFile)
	if err != nil {
		return err
	}

	if *pprofOn && *httpAddr == "" {
		return errors.New("-pprof needs -http-addr")
	}
	if *keyHex == "" {
		*keyHex = os.Getenv("SKIRMISH_KEY")
	}
	if *keyHex == "" {
		return errors.New("need -key or SKIRMISH_KEY (64 hex digits)")
	}
	key, err := secure.ParseKey(*keyHex)
	if err != nil {
		return fmt.Errorf("key: %w", err)
	}
	var tlsConfig *tls.Config
	if *certFile != "" || *keyFile != "" {
		cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
		if err != nil {
			return fmt.Errorf("tls: %w", err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	// Catch SIGTERM before the address is printed: a supervisor (or a test) may signal as soon
	// as it sees the lobby listening.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	l, err := stack.StartLobby(stack.LobbyOptions{
		Addr: *addr, HTTPAddr: *httpAddr, Pprof: *pprofOn, Key: key, RedisURL: *redisURL, RedisPrefix: *redisPrefix,
		TLSConfig: tlsConfig, Logger: log, Stdout: os.Stdout,
		MaxConns: *maxConns, MaxConnsPerIP: *maxPerIP, ModeLimits: limits, MsgRate: *rate, IdleTimeout: *idle, HeartbeatTimeout: *hb,
	})
	if err != nil {
		return err
	}
	select {
	case err := <-l.Err():
		return err
	case <-ctx.Done():
	}
	log.Info("lobby: shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return l.Shutdown(sctx)
}
