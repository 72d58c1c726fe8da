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
		if dt > 0xffff {
			return dst, fmt.Errorf("%w: baseline tick %d is %d ticks before %d", ErrInvalid, baseline.Tick, dt, cur.Tick)
		}
	}
	flags := byte(ProtocolVersion << 4)
	if baseline != nil {
		flags |= flagBaseline
	}
	dst = append(dst, flags)
	dst = binary.LittleEndian.AppendUint32(dst, cur.Tick)
	if baseline != nil {
		dst = binary.LittleEndian.AppendUint16(dst, uint16(dt))
	}
	w := netcode.NewBitWriter(dst)
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
				w.WriteBits(0b11, 2) // removed
				continue
			}
			created--
			ce := &cur.Entities[j]
			ks := &s.Kinds[be.Kind]
			if err := checkFields(ks, ce); err != nil {
				return dst, err
			}
			var mask uint16
			for f := range ks.Fields {
				if int64(ce.Fields[f]) != predict(ks, be, f, dt) {
					mask |= 1 << f
				}
			}
			if mask == 0 {
				w.WriteBits(0, 1) // unchanged
				continue
			}
			w.WriteBits(0b01, 2) // changed
			if prevMask[be.Kind] == mask {
				w.WriteBits(1, 1)
			} else {
				w.WriteBits(0, 1)
				w.WriteBits(uint64(mask), len(ks.Fields))
				prevMask[be.Kind] = mask
			}
			for f := range ks.Fields {
				if mask&(1<<f) != 0 {
					writeResidual(&w, &ks.Fields[f], int64(ce.Fields[f]), predict(ks, be, f, dt))
				}
			}
		}
	}
	// Creations: entities of cur not in the baseline (or whose kind changed).
	writeGamma(&w, uint64(created))
	kindBits := netcode.BitsRequired(0, uint32(len(s.Kinds)-1))
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
		ks := &s.Kinds[ce.Kind]
		if err := checkFields(ks, ce); err != nil {
			return dst, err
		}
		writeGamma(&w, uint64(int(ce.ID)-prev-1))
		prev = int(ce.ID)
		w.WriteBits(uint64(ce.Kind), kindBits)
		for f := range ks.Fields {
			lo, _ := fieldRange(&ks.Fields[f])
			w.WriteBits(uint64(int64(ce.Fields[f])-lo), int(ks.Fields[f].Bits))
		}
	}
	if err := w.Err(); err != nil {
		return dst, fmt.Errorf("snapshot: encode: %w", err)
	}
	return w.Bytes(), nil
}

// predict returns the value field f of an entity is expected to have dt ticks after be.
func predict(ks *KindSpec, be *Entity, f int, dt uint32) int64 {
	v := int64(be.Fields[f])
	if r := ks.Fields[f].RateField; r != 0 {
		v += int64(be.Fields[r-1]) * int64(dt)
	}
	return v
}

// writeResidual writes a changed field: small differences from the prediction in few bits,
// anything else as the raw value. Fields of 6 bits or fewer are always raw.
//
//	0   + 4 bits   zigzag(v - pred) < 16
//	10  + 8 bits   zigzag(v - pred) < 256
//	110 + 12 bits  zigzag(v - pred) < 4096
//	111 + Bits     v - min(field)
func writeResidual(w *netcode.BitWriter, f *FieldSpec, v, pred int64) {
	lo, _ := fieldRange(f)
	if f.Bits <= 6 {
		w.WriteBits(uint64(v-lo), int(f.Bits))
		return
	}
	d := v - pred
	z := uint64(d<<1) ^ uint64(d>>63)
	switch {
	case z < 1<<4:
		w.WriteBits(z<<1, 5)
	case z < 1<<8 && f.Bits > 8:
		w.WriteBits(z<<2|0b01, 10)
	case z < 1<<12 && f.Bits > 12:
		w.WriteBits(z<<3|0b011, 15)
	default:
		w.WriteBits(0b111, 3)
		w.WriteBits(uint64(v-lo), int(f.Bits))
	}
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

// writeGamma writes v with an Elias gamma code of v+1: n-1 one bits, a zero, then the low
// n-1 bits of v+1, where n is its bit length. 0 takes 1 bit, 1..2 take 3, 3..6 take 5.
func writeGamma(w *netcode.BitWriter, v uint64) {
	v++
	n := bits.Len64(v) - 1
	w.WriteBits(1<<n-1, n+1)
	w.WriteBits(v, n)
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

// checkFields validates an entity's fields against its kind: each in its range, the rest zero.
func checkFields(ks *KindSpec, e *Entity) error {
	if len(ks.Fields) > MaxFields {
		return fmt.Errorf("%w: kind %q has %d fields", ErrBadSchema, ks.Name, len(ks.Fields))
	}
	for f := range MaxFields {
		v := int64(e.Fields[f])
		if f >= len(ks.Fields) {
			if v != 0 {
				return fmt.Errorf("%w: entity %d: field %d beyond kind %q", ErrInvalid, e.ID, f, ks.Name)
			}
			continue
		}
		fs := &ks.Fields[f]
		if fs.Bits == 0 || fs.Bits > 32 {
			return fmt.Errorf("%w: kind %q field %q: %d bits", ErrBadSchema, ks.Name, fs.Name, fs.Bits)
		}
		if lo, hi := fieldRange(fs); v < lo || v > hi {
			return fmt.Errorf("%w: entity %d field %q = %d outside %d..%d", ErrInvalid, e.ID, fs.Name, v, lo, hi)
		}
	}
	return nil
}

// PeekTicks reads the tick of an encoded snapshot and the tick of the baseline it needs.
func PeekTicks(b []byte) (tick, baselineTick uint32, hasBaseline bool, err error) {
	if len(b) < headerBytes {
		return 0, 0, false, io.ErrUnexpectedEOF
	}
	if b[0]>>4 != ProtocolVersion || b[0]&0x0f&^flagBaseline != 0 {
		return 0, 0, false, fmt.Errorf("%w: version/flags byte %#x", ErrMalformed, b[0])
	}
	tick = binary.LittleEndian.Uint32(b[1:])
	if b[0]&flagBaseline == 0 {
		return tick, 0, false, nil
	}
	if len(b) < headerBytes+baseBytes {
		return 0, 0, false, io.ErrUnexpectedEOF
	}
	return tick, tick - uint32(binary.LittleEndian.Uint16(b[headerBytes:])), true, nil
}

// ParseDelta decodes b, made by AppendDelta against baseline (which must be the snapshot of
// the baseline tick PeekTicks reports; it is ignored for a full snapshot), into out, reusing
// out's capacity. out must not share memory with baseline. Bad input is an error, never a
// panic: unknown version, kinds or classes, values out of range, IDs that collide or pass
// 65535, more than MaxEntities entities, short or over-long input. On error out is
// unspecified.
func (s *Schema) ParseDelta(b []byte, baseline *Snapshot, out *Snapshot) error {
	tick, baseTick, hasBase, err := PeekTicks(b)
	if err != nil {
		return fmt.Errorf("snapshot: parse delta: %w", err)
	}
	if err := s.Validate(); err != nil {
		return err
	}
	n := headerBytes
	var bl []Entity
	if hasBase {
		n += baseBytes
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
	if len(out.Entities) > kept && kept > 0 {
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
