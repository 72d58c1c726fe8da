package sim

// PredictPlayer advances p by one tick of in exactly as [World.Step] moves a player: aim,
// acceleration towards the wished velocity, friction, wall collision with sliding. The
// client calls it to predict its own player and to replay unacknowledged inputs after a
// snapshot; because the state is integer world units the result is bit-identical to the
// server's. It does not fire, take damage or respawn; those are the server's to decide.
// cfg must be the match's Config (see the game's mode) and m its Map.
func PredictPlayer(cfg Config, m *Map, p *Player, in Input) {
	r := cfg.rules()
	movePlayer(&r, m, p, in)
}

// movePlayer is one tick of one player's movement.
func movePlayer(r *rules, m *Map, p *Player, in Input) {
	p.Aim = in.Aim
	if !p.Alive {
		p.VX, p.VY = 0, 0
		return
	}
	mx, my := int64(max(in.MoveX, -MaxMove)), int64(max(in.MoveY, -MaxMove))
	var wx, wy int64
	accel := int64(r.friction)
	if mx != 0 || my != 0 {
		accel = int64(r.accel)
		lenQ8 := max(isqrt((mx*mx+my*my)<<16), MaxMove<<8)
		wx = mx * int64(r.maxSpeed) << 8 / lenQ8
		wy = my * int64(r.maxSpeed) << 8 / lenQ8
	}
	dvx, dvy := wx-int64(p.VX), wy-int64(p.VY)
	if d2 := dvx*dvx + dvy*dvy; d2 > accel*accel {
		d := isqrt(d2)
		dvx = dvx * accel / d
		dvy = dvy * accel / d
	}
	p.VX += int32(dvx)
	p.VY += int32(dvy)
	x0, y0 := p.X, p.Y
	p.X += p.VX
	p.Y += p.VY
	if !collide(m, &p.X, &p.Y, &p.VX, &p.VY, playerRadius) {
		// Wedged between walls: stay where we were, which was clear.
		p.X, p.Y, p.VX, p.VY = x0, y0, 0, 0
	}
}

// collide pushes a circle at (x, y) out of the map's walls and edges and removes the part of
// its velocity that points into what it touched, so it slides along walls. It reports false
// if the circle could not be freed in a few passes.
func collide(m *Map, x, y, vx, vy *int32, r int32) bool {
	for range 4 {
		hit := false
		// Map edges.
		if *x < r {
			*x, hit = r, true
			*vx = max(*vx, 0)
		} else if maxX := m.Width*SubPixels - r; *x > maxX {
			*x, hit = maxX, true
			*vx = min(*vx, 0)
		}
		if *y < r {
			*y, hit = r, true
			*vy = max(*vy, 0)
		} else if maxY := m.Height*SubPixels - r; *y > maxY {
			*y, hit = maxY, true
			*vy = min(*vy, 0)
		}
		for i := range m.Walls {
			b := wallBox(m.Walls[i])
			cx, cy := b.closest(*x, *y)
			dx, dy := int64(*x-cx), int64(*y-cy)
			d2 := dx*dx + dy*dy
			rr := int64(r)
			if d2 >= rr*rr {
				continue
			}
			hit = true
			if d2 == 0 {
				// Centre inside the wall: leave by the nearest face.
				left, right := *x-b.x0, b.x1-*x
				up, down := *y-b.y0, b.y1-*y
				switch min(left, right, up, down) {
				case left:
					*x, dx, dy = b.x0-r, -1, 0
				case right:
					*x, dx, dy = b.x1+r, 1, 0
				case up:
					*y, dx, dy = b.y0-r, 0, -1
				default:
					*y, dx, dy = b.y1+r, 0, 1
				}
			} else {
				d := isqrt(d2)
				push := rr - d
				*x += int32(divAway(dx*push, d))
				*y += int32(divAway(dy*push, d))
			}
			// Slide: drop the velocity component into the wall's normal (dx, dy).
			vn := int64(*vx)*dx + int64(*vy)*dy
			if vn < 0 {
				n2 := dx*dx + dy*dy
				*vx -= int32(divAway(dx*vn, n2))
				*vy -= int32(divAway(dy*vn, n2))
			}
		}
		if !hit {
			return true
		}
	}
	return m.clear(*x, *y, r)
}
