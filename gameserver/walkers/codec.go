package walkers

import (
	"fmt"
	"io"
	"math/bits"
	"slices"

	"github.com/skirmish-go/skirmish/gameserver/snapshot"
	"github.com/skirmish-go/skirmish/netcode"
)

// Entity fields of a walker (kind [KindWalker], ID = slot).
const (
	FieldX       = iota // leg start x, 1/PosScale px
	FieldY              // leg start y, 1/PosScale px
	FieldHeading        // leg heading, 0..HeadingSteps-1
	FieldLegTick        // leg start tick (a uint32 stored in the int32 field)
	FieldHP             // 0..MaxHP
	FieldScore          // 0..MaxScore
)

// KindWalker is the one entity kind of walkers.
const KindWalker = 0

// MaxScore is the largest score a snapshot carries.
const MaxScore = 1<<24 - 1

// State is one walker as a snapshot carries it.
type State struct {
	Slot  uint8
	Leg   Leg
	HP    int
	Score int
}

// Entity returns s as a snapshot entity.
func (s State) Entity() snapshot.Entity {
	e := snapshot.Entity{ID: uint16(s.Slot), Kind: KindWalker}
	e.Fields[FieldX] = s.Leg.X
	e.Fields[FieldY] = s.Leg.Y
	e.Fields[FieldHeading] = int32(s.Leg.Heading)
	e.Fields[FieldLegTick] = int32(s.Leg.Tick)
	e.Fields[FieldHP] = int32(s.HP)
	e.Fields[FieldScore] = int32(s.Score)
	return e
}

// StateOf reads a walker entity.
func StateOf(e *snapshot.Entity) State {
	return State{
		Slot: uint8(e.ID),
		Leg: Leg{X: e.Fields[FieldX], Y: e.Fields[FieldY], Heading: uint16(e.Fields[FieldHeading]),
			Tick: uint32(e.Fields[FieldLegTick])},
		HP:    int(e.Fields[FieldHP]),
		Score: int(e.Fields[FieldScore]),
	}
}

// Schema returns the walkers' snapshot schema: one kind, "walker", whose bodies [Codec]
// encodes. The field specs name the fields (for snapshot's JSON) and give their ranges.
func Schema() *snapshot.Schema {
	return &snapshot.Schema{
		Kinds: []snapshot.KindSpec{{Name: "walker", Fields: []snapshot.FieldSpec{
			{Name: "x", Bits: 16}, {Name: "y", Bits: 16}, {Name: "heading", Bits: HeadingBits},
			{Name: "leg_tick", Bits: 32, Signed: true}, {Name: "hp", Bits: 7}, {Name: "score", Bits: 24},
		}}},
		Codec: Codec{},
	}
}

// Codec is the walkers' snapshot body ([snapshot.Codec]): deltas against what a client
// predicts from its baseline. A walker whose leg, health and score are those of the baseline
// costs nothing but its share of the changed-entity list; one that turned costs its index,
// the tick it turned (relative), its new heading and where it stood, coded against where
// the baseline's leg puts it then (usually exactly there: zero, one bit per axis).
//
// Bit layout (netcode.BitWriter order), after snapshot's header; T is the snapshot's tick:
//
//	with a baseline of n entities:
//	  0 gamma(k) k×gamma(gap)   changed list: gap = baseline index − previous listed index − 1,
//	                            then the listed entities' bodies in baseline order
//	  1                         changed mask: for each baseline entity one bit (1: listed),
//	                            each 1 followed at once by that entity's body
//	  body of a listed entity:
//	    0                       a new leg (only)
//	    1 0                     removed
//	    1 1 l h s               l: a new leg, h: health, s: score follow (in that order)
//	      leg     gamma(T − leg tick), heading (12 bits),
//	              sgamma(x − px), sgamma(y − py)    (px, py) = baseline leg at the new leg's
//	                                                tick, rounded to 1/32 px (Leg.AtGrid)
//	      health  7 bits
//	      score   sgamma(score − baseline score)
//	gamma(c), then c created entities in ID order:
//	  gamma(ID gap), x (16 bits), y (16 bits), heading (12 bits), gamma(T − leg tick),
//	  health (7 bits), gamma(score)
//
// gamma(v) is snapshot's Elias gamma code of v+1 (0 costs 1 bit); sgamma(d) is gamma of
// zigzag(d). The encoder picks the shorter of list and mask. A full snapshot (no baseline)
// is the creations alone. The decoder checks every range (positions inside the arena,
// health ≤ 100, score ≤ MaxScore, IDs ascending and unique, at most snapshot.MaxEntities)
// and that no byte is left over.
type Codec struct{}

