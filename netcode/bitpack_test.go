package netcode

import (
	"io"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBitsRequired(t *testing.T) {
	tests := []struct {
		min, max uint32
		want     int
	}{
		{0, 0, 0}, {5, 5, 0}, {5, 4, 0}, {0, 1, 1}, {0, 2, 2}, {0, 3, 2}, {0, 4, 3},
		{0, 255, 8}, {0, 256, 9}, {10, 265, 8}, {0, math.MaxUint32, 32},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, BitsRequired(tt.min, tt.max), "BitsRequired(%d, %d)", tt.min, tt.max)
	}
}

func TestBitWriterLayout(t *testing.T) {
	// LSB first: 0b1 then 0b10 then 0b11111 → byte 0b11111_10_1.
	w := NewBitWriter([]byte{0xAA})
	w.WriteBits(1, 1)
	w.WriteBits(2, 2)
	w.WriteBits(31, 5)
	w.WriteBits(0x3, 2)
	require.NoError(t, w.Err())
	assert.Equal(t, 10, w.BitsWritten())
	assert.Equal(t, []byte{0xAA, 0b11111101, 0b11}, w.Bytes())
	// Bytes does not disturb the writer.
	w.WriteBits(0x3F, 6)
	assert.Equal(t, []byte{0xAA, 0b11111101, 0xFF}, w.Bytes())
}

func TestBitPackRoundTrip(t *testing.T) {
	type op struct {
		name  string
		write func(w *BitWriter)
		read  func(t *testing.T, r *BitReader)
	}
	ops := []op{
		{"bits0", func(w *BitWriter) { w.WriteBits(0xFFFF, 0) }, func(t *testing.T, r *BitReader) { assert.Zero(t, r.ReadBits(0)) }},
		{"bits64", func(w *BitWriter) { w.WriteBits(math.MaxUint64, 64) }, func(t *testing.T, r *BitReader) { assert.Equal(t, uint64(math.MaxUint64), r.ReadBits(64)) }},
		{"bits33", func(w *BitWriter) { w.WriteBits(0x1_2345_6789, 33) }, func(t *testing.T, r *BitReader) { assert.Equal(t, uint64(0x1_2345_6789), r.ReadBits(33)) }},
		{"bitsMasked", func(w *BitWriter) { w.WriteBits(0xFF, 3) }, func(t *testing.T, r *BitReader) { assert.Equal(t, uint64(7), r.ReadBits(3)) }},
		{"bool", func(w *BitWriter) { w.WriteBool(true); w.WriteBool(false) }, func(t *testing.T, r *BitReader) { assert.True(t, r.ReadBool()); assert.False(t, r.ReadBool()) }},
		{"uint", func(w *BitWriter) { w.WriteUint(100, 100) }, func(t *testing.T, r *BitReader) { assert.Equal(t, uint32(100), r.ReadUint(100)) }},
		{"uintMax", func(w *BitWriter) { w.WriteUint(math.MaxUint32, math.MaxUint32) }, func(t *testing.T, r *BitReader) { assert.Equal(t, uint32(math.MaxUint32), r.ReadUint(math.MaxUint32)) }},
		{"uintZeroRange", func(w *BitWriter) { w.WriteUint(0, 0) }, func(t *testing.T, r *BitReader) { assert.Zero(t, r.ReadUint(0)) }},
		{"int", func(w *BitWriter) { w.WriteInt(-5, -10, 10) }, func(t *testing.T, r *BitReader) { assert.Equal(t, int32(-5), r.ReadInt(-10, 10)) }},
		{"intFull", func(w *BitWriter) { w.WriteInt(math.MinInt32, math.MinInt32, math.MaxInt32) }, func(t *testing.T, r *BitReader) {
			assert.Equal(t, int32(math.MinInt32), r.ReadInt(math.MinInt32, math.MaxInt32))
		}},
		{"intMax", func(w *BitWriter) { w.WriteInt(math.MaxInt32, math.MinInt32, math.MaxInt32) }, func(t *testing.T, r *BitReader) {
			assert.Equal(t, int32(math.MaxInt32), r.ReadInt(math.MinInt32, math.MaxInt32))
		}},
		{"varint0", func(w *BitWriter) { w.WriteVarint(0) }, func(t *testing.T, r *BitReader) { assert.Zero(t, r.ReadVarint()) }},
		{"varint127", func(w *BitWriter) { w.WriteVarint(127) }, func(t *testing.T, r *BitReader) { assert.Equal(t, uint64(127), r.ReadVarint()) }},
		{"varint128", func(w *BitWriter) { w.WriteVarint(128) }, func(t *testing.T, r *BitReader) { assert.Equal(t, uint64(128), r.ReadVarint()) }},
		{"varintMax", func(w *BitWriter) { w.WriteVarint(math.MaxUint64) }, func(t *testing.T, r *BitReader) { assert.Equal(t, uint64(math.MaxUint64), r.ReadVarint()) }},
		{"svarint", func(w *BitWriter) {
			w.WriteSignedVarint(-1)
			w.WriteSignedVarint(1)
			w.WriteSignedVarint(math.MinInt64)
			w.WriteSignedVarint(math.MaxInt64)
		},
			func(t *testing.T, r *BitReader) {
				assert.Equal(t, int64(-1), r.ReadSignedVarint())
				assert.Equal(t, int64(1), r.ReadSignedVarint())
				assert.Equal(t, int64(math.MinInt64), r.ReadSignedVarint())
				assert.Equal(t, int64(math.MaxInt64), r.ReadSignedVarint())
			}},
		{"float", func(w *BitWriter) { w.WriteFloat(12.34, -100, 100, 0.01) }, func(t *testing.T, r *BitReader) { assert.InDelta(t, 12.34, r.ReadFloat(-100, 100, 0.01), 0.006) }},
		{"floatEnds", func(w *BitWriter) { w.WriteFloat(-1, -1, 1, 0.3); w.WriteFloat(1, -1, 1, 0.3) }, func(t *testing.T, r *BitReader) {
			assert.Equal(t, float32(-1), r.ReadFloat(-1, 1, 0.3))
			assert.Equal(t, float32(1), r.ReadFloat(-1, 1, 0.3))
		}},
		{"angle", func(w *BitWriter) { w.WriteAngle(-math.Pi/2, 12) }, func(t *testing.T, r *BitReader) { assert.InDelta(t, 3*math.Pi/2, r.ReadAngle(12), 2*math.Pi/4096) }},
	}
	for _, o := range ops {
		t.Run(o.name, func(t *testing.T) {
			w := NewBitWriter(nil)
			w.WriteBits(1, 3) // misalign on purpose
			o.write(&w)
			require.NoError(t, w.Err())
			r := NewBitReader(w.Bytes())
			assert.Equal(t, uint64(1), r.ReadBits(3))
			o.read(t, &r)
			require.NoError(t, r.Err())
			assert.Less(t, r.BitsRemaining(), 8)
		})
	}
}

