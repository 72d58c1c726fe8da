package wire

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ParseInputInto decodes what ParseInput decodes, into the caller's array, allocating nothing.
func TestParseInputIntoReusesTheArray(t *testing.T) {
	in := Input{AckTick: 77, FirstSeq: 65534, Inputs: [][]byte{{1, 2}, {3}, {}, {4, 5, 6}}}
	b, err := in.Append(nil)
	require.NoError(t, err)
	arr := make([][]byte, 0, MaxInputsPerMessage)
	got, n, err := ParseInputInto(b, arr)
	require.NoError(t, err)
	want, wn, err := ParseInput(b)
	require.NoError(t, err)
	assert.Equal(t, want, got)
	assert.Equal(t, wn, n)
	assert.Same(t, &arr[:1][0], &got.Inputs[:1][0], "built in the caller's array")
	assert.Zero(t, testing.AllocsPerRun(100, func() {
		if _, _, err := ParseInputInto(b, arr); err != nil {
			t.Error(err)
		}
	}))
	// Too small an array: a new one, still correct.
	got, _, err = ParseInputInto(b, make([][]byte, 0, 1))
	require.NoError(t, err)
	assert.Equal(t, want, got)
}

func FuzzParseInputInto(f *testing.F) {
	fuzzSeeds(f)
	arr := make([][]byte, 0, MaxInputsPerMessage)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, n, err := ParseInputInto(b, arr)
		m2, n2, err2 := ParseInput(b)
		require.Equal(t, err2 == nil, err == nil)
		if err != nil {
			return
		}
		require.Equal(t, m2, m)
		require.Equal(t, n2, n)
	})
}
