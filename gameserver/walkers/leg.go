package walkers

import "math"

// Quantisation of what snapshots carry.
const (
	// PosScale is the leg's position unit: 1/32 px (x 0..51200, y 0..38400: 16 bits each).
	PosScale = 32
	// FineScale is the unit of extrapolated positions: 1/65536 px. A leg's start is in
	// PosScale units, its velocity in FineScale units per tick.
	FineScale = 65536
	// HeadingSteps is the number of quantised headings: 12 bits, 2π/4096 ≈ 0.09° apart.
	HeadingSteps = 4096
	// HeadingBits is the bits of a quantised heading.
	HeadingBits = 12
	// Tolerance is how far, in px, a leg's extrapolation may drift from the walker's true
	// position before the server starts a new leg: the bound clients see the true position
	// within at every tick (the heading's quantisation makes a long straight leg drift by
	// about 0.003 px a tick at worst).
	Tolerance = 0.25

	maxX    = Width * PosScale
	maxY    = Height * PosScale
	maxFine = int64(FineScale / PosScale)
)

// Leg is one straight stretch of a walker's path as clients know it: the walker stood at
// (X, Y) (in 1/[PosScale] px) at tick Tick and has moved along Heading (in 2π/[HeadingSteps]
// steps) ever since, 220/60 px a tick, each axis clamped to the arena. A walker keeps its
// heading for about 50 ticks, so one leg describes its next second of motion; snapshots
// carry legs, and a walker whose leg did not change costs nothing to send.
//
// [Leg.At] is integer arithmetic from a table (no math.Cos at run time), so the server and
// every client compute the same extrapolation bit for bit.
type Leg struct {
	X, Y    int32
	Heading uint16
	Tick    uint32
}

// NewLeg starts a leg at (x, y) px with heading a radians at tick.
func NewLeg(x, y, a float64, tick uint32) Leg {
	return Leg{X: quantPos(x, maxX), Y: quantPos(y, maxY), Heading: QuantHeading(a), Tick: tick}
}

func quantPos(v float64, hi int32) int32 {
	q := int32(math.Round(v * PosScale))
	return min(max(q, 0), hi)
}

// QuantHeading returns the quantised heading nearest to a radians.
func QuantHeading(a float64) uint16 {
	turns := a / (2 * math.Pi)
	turns -= math.Floor(turns)
	return uint16(int64(math.Round(turns*HeadingSteps)) & (HeadingSteps - 1))
}

// HeadingRadians returns a quantised heading in radians, 0..2π.
func HeadingRadians(h uint16) float64 { return float64(h) * 2 * math.Pi / HeadingSteps }

// Velocity returns the per-tick move at heading h in 1/[FineScale] px: (cos, sin)·220/60.
func Velocity(h uint16) (vx, vy int64) {
	return cosVel(h), cosVel(h - HeadingSteps/4) // sin(a) = cos(a − π/2)
}

func cosVel(h uint16) int64 {
	h &= HeadingSteps - 1
	const q = HeadingSteps / 4
	switch {
	case h <= q:
		return int64(quarterVelocity[h])
	case h <= 2*q:
		return -int64(quarterVelocity[2*q-h])
	case h <= 3*q:
		return -int64(quarterVelocity[h-2*q])
	default:
		return int64(quarterVelocity[4*q-h])
	}
}

// At returns the leg's position at tick in 1/[FineScale] px: the start plus (tick − Tick)
// moves, clamped to the arena. (Moving straight, clamping each tick as the rules do and
// clamping once at the end agree: a coordinate that reaches a wall stays there.) A tick
// before the leg's start extrapolates backwards, which only a decoder checking hostile input
// ever asks for.
func (l Leg) At(tick uint32) (x, y int64) {
	n := int64(tick) - int64(l.Tick)
	vx, vy := Velocity(l.Heading)
	x = min(max(int64(l.X)*maxFine+n*vx, 0), Width*FineScale)
	y = min(max(int64(l.Y)*maxFine+n*vy, 0), Height*FineScale)
	return x, y
}

// AtGrid returns the leg's position at tick rounded to 1/[PosScale] px: the prediction a
// snapshot codes a new leg's start against.
func (l Leg) AtGrid(tick uint32) (x, y int32) {
	fx, fy := l.At(tick)
	const half = maxFine / 2
	return int32((fx + half) / maxFine), int32((fy + half) / maxFine)
}

// Pixels returns the leg's position at a fractional tick in px, for drawing between ticks.
func (l Leg) Pixels(tick float64) (x, y float64) {
	n := tick - float64(l.Tick)
	vx, vy := Velocity(l.Heading)
	x = min(max((float64(int64(l.X)*maxFine)+n*float64(vx))/FineScale, 0), Width)
	y = min(max((float64(int64(l.Y)*maxFine)+n*float64(vy))/FineScale, 0), Height)
	return x, y
}

// Near reports whether the leg's extrapolation at tick is within [Tolerance] of (x, y) px on
// both axes.
func (l Leg) Near(x, y float64, tick uint32) bool {
	fx, fy := l.At(tick)
	const tol = Tolerance * FineScale
	return math.Abs(float64(fx)-x*FineScale) <= tol && math.Abs(float64(fy)-y*FineScale) <= tol
}
