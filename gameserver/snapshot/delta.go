package snapshot

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
	"slices"

	"github.com/skirmish-go/skirmish/netcode"
)

const flagBaseline = 1 << 0

// noMask marks "no changed entity of this kind yet" in the mask-reuse state.
const noMask = 0xffff

// AppendDelta appends to dst the encoding of cur as a change from baseline, or the full
// snapshot when baseline is nil. It validates cur against the schema (sorted unique IDs,
// known kinds, fields in range) and allocates nothing when dst has room. See the package
// documentation for the layout.
func (s *Schema) AppendDelta(dst []byte, baseline, cur *Snapshot) ([]byte, error) {
	if err := s.Validate(); err != nil {
		return dst, err
	}
	if err := s.check(cur); err != nil {
		return dst, err
	}
	var dt uint32
	if baseline != nil {
		if err := s.check(baseline); err != nil {
			return dst, fmt.Errorf("baseline: %w", err)
		}
		dt = cur.Tick - baseline.Tick
		if dt > MaxBaselineAge {
			return dst, fmt.Errorf("%w: baseline tick %d is %d ticks before %d", ErrInvalid, baseline.Tick, dt, cur.Tick)
		}
	}
	dst = appendHeader(dst, cur.Tick, dt, baseline != nil)
	if s.Codec != nil {
		return s.Codec.AppendBody(dst, baseline, cur)
	}
	var tabs [MaxKinds]kindTable
	for k := range s.Kinds {
		tabs[k].fill(&s.Kinds[k])
	}
	w := NewBitPacker(dst)
	var prevMask [MaxKinds]uint16
	for i := range prevMask {
		prevMask[i] = noMask
	}
	created := len(cur.Entities)
	if baseline != nil {
		// Baseline entities in order: unchanged, changed or removed.
		j := 0
		for bi := range baseline.Entities {
			be := &baseline.Entities[bi]
			for j < len(cur.Entities) && cur.Entities[j].ID < be.ID {
				j++
			}
			if j == len(cur.Entities) || cur.Entities[j].ID != be.ID || cur.Entities[j].Kind != be.Kind {
				w.Put(0b11, 2) // removed
				continue
			}
			created--
			ce := &cur.Entities[j]
			t := &tabs[be.Kind]
			var pred [MaxFields]int64
			mask, err := t.diff(be, ce, int64(dt), &pred)
			if err != nil {
				return dst, err
			}
			if mask == 0 {
				w.Put(0, 1) // unchanged
				continue
			}
			if prevMask[be.Kind] == mask {
				w.Put(0b101, 3) // changed, same mask
			} else {
				w.Put(0b001|uint64(mask)<<3, 3+t.n)
				prevMask[be.Kind] = mask
			}
			for f := range t.n {
				if mask&(1<<f) != 0 {
					w.residual(t, f, int64(ce.Fields[f]), pred[f])
				}
			}
		}
	}
	// Creations: entities of cur not in the baseline (or whose kind changed).
	w.Gamma(uint64(created))
	kindBits := uint(netcode.BitsRequired(0, uint32(len(s.Kinds)-1)))
	prev := -1
	var bl []Entity
	if baseline != nil {
		bl = baseline.Entities
	}
	j := 0
	for ci := range cur.Entities {
		ce := &cur.Entities[ci]
		for j < len(bl) && bl[j].ID < ce.ID {
			j++
		}
		if j < len(bl) && bl[j].ID == ce.ID && bl[j].Kind == ce.Kind {
			continue
		}
		t := &tabs[ce.Kind]
		if err := t.check(ce); err != nil {
			return dst, err
		}
		w.Gamma(uint64(int(ce.ID) - prev - 1))
		prev = int(ce.ID)
		w.Put(uint64(ce.Kind), kindBits)
		for f := range t.n {
			w.Put(uint64(int64(ce.Fields[f])-t.lo[f]), t.bits[f])
		}
	}
	w.Flush()
	if err := w.Err(); err != nil {
		return dst, fmt.Errorf("snapshot: encode: %w", err)
	}
	return w.Bytes(), nil
}

