// Hostile-traffic tests: the server under floods and forgeries. Linux only: they send from several loopback addresses
// (127.0.0.2 and up), which Linux routes without configuration.

//go:build linux

package lobby_test

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/client/flood"
	"github.com/skirmish-go/skirmish/client/lobbyclient"
	"github.com/skirmish-go/skirmish/gameserver/lobbylink"
	"github.com/skirmish-go/skirmish/lobby"
	"github.com/skirmish-go/skirmish/lobby/proto"
)

var hostileKey = [32]byte{9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 9, 8}

// hostileSeal stands in for netcode/secure (as fakeSeal in helpers_test.go).
func hostileSeal(clientID uint64, addr netip.AddrPort, ud [256]byte) ([]byte, error) {
	return append([]byte("TOKEN"), ud[:]...), nil
}

// hostileConfig has short limits so bad clients are dealt with within a second or two.
func hostileConfig() lobby.Config {
	return lobby.Config{
		Key: hostileKey, SealToken: hostileSeal, Logger: slog.New(slog.DiscardHandler),
		HeartbeatTimeout: 2 * time.Second, SweepInterval: 100 * time.Millisecond, MatchInterval: 20 * time.Millisecond,
		HandshakeTimeout: time.Second, IdleTimeout: 2 * time.Second,
	}
}

func startHostileLobby(t *testing.T, cfg lobby.Config) (*lobby.Server, string) {
	t.Helper()
	srv := lobby.New(cfg)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	t.Cleanup(func() {
		require.NoError(t, srv.Close())
		require.NoError(t, srv.Close())
		require.ErrorIs(t, <-errc, lobby.ErrServerClosed)
	})
	return srv, l.Addr().String()
}

// startHostileGameServer registers a fake game server through lobbylink (as helpers_test.go).
func startHostileGameServer(t *testing.T, addr string, capacity int) {
	t.Helper()
	reg := make(chan string, 4)
	link := lobbylink.New(lobbylink.Config{
		Lobbies: []string{addr}, Key: hostileKey, Name: "gs-hostile", Addr: "127.0.0.1:7001", Capacity: capacity,
		Game: "testgame", Modes: []proto.ModeInfo{{Name: "duel", MinPlayers: 2, MaxPlayers: 2, Teams: 2, FillMS: 1000}},
		HeartbeatInterval: 100 * time.Millisecond, BackoffMin: 10 * time.Millisecond, BackoffMax: 100 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler), OnRegistered: func(l string) {
			select {
			case reg <- l:
			default:
			}
		},
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- link.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		link.Close()
	})
	select {
	case <-reg:
	case <-time.After(5 * time.Second):
		t.Fatal("game server did not register")
	}
}

// raiseFDLimit lifts the soft open-file limit to the hard one: the test holds about four
// descriptors per hostile connection (both ends, in this process).
func raiseFDLimit(t *testing.T, need uint64) {
	t.Helper()
	var rl syscall.Rlimit
	require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl))
	if rl.Cur < need && rl.Cur < rl.Max {
		rl.Cur = min(rl.Max, max(need, rl.Cur))
		require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl))
	}
	require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl))
	require.GreaterOrEqual(t, rl.Cur, need, "open file limit (ulimit -n) too low for this test")
}

func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// signalWriter closes first on the first write (the flood's first progress line).
type signalWriter struct {
	once  sync.Once
	first chan struct{}
}

func (w *signalWriter) Write(b []byte) (int, error) {
	w.once.Do(func() { close(w.first) })
	return len(b), nil
}

// hostilePlayer logs in, queues for a duel and waits for match_found.
func hostilePlayer(ctx context.Context, addr string, i int) (time.Duration, error) {
	start := time.Now()
	c, err := lobbyclient.Dial(ctx, addr, nil)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	if _, err := c.Hello(ctx, fmt.Sprintf("real%03d", i)); err != nil {
		return 0, fmt.Errorf("hello: %w", err)
	}
	if err := c.QuickMatch(ctx, "duel", ""); err != nil {
		return 0, fmt.Errorf("queue: %w", err)
	}
	for {
		select {
		case m, ok := <-c.Events():
			if !ok {
				return 0, fmt.Errorf("events closed: %w", c.Err())
			}
			if m.Type == proto.TypeMatchFound {
				return time.Since(start), nil
			}
		case <-ctx.Done():
			return 0, fmt.Errorf("no match_found: %w", ctx.Err())
		}
	}
}

