package peercmp

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseStatCPU(t *testing.T) {
	// A command name with spaces and parentheses; utime 250, stime 50 ticks.
	stat := "4242 (my (odd) server) S 1 4242 4242 0 -1 4194560 900 0 0 0 250 50 0 0 20 0 9 0 1234 0 0"
	got, err := parseStatCPU(stat)
	require.NoError(t, err)
	assert.InDelta(t, 3.0, got, 1e-9)
	_, err = parseStatCPU("4242 (x) S 1 2")
	require.Error(t, err)
	_, err = parseStatCPU("no name")
	require.Error(t, err)

	self, err := cpuSeconds(os.Getpid())
	require.NoError(t, err, "this process's own /proc entry")
	assert.GreaterOrEqual(t, self, 0.0)
}

func TestParseColyseus(t *testing.T) {
	out := []byte(`npm notice something
{"peer":"colyseus","clients":16,"down_bytes_per_s":6287.5,"msgs_per_s":30.1}
{"server_cpu_s_per_s":0.036}
`)
	down, cpu, err := parseColyseus(out)
	require.NoError(t, err)
	assert.Equal(t, 6287.5, down)
	assert.Equal(t, 0.036, cpu)
	_, _, err = parseColyseus([]byte(`{"peer":"colyseus","down_bytes_per_s":1}`))
	require.Error(t, err, "no CPU line")
}

func TestCheckNamesWhatIsMissing(t *testing.T) {
	o := Options{Root: t.TempDir(), PeerDir: filepath.Join(t.TempDir(), "nowhere")}
	err := o.Check()
	require.ErrorIs(t, err, ErrNoPeerDir)
	assert.Contains(t, err.Error(), "nowhere")

	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "colyseus"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "colyseus", "run.sh"), []byte("#!/bin/sh\n"), 0o755))
	t.Setenv("PATH", t.TempDir()) // no node, no npm
	o = Options{Root: t.TempDir(), PeerDir: dir}
	require.ErrorIs(t, o.Check(), ErrNoNode)

	t.Setenv(PeersEnv, dir)
	o = Options{Root: t.TempDir()}
	require.NoError(t, o.defaults())
	assert.Equal(t, dir, o.PeerDir, "$SKIRMISH_PEERS")
}

func TestTableAndJSON(t *testing.T) {
	rows := []Row{{Players: 16, SkirmishDownBytesPerS: 900, ColyseusDownBytesPerS: 6000, BytesRatio: ratio(900, 6000),
		SkirmishCores: 0.025, FloorCores: 0.02, ColyseusCores: 0.036, CPURatioVsFloor: ratio(0.025, 0.02), SkirmishUpDatagramsPerS: 3}}
	assert.Equal(t, 0.15, rows[0].BytesRatio)
	assert.Equal(t, 1.25, rows[0].CPURatioVsFloor)
	assert.Zero(t, ratio(1, 0))
	var buf bytes.Buffer
	WriteTable(&buf, rows)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 2)
	assert.Contains(t, lines[0], "cpu ÷ floor")
	assert.Contains(t, lines[1], "0.150")
	var v struct {
		Seconds int              `json:"seconds"`
		Results []map[string]any `json:"results"`
	}
	require.NoError(t, json.Unmarshal(JSON(20, rows), &v))
	assert.Equal(t, 20, v.Seconds)
	for _, k := range []string{"skirmish_down_bytes_per_s", "colyseus_down_bytes_per_s", "bytes_ratio", "skirmish_cores",
		"floor_cores", "colyseus_cores", "cpu_ratio_vs_floor"} {
		assert.Contains(t, v.Results[0], k)
	}
}
