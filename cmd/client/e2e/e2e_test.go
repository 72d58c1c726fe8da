package e2e

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/client/bot"
	"github.com/skirmish-go/skirmish/client/lobbyclient"
	"github.com/skirmish-go/skirmish/client/render/view"
	"github.com/skirmish-go/skirmish/cmd/internal/stack"
	"github.com/skirmish-go/skirmish/netcode/secure"
)

var keepShot = flag.String("shot", "", "copy the client's screenshot to this `file` (to look at it)")

// The unattended run under test, as CI and the README screenshot use it.
const (
	shotAfter   = "10s"
	mode        = "ffa"
	clientLimit = 90 * time.Second // the client process, from start to its screenshot
)

// TestClientAutoplayScreenshot is the acceptance run of the real client: a lobby and a game
// server, three bots, and cmd/client -autoplay -screenshot FILE -after 10s; the frame it saves
// must show a match in progress.
func TestClientAutoplayScreenshot(t *testing.T) {
	if os.Getenv("DISPLAY") == "" {
		t.Fatal("DISPLAY is not set: this test runs the real Ebiten client, which needs an X display. " +
			"Run it under a virtual one: xvfb-run -a go test ./cmd/client/e2e (CI's .ci/run runs the suite so)")
	}
	bin := buildClient(t)
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	lobbyAddr := startStack(t, log)
	t.Cleanup(func() {
		if t.Failed() && logs.Len() > 0 {
			t.Logf("stack warnings:\n%s", logs.String())
		}
	})

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	watch, err := lobbyclient.Dial(ctx, lobbyAddr, nil)
	require.NoError(t, err)
	t.Cleanup(func() { watch.Close() })
	_, err = watch.Hello(ctx, "e2e-watch")
	require.NoError(t, err)
	waitPresence(t, watch, nil, "the game server to register", func(p lobbyclient.Presence) bool { return p.Servers >= 1 })

	// The client first, then the bots once it is queued: the lobby groups the four of them
	// when the first has waited its fill time, so the client is sure to be in the match.
	shot := filepath.Join(t.TempDir(), "match.png")
	out := &syncBuffer{}
	cctx, ccancel := context.WithTimeout(t.Context(), clientLimit)
	defer ccancel()
	cmd := exec.CommandContext(cctx, bin, "-autoplay", "-screenshot", shot, "-after", shotAfter,
		"-lobby", lobbyAddr, "-name", "tester", "-mode", mode,
		"-screenshot-timeout", (clientLimit - 15*time.Second).String(), "-log-level", "info")
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = 5 * time.Second
	require.NoError(t, cmd.Start())
	start := time.Now()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	clientDone := false
	t.Cleanup(func() {
		if !clientDone {
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	waitPresence(t, watch, exited, "the client to queue", func(p lobbyclient.Presence) bool { return p.Queued >= 1 })

	botCtx, stopBots := context.WithCancel(context.Background())
	botsDone := make(chan bot.Summary, 1)
	go func() {
		sum, err := bot.Run(botCtx, bot.Config{Lobby: lobbyAddr, N: 3, Duration: 60 * time.Second, Mode: mode,
			MatchTimeout: 45 * time.Second, Seed: 5})
		if err != nil {
			sum.Errors = append(sum.Errors, err.Error())
		}
		botsDone <- sum
	}()
	t.Cleanup(func() {
		stopBots()
		select {
		case sum := <-botsDone:
			t.Logf("bots: matched %d of %d, errors %v", sum.Matched, sum.Bots, sum.Errors)
		case <-time.After(30 * time.Second):
			t.Error("bots did not stop within 30 s of their cancellation")
		}
	})

	exitErr := <-exited // bounded by cctx
	clientDone = true
	t.Logf("client ran %.1f s; its output:\n%s", time.Since(start).Seconds(), out.String())
	if *keepShot != "" {
		if b, err := os.ReadFile(shot); err == nil {
			require.NoError(t, os.WriteFile(*keepShot, b, 0o644))
		}
	}
	require.NoError(t, exitErr, "cmd/client -autoplay -screenshot")
	require.NoError(t, view.CheckMatchScreenshotFile(shot))
}

// buildClient builds cmd/client into a temporary directory and returns the binary's path.
func buildClient(t *testing.T) string {
	t.Helper()
	root := moduleRoot(t)
	gotool, err := exec.LookPath("go")
	if err != nil {
		gotool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "client")
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute) // a cold build compiles Ebiten
	defer cancel()
	cmd := exec.CommandContext(ctx, gotool, "build", "-o", bin, "./cmd/client")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build ./cmd/client in %s:\n%s", root, out)
	return bin
}

// moduleRoot is the nearest directory at or above the working directory with a go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for range 64 {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	t.Fatal("no go.mod at or above the working directory")
	return ""
}

// startStack runs a lobby and a game server registered with it, as cmd/server does, on
// loopback ports of the system's choosing with a fresh key, until the test ends. It returns
// the lobby's address.
func startStack(t *testing.T, log *slog.Logger) string {
	t.Helper()
	key, err := secure.GenerateKey()
	require.NoError(t, err)
	lob, err := stack.StartLobby(stack.LobbyOptions{Addr: "127.0.0.1:0", Key: key, Logger: log.With("component", "lobby")})
	require.NoError(t, err)
	gameCtx, stopGame := context.WithCancel(context.Background())
	ready := make(chan struct{})
	served := make(chan error, 1)
	go func() {
		served <- stack.RunGameServer(gameCtx, stack.GameServerOptions{
			Addr: "127.0.0.1:0", Key: key, Lobbies: []string{lob.Addr.String()},
			DrainTimeout: time.Second, Logger: log.With("component", "gameserver"),
			Ready: func(net.Addr, net.Addr) { close(ready) },
		})
	}()
	t.Cleanup(func() {
		stopGame()
		select {
		case err := <-served:
			if err != nil {
				t.Errorf("game server: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("game server did not stop within 30 s")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := lob.Shutdown(ctx); err != nil {
			t.Errorf("lobby shutdown: %v", err)
		}
	})
	select {
	case <-ready:
	case err := <-served:
		served <- err // for the cleanup
		t.Fatalf("game server did not start: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("game server not ready within 10 s")
	}
	return lob.Addr.String()
}

// waitPresence polls the lobby's counts until ok says so, for at most 30 s; it fails early if
// exited delivers (the client process ended).
func waitPresence(t *testing.T, lc *lobbyclient.Client, exited chan error, what string, ok func(lobbyclient.Presence) bool) {
	t.Helper()
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var last lobbyclient.Presence
	for {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		p, err := lc.Presence(ctx)
		cancel()
		require.NoError(t, err, "presence")
		if ok(p) {
			return
		}
		last = p
		select {
		case <-tick.C:
		case err := <-exited:
			exited <- err // for the caller's wait
			t.Fatalf("waiting for %s: the client exited: %v", what, errOr(err, "exit status 0"))
		case <-deadline.C:
			t.Fatalf("waiting for %s: not within 30 s (lobby: %+v)", what, last)
		}
	}
}

func errOr(err error, otherwise string) string {
	if err == nil {
		return otherwise
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return fmt.Sprintf("%v", ee)
	}
	return err.Error()
}

// syncBuffer is a bytes.Buffer safe for the writers of a process's output and a logger.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.TrimSpace(s.b.String())
}

func (s *syncBuffer) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Len()
}
