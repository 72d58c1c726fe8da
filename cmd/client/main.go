// Command client is the Skirmish game client: an Ebiten window with the connect and lobby
// screens, the match and its HUD. It parses flags, builds the backend (backend.go: the real
// client core, client.Session, or with -demo the offline stand-in) and hands both to package
// client/render.
//
//	client                                  # name entry screen, lobby at 127.0.0.1:7000
//	client -name Ada -lobby host:7000       # connects at once as Ada
//	client -demo                            # offline demo match, no server needed
//	client -replay replays/<match_id>.replay  # watch a recorded match again
//	client -autoplay -screenshot m.png -after 10s   # unattended: the bot brain queues and
//	                                        # plays; the frame 10 s into the match is saved
//
// In a match: the mouse aims, WASD or the arrows move, left click (Space) fires, right click
// (Shift) alt-fires, Tab shows the scoreboard, F3 the net graph, Enter chats.
//
// With -replay FILE the window plays a replay the game server recorded (package
// client/playback re-simulates it): Space pauses, - and + set the speed (0.25× to 8×), ← and
// → seek 5 s (or click the progress bar), 1-9, Tab or a click follow a player, 0, WASD or a
// drag free the camera, Esc closes. A file that cannot be read is one line on stderr and
// exit 1, before any window opens.
//
// Ebiten needs a display: on a headless machine run it under xvfb-run -a. Without one the
// client says so in one line and exits 1 (-h still prints the usage).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/skirmish-go/skirmish/client/playback"
	"github.com/skirmish-go/skirmish/client/render"
	// First of all: without a display Ebiten panics in its package initialiser, so this
	// package's init (which runs before it) says so in one line and exits, or prints the
	// usage for -h.
	_ "github.com/skirmish-go/skirmish/cmd/client/internal/needdisplay"
)

func main() {
	err := run(os.Args[1:], os.Stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case errors.Is(err, errUsage):
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "client:", err)
		os.Exit(1)
	}
}

// errUsage marks a bad command line (already reported).
var errUsage = errors.New("usage")

// options is the parsed command line.
type options struct {
	backend           backendConfig
	render            render.Options
	logLevel          slog.Level
	screenshotTimeout time.Duration
	replay            string // -replay: the replay file to play ("" = play live)
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	cfg := &o.backend
	fs := flag.NewFlagSet("client", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.Lobby, "lobby", "127.0.0.1:7000", "lobby `address` (TCP)")
	fs.StringVar(&cfg.Name, "name", "", "player `name`: connect at once as it (default: ask on the name entry screen; \"autoplay\" with -autoplay, \"watcher\" with -watch)")
	fs.BoolVar(&cfg.TLS, "tls", false, "connect to the lobby over TLS")
	fs.StringVar(&cfg.TLSCA, "tls-ca", "", "PEM `file` of the CA that signed the lobby's certificate (implies -tls; default: the system's roots)")
	fs.BoolVar(&cfg.Autoplay, "autoplay", false, "let the bot brain play: connect, quick match, fight, queue again")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "seed of the -autoplay brain")
	fs.StringVar(&cfg.Mode, "mode", "", "quick match `mode` (default: ffa; -demo: teams)")
	fs.StringVar(&cfg.Transport, "transport", "", "game transport to insist on: udp or kcp (empty: what the lobby announces for the match; a mismatch is an error)")
	fs.Var(&cfg.KCPFEC, "kcp-fec", "KCP forward error correction as `data,parity` shards; must match the game server's -kcp-fec")
	fs.BoolVar(&cfg.Watch, "watch", false, "spectate: connect and watch the longest running match (waits for one); ←/→ or a click switch the player followed")
	fs.BoolVar(&cfg.Demo, "demo", false, "offline demo: no server, a match of bots starts at once")
	fs.StringVar(&o.replay, "replay", "", "play the replay `file` of a recorded match (no lobby, no server)")
	fs.StringVar(&o.render.Screenshot, "screenshot", "", "save a frame as a PNG `file` and exit (see -after)")
	fs.DurationVar(&o.render.After, "after", 3*time.Second, "when to take the -screenshot: from the first frame; with -autoplay, -demo or -replay from the first frame of the match, and then as soon as an opponent is in view too (at most 15 s later)")
	fs.DurationVar(&o.screenshotTimeout, "screenshot-timeout", 2*time.Minute, "with -screenshot: give up (save the frame anyway, exit 1) if it is not due after this long (0: wait forever)")
	fs.IntVar(&o.render.WindowWidth, "width", 1280, "initial window width")
	fs.IntVar(&o.render.WindowHeight, "height", 720, "initial window height")
	fs.BoolVar(&o.render.NetGraph, "netgraph", false, "start with the net graph (F3) shown")
	fs.TextVar(&o.logLevel, "log-level", slog.LevelWarn, "log `level` of the client core on stderr: debug, info, warn, error")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "client: unexpected arguments %q\n", fs.Args())
		return o, errUsage
	}
	switch cfg.Transport {
	case "", "udp", "kcp":
	default:
		fmt.Fprintf(stderr, "client: -transport must be udp or kcp, not %q\n", cfg.Transport)
		return o, errUsage
	}
	if o.replay != "" && (cfg.Demo || cfg.Autoplay) {
		fmt.Fprintln(stderr, "client: -replay plays a recorded match; it does not go with -demo or -autoplay")
		return o, errUsage
	}
	if cfg.Autoplay && cfg.Name == "" {
		cfg.Name = "autoplay"
	}
	if cfg.Watch && cfg.Name == "" {
		cfg.Name = "watcher"
	}
	cfg.TLS = cfg.TLS || cfg.TLSCA != ""
	r := &o.render
	r.Name, r.Lobby = cfg.Name, cfg.Lobby
	// With a name there is nothing to ask: connect at once (the connect screen shows any error
	// and lets the player retry). The real core queues by itself under -autoplay
	// (client.SessionConfig.AutoQueue); the demo is walked through its lobby by the Game.
	r.AutoConnect = cfg.Name != "" && !cfg.Demo
	r.Autoplay = cfg.Autoplay
	r.AutoQuickMatch = cfg.Autoplay && cfg.Demo
	r.QuickMatchMode = cfg.Mode
	r.AfterMatch = cfg.Autoplay || cfg.Demo || cfg.Watch || o.replay != ""
	r.ActionShot = r.AfterMatch
	if r.Screenshot != "" {
		r.ScreenshotTimeout = o.screenshotTimeout
	}
	return o, nil
}

func run(args []string, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if o.replay != "" {
		return runReplay(o)
	}
	o.backend.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: o.logLevel}))
	b, closeBackend, err := newBackend(o.backend)
	if err != nil {
		return err
	}
	defer closeBackend()
	g, err := render.NewGame(b, o.render)
	if err != nil {
		return err
	}
	return render.Run(g)
}

// runReplay plays the -replay file. It is read whole before the window opens, so a missing
// or corrupt file is an error and no window.
func runReplay(o options) error {
	p, err := playback.Open(o.replay)
	if err != nil {
		return err
	}
	g, err := render.NewReplayGame(p, o.render)
	if err != nil {
		return err
	}
	return render.RunReplay(g)
}
