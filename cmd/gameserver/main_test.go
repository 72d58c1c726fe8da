package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunServesAndStopsOnSignal(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-http-addr", "127.0.0.1:0", "-region", "test"},
			func(k string) string {
				if k == "SKIRMISH_KEY" {
					return strings.Repeat("ab", 32)
				}
				return ""
			}, pw, io.Discard)
		pw.Close()
	}()
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var httpURL string
	timeout := time.After(10 * time.Second)
	for httpURL == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("run ended early: %v", <-done)
			}
			if _, rest, ok := strings.Cut(l, "http://"); ok {
				httpURL = "http://" + strings.Fields(rest)[0]
				httpURL = strings.TrimSuffix(httpURL, "/status")
			} else {
				assert.Contains(t, l, "gameserver: game udp://127.0.0.1:")
			}
		case <-timeout:
			t.Fatal("no listen lines")
		}
	}
	resp, err := http.Get(httpURL + "/status")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, string(body), `"region":"test"`)

	cancel() // SIGTERM
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(20 * time.Second):
		t.Fatal("run did not stop")
	}
	for range lines {
	}
}

func TestFlags(t *testing.T) {
	o, err := parseFlags(nil, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:7001", o.addr)
	assert.Equal(t, "127.0.0.1:7002", o.httpAddr)
	assert.Equal(t, 60, o.tick)
	o, err = parseFlags([]string{"-transport", "kcp", "-kcp-fec", "10,3"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "kcp", o.transport)
	assert.Equal(t, 10, o.kcpFEC.DataShards)
	_, err = parseFlags([]string{"-transport", "tcp"}, io.Discard)
	require.Error(t, err)
	_, err = parseFlags([]string{"-kcp-fec", "x"}, io.Discard)
	require.Error(t, err)
	err = run(t.Context(), []string{"-key", "zz"}, func(string) string { return "" }, io.Discard, io.Discard)
	require.Error(t, err)
}

func TestGameFlag(t *testing.T) {
	o, err := parseFlags(nil, io.Discard)
	require.NoError(t, err)
	require.Equal(t, "arena", o.game)
	_, err = parseFlags([]string{"-game", "chess"}, io.Discard)
	require.ErrorContains(t, err, `-game "chess": want one of arena`)
}