var _ snapshot.Codec = Codec{}

// maxGammaBits bounds a gamma code's length prefix on decode.
const maxGammaBits = 32

// AppendBody implements snapshot.Codec.
func (Codec) AppendBody(dst []byte, baseline, cur *snapshot.Snapshot) ([]byte, error) {
	for i := range cur.Entities {
		if err := checkEntity(&cur.Entities[i], cur.Tick); err != nil {
			return dst, err
		}
	}
	w := snapshot.NewBitPacker(dst)
	var bl []snapshot.Entity
	if baseline != nil {
		bl = baseline.Entities
		// Which baseline entities to list: changed or removed.
		var list, gaps int
		prev := -1
		j := 0
		for bi := range bl {
			be := &bl[bi]
			for j < len(cur.Entities) && cur.Entities[j].ID < be.ID {
				j++
			}
			if j < len(cur.Entities) && cur.Entities[j].ID == be.ID && cur.Entities[j].Kind == be.Kind &&
				cur.Entities[j].Fields == be.Fields {
				continue
			}
			list++
			gaps += gammaLen(uint64(bi - prev - 1))
			prev = bi
		}
		useMask := gammaLen(uint64(list))+gaps > len(bl)
		if useMask {
			w.Put(1, 1) // the mask bits go with the bodies below
		} else {
			w.Put(0, 1)
			w.Gamma(uint64(list))
			prev, j = -1, 0
			for bi := range bl {
				be := &bl[bi]
				for j < len(cur.Entities) && cur.Entities[j].ID < be.ID {
					j++
				}
				if j < len(cur.Entities) && cur.Entities[j].ID == be.ID && cur.Entities[j].Kind == be.Kind &&
					cur.Entities[j].Fields == be.Fields {
					continue
				}
				w.Gamma(uint64(bi - prev - 1))
				prev = bi
			}
		}
		j = 0
		for bi := range bl {
			be := &bl[bi]
			for j < len(cur.Entities) && cur.Entities[j].ID < be.ID {
				j++
			}
			present := j < len(cur.Entities) && cur.Entities[j].ID == be.ID && cur.Entities[j].Kind == be.Kind
			if present && cur.Entities[j].Fields == be.Fields {
				if useMask {
					w.Put(0, 1)
				}
				continue
			}
			if useMask {
				w.Put(1, 1)
			}
			if !present {
				w.Put(0b01, 2) // 1 0: removed
				continue
			}
			ce := &cur.Entities[j]
			b, c := StateOf(be), StateOf(ce)
			leg, hp, score := b.Leg != c.Leg, b.HP != c.HP, b.Score != c.Score
			if leg && !hp && !score {
				w.Put(0, 1)
			} else {
				w.Put(0b11|bit(leg)<<2|bit(hp)<<3|bit(score)<<4, 5)
			}
			if leg {
				w.Gamma(uint64(cur.Tick - c.Leg.Tick))
				w.Put(uint64(c.Leg.Heading), HeadingBits)
				px, py := b.Leg.AtGrid(c.Leg.Tick)
				sgamma(&w, int64(c.Leg.X)-int64(px))
				sgamma(&w, int64(c.Leg.Y)-int64(py))
			}
			if hp {
				w.Put(uint64(c.HP), 7)
			}
			if score {
				sgamma(&w, int64(c.Score)-int64(b.Score))
			}
		}
	}
	// Creations: entities of cur not in the baseline.
	created := 0
	j := 0
	for ci := range cur.Entities {
		ce := &cur.Entities[ci]
		for j < len(bl) && bl[j].ID < ce.ID {
			j++
		}
		if j < len(bl) && bl[j].ID == ce.ID && bl[j].Kind == ce.Kind {
			continue
		}
		created++
	}
	w.Gamma(uint64(created))
	prev := -1
	j = 0
	for ci := range cur.Entities {
		ce := &cur.Entities[ci]
		for j < len(bl) && bl[j].ID < ce.ID {
			j++
		}
		if j < len(bl) && bl[j].ID == ce.ID && bl[j].Kind == ce.Kind {
			continue
		}
		c := StateOf(ce)
		w.Gamma(uint64(int(ce.ID) - prev - 1))
		prev = int(ce.ID)
		w.Put(uint64(c.Leg.X), 16)
		w.Put(uint64(c.Leg.Y), 16)
		w.Put(uint64(c.Leg.Heading), HeadingBits)
		w.Gamma(uint64(cur.Tick - c.Leg.Tick))
		w.Put(uint64(c.HP), 7)
		w.Gamma(uint64(c.Score))
	}
	w.Flush()
	if err := w.Err(); err != nil {
		return dst, fmt.Errorf("walkers: encode: %w", err)
	}
	return w.Bytes(), nil
}

