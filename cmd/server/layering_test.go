package main

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const (
	module = "github.com/skirmish-go/skirmish"
	ebiten = "github.com/hajimehoshi/ebiten/v2/..."
)

// matches reports whether import path d is f, or lies in the tree f when f ends in "/...".
func matches(d, f string) bool {
	if base, ok := strings.CutSuffix(f, "/..."); ok {
		return d == base || strings.HasPrefix(d, base+"/")
	}
	return d == f
}

// listPackage is the part of `go list -json` output the layering rules read.
type listPackage struct {
	ImportPath string
	Deps       []string
}

// listDeps returns every package matched by pattern with its transitive dependencies.
func listDeps(t *testing.T, pattern string) []listPackage {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", pattern)
	cmd.Dir = "../.." // the module root: patterns are relative to it
	out, err := cmd.Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		t.Fatalf("go list %s: %v\n%s", pattern, err, ee.Stderr)
	}
	require.NoError(t, err)
	var pkgs []listPackage
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p listPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else {
			require.NoError(t, err)
		}
		pkgs = append(pkgs, p)
	}
	require.NotEmpty(t, pkgs, "pattern %s matched no packages", pattern)
	return pkgs
}

// TestLayering enforces the import rules of ARCHITECTURE.md: imports point down, and only the
// Ebiten front end links Ebiten, so servers and bots build without cgo.
func TestLayering(t *testing.T) {
	rules := []struct {
		pattern   string
		forbidden []string // an import path, or a tree as "path/..."
	}{
		{"./netcode/...", []string{ebiten, module + "/gameserver/...", module + "/lobby/...", module + "/client/..."}},
		{"./gameserver/sim/...", []string{module + "/..."}},
		// Walkers' shared half (rules, codec) is what clients link: no server, no Prometheus.
		{"./gameserver/walkers", []string{module + "/gameserver", "github.com/prometheus/..."}},
		// The game server shares wire types with the lobby (lobby/proto), never its internals.
		{"./gameserver/...", []string{ebiten, module + "/client/...", module + "/lobby"}},
		{"./lobby/...", []string{ebiten, module + "/client/..."}},
		{"./client", []string{ebiten}},
		{"./cmd/server", []string{ebiten}},
		{"./cmd/lobby", []string{ebiten}},
		{"./cmd/gameserver", []string{ebiten}},
		{"./cmd/bots", []string{ebiten}},
	}
	for _, r := range rules {
		t.Run(r.pattern, func(t *testing.T) {
			for _, p := range listDeps(t, r.pattern) {
				for _, d := range p.Deps {
					for _, f := range r.forbidden {
						if matches(d, f) && !strings.HasPrefix(d, p.ImportPath+"/") {
							t.Errorf("%s imports %s (forbidden by the layering rules)", p.ImportPath, d)
						}
					}
				}
			}
		})
	}
}
