// Package compare plays the same bot match over each game transport (UDP, the netcode.io
// snapshot path, and KCP, every message reliable) under the same simulated impairment, each
// run on a fresh stack (a cmd/server process: a lobby and a game server on free loopback
// ports), and prints what the bots measured side by side. cmd/bots -compare is flag parsing
// around [Run] and [WriteTable]:
//
//	go run ./cmd/bots -compare -n 16 -duration 20s
//
// The server runs as a subprocess so that the bots link no server code: Options.ServerBin
// names a cmd/server binary (cmd/bots -server-bin), or [Run] builds one once with `go build`
// (which needs the Go tool and the module's source, as `go run ./cmd/bots` has).
//
// The impairment applies to the bots' sockets (package netsim), both directions: loss as
// given, and the same one-way latency and jitter for every run.
package compare

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/skirmish-go/skirmish/client/bot"
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
	// ServerBin is the cmd/server binary each run starts; empty: Run builds one with go build.
	ServerBin string
	// ServerLog gets the servers' stderr (their logs); default discarded.
	ServerLog io.Writer
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
	if o.ServerLog == nil {
		o.ServerLog = io.Discard
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
	if o.ServerBin == "" {
		dir, err := os.MkdirTemp("", "skirmish-compare-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		fmt.Fprintf(o.Progress, "compare: building cmd/server\n")
		if o.ServerBin, err = BuildServer(ctx, dir); err != nil {
			return nil, err
		}
	}
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

// BuildServer builds cmd/server into dir with the go tool and returns the binary's path. It
// must run inside the module (the working directory of go run ./cmd/bots).
func BuildServer(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "skirmish-server")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/skirmish-go/skirmish/cmd/server")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("compare: go build cmd/server (or pass -server-bin): %w\n%s", err, out)
	}
	return bin, nil
}

// serverStartTimeout bounds how long a server process may take to print that it is ready.
const serverStartTimeout = 30 * time.Second

// runOne starts a cmd/server process with transport tr, plays the bots, and stops it.
func runOne(ctx context.Context, o *Options, tr string, loss float64) (bot.Summary, error) {
	key, err := secure.GenerateKey()
	if err != nil {
		return bot.Summary{}, err
	}
	args := []string{"-addr", "127.0.0.1:0", "-game-addr", "127.0.0.1:0", "-http-addr", "", "-replay-dir", "",
		"-transport", tr, "-capacity", strconv.Itoa(max(64, 2*o.N)), "-drain-timeout", "1s", "-log-level", "warn"}
	if o.FEC.Enabled() {
		args = append(args, "-kcp-fec", o.FEC.String())
	}
	cmd := exec.Command(o.ServerBin, args...)
	cmd.Env = append(os.Environ(), "SKIRMISH_KEY="+key.String()) // not on the command line
	cmd.Stderr = o.ServerLog
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return bot.Summary{}, err
	}
	if err := cmd.Start(); err != nil {
		return bot.Summary{}, fmt.Errorf("start server: %w", err)
	}
	exited := make(chan error, 1)
	lobbyAddr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			// "skirmish: ready: lobby 127.0.0.1:PORT, game ..., http ..."
			if rest, ok := strings.CutPrefix(sc.Text(), "skirmish: ready: lobby "); ok {
				addr, _, _ := strings.Cut(rest, ",")
				lobbyAddr <- addr
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		exited <- cmd.Wait()
	}()
	defer func() {
		// SIGTERM drains the server (its matches ended with the bots); kill it if it hangs.
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}()
	var addr string
	select {
	case addr = <-lobbyAddr:
	case err := <-exited:
		exited <- err
		return bot.Summary{}, fmt.Errorf("server exited before it was ready: %v", err)
	case <-time.After(serverStartTimeout):
		return bot.Summary{}, errors.New("server not ready after 30 s")
	case <-ctx.Done():
		return bot.Summary{}, ctx.Err()
	}
	sum, err := bot.Run(ctx, bot.Config{
		Lobby: addr, N: o.N, Duration: o.Duration, Mode: o.Mode,
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
