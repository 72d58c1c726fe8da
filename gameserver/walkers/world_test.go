package walkers

import (
	"flag"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite velocity_table.go")

// peerScene is server.mjs transliterated line by line, in float64 as JavaScript computes:
// a Map of players in insertion order, one seed for everything.
type peerScene struct {
	seed    float64
	order   []string
	players map[string]*peerPlayer
	vel     map[string]*struct{ a float64 }
}

type peerPlayer struct{ x, y, angle, hp, score float64 }

func (s *peerScene) rnd() float64 {
	s.seed = math.Mod(float64(s.seed*1103515245)+12345, 2147483648)
	return s.seed / 2147483648
}

func (s *peerScene) onJoin(id string) {
	p := &peerPlayer{}
	p.x = s.rnd() * 1600
	p.y = s.rnd() * 1200
	p.angle = 0
	p.hp = 100
	p.score = 0
	s.players[id] = p
	s.order = append(s.order, id)
	s.vel[id] = &struct{ a float64 }{a: s.rnd() * 6.28}
}

func (s *peerScene) onLeave(id string) {
	delete(s.players, id)
	for i, o := range s.order {
		if o == id {
			s.order = append(s.order[:i], s.order[i+1:]...)
			break
		}
	}
}

func (s *peerScene) simulate() {
	for _, id := range s.order {
		p := s.players[id]
		v := s.vel[id]
		if s.rnd() < 0.02 {
			v.a = s.rnd() * math.Pi * 2
		}
		p.x = math.Min(1600, math.Max(0, p.x+math.Cos(v.a)*220/60))
		p.y = math.Min(1200, math.Max(0, p.y+math.Sin(v.a)*220/60))
		p.angle = v.a
		if s.rnd() < 0.005 {
			p.hp = math.Max(0, p.hp-20)
		}
		if s.rnd() < 0.001 {
			p.score += 1
		}
	}
}

func newPeerScene() *peerScene {
	return &peerScene{seed: 1, players: map[string]*peerPlayer{}, vel: map[string]*struct{ a float64 }{}}
}

// slotNames are the peer's session IDs of our slots.
var slotNames = func() (n [256]string) {
	for i := range n {
		n[i] = fmt.Sprint(i)
	}
	return n
}()

// requireSameAsPeer checks every walker against the peer's player of the same join, bit for bit.
func requireSameAsPeer(t *testing.T, w *World, peer *peerScene, tick int) {
	t.Helper()
	require.Len(t, w.Walkers(), len(peer.order), "tick %d", tick)
	for i, id := range peer.order {
		p, q := peer.players[id], &w.Walkers()[i]
		if slotNames[q.Slot] != id || p.x != q.X || p.y != q.Y || p.angle != q.Angle || p.hp != float64(q.HP) ||
			p.score != float64(q.Score) || peer.vel[id].a != q.Heading {
			t.Fatalf("tick %d, walker %d of the join order: peer %s %+v heading %v, ours %+v", tick, i, id, *p, peer.vel[id].a, *q)
		}
	}
}

func TestWorldMatchesPeerScene(t *testing.T) {
	for _, tc := range []struct{ n, ticks int }{{1, 3000}, {16, 3000}, {64, 1000}} {
		t.Run(fmt.Sprint(tc.n), func(t *testing.T) {
			w, peer := NewWorld(), newPeerScene()
			for i := range tc.n {
				require.NoError(t, w.Join(uint8(i)))
				peer.onJoin(fmt.Sprint(i))
			}
			for tick := range tc.ticks {
				w.Step()
				peer.simulate()
				requireSameAsPeer(t, w, peer, tick)
			}
			require.Equal(t, uint32(tc.ticks), w.Tick())
		})
	}
}

func TestWorldJoinsAndLeavesLikePeer(t *testing.T) {
	w, peer := NewWorld(), newPeerScene()
	join := func(i int) {
		require.NoError(t, w.Join(uint8(i)))
		peer.onJoin(fmt.Sprint(i))
	}
	leave := func(i int) {
		w.Leave(uint8(i))
		peer.onLeave(fmt.Sprint(i))
	}
	for i := range 5 {
		join(i)
	}
	for tick := range 600 {
		switch tick {
		case 100:
			leave(2)
		case 200:
			join(2) // back, last in order
		case 300:
			join(7)
			leave(0)
		}
		w.Step()
		peer.simulate()
		requireSameAsPeer(t, w, peer, tick)
	}
	require.ErrorIs(t, w.Join(7), ErrSeated)
}

func TestWorldFull(t *testing.T) {
	w := NewWorld()
	for i := range MaxWalkers {
		require.NoError(t, w.Join(uint8(i)))
	}
	require.ErrorIs(t, w.Join(200), ErrFull)
}

// TestLegsTrackTruth checks the property snapshots rely on: at every tick, every walker's leg
// extrapolates to within Tolerance of its true position, and its heading to within half a
// quantisation step, while new legs stay rare (turns, plus a drift correction now and then).
func TestLegsTrackTruth(t *testing.T) {
	w := NewWorld()
	for i := range 64 {
		require.NoError(t, w.Join(uint8(i)))
	}
	legs := 0
	prev := make([]Leg, 64)
	for i, p := range w.Walkers() {
		prev[i] = p.Leg
	}
	const ticks = 3000
	for range ticks {
		w.Step()
		for i := range w.Walkers() {
			p := &w.Walkers()[i]
			x, y := p.Leg.At(w.Tick())
			d := math.Remainder(HeadingRadians(p.Leg.Heading)-p.Heading, 2*math.Pi)
			if math.Abs(p.X-float64(x)/FineScale) > Tolerance || math.Abs(p.Y-float64(y)/FineScale) > Tolerance ||
				math.Abs(d) > math.Pi/HeadingSteps+1e-12 {
				t.Fatalf("tick %d walker %d: leg %+v puts it at (%v, %v) heading %v, truth (%v, %v) heading %v",
					w.Tick(), p.Slot, p.Leg, float64(x)/FineScale, float64(y)/FineScale, HeadingRadians(p.Leg.Heading),
					p.X, p.Y, p.Heading)
			}
			if p.Leg != prev[i] {
				legs++
				prev[i] = p.Leg
			}
		}
	}
	perWalkerTick := float64(legs) / ticks / 64
	t.Logf("new legs per walker per tick: %.4f (turns alone: 0.02)", perWalkerTick)
	require.Less(t, perWalkerTick, 0.025)
}

func TestLegAtClampsLikeTheRules(t *testing.T) {
	// Heading 0 (+x) from x = 1599: one tick reaches the wall and stays.
	l := Leg{X: 1599 * PosScale, Y: 600 * PosScale, Heading: 0, Tick: 10}
	x, y := l.At(10)
	require.Equal(t, int64(1599*FineScale), x)
	require.Equal(t, int64(600*FineScale), y)
	x, _ = l.At(11)
	require.Equal(t, int64(Width*FineScale), x)
	x, _ = l.At(1000)
	require.Equal(t, int64(Width*FineScale), x)
	// Heading π (−x) from 2 px: clamps at 0.
	l = Leg{X: 2 * PosScale, Heading: HeadingSteps / 2}
	x, _ = l.At(5)
	require.Equal(t, int64(0), x)
	px, py := l.Pixels(0.5)
	require.InDelta(t, 2-Speed/2, px, 1e-4)
	require.Equal(t, 0.0, py)
}

func TestQuantHeading(t *testing.T) {
	require.Equal(t, uint16(0), QuantHeading(0))
	require.Equal(t, uint16(0), QuantHeading(2*math.Pi-1e-9))
	require.Equal(t, uint16(HeadingSteps/4), QuantHeading(math.Pi/2))
	require.Equal(t, uint16(HeadingSteps/2), QuantHeading(-math.Pi))
	for h := range uint16(HeadingSteps) {
		require.Equal(t, h, QuantHeading(HeadingRadians(h)))
		vx, vy := Velocity(h)
		a := HeadingRadians(h)
		require.InDelta(t, math.Cos(a)*Speed*FineScale, float64(vx), 0.5+1e-6, "heading %d", h)
		require.InDelta(t, math.Sin(a)*Speed*FineScale, float64(vy), 0.5+1e-6, "heading %d", h)
	}
}

// TestVelocityTable checks velocity_table.go against math.Cos; -update rewrites it.
func TestVelocityTable(t *testing.T) {
	var b strings.Builder
	b.WriteString("// Code generated by TestVelocityTable -update; DO NOT EDIT.\n\npackage walkers\n\n")
	b.WriteString("// quarterVelocity[i] is round(cos(i·2π/HeadingSteps) · Speed · FineScale) for i in\n" +
		"// 0..HeadingSteps/4: a walker's speed along x at heading i, in 1/65536 px per tick. A table in\n" +
		"// the source, not math.Cos at run time, so the server and every client predict bit for bit\n" +
		"// on any CPU.\nvar quarterVelocity = [HeadingSteps/4 + 1]int32{")
	for i := range HeadingSteps/4 + 1 {
		if i%8 == 0 {
			b.WriteString("\n\t")
		} else {
			b.WriteString(" ")
		}
		v := math.Round(math.Cos(float64(i)*2*math.Pi/HeadingSteps) * 220 / 60 * FineScale)
		fmt.Fprintf(&b, "%d,", int32(v))
		if !*update {
			require.Equal(t, int32(v), quarterVelocity[i], "entry %d", i)
		}
	}
	b.WriteString("\n}\n")
	if *update {
		require.NoError(t, os.WriteFile("velocity_table.go", []byte(b.String()), 0o644))
		return
	}
	src, err := os.ReadFile("velocity_table.go")
	require.NoError(t, err)
	require.Equal(t, b.String(), string(src))
}

// TestRNGMatchesPeerArithmetic draws a million numbers from the generator and from the peer's
// expression as written, (seed*1103515245 + 12345) % 2^31 with math.Mod for %.
func TestRNGMatchesPeerArithmetic(t *testing.T) {
	r, seed := rng{seed: 1}, 1.0
	for i := range 1_000_000 {
		seed = math.Mod(float64(seed*1103515245)+12345, 2147483648)
		if got := r.next(); got != seed/2147483648 {
			t.Fatalf("draw %d: %v, the peer's arithmetic gives %v", i, got, seed/2147483648)
		}
	}
}

func BenchmarkWorldStep64(b *testing.B) {
	w := NewWorld()
	for i := range 64 {
		require.NoError(b, w.Join(uint8(i)))
	}
	b.ReportAllocs()
	for b.Loop() {
		w.Step()
	}
}

// Hash: two worlds given the same joins, leaves and steps hash alike at every tick; each step
// changes the hash, and so does any difference in who is seated or where.
func TestWorldHash(t *testing.T) {
	a, b := NewWorld(), NewWorld()
	require.Equal(t, a.Hash(), b.Hash())
	for _, w := range []*World{a, b} {
		for _, slot := range []uint8{3, 0, 7} {
			require.NoError(t, w.Join(slot))
		}
	}
	seen := map[uint64]bool{}
	for range 300 {
		a.Step()
		b.Step()
		require.Equal(t, a.Hash(), b.Hash(), "tick %d", a.Tick())
		require.False(t, seen[a.Hash()], "tick %d: a new state, a new hash", a.Tick())
		seen[a.Hash()] = true
	}
	b.Leave(0)
	require.NotEqual(t, a.Hash(), b.Hash(), "a walker left")
	c := NewWorld()
	for _, slot := range []uint8{0, 3, 7} {
		require.NoError(t, c.Join(slot))
	}
	d := NewWorld()
	for _, slot := range []uint8{3, 0, 7} {
		require.NoError(t, d.Join(slot))
	}
	require.NotEqual(t, c.Hash(), d.Hash(), "the same walkers seated in another order")
	d.walkers[1].Score++
	e := NewWorld()
	for _, slot := range []uint8{3, 0, 7} {
		require.NoError(t, e.Join(slot))
	}
	require.NotEqual(t, e.Hash(), d.Hash(), "a point scored")
}
