package main

import (
	"io"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// README's lobby limits table gives cmd/server's own default for connections per address,
// which differs from cmd/lobby's, and says why.
func TestReadmeStatesPerIPDefault(t *testing.T) {
	o, err := parseFlags(nil, io.Discard)
	require.NoError(t, err)
	b, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	var row string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "| per source |") {
			row = line
		}
	}
	require.NotEmpty(t, row, "README has no per-source row in its limits table")
	assert.Contains(t, row, "`-max-conns-per-ip` 256", "cmd/lobby's default")
	assert.Contains(t, row, "`cmd/server` defaults to "+strconv.Itoa(o.maxConnsPerIP), "cmd/server's default")
	assert.Contains(t, row, "because", "and why they differ")
}
