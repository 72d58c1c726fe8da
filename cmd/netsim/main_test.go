package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/skirmish-go/skirmish/netcode/netsim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMain lets the test binary stand in for the command: with
// NETSIM_TEST_MAIN=1 it runs main, so a test can signal a real process.
func TestMain(m *testing.M) {
	if os.Getenv("NETSIM_TEST_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

func udpEcho(t *testing.T) net.PacketConn {
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	wg.Go(func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			_, _ = c.WriteTo(buf[:n], from)
		}
	})
	t.Cleanup(func() { c.Close(); wg.Wait() })
	return c
}

// pingAll sends count datagrams to addr and counts the echoes that come
// back within idle of each other.
func pingAll(t *testing.T, addr net.Addr, count int) int {
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(t, err)
	defer c.Close()
	_ = c.(*net.UDPConn).SetReadBuffer(1 << 20)
	for i := range count {
		_, err := c.WriteTo([]byte{byte(i)}, addr)
		require.NoError(t, err)
		if i%25 == 24 {
			time.Sleep(time.Millisecond) // pace: stay inside socket buffers
		}
	}
	got := 0
	buf := make([]byte, 64)
	for got < 2*count {
		require.NoError(t, c.SetReadDeadline(time.Now().Add(300*time.Millisecond)))
		if _, _, err := c.ReadFrom(buf); err != nil {
			break
		}
		got++
	}
	return got
}

func TestRunJSON(t *testing.T) {
	base := runtime.NumGoroutine()
	srv := udpEcho(t)
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan net.Addr, 1)
	var stdout, stderr bytes.Buffer
	codec := make(chan int, 1)
	go func() {
		codec <- run(ctx, []string{"-listen", "127.0.0.1:0", "-target", srv.LocalAddr().String(),
			"-loss", "0.25", "-latency", "2ms", "-jitter", "1ms", "-seed", "7", "-json"},
			&stdout, &stderr, func(a net.Addr) { addrc <- a })
	}()
	var addr net.Addr
	select {
	case addr = <-addrc:
	case <-time.After(5 * time.Second):
		t.Fatalf("proxy not ready: %s", stderr.String())
	}
	got := pingAll(t, addr, 400)
	cancel()
	select {
	case code := <-codec:
		require.Equal(t, 0, code, stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after cancel")
	}
	var st netsim.ProxyStats
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &st), stdout.String())
	t.Logf("400 pings, %d echoes; %s", got, stdout.String())
	assert.InDelta(t, 400, st.ClientToServer.Packets, 4) // loopback may drop a few under load
	assert.InDelta(t, 0.25, float64(st.ClientToServer.Dropped)/float64(st.ClientToServer.Packets), 0.06)
	assert.Equal(t, st.ClientToServer.Delivered, st.ServerToClient.Packets)
	assert.Equal(t, uint64(got), st.ServerToClient.Delivered)
	assert.Equal(t, uint64(1), st.Sessions)
	assert.Contains(t, stdout.String(), `"client_to_server"`)

	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > base+1 && time.Now().Before(deadline); {
		<-tick.C // polling for goroutines to finish; +1 for the echo server, stopped in Cleanup
	}
	assert.LessOrEqual(t, runtime.NumGoroutine(), base+1)
}

func TestRunFlags(t *testing.T) {
	for _, args := range [][]string{
		{}, // no -target
		{"-target", "127.0.0.1:1", "-loss", "1.5"},
		{"-target", "127.0.0.1:1", "-latency", "-1s"},
		{"-target", "127.0.0.1:1", "extra"},
		{"-nonsense"},
	} {
		var out, errb bytes.Buffer
		assert.Equal(t, 2, run(context.Background(), args, &out, &errb, nil), "%q", args)
		assert.Empty(t, out.String())
	}
	var out, errb bytes.Buffer
	assert.Equal(t, 1, run(context.Background(), []string{"-target", "127.0.0.1:1", "-listen", "256.0.0.1:0"}, &out, &errb, nil))
}

// TestSignalExit runs the real main in a child process and stops it with
// SIGINT and with SIGTERM: both exit 0 after printing the counts.
func TestSignalExit(t *testing.T) {
	srv := udpEcho(t)
	listenRE := regexp.MustCompile(`listen=(\S+)`)
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-listen", "127.0.0.1:0", "-target", srv.LocalAddr().String())
			cmd.Env = append(os.Environ(), "NETSIM_TEST_MAIN=1")
			var stdout bytes.Buffer
			cmd.Stdout = &stdout
			stderr, err := cmd.StderrPipe()
			require.NoError(t, err)
			require.NoError(t, cmd.Start())
			sc := bufio.NewScanner(stderr)
			var addr string
			for addr == "" && sc.Scan() {
				if m := listenRE.FindStringSubmatch(sc.Text()); m != nil {
					addr = m[1]
				}
			}
			require.NotEmpty(t, addr, "no serving line on stderr")
			go func() { _, _ = bufio.NewReader(stderr).WriteTo(new(bytes.Buffer)) }()
			ua, err := net.ResolveUDPAddr("udp", addr)
			require.NoError(t, err)
			assert.Equal(t, 10, pingAll(t, ua, 10))

			require.NoError(t, cmd.Process.Signal(sig))
			require.NoError(t, cmd.Wait(), "exit status")
			assert.Contains(t, stdout.String(), "client->server  packets 10 ")
			assert.Contains(t, stdout.String(), "server->client  packets 10 ")
		})
	}
}
