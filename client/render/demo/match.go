package demo

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/skirmish-go/skirmish/assets"
	"github.com/skirmish-go/skirmish/client"
)

// The demo's toy rules, in world units and seconds.
const (
	playerRadius  = 14.0 // as gameserver/sim
	playerSpeed   = 250.0
	maxHealth     = 100
	boltSpeed     = 760.0
	boltLife      = 1.4
	boltDamage    = 20
	boltCooldown  = 0.28
	railDamage    = 55
	railCooldown  = 2.5
	railRange     = 1400.0
	respawnDelay  = 2.5
	sightRange    = 850.0
	killFeedLimit = 8
)

var names = []string{"Vex", "Nova", "Grit", "Juno", "Rook", "Ash", "Kite", "Blaze", "Moss", "Echo", "Flint", "Sable"}

// Arena is the map the demo plays on: the game's default map from package assets (the same
// arena the server runs), or a built-in fallback if that cannot be read.
var Arena = loadArena()

// arenaMap is the subset of the map format (gameserver/sim.ParseMap) the demo reads.
type arenaMap struct {
	World  client.Vec
	Walls  []client.Wall
	Spawns []client.Vec
}

func loadArena() arenaMap {
	var m struct {
		Width, Height float64
		Walls         []struct{ X, Y, W, H float64 }
		Spawns        []struct{ X, Y float64 }
	}
	b, err := assets.Map(assets.DefaultMap)
	if err == nil {
		err = json.Unmarshal(b, &m)
	}
	if err != nil || m.Width <= 0 || m.Height <= 0 || len(m.Spawns) == 0 {
		return fallbackArena
	}
	a := arenaMap{World: client.Vec{X: m.Width, Y: m.Height}}
	for _, w := range m.Walls {
		a.Walls = append(a.Walls, client.Wall{X: w.X, Y: w.Y, W: w.W, H: w.H})
	}
	for _, p := range m.Spawns {
		a.Spawns = append(a.Spawns, client.Vec{X: p.X, Y: p.Y})
	}
	return a
}

// fallbackArena is a 1600×1000 arena with a border and symmetric cover.
var fallbackArena = arenaMap{
	World: client.Vec{X: 1600, Y: 1000},
	Walls: []client.Wall{
		{X: 0, Y: 0, W: 1600, H: 20}, {X: 0, Y: 980, W: 1600, H: 20},
		{X: 0, Y: 20, W: 20, H: 960}, {X: 1580, Y: 20, W: 20, H: 960},
		{X: 740, Y: 440, W: 120, H: 120},
		{X: 300, Y: 420, W: 40, H: 160}, {X: 1260, Y: 420, W: 40, H: 160},
		{X: 520, Y: 180, W: 200, H: 40}, {X: 880, Y: 780, W: 200, H: 40},
		{X: 520, Y: 780, W: 200, H: 40}, {X: 880, Y: 180, W: 200, H: 40},
	},
	Spawns: []client.Vec{{X: 90, Y: 90}, {X: 1510, Y: 90}, {X: 90, Y: 910}, {X: 1510, Y: 910},
		{X: 200, Y: 500}, {X: 1400, Y: 500}, {X: 800, Y: 100}, {X: 800, Y: 900}},
}

type player struct {
	client.ScenePlayer
	vel              client.Vec
	fireCD, railCD   float64
	respawn          float64
	waypoint         client.Vec
	strafe, thinkCD  float64
	lastPos          client.Vec
	stuck            float64
	aimWobble, phase float64
}

type bolt struct {
	pos, vel client.Vec
	life     float64
	owner    int // index into players
}

type match struct {
	rng        *rand.Rand
	mode       string
	teams      int
	timeLeft   float64
	scoreLimit int
	autoplay   bool
	players    []*player
	bolts      []bolt
	effects    []client.SceneEffect
	feed       []client.KillFeedEntry
	chat       []client.ChatLine
	teamScores []int
	over       bool
	reason     string
	final      []client.ScoreLine
	t          float64
}

