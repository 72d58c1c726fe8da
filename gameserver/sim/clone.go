package sim

import "slices"

// Clone returns an independent copy of the world: stepping one never changes the other, and
// both behave identically under the same Join, Leave and Step calls (equal Hash). The map is
// shared, as it never changes. A replay's playback keeps clones as keyframes, so seeking
// back re-simulates from the nearest one instead of from the start.
func (w *World) Clone() *World {
	c := *w
	c.shots = slices.Clone(w.shots)
	c.beams = slices.Clone(w.beams)
	c.hist = slices.Clone(w.hist)
	c.events = nil
	return &c
}
