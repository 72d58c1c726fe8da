package netcode

import (
	"errors"
	"io"
	"math"
	"math/bits"
)

// Errors reported by [BitWriter.Err] and [BitReader.Err]. Both are sticky:
// after the first error every further write is ignored and every further
// read returns zero.
var (
	// ErrOutOfRange reports a value outside the range given to a write, or a
	// decoded value above the maximum given to a read.
	ErrOutOfRange = errors.New("netcode: value out of range")
	// ErrInvalidRange reports a bad bit count (outside 0..64), a min above
	// max, or a non-positive or too fine float precision.
	ErrInvalidRange = errors.New("netcode: invalid bit count or range")
)

// maxVarintGroups is the number of 7-bit groups a varint may use before its
// final single bit (9*7 + 1 = 64 bits).
const maxVarintGroups = 9

// BitsRequired returns the number of bits needed to write any value in
// [min, max]. It returns 0 when max <= min (a single possible value).
func BitsRequired(min, max uint32) int {
	if max <= min {
		return 0
	}
	return bits.Len32(max - min)
}

// bitsRequired64 is BitsRequired over an unsigned 64-bit span.
func bitsRequired64(span uint64) int { return bits.Len64(span) }

// BitWriter packs values into a byte slice at bit granularity, least
// significant bit first. It is a value type: create one with [NewBitWriter]
// and keep it in a variable (or a struct field) of your own. It allocates
// only when the destination slice must grow, so pass a slice with enough
// capacity to stay allocation-free.
//
// Errors are sticky: the first error is kept, later writes are ignored, and
// [BitWriter.Err] reports it once at the end.
type BitWriter struct {
	buf         []byte
	scratch     uint64 // pending bits, fewer than 8 between calls
	scratchBits int
	written     int
	err         error
}

// NewBitWriter returns a BitWriter that appends after len(dst).
func NewBitWriter(dst []byte) BitWriter {
	return BitWriter{buf: dst}
}

// WriteBits writes the low n bits of v; n must be in 0..64.
func (w *BitWriter) WriteBits(v uint64, n int) {
	if w.err != nil {
		return
	}
	if n < 0 || n > 64 {
		w.err = ErrInvalidRange
		return
	}
	if n > 32 {
		w.write32(v&math.MaxUint32, 32)
		w.write32(v>>32, n-32)
		return
	}
	w.write32(v, n)
}

// write32 writes n <= 32 bits; the scratch holds < 8 bits so nothing overflows.
func (w *BitWriter) write32(v uint64, n int) {
	if n == 0 {
		return
	}
	v &= (1 << uint(n)) - 1
	w.scratch |= v << uint(w.scratchBits)
	w.scratchBits += n
	w.written += n
	for w.scratchBits >= 8 {
		w.buf = append(w.buf, byte(w.scratch))
		w.scratch >>= 8
		w.scratchBits -= 8
	}
}

// WriteBool writes one bit.
func (w *BitWriter) WriteBool(b bool) {
	var v uint64
	if b {
		v = 1
	}
	w.WriteBits(v, 1)
}

// WriteUint writes v in [0, max] using [BitsRequired](0, max) bits.
func (w *BitWriter) WriteUint(v, max uint32) {
	if w.err != nil {
		return
	}
	if v > max {
		w.err = ErrOutOfRange
		return
	}
	w.WriteBits(uint64(v), BitsRequired(0, max))
}

// WriteInt writes v in [min, max] as its offset from min.
func (w *BitWriter) WriteInt(v, min, max int32) {
	if w.err != nil {
		return
	}
	if min > max {
		w.err = ErrInvalidRange
		return
	}
	if v < min || v > max {
		w.err = ErrOutOfRange
		return
	}
	span := uint64(int64(max) - int64(min))
	w.WriteBits(uint64(int64(v)-int64(min)), bitsRequired64(span))
}

// WriteVarint writes v as a bit-level varint: groups of a continuation bit
// followed by 7 value bits, low group first; after nine groups the last
// remaining bit is written bare. Values below 128 take 8 bits, the largest 64
// bits take 73.
func (w *BitWriter) WriteVarint(v uint64) {
	for range maxVarintGroups {
		if v < 0x80 {
			w.WriteBits(v<<1, 8) // continuation bit 0, then 7 value bits
			return
		}
		w.WriteBits((v&0x7f)<<1|1, 8)
		v >>= 7
	}
	w.WriteBits(v, 1)
}

// WriteSignedVarint writes v zigzag-encoded (0, -1, 1, -2, ... map to 0, 1,
// 2, 3, ...) as a varint, so small deltas of either sign stay short.
func (w *BitWriter) WriteSignedVarint(v int64) {
	w.WriteVarint(uint64(v<<1) ^ uint64(v>>63))
}

// floatSteps validates a quantisation range and returns its step count and
// bit width.
func floatSteps(min, max, precision float32) (steps uint64, n int, ok bool) {
	if !(precision > 0) || !(max >= min) || math.IsInf(float64(max-min), 0) {
		return 0, 0, false
	}
	s := math.Ceil(float64(max-min) / float64(precision))
	if s > math.MaxUint32 {
		return 0, 0, false
	}
	steps = uint64(s)
	return steps, bitsRequired64(steps), true
}

// WriteFloat writes v in [min, max] quantised to multiples of precision
// above min (fixed point). Values outside the range, NaN, and bad ranges are
// errors rather than silently clamped.
func (w *BitWriter) WriteFloat(v, min, max, precision float32) {
	if w.err != nil {
		return
	}
	steps, n, ok := floatSteps(min, max, precision)
	if !ok {
		w.err = ErrInvalidRange
		return
	}
	if !(v >= min && v <= max) {
		w.err = ErrOutOfRange
		return
	}
	q := math.Round(float64(v-min) / float64(precision))
	w.WriteBits(uint64(math.Min(q, float64(steps))), n)
}