func TestVarintSizes(t *testing.T) {
	for _, tt := range []struct {
		v    uint64
		bits int
	}{{0, 8}, {127, 8}, {128, 16}, {1<<14 - 1, 16}, {1 << 14, 24}, {1<<63 - 1, 72}, {math.MaxUint64, 73}} {
		w := NewBitWriter(nil)
		w.WriteVarint(tt.v)
		assert.Equal(t, tt.bits, w.BitsWritten(), "varint %d", tt.v)
	}
}

func TestBitWriterErrors(t *testing.T) {
	tests := []struct {
		name  string
		write func(w *BitWriter)
		want  error
	}{
		{"bitsNeg", func(w *BitWriter) { w.WriteBits(0, -1) }, ErrInvalidRange},
		{"bits65", func(w *BitWriter) { w.WriteBits(0, 65) }, ErrInvalidRange},
		{"uintAbove", func(w *BitWriter) { w.WriteUint(11, 10) }, ErrOutOfRange},
		{"intBelow", func(w *BitWriter) { w.WriteInt(-11, -10, 10) }, ErrOutOfRange},
		{"intRange", func(w *BitWriter) { w.WriteInt(0, 10, -10) }, ErrInvalidRange},
		{"floatNaN", func(w *BitWriter) { w.WriteFloat(float32(math.NaN()), 0, 1, 0.1) }, ErrOutOfRange},
		{"floatAbove", func(w *BitWriter) { w.WriteFloat(2, 0, 1, 0.1) }, ErrOutOfRange},
		{"floatPrecision", func(w *BitWriter) { w.WriteFloat(0, 0, 1, 0) }, ErrInvalidRange},
		{"floatTooFine", func(w *BitWriter) { w.WriteFloat(0, -1e30, 1e30, 1e-30) }, ErrInvalidRange},
		{"angleBits", func(w *BitWriter) { w.WriteAngle(0, 33) }, ErrInvalidRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := NewBitWriter(nil)
			tt.write(&w)
			require.ErrorIs(t, w.Err(), tt.want)
			w.WriteBits(1, 8) // sticky: ignored
			assert.Zero(t, w.BitsWritten())
			assert.Empty(t, w.Bytes())
		})
	}
}

