package walkers

import (
	"errors"
	"fmt"
	"math"
)

// The scene, exactly as the Colyseus peer (../shared/peers/colyseus/server.mjs) has it.
const (
	Width     = 1600       // arena width, px
	Height    = 1200       // arena height, px
	TickRate  = 60         // simulation ticks per second
	Speed     = 220.0 / 60 // px per tick (documentation; the step computes cos(a)·220/60 as the peer does)
	MaxHP     = 100        // a walker's health at join
	HitDamage = 20         // health lost on a hit
	// MaxWalkers is the most players a World seats (the mode's maximum).
	MaxWalkers = 64
)

// Errors of a World.
var (
	ErrFull   = errors.New("walkers: the world is full")
	ErrSeated = errors.New("walkers: slot already seated")
)

// rng is the peer's one linear congruential generator, in the peer's float64 arithmetic:
// seed = (seed·1103515245 + 12345) mod 2^31, rnd() = seed/2^31. The product exceeds 2^53, so
// JavaScript rounds it; computing it in integers would give a different sequence. The
// explicit float64 conversion keeps the compiler from fusing the multiply and the add. The
// sum is a whole number below 2^62, so converting it to uint64 is exact and masking its low
// 31 bits is exactly JavaScript's % 2^31 (math.Mod's loop, a tenth of the simulation's
// time at 64 walkers, for the same bits).
type rng struct{ seed float64 }

func (r *rng) next() float64 {
	sum := float64(r.seed*1103515245) + 12345
	r.seed = float64(uint64(sum) & (1<<31 - 1))
	return r.seed / 2147483648
}

// Walker is one player of the scene: its true state in the peer's float64 units, and the
// [Leg] clients extrapolate it from.
type Walker struct {
	Slot    uint8
	X, Y    float64 // px
	Angle   float64 // radians; 0 until the first step, then the heading
	HP      int
	Score   int
	Heading float64 // the peer's v.a: the direction the walker moves in
	// Leg is what the snapshots carry for this walker: where it was at the start of its
	// current straight line, its quantised heading and that tick. World keeps it within
	// [Tolerance] of the true position at every tick (see Step).
	Leg Leg
}

// World is the scene: walkers that wander on their own, driven by one random generator. It
// is deterministic: the same joins, leaves and steps give the same world. Not safe for
// concurrent use.
type World struct {
	rnd     rng
	tick    uint32
	walkers []Walker // in join order: the order the peer's Map iterates
}

// NewWorld returns an empty world with the generator's seed at 1, as the peer's process
// starts (each match is a fresh World).
func NewWorld() *World {
	return &World{rnd: rng{seed: 1}, walkers: make([]Walker, 0, MaxWalkers)}
}

// Tick is the number of steps taken.
func (w *World) Tick() uint32 { return w.tick }

// Walkers returns the walkers in join order. The slice is the world's; do not keep it across
// calls that change the world.
func (w *World) Walkers() []Walker { return w.walkers }

// Find returns the walker seated at slot.
func (w *World) Find(slot uint8) (*Walker, bool) {
	for i := range w.walkers {
		if w.walkers[i].Slot == slot {
			return &w.walkers[i], true
		}
	}
	return nil, false
}

// Join seats a walker at slot, as the peer's onJoin: x = rnd()·1600, y = rnd()·1200,
// angle 0, hp 100, score 0, heading rnd()·6.28. Its leg starts at the current tick.
func (w *World) Join(slot uint8) error {
	if _, ok := w.Find(slot); ok {
		return fmt.Errorf("%w: %d", ErrSeated, slot)
	}
	if len(w.walkers) >= MaxWalkers {
		return ErrFull
	}
	p := Walker{Slot: slot, HP: MaxHP}
	p.X = w.rnd.next() * 1600
	p.Y = w.rnd.next() * 1200
	p.Heading = w.rnd.next() * 6.28
	p.Leg = NewLeg(p.X, p.Y, p.Heading, w.tick)
	w.walkers = append(w.walkers, p)
	return nil
}

// Leave removes the walker at slot (the peer deletes it from its Map; if it joins again it
// comes last, with a new position).
func (w *World) Leave(slot uint8) {
	for i := range w.walkers {
		if w.walkers[i].Slot == slot {
			w.walkers = append(w.walkers[:i], w.walkers[i+1:]...)
			return
		}
	}
}

// Step advances the world one tick, as the peer's simulation interval: for each walker in
// join order, with probability 0.02 a new heading rnd()·2π; a move of 220/60 px along the
// heading, clamped to the arena; angle = heading; with probability 0.005 a hit (hp −20, not
// below 0); with probability 0.001 a point.
//
// Then it keeps the legs honest: a walker that turned starts a new leg from where it stood
// before this tick's move, and one whose leg has drifted more than [Tolerance] from its true
// position (the heading is quantised) starts a new leg here.
func (w *World) Step() {
	for i := range w.walkers {
		p := &w.walkers[i]
		if w.rnd.next() < 0.02 {
			p.Heading = w.rnd.next() * math.Pi * 2
			p.Leg = NewLeg(p.X, p.Y, p.Heading, w.tick)
		}
		p.X = math.Min(1600, math.Max(0, p.X+math.Cos(p.Heading)*220/60))
		p.Y = math.Min(1200, math.Max(0, p.Y+math.Sin(p.Heading)*220/60))
		p.Angle = p.Heading
		if w.rnd.next() < 0.005 {
			p.HP = max(0, p.HP-HitDamage)
		}
		if w.rnd.next() < 0.001 {
			p.Score++
		}
	}
	w.tick++
	for i := range w.walkers {
		p := &w.walkers[i]
		if !p.Leg.Near(p.X, p.Y, w.tick) {
			p.Leg = NewLeg(p.X, p.Y, p.Heading, w.tick)
		}
	}
}

// Hash is a hash (FNV-1a, 64 bits) of the whole world: the tick, the generator's state and
// every walker's true state and leg, in join order, floats by their bits. Two worlds that
// took the same joins, leaves and steps hash the same on every machine; replays store it
// once a second (gameserver.Checksummer), so a re-simulation finds the second it diverged.
func (w *World) Hash() uint64 {
	const prime = 1099511628211
	h := uint64(14695981039346656037)
	mix := func(v uint64) {
		for range 8 {
			h ^= v & 0xff
			h *= prime
			v >>= 8
		}
	}
	mix(uint64(w.tick))
	mix(math.Float64bits(w.rnd.seed))
	mix(uint64(len(w.walkers)))
	for i := range w.walkers {
		p := &w.walkers[i]
		mix(uint64(p.Slot))
		for _, f := range [...]float64{p.X, p.Y, p.Angle, p.Heading} {
			mix(math.Float64bits(f))
		}
		mix(uint64(int64(p.HP)))
		mix(uint64(int64(p.Score)))
		mix(uint64(uint32(p.Leg.X))<<32 | uint64(uint32(p.Leg.Y)))
		mix(uint64(p.Leg.Heading)<<32 | uint64(p.Leg.Tick))
	}
	return h
}