// kindTable is a KindSpec unpacked for the encoder's inner loops.
type kindTable struct {
	name   string
	n      uint
	lo, hi [MaxFields]int64
	bits   [MaxFields]uint
	rate   [MaxFields]int // index of the rate field, or -1
}

func (t *kindTable) fill(ks *KindSpec) {
	t.name = ks.Name
	t.n = uint(len(ks.Fields))
	for f := range ks.Fields {
		fs := &ks.Fields[f]
		t.lo[f], t.hi[f] = fieldRange(fs)
		t.bits[f] = uint(fs.Bits)
		t.rate[f] = int(fs.RateField) - 1
	}
}

// check validates an entity's fields: each in its range, the rest zero.
func (t *kindTable) check(e *Entity) error {
	for f := range uint(MaxFields) {
		v := int64(e.Fields[f])
		if f >= t.n {
			if v != 0 {
				return fmt.Errorf("%w: entity %d: field %d beyond kind %q", ErrInvalid, e.ID, f, t.name)
			}
		} else if v < t.lo[f] || v > t.hi[f] {
			return fmt.Errorf("%w: entity %d field %d of %q = %d outside %d..%d", ErrInvalid, e.ID, f, t.name, v, t.lo[f], t.hi[f])
		}
	}
	return nil
}

// diff validates ce and returns the mask of its fields that differ from their prediction
// from be, dt ticks earlier; pred receives the predictions.
func (t *kindTable) diff(be, ce *Entity, dt int64, pred *[MaxFields]int64) (uint16, error) {
	var mask uint16
	bad := false
	for f := range t.n {
		v := int64(ce.Fields[f])
		p := int64(be.Fields[f])
		if r := t.rate[f]; r >= 0 {
			p += int64(be.Fields[r]) * dt
		}
		pred[f] = p
		if v != p {
			mask |= 1 << f
		}
		bad = bad || v < t.lo[f] || v > t.hi[f]
	}
	for f := t.n; f < MaxFields; f++ {
		bad = bad || ce.Fields[f] != 0
	}
	if bad {
		return 0, t.check(ce)
	}
	return mask, nil
}

// BitPacker batches small writes into 32-bit writes to a netcode.BitWriter: the bit writer a
// game's snapshot codec uses (this package's delta codec and walkers' both do), with the Elias
// gamma code for small counts and gaps.
type BitPacker struct {
	w   netcode.BitWriter
	acc uint64
	n   uint
}

// NewBitPacker appends to dst.
func NewBitPacker(dst []byte) BitPacker { return BitPacker{w: netcode.NewBitWriter(dst)} }

// Put writes the low n bits of v (v must have no higher bits set), n ≤ 32.
func (b *BitPacker) Put(v uint64, n uint) {
	b.acc |= v << b.n
	b.n += n
	if b.n >= 32 {
		b.w.WriteBits(b.acc&0xffffffff, 32)
		b.acc >>= 32
		b.n -= 32
	}
}

// Flush writes what is pending; call it once, after the last Put.
func (b *BitPacker) Flush() {
	b.w.WriteBits(b.acc, int(b.n))
	b.acc, b.n = 0, 0
}

// Gamma writes v with an Elias gamma code of v+1 (v < 2^64−1): n−1 one bits, a zero, then the
// low n−1 bits of v+1, where n is its bit length. 0 takes 1 bit, 1..2 take 3, 3..6 take 5.
func (b *BitPacker) Gamma(v uint64) {
	v++
	n := uint(bits.Len64(v) - 1)
	if n > 16 {
		b.Put(1<<16-1, 16)
		b.Put(1<<(n-16)-1, n-16+1)
	} else {
		b.Put(1<<n-1, n+1)
	}
	if n > 32 {
		b.Put(v&(1<<32-1), 32)
		b.Put((v>>32)&(1<<(n-32)-1), n-32)
		return
	}
	b.Put(v&(1<<n-1), n)
}

// Err is the bit writer's error (its buffer limit), if any.
func (b *BitPacker) Err() error { return b.w.Err() }

// Bytes is dst with everything written so far appended (after Flush).
func (b *BitPacker) Bytes() []byte { return b.w.Bytes() }

