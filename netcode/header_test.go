package netcode

import (
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPacketHeaderCodec(t *testing.T) {
	tests := []struct {
		name string
		h    PacketHeader
		wire []byte
	}{
		{"zero", PacketHeader{}, []byte{ProtocolVersion<<4 | 1, 0, 0, 0, 0, 0}},
		{"fields", PacketHeader{Sequence: 0x1234, Ack: 0xABCD, AckBits: 0xDEADBEEF},
			[]byte{ProtocolVersion<<4 | 3, 0x12, 0x34, 0xAB, 0xCD, 0xDE, 0xAD, 0xBE, 0xEF}},
		{"16 bits", PacketHeader{Sequence: 1, Ack: 2, AckBits: 0xBEEF},
			[]byte{ProtocolVersion<<4 | 2, 0, 1, 0, 2, 0xBE, 0xEF}},
		{"8 bits", PacketHeader{Sequence: 1, Ack: 2, AckBits: 0xEF},
			[]byte{ProtocolVersion<<4 | 1, 0, 1, 0, 2, 0xEF}},
		{"all received", PacketHeader{Sequence: 65535, Ack: 65535, AckBits: ^uint32(0)},
			[]byte{ProtocolVersion << 4, 0xFF, 0xFF, 0xFF, 0xFF}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.h.Append([]byte{0x77})
			require.Equal(t, append([]byte{0x77}, tt.wire...), b)
			assert.Equal(t, tt.h.Len(), len(tt.wire))
			h, n, err := ParsePacketHeader(append(tt.wire, 0x99))
			require.NoError(t, err)
			assert.Equal(t, len(tt.wire), n)
			assert.Equal(t, tt.h, h)
		})
	}
}

func TestParsePacketHeaderErrors(t *testing.T) {
	wire := PacketHeader{Sequence: 1}.Append(nil)
	for i := range len(wire) {
		_, _, err := ParsePacketHeader(wire[:i])
		require.ErrorIs(t, err, io.ErrUnexpectedEOF, "len %d", i)
	}
	bad := append([]byte(nil), wire...)
	bad[0] = (ProtocolVersion + 1) << 4
	_, _, err := ParsePacketHeader(bad)
	require.ErrorIs(t, err, ErrUnsupportedVersion)
	_, _, err = ParsePacketHeader([]byte{1, 0, 1, 0, 2, 0, 0, 0, 0}) // version 1's layout
	require.ErrorIs(t, err, ErrUnsupportedVersion)
	// Ack bits that fit a shorter form are refused in a longer one: one encoding per header.
	_, _, err = ParsePacketHeader([]byte{ProtocolVersion<<4 | 3, 0, 1, 0, 2, 0, 0, 0, 7})
	require.ErrorIs(t, err, ErrMalformed)
	_, _, err = ParsePacketHeader([]byte{ProtocolVersion<<4 | 3, 0, 1, 0, 2, 0xff, 0xff, 0xff, 0xff})
	require.ErrorIs(t, err, ErrMalformed)
}

func TestPacketHeaderAcks(t *testing.T) {
	h := PacketHeader{Ack: 1, AckBits: 1 | 1<<1 | 1<<31}
	assert.True(t, h.Acks(1))
	assert.True(t, h.Acks(0))
	assert.True(t, h.Acks(65535))
	assert.False(t, h.Acks(65534))
	assert.True(t, h.Acks(65536+1-32))
	assert.False(t, h.Acks(65536+1-33))
	assert.False(t, h.Acks(2))
}

func TestPacketHeaderAllocs(t *testing.T) {
	buf := make([]byte, 0, 64)
	h := PacketHeader{Sequence: 7, Ack: 9, AckBits: 0xF0F0}
	allocs := testing.AllocsPerRun(1000, func() {
		b := h.Append(buf[:0])
		got, _, err := ParsePacketHeader(b)
		if err != nil || got != h {
			panic("round trip")
		}
	})
	assert.Zero(t, allocs)
}

func FuzzPacketHeader(f *testing.F) {
	f.Add(PacketHeader{}.Append(nil))
	f.Add(PacketHeader{Sequence: 65535, Ack: 3, AckBits: 0x80000001}.Append(nil))
	f.Add([]byte{})
	f.Add([]byte{ProtocolVersion << 4, 1, 2})
	f.Add(PacketHeader{Ack: 3, AckBits: ^uint32(0)}.Append(nil))
	f.Add(PacketHeader{Ack: 3, AckBits: 0x1ff}.Append(nil))
	f.Add([]byte{0xFF, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, n, err := ParsePacketHeader(b)
		if err != nil {
			require.Zero(t, n)
			return
		}
		require.Equal(t, h.Len(), n)
		require.LessOrEqual(t, n, PacketHeaderLen)
		require.Equal(t, b[:n], h.Append(nil), "re-encodes to the same bytes")
	})
}

func BenchmarkPacketHeaderAppend(b *testing.B) {
	b.ReportAllocs()
	buf := make([]byte, 0, 64)
	h := PacketHeader{Sequence: 7, Ack: 9, AckBits: 0xF0F0}
	for b.Loop() {
		buf = h.Append(buf[:0])
	}
}

func BenchmarkParsePacketHeader(b *testing.B) {
	b.ReportAllocs()
	wire := PacketHeader{Sequence: 7, Ack: 9, AckBits: 0xF0F0}.Append(nil)
	for b.Loop() {
		if _, _, err := ParsePacketHeader(wire); err != nil {
			b.Fatal(err)
		}
	}
}
