// Command netsim is a UDP impairment proxy: put it between a game client and
// a game server to play through loss, latency, jitter, duplication,
// reordering and a bandwidth cap. The same impairment applies each way.
//
//	go run ./cmd/netsim -target 127.0.0.1:7001 -loss 0.1 -latency 50ms -jitter 20ms
//
// then point clients at 127.0.0.1:7101 (the game server's -public-addr).
// Each client source address gets its own session and upstream socket.
// On SIGINT or SIGTERM it prints the per-direction counts (-json: one JSON
// object) and exits 0. The logic lives in netcode/netsim's Proxy.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/skirmish-go/skirmish/netcode/netsim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, nil)
	stop()
	os.Exit(code)
}

// run parses args, serves until ctx is done and prints the counts. ready,
// if set, is called with the listening address once the proxy is bound.
// It returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, ready func(net.Addr)) int {
	fs := flag.NewFlagSet("netsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		listen       = fs.String("listen", netsim.DefaultProxyListen, "UDP address clients send to")
		target       = fs.String("target", "", "UDP address of the server (required), e.g. 127.0.0.1:7001")
		loss         = fs.Float64("loss", 0, "probability 0..1 that a datagram is dropped")
		latency      = fs.Duration("latency", 0, "one-way delay")
		jitter       = fs.Duration("jitter", 0, "delay varies uniformly within latency ± jitter")
		dup          = fs.Float64("dup", 0, "probability 0..1 that a datagram is delivered twice")
		reorder      = fs.Float64("reorder", 0, "probability 0..1 that a datagram is held back so later ones overtake it")
		reorderDelay = fs.Duration("reorder-delay", 0, "extra hold of a reordered datagram (default 2*jitter+20ms)")
		rate         = fs.Int("rate", 0, "bandwidth cap in bytes/s each way (0 = unlimited)")
		seed         = fs.Int64("seed", 1, "random seed; the same seed and traffic replay the same impairments")
		idle         = fs.Duration("idle", netsim.DefaultProxyIdleTimeout, "a client session with no traffic for this long ends")
		maxSess      = fs.Int("max-sessions", netsim.DefaultProxyMaxSessions, "client sessions open at once")
		asJSON       = fs.Bool("json", false, "print the counts on exit as one JSON object")
		verbose      = fs.Bool("v", false, "log sessions opening and ending")
	)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "netsim: unexpected arguments %q\n", fs.Args())
		return 2
	}
	if *target == "" {
		fmt.Fprintln(stderr, "netsim: -target is required")
		fs.Usage()
		return 2
	}
	for name, p := range map[string]float64{"loss": *loss, "dup": *dup, "reorder": *reorder} {
		if p < 0 || p > 1 {
			fmt.Fprintf(stderr, "netsim: -%s %v: want a probability in 0..1\n", name, p)
			return 2
		}
	}
	if *latency < 0 || *jitter < 0 || *reorderDelay < 0 || *rate < 0 {
		fmt.Fprintln(stderr, "netsim: -latency, -jitter, -reorder-delay and -rate must not be negative")
		return 2
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	im := netsim.Impairment{
		Loss: *loss, Duplicate: *dup, Reorder: *reorder, ReorderDelay: *reorderDelay,
		Latency: *latency, Jitter: *jitter, RateBytesPerSec: *rate,
	}
	p, err := netsim.NewProxy(netsim.ProxyConfig{
		Listen: *listen, Target: *target,
		ClientToServer: im, ServerToClient: im, Seed: *seed,
		IdleTimeout: *idle, MaxSessions: *maxSess,
		Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})),
	})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if ready != nil {
		ready(p.Addr())
	}
	st, err := p.Serve(ctx)
	if err != nil {
		fmt.Fprintln(stderr, err)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		if err := enc.Encode(st); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
	} else {
		printStats(stdout, st)
	}
	if err != nil {
		return 1
	}
	return 0
}

func printStats(w io.Writer, st netsim.ProxyStats) {
	line := func(name string, d netsim.DirStats) {
		fmt.Fprintf(w, "%-15s packets %d bytes %d dropped %d (overflow %d) duplicated %d reordered %d delayed %d delivered %d (%d bytes)\n",
			name, d.Packets, d.Bytes, d.Dropped, d.Overflow, d.Duplicated, d.Reordered, d.Delayed, d.Delivered, d.DeliveredBytes)
	}
	line("client->server", st.ClientToServer)
	line("server->client", st.ServerToClient)
	fmt.Fprintf(w, "sessions        opened %d expired %d rejected-datagrams %d\n", st.Sessions, st.Expired, st.Rejected)
}