var hostileSources = func() []netip.Addr {
	var s []netip.Addr
	for i := range 16 {
		s = append(s, netip.AddrFrom4([4]byte{127, 0, 1, byte(i + 1)}))
	}
	return s
}()

// TestHostileLobbyFlood: 2,000 silent, slowloris, oversized, malformed and storming
// connections while 100 real players log in and get matched.
func TestHostileLobbyFlood(t *testing.T) {
	conns, storms, players := 2000, 400, 100
	if testing.Short() {
		conns, storms, players = 1000, 200, 50
	}
	raiseFDLimit(t, uint64(4*(conns+storms+players)+256))
	_, addr := startHostileLobby(t, hostileConfig())
	startHostileGameServer(t, addr, 2*players)
	heapBefore := heapInUse()

	// The lobby closes every hostile connection within a few seconds (hello deadline 1 s, idle
	// 2 s, rate-limit disconnects); the floods end each connection as soon as the lobby closes
	// it, so their generous 20 s window only matters on a starved machine (a whole-tree -race
	// run on 2 cores), where closes arrive late but must still arrive.
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	progress := &signalWriter{first: make(chan struct{})}
	sumc := make(chan flood.Summary, 2)
	errc := make(chan error, 2)
	// Two floods at once: the 2,000 silent and slowloris connections, and a storm of oversized,
	// malformed, unknown and too many messages from storms more connections.
	go func() {
		s, err := flood.Run(ctx, flood.Config{
			Lobby: addr, Conns: conns, Kinds: []flood.Kind{flood.Silent, flood.Slowloris}, SourceIPs: hostileSources,
			Duration: 20 * time.Second, SlowInterval: 100 * time.Millisecond, Progress: progress, Seed: 7,
		})
		errc <- err
		sumc <- s
	}()
	go func() {
		s, err := flood.Run(ctx, flood.Config{
			Lobby: addr, Conns: storms, Kinds: []flood.Kind{flood.HugeLine, flood.BadJSON, flood.Unknown, flood.Storm},
			SourceIPs: hostileSources[:4], Duration: 20 * time.Second, LineRate: 100, StormFor: time.Second, Seed: 8,
		})
		errc <- err
		sumc <- s
	}()
	select {
	case <-progress.first:
	case <-ctx.Done():
		t.Fatal("flood did not start")
	}
	// Sample the heap during the flood (bounded: every 100 ms until the players are done).
	heapPeak := uint64(0)
	sampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tk := time.NewTicker(100 * time.Millisecond)
		defer tk.Stop()
		for range 300 {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			heapPeak = max(heapPeak, ms.HeapInuse)
			select {
			case <-sampling:
				return
			case <-tk.C:
			}
		}
	}()

	waits := make([]time.Duration, players)
	errs := make([]error, players)
	var wg sync.WaitGroup
	for i := range players {
		wg.Go(func() { waits[i], errs[i] = hostilePlayer(ctx, addr, i) })
	}
	wg.Wait()
	close(sampling)
	<-sampled
	require.NoError(t, <-errc)
	require.NoError(t, <-errc)
	sum := <-sumc
	for k, v := range (<-sumc).Kinds {
		sum.Kinds[k] = v
	}
	heapAfter := heapInUse()

	var slowest time.Duration
	matched := 0
	for i, err := range errs {
		if assert.NoError(t, err, "player %d", i) {
			matched++
			slowest = max(slowest, waits[i])
		}
	}
	t.Logf("real players: %d/%d matched, slowest login→match_found %v", matched, players, slowest.Round(time.Millisecond))
	t.Logf("heap in use (lobby, players and flood in one process): before %.1f MiB, peak during flood %.1f MiB, after %.1f MiB",
		float64(heapBefore)/(1<<20), float64(heapPeak)/(1<<20), float64(heapAfter)/(1<<20))
	for _, k := range flood.TCPKinds {
		ks := sum.Kinds[k]
		t.Logf("  %-9s conns %4d closed by lobby %4d (with error code %4d) codes %v %s", k, ks.Conns, ks.Closed, ks.ClosedWithCode, ks.Codes, ks.Note)
	}

	assert.Equal(t, players, matched)
	assert.Less(t, heapAfter, heapBefore+32<<20, "heap grew by more than 32 MiB")
	assert.Less(t, heapPeak, uint64(256<<20), "peak heap over 256 MiB")
	total := uint64(0)
	for _, k := range flood.TCPKinds {
		ks := sum.Kinds[k]
		total += ks.Conns
		assert.Equal(t, ks.Conns, ks.Closed, "%s: every connection closed by the lobby", k)
		assert.Equal(t, ks.Conns, ks.ClosedWithCode, "%s: every connection told why", k)
	}
	assert.Equal(t, uint64(conns+storms), total, "every hostile connection was accepted")
	assert.Positive(t, sum.Kinds[flood.HugeLine].Codes[proto.CodeLineTooLong])
	assert.Positive(t, sum.Kinds[flood.Silent].Codes[proto.CodeHelloFirst])
	assert.Positive(t, sum.Kinds[flood.BadJSON].Codes[proto.CodeBadRequest])
	assert.Positive(t, sum.Kinds[flood.Unknown].Codes[proto.CodeHelloFirst]+sum.Kinds[flood.Unknown].Codes[proto.CodeUnknownType])
	assert.Positive(t, sum.Kinds[flood.Storm].Codes[proto.CodeRateLimited])
}

