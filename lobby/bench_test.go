package lobby

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/lobby/proto"
)

// BenchmarkQueue10k queues 10,000 players (through the store, as the lobby does) and runs
// matchmaker passes until every one has a match_found; it reports the wall time to form all
// matches (the last few outliers wait until the rating window has widened enough), the time
// of the first pass and how many it placed. Run it explicitly:
//
//	go test ./lobby -run '^$' -bench Queue10k -benchtime 3x
func BenchmarkQueue10k(b *testing.B) {
	const n = 10000
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		cfg := testConfig()
		cfg.HeartbeatTimeout = time.Hour
		cfg.SkillWindowMax = 1e6 // outliers pair with somebody eventually
		srv := New(cfg)
		ctx := context.Background()
		var found atomic.Int64
		stop, err := srv.store.Subscribe(ctx, func(ev Event) {
			if ev.Msg.Type == proto.TypeMatchFound {
				found.Add(1)
			}
		})
		require.NoError(b, err)
		now := time.Now()
		for i := range 20 {
			require.NoError(b, srv.store.PutServer(ctx, ServerInfo{Name: fmt.Sprintf("gs%d", i), Region: "eu",
				Addr: fmt.Sprintf("127.0.0.1:%d", 7001+i), Transport: "udp", Capacity: 1000, LastSeen: now}))
		}
		rng := rand.New(rand.NewPCG(1, 2))
		for i := range n {
			require.NoError(b, srv.store.Enqueue(ctx, QueueTicket{PlayerID: uint64(i + 1), Name: "p" + strconv.Itoa(i),
				Mode: "duel", Region: "eu", Rating: 1500 + rng.NormFloat64()*300, RD: 350,
				Since: now.Add(-time.Duration(rng.IntN(30)) * time.Second)}))
		}
		b.StartTimer()
		start := time.Now()
		passes := 0
		var first time.Duration
		var firstFound int64
		for found.Load() < n && time.Since(start) < 20*time.Second {
			srv.matchOnce(ctx)
			if passes == 0 {
				first, firstFound = time.Since(start), found.Load()
			}
			passes++
		}
		elapsed := time.Since(start)
		b.StopTimer()
		require.EqualValues(b, n, found.Load())
		b.ReportMetric(float64(elapsed.Milliseconds()), "ms/10k-players")
		b.ReportMetric(float64(passes), "passes")
		b.ReportMetric(float64(first.Milliseconds()), "first-pass-ms")
		b.ReportMetric(float64(firstFound), "matched-in-first-pass")
		stop()
		b.StartTimer()
	}
}

// BenchmarkConnections10k holds 10,000 lobby connections that have said hello (dialled from a
// child process, since the file descriptor limit is per process) and reports the lobby's
// memory per connection. Run it explicitly:
//
//	go test ./lobby -run '^$' -bench Connections10k -benchtime 1x
func BenchmarkConnections10k(b *testing.B) {
	const n = 10000
	b.ReportAllocs()
	for b.Loop() {
		cfg := testConfig()
		cfg.MaxConns = n + 100
		cfg.MaxConnsPerIP = -1
		cfg.MsgRate = 1e6
		srv, addr := startLobby(b, cfg)
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)

		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperDialer$")
		cmd.Env = append(os.Environ(), "SKIRMISH_DIALER_ADDR="+addr, "SKIRMISH_DIALER_N="+strconv.Itoa(n))
		stdin, err := cmd.StdinPipe()
		require.NoError(b, err)
		stdout, err := cmd.StdoutPipe()
		require.NoError(b, err)
		cmd.Stderr = os.Stderr
		require.NoError(b, cmd.Start())
		sc := bufio.NewScanner(stdout)
		ready := false
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "READY") {
				ready = true
				break
			}
		}
		require.True(b, ready, "dialer did not get ready")
		srv.mu.Lock()
		held := len(srv.conns)
		srv.mu.Unlock()
		runtime.GC()
		runtime.ReadMemStats(&after)
		stdin.Close()
		_ = cmd.Wait()
		require.Equal(b, n, held)
		heap := float64(after.HeapInuse+after.StackInuse) - float64(before.HeapInuse+before.StackInuse)
		b.ReportMetric(heap/n, "bytes/conn")
		b.ReportMetric((float64(after.StackInuse)-float64(before.StackInuse))/n, "stack-bytes/conn")
		b.ReportMetric(float64(after.NumGC), "gcs")
	}
}

// TestHelperDialer is the child process of BenchmarkConnections10k; without its environment
// it does nothing.
func TestHelperDialer(t *testing.T) {
	addr := os.Getenv("SKIRMISH_DIALER_ADDR")
	if addr == "" {
		return
	}
	n, err := strconv.Atoi(os.Getenv("SKIRMISH_DIALER_N"))
	require.NoError(t, err)
	conns := make([]net.Conn, 0, n)
	buf := make([]byte, 4096)
	for i := range n {
		nc, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		_, err = fmt.Fprintf(nc, `{"type":"hello","id":1,"version":1,"name":"bot%d"}`+"\n", i)
		require.NoError(t, err)
		require.NoError(t, nc.SetReadDeadline(time.Now().Add(10*time.Second)))
		k, err := nc.Read(buf)
		require.NoError(t, err)
		require.Contains(t, string(buf[:k]), `"welcome"`)
		conns = append(conns, nc)
	}
	fmt.Println("READY", len(conns))
	_, _ = io.Copy(io.Discard, os.Stdin) // hold until the parent closes stdin
	for _, c := range conns {
		c.Close()
	}
}
