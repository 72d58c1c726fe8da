package sim

// Lag compensation
//
// A client draws other players where they were ViewTick (+ ViewFrac/256 of a tick), about
// one round trip plus its interpolation delay in the past. When its hitscan shot reaches the
// server, the world has moved on. The server keeps HistoryMillis of every player's position
// and resolves the shot against the positions the shooter saw, so a shot that hit on the
// shooter's screen hits on the server ("favour the shooter"). The shooter itself fires from
// its current (predicted, now authoritative) position.
//
// The rewind is capped at MaxRewindMillis (15 ticks at 60 Hz). A view older than that — a
// player with more than roughly 250 ms of latency plus interpolation, or a client lying
// about ViewTick — is resolved against the world MaxRewindMillis ago instead: the shot is
// clamped, not dropped, so such a player must lead their targets by the excess. A ViewTick
// in the future is treated as the present. A target only counts as hit if it was alive at
// the rewound time and is still alive now. Projectiles are not lag compensated: they are
// world objects that everyone sees fly.

// rewindTo returns the tick and fraction a hitscan fired with in is resolved at, given that
// the last completed tick is now.
func (w *World) rewindTo(now uint32, in Input) (tick uint32, frac int64) {
	back := int64(int16(uint16(now) - in.ViewTick))
	frac = int64(in.ViewFrac)
	switch {
	case back < 0:
		back, frac = 0, 0 // claims to see the future
	case back > int64(w.r.maxRewind):
		back, frac = int64(w.r.maxRewind), 0
	}
	if back == 0 {
		frac = 0
	}
	back = min(back, int64(now)) // no history before the match started
	return now - uint32(back), frac
}

// RewindTo reports the moment a hitscan shot fired now with in is resolved against: the
// tick, and the fraction (0..255) of the way to the next tick. It is the lag compensation
// rule of [World.Step] exposed for tests and debugging overlays.
func (w *World) RewindTo(in Input) (tick uint32, frac uint8) {
	t, f := w.rewindTo(w.tick, in)
	return t, uint8(f)
}

// fireRail resolves p's hitscan shot: the nearest wall along the aim within range stops it;
// the nearest other player before that, at their rewound positions, takes the damage.
func (w *World) fireRail(p *Player, in Input) {
	if len(w.shots)+len(w.beams) >= MaxShots {
		return
	}
	dx, dy := Direction(p.Aim)
	ox, oy := int64(p.X), int64(p.Y)
	dist := w.rayExit(ox, oy, int64(dx), int64(dy), hitscanRangePx*SubPixels)
	for i := range w.m.Walls {
		if d, ok := rayBox(ox, oy, int64(dx), int64(dy), wallBox(w.m.Walls[i])); ok && d < dist {
			dist = d
		}
	}
	now := w.tick - 1 // the last completed tick: the newest the shooter can have seen
	t, frac := w.rewindTo(now, in)
	a, b := w.frame(t), w.frame(t+1)
	if t == now || b == nil {
		b = a
	}
	victim := -1
	if a != nil {
		for i := range w.r.maxPlayers {
			q := &w.players[i]
			if !w.canHit(p.Slot, uint8(i)) || !w.seated[i] || !q.Alive || !a.alive[i] {
				continue
			}
			tx := int64(a.x[i]) + (int64(b.x[i])-int64(a.x[i]))*frac/256
			ty := int64(a.y[i]) + (int64(b.y[i])-int64(a.y[i]))*frac/256
			if d, ok := rayCircle(ox, oy, int64(dx), int64(dy), tx, ty, playerRadius); ok && d < dist {
				dist, victim = d, i
			}
		}
	}
	x1 := p.X + int32(int64(dx)*dist/unitQ)
	y1 := p.Y + int32(int64(dy)*dist/unitQ)
	w.beams = append(w.beams, Beam{ID: w.allocID(), Owner: p.Slot, Victim: int16(victim),
		X0: p.X, Y0: p.Y, X1: x1, Y1: y1, SpawnTick: w.tick})
	if victim >= 0 {
		w.damage(p.Slot, &w.players[victim], WeaponRail, hitscanDamage)
	}
}

// rayExit returns the distance along the ray (ox, oy) + s·(dx, dy)/unitQ at which it leaves
// the map, at most limit.
func (w *World) rayExit(ox, oy, dx, dy, limit int64) int64 {
	s := limit
	if dx > 0 {
		s = min(s, (int64(w.m.Width*SubPixels)-ox)*unitQ/dx)
	} else if dx < 0 {
		s = min(s, -ox*unitQ/dx)
	}
	if dy > 0 {
		s = min(s, (int64(w.m.Height*SubPixels)-oy)*unitQ/dy)
	} else if dy < 0 {
		s = min(s, -oy*unitQ/dy)
	}
	return max(s, 0)
}

// rayBox returns the distance at which the ray (ox, oy) + s·(dx, dy)/unitQ, s ≥ 0, enters b.
func rayBox(ox, oy, dx, dy int64, b box) (int64, bool) {
	enter, exit := int64(-1<<62), int64(1<<62)
	slab := func(o, d, lo, hi int64) bool {
		if d == 0 {
			return o >= lo && o <= hi
		}
		s1, s2 := (lo-o)*unitQ/d, (hi-o)*unitQ/d
		if s1 > s2 {
			s1, s2 = s2, s1
		}
		enter, exit = max(enter, s1), min(exit, s2)
		return true
	}
	if !slab(ox, dx, int64(b.x0), int64(b.x1)) || !slab(oy, dy, int64(b.y0), int64(b.y1)) {
		return 0, false
	}
	if enter > exit || exit < 0 {
		return 0, false
	}
	return max(enter, 0), true
}

// rayCircle returns the distance at which the ray (ox, oy) + s·(dx, dy)/unitQ, s ≥ 0, first
// touches the circle of radius r around (cx, cy).
func rayCircle(ox, oy, dx, dy, cx, cy, r int64) (int64, bool) {
	wx, wy := cx-ox, cy-oy
	along := (wx*dx + wy*dy) / unitQ // distance to the closest approach
	perp := (wx*dy - wy*dx) / unitQ  // distance of the centre from the ray
	if perp*perp >= r*r || along < -r {
		return 0, false
	}
	s := along - isqrt(r*r-perp*perp)
	if s < 0 {
		if wx*wx+wy*wy >= r*r {
			return 0, false // behind the shooter
		}
		s = 0
	}
	return s, true
}
