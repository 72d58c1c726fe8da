// Command client is the Skirmish game client: an Ebiten window with the connect and lobby
// screens, the match and its HUD. It parses flags, builds the backend (see backend.go) and hands
// both to package client/render.
//
//	client -name Ada                       # connect screen prefilled, lobby at 127.0.0.1:7000
//	client -demo                           # offline demo match, no server needed
//	client -autoplay -screenshot m.png -after 10s   # unattended: bot plays, PNG saved, exit
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/skirmish-go/skirmish/client/render"
)

func main() {
	var cfg backendConfig
	flag.StringVar(&cfg.Lobby, "lobby", "127.0.0.1:7000", "lobby `address` (TCP)")
	flag.StringVar(&cfg.Name, "name", "", "player name (prefills the connect screen; required with -autoplay)")
	flag.BoolVar(&cfg.TLS, "tls", false, "connect to the lobby over TLS")
	flag.BoolVar(&cfg.Autoplay, "autoplay", false, "let the bot brain play: connect, quick match, fight")
	flag.StringVar(&cfg.Mode, "mode", "", "quick match `mode` for -autoplay and -demo (default: the backend's)")
	flag.StringVar(&cfg.Transport, "transport", "udp", "game transport: udp or kcp (reserved)")
	flag.BoolVar(&cfg.Demo, "demo", false, "offline demo: no server, a match of bots starts at once")
	shot := flag.String("screenshot", "", "save the frame drawn after -after as a PNG `file` and exit")
	after := flag.Duration("after", 3*time.Second, "when to take the -screenshot, from the first frame")
	width := flag.Int("width", 1280, "initial window width")
	height := flag.Int("height", 720, "initial window height")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "client: unexpected arguments %q\n", flag.Args())
		os.Exit(2)
	}
	if cfg.Transport != "udp" && cfg.Transport != "kcp" {
		fmt.Fprintf(os.Stderr, "client: -transport must be udp or kcp, not %q\n", cfg.Transport)
		os.Exit(2)
	}
	if cfg.Autoplay && cfg.Name == "" {
		cfg.Name = "autoplay"
	}
	if err := run(cfg, render.Options{
		Name: cfg.Name, Lobby: cfg.Lobby,
		AutoConnect:    cfg.Autoplay && !cfg.Demo,
		AutoQuickMatch: cfg.Autoplay && !cfg.Demo, QuickMatchMode: cfg.Mode,
		Autoplay:   cfg.Autoplay,
		Screenshot: *shot, After: *after,
		WindowWidth: *width, WindowHeight: *height,
	}); err != nil {
		log.Fatal(err)
	}
}

func run(cfg backendConfig, opt render.Options) error {
	b, closeBackend, err := newBackend(cfg)
	if err != nil {
		return err
	}
	defer closeBackend()
	g, err := render.NewGame(b, opt)
	if err != nil {
		return err
	}
	return render.Run(g)
}
