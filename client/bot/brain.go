package bot

import (
	"math"
	"math/rand/v2"

	"github.com/skirmish-go/skirmish/client"
)

// View is what a bot sees of the match in one tick: the same interpolated and predicted world a
// person sees on screen, in world units.
type View struct {
	Self      client.Vec
	SelfAlive bool
	Enemies   []Enemy
	Walls     []client.Wall
	World     client.Vec // arena size; (0,0)..World; zero = unbounded
	Radius    float64    // player body radius; 0 = 16
}

// Enemy is one other player as the bot sees it.
type Enemy struct {
	Slot  uint8
	Pos   client.Vec
	Alive bool
}

// BrainConfig tunes a [Brain]. The zero value is the default.
type BrainConfig struct {
	// Seed makes a brain's choices reproducible; brains with different seeds play differently.
	Seed uint64
	// Range is the distance within which the bot shoots; default 600.
	Range float64
	// Preferred is the distance the bot tries to keep from its target; default 250.
	Preferred float64
	// AimError is the standard deviation of the aim noise in radians; default 0.05.
	AimError float64
	// Lookahead is how far ahead the bot probes for walls; default 48.
	Lookahead float64
}

// Brain plays the game for a bot: it moves (toward its target to a preferred distance,
// strafing, or wandering when no enemy is alive), aims at the nearest living enemy with a little
// noise, shoots when the enemy is in range and in sight (alternating with the hitscan alt-fire
// now and then), and steers around walls by probing ahead and turning until the way is clear.
// A brain is deterministic for a seed and the views it is given. Not safe for concurrent use.
type Brain struct {
	cfg      BrainConfig
	rng      *rand.Rand
	wander   float64 // heading when wandering, radians
	strafe   float64 // +1 or -1
	last     client.Vec
	stuck    int
	ticks    int
	detour   float64 // extra turn kept for a few ticks after a wall, radians
	detourTT int
	target   int // slot of the current target, -1 = none
}

// NewBrain returns a brain.
func NewBrain(cfg BrainConfig) *Brain {
	if cfg.Range <= 0 {
		cfg.Range = 600
	}
	if cfg.Preferred <= 0 {
		cfg.Preferred = 250
	}
	if cfg.AimError <= 0 {
		cfg.AimError = 0.05
	}
	if cfg.Lookahead <= 0 {
		cfg.Lookahead = 48
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5deece66d))
	return &Brain{cfg: cfg, rng: rng, wander: rng.Float64() * 2 * math.Pi, strafe: 1, target: -1}
}

// Target returns the slot the bot aims at and whether it has one.
func (b *Brain) Target() (uint8, bool) { return uint8(b.target), b.target >= 0 }

// Think decides the controls for one tick.
func (b *Brain) Think(v View) client.Controls {
	b.ticks++
	var c client.Controls
	if !v.SelfAlive {
		b.target = -1
		return c
	}
	radius := v.Radius
	if radius <= 0 {
		radius = 16
	}

	// Target: the nearest living enemy.
	best, bestD := -1, math.Inf(1)
	for i, e := range v.Enemies {
		if !e.Alive {
			continue
		}
		if d := e.Pos.Sub(v.Self).Len(); d < bestD {
			best, bestD = i, d
		}
	}

	var want float64 // heading to move along
	if best >= 0 {
		e := v.Enemies[best]
		b.target = int(e.Slot)
		to := e.Pos.Sub(v.Self)
		c.Aim = math.Atan2(to.Y, to.X) + b.rng.NormFloat64()*b.cfg.AimError
		inSight := !blocked(v.Self, e.Pos, v.Walls)
		if bestD <= b.cfg.Range && inSight {
			c.Fire = true
			c.AltFire = b.ticks%90 == 0
		}
		// Close in to the preferred distance, strafe around it.
		head := math.Atan2(to.Y, to.X)
		switch {
		case !inSight || bestD > b.cfg.Preferred*1.3:
			want = head + b.strafe*0.35
		case bestD < b.cfg.Preferred*0.7:
			want = head + math.Pi - b.strafe*0.35
		default:
			want = head + b.strafe*math.Pi/2
		}
		if b.rng.IntN(120) == 0 {
			b.strafe = -b.strafe
		}
	} else {
		b.target = -1
		if b.rng.IntN(90) == 0 {
			b.wander += (b.rng.Float64() - 0.5) * math.Pi
		}
		want = b.wander
		c.Aim = want
	}

	// Stuck (pushed against something the probe missed)? Turn around for a while.
	if v.Self.Sub(b.last).Len() < 0.5 && b.ticks > 1 {
		b.stuck++
	} else {
		b.stuck = 0
	}
	b.last = v.Self
	if b.stuck > 20 {
		b.detour, b.detourTT, b.stuck = math.Pi*(0.5+b.rng.Float64()), 30, 0
		b.wander += math.Pi
	}
	if b.detourTT > 0 {
		b.detourTT--
		want += b.detour
	}

	// Dodge walls: probe ahead, turn by growing angles either way until the way is clear.
	heading := want
	for k := range 9 {
		turn := float64((k+1)/2) * math.Pi / 8
		if k%2 == 1 {
			turn = -turn
		}
		h := want + turn*b.strafe
		if clear(v, v.Self, h, b.cfg.Lookahead+radius, radius) {
			heading = h
			break
		}
	}
	c.Move = client.Vec{X: math.Cos(heading), Y: math.Sin(heading)}
	return c
}

// clear reports whether moving dist along heading from p stays out of walls and inside the
// world (with the body's radius as margin).
func clear(v View, p client.Vec, heading, dist, radius float64) bool {
	dir := client.Vec{X: math.Cos(heading), Y: math.Sin(heading)}
	for _, f := range [...]float64{0.5, 1} {
		q := p.Add(dir.Scale(dist * f))
		if v.World != (client.Vec{}) &&
			(q.X < radius || q.Y < radius || q.X > v.World.X-radius || q.Y > v.World.Y-radius) {
			return false
		}
		for _, w := range v.Walls {
			if q.X > w.X-radius && q.X < w.X+w.W+radius && q.Y > w.Y-radius && q.Y < w.Y+w.H+radius {
				return false
			}
		}
	}
	return true
}

// blocked reports whether the segment a→b crosses a wall (slab test).
func blocked(a, b client.Vec, walls []client.Wall) bool {
	d := b.Sub(a)
	for _, w := range walls {
		t0, t1 := 0.0, 1.0
		ok := true
		for _, ax := range [2]struct{ p, d, lo, hi float64 }{
			{a.X, d.X, w.X, w.X + w.W}, {a.Y, d.Y, w.Y, w.Y + w.H},
		} {
			if ax.d == 0 {
				if ax.p < ax.lo || ax.p > ax.hi {
					ok = false
				}
				continue
			}
			u0, u1 := (ax.lo-ax.p)/ax.d, (ax.hi-ax.p)/ax.d
			if u0 > u1 {
				u0, u1 = u1, u0
			}
			t0, t1 = max(t0, u0), min(t1, u1)
			if t0 > t1 {
				ok = false
			}
		}
		if ok {
			return true
		}
	}
	return false
}