func newMatch(cfg Config, mode, localName string, seed uint64) *match {
	m := &match{rng: rand.New(rand.NewPCG(seed, 7)), mode: mode, timeLeft: cfg.MatchLength.Seconds(),
		scoreLimit: cfg.ScoreLimit, autoplay: cfg.Autoplay}
	n := cfg.Players
	switch mode {
	case "ffa":
		m.teams = 0
	case "duel":
		m.teams, n = 2, 2
	default:
		m.teams = 2
	}
	if m.teams > 0 {
		m.teamScores = make([]int, m.teams)
	}
	for i := 0; i < n; i++ {
		name := names[i%len(names)]
		if i == 0 {
			name = localName
		}
		p := &player{ScenePlayer: client.ScenePlayer{Slot: uint8(i), Name: name, MaxHealth: maxHealth,
			Local: i == 0, Ping: time.Duration(20+m.rng.IntN(60)) * time.Millisecond}}
		if m.teams > 0 {
			p.Team = uint8(i % m.teams)
		}
		p.phase = m.rng.Float64() * 10
		m.players = append(m.players, p)
		m.spawn(p)
	}
	m.chat = append(m.chat, client.ChatLine{Text: "Match started: " + mode, System: true})
	return m
}

func (m *match) spawn(p *player) {
	// a map spawn on the team's half (any in free-for-all), nudged so players do not stack
	var choices []client.Vec
	for _, sp := range Arena.Spawns {
		left := sp.X < Arena.World.X/2
		if m.teams == 0 || left == (p.Team == 0) {
			choices = append(choices, sp)
		}
	}
	if len(choices) == 0 {
		choices = Arena.Spawns
	}
	p.Pos = m.randomPoint()
	for range 20 {
		pos := choices[m.rng.IntN(len(choices))].Add(client.Vec{X: m.rng.Float64()*60 - 30, Y: m.rng.Float64()*60 - 30})
		if !blocked(pos, playerRadius+4) {
			p.Pos = pos
			break
		}
	}
	p.Alive, p.Health, p.RespawnIn = true, maxHealth, 0
	p.waypoint = m.waypointFrom(p.Pos)
	p.Angle = 0
	if p.Pos.X > Arena.World.X/2 {
		p.Angle = math.Pi
	}
	m.effects = append(m.effects, client.SceneEffect{Kind: client.EffectSpawn, Pos: p.Pos, Team: m.colour(p)})
}

func (m *match) colour(p *player) uint8 {
	if m.teams > 0 {
		return p.Team
	}
	return p.Slot
}

// waypointFrom picks a free point the player at from can walk to in a straight line (a body
// width of clearance), so bots do not grind into cover; any free point if none is found.
func (m *match) waypointFrom(from client.Vec) client.Vec {
	for range 40 {
		v := m.randomPoint()
		d := v.Sub(from)
		l := d.Len()
		if l < 150 {
			continue
		}
		side := client.Vec{X: -d.Y / l, Y: d.X / l}.Scale(playerRadius + 2)
		if clearLine(from.Add(side), v.Add(side)) && clearLine(from.Sub(side), v.Sub(side)) {
			return v
		}
	}
	return m.randomPoint()
}

func (m *match) randomPoint() client.Vec {
	for range 50 {
		v := client.Vec{X: 60 + m.rng.Float64()*(Arena.World.X-120), Y: 60 + m.rng.Float64()*(Arena.World.Y-120)}
		if !blocked(v, playerRadius+10) {
			return v
		}
	}
	return client.Vec{X: Arena.World.X / 2, Y: 100}
}

func (m *match) enemies(a, b *player) bool {
	if a == b {
		return false
	}
	return m.teams == 0 || a.Team != b.Team
}

func (m *match) step(local client.Controls) {
	const dt = 1.0 / 60
	if m.over {
		return
	}
	m.t += dt
	m.timeLeft -= dt
	for _, p := range m.players {
		p.fireCD -= dt
		p.railCD -= dt
		if !p.Alive {
			p.respawn -= dt
			p.RespawnIn = time.Duration(math.Max(0, p.respawn) * float64(time.Second))
			if p.respawn <= 0 {
				m.spawn(p)
			}
			continue
		}
		c := local
		if !p.Local || m.autoplay {
			c = m.brain(p, dt)
		}
		m.act(p, c, dt)
	}
	m.moveBolts(dt)
	for i := range m.effects {
		m.effects[i].Age += Tick
	}
	m.effects = slices.DeleteFunc(m.effects, func(e client.SceneEffect) bool { return e.Age > time.Second })
	for i := range m.feed {
		m.feed[i].Age += Tick
	}
	for i := range m.chat {
		m.chat[i].Age += Tick
	}
	m.checkEnd()
}