func TestBitReaderErrors(t *testing.T) {
	r := NewBitReader([]byte{0xFF})
	assert.Equal(t, uint64(0x7F), r.ReadBits(7))
	assert.Zero(t, r.ReadBits(2))
	require.ErrorIs(t, r.Err(), io.ErrUnexpectedEOF)
	assert.Zero(t, r.ReadBits(1), "sticky")

	r = NewBitReader([]byte{0xFF})
	assert.Zero(t, r.ReadUint(100)) // 7 bits all ones = 127 > 100
	require.ErrorIs(t, r.Err(), ErrOutOfRange)

	r = NewBitReader([]byte{0xFF, 0xFF})
	assert.Zero(t, r.ReadInt(0, 2)) // 2 bits = 3 > span 2
	require.ErrorIs(t, r.Err(), ErrOutOfRange)

	r = NewBitReader([]byte{0xFF, 0xFF})
	assert.Zero(t, r.ReadFloat(0, 1, 0.3)) // 4 steps, 3 bits = 7
	require.ErrorIs(t, r.Err(), ErrOutOfRange)

	r = NewBitReader([]byte{0xFF, 0xFF}) // varint whose continuation never ends
	assert.Zero(t, r.ReadVarint())
	require.ErrorIs(t, r.Err(), io.ErrUnexpectedEOF)

	r = NewBitReader(nil)
	assert.Zero(t, r.ReadBits(65))
	require.ErrorIs(t, r.Err(), ErrInvalidRange)
}

func TestBitPackRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 0, 4096)
	for range 200 {
		type item struct {
			v uint64
			n int
		}
		items := make([]item, 0, 64)
		w := NewBitWriter(buf[:0])
		for range rng.IntN(64) {
			n := rng.IntN(65)
			v := rng.Uint64()
			if n < 64 {
				v &= 1<<uint(n) - 1
			}
			items = append(items, item{v, n})
			w.WriteBits(v, n)
		}
		require.NoError(t, w.Err())
		r := NewBitReader(w.Bytes())
		for _, it := range items {
			require.Equal(t, it.v, r.ReadBits(it.n))
		}
		require.NoError(t, r.Err())
	}
}

func TestBitPackAllocs(t *testing.T) {
	buf := make([]byte, 0, 256)
	allocs := testing.AllocsPerRun(100, func() {
		w := NewBitWriter(buf[:0])
		w.WriteBits(0xABCDEF, 24)
		w.WriteBool(true)
		w.WriteUint(1000, 4095)
		w.WriteInt(-7, -100, 100)
		w.WriteVarint(123456789)
		w.WriteSignedVarint(-42)
		w.WriteFloat(3.25, -10, 10, 0.01)
		w.WriteAngle(1, 10)
		r := NewBitReader(w.Bytes())
		_ = r.ReadBits(24)
		_ = r.ReadBool()
		_ = r.ReadUint(4095)
		_ = r.ReadInt(-100, 100)
		_ = r.ReadVarint()
		_ = r.ReadSignedVarint()
		_ = r.ReadFloat(-10, 10, 0.01)
		_ = r.ReadAngle(10)
		if r.Err() != nil {
			panic(r.Err())
		}
	})
	assert.Zero(t, allocs)
}

func FuzzBitReader(f *testing.F) {
	w := NewBitWriter(nil)
	w.WriteVarint(300)
	w.WriteSignedVarint(-300)
	w.WriteFloat(1.5, -2, 2, 0.001)
	w.WriteInt(-3, -8, 8)
	w.WriteUint(9, 10)
	f.Add(w.Bytes())
	f.Add([]byte{})
	f.Add([]byte{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF})
	f.Add([]byte{0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := NewBitReader(b)
		v := r.ReadVarint()
		s := r.ReadSignedVarint()
		fl := r.ReadFloat(-2, 2, 0.001)
		i := r.ReadInt(-8, 8)
		u := r.ReadUint(10)
		if r.Err() != nil {
			return
		}
		// Whatever decodes must re-encode and decode to the same values.
		w := NewBitWriter(nil)
		w.WriteVarint(v)
		w.WriteSignedVarint(s)
		w.WriteFloat(fl, -2, 2, 0.001)
		w.WriteInt(i, -8, 8)
		w.WriteUint(u, 10)
		require.NoError(t, w.Err())
		r2 := NewBitReader(w.Bytes())
		require.Equal(t, v, r2.ReadVarint())
		require.Equal(t, s, r2.ReadSignedVarint())
		require.InDelta(t, fl, r2.ReadFloat(-2, 2, 0.001), 0.0011)
		require.Equal(t, i, r2.ReadInt(-8, 8))
		require.Equal(t, u, r2.ReadUint(10))
		require.NoError(t, r2.Err())
	})
}

func BenchmarkBitPack(b *testing.B) {
	b.ReportAllocs()
	buf := make([]byte, 0, 256)
	for b.Loop() {
		w := NewBitWriter(buf[:0])
		for i := range 16 {
			w.WriteUint(uint32(i), 1023)
			w.WriteSignedVarint(int64(-i))
			w.WriteFloat(float32(i), -100, 100, 0.01)
		}
		r := NewBitReader(w.Bytes())
		for range 16 {
			_ = r.ReadUint(1023)
			_ = r.ReadSignedVarint()
			_ = r.ReadFloat(-100, 100, 0.01)
		}
		if r.Err() != nil {
			b.Fatal(r.Err())
		}
	}
}
