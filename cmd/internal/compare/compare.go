// Package compare plays the same bot match over each game transport (UDP, the netcode.io
// snapshot path, and KCP, every message reliable) under the same simulated impairment, each
// run on a fresh in-process stack (a lobby and a game server on free loopback ports), and
// prints what the bots measured side by side. cmd/bots -compare is flag parsing around [Run]
// and [WriteTable]:
//
//	go run ./cmd/bots -compare -n 16 -duration 20s
//
// The impairment applies to the bots' sockets (package netsim), both directions: loss as
// given, and the same one-way latency and jitter for every run.
package compare

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"text/tabwriter"
	"time"

	"github.com/skirmish-go/skirmish/client/bot"
	"github.com/skirmish-go/skirmish/cmd/internal/stack"
	"github.com/skirmish-go/skirmish/netcode/kcp"
	"github.com/skirmish-go/skirmish/netcode/secure"
)

// Defaults of Options' zero fields.
var (
	DefaultTransports = []string{"udp", "kcp"}
	DefaultLosses     = []float64{0, 0.05, 0.10, 0.20, 0.30}
)

// Options configures [Run]. Zero fields take the defaults in the comments.
type Options struct {
	Transports []string      // default DefaultTransports
	Losses     []float64     // per direction, 0..1; default DefaultLosses
	N          int           // bots per run; default 16
	Duration   time.Duration // each bot plays this long; default 20 s
	Latency    time.Duration // one-way, each direction; default 50 ms
	Jitter     time.Duration // ± uniform; default 20 ms
	Mode       string        // default "ffa"
	Seed       int64         // impairment and bot seed; default 1 (the same for every run)
	FEC        kcp.FEC       // KCP forward error correction (both ends); default off
	Logger     *slog.Logger  // the stacks' logs; default discarded
	// Progress, if set, gets a line as each run starts and ends.
	Progress io.Writer
}

// WithDefaults returns o with its zero fields set to their defaults.
func (o Options) WithDefaults() Options {
	o.defaults()
	return o
}

func (o *Options) defaults() {
	if len(o.Transports) == 0 {
		o.Transports = DefaultTransports
	}
	if len(o.Losses) == 0 {
		o.Losses = DefaultLosses
	}
	if o.N <= 0 {
		o.N = 16
	}
	if o.Duration <= 0 {
		o.Duration = 20 * time.Second
	}
	if o.Latency == 0 {
		o.Latency = 50 * time.Millisecond
	}
	if o.Jitter == 0 {
		o.Jitter = 20 * time.Millisecond
	}
	if o.Mode == "" {
		o.Mode = "ffa"
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
}

// Row is one run: a transport at a loss rate.
type Row struct {
	Transport string
	Loss      float64
	Summary   bot.Summary
}

// Run plays one bot match per transport and loss rate, one after the other, each on a fresh
// stack, and returns the rows in order (loss, then transport). It stops at the first run that
// could not be set up, or when ctx ends.
func Run(ctx context.Context, o Options) ([]Row, error) {
	o.defaults()
	var rows []Row
	for _, loss := range o.Losses {
		for _, tr := range o.Transports {
			fmt.Fprintf(o.Progress, "compare: %s at %.0f%% loss, %v ± %v, %d bots for %v\n",
				tr, loss*100, o.Latency, o.Jitter, o.N, o.Duration)
			sum, err := runOne(ctx, &o, tr, loss)
			if err != nil {
				return rows, fmt.Errorf("compare: %s at %.0f%% loss: %w", tr, loss*100, err)
			}
			rows = append(rows, Row{Transport: tr, Loss: loss, Summary: sum})
			fmt.Fprintf(o.Progress, "compare: %s\n", sum.JSON())
		}
	}
	return rows, nil
}

// runOne starts a lobby and a game server with transport tr, plays the bots, and stops both.
func runOne(ctx context.Context, o *Options, tr string, loss float64) (bot.Summary, error) {
	key, err := secure.GenerateKey()
	if err != nil {
		return bot.Summary{}, err
	}
	lob, err := stack.StartLobby(stack.LobbyOptions{Addr: "127.0.0.1:0", Key: key, Logger: o.Logger})
	if err != nil {
		return bot.Summary{}, fmt.Errorf("lobby: %w", err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		lob.Shutdown(sctx)
	}()
	gctx, stopGame := context.WithCancel(ctx)
	ready := make(chan struct{})
	served := make(chan error, 1)
	go func() {
		served <- stack.RunGameServer(gctx, stack.GameServerOptions{
			Addr: "127.0.0.1:0", Key: key, Lobbies: []string{lob.Addr.String()}, Transport: tr,
			KCP: kcp.Options{FEC: o.FEC}, Capacity: max(64, 2*o.N), DrainTimeout: time.Second,
			Logger: o.Logger, Ready: func(net.Addr, net.Addr) { close(ready) },
		})
	}()
	defer func() {
		stopGame()
		<-served
	}()
	select {
	case <-ready:
	case err := <-served:
		served <- err
		return bot.Summary{}, fmt.Errorf("game server: %w", err)
	case <-ctx.Done():
		return bot.Summary{}, ctx.Err()
	}
	sum, err := bot.Run(ctx, bot.Config{
		Lobby: lob.Addr.String(), N: o.N, Duration: o.Duration, Mode: o.Mode,
		Loss: loss, Latency: o.Latency, Jitter: o.Jitter, Seed: o.Seed,
		Transport: tr, KCP: kcp.ClientConfig{Options: kcp.Options{FEC: o.FEC}},
	})
	if err != nil {
		return sum, err
	}
	if ctx.Err() != nil {
		return sum, ctx.Err()
	}
	return sum, nil
}

// ErrRunFailed is returned by [Check] when a run lost bots (see bot.Summary.OK).
var ErrRunFailed = errors.New("compare: a run had failed or disconnected bots")

// Check returns ErrRunFailed (with the first run's errors) if any run is not OK.
func Check(rows []Row) error {
	for _, r := range rows {
		if !r.Summary.OK() {
			return fmt.Errorf("%w: %s at %.0f%% loss: %v", ErrRunFailed, r.Transport, r.Loss*100, r.Summary.Errors)
		}
	}
	return nil
}

// WriteTable prints rows as an aligned table: state age at the client (p50, p99), input
// delivery, disconnects, and bytes per client per second down and up.
func WriteTable(w io.Writer, rows []Row) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "transport\tloss\tstate age p50 ms\tp99 ms\tinput delivery\tdisconnects\tfailed\tdown B/s\tup B/s\t")
	for _, r := range rows {
		s := r.Summary
		fmt.Fprintf(tw, "%s\t%.0f%%\t%.0f\t%.0f\t%.4f\t%d\t%d\t%.0f\t%.0f\t\n", r.Transport, r.Loss*100,
			s.StateAgeMsP50, s.StateAgeMsP99, s.InputDelivery, s.Disconnects, s.Failed, s.DownBytesPerS, s.UpBytesPerS)
	}
	return tw.Flush()
}