// residual writes a changed field: small differences from the prediction in few bits,
// anything else as the raw value. Fields of 6 bits or fewer are always raw.
//
//	0   + 4 bits   zigzag(v - pred) < 16
//	10  + 8 bits   zigzag(v - pred) < 256
//	110 + 12 bits  zigzag(v - pred) < 4096
//	111 + Bits     v - min(field)
func (b *BitPacker) residual(t *kindTable, f uint, v, pred int64) {
	nb := t.bits[f]
	if nb <= 6 {
		b.Put(uint64(v-t.lo[f]), nb)
		return
	}
	d := v - pred
	z := uint64(d<<1) ^ uint64(d>>63)
	switch {
	case z < 1<<4:
		b.Put(z<<1, 5)
	case z < 1<<8 && nb > 8:
		b.Put(z<<2|0b01, 10)
	case z < 1<<12 && nb > 12:
		b.Put(z<<3|0b011, 15)
	default:
		b.Put(0b111, 3)
		b.Put(uint64(v-t.lo[f]), nb)
	}
}

// predict returns the value field f of an entity is expected to have dt ticks after be.
func predict(ks *KindSpec, be *Entity, f int, dt uint32) int64 {
	v := int64(be.Fields[f])
	if r := ks.Fields[f].RateField; r != 0 {
		v += int64(be.Fields[r-1]) * int64(dt)
	}
	return v
}

func readResidual(r *netcode.BitReader, f *FieldSpec, pred int64) (int32, bool) {
	lo, hi := fieldRange(f)
	var v int64
	if f.Bits <= 6 {
		v = lo + int64(r.ReadBits(int(f.Bits)))
	} else {
		var z uint64
		switch {
		case r.ReadBits(1) == 0:
			z = r.ReadBits(4)
		case r.ReadBits(1) == 0:
			z = r.ReadBits(8)
		case r.ReadBits(1) == 0:
			z = r.ReadBits(12)
		default:
			v = lo + int64(r.ReadBits(int(f.Bits)))
			return int32(v), v <= hi
		}
		v = pred + (int64(z>>1) ^ -int64(z&1))
	}
	return int32(v), v >= lo && v <= hi
}

// readGamma reads a value written by writeGamma of at most maxBits significant bits.
func readGamma(r *netcode.BitReader, maxBits int) (uint64, bool) {
	n := 0
	for r.ReadBits(1) == 1 {
		n++
		if n > maxBits {
			return 0, false
		}
	}
	v := r.ReadBits(n) | 1<<n
	return v - 1, r.Err() == nil
}

// check validates a snapshot's entity count, ID order and kinds against the schema.
func (s *Schema) check(snap *Snapshot) error {
	if snap == nil {
		return fmt.Errorf("%w: nil snapshot", ErrInvalid)
	}
	if len(snap.Entities) > MaxEntities {
		return fmt.Errorf("%w: %d entities (max %d)", ErrInvalid, len(snap.Entities), MaxEntities)
	}
	for i := range snap.Entities {
		e := &snap.Entities[i]
		if i > 0 && snap.Entities[i-1].ID >= e.ID {
			return fmt.Errorf("%w: entity IDs %d, %d not ascending", ErrInvalid, snap.Entities[i-1].ID, e.ID)
		}
		if int(e.Kind) >= len(s.Kinds) {
			return fmt.Errorf("%w: entity %d: unknown kind %d", ErrInvalid, e.ID, e.Kind)
		}
	}
	return nil
}

// appendHeader appends the byte-aligned header: version and flags, the tick and, with a
// baseline, how many ticks before it the baseline is.
func appendHeader(dst []byte, tick, dt uint32, hasBaseline bool) []byte {
	flags := byte(ProtocolVersion << 4)
	if hasBaseline {
		flags |= flagBaseline
	}
	dst = append(dst, flags)
	dst = binary.AppendUvarint(dst, uint64(tick))
	if hasBaseline {
		dst = binary.AppendUvarint(dst, uint64(dt))
	}
	return dst
}

// PeekTicks reads the tick of an encoded snapshot and the tick of the baseline it needs.
func PeekTicks(b []byte) (tick, baselineTick uint32, hasBaseline bool, err error) {
	tick, baselineTick, hasBaseline, _, err = parseHeader(b)
	return tick, baselineTick, hasBaseline, err
}