// brain is the demo's bot: roam between waypoints, fight the nearest visible enemy.
func (m *match) brain(p *player, dt float64) client.Controls {
	var c client.Controls
	var target *player
	best := sightRange
	for _, q := range m.players {
		if !q.Alive || !m.enemies(p, q) {
			continue
		}
		d := q.Pos.Sub(p.Pos).Len()
		if d < best && clearLine(p.Pos, q.Pos) {
			best, target = d, q
		}
	}
	p.thinkCD -= dt
	if p.thinkCD <= 0 {
		p.thinkCD = 0.6 + m.rng.Float64()*0.8
		p.strafe = float64(m.rng.IntN(3) - 1)
		p.aimWobble = (m.rng.Float64() - 0.5) * 0.16
	}
	if p.Pos.Sub(p.lastPos).Len() < playerSpeed*dt*0.2 {
		p.stuck += dt
	} else {
		p.stuck = 0
	}
	p.lastPos = p.Pos
	if p.stuck > 0.4 || p.waypoint.Sub(p.Pos).Len() < 40 {
		p.waypoint, p.stuck = m.waypointFrom(p.Pos), 0
	}
	if target != nil {
		to := target.Pos.Sub(p.Pos)
		// lead the target a little
		lead := target.vel.Scale(to.Len() / boltSpeed * 0.6)
		aimAt := target.Pos.Add(lead)
		c.Aim = math.Atan2(aimAt.Y-p.Pos.Y, aimAt.X-p.Pos.X) + p.aimWobble
		dir := to.Scale(1 / math.Max(1, to.Len()))
		side := client.Vec{X: -dir.Y, Y: dir.X}.Scale(p.strafe)
		keep := 0.0
		switch {
		case best > 420:
			keep = 1
		case best < 260:
			keep = -1
		}
		c.Move = dir.Scale(keep).Add(side)
		if p.stuck > 0.2 {
			c.Move = p.waypoint.Sub(p.Pos)
		}
		c.Fire = p.fireCD <= 0 && m.rng.IntN(4) == 0
		c.AltFire = p.railCD <= 0 && m.rng.IntN(90) == 0
	} else {
		c.Move = p.waypoint.Sub(p.Pos)
		c.Aim = math.Atan2(c.Move.Y, c.Move.X) + 0.25*math.Sin(m.t*1.3+p.phase)
	}
	return c
}

func (m *match) act(p *player, c client.Controls, dt float64) {
	mv := c.Move
	if l := mv.Len(); l > 1 {
		mv = mv.Scale(1 / l)
	}
	want := mv.Scale(playerSpeed)
	p.vel = p.vel.Lerp(want, math.Min(1, dt*12))
	p.Pos = collide(p.Pos.Add(p.vel.Scale(dt)), playerRadius)
	p.Angle = c.Aim
	dir := client.Vec{X: math.Cos(c.Aim), Y: math.Sin(c.Aim)}
	muzzle := p.Pos.Add(dir.Scale(playerRadius + 10))
	if c.Fire && p.fireCD <= 0 && !blocked(muzzle, 3) {
		p.fireCD = boltCooldown
		m.bolts = append(m.bolts, bolt{pos: muzzle, vel: dir.Scale(boltSpeed), life: boltLife, owner: int(p.Slot)})
	}
	if c.AltFire && p.railCD <= 0 {
		p.railCD = railCooldown
		m.rail(p, dir)
	}
}

func (m *match) rail(p *player, dir client.Vec) {
	from := p.Pos.Add(dir.Scale(playerRadius))
	t := railRange
	for _, w := range Arena.Walls {
		if d, ok := rayRect(from, dir, w); ok && d < t {
			t = d
		}
	}
	var hit *player
	for _, q := range m.players {
		if !q.Alive || !m.enemies(p, q) {
			continue
		}
		if d, ok := rayCircle(from, dir, q.Pos, playerRadius); ok && d < t {
			t, hit = d, q
		}
	}
	to := from.Add(dir.Scale(t))
	m.effects = append(m.effects, client.SceneEffect{Kind: client.EffectBeam, Pos: from, To: to, Team: m.colour(p)})
	m.effects = append(m.effects, client.SceneEffect{Kind: client.EffectHit, Pos: to, Team: m.colour(p)})
	if hit != nil {
		m.damage(hit, p, railDamage, "rail")
	}
}

