// Command bots drives N headless bots through the real lobby and game server and reports what
// they experienced: snapshot rate, input delivery, reliable delivery, bandwidth, RTT, state age
// and prediction error. Impairment (loss, latency, jitter, duplication, reordering) applies to
// the bots' own sockets. It exits 1 if any bot failed to reach a match or was disconnected
// without cause. With -json the last line of stdout is one JSON object (see bot.Summary).
//
//	go run ./cmd/bots -n 16 -duration 30s -json
//	go run ./cmd/bots -n 16 -loss 0.1 -latency 50ms -jitter 20ms
//	go run ./cmd/bots -transport kcp -n 16 -duration 30s -loss 0.1 -json
//	go run ./cmd/bots -n 8 -spectators 4 -duration 20s -json
//
// -mode must be one the lobby lists (the modes its live game servers offer); otherwise bots
// exits 2 at once, naming the modes it offers.
//
// With -compare-peer it measures Skirmish against its yardsticks in one run (package
// cmd/internal/peercmp): for each -peer-n it builds and starts cmd/server -game walkers as a
// process and plays that many walker bots on it, then runs the project's bare-socket floor
// (cmd/floor) at the same players and upstream datagram rate and the Colyseus peer
// (bash <peer-dir>/colyseus/run.sh N 30 SECS, which needs node and npm), and prints each
// client's bytes per second, each server's cores and the ratios (-json: one JSON object):
//
//	go run ./cmd/bots -compare-peer -peer-n 16,64 -peer-secs 20
//
// With -compare it needs no server: for UDP and KCP at 0, 5, 10, 20 and 30 % loss with
// -latency ± -jitter (default 50 ms ± 20 ms) it starts a cmd/server process (built once with
// go build, or -server-bin), plays the same -n bots for -duration, and prints a table (package
// cmd/internal/compare). The bots link no server code:
//
//	go run ./cmd/bots -compare -n 16 -duration 20s
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/skirmish-go/skirmish/client/bot"
	"github.com/skirmish-go/skirmish/cmd/internal/peercmp"
)

func main() {
	run()
	os.Exit(exitCode)
}

// exitCode is set by run; main exits with it after run's deferred calls.
var exitCode int

func run() {
	var cfg bot.Config
	flag.StringVar(&cfg.Lobby, "lobby", "127.0.0.1:7000", "lobby TCP address")
	flag.IntVar(&cfg.N, "n", 16, "number of bots")
	flag.IntVar(&cfg.Spectators, "spectators", 0, "more bots that watch the running matches as spectators")
	flag.DurationVar(&cfg.Duration, "duration", 30*time.Second, "how long the bots play")
	flag.StringVar(&cfg.Mode, "mode", "ffa", "quick match mode")
	flag.Float64Var(&cfg.Loss, "loss", 0, "packet loss probability 0..1, each direction, on the bots' side")
	flag.DurationVar(&cfg.Latency, "latency", 0, "one-way latency added each direction")
	flag.DurationVar(&cfg.Jitter, "jitter", 0, "± uniform jitter added to the latency")
	flag.Float64Var(&cfg.Dup, "dup", 0, "duplication probability 0..1")
	flag.Float64Var(&cfg.Reorder, "reorder", 0, "reordering probability 0..1")
	flag.Int64Var(&cfg.Seed, "seed", 1, "seed of the impairment and the bots' choices")
	flag.StringVar(&cfg.Transport, "transport", "", "game transport the bots insist on: udp or kcp (empty: what the lobby announces; a mismatch fails)")
	flag.Var(&cfg.KCP.FEC, "kcp-fec", "KCP forward error correction as `data,parity` shards; must match the server's -kcp-fec")
	compareRuns := flag.Bool("compare", false, "compare udp and kcp at 0-30% loss, each on a fresh cmd/server process (see the package doc)")
	serverBin := flag.String("server-bin", "", "with -compare: the cmd/server `binary` to run (default: built with go build)")
	flag.IntVar(&cfg.UpdateRate, "update-rate", 30, "updates per second of each bot (inputs are sampled per tick and sent once per update)")
	flag.IntVar(&cfg.DialRate, "dial-rate", 80, "game connections started per second (the server limits handshakes per source host)")
	jsonOut := flag.Bool("json", false, "print the summary as one JSON object on the last line")
	comparePeer := flag.Bool("compare-peer", false, "measure walkers on Skirmish, the floor and the Colyseus peer side by side (see the package doc)")
	peerN := flag.String("peer-n", "16,64", "with -compare-peer: player counts, comma-separated")
	peerSecs := flag.Int("peer-secs", peercmp.DefaultSeconds, "with -compare-peer: seconds each run plays")
	peerDir := flag.String("peer-dir", "", "with -compare-peer: directory holding colyseus/run.sh (default $"+peercmp.PeersEnv+", else ../shared/peers beside the module root)")
	peerGame := flag.String("peer-game", "walkers", "with -compare-peer: the game cmd/server hosts (-game); the bots play its mode of the same name, or -mode for arena")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile to `file`")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bots:", err)
			exitCode = 2
			return
		}
		pprof.StartCPUProfile(f)
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *comparePeer {
		exitCode = runComparePeer(ctx, *peerN, *peerSecs, *peerDir, *peerGame, cfg.Mode, *jsonOut)
		return
	}
	if *compareRuns {
		exitCode = runCompare(ctx, cfg, *serverBin)
		return
	}
	if _, err := bot.CheckMode(ctx, cfg.Lobby, cfg.Mode); err != nil {
		fmt.Fprintln(os.Stderr, "bots: -mode:", err)
		exitCode = 2
		return
	}
	cfg.Progress = os.Stderr
	sum, err := bot.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bots:", err)
		exitCode = 2
		return
	}
	for _, e := range sum.Errors {
		fmt.Fprintln(os.Stderr, "bots: error:", e)
	}
	if *jsonOut {
		fmt.Println(string(sum.JSON()))
	} else {
		fmt.Println(sum.String())
	}
	if !sum.OK() {
		exitCode = 1
	}
}
