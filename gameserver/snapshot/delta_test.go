package snapshot

import (
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// testSchema looks like a game's: a moving body with velocity-predicted position, a
// projectile with constant fields, a marker with one tiny field and a kind with no fields.
func testSchema() *Schema {
	return &Schema{Kinds: []KindSpec{
		{Name: "body", Fields: []FieldSpec{
			{Name: "x", Bits: 16, RateField: 3}, {Name: "y", Bits: 16, RateField: 4},
			{Name: "vx", Bits: 10, Signed: true}, {Name: "vy", Bits: 10, Signed: true},
			{Name: "aim", Bits: 10}, {Name: "hp", Bits: 7}, {Name: "flags", Bits: 3},
			{Name: "score", Bits: 12, Signed: true}, {Name: "deaths", Bits: 12},
			{Name: "cool", Bits: 7}, {Name: "respawn", Bits: 9}, {Name: "wide", Bits: 32, Signed: true},
		}},
		{Name: "shot", Fields: []FieldSpec{
			{Name: "x", Bits: 16}, {Name: "y", Bits: 16}, {Name: "vx", Bits: 12, Signed: true},
			{Name: "vy", Bits: 12, Signed: true}, {Name: "t", Bits: 16}, {Name: "owner", Bits: 8},
		}},
		{Name: "mark", Fields: []FieldSpec{{Name: "on", Bits: 1}}},
		{Name: "empty"},
	}}
}

func randField(rng *rand.Rand, f *FieldSpec) int32 {
	lo, hi := fieldRange(f)
	return int32(lo + rng.Int64N(hi-lo+1))
}

func randEntity(rng *rand.Rand, s *Schema, id uint16) Entity {
	e := Entity{ID: id, Kind: uint8(rng.IntN(len(s.Kinds)))}
	for f := range s.Kinds[e.Kind].Fields {
		e.Fields[f] = randField(rng, &s.Kinds[e.Kind].Fields[f])
	}
	return e
}

func randSnapshot(rng *rand.Rand, s *Schema, tick uint32, n int) *Snapshot {
	snap := &Snapshot{Tick: tick}
	id := -1
	for range n {
		id += 1 + rng.IntN(rng.IntN(300)+1)
		if id > 0xffff {
			break
		}
		snap.Entities = append(snap.Entities, randEntity(rng, s, uint16(id)))
	}
	return snap
}

// evolve makes a plausible next snapshot from base: entities move along their velocity,
// some fields change a little or a lot, some entities go, some come, some change kind.
func evolve(rng *rand.Rand, s *Schema, base *Snapshot, dt uint32) *Snapshot {
	cur := &Snapshot{Tick: base.Tick + dt}
	for _, e := range base.Entities {
		switch rng.IntN(20) {
		case 0:
			continue // removed
		case 1:
			cur.Entities = append(cur.Entities, randEntity(rng, s, e.ID)) // maybe another kind
			continue
		}
		ks := &s.Kinds[e.Kind]
		for f := range ks.Fields {
			fs := &ks.Fields[f]
			lo, hi := fieldRange(fs)
			v := int64(e.Fields[f])
			switch p := rng.IntN(10); {
			case fs.RateField != 0 && p < 6:
				v += int64(e.Fields[fs.RateField-1]) * int64(dt)
			case p < 8:
			case p < 9:
				v += rng.Int64N(41) - 20
			default:
				v = int64(randField(rng, fs))
			}
			e.Fields[f] = int32(min(max(v, lo), hi))
		}
		cur.Entities = append(cur.Entities, e)
	}
	for range rng.IntN(8) {
		id := uint16(rng.IntN(1 << 16))
		if _, ok := cur.Find(id); !ok {
			cur.Entities = append(cur.Entities, randEntity(rng, s, id))
		}
	}
	sortEntities(cur.Entities)
	return cur
}

func sortEntities(es []Entity) {
	for i := 1; i < len(es); i++ {
		for j := i; j > 0 && es[j-1].ID > es[j].ID; j-- {
			es[j-1], es[j] = es[j], es[j-1]
		}
	}
}

func requireSame(t testing.TB, want, got *Snapshot) {
	t.Helper()
	require.Equal(t, want.Tick, got.Tick)
	require.Equal(t, len(want.Entities), len(got.Entities))
	for i := range want.Entities {
		require.Equal(t, want.Entities[i], got.Entities[i], "entity %d", i)
	}
}

func TestDeltaRoundTripProperty(t *testing.T) {
	s := testSchema()
	require.NoError(t, s.Validate())
	rng := rand.New(rand.NewPCG(1, 2))
	var buf []byte
	var out Snapshot
	for iter := range 600 {
		base := randSnapshot(rng, s, rng.Uint32(), rng.IntN(200))
		dt := uint32(1 + rng.IntN(40))
		if iter%50 == 0 {
			dt = 0xffff
		}
		cur := evolve(rng, s, base, dt)
		var err error
		buf, err = s.AppendDelta(buf[:0], base, cur)
		require.NoError(t, err)
		tick, bt, hasBase, err := PeekTicks(buf)
		require.NoError(t, err)
		require.True(t, hasBase)
		require.Equal(t, cur.Tick, tick)
		require.Equal(t, base.Tick, bt)
		require.NoError(t, s.ParseDelta(buf, base, &out), "iter %d", iter)
		requireSame(t, cur, &out)

		buf, err = s.AppendDelta(buf[:0], nil, cur)
		require.NoError(t, err)
		require.NoError(t, s.ParseDelta(buf, nil, &out))
		requireSame(t, cur, &out)
	}
}

func TestDeltaEmptyAndIdentical(t *testing.T) {
	s := testSchema()
	rng := rand.New(rand.NewPCG(3, 4))
	base := randSnapshot(rng, s, 100, 50)
	cur := &Snapshot{Tick: 101}
	for _, e := range base.Entities {
		if e.Kind == 0 { // bodies keep moving at their velocity: free
			e.Fields[0] += e.Fields[2]
			e.Fields[1] += e.Fields[3]
			if e.Fields[0] < 0 || e.Fields[0] > 0xffff || e.Fields[1] < 0 || e.Fields[1] > 0xffff {
				continue
			}
		}
		cur.Entities = append(cur.Entities, e)
	}
	b, err := s.AppendDelta(nil, base, cur)
	require.NoError(t, err)
	require.LessOrEqual(t, len(b), 1+3+1+len(base.Entities)*2/8+2)
	var out Snapshot
	require.NoError(t, s.ParseDelta(b, base, &out))
	requireSame(t, cur, &out)

	empty := &Snapshot{Tick: 5}
	b, err = s.AppendDelta(nil, nil, empty)
	require.NoError(t, err)
	require.NoError(t, s.ParseDelta(b, nil, &out))
	requireSame(t, empty, &out)
}

func TestAppendDeltaRejectsInvalid(t *testing.T) {
	s := testSchema()
	good := Entity{ID: 1, Kind: 0}
	cases := map[string]*Snapshot{
		"unsorted":     {Entities: []Entity{{ID: 2}, {ID: 1}}},
		"duplicate":    {Entities: []Entity{{ID: 2}, {ID: 2}}},
		"unknown kind": {Entities: []Entity{{ID: 1, Kind: 9}}},
		"out of range": {Entities: []Entity{{ID: 1, Kind: 0, Fields: [MaxFields]int32{-1}}}},
		"extra field":  {Entities: []Entity{{ID: 1, Kind: 2, Fields: [MaxFields]int32{0, 5}}}},
		"ok":           {Entities: []Entity{good}},
	}
	for name, snap := range cases {
		_, err := s.AppendDelta(nil, nil, snap)
		if name == "ok" {
			require.NoError(t, err)
			continue
		}
		require.ErrorIs(t, err, ErrInvalid, name)
	}
	_, err := s.AppendDelta(nil, &Snapshot{Tick: 0}, &Snapshot{Tick: 70000})
	require.ErrorIs(t, err, ErrInvalid)
	_, err = (&Schema{}).AppendDelta(nil, nil, &Snapshot{})
	require.ErrorIs(t, err, ErrBadSchema)
}

func TestParseDeltaRejects(t *testing.T) {
	s := testSchema()
	rng := rand.New(rand.NewPCG(5, 6))
	base := randSnapshot(rng, s, 10, 30)
	cur := evolve(rng, s, base, 3)
	b, err := s.AppendDelta(nil, base, cur)
	require.NoError(t, err)
	var out Snapshot

	require.ErrorIs(t, s.ParseDelta(b[:3], base, &out), io.ErrUnexpectedEOF)
	require.ErrorIs(t, s.ParseDelta(b, nil, &out), ErrBaselineMismatch)
	require.ErrorIs(t, s.ParseDelta(b, &Snapshot{Tick: 11}, &out), ErrBaselineMismatch)
	require.ErrorIs(t, s.ParseDelta(b, base, base), ErrInvalid, "out aliasing the baseline")
	bad := append([]byte{(ProtocolVersion+1)<<4 | flagBaseline}, b[1:]...)
	require.ErrorIs(t, s.ParseDelta(bad, base, &out), ErrMalformed, "version")
	// The tick is a shortest-form varint: 10 written as 0x8a 0x00 is refused.
	long := append([]byte{b[0], 0x8a, 0x00}, b[2:]...)
	require.ErrorIs(t, s.ParseDelta(long, base, &out), ErrMalformed, "non-minimal tick")
	require.ErrorIs(t, s.ParseDelta(append(b[:len(b):len(b)], 0, 0), base, &out), ErrMalformed, "trailing bytes")
	err = s.ParseDelta(b[:len(b)-2], base, &out)
	require.Error(t, err)

	// A full snapshot claiming more entities than the limit is refused before allocation.
	w := []byte{ProtocolVersion << 4, 0}
	huge := make([]byte, 0, 16)
	huge = append(huge, w...)
	huge = append(huge, 0xff, 0xff, 0x01, 0, 0, 0, 0) // gamma with a 16+ bit count
	require.Error(t, s.ParseDelta(huge, nil, &out))

	// Unknown kind in a creation: schema with 3 kinds uses 2 bits; kind 3 is "empty" so use
	// a 2-kind schema view to provoke it.
	small := &Schema{Kinds: s.Kinds[:3]}
	full, err := s.AppendDelta(nil, nil, &Snapshot{Entities: []Entity{{ID: 4, Kind: 3}}})
	require.NoError(t, err)
	require.ErrorIs(t, small.ParseDelta(full, nil, &out), ErrMalformed)
}

func TestSnapshotCodecAllocs(t *testing.T) {
	s := testSchema()
	rng := rand.New(rand.NewPCG(7, 8))
	base := randSnapshot(rng, s, 1000, 300)
	cur := evolve(rng, s, base, 4)
	buf := make([]byte, 0, 64<<10)
	var out Snapshot
	out.Entities = make([]Entity, 0, MaxEntities)
	var err error
	allocs := testing.AllocsPerRun(50, func() {
		buf, err = s.AppendDelta(buf[:0], base, cur)
	})
	require.NoError(t, err)
	require.Zero(t, allocs, "delta encode")
	allocs = testing.AllocsPerRun(50, func() {
		buf, err = s.AppendDelta(buf[:0], nil, cur)
	})
	require.NoError(t, err)
	require.Zero(t, allocs, "full encode")
	d, err := s.AppendDelta(nil, base, cur)
	require.NoError(t, err)
	allocs = testing.AllocsPerRun(50, func() {
		err = s.ParseDelta(d, base, &out)
	})
	require.NoError(t, err)
	require.Zero(t, allocs, "delta decode")
}

func TestAppendJSON(t *testing.T) {
	s := testSchema()
	snap := &Snapshot{Tick: 7, Entities: []Entity{{ID: 3, Kind: 2, Fields: [MaxFields]int32{1}}, {ID: 4, Kind: 3}}}
	require.JSONEq(t, `{"tick":7,"entities":[{"id":3,"kind":"mark","on":1},{"id":4,"kind":"empty"}]}`,
		string(s.AppendJSON(nil, snap)))
}

func TestSchemaValidate(t *testing.T) {
	require.NoError(t, testSchema().Validate())
	for _, s := range []*Schema{
		{},
		{Kinds: []KindSpec{{Fields: []FieldSpec{{Bits: 0}}}}},
		{Kinds: []KindSpec{{Fields: []FieldSpec{{Bits: 33}}}}},
		{Kinds: []KindSpec{{Fields: []FieldSpec{{Bits: 8, RateField: 1}}}}},
		{Kinds: []KindSpec{{Fields: []FieldSpec{{Bits: 8, RateField: 3}, {Bits: 4}}}}},
		{Kinds: make([]KindSpec, MaxKinds+1)},
	} {
		require.ErrorIs(t, s.Validate(), ErrBadSchema)
	}
}

func FuzzParseDelta(f *testing.F) {
	s := testSchema()
	rng := rand.New(rand.NewPCG(9, 10))
	base := randSnapshot(rng, s, 500, 40)
	for range 8 {
		cur := evolve(rng, s, base, uint32(1+rng.IntN(5)))
		b, err := s.AppendDelta(nil, base, cur)
		require.NoError(f, err)
		f.Add(b)
		b, err = s.AppendDelta(nil, nil, cur)
		require.NoError(f, err)
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{0x11, 1, 0, 0, 0, 1, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		var out, again Snapshot
		bl := *base
		if _, bt, ok, err := PeekTicks(b); err == nil && ok {
			bl.Tick = bt
		}
		if err := s.ParseDelta(b, &bl, &out); err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, ErrBaselineMismatch) {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
		// Whatever decoded is a valid snapshot that survives a round trip.
		_, _, hasBase, _ := PeekTicks(b)
		var ref *Snapshot
		if hasBase {
			ref = &bl
		}
		enc, err := s.AppendDelta(nil, ref, &out)
		require.NoError(t, err)
		require.NoError(t, s.ParseDelta(enc, ref, &again))
		requireSame(t, &out, &again)
	})
}

func TestEncoderShares(t *testing.T) {
	s := testSchema()
	rng := rand.New(rand.NewPCG(11, 12))
	b1 := randSnapshot(rng, s, 100, 50)
	b2 := evolve(rng, s, b1, 2)
	cur := evolve(rng, s, b2, 3)
	enc := NewEncoder(s)
	for round := range 3 {
		enc.Reset(cur)
		d1, err := enc.Encode(b1)
		require.NoError(t, err)
		full, err := enc.Encode(nil)
		require.NoError(t, err)
		d2, err := enc.Encode(b2)
		require.NoError(t, err)
		again, err := enc.Encode(b1)
		require.NoError(t, err)
		require.Equal(t, &d1[0], &again[0], "shared bytes")
		for _, c := range []struct {
			b    []byte
			base *Snapshot
		}{{d1, b1}, {d2, b2}, {full, nil}} {
			want, err := s.AppendDelta(nil, c.base, cur)
			require.NoError(t, err)
			require.Equal(t, want, c.b, "round %d", round)
		}
	}
	allocs := testing.AllocsPerRun(20, func() {
		enc.Reset(cur)
		_, _ = enc.Encode(b1)
		_, _ = enc.Encode(b2)
		_, _ = enc.Encode(nil)
	})
	require.Zero(t, allocs)
}

func BenchmarkAppendDelta(b *testing.B) {
	s := testSchema()
	rng := rand.New(rand.NewPCG(13, 14))
	base := randSnapshot(rng, s, 1000, 100)
	cur := evolve(rng, s, base, 4)
	buf := make([]byte, 0, 64<<10)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = s.AppendDelta(buf[:0], base, cur)
	}
	b.ReportMetric(float64(len(buf)), "B/snapshot")
}

func BenchmarkParseDelta(b *testing.B) {
	s := testSchema()
	rng := rand.New(rand.NewPCG(13, 14))
	base := randSnapshot(rng, s, 1000, 100)
	cur := evolve(rng, s, base, 4)
	d, err := s.AppendDelta(nil, base, cur)
	require.NoError(b, err)
	var out Snapshot
	b.ReportAllocs()
	for b.Loop() {
		if err := s.ParseDelta(d, base, &out); err != nil {
			b.Fatal(err)
		}
	}
}
