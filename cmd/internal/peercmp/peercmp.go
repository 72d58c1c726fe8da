// Package peercmp measures Skirmish against its yardsticks on one machine, in one run: the
// walkers game (the Colyseus peer scene) on a real cmd/server process with bots, the Colyseus
// peer on the same scene (../shared/peers/colyseus, node), and the project's bare-socket floor
// (cmd/floor) moving the same datagrams. cmd/bots -compare-peer is flag parsing around [Run]
// and [WriteTable]:
//
//	go run ./cmd/bots -compare-peer                 # 16 and 64 players, 20 s each
//	go run ./cmd/bots -compare-peer -peer-n 8,16,64 -peer-secs 30 -json
//
// For each player count N, back to back:
//
//  1. Skirmish: cmd/server -game walkers is built and started as a process (the bots' process
//     links no server); N bots play one walkers match through its lobby. Their sockets count
//     every datagram: the UDP payload bytes each client receives per second and the datagrams
//     each sends (UP) are taken over the middle half of the play time, as is the server
//     process's CPU (utime + stime from /proc/PID/stat).
//  2. Floor: cmd/floor's server as a process, sending each of N clients one datagram of the
//     size Skirmish's averaged at 30 Hz while each client sends UP datagrams a second; its CPU
//     over the middle half.
//  3. Colyseus: bash <peer-dir>/colyseus/run.sh N 30 SECS (npm installs Colyseus on first
//     use); it prints the WebSocket payload bytes each client received per second and the
//     server's CPU.
//
// Bytes ratio = Skirmish's bytes per client ÷ Colyseus's; CPU ratio = Skirmish's cores ÷ the
// floor's. CPU is read from /proc, so Run needs Linux.
package peercmp

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/skirmish-go/skirmish/client/bot"
	"github.com/skirmish-go/skirmish/cmd/internal/floor"
)

// Defaults of Options' zero fields.
var DefaultPlayers = []int{16, 64}

const (
	DefaultSeconds = 20
	// PeersEnv names the peers directory when -peer-dir is not given.
	PeersEnv = "SKIRMISH_PEERS"
	// snapshotRate is the scene's update rate: Skirmish's snapshots and Colyseus's patches.
	snapshotRate = 30
)

// ErrNoPeerDir is returned when the peers directory (with colyseus/run.sh) is not found.
var ErrNoPeerDir = errors.New("peer directory not found")

// ErrNoNode is returned when node or npm, which the Colyseus peer needs, is not on PATH.
var ErrNoNode = errors.New("the Colyseus peer needs node and npm on PATH")

// Options configures Run. Zero fields take the defaults in the comments.
type Options struct {
	Players []int // player counts; default DefaultPlayers
	Seconds int   // play time of each run; default DefaultSeconds
	// PeerDir holds colyseus/run.sh; default $SKIRMISH_PEERS, else ../shared/peers beside
	// the module's root (or beside the main checkout, from a git worktree).
	PeerDir string
	// Game and Mode are what the Skirmish side plays; default "walkers" and "walkers".
	Game, Mode string
	// Root is the module's root (where cmd/server and cmd/floor are built); default found
	// from the working directory.
	Root string
	// Progress, if set, gets a line as each part starts and ends.
	Progress io.Writer
}

// Row is one player count's figures. Bytes are payload bytes per second each client
// receives (UDP payload for Skirmish, WebSocket message payload for Colyseus); cores are the
// server process's CPU seconds per second.
type Row struct {
	Players               int     `json:"players"`
	SkirmishDownBytesPerS float64 `json:"skirmish_down_bytes_per_s"`
	ColyseusDownBytesPerS float64 `json:"colyseus_down_bytes_per_s"`
	BytesRatio            float64 `json:"bytes_ratio"`
	SkirmishCores         float64 `json:"skirmish_cores"`
	FloorCores            float64 `json:"floor_cores"`
	ColyseusCores         float64 `json:"colyseus_cores"`
	CPURatioVsFloor       float64 `json:"cpu_ratio_vs_floor"`
	// What the floor was asked to move, from what Skirmish's clients saw.
	SkirmishDownDatagramsPerS float64 `json:"skirmish_down_datagrams_per_s"`
	SkirmishUpDatagramsPerS   float64 `json:"skirmish_up_datagrams_per_s"`
	FloorUpPerS               float64 `json:"floor_up_per_s"`
	FloorSize                 int     `json:"floor_size"`
}