// parseHeader reads the header and returns its length too.
func parseHeader(b []byte) (tick, baselineTick uint32, hasBaseline bool, n int, err error) {
	if len(b) < 2 {
		return 0, 0, false, 0, io.ErrUnexpectedEOF
	}
	if b[0]>>4 != ProtocolVersion || b[0]&0x0f&^flagBaseline != 0 {
		return 0, 0, false, 0, fmt.Errorf("%w: version/flags byte %#x", ErrMalformed, b[0])
	}
	t, m := binary.Uvarint(b[1:])
	if m == 0 {
		return 0, 0, false, 0, io.ErrUnexpectedEOF
	}
	if m < 0 || t > 0xffffffff || m != uvarintLen(t) {
		return 0, 0, false, 0, fmt.Errorf("%w: tick", ErrMalformed)
	}
	n = 1 + m
	if b[0]&flagBaseline == 0 {
		return uint32(t), 0, false, n, nil
	}
	dt, m := binary.Uvarint(b[n:])
	if m == 0 {
		return 0, 0, false, 0, io.ErrUnexpectedEOF
	}
	if m < 0 || dt > MaxBaselineAge || m != uvarintLen(dt) {
		return 0, 0, false, 0, fmt.Errorf("%w: baseline distance", ErrMalformed)
	}
	return uint32(t), uint32(t) - uint32(dt), true, n + m, nil
}

