package faults

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cmd/server -cpuprofile FILE -pprof: /debug/pprof/ answers on the HTTP address while it runs,
// and SIGTERM leaves a complete CPU profile (a gzipped profile.proto) in FILE before exit 0.
func TestServerCPUProfileFlushedOnSIGTERM(t *testing.T) {
	prof := filepath.Join(t.TempDir(), "cpu.pprof")
	httpAddr := loop(freePort(t, "tcp"))
	p := start(t, "server-profile", bins.server, "-addr", loop(freePort(t, "tcp")), "-game-addr", loop(freePort(t, "udp")),
		"-http-addr", httpAddr, "-key", keyHex, "-log-level", "warn", "-cpuprofile", prof, "-pprof")
	p.waitLine("skirmish: ready", 20*time.Second)

	for _, path := range []string{"/debug/pprof/", "/debug/pprof/cmdline", "/debug/pprof/goroutine?debug=1"} {
		code, body := httpGet("http://" + httpAddr + path)
		assert.Equal(t, http.StatusOK, code, path)
		assert.NotEmpty(t, body, path)
	}
	st, err := os.Stat(prof)
	require.NoError(t, err, "the profile file is created at start")

	p.signal(syscall.SIGTERM)
	require.Equal(t, 0, p.exit(30*time.Second), "exit status")
	b, err := os.ReadFile(prof)
	require.NoError(t, err)
	require.Greater(t, len(b), int(st.Size()), "SIGTERM flushed the profile")
	zr, err := gzip.NewReader(bytes.NewReader(b))
	require.NoError(t, err, "the profile is gzipped profile.proto")
	raw, err := io.ReadAll(zr)
	require.NoError(t, err, "the profile is complete")
	assert.NotEmpty(t, raw)
}

// Without -pprof the profiling endpoints are not served.
func TestServerPprofOffByDefault(t *testing.T) {
	httpAddr := loop(freePort(t, "tcp"))
	p := start(t, "server-nopprof", bins.server, "-addr", loop(freePort(t, "tcp")), "-game-addr", loop(freePort(t, "udp")),
		"-http-addr", httpAddr, "-key", keyHex, "-log-level", "warn")
	p.waitLine("skirmish: ready", 20*time.Second)
	code, _ := httpGet("http://" + httpAddr + "/debug/pprof/")
	assert.Equal(t, http.StatusNotFound, code)
	p.signal(syscall.SIGTERM)
	require.Equal(t, 0, p.exit(30*time.Second), "exit status")
}

// cmd/lobby and cmd/gameserver serve pprof on their own HTTP addresses with -pprof.
func TestLobbyAndGameServerPprof(t *testing.T) {
	lobbyHTTP := loop(freePort(t, "tcp"))
	lp, addr := startLobby(t, "lobby-pprof", "-http-addr", lobbyHTTP, "-pprof")
	lp.waitLine("lobby metrics on http://", 10*time.Second)
	gameHTTP := loop(freePort(t, "tcp"))
	gp, _ := startGameServer(t, "gs-pprof", addr, "-http-addr", gameHTTP, "-pprof")
	gp.waitLine("gameserver: http://", 10*time.Second)
	for _, u := range []string{"http://" + lobbyHTTP + "/debug/pprof/", "http://" + gameHTTP + "/debug/pprof/",
		"http://" + lobbyHTTP + "/metrics", "http://" + gameHTTP + "/status"} {
		code, _ := httpGet(u)
		assert.Equal(t, http.StatusOK, code, u)
	}
}