func (o *Options) defaults() error {
	if len(o.Players) == 0 {
		o.Players = DefaultPlayers
	}
	if o.Seconds <= 0 {
		o.Seconds = DefaultSeconds
	}
	if o.Game == "" {
		o.Game = "walkers"
	}
	if o.Mode == "" {
		o.Mode = "walkers"
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	if o.Root == "" {
		root, err := ModuleRoot()
		if err != nil {
			return err
		}
		o.Root = root
	}
	if o.PeerDir == "" {
		o.PeerDir = os.Getenv(PeersEnv)
	}
	if o.PeerDir == "" {
		o.PeerDir = defaultPeerDir(o.Root)
	}
	return nil
}

// defaultPeerDir is ../shared/peers beside the module root, or beside the main checkout's root
// when root is a git worktree (whose common directory is the main checkout's .git).
func defaultPeerDir(root string) string {
	dir := filepath.Join(root, "..", "shared", "peers")
	if _, err := os.Stat(dir); err == nil {
		return dir
	}
	out, err := exec.Command("git", "-C", root, "rev-parse", "--path-format=absolute", "--git-common-dir").Output()
	if err != nil {
		return dir
	}
	alt := filepath.Join(filepath.Dir(filepath.Dir(strings.TrimSpace(string(out)))), "shared", "peers")
	if _, err := os.Stat(alt); err == nil {
		return alt
	}
	return dir
}

// Check reports what Run would miss before it starts: the peers directory and node/npm.
func (o Options) Check() error {
	if err := o.defaults(); err != nil {
		return err
	}
	return check(o)
}

func check(o Options) error {
	if _, err := os.Stat(filepath.Join(o.PeerDir, "colyseus", "run.sh")); err != nil {
		return fmt.Errorf("%w: %s has no colyseus/run.sh (set -peer-dir or $%s): %v", ErrNoPeerDir, o.PeerDir, PeersEnv, err)
	}
	for _, tool := range []string{"node", "npm", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%w: %v", ErrNoNode, err)
		}
	}
	return nil
}

// Run measures every player count in turn and returns the rows it completed.
func Run(ctx context.Context, o Options) ([]Row, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	if err := check(o); err != nil {
		return nil, err
	}
	bin, err := os.MkdirTemp("", "skirmish-peercmp-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(bin)
	fmt.Fprintf(o.Progress, "peercmp: building cmd/server and cmd/floor\n")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin+string(filepath.Separator), "./cmd/server", "./cmd/floor")
	build.Dir = o.Root
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build: %w\n%s", err, out)
	}
	var rows []Row
	for _, n := range o.Players {
		r := Row{Players: n}
		fmt.Fprintf(o.Progress, "peercmp: %d players: skirmish (%s)\n", n, o.Game)
		if err := runSkirmish(ctx, o, filepath.Join(bin, "server"), n, &r); err != nil {
			return rows, fmt.Errorf("skirmish, %d players: %w", n, err)
		}
		fmt.Fprintf(o.Progress, "peercmp: %d players: floor (up %.1f/s, %d-byte datagrams)\n", n, r.FloorUpPerS, r.FloorSize)
		if err := runFloor(ctx, o, filepath.Join(bin, "floor"), n, &r); err != nil {
			return rows, fmt.Errorf("floor, %d players: %w", n, err)
		}
		fmt.Fprintf(o.Progress, "peercmp: %d players: colyseus\n", n)
		if err := runColyseus(ctx, o, n, &r); err != nil {
			return rows, fmt.Errorf("colyseus, %d players: %w", n, err)
		}
		r.BytesRatio = ratio(r.SkirmishDownBytesPerS, r.ColyseusDownBytesPerS)
		r.CPURatioVsFloor = ratio(r.SkirmishCores, r.FloorCores)
		rows = append(rows, r)
	}
	return rows, nil
}

