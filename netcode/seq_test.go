package netcode

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSequenceCompare(t *testing.T) {
	tests := []struct {
		a, b uint16
		gt   bool
	}{
		{1, 0, true}, {0, 1, false}, {0, 0, false},
		{0, 65535, true}, {65535, 0, false},
		{32767, 0, true}, {32768, 0, false}, {0, 32768, false}, {32768, 1, true}, {1, 32768, false},
		{100, 65500, true}, {65500, 100, false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.gt, SequenceGreaterThan(tt.a, tt.b), "%d > %d", tt.a, tt.b)
		if tt.a != tt.b && tt.a-tt.b != 1<<15 {
			assert.Equal(t, tt.gt, SequenceLessThan(tt.b, tt.a), "%d < %d", tt.b, tt.a)
		}
	}
	// Every successor is greater, all the way round.
	for s := range 1 << 16 {
		require.True(t, SequenceGreaterThan(uint16(s+1), uint16(s)))
	}
}

func TestSequenceBuffer(t *testing.T) {
	b := NewSequenceBuffer[int](100) // rounded to 128
	assert.Equal(t, 128, b.Size())
	assert.Nil(t, b.Find(0))
	*b.Insert(65530) = 1
	assert.Equal(t, uint16(65531), b.Sequence())
	*b.Insert(2) = 2 // across the wrap; clears 65531..1
	assert.Equal(t, uint16(3), b.Sequence())
	require.NotNil(t, b.Find(65530))
	assert.Equal(t, 1, *b.Find(65530))
	assert.Equal(t, 2, *b.Find(2))
	assert.False(t, b.Exists(0))
	*b.Insert(0) = 3 // older, within the window
	assert.Equal(t, uint16(3), b.Sequence())
	assert.True(t, b.Exists(0))
	assert.Nil(t, b.Insert(65536+2-128), "older than the window")
	assert.NotNil(t, b.Insert(65536+2-127))
	b.Remove(2)
	assert.False(t, b.Exists(2))
	assert.Nil(t, b.Find(2+128), "slot owner is checked")
	*b.Insert(2 + 1000) = 4 // far ahead: everything else cleared
	assert.False(t, b.Exists(65530))
	assert.False(t, b.Exists(0))
	assert.Equal(t, 4, *b.Find(1002))
	assert.Zero(t, *b.Insert(1002), "insert resets the entry")
	b.Reset()
	assert.False(t, b.Exists(1002))
	assert.Panics(t, func() { NewSequenceBuffer[int](0) })
	assert.Panics(t, func() { NewSequenceBuffer[int](1<<15 + 1) })
}
