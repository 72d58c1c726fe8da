package e2e

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestClientWithoutDisplay runs the built client with no display: -h prints the usage and
// exits 0, no flags (and a display that does not exist) say so in one line and exit 1, and
// never a panic from Ebiten's start-up.
func TestClientWithoutDisplay(t *testing.T) {
	bin := buildClient(t)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DISPLAY=") {
			env = append(env, kv)
		}
	}
	run := func(extraEnv []string, args ...string) (string, int) {
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = append(env[:len(env):len(env)], extraEnv...)
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return string(out), ee.ExitCode()
		}
		require.NoError(t, err)
		return string(out), 0
	}

	out, code := run(nil, "-h")
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "Usage of client:")
	assert.Contains(t, out, "-lobby address")
	assert.NotContains(t, out, "panic")

	out, code = run(nil)
	assert.Equal(t, 1, code, out)
	assert.Equal(t, "client: no display (DISPLAY is not set); the client needs an X display to open its window "+
		"(on a machine without one, run it under xvfb-run -a)\n", out)

	out, code = run([]string{"DISPLAY=:64999"}, "-name", "ada")
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "cannot open display :64999")
	assert.Equal(t, 1, strings.Count(out, "\n"), "one line: %q", out)
}