func ratio(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return math.Round(a/b*1000) / 1000
}

// proc is a started child process whose stdout lines can be waited for.
type proc struct {
	cmd    *exec.Cmd
	lines  chan string
	done   chan struct{}
	stderr tailBuffer
}

// tailBuffer keeps the last 2 KB written to it (a child's stderr, for error messages).
type tailBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > 2048 {
		t.b = append(t.b[:0], t.b[len(t.b)-2048:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.b))
}

func startProc(name string, args ...string) (*proc, error) {
	p := &proc{cmd: exec.Command(name, args...), lines: make(chan string, 256), done: make(chan struct{})}
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p.cmd.Stderr = &p.stderr
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			select {
			case p.lines <- sc.Text():
			default:
			}
		}
		_ = p.cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// waitLine returns the first stdout line containing sub.
func (p *proc) waitLine(ctx context.Context, sub string, limit time.Duration) (string, error) {
	t := time.NewTimer(limit)
	defer t.Stop()
	for {
		select {
		case l := <-p.lines:
			if strings.Contains(l, sub) {
				return l, nil
			}
		case <-p.done:
			return "", fmt.Errorf("%s exited before printing %q: %s", filepath.Base(p.cmd.Path), sub, p.stderr.String())
		case <-t.C:
			return "", fmt.Errorf("%s did not print %q within %v", p.cmd.Path, sub, limit)
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}

// stop sends SIGTERM and waits up to limit, then kills.
func (p *proc) stop(limit time.Duration) {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(limit):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// cpuSeconds is the process's utime + stime from /proc/PID/stat.
func cpuSeconds(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStatCPU(string(b))
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times: 100 on every Linux port Go runs.
const clockTicks = 100

// parseStatCPU reads utime and stime (fields 14 and 15) from a /proc/PID/stat line; the
// command name (field 2) is in parentheses and may hold spaces.
func parseStatCPU(stat string) (float64, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("proc stat: no command name")
	}
	f := strings.Fields(stat[i+1:])
	// f[0] is field 3 (state): utime is field 14, f[11].
	if len(f) < 13 {
		return 0, errors.New("proc stat: short line")
	}
	u, err1 := strconv.ParseUint(f[11], 10, 64)
	s, err2 := strconv.ParseUint(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("proc stat: %w", err)
	}
	return float64(u+s) / clockTicks, nil
}

// cpuWindow measures pid's cores between from and to (waiting for both).
func cpuWindow(ctx context.Context, pid int, from, to time.Time) (float64, error) {
	if err := sleepUntil(ctx, from); err != nil {
		return 0, err
	}
	c0, err := cpuSeconds(pid)
	if err != nil {
		return 0, err
	}
	w0 := time.Now()
	if err := sleepUntil(ctx, to); err != nil {
		return 0, err
	}
	c1, err := cpuSeconds(pid)
	if err != nil {
		return 0, err
	}
	return (c1 - c0) / time.Since(w0).Seconds(), nil
}

func sleepUntil(ctx context.Context, t time.Time) error {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// counters are what every bot socket saw, summed.
type counters struct {
	rxBytes, rxDatagrams, txDatagrams atomic.Int64
	active                            atomic.Int64 // sockets that received a datagram
}

type countingConn struct {
	net.PacketConn
	c    *counters
	seen atomic.Bool
}

func (c *countingConn) ReadFrom(p []byte) (int, net.Addr, error) {
	n, a, err := c.PacketConn.ReadFrom(p)
	if err == nil {
		c.c.rxBytes.Add(int64(n))
		c.c.rxDatagrams.Add(1)
		if !c.seen.Swap(true) {
			c.c.active.Add(1)
		}
	}
	return n, a, err
}

func (c *countingConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	n, err := c.PacketConn.WriteTo(p, addr)
	if err == nil {
		c.c.txDatagrams.Add(1)
	}
	return n, err
}

func runSkirmish(ctx context.Context, o Options, bin string, n int, r *Row) error {
	p, err := startProc(bin, "-addr", "127.0.0.1:0", "-game-addr", "127.0.0.1:0", "-http-addr", "",
		"-game", o.Game, "-log-level", "error", "-drain-timeout", "1s")
	if err != nil {
		return err
	}
	defer p.stop(15 * time.Second)
	line, err := p.waitLine(ctx, "skirmish: ready:", 30*time.Second)
	if err != nil {
		return err
	}
	// "skirmish: ready: lobby ADDR, game ADDR, http ADDR"
	f := strings.Fields(strings.ReplaceAll(line, ",", ""))
	lobby := ""
	for i := range f[:len(f)-1] {
		if f[i] == "lobby" {
			lobby = f[i+1]
		}
	}
	if lobby == "" {
		return fmt.Errorf("no lobby address in %q", line)
	}

	var cnt counters
	play := time.Duration(o.Seconds) * time.Second
	cfg := bot.Config{Lobby: lobby, N: n, Duration: play, Mode: o.Mode, UpdateRate: snapshotRate,
		ListenPacket: func(addr string) (net.PacketConn, error) {
			c, err := net.ListenPacket("udp", addr)
			if err != nil {
				return nil, err
			}
			return &countingConn{PacketConn: c, c: &cnt}, nil
		}}
	var sum bot.Summary
	var runErr error
	var wg sync.WaitGroup
	wg.Add(1)
	bctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var bdone atomic.Bool // bot.Run returned (every bot failed, say)
	go func() {
		defer wg.Done()
		sum, runErr = bot.Run(bctx, cfg)
		bdone.Store(true)
	}()
	// The window starts a quarter of the play time after every bot hears the server.
	deadline := time.Now().Add(90 * time.Second)
	for cnt.active.Load() < int64(n) {
		if time.Now().After(deadline) || bdone.Load() {
			cancel()
			wg.Wait()
			return fmt.Errorf("only %d of %d bots reached the match (does the lobby offer mode %q for -game %s?): %v",
				cnt.active.Load(), n, o.Mode, o.Game, sum.Errors)
		}
		if err := sleepUntil(ctx, time.Now().Add(50*time.Millisecond)); err != nil {
			cancel()
			wg.Wait()
			return err
		}
	}
	start := time.Now()
	from, to := start.Add(play/4), start.Add(3*play/4)
	if err := sleepUntil(ctx, from); err != nil {
		cancel()
		wg.Wait()
		return err
	}
	rx0, rxd0, tx0 := cnt.rxBytes.Load(), cnt.rxDatagrams.Load(), cnt.txDatagrams.Load()
	cores, err := cpuWindow(ctx, p.cmd.Process.Pid, time.Now(), to)
	rx1, rxd1, tx1 := cnt.rxBytes.Load(), cnt.rxDatagrams.Load(), cnt.txDatagrams.Load()
	secs := time.Since(from).Seconds()
	wg.Wait()
	if err != nil {
		return err
	}
	if runErr != nil {
		return runErr
	}
	if sum.Matched < n {
		return fmt.Errorf("%d of %d bots matched: %v", sum.Matched, n, sum.Errors)
	}
	per := float64(n) * secs
	r.SkirmishCores = round4(cores)
	r.SkirmishDownBytesPerS = math.Round(float64(rx1-rx0) / per)
	r.SkirmishDownDatagramsPerS = round2(float64(rxd1-rxd0) / per)
	r.SkirmishUpDatagramsPerS = round2(float64(tx1-tx0) / per)
	r.FloorUpPerS = max(r.SkirmishUpDatagramsPerS, 0.1)
	r.FloorSize = 1
	if rxd1 > rxd0 {
		r.FloorSize = max(1, int(math.Round(float64(rx1-rx0)/float64(rxd1-rxd0))))
	}
	return nil
}

func runFloor(ctx context.Context, o Options, bin string, n int, r *Row) error {
	p, err := startProc(bin, "-mode", "server", "-addr", "127.0.0.1:0", "-size", strconv.Itoa(r.FloorSize),
		"-rate", strconv.Itoa(snapshotRate))
	if err != nil {
		return err
	}
	defer p.stop(5 * time.Second)
	line, err := p.waitLine(ctx, "floor: listening on", 10*time.Second)
	if err != nil {
		return err
	}
	addr := strings.TrimSpace(strings.TrimPrefix(line, "floor: listening on"))
	play := time.Duration(o.Seconds) * time.Second
	start := time.Now()
	res := make(chan error, 1)
	go func() {
		_, err := floor.RunClients(ctx, floor.ClientsConfig{Addr: addr, N: n, Up: r.FloorUpPerS, Duration: play})
		res <- err
	}()
	cores, werr := cpuWindow(ctx, p.cmd.Process.Pid, start.Add(play/4), start.Add(3*play/4))
	if err := <-res; err != nil {
		return err
	}
	if werr != nil {
		return werr
	}
	r.FloorCores = round4(cores)
	return nil
}

func runColyseus(ctx context.Context, o Options, n int, r *Row) error {
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(o.PeerDir, "colyseus", "run.sh"),
		strconv.Itoa(n), strconv.Itoa(snapshotRate), strconv.Itoa(o.Seconds))
	cmd.Stderr = io.Discard
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("colyseus/run.sh: %w\n%s", err, out)
	}
	down, cpu, err := parseColyseus(out)
	if err != nil {
		return err
	}
	r.ColyseusDownBytesPerS, r.ColyseusCores = math.Round(down), round4(cpu)
	return nil
}

// parseColyseus reads run.sh's two JSON lines: the clients' down_bytes_per_s and the server's
// server_cpu_s_per_s.
func parseColyseus(out []byte) (down, cpu float64, err error) {
	var haveDown, haveCPU bool
	for _, l := range strings.Split(string(out), "\n") {
		l = strings.TrimSpace(l)
		if !strings.HasPrefix(l, "{") {
			continue
		}
		var v struct {
			Down *float64 `json:"down_bytes_per_s"`
			CPU  *float64 `json:"server_cpu_s_per_s"`
		}
		if json.Unmarshal([]byte(l), &v) != nil {
			continue
		}
		if v.Down != nil {
			down, haveDown = *v.Down, true
		}
		if v.CPU != nil {
			cpu, haveCPU = *v.CPU, true
		}
	}
	if !haveDown || !haveCPU {
		return 0, 0, fmt.Errorf("colyseus/run.sh printed no down_bytes_per_s and server_cpu_s_per_s: %q", out)
	}
	return down, cpu, nil
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }
func round4(v float64) float64 { return math.Round(v*10000) / 10000 }

// WriteTable prints the rows as an aligned table.
func WriteTable(w io.Writer, rows []Row) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "players\tskirmish B/s\tcolyseus B/s\tbytes ratio\tskirmish cores\tfloor cores\tcolyseus cores\tcpu ÷ floor\tup/s\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%d\t%.0f\t%.0f\t%.3f\t%.4f\t%.4f\t%.4f\t%.2f\t%.1f\t\n", r.Players, r.SkirmishDownBytesPerS,
			r.ColyseusDownBytesPerS, r.BytesRatio, r.SkirmishCores, r.FloorCores, r.ColyseusCores, r.CPURatioVsFloor,
			r.SkirmishUpDatagramsPerS)
	}
	tw.Flush()
}

// JSON is the rows as one JSON object: {"seconds": S, "results": [Row...]}.
func JSON(seconds int, rows []Row) []byte {
	b, _ := json.Marshal(struct {
		Seconds int   `json:"seconds"`
		Results []Row `json:"results"`
	}{seconds, rows})
	return b
}

// ModuleRoot walks up from the working directory to the directory holding go.mod.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory: run from the Skirmish module")
		}
		dir = parent
	}
}
