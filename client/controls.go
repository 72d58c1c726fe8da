package client

import "math"

// Vec is a point or a direction in world units (the arena's coordinate system, y down).
type Vec struct{ X, Y float64 }

// Add returns v+w.
func (v Vec) Add(w Vec) Vec { return Vec{v.X + w.X, v.Y + w.Y} }

// Sub returns v-w.
func (v Vec) Sub(w Vec) Vec { return Vec{v.X - w.X, v.Y - w.Y} }

// Scale returns v*k.
func (v Vec) Scale(k float64) Vec { return Vec{v.X * k, v.Y * k} }

// Len returns the length of v.
func (v Vec) Len() float64 { return math.Hypot(v.X, v.Y) }

// Lerp returns the point a fraction t of the way from v to w.
func (v Vec) Lerp(w Vec, t float64) Vec { return Vec{v.X + (w.X-v.X)*t, v.Y + (w.Y-v.Y)*t} }

// Controls is one tick of a player's intent, the same for a person (keyboard and mouse, read by
// the Ebiten front end) and a bot (the bot brain). The game's rules turn it into the game's own
// input encoding (see [Rules.EncodeInput]).
type Controls struct {
	// Move is the wanted direction of movement; each axis in -1..1 (longer vectors are clamped).
	Move Vec
	// Aim is the direction of aim, in radians (0 = +x, clockwise with y down).
	Aim float64
	// Fire shoots the projectile weapon; AltFire the hitscan alt-fire.
	Fire, AltFire bool
}