// dialLines connects and returns a line scanner on the connection.
func dialLines(t *testing.T, addr string) (net.Conn, *bufio.Scanner) {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { nc.Close() })
	return nc, bufio.NewScanner(nc)
}

// TestHostileLobbyJunkBeforeHello: PROTOCOL.md says a hello must arrive within the handshake
// timeout of connecting. A client that never says hello but sends one junk line before each
// deadline must still be closed (with hello_first) once the timeout after connecting has passed.
func TestHostileLobbyJunkBeforeHello(t *testing.T) {
	cfg := hostileConfig()
	cfg.HandshakeTimeout = 300 * time.Millisecond
	_, addr := startHostileLobby(t, cfg)
	nc, sc := dialLines(t, addr)
	lines := make(chan string, 64)
	go func() {
		defer close(lines)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	start := time.Now()
	tk := time.NewTicker(100 * time.Millisecond)
	defer tk.Stop()
	closed := false
	for i := 0; i < 30 && !closed; i++ { // 3 s, ten times the handshake timeout
		select {
		case _, ok := <-lines:
			if !ok {
				closed = true
			}
		case <-tk.C:
			_, _ = nc.Write([]byte("not json\n"))
		}
	}
	assert.True(t, closed, "a client that never said hello was still connected %v after connecting (handshake timeout %v)",
		time.Since(start).Round(time.Millisecond), cfg.HandshakeTimeout)
}

// TestHostileLobbyIdlePlayerGetsCode: a player closed for idling should be told why with an
// error code, like every other connection the lobby closes.
func TestHostileLobbyIdlePlayerGetsCode(t *testing.T) {
	cfg := hostileConfig()
	cfg.IdleTimeout = 300 * time.Millisecond
	_, addr := startHostileLobby(t, cfg)
	nc, sc := dialLines(t, addr)
	_, err := nc.Write([]byte(`{"type":"hello","id":1,"version":1,"name":"idler"}` + "\n"))
	require.NoError(t, err)
	require.NoError(t, nc.SetReadDeadline(time.Now().Add(5*time.Second)))
	var last string
	n := 0
	for sc.Scan() && n < 10 {
		last = sc.Text()
		n++
	}
	require.Positive(t, n, "no welcome")
	m, err := proto.Decode([]byte(last))
	require.NoError(t, err)
	assert.Equal(t, proto.TypeError, m.Type, "last line before the idle close: %s", last)
}

// TestHostileLobbyBadJSONIsRateLimited: lines that are not JSON cost the lobby a parse and an
// error reply each; they should count against the message rate like any other line.
func TestHostileLobbyBadJSONIsRateLimited(t *testing.T) {
	cfg := hostileConfig()
	cfg.MsgRate, cfg.MsgBurst = 5, 5
	_, addr := startHostileLobby(t, cfg)
	nc, sc := dialLines(t, addr)
	var b []byte
	for range 50 {
		b = append(b, "not json\n"...)
	}
	b = append(b, `{"type":"ping","id":99}`+"\n"...)
	_, err := nc.Write(b)
	require.NoError(t, err)
	require.NoError(t, nc.SetReadDeadline(time.Now().Add(5*time.Second)))
	codes := map[string]int{}
	for i := 0; i < 60 && sc.Scan(); i++ {
		m, err := proto.Decode(sc.Bytes())
		require.NoError(t, err)
		if m.ID == 99 {
			codes[m.Type+"/"+m.Code]++
			break
		}
		codes[m.Code]++
	}
	t.Logf("51 lines at once, rate 5/s burst 5: replies %v", codes)
	assert.Positive(t, codes[proto.CodeRateLimited], "invalid JSON lines are not rate limited")
}
