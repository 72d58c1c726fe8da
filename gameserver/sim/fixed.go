package sim

import "math"

// SubPixels is the number of world units per pixel. Every position in the simulation is an
// integer count of 1/16 pixel and every velocity an integer count of 1/16 pixel per tick, so
// the state is exactly what snapshots carry and the client's prediction of its own player is
// bit-identical to the server's on any CPU (no floating point touches the state).
const SubPixels = 16

// Aim angles are uint16 fractions of a full turn: 0 points along +X, 16384 along +Y (down
// on screen, the world's Y axis grows downwards), 32768 along -X.
const (
	// TurnQuarter is a quarter turn in aim units.
	TurnQuarter = 1 << 14
	// unitQ is the length of a direction vector from [Direction].
	unitQ = 1 << 14
)

// Direction returns the unit vector of an aim angle in Q14 fixed point (length 16384).
// It is pure integer arithmetic, accurate to about 1e-4.
func Direction(aim uint16) (dx, dy int32) {
	return sinQ14(aim + TurnQuarter), sinQ14(aim)
}

// sinQ14 returns sin(a·2π/65536)·16384, rounded, from a 9th-order odd polynomial in Q30.
func sinQ14(a uint16) int32 {
	quadrant := a >> 14
	r := int64(a & (TurnQuarter - 1))
	if quadrant&1 == 1 {
		r = TurnQuarter - r
	}
	t := r << 16 // Q30, t in [0, 1]
	t2 := t * t >> 30
	// sin(π/2·t) = t·(c1 − t²·(c3 − t²·(c5 − t²·(c7 − t²·c9)))), coefficients in Q30.
	const (
		c1 = 1686629713
		c3 = 693598668
		c5 = 85569306
		c7 = 5026995
		c9 = 172272
	)
	p := int64(c9)
	p = c7 - (p * t2 >> 30)
	p = c5 - (p * t2 >> 30)
	p = c3 - (p * t2 >> 30)
	p = c1 - (p * t2 >> 30)
	s := (p*t>>30 + 1<<15) >> 16 // Q30 → Q14, rounded
	if quadrant >= 2 {
		s = -s
	}
	return int32(s)
}

// isqrt returns floor(sqrt(x)). math.Sqrt is correctly rounded by IEEE 754, so the fix-up
// makes the result exact and the same on every platform.
func isqrt(x int64) int64 {
	if x <= 0 {
		return 0
	}
	r := int64(math.Sqrt(float64(x)))
	for r*r > x {
		r--
	}
	for (r+1)*(r+1) <= x {
		r++
	}
	return r
}

// divAway divides rounding away from zero; b must be positive.
func divAway(a, b int64) int64 {
	if a >= 0 {
		return (a + b - 1) / b
	}
	return -((-a + b - 1) / b)
}

func clamp32(v, lo, hi int32) int32 {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// AimAt returns the aim angle from (x0, y0) towards (x1, y1), for bots and tests. It uses
// floating point and is not part of the deterministic state.
func AimAt(x0, y0, x1, y1 int32) uint16 {
	a := math.Atan2(float64(y1-y0), float64(x1-x0))
	return uint16(int64(math.Round(a/(2*math.Pi)*65536)) & 0xffff)
}
