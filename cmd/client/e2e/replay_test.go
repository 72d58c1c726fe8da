package e2e

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/client/playback/playbacktest"
	"github.com/skirmish-go/skirmish/client/render/view"
)

// needDisplay fails a test that runs the real client without an X display.
func needDisplay(t *testing.T) {
	t.Helper()
	if os.Getenv("DISPLAY") == "" {
		t.Fatal("DISPLAY is not set: this test runs the real Ebiten client, which needs an X display. " +
			"Run it under a virtual one: xvfb-run -a go test ./cmd/client/e2e")
	}
}

// runClient runs the built client with args for at most limit and returns its output and
// exit code.
func runClient(t *testing.T, bin string, limit time.Duration, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	require.NoError(t, ctx.Err(), "the client ran past %v; its output:\n%s", limit, out)
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(out), ee.ExitCode()
	}
	require.NoError(t, err)
	return string(out), 0
}

// TestClientReplayScreenshot is the acceptance run of the replay screen: a team match of
// eight bots recorded with the replay package's writer, then cmd/client -replay FILE
// -screenshot out.png -after 5s; the frame it saves must show the match.
func TestClientReplayScreenshot(t *testing.T) {
	needDisplay(t)
	bin := buildClient(t)
	file, err := playbacktest.Record(playbacktest.Match{Mode: "teams", Players: 8, Seconds: 60, Seed: 3})
	require.NoError(t, err)
	dir := t.TempDir()
	rp, shot := filepath.Join(dir, "match.replay"), filepath.Join(dir, "replay.png")
	require.NoError(t, os.WriteFile(rp, file, 0o644))

	start := time.Now()
	out, code := runClient(t, bin, 90*time.Second, "-replay", rp, "-screenshot", shot, "-after", "5s")
	t.Logf("client ran %.1f s; its output:\n%s", time.Since(start).Seconds(), out)
	if *keepShot != "" {
		if b, err := os.ReadFile(shot); err == nil {
			require.NoError(t, os.WriteFile(*keepShot, b, 0o644))
		}
	}
	require.Equal(t, 0, code, "cmd/client -replay -screenshot")
	require.NoError(t, view.CheckMatchScreenshotFile(shot))
}

// A missing, corrupt or truncated replay is one line on stderr and exit 1, at once and
// without a window (so no screenshot either).
func TestClientReplayBadFile(t *testing.T) {
	needDisplay(t)
	bin := buildClient(t)
	dir := t.TempDir()
	file, err := playbacktest.Record(playbacktest.Match{Seconds: 2})
	require.NoError(t, err)
	corrupt := bytes.Clone(file)
	corrupt[len(corrupt)/2] ^= 0xff
	for name, content := range map[string][]byte{
		"missing.replay":   nil,
		"corrupt.replay":   corrupt,
		"truncated.replay": file[:len(file)*2/3],
		"notes.txt":        []byte("not a replay\n"),
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			if content != nil {
				require.NoError(t, os.WriteFile(path, content, 0o644))
			}
			shot := filepath.Join(dir, name+".png")
			out, code := runClient(t, bin, 30*time.Second, "-replay", path, "-screenshot", shot)
			assert.Equal(t, 1, code, "output: %s", out)
			lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
			assert.Len(t, lines, 1, "one line: %q", out)
			assert.True(t, strings.HasPrefix(out, "client: ") && strings.Contains(out, path), "names the file: %q", out)
			assert.NotContains(t, out, "panic")
			assert.NoFileExists(t, shot, "no window, no frame")
		})
	}
}