func (m *match) moveBolts(dt float64) {
	kept := m.bolts[:0]
	for _, b := range m.bolts {
		b.life -= dt
		b.pos = b.pos.Add(b.vel.Scale(dt))
		shooter := m.players[b.owner]
		dead := b.life <= 0
		if !dead && blocked(b.pos, 3) {
			dead = true
			m.effects = append(m.effects, client.SceneEffect{Kind: client.EffectHit, Pos: b.pos, Team: m.colour(shooter),
				Life: 200 * time.Millisecond})
		}
		if !dead {
			for _, q := range m.players {
				if q.Alive && m.enemies(shooter, q) && q.Pos.Sub(b.pos).Len() < playerRadius+4 {
					dead = true
					m.effects = append(m.effects, client.SceneEffect{Kind: client.EffectHit, Pos: b.pos, Team: m.colour(shooter)})
					m.damage(q, shooter, boltDamage, "bolt")
					break
				}
			}
		}
		if !dead {
			kept = append(kept, b)
		}
	}
	m.bolts = kept
}

func (m *match) damage(victim, killer *player, amount int, weapon string) {
	victim.Health -= amount
	if victim.Health > 0 {
		return
	}
	victim.Health, victim.Alive, victim.respawn = 0, false, respawnDelay
	victim.RespawnIn = time.Duration(respawnDelay * float64(time.Second))
	victim.Deaths++
	killer.Kills++
	killer.Score++
	if m.teams > 0 {
		m.teamScores[killer.Team]++
	}
	m.effects = append(m.effects, client.SceneEffect{Kind: client.EffectDeath, Pos: victim.Pos, Team: m.colour(victim)})
	m.feed = append(m.feed, client.KillFeedEntry{Killer: killer.Name, Victim: victim.Name,
		KillerTeam: m.colour(killer), VictimTeam: m.colour(victim), Weapon: weapon})
	if len(m.feed) > killFeedLimit {
		m.feed = m.feed[len(m.feed)-killFeedLimit:]
	}
}

func (m *match) checkEnd() {
	switch {
	case m.timeLeft <= 0:
		m.over, m.reason, m.timeLeft = true, "time_limit", 0
	case m.scoreLimit > 0:
		for _, s := range m.teamScores {
			if s >= m.scoreLimit {
				m.over, m.reason = true, "score_limit"
			}
		}
		for _, p := range m.players {
			if m.teams == 0 && p.Score >= m.scoreLimit {
				m.over, m.reason = true, "score_limit"
			}
		}
	}
	if !m.over {
		return
	}
	for _, p := range m.players {
		m.final = append(m.final, client.ScoreLine{Slot: p.Slot, Team: p.Team, Name: p.Name, Score: p.Score,
			Kills: p.Kills, Deaths: p.Deaths, Ping: p.Ping, Local: p.Local})
	}
	slices.SortStableFunc(m.final, func(a, b client.ScoreLine) int { return b.Score - a.Score })
}

// fill writes the match into s, reusing its slices.
func (m *match) fill(s *client.Scene) {
	s.Mode, s.Teams, s.World = m.mode, m.teams, Arena.World
	s.Walls = Arena.Walls
	s.Players = s.Players[:0]
	for _, p := range m.players {
		sp := p.ScenePlayer
		sp.Radius = playerRadius
		s.Players = append(s.Players, sp)
	}
	s.Projectiles = s.Projectiles[:0]
	for _, b := range m.bolts {
		sh := m.players[b.owner]
		s.Projectiles = append(s.Projectiles, client.SceneProjectile{Pos: b.pos, Angle: math.Atan2(b.vel.Y, b.vel.X),
			Team: m.colour(sh), Owner: sh.Slot})
	}
	s.Effects = append(s.Effects[:0], m.effects...)
	s.KillFeed = append(s.KillFeed[:0], m.feed...)
	s.Chat = append(s.Chat[:0], m.chat...)
	s.TimeLeft = time.Duration(math.Max(0, m.timeLeft) * float64(time.Second))
	s.ScoreLimit = m.scoreLimit
	s.TeamScores = append(s.TeamScores[:0], m.teamScores...)
	s.MatchOver, s.EndReason = m.over, m.reason
	s.Final = append(s.Final[:0], m.final...)
	// plausible link numbers that wander a little
	w := math.Sin(m.t*0.7) + 0.5*math.Sin(m.t*2.3)
	s.Net = client.NetStats{
		RTT:             time.Duration(42+6*w) * time.Millisecond,
		Loss:            math.Max(0, 0.006+0.004*math.Sin(m.t*0.31)),
		KbpsIn:          92 + 10*w + 2*float64(len(m.bolts)),
		KbpsOut:         21 + 2*w,
		SnapshotRate:    30 - math.Max(0, 0.6*w),
		InterpDelay:     time.Duration(100+8*w) * time.Millisecond,
		PredictionError: math.Max(0, 0.4+0.35*math.Sin(m.t*1.7)),
	}
}

