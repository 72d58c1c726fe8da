package netcode

import "io"

// MaxVarint is the largest value [AppendVarint] can encode (2^62-1).
const MaxVarint = 1<<62 - 1

// VarintLen returns how many bytes [AppendVarint] uses for v: 1, 2, 4 or 8.
// It returns 0 for values above MaxVarint.
func VarintLen(v uint64) int {
	switch {
	case v <= 63:
		return 1
	case v <= 16383:
		return 2
	case v <= 1073741823:
		return 4
	case v <= MaxVarint:
		return 8
	}
	return 0
}

// AppendVarint appends v as a QUIC-style variable-length integer (RFC 9000
// §16): the top two bits of the first byte give the length (00=1, 01=2,
// 10=4, 11=8 bytes), the remaining bits hold v big-endian. Values above
// MaxVarint are a programming error; they are clamped to MaxVarint so the
// encoder never panics.
func AppendVarint(b []byte, v uint64) []byte {
	switch VarintLen(v) {
	case 1:
		return append(b, byte(v))
	case 2:
		return append(b, byte(v>>8)|0x40, byte(v))
	case 4:
		return append(b, byte(v>>24)|0x80, byte(v>>16), byte(v>>8), byte(v))
	case 8:
	default:
		v = MaxVarint
	}
	return append(b, byte(v>>56)|0xc0, byte(v>>48), byte(v>>40), byte(v>>32),
		byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

// ParseVarint reads a varint written by [AppendVarint] and returns it with
// the number of bytes read; io.ErrUnexpectedEOF if b is too short.
// Non-minimal encodings are accepted.
func ParseVarint(b []byte) (uint64, int, error) {
	if len(b) == 0 {
		return 0, 0, io.ErrUnexpectedEOF
	}
	n := 1 << (b[0] >> 6)
	if len(b) < n {
		return 0, 0, io.ErrUnexpectedEOF
	}
	v := uint64(b[0] & 0x3f)
	for _, c := range b[1:n] {
		v = v<<8 | uint64(c)
	}
	return v, n, nil
}
