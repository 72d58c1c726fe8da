package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/cmd/client/internal/needdisplay"
	"github.com/skirmish-go/skirmish/netcode/kcp"
)

// The package links Ebiten, which needs a display at init: run under xvfb-run -a (CI does).

func TestParseFlags(t *testing.T) {
	o, err := parseFlags(nil, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:7000", o.backend.Lobby)
	assert.False(t, o.render.AutoConnect, "no name: the name entry screen asks for one")
	assert.Zero(t, o.render.ScreenshotTimeout)

	o, err = parseFlags([]string{"-name", "Ada", "-lobby", "10.0.0.1:7000"}, io.Discard)
	require.NoError(t, err)
	assert.True(t, o.render.AutoConnect, "a name connects at once")
	assert.Equal(t, "Ada", o.render.Name)
	assert.Equal(t, "10.0.0.1:7000", o.render.Lobby)
	assert.False(t, o.render.AfterMatch)

	o, err = parseFlags([]string{"-autoplay", "-screenshot", "m.png", "-after", "10s", "-mode", "duel"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "autoplay", o.backend.Name)
	assert.True(t, o.render.AutoConnect)
	assert.True(t, o.render.Autoplay)
	assert.False(t, o.render.AutoQuickMatch, "the core queues by itself")
	assert.True(t, o.render.AfterMatch)
	assert.True(t, o.render.ActionShot)
	assert.Equal(t, 10*time.Second, o.render.After)
	assert.Equal(t, 2*time.Minute, o.render.ScreenshotTimeout)

	o, err = parseFlags([]string{"-demo", "-autoplay"}, io.Discard)
	require.NoError(t, err)
	assert.False(t, o.render.AutoConnect, "the demo starts its match itself")
	assert.True(t, o.render.AutoQuickMatch, "and needs the Game to queue after results")

	o, err = parseFlags([]string{"-transport", "kcp", "-kcp-fec", "10,3"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "kcp", o.backend.Transport)
	assert.Equal(t, 3, o.backend.KCPFEC.ParityShards)
	_, err = parseFlags([]string{"-transport", "tcp"}, io.Discard)
	assert.ErrorIs(t, err, errUsage)
	_, err = parseFlags([]string{"extra"}, io.Discard)
	assert.ErrorIs(t, err, errUsage)

	o, err = parseFlags([]string{"-replay", "m.replay", "-screenshot", "r.png", "-after", "5s"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "m.replay", o.replay)
	assert.False(t, o.render.AutoConnect, "a replay needs no lobby")
	assert.True(t, o.render.AfterMatch, "-after counts from the replay's first frame")
	assert.True(t, o.render.ActionShot)
	_, err = parseFlags([]string{"-replay", "m.replay", "-demo"}, io.Discard)
	assert.ErrorIs(t, err, errUsage)
}

func TestSessionConfig(t *testing.T) {
	c, err := sessionConfig(backendConfig{Mode: "duel", Autoplay: true})
	require.NoError(t, err)
	require.NotEmpty(t, c.Modes)
	assert.Equal(t, "duel", c.Modes[0], "-mode is the session's default")
	assert.Equal(t, 1, countOf(c.Modes, "duel"))
	assert.True(t, c.AutoQueue)
	assert.NotNil(t, c.Autoplay)
	assert.Nil(t, c.TLS)

	c, err = sessionConfig(backendConfig{TLS: true})
	require.NoError(t, err)
	require.NotNil(t, c.TLS)
	assert.False(t, c.AutoQueue)
	assert.Nil(t, c.Autoplay)

	c, err = sessionConfig(backendConfig{Transport: "kcp", KCPFEC: kcp.FEC{DataShards: 10, ParityShards: 3}})
	require.NoError(t, err)
	assert.Equal(t, "kcp", c.Dial.Force)
	assert.Equal(t, 10, c.Dial.KCP.FEC.DataShards)

	bad := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(bad, []byte("not a certificate"), 0o600))
	_, err = sessionConfig(backendConfig{TLSCA: bad})
	assert.ErrorContains(t, err, "no PEM certificate")
}

func countOf(list []string, s string) int {
	n := 0
	for _, v := range list {
		if v == s {
			n++
		}
	}
	return n
}

var update = flag.Bool("update", false, "rewrite internal/needdisplay/usage.go from the flags")

// TestNoDisplayUsage: package needdisplay prints the usage when there is no display (before
// Ebiten's init would panic); it must be the flag set's own -h output.
func TestNoDisplayUsage(t *testing.T) {
	var buf bytes.Buffer
	_, err := parseFlags([]string{"-h"}, &buf)
	require.ErrorIs(t, err, flag.ErrHelp)
	if *update {
		src, err := os.ReadFile("internal/needdisplay/usage.go")
		require.NoError(t, err)
		i := bytes.Index(src, []byte("const Usage = "))
		require.Positive(t, i)
		out := append(src[:i:i], fmt.Sprintf("const Usage = %s\n", strconv.Quote(buf.String()))...)
		require.NoError(t, os.WriteFile("internal/needdisplay/usage.go", out, 0o644))
		return
	}
	assert.Equal(t, buf.String(), needdisplay.Usage, "regenerate with -update")
}