// blocked reports whether a circle at p with radius r overlaps a wall or leaves the arena.
func blocked(p client.Vec, r float64) bool {
	if p.X < r || p.Y < r || p.X > Arena.World.X-r || p.Y > Arena.World.Y-r {
		return true
	}
	for _, w := range Arena.Walls {
		cx := math.Max(w.X, math.Min(p.X, w.X+w.W))
		cy := math.Max(w.Y, math.Min(p.Y, w.Y+w.H))
		if math.Hypot(p.X-cx, p.Y-cy) < r {
			return true
		}
	}
	return false
}

// collide pushes a circle out of every wall it overlaps.
func collide(p client.Vec, r float64) client.Vec {
	for range 3 {
		for _, w := range Arena.Walls {
			cx := math.Max(w.X, math.Min(p.X, w.X+w.W))
			cy := math.Max(w.Y, math.Min(p.Y, w.Y+w.H))
			dx, dy := p.X-cx, p.Y-cy
			d := math.Hypot(dx, dy)
			switch {
			case d >= r:
				continue
			case d > 0:
				p = p.Add(client.Vec{X: dx, Y: dy}.Scale((r - d) / d))
			default: // centre inside: out along the nearest side
				left, right := p.X-w.X, w.X+w.W-p.X
				top, bottom := p.Y-w.Y, w.Y+w.H-p.Y
				switch math.Min(math.Min(left, right), math.Min(top, bottom)) {
				case left:
					p.X = w.X - r
				case right:
					p.X = w.X + w.W + r
				case top:
					p.Y = w.Y - r
				default:
					p.Y = w.Y + w.H + r
				}
			}
		}
	}
	p.X = math.Max(r, math.Min(Arena.World.X-r, p.X))
	p.Y = math.Max(r, math.Min(Arena.World.Y-r, p.Y))
	return p
}

// clearLine reports whether no wall crosses the segment a–b.
func clearLine(a, b client.Vec) bool {
	d := b.Sub(a)
	l := d.Len()
	if l == 0 {
		return true
	}
	dir := d.Scale(1 / l)
	for _, w := range Arena.Walls {
		if t, ok := rayRect(a, dir, w); ok && t < l {
			return false
		}
	}
	return true
}

// rayRect returns the distance along the ray (o, unit dir) to rectangle w (slab method).
func rayRect(o, dir client.Vec, w client.Wall) (float64, bool) {
	tmin, tmax := 0.0, math.Inf(1)
	for _, ax := range [2][4]float64{{o.X, dir.X, w.X, w.X + w.W}, {o.Y, dir.Y, w.Y, w.Y + w.H}} {
		p, d, lo, hi := ax[0], ax[1], ax[2], ax[3]
		if math.Abs(d) < 1e-12 {
			if p < lo || p > hi {
				return 0, false
			}
			continue
		}
		t1, t2 := (lo-p)/d, (hi-p)/d
		if t1 > t2 {
			t1, t2 = t2, t1
		}
		tmin, tmax = math.Max(tmin, t1), math.Min(tmax, t2)
		if tmin > tmax {
			return 0, false
		}
	}
	return tmin, true
}

// rayCircle returns the distance along the ray (o, unit dir) to the circle (c, r).
func rayCircle(o, dir, c client.Vec, r float64) (float64, bool) {
	oc := o.Sub(c)
	b := oc.X*dir.X + oc.Y*dir.Y
	q := oc.X*oc.X + oc.Y*oc.Y - r*r
	disc := b*b - q
	if disc < 0 {
		return 0, false
	}
	t := -b - math.Sqrt(disc)
	if t < 0 {
		return 0, false
	}
	return t, true
}
