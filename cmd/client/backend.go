package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"slices"

	"github.com/skirmish-go/skirmish/client"
	"github.com/skirmish-go/skirmish/client/bot"
	"github.com/skirmish-go/skirmish/client/render"
	"github.com/skirmish-go/skirmish/client/render/demo"
	"github.com/skirmish-go/skirmish/gameserver/arena"
	"github.com/skirmish-go/skirmish/netcode/kcp"
)

// backendConfig is what the flags say about the backend.
type backendConfig struct {
	Lobby, Name string
	TLS         bool
	TLSCA       string // PEM file of roots that sign the lobby's certificate; "" = the system's
	Autoplay    bool
	Seed        uint64 // the autoplay brain's seed
	Mode        string
	Transport   string // "udp" or "kcp" to insist on; "" = the server's
	KCPFEC      kcp.FEC
	Demo        bool
	Watch       bool // spectate the longest running match (client.SessionConfig.AutoWatch)
	Logger      *slog.Logger
}

// Both backends satisfy render.Backend.
var (
	_ render.Backend = (*demo.Backend)(nil)
	_ render.Backend = (*client.Session)(nil)
)

// newBackend builds the backend the window runs on, and a func that releases it: the offline
// demo with -demo, otherwise the real client core (a client.Session talking to the lobby and
// game servers).
func newBackend(cfg backendConfig) (render.Backend, func(), error) {
	if cfg.Demo {
		return newDemoBackend(cfg), func() {}, nil
	}
	scfg, err := sessionConfig(cfg)
	if err != nil {
		return nil, nil, err
	}
	s := client.NewSession(scfg)
	return s, func() { s.Close() }, nil
}

// sessionConfig turns the flags into the core's configuration.
func sessionConfig(cfg backendConfig) (client.SessionConfig, error) {
	scfg := client.SessionConfig{Modes: modes(cfg.Mode), Logger: cfg.Logger}
	scfg.Dial.Force = cfg.Transport
	scfg.Dial.KCP.FEC = cfg.KCPFEC
	scfg.AutoWatch = cfg.Watch
	if cfg.Autoplay {
		// The session queues for a quick match itself (its first mode, the -mode one) as soon
		// as the lobby welcomes us, and again after each match; the brain plays.
		scfg.AutoQueue = true
		scfg.Autoplay = bot.Autoplay(cfg.Seed)
	}
	if cfg.TLS || cfg.TLSCA != "" {
		tc := &tls.Config{MinVersion: tls.VersionTLS12}
		if cfg.TLSCA != "" {
			pem, err := os.ReadFile(cfg.TLSCA)
			if err != nil {
				return client.SessionConfig{}, fmt.Errorf("-tls-ca: %w", err)
			}
			tc.RootCAs = x509.NewCertPool()
			if !tc.RootCAs.AppendCertsFromPEM(pem) {
				return client.SessionConfig{}, fmt.Errorf("-tls-ca %s: no PEM certificate in it", cfg.TLSCA)
			}
		}
		scfg.TLS = tc
	}
	return scfg, nil
}

// modes lists Arena's quick match modes with mode ("" = Arena's default order) first, which
// makes it the session's default.
func modes(mode string) []string {
	var all []string
	for _, m := range arena.Modes() {
		all = append(all, m.Name)
	}
	if mode == "" {
		return all
	}
	return append([]string{mode}, slices.DeleteFunc(all, func(m string) bool { return m == mode })...)
}

// newDemoBackend is the offline demo: with -demo a match starts at once; otherwise its fake
// lobby answers the connect screen (and -autoplay walks through it to a quick match).
func newDemoBackend(cfg backendConfig) *demo.Backend {
	b := demo.New(demo.Config{Mode: cfg.Mode, Autoplay: cfg.Autoplay})
	if cfg.Demo {
		b.StartMatch(cfg.Name)
	}
	return b
}
