package compare

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/client/bot"
)

// TestRunBothTransports plays a short duel over each transport at one loss rate on fresh
// in-process stacks and prints the table.
func TestRunBothTransports(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	var progress bytes.Buffer
	rows, err := Run(ctx, Options{N: 2, Mode: "duel", Duration: 1500 * time.Millisecond, Losses: []float64{0.1},
		Latency: 10 * time.Millisecond, Jitter: 5 * time.Millisecond, Progress: &progress})
	require.NoError(t, err)
	require.Len(t, rows, 2)
	assert.Equal(t, "udp", rows[0].Transport)
	assert.Equal(t, "kcp", rows[1].Transport)
	for _, r := range rows {
		assert.True(t, r.Summary.OK(), "%s: %v", r.Transport, r.Summary.Errors)
		assert.Equal(t, 0.1, r.Loss)
		assert.Greater(t, r.Summary.DownBytesPerS, 0.0)
		assert.Greater(t, r.Summary.StateAgeMsP50, 0.0)
	}
	require.NoError(t, Check(rows))
	var out bytes.Buffer
	require.NoError(t, WriteTable(&out, rows))
	t.Logf("\n%s", out.String())
	assert.Contains(t, out.String(), "state age p50 ms")
	assert.Contains(t, out.String(), "kcp")
	assert.Contains(t, progress.String(), "compare: kcp at 10% loss")
}

func TestCheckReportsFailedRuns(t *testing.T) {
	rows := []Row{{Transport: "kcp", Loss: 0.3, Summary: bot.Summary{Bots: 2, Matched: 1, Failed: 1, Errors: []string{"b1: boom"}}}}
	err := Check(rows)
	require.ErrorIs(t, err, ErrRunFailed)
	assert.ErrorContains(t, err, "boom")
	assert.Equal(t, DefaultLosses, Options{}.WithDefaults().Losses)
}
