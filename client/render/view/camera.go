package view

import (
	"math"

	"github.com/skirmish-go/skirmish/client"
)

// How much of the world the camera shows: at least ViewWidth × ViewHeight world units, whatever
// the window's shape, so a bigger window shows the same arena larger rather than more of it.
const (
	ViewWidth  = 880.0
	ViewHeight = 560.0
	// EdgeMargin is how far past the arena's edge the camera may look, in world units.
	EdgeMargin = 80.0
)

// Camera maps world units to screen pixels: screen = (world - Center) * Scale + screen centre.
// It never rotates, so an angle in the world is the same angle on screen.
type Camera struct {
	Center client.Vec
	// Scale is pixels per world unit.
	Scale float64
	// ScreenW and ScreenH are the screen's size in pixels.
	ScreenW, ScreenH float64
}

// NewCamera returns the camera for a screen of w×h pixels following focus in a world of the
// given size: scaled so at least ViewWidth × ViewHeight units are visible, and clamped so it
// looks at most EdgeMargin past the arena's edge (or centred when the arena is smaller than
// the view).
func NewCamera(world, focus client.Vec, w, h float64) Camera {
	if w <= 0 {
		w = 1
	}
	if h <= 0 {
		h = 1
	}
	scale := math.Min(w/ViewWidth, h/ViewHeight)
	c := Camera{Scale: scale, ScreenW: w, ScreenH: h}
	c.Center.X = clampAxis(focus.X, world.X, w/scale)
	c.Center.Y = clampAxis(focus.Y, world.Y, h/scale)
	return c
}

// clampAxis keeps a view of span units around v inside [-EdgeMargin, size+EdgeMargin].
func clampAxis(v, size, span float64) float64 {
	if size <= 0 {
		return v
	}
	lo, hi := -EdgeMargin+span/2, size+EdgeMargin-span/2
	if lo > hi {
		return size / 2
	}
	return math.Max(lo, math.Min(hi, v))
}

// ToScreen returns the screen position of world point p.
func (c Camera) ToScreen(p client.Vec) (x, y float64) {
	return (p.X-c.Center.X)*c.Scale + c.ScreenW/2, (p.Y-c.Center.Y)*c.Scale + c.ScreenH/2
}

// ToWorld returns the world point under screen position (x, y).
func (c Camera) ToWorld(x, y float64) client.Vec {
	return client.Vec{X: (x-c.ScreenW/2)/c.Scale + c.Center.X, Y: (y-c.ScreenH/2)/c.Scale + c.Center.Y}
}

// Visible reports whether the world rectangle (x, y, w, h), grown by pad world units, is at
// least partly on screen.
func (c Camera) Visible(x, y, w, h, pad float64) bool {
	x0, y0 := c.ToScreen(client.Vec{X: x - pad, Y: y - pad})
	x1, y1 := c.ToScreen(client.Vec{X: x + w + pad, Y: y + h + pad})
	return x1 >= 0 && y1 >= 0 && x0 <= c.ScreenW && y0 <= c.ScreenH
}

// AimAngle is the world-space angle from a player at world position from to the world point
// under the mouse: the aim a person means by pointing there.
func AimAngle(from, mouse client.Vec) float64 {
	return math.Atan2(mouse.Y-from.Y, mouse.X-from.X)
}

// MoveVector turns held direction keys into a movement direction of length 0 or 1.
func MoveVector(up, down, left, right bool) client.Vec {
	var v client.Vec
	if up {
		v.Y--
	}
	if down {
		v.Y++
	}
	if left {
		v.X--
	}
	if right {
		v.X++
	}
	if l := v.Len(); l > 0 {
		v = v.Scale(1 / l)
	}
	return v
}

// PlayersInView counts the living players whose whole body is on screen at least margin
// pixels inside every edge (clear of the HUD's corners and the window border): what a
// screenshot taken now would show of the fight.
func (c Camera) PlayersInView(s *client.Scene, margin float64) int {
	n := 0
	for i := range s.Players {
		p := &s.Players[i]
		if !p.Alive {
			continue
		}
		r := p.Radius
		if r <= 0 {
			r = DefaultRadius
		}
		x, y := c.ToScreen(p.Pos)
		d := r*c.Scale + margin
		if x-d >= 0 && y-d >= 0 && x+d <= c.ScreenW && y+d <= c.ScreenH {
			n++
		}
	}
	return n
}