// WriteAngle writes an angle in radians, wrapped to [0, 2π), in n bits
// (1..32). Precision is 2π / 2^n.
func (w *BitWriter) WriteAngle(rad float32, n int) {
	if w.err != nil {
		return
	}
	if n < 1 || n > 32 || math.IsNaN(float64(rad)) || math.IsInf(float64(rad), 0) {
		w.err = ErrInvalidRange
		return
	}
	turns := float64(rad) / (2 * math.Pi)
	turns -= math.Floor(turns)
	q := uint64(math.Round(turns*float64(uint64(1)<<uint(n)))) & (uint64(1)<<uint(n) - 1)
	w.WriteBits(q, n)
}

// Bytes returns dst followed by the written bytes, the last partial byte
// padded with zero bits. It does not change the writer: more writes may
// follow and a later Bytes includes them.
func (w *BitWriter) Bytes() []byte {
	if w.scratchBits == 0 {
		return w.buf
	}
	return append(w.buf, byte(w.scratch))
}

// BitsWritten returns the number of bits written so far.
func (w *BitWriter) BitsWritten() int { return w.written }

// Err returns the first error met, or nil.
func (w *BitWriter) Err() error { return w.err }

// BitReader reads values written by [BitWriter]. It is a value type and
// never allocates. Errors are sticky: after the first, every read returns
// zero and [BitReader.Err] reports it.
type BitReader struct {
	buf []byte
	pos int // bit position
	err error
}

// NewBitReader returns a BitReader over b.
func NewBitReader(b []byte) BitReader {
	return BitReader{buf: b}
}

// ReadBits reads n bits (0..64). Reading past the end sets
// io.ErrUnexpectedEOF.
func (r *BitReader) ReadBits(n int) uint64 {
	if r.err != nil {
		return 0
	}
	if n < 0 || n > 64 {
		r.err = ErrInvalidRange
		return 0
	}
	if n > r.BitsRemaining() {
		r.err = io.ErrUnexpectedEOF
		return 0
	}
	var v uint64
	for got := 0; got < n; {
		off := r.pos & 7
		take := min(8-off, n-got)
		b := uint64(r.buf[r.pos>>3]>>uint(off)) & (1<<uint(take) - 1)
		v |= b << uint(got)
		got += take
		r.pos += take
	}
	return v
}

// ReadBool reads one bit.
func (r *BitReader) ReadBool() bool { return r.ReadBits(1) != 0 }

// ReadUint reads a value written by [BitWriter.WriteUint] with the same max.
func (r *BitReader) ReadUint(max uint32) uint32 {
	v := r.ReadBits(BitsRequired(0, max))
	if r.err != nil {
		return 0
	}
	if v > uint64(max) {
		r.err = ErrOutOfRange
		return 0
	}
	return uint32(v)
}

// ReadInt reads a value written by [BitWriter.WriteInt] with the same range.
func (r *BitReader) ReadInt(min, max int32) int32 {
	if r.err != nil {
		return 0
	}
	if min > max {
		r.err = ErrInvalidRange
		return 0
	}
	span := uint64(int64(max) - int64(min))
	v := r.ReadBits(bitsRequired64(span))
	if r.err != nil {
		return 0
	}
	if v > span {
		r.err = ErrOutOfRange
		return 0
	}
	return int32(int64(min) + int64(v))
}

// ReadVarint reads a value written by [BitWriter.WriteVarint].
func (r *BitReader) ReadVarint() uint64 {
	var v uint64
	for i := range maxVarintGroups {
		g := r.ReadBits(8)
		if r.err != nil {
			return 0
		}
		v |= (g >> 1) << uint(7*i)
		if g&1 == 0 {
			return v
		}
	}
	v |= r.ReadBits(1) << 63
	if r.err != nil {
		return 0
	}
	return v
}

// ReadSignedVarint reads a value written by [BitWriter.WriteSignedVarint].
func (r *BitReader) ReadSignedVarint() int64 {
	u := r.ReadVarint()
	return int64(u>>1) ^ -int64(u&1)
}

// ReadFloat reads a value written by [BitWriter.WriteFloat] with the same
// min, max and precision.
func (r *BitReader) ReadFloat(min, max, precision float32) float32 {
	if r.err != nil {
		return 0
	}
	steps, n, ok := floatSteps(min, max, precision)
	if !ok {
		r.err = ErrInvalidRange
		return 0
	}
	q := r.ReadBits(n)
	if r.err != nil {
		return 0
	}
	if q > steps {
		r.err = ErrOutOfRange
		return 0
	}
	v := float64(min) + float64(q)*float64(precision)
	return float32(math.Min(v, float64(max)))
}

// ReadAngle reads an angle written by [BitWriter.WriteAngle] with the same n;
// the result is in [0, 2π).
func (r *BitReader) ReadAngle(n int) float32 {
	if r.err != nil {
		return 0
	}
	if n < 1 || n > 32 {
		r.err = ErrInvalidRange
		return 0
	}
	q := r.ReadBits(n)
	return float32(float64(q) / float64(uint64(1)<<uint(n)) * 2 * math.Pi)
}

// BitsRemaining returns the number of unread bits (including any padding in
// the last byte).
func (r *BitReader) BitsRemaining() int { return len(r.buf)*8 - r.pos }

// BitsRead returns the number of bits consumed so far.
func (r *BitReader) BitsRead() int { return r.pos }

// Err returns the first error met, or nil.
func (r *BitReader) Err() error { return r.err }