func bit(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// checkEntity validates a walker entity of a snapshot at tick.
func checkEntity(e *snapshot.Entity, tick uint32) error {
	s := StateOf(e)
	switch {
	case e.Kind != KindWalker:
		return fmt.Errorf("%w: entity %d: kind %d", snapshot.ErrInvalid, e.ID, e.Kind)
	case s.Leg.X < 0 || s.Leg.X > maxX || s.Leg.Y < 0 || s.Leg.Y > maxY:
		return fmt.Errorf("%w: walker %d at (%d, %d) outside the arena", snapshot.ErrInvalid, e.ID, s.Leg.X, s.Leg.Y)
	case e.Fields[FieldHeading] < 0 || e.Fields[FieldHeading] >= HeadingSteps:
		return fmt.Errorf("%w: walker %d heading %d", snapshot.ErrInvalid, e.ID, e.Fields[FieldHeading])
	case s.Leg.Tick > tick:
		return fmt.Errorf("%w: walker %d leg starts at tick %d after %d", snapshot.ErrInvalid, e.ID, s.Leg.Tick, tick)
	case s.HP < 0 || s.HP > MaxHP:
		return fmt.Errorf("%w: walker %d health %d", snapshot.ErrInvalid, e.ID, s.HP)
	case s.Score < 0 || s.Score > MaxScore:
		return fmt.Errorf("%w: walker %d score %d", snapshot.ErrInvalid, e.ID, s.Score)
	}
	for f := FieldScore + 1; f < snapshot.MaxFields; f++ {
		if e.Fields[f] != 0 {
			return fmt.Errorf("%w: walker %d field %d set", snapshot.ErrInvalid, e.ID, f)
		}
	}
	return nil
}

// ParseBody implements snapshot.Codec.
func (Codec) ParseBody(b []byte, baseline *snapshot.Snapshot, out *snapshot.Snapshot) error {
	r := netcode.NewBitReader(b)
	tick := out.Tick
	out.Entities = out.Entities[:0]
	var bl []snapshot.Entity
	if baseline != nil {
		bl = baseline.Entities
		if len(bl) > snapshot.MaxEntities {
			return fmt.Errorf("%w: baseline has %d entities", snapshot.ErrInvalid, len(bl))
		}
		for i := range bl {
			if bl[i].Kind != KindWalker {
				return fmt.Errorf("%w: baseline entity %d: kind %d", snapshot.ErrInvalid, bl[i].ID, bl[i].Kind)
			}
		}
		useMask := r.ReadBits(1) == 1
		var listed, next int // list mode: entries left, and the next listed baseline index
		if !useMask {
			k, ok := readGamma(&r)
			if !ok {
				return parseErr(&r, "changed count")
			}
			if k > uint64(len(bl)) {
				return fmt.Errorf("%w: %d changed of %d", snapshot.ErrMalformed, k, len(bl))
			}
			listed = int(k)
			next = -1
			if listed > 0 {
				if next, ok = nextListed(&r, -1, len(bl)); !ok {
					return parseErr(&r, "changed index")
				}
			}
		}
		// The list's gaps come before the bodies: read them all first, into the entities'
		// order, by marking listed entities as we go (IDs are kept in out).
		var marks [snapshot.MaxEntities/64 + 1]uint64
		if !useMask {
			for listed > 0 {
				marks[next/64] |= 1 << (next % 64)
				listed--
				if listed > 0 {
					var ok bool
					if next, ok = nextListed(&r, next, len(bl)); !ok {
						return parseErr(&r, "changed index")
					}
				}
			}
		}
		for bi := range bl {
			be := &bl[bi]
			var isListed bool
			if useMask {
				isListed = r.ReadBits(1) == 1
			} else {
				isListed = marks[bi/64]&(1<<(bi%64)) != 0
			}
			if !isListed {
				out.Entities = append(out.Entities, *be)
				continue
			}
			var leg, hp, score bool
			if r.ReadBits(1) == 0 {
				leg = true
			} else if r.ReadBits(1) == 0 {
				continue // removed
			} else {
				leg, hp, score = r.ReadBits(1) == 1, r.ReadBits(1) == 1, r.ReadBits(1) == 1
			}
			base := StateOf(be)
			s := base
			if leg {
				dt, ok := readGamma(&r)
				if !ok || dt > uint64(tick) {
					return parseErr(&r, "leg tick")
				}
				s.Leg.Tick = tick - uint32(dt)
				s.Leg.Heading = uint16(r.ReadBits(HeadingBits))
				px, py := base.Leg.AtGrid(s.Leg.Tick)
				dx, ok1 := readSGamma(&r)
				dy, ok2 := readSGamma(&r)
				if !ok1 || !ok2 {
					return parseErr(&r, "leg start")
				}
				x, y := int64(px)+dx, int64(py)+dy
				if x < 0 || x > maxX || y < 0 || y > maxY {
					return fmt.Errorf("%w: walker %d leg starts outside the arena", snapshot.ErrMalformed, be.ID)
				}
				s.Leg.X, s.Leg.Y = int32(x), int32(y)
			}
			if hp {
				s.HP = int(r.ReadBits(7))
				if s.HP > MaxHP {
					return fmt.Errorf("%w: walker %d health %d", snapshot.ErrMalformed, be.ID, s.HP)
				}
			}
			if score {
				d, ok := readSGamma(&r)
				if !ok {
					return parseErr(&r, "score")
				}
				v := int64(base.Score) + d
				if v < 0 || v > MaxScore {
					return fmt.Errorf("%w: walker %d score %d", snapshot.ErrMalformed, be.ID, v)
				}
				s.Score = int(v)
			}
			if r.Err() != nil {
				return parseErr(&r, "walker")
			}
			e := s.Entity()
			e.ID = be.ID
			out.Entities = append(out.Entities, e)
		}
	}
	count, ok := readGamma(&r)
	if !ok {
		return parseErr(&r, "creation count")
	}
	// A creation takes at least 53 bits.
	if count > uint64(snapshot.MaxEntities-len(out.Entities)) || count > uint64(r.BitsRemaining()/53) {
		return fmt.Errorf("%w: %d created walkers", snapshot.ErrMalformed, count)
	}
	kept := len(out.Entities)
	prev := -1
	for range count {
		gap, ok := readGamma(&r)
		if !ok {
			return parseErr(&r, "walker ID")
		}
		id := uint64(prev+1) + gap
		if id > 0xffff {
			return fmt.Errorf("%w: walker ID %d", snapshot.ErrMalformed, id)
		}
		prev = int(id)
		var s State
		s.Leg.X = int32(r.ReadBits(16))
		s.Leg.Y = int32(r.ReadBits(16))
		s.Leg.Heading = uint16(r.ReadBits(HeadingBits))
		dt, ok := readGamma(&r)
		if !ok || dt > uint64(tick) {
			return parseErr(&r, "leg tick")
		}
		s.Leg.Tick = tick - uint32(dt)
		s.HP = int(r.ReadBits(7))
		sc, ok := readGamma(&r)
		if !ok {
			return parseErr(&r, "score")
		}
		if s.Leg.X > maxX || s.Leg.Y > maxY || s.HP > MaxHP || sc > MaxScore {
			return fmt.Errorf("%w: walker %d out of range", snapshot.ErrMalformed, id)
		}
		s.Score = int(sc)
		e := s.Entity()
		e.ID = uint16(id)
		out.Entities = append(out.Entities, e)
	}
	if err := r.Err(); err != nil {
		return fmt.Errorf("walkers: parse: %w", err)
	}
	if rem := r.BitsRemaining(); rem >= 8 {
		return fmt.Errorf("%w: %d trailing bits", snapshot.ErrMalformed, rem)
	}
	if len(out.Entities) > kept && kept > 0 && out.Entities[kept-1].ID >= out.Entities[kept].ID {
		slices.SortFunc(out.Entities, func(a, b snapshot.Entity) int { return int(a.ID) - int(b.ID) })
		for i := 1; i < len(out.Entities); i++ {
			if out.Entities[i-1].ID == out.Entities[i].ID {
				return fmt.Errorf("%w: walker %d created twice", snapshot.ErrMalformed, out.Entities[i].ID)
			}
		}
	}
	return nil
}

// nextListed reads a list gap after index prev and returns the listed index, below n.
func nextListed(r *netcode.BitReader, prev, n int) (int, bool) {
	gap, ok := readGamma(r)
	if !ok || gap >= uint64(n-prev-1) {
		return 0, false
	}
	return prev + 1 + int(gap), true
}

func parseErr(r *netcode.BitReader, what string) error {
	if err := r.Err(); err != nil {
		if err == io.ErrUnexpectedEOF {
			return fmt.Errorf("walkers: parse %s: %w", what, err)
		}
		return fmt.Errorf("walkers: parse %s: %w: %w", what, snapshot.ErrMalformed, err)
	}
	return fmt.Errorf("walkers: parse %s: %w", what, snapshot.ErrMalformed)
}

// sgamma writes a signed value as the gamma code of its zigzag form.
func sgamma(b *snapshot.BitPacker, d int64) { b.Gamma(uint64(d<<1) ^ uint64(d>>63)) }

func gammaLen(v uint64) int { return 2*bits.Len64(v+1) - 1 }

func readGamma(r *netcode.BitReader) (uint64, bool) {
	n := 0
	for r.ReadBits(1) == 1 {
		n++
		if n > maxGammaBits {
			return 0, false
		}
	}
	v := r.ReadBits(n) | 1<<n
	return v - 1, r.Err() == nil
}

func readSGamma(r *netcode.BitReader) (int64, bool) {
	z, ok := readGamma(r)
	return int64(z>>1) ^ -int64(z&1), ok
}

// AppendEntities appends every walker as a snapshot entity, sorted by ID (slot), as
// gameserver.Game's AppendEntities must.
func (w *World) AppendEntities(dst []snapshot.Entity) []snapshot.Entity {
	start := len(dst)
	for i := range w.walkers {
		p := &w.walkers[i]
		e := State{Slot: p.Slot, Leg: p.Leg, HP: p.HP, Score: p.Score}.Entity()
		// Insertion sort: at most 64 walkers, nearly sorted, and no allocation.
		dst = append(dst, e)
		for j := len(dst) - 1; j > start && dst[j-1].ID > dst[j].ID; j-- {
			dst[j-1], dst[j] = dst[j], dst[j-1]
		}
	}
	return dst
}
