package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/skirmish-go/skirmish/client/bot"
	"github.com/skirmish-go/skirmish/cmd/internal/compare"
)

// runCompare is -compare: the flags' bots, duration, latency, jitter, seed and FEC, both
// transports, every loss rate. -loss, -transport, -dup and -reorder do not apply. It returns
// the exit code.
func runCompare(ctx context.Context, cfg bot.Config, serverBin string) int {
	o := compare.Options{N: cfg.N, Duration: cfg.Duration, Latency: cfg.Latency, Jitter: cfg.Jitter,
		Mode: cfg.Mode, Seed: cfg.Seed, FEC: cfg.KCP.FEC, ServerBin: serverBin, Progress: os.Stderr}.WithDefaults()
	start := time.Now()
	rows, err := compare.Run(ctx, o)
	if len(rows) > 0 {
		fec := "off"
		if o.FEC.Enabled() {
			fec = o.FEC.String()
		}
		fmt.Printf("%d bots, %v each; %v ± %v one-way and the loss below, each direction; KCP FEC %s; %s/%s, %d CPUs; %v in all\n",
			o.N, o.Duration, o.Latency, o.Jitter, fec, runtime.GOOS, runtime.GOARCH, runtime.NumCPU(),
			time.Since(start).Round(time.Second))
		compare.WriteTable(os.Stdout, rows)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bots:", err)
		return 2
	}
	if err := compare.Check(rows); err != nil {
		fmt.Fprintln(os.Stderr, "bots:", err)
		return 1
	}
	return 0
}
