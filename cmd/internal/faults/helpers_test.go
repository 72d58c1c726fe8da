package faults

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/client/lobbyclient"
	"github.com/skirmish-go/skirmish/lobby/lobbytest"
	"github.com/skirmish-go/skirmish/lobby/proto"
	"github.com/skirmish-go/skirmish/netcode/secure"
)

// keyHex is the key the test's lobbies and game servers share.
const keyHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

// bins are the commands built once for the run.
var bins struct{ lobby, gameserver, server string }

func TestMain(m *testing.M) {
	code, err := buildAndRun(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "faults:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func buildAndRun(m *testing.M) (int, error) {
	root, err := moduleRoot()
	if err != nil {
		return 0, err
	}
	dir, err := os.MkdirTemp("", "skirmish-faults-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	goBin, err := exec.LookPath("go")
	if err != nil {
		return 0, err
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "build", "-o", dir+string(filepath.Separator), "./cmd/lobby", "./cmd/gameserver", "./cmd/server")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("go build: %w\n%s", err, out)
	}
	fmt.Printf("faults: built cmd/lobby, cmd/gameserver, cmd/server in %v\n", time.Since(start).Round(time.Millisecond))
	bins.lobby = filepath.Join(dir, "lobby")
	bins.gameserver = filepath.Join(dir, "gameserver")
	bins.server = filepath.Join(dir, "server")
	return m.Run(), nil
}

// moduleRoot walks up from the working directory to the directory holding go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for range 64 {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return "", errors.New("no go.mod above the working directory")
}

// freePort returns a loopback port free for network ("tcp" or "udp") right now.
func freePort(t *testing.T, network string) int {
	t.Helper()
	if network == "udp" {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		require.NoError(t, err)
		defer pc.Close()
		return pc.LocalAddr().(*net.UDPAddr).Port
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func loop(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }

// lockedBuffer collects a process's stderr.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// proc is a child process whose stdout lines arrive on lines and whose stderr is kept for the
// log of a failed test.
type proc struct {
	t      *testing.T
	name   string
	cmd    *exec.Cmd
	lines  chan string
	stderr lockedBuffer
	done   chan struct{} // closed once Wait returned
	err    error         // Wait's error, set before done closes
}

func start(t *testing.T, name, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, name: name, cmd: exec.Command(bin, args...), lines: make(chan string, 1024), done: make(chan struct{})}
	out, err := p.cmd.StdoutPipe()
	require.NoError(t, err)
	p.cmd.Stderr = &p.stderr
	require.NoError(t, p.cmd.Start(), name)
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			select {
			case p.lines <- sc.Text():
			default: // nobody is reading: drop
			}
		}
	}()
	go func() {
		<-scanned // Wait closes the pipe: read it all first
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("%s stderr:\n%s", name, tail(p.stderr.String(), 4000))
		}
	})
	return p
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// waitLine waits for a stdout line containing sub and returns it.
func (p *proc) waitLine(sub string, limit time.Duration) string {
	p.t.Helper()
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	for {
		select {
		case l := <-p.lines:
			if strings.Contains(l, sub) {
				return l
			}
		case <-p.done:
			p.t.Fatalf("%s exited (%v) before printing %q; stderr:\n%s", p.name, p.err, sub, tail(p.stderr.String(), 4000))
		case <-deadline.C:
			p.t.Fatalf("%s did not print %q within %v", p.name, sub, limit)
		}
	}
}

func (p *proc) signal(sig os.Signal) { require.NoError(p.t, p.cmd.Process.Signal(sig), p.name) }

// kill sends SIGKILL and waits for the process to be gone.
func (p *proc) kill() {
	p.t.Helper()
	p.signal(syscall.SIGKILL)
	p.exit(10 * time.Second)
}

// exit waits for the process to end and returns its exit code.
func (p *proc) exit(limit time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(limit):
		p.t.Fatalf("%s did not exit within %v", p.name, limit)
	}
	if p.err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	p.t.Fatalf("%s: wait: %v", p.name, p.err)
	return -1
}

