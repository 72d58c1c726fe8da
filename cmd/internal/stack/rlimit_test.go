package stack

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConnsForFileLimit(t *testing.T) {
	assert.Equal(t, 0, ConnsForFileLimit(0))
	assert.Equal(t, 192, ConnsForFileLimit(256))
	assert.Equal(t, 896, ConnsForFileLimit(1024))
	assert.Equal(t, 1048576-131072, ConnsForFileLimit(1<<20))
	assert.Equal(t, 1, ConnsForFileLimit(10))
}

func TestRaiseFileLimit(t *testing.T) {
	n, err := raiseFileLimit()
	require.NoError(t, err)
	t.Logf("open file limit %d, lobby connections fit: %d", n, ConnsForFileLimit(n))
}
