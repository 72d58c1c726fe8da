// Command flood sends hostile traffic at a Skirmish game server (UDP) and lobby (TCP) on this
// machine, bounded in rate, count and time, and prints what happened. It refuses any target
// outside loopback (127.0.0.0/8, ::1). See package client/flood for the kinds.
//
//	go run ./cmd/flood -game 127.0.0.1:7001 -rate 20000 -duration 10s
//	go run ./cmd/flood -game 127.0.0.1:7001 -key $(cat key.hex) -kinds replayed,wrongaddr,tampered,replay
//	go run ./cmd/flood -lobby 127.0.0.1:7000 -conns 2000 -kinds silent,slowloris,hugeline -json
//
// Progress goes to stderr once a second; with -json the summary is one JSON object on stdout
// (sent per kind, replies, bytes in and out, errors, lobby error codes and closes).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/skirmish-go/skirmish/client/flood"
	"github.com/skirmish-go/skirmish/netcode/secure"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("flood", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg flood.Config
	fs.StringVar(&cfg.Game, "game", "", "game server UDP address (loopback only), e.g. 127.0.0.1:7001")
	fs.StringVar(&cfg.Lobby, "lobby", "", "lobby TCP address (loopback only), e.g. 127.0.0.1:7000")
	keyHex := fs.String("key", "", "shared key (64 hex digits) to mint real tokens for replayed/wrongaddr/tampered/replay")
	fs.IntVar(&cfg.Rate, "rate", 1000, fmt.Sprintf("UDP packets per second, all kinds together (max %d)", flood.MaxRate))
	fs.IntVar(&cfg.Count, "count", 0, "UDP packets in all (0 = rate × duration)")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, fmt.Sprintf("how long to run (max %v)", flood.MaxDuration))
	fs.IntVar(&cfg.Conns, "conns", 100, fmt.Sprintf("lobby connections, spread over the TCP kinds (max %d)", flood.MaxConns))
	fs.IntVar(&cfg.Sources, "sources", 4, "UDP source sockets per kind")
	fs.IntVar(&cfg.LineRate, "line-rate", 50, "lines per second per badjson/unknown/storm connection")
	fs.DurationVar(&cfg.StormFor, "storm-for", 0, "badjson/unknown/storm send this long, then fall silent (0 = whole run)")
	fs.DurationVar(&cfg.SlowInterval, "slow-interval", time.Second, "slowloris: one byte every")
	srcIPs := fs.String("src", "", "comma-separated loopback source addresses (default 127.0.0.1)")
	kinds := fs.String("kinds", "all", "comma-separated kinds, or all, udp, tcp: "+
		strings.Join(kindNames(), ","))
	jsonOut := fs.Bool("json", false, "print the summary as one JSON object on stdout")
	quiet := fs.Bool("q", false, "no progress on stderr")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *keyHex != "" {
		k, err := secure.ParseKey(*keyHex)
		if err != nil {
			fmt.Fprintln(stderr, "flood: -key:", err)
			return 2
		}
		cfg.Key = &k
	}
	for f := range strings.SplitSeq(*srcIPs, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		ip, err := netip.ParseAddr(f)
		if err != nil {
			fmt.Fprintln(stderr, "flood: -src:", err)
			return 2
		}
		cfg.SourceIPs = append(cfg.SourceIPs, ip)
	}
	ks, err := flood.ParseKinds(*kinds)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if *kinds == "all" {
		ks = nil // every kind that applies to the targets and key given
	}
	cfg.Kinds = ks
	if !*quiet {
		cfg.Progress = stderr
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	sum, err := flood.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if *jsonOut {
		b, _ := json.Marshal(sum)
		fmt.Fprintln(stdout, string(b))
		return 0
	}
	fmt.Fprintf(stdout, "%.1fs: sent %d (%.0f UDP packets/s), replies %d, bytes out %d in %d, errors %d, amplified sources %d\n",
		sum.Seconds, sum.Sent, sum.PacketsPerSecond(), sum.Replies, sum.BytesOut, sum.BytesIn, sum.Errors, sum.AmplifiedSources)
	names := make([]string, 0, len(sum.Kinds))
	for k := range sum.Kinds {
		names = append(names, string(k))
	}
	slices.Sort(names)
	for _, n := range names {
		k := sum.Kinds[flood.Kind(n)]
		fmt.Fprintf(stdout, "  %-10s sent %8d replies %7d out %10d in %8d errors %5d", n, k.Sent, k.Replies, k.BytesOut, k.BytesIn, k.Errors)
		if k.Conns > 0 {
			fmt.Fprintf(stdout, " conns %d closed %d (with code %d) codes %v", k.Conns, k.Closed, k.ClosedWithCode, k.Codes)
		}
		if k.Note != "" {
			fmt.Fprintf(stdout, " (%s)", k.Note)
		}
		fmt.Fprintln(stdout)
	}
	return 0
}

func kindNames() []string {
	var s []string
	for _, k := range append(slices.Clone(flood.UDPKinds), flood.TCPKinds...) {
		s = append(s, string(k))
	}
	return s
}
