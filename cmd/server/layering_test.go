package main

import (
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/cmd/internal/stack"
	"github.com/skirmish-go/skirmish/gameserver/arena"
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

const (
	server     = module + "/gameserver" // the game server package itself
	prometheus = "github.com/prometheus/client_golang/..."
)

// clientForbidden is what the client side (client/..., cmd/client, cmd/bots) must not link.
var clientForbidden = []string{server, prometheus, "github.com/prometheus/client_model/...",
	module + "/gameserver/lobbylink", module + "/gameserver/arena/arenahost", module + "/gameserver/walkers/walkershost",
	module + "/cmd/internal/stack", module + "/cmd/stacktest"}

// TestLayering enforces the import rules of ARCHITECTURE.md: imports point down, only the
// Ebiten front end links Ebiten (so servers and bots build without cgo), the client side links
// no server (nor Prometheus), and the lobby links no game.
func TestLayering(t *testing.T) {
	rules := []struct {
		pattern   string
		forbidden []string // an import path, or a tree as "path/..."
	}{
		// The client side links no server: neither the game server package itself (only what
		// server and client share: wire, snapshot, sim, a game's shared package) nor
		// Prometheus, nor a game's host adapter or the server wiring.
		{"./client/...", clientForbidden},
		{"./cmd/client", clientForbidden},
		{"./cmd/bots", append([]string{ebiten}, clientForbidden...)},
		{"./gameserver/arena", []string{server, prometheus}},
		// The lobby matches whatever games register: it links no game and no game server.
		{"./lobby/...", []string{server, module + "/gameserver/lobbylink", module + "/gameserver/arena/...",
			module + "/gameserver/sim/...", module + "/gameserver/walkers/..."}},
		{"./netcode/...", []string{ebiten, module + "/gameserver/...", module + "/lobby/...", module + "/client/..."}},
		{"./gameserver/sim/...", []string{module + "/..."}},
		// The game server shares wire types with the lobby (lobby/proto), never its internals.
		{"./gameserver/...", []string{ebiten, module + "/client/...", module + "/lobby"}},
		{"./lobby/...", []string{ebiten, module + "/client/..."}},
		{"./client", []string{ebiten}},
		{"./cmd/server", []string{ebiten}},
		{"./cmd/lobby", []string{ebiten}},
		{"./cmd/gameserver", []string{ebiten}},
		{"./cmd/bots", []string{ebiten}},
	}
	// A game's shared package (what its clients link) does not import the game server.
	if _, err := os.Stat("../../gameserver/walkers"); err == nil {
		rules = append(rules, struct {
			pattern   string
			forbidden []string
		}{"./gameserver/walkers", []string{server, prometheus}})
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

// TestLobbyNamesNoMode: modes belong to the games, so no non-test Go file under lobby/ holds a
// string literal that is a mode name of any game the stack hosts (every game in the registry,
// and Arena's shared list), lest the lobby grow a mode table of its own again.
func TestLobbyNamesNoMode(t *testing.T) {
	names := map[string]string{} // mode → game
	for _, m := range arena.Modes() {
		names[m.Name] = "arena"
	}
	for game, def := range stack.Games {
		for _, m := range def(60).Modes {
			names[m.Name] = game
		}
	}
	require.Contains(t, names, "ffa")
	files := 0
	err := filepath.WalkDir("../../lobby", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		files++
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if v, err := strconv.Unquote(lit.Value); err == nil && names[v] != "" {
					t.Errorf("%s: string literal %q is a mode of game %s; the lobby must learn modes from game servers", path, v, names[v])
				}
			}
			return true
		})
		return nil
	})
	require.NoError(t, err)
	require.Greater(t, files, 10, "walked the lobby's files")
}