// startLobby runs cmd/lobby on a free port and returns the process and its address.
func startLobby(t *testing.T, name string, args ...string) (*proc, string) {
	t.Helper()
	addr := loop(freePort(t, "tcp"))
	p := start(t, name, bins.lobby, append([]string{"-addr", addr, "-key", keyHex}, args...)...)
	p.waitLine("lobby listening on tcp://", 20*time.Second)
	return p, addr
}

// startGameServer runs cmd/gameserver registered with lobbies; it returns the process and its
// game address (the address match_found names).
func startGameServer(t *testing.T, name, lobbies string, args ...string) (*proc, string) {
	t.Helper()
	addr := loop(freePort(t, "udp"))
	p := start(t, name, bins.gameserver, append([]string{"-addr", addr, "-key", keyHex, "-lobby", lobbies,
		"-name", name, "-http-addr", ""}, args...)...)
	p.waitLine("gameserver: game udp://", 20*time.Second)
	return p, addr
}

// redis is a redis-server child with an append-only file in dir, so its data survives a
// restart on the same port.
type redis struct {
	t    *testing.T
	dir  string
	port int
	p    *proc
}

func startRedis(t *testing.T) *redis {
	t.Helper()
	r := &redis{t: t, dir: t.TempDir(), port: freePort(t, "tcp")}
	r.start()
	return r
}

func (r *redis) url() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", r.port) }

func (r *redis) start() {
	r.t.Helper()
	path, err := exec.LookPath("redis-server")
	require.NoError(r.t, err, "redis-server must be installed (Debian package redis-server)")
	r.p = start(r.t, "redis-server", path, "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--protected-mode", "yes", "--save", "", "--appendonly", "yes", "--appendfsync", "always",
		"--dir", r.dir)
	r.p.waitLine("Ready to accept connections", 20*time.Second)
}

// player is a lobby session that said hello.
func player(t *testing.T, addr, name string) (*lobbyclient.Client, lobbyclient.Welcome) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := lobbyclient.Dial(ctx, addr, nil)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	w, err := c.Hello(ctx, name)
	require.NoError(t, err, name)
	return c, w
}

// event waits for the next event of type typ (others are skipped).
func event(t *testing.T, c *lobbyclient.Client, typ string, limit time.Duration) proto.Message {
	t.Helper()
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	for {
		select {
		case m, ok := <-c.Events():
			require.True(t, ok, "lobby session closed waiting for %s: %v", typ, c.Err())
			if m.Type == typ {
				return m
			}
		case <-deadline.C:
			t.Fatalf("no %s event within %v", typ, limit)
		}
	}
}

// eventually polls cond every 20 ms until it holds, failing after limit; it returns how long
// that took. For conditions nothing signals (an HTTP status, a counter in another process).
func eventually(t *testing.T, limit time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("%s: not within %v", what, limit)
		}
	}
	return time.Since(start)
}

var httpClient = &http.Client{Timeout: 2 * time.Second}

// httpGet returns the status and body of url (status 0 if it cannot be reached).
func httpGet(url string) (int, string) {
	resp, err := httpClient.Get(url)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, string(b)
}

// metric returns the value of the first sample line of /metrics starting with name (0 if none).
func metric(url, name string) float64 {
	_, body := httpGet(url)
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, name+" ") {
			v, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimPrefix(l, name)), 64)
			return v
		}
	}
	return 0
}

// presence asks the lobby through c.
func presence(c *lobbyclient.Client) lobbyclient.Presence {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	p, _ := c.Presence(ctx)
	return p
}

// offerDuel registers with the lobby at addr a game server that exists only as its
// registration: it offers Arena's duel, so players may queue for it, but has one seat, so no
// match is ever allocated to it (a real game server's matches are what the tests watch).
func offerDuel(t *testing.T, addr string) {
	t.Helper()
	key, err := secure.ParseKey(keyHex)
	require.NoError(t, err)
	lobbytest.RegisterServer(t, addr, key, lobbytest.Server{Name: "gs-modes-only", Capacity: 1, Game: "arena",
		Modes: []proto.ModeInfo{{Name: "duel", Title: "Duel", MinPlayers: 2, MaxPlayers: 2, Teams: 2, FillMS: 10000}}})
}