// uvarintLen is the length of v's shortest varint; a longer encoding is refused, so every
// header has one encoding.
func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// ParseDelta decodes b, made by AppendDelta against baseline (which must be the snapshot of
// the baseline tick PeekTicks reports; it is ignored for a full snapshot), into out, reusing
// out's capacity. out must not share memory with baseline. Bad input is an error, never a
// panic: unknown version, kinds or classes, values out of range, IDs that collide or pass
// 65535, more than MaxEntities entities, short or over-long input. On error out is
// unspecified.
func (s *Schema) ParseDelta(b []byte, baseline *Snapshot, out *Snapshot) error {
	tick, baseTick, hasBase, n, err := parseHeader(b)
	if err != nil {
		return fmt.Errorf("snapshot: parse delta: %w", err)
	}
	if err := s.Validate(); err != nil {
		return err
	}
	var bl []Entity
	if hasBase {
		if baseline == nil || baseline.Tick != baseTick {
			return fmt.Errorf("%w: tick %d", ErrBaselineMismatch, baseTick)
		}
		if out == baseline || (cap(out.Entities) > 0 && cap(baseline.Entities) > 0 &&
			&out.Entities[:1][0] == &baseline.Entities[:1][0]) {
			return fmt.Errorf("%w: out shares memory with the baseline", ErrInvalid)
		}
		bl = baseline.Entities
		if len(bl) > MaxEntities {
			return fmt.Errorf("%w: baseline has %d entities", ErrInvalid, len(bl))
		}
	}
	dt := tick - baseTick
	out.Tick = tick
	out.Entities = out.Entities[:0]
	if s.Codec != nil {
		var base *Snapshot
		if hasBase {
			base = baseline
		}
		return s.Codec.ParseBody(b[n:], base, out)
	}
	r := netcode.NewBitReader(b[n:])
	var prevMask [MaxKinds]uint16
	for i := range prevMask {
		prevMask[i] = noMask
	}
	for bi := range bl {
		be := &bl[bi]
		if int(be.Kind) >= len(s.Kinds) {
			return fmt.Errorf("%w: baseline entity %d: unknown kind %d", ErrInvalid, be.ID, be.Kind)
		}
		ks := &s.Kinds[be.Kind]
		var mask uint16
		if r.ReadBits(1) == 0 {
			// unchanged: every field as predicted
		} else if r.ReadBits(1) == 1 {
			continue // removed
		} else if r.ReadBits(1) == 1 {
			mask = prevMask[be.Kind]
			if mask == noMask {
				return fmt.Errorf("%w: entity %d reuses a mask before any", ErrMalformed, be.ID)
			}
		} else {
			mask = uint16(r.ReadBits(len(ks.Fields)))
			if mask == 0 && r.Err() == nil {
				return fmt.Errorf("%w: entity %d changed with no field", ErrMalformed, be.ID)
			}
			prevMask[be.Kind] = mask
		}
		if len(ks.Fields) > MaxFields {
			return fmt.Errorf("%w: kind %d has %d fields", ErrBadSchema, be.Kind, len(ks.Fields))
		}
		e := *be
		for f := range ks.Fields {
			pred := predict(ks, be, f, dt)
			if mask&(1<<f) == 0 {
				e.Fields[f] = int32(pred)
				if fieldOutside(&ks.Fields[f], pred) {
					return fmt.Errorf("%w: entity %d field %d predicted out of range", ErrMalformed, be.ID, f)
				}
				continue
			}
			v, ok := readResidual(&r, &ks.Fields[f], pred)
			if !ok && r.Err() == nil {
				return fmt.Errorf("%w: entity %d field %d out of range", ErrMalformed, be.ID, f)
			}
			e.Fields[f] = v
		}
		out.Entities = append(out.Entities, e)
	}
	count, ok := readGamma(&r, 16)
	if !ok || r.Err() != nil {
		return fmt.Errorf("snapshot: parse delta: creation count: %w", readErr(&r))
	}
	if count > uint64(MaxEntities-len(out.Entities)) || count > uint64(r.BitsRemaining()) {
		return fmt.Errorf("%w: %d created entities", ErrMalformed, count)
	}
	kept := len(out.Entities)
	kindBits := netcode.BitsRequired(0, uint32(len(s.Kinds)-1))
	prev := -1
	for range count {
		gap, ok := readGamma(&r, 16)
		if !ok {
			return fmt.Errorf("snapshot: parse delta: entity ID: %w", readErr(&r))
		}
		id := uint64(prev+1) + gap
		if id > 0xffff {
			return fmt.Errorf("%w: entity ID %d", ErrMalformed, id)
		}
		prev = int(id)
		kind := r.ReadBits(kindBits)
		if r.Err() != nil {
			break
		}
		if kind >= uint64(len(s.Kinds)) {
			return fmt.Errorf("%w: entity %d: unknown kind %d", ErrMalformed, id, kind)
		}
		e := Entity{ID: uint16(id), Kind: uint8(kind)}
		ks := &s.Kinds[kind]
		if len(ks.Fields) > MaxFields {
			return fmt.Errorf("%w: kind %d has %d fields", ErrBadSchema, kind, len(ks.Fields))
		}
		for f := range ks.Fields {
			fs := &ks.Fields[f]
			if fs.Bits == 0 || fs.Bits > 32 {
				return fmt.Errorf("%w: kind %d field %d: %d bits", ErrBadSchema, kind, f, fs.Bits)
			}
			lo, _ := fieldRange(fs)
			e.Fields[f] = int32(lo + int64(r.ReadBits(int(fs.Bits))))
		}
		out.Entities = append(out.Entities, e)
	}
	if err := r.Err(); err != nil {
		return fmt.Errorf("snapshot: parse delta: %w", err)
	}
	if rem := r.BitsRemaining(); rem >= 8 {
		return fmt.Errorf("%w: %d trailing bits", ErrMalformed, rem)
	}
	// Both runs are sorted; usually (new IDs above the old) so is their concatenation.
	if len(out.Entities) > kept && kept > 0 && out.Entities[kept-1].ID >= out.Entities[kept].ID {
		slices.SortFunc(out.Entities, func(a, b Entity) int { return int(a.ID) - int(b.ID) })
		for i := 1; i < len(out.Entities); i++ {
			if out.Entities[i-1].ID == out.Entities[i].ID {
				return fmt.Errorf("%w: entity %d created twice", ErrMalformed, out.Entities[i].ID)
			}
		}
	}
	return nil
}

func fieldOutside(f *FieldSpec, v int64) bool {
	lo, hi := fieldRange(f)
	return v < lo || v > hi
}

func readErr(r *netcode.BitReader) error {
	if err := r.Err(); err != nil {
		return err
	}
	return ErrMalformed
}
