package snapshot

import (
	"errors"
	"fmt"
	"strconv"
)

// ProtocolVersion is the delta layout version, in the high nibble of byte 0. Bump it on
// every wire-incompatible change. Version 2 writes the tick and the baseline's distance as
// varints (3 and 1 bytes in a match's first few hours, instead of 4 and 2).
const ProtocolVersion = 2

// Limits of the codec.
const (
	MaxFields   = 12   // fields per entity
	MaxKinds    = 16   // kinds per schema
	MaxEntities = 4096 // entities per snapshot; ParseDelta rejects more
	// MaxBaselineAge is the most ticks a baseline may be older than the snapshot.
	MaxBaselineAge = 0xffff
)

// Errors. Parse errors wrap ErrMalformed (or io.ErrUnexpectedEOF for short input).
var (
	ErrMalformed        = errors.New("snapshot: malformed delta")
	ErrBaselineMismatch = errors.New("snapshot: delta needs a different baseline")
	ErrInvalid          = errors.New("snapshot: invalid snapshot for schema")
	ErrBadSchema        = errors.New("snapshot: invalid schema")
)

// Entity is one object of the world as sent: an ID unique within a snapshot, a kind indexing
// [Schema.Kinds], and up to MaxFields quantised integer fields whose meaning the kind defines.
// Fields past the kind's field count must be zero.
type Entity struct {
	ID     uint16
	Kind   uint8
	Fields [MaxFields]int32
}

// FieldSpec describes one field: its name (for JSON) and its value range. An unsigned field
// holds 0..2^Bits-1, a signed one -2^(Bits-1)..2^(Bits-1)-1. Bits is 1..32.
type FieldSpec struct {
	Name   string
	Bits   uint8
	Signed bool
	// RateField, if nonzero, is 1 + the index of another field of the kind that holds this
	// field's change per tick (a velocity for a position). The codec then predicts the value
	// from the baseline by linear extrapolation, so a body moving steadily costs no bits.
	RateField uint8
}

// KindSpec describes one kind of entity.
type KindSpec struct {
	Name   string
	Fields []FieldSpec
}

// Schema is the set of entity kinds a game sends. Kind i of an Entity is Kinds[i].
type Schema struct {
	Kinds []KindSpec
	// Codec, if set, encodes the entities in place of the field-by-field delta: for a game
	// whose entities a client predicts better than "baseline + rate × ticks" (package
	// gameserver/walkers extrapolates clamped straight lines). The header (version, tick,
	// baseline) and the [Encoder]'s sharing stay this package's; Kinds still name the fields
	// for [Schema.AppendJSON].
	Codec Codec
}

// Codec is a game's own encoding of a snapshot's entities, after the header. Both methods
// must allocate nothing once their buffers have grown, and ParseBody must reject bad input
// with an error (wrapping [ErrMalformed] or io.ErrUnexpectedEOF), never a panic.
type Codec interface {
	// AppendBody appends cur's entities as a change from baseline (nil: the whole world).
	// It validates cur.
	AppendBody(dst []byte, baseline, cur *Snapshot) ([]byte, error)
	// ParseBody decodes b, made by AppendBody against baseline (nil for a full snapshot),
	// into out.Entities (reusing their capacity; out.Tick is already the snapshot's tick).
	// It must not retain b.
	ParseBody(b []byte, baseline *Snapshot, out *Snapshot) error
}

// Snapshot is the world at one tick. Entities are sorted by ID, IDs unique.
type Snapshot struct {
	Tick     uint32
	Entities []Entity
}

// Validate checks the schema's limits.
func (s *Schema) Validate() error {
	if len(s.Kinds) == 0 || len(s.Kinds) > MaxKinds {
		return fmt.Errorf("%w: %d kinds (want 1..%d)", ErrBadSchema, len(s.Kinds), MaxKinds)
	}
	for k, ks := range s.Kinds {
		if len(ks.Fields) > MaxFields {
			return fmt.Errorf("%w: kind %d has %d fields", ErrBadSchema, k, len(ks.Fields))
		}
		for i, f := range ks.Fields {
			if f.Bits == 0 || f.Bits > 32 {
				return fmt.Errorf("%w: kind %d field %d: %d bits", ErrBadSchema, k, i, f.Bits)
			}
			if f.RateField != 0 && (int(f.RateField) > len(ks.Fields) || int(f.RateField)-1 == i ||
				ks.Fields[f.RateField-1].RateField != 0) {
				return fmt.Errorf("%w: kind %d field %d: bad rate field %d", ErrBadSchema, k, i, f.RateField)
			}
		}
	}
	return nil
}

// fieldRange returns the inclusive value range of f.
func fieldRange(f *FieldSpec) (lo, hi int64) {
	if f.Signed {
		return -1 << (f.Bits - 1), 1<<(f.Bits-1) - 1
	}
	return 0, 1<<f.Bits - 1
}

// Find returns the entity with id, using binary search.
func (s *Snapshot) Find(id uint16) (*Entity, bool) {
	lo, hi := 0, len(s.Entities)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if s.Entities[m].ID < id {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(s.Entities) && s.Entities[lo].ID == id {
		return &s.Entities[lo], true
	}
	return nil, false
}

// CopyFrom makes s a deep copy of src, reusing s's capacity.
func (s *Snapshot) CopyFrom(src *Snapshot) {
	s.Tick = src.Tick
	s.Entities = append(s.Entities[:0], src.Entities...)
}

// AppendJSON appends cur as JSON, with kinds and fields by name, to dst:
//
//	{"tick":7,"entities":[{"id":0,"kind":"player","x":1234,...},...]}
//
// It exists to compare sizes with the binary form and for debugging. Entities with an
// unknown kind are written with "kind":N and no fields.
func (s *Schema) AppendJSON(dst []byte, cur *Snapshot) []byte {
	dst = append(dst, `{"tick":`...)
	dst = strconv.AppendUint(dst, uint64(cur.Tick), 10)
	dst = append(dst, `,"entities":[`...)
	for i := range cur.Entities {
		e := &cur.Entities[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"id":`...)
		dst = strconv.AppendUint(dst, uint64(e.ID), 10)
		if int(e.Kind) >= len(s.Kinds) {
			dst = append(dst, `,"kind":`...)
			dst = strconv.AppendUint(dst, uint64(e.Kind), 10)
			dst = append(dst, '}')
			continue
		}
		ks := &s.Kinds[e.Kind]
		dst = append(dst, `,"kind":`...)
		dst = strconv.AppendQuote(dst, ks.Name)
		for j := range ks.Fields {
			dst = append(dst, ',')
			dst = strconv.AppendQuote(dst, ks.Fields[j].Name)
			dst = append(dst, ':')
			dst = strconv.AppendInt(dst, int64(e.Fields[j]), 10)
		}
		dst = append(dst, '}')
	}
	return append(dst, "]}"...)
}
