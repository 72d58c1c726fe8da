package main

import (
	"github.com/skirmish-go/skirmish/client/render"
	"github.com/skirmish-go/skirmish/client/render/demo"
)

// backendConfig is what the flags say about the backend.
type backendConfig struct {
	Lobby, Name string
	TLS         bool
	Autoplay    bool
	Mode        string
	Transport   string // "udp" or "kcp"
	Demo        bool
}

// The offline demo satisfies render.Backend.
var _ render.Backend = (*demo.Backend)(nil)

// newBackend builds the backend the window runs on, and a func that releases it.
//
// PLUG-IN POINT for the client core: until the core exists, every run uses the offline demo
// (with -demo it skips the lobby and starts a match; without it, the fake lobby answers the
// connect screen). When the core lands, replace the non-demo branch with its constructor, e.g.
//
//	core, err := client.New(client.Config{Lobby: cfg.Lobby, Name: cfg.Name, TLS: cfg.TLS,
//		Autoplay: cfg.Autoplay, Transport: cfg.Transport})
//	if err != nil { return nil, nil, err }
//	return core, func() { core.Close() }, nil
//
// where *client.Core (any name) has the methods of render.Backend; it needs no Ebiten import
// because every type in that interface lives in package client.
func newBackend(cfg backendConfig) (render.Backend, func(), error) {
	return newDemoBackend(cfg), func() {}, nil
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
