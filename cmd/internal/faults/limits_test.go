package faults

import (
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/lobby/proto"
)

// cmd/lobby started with a hard limit of 256 open files raises its soft limit to it, clamps
// -max-conns (default 20000) to 192 and says so; connection 193 gets server_full, the lobby
// never runs out of descriptors (no accept errors) and still serves once one closes.
func TestLobbyClampsMaxConnsToFileLimit(t *testing.T) {
	const nofile, fit = 256, 192
	addr, httpAddr := loop(freePort(t, "tcp")), loop(freePort(t, "tcp"))
	p := start(t, "lobby", "/bin/sh", "-c", `ulimit -n 256 && exec "$0" "$@"`, bins.lobby,
		"-addr", addr, "-http-addr", httpAddr, "-key", keyHex, "-max-conns-per-ip", "-1")
	p.waitLine("lobby listening on tcp://", 20*time.Second)
	metrics := "http://" + httpAddr + "/metrics"

	conns := make([]net.Conn, 0, fit)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range fit {
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		conns = append(conns, c)
	}
	eventually(t, 10*time.Second, "192 connections open", func() bool { return metric(metrics, "skirmish_lobby_connections") == fit })

	refusedCode := func() string {
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		defer c.Close()
		require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
		lr := proto.NewLineReader(c, 0)
		line, err := lr.ReadLine()
		require.NoError(t, err)
		m, err := proto.Decode(line)
		require.NoError(t, err)
		return m.Code
	}
	for range 20 { // well past the limit: every one is refused politely
		require.Equal(t, proto.CodeServerFull, refusedCode())
	}
	// One leaves; a player gets in again.
	conns[0].Close()
	conns = conns[1:]
	eventually(t, 10*time.Second, "a slot frees", func() bool { return metric(metrics, "skirmish_lobby_connections") == fit-1 })
	player(t, addr, "late")
	stderr := p.stderr.String()
	assert.Contains(t, stderr, "max connections clamped to the open file limit")
	assert.Contains(t, stderr, "max_conns=192")
	assert.NotContains(t, stderr, "lobby: accept", "no accept errors: descriptors never ran out")
	t.Logf("lobby with RLIMIT_NOFILE %d: max conns clamped to %d; 20 connections over it refused with server_full, 0 accept errors; %d rejected in all",
		nofile, fit, int(metric(metrics, `skirmish_lobby_connections_rejected_total{reason="max_conns"}`)))
}
