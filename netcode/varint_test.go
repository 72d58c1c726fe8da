package netcode

import (
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVarintCodec(t *testing.T) {
	tests := []struct {
		v    uint64
		wire []byte
	}{
		{0, []byte{0x00}},
		{37, []byte{0x25}},
		{63, []byte{0x3f}},
		{64, []byte{0x40, 0x40}},
		{15293, []byte{0x7b, 0xbd}},
		{16383, []byte{0x7f, 0xff}},
		{16384, []byte{0x80, 0x00, 0x40, 0x00}},
		{494878333, []byte{0x9d, 0x7f, 0x3e, 0x7d}},
		{151288809941952652, []byte{0xc2, 0x19, 0x7c, 0x5e, 0xff, 0x14, 0xe8, 0x8c}},
		{MaxVarint, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
	}
	for _, tt := range tests {
		b := AppendVarint(nil, tt.v)
		require.Equal(t, tt.wire, b, "encode %d", tt.v)
		assert.Equal(t, len(tt.wire), VarintLen(tt.v))
		v, n, err := ParseVarint(append(tt.wire, 0xAA))
		require.NoError(t, err)
		assert.Equal(t, tt.v, v)
		assert.Equal(t, len(tt.wire), n)
		for i := range len(tt.wire) {
			_, _, err := ParseVarint(tt.wire[:i])
			require.ErrorIs(t, err, io.ErrUnexpectedEOF)
		}
	}
	assert.Zero(t, VarintLen(MaxVarint+1))
	assert.Equal(t, AppendVarint(nil, MaxVarint), AppendVarint(nil, ^uint64(0)), "clamped")
}

func FuzzVarint(f *testing.F) {
	f.Add([]byte{0x25})
	f.Add([]byte{0xc2, 0x19, 0x7c, 0x5e, 0xff, 0x14, 0xe8, 0x8c})
	f.Add([]byte{0x80})
	f.Fuzz(func(t *testing.T, b []byte) {
		v, n, err := ParseVarint(b)
		if err != nil {
			return
		}
		require.LessOrEqual(t, n, len(b))
		v2, _, err := ParseVarint(AppendVarint(nil, v))
		require.NoError(t, err)
		require.Equal(t, v, v2)
	})
}
