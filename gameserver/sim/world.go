package sim

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
)

// MaxShots bounds the live projectiles and beams of a World; a shot past it is not fired.
// With MaxPlayers players it keeps a whole world within one snapshot (the snapshot codec's
// limit is 4096 entities). Real play stays far below: a player has at most about 11 shots
// alive at once (a projectile every 150 ms living 1.5 s, a beam living 150 ms).
const MaxShots = 4096 - MaxPlayers

// Errors from [World.Join].
var (
	ErrSlotTaken   = errors.New("sim: slot already taken")
	ErrBadSlot     = errors.New("sim: slot out of range")
	ErrMatchIsOver = errors.New("sim: match is over")
)

// Player is one seated player's state. Positions are world units (1/[SubPixels] pixel) of
// the player's centre, velocities world units per tick, timers ticks.
type Player struct {
	Slot, Team uint8
	Alive      bool
	X, Y       int32
	VX, VY     int32
	Aim        uint16
	Health     int32
	Score      int32 // frags of enemies (a teammate killed with friendly fire scores nothing)
	Kills      int32 // equal to Score
	Deaths     int32
	// FireCooldown and AltCooldown count down to 0, when the weapon is ready.
	FireCooldown, AltCooldown int32
	RespawnIn                 int32 // while dead: ticks until respawn
	Protected                 int32 // ticks of spawn protection left (no damage taken)
}

// Projectile is a launcher shot. It flies in a straight line at constant velocity from
// (X0, Y0) where it appeared at SpawnTick until it hits a wall or a player or its life ends.
type Projectile struct {
	ID        uint16
	Owner     uint8
	X0, Y0    int32
	VX, VY    int32
	SpawnTick uint32
}

// At returns the projectile's centre at tick.
func (p *Projectile) At(tick uint32) (x, y int32) {
	age := int32(tick - p.SpawnTick)
	return p.X0 + p.VX*age, p.Y0 + p.VY*age
}

// Beam is the visible trace of a hitscan shot from (X0, Y0) to (X1, Y1). It lasts a few
// ticks for drawing; the damage was done when it appeared.
type Beam struct {
	ID        uint16
	Owner     uint8
	Victim    int16 // slot hit, or -1
	X0, Y0    int32
	X1, Y1    int32
	SpawnTick uint32
}

// Weapon identifies what did damage.
type Weapon uint8

// Weapons.
const (
	WeaponLauncher Weapon = 1 // primary fire: projectiles
	WeaponRail     Weapon = 2 // alt fire: hitscan
)

// EventKind says what an [Event] reports.
type EventKind uint8

// Event kinds.
const (
	EventSpawn    EventKind = 1 // Player appeared at X, Y
	EventHit      EventKind = 2 // Player's Weapon did Damage to Victim, leaving Health
	EventKill     EventKind = 3 // Player killed Victim with Weapon (Victim's death)
	EventMatchEnd EventKind = 4 // the match ended for Reason
)

// EndReason is why a match ended.
type EndReason uint8

// End reasons.
const (
	EndNone       EndReason = 0
	EndScoreLimit EndReason = 1
	EndTimeLimit  EndReason = 2
)

// String returns the reason as gameserver.Result spells it.
func (r EndReason) String() string {
	switch r {
	case EndNone:
		return ""
	case EndScoreLimit:
		return "score_limit"
	case EndTimeLimit:
		return "time_limit"
	}
	return fmt.Sprintf("reason(%d)", uint8(r))
}

// Event is something that happened during a Step.
type Event struct {
	Kind   EventKind
	Tick   uint32
	Player uint8 // spawned player, attacker or killer
	Victim uint8
	Weapon Weapon
	Damage int32
	Health int32 // victim's health after the hit
	X, Y   int32 // spawn position
	Reason EndReason
}

// histFrame is every player's position at the end of one tick, for lag compensation.
type histFrame struct {
	tick  uint32
	valid bool
	x, y  [MaxPlayers]int32
	alive [MaxPlayers]bool
}

// World is one match of Arena. It is not safe for concurrent use; all of it is a pure
// function of NewWorld's arguments and the sequence of Join, Leave and Step calls.
type World struct {
	cfg     Config
	r       rules
	m       *Map
	tick    uint32
	rng     uint64
	seated  [MaxPlayers]bool
	players [MaxPlayers]Player
	shots   []Projectile
	beams   []Beam
	nextID  uint16
	hist    []histFrame
	events  []Event
	over    EndReason
	// sides[t] are the indexes of team t's spawn points in a two-team match on a map with
	// spawns in both halves; nil otherwise. Derived from the config and map, never changed.
	sides [2][]int
}

// NewWorld starts a match on m. seed drives the only randomness (spawn point choice).
// The world keeps m; it must not change afterwards.
func NewWorld(cfg Config, m *Map, seed uint64) (*World, error) {
	if m == nil {
		return nil, fmt.Errorf("%w: nil", ErrBadMap)
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	w := &World{cfg: cfg, r: cfg.rules(), m: m, rng: seed, nextID: MaxPlayers}
	if w.r.teams == 2 {
		for i, s := range m.Spawns {
			switch {
			case 2*s.X < m.Width:
				w.sides[0] = append(w.sides[0], i)
			case 2*s.X > m.Width:
				w.sides[1] = append(w.sides[1], i)
			}
		}
		if len(w.sides[0]) == 0 || len(w.sides[1]) == 0 {
			w.sides = [2][]int{}
		}
	}
	w.hist = make([]histFrame, w.r.history)
	w.record()
	return w, nil
}

// Config returns the match's configuration as given to NewWorld.
func (w *World) Config() Config { return w.cfg }

// Map returns the arena.
func (w *World) Map() *Map { return w.m }

// Tick returns the number of Steps taken: the tick of the state the accessors show.
func (w *World) Tick() uint32 { return w.tick }

// Over reports whether the match has ended, and why.
func (w *World) Over() (EndReason, bool) { return w.over, w.over != EndNone }

// MaxPlayers returns the number of seats.
func (w *World) MaxPlayers() int { return w.r.maxPlayers }

// Player returns the player in slot, if seated.
func (w *World) Player(slot uint8) (Player, bool) {
	if int(slot) >= w.r.maxPlayers || !w.seated[slot] {
		return Player{}, false
	}
	return w.players[slot], true
}

// AppendPlayers appends every seated player in slot order.
func (w *World) AppendPlayers(dst []Player) []Player {
	for i := range w.r.maxPlayers {
		if w.seated[i] {
			dst = append(dst, w.players[i])
		}
	}
	return dst
}

// Projectiles returns the live projectiles in the order they were fired. The slice is the
// world's own: read it before the next Step and do not change it.
func (w *World) Projectiles() []Projectile { return w.shots }

// Beams returns the visible hitscan beams, oldest first, under the same terms as Projectiles.
func (w *World) Beams() []Beam { return w.beams }

// Teams returns the number of teams: 0 in free for all.
func (w *World) Teams() int { return w.r.teams }

// TeamScore returns team t's score: the sum of its seated players' Score (a player who
// leaves takes their frags with them). It is 0 in free for all.
func (w *World) TeamScore(t int) int32 {
	var sum int32
	if w.r.teams == 0 {
		return 0
	}
	for i := range w.r.maxPlayers {
		if w.seated[i] && int(w.players[i].Team) == t {
			sum += w.players[i].Score
		}
	}
	return sum
}

// Join seats a player in slot. The player spawns during the next Step.
//
// In free for all team is kept as given (the lobby numbers players; it means nothing to
// the rules). In team play Join balances: the player gets team if it is a valid team that
// has fewer than ⌈MaxPlayers/Teams⌉ players, otherwise the team with the fewest players
// (the lowest-numbered of those tied). A full match therefore always has teams whose sizes
// differ by at most one, whatever teams the players asked for and in whatever order they
// join, and a balanced assignment (the lobby's draft) is kept as it is.
func (w *World) Join(slot, team uint8) error {
	switch {
	case w.over != EndNone:
		return ErrMatchIsOver
	case int(slot) >= w.r.maxPlayers:
		return fmt.Errorf("%w: %d of %d", ErrBadSlot, slot, w.r.maxPlayers)
	case w.seated[slot]:
		return fmt.Errorf("%w: %d", ErrSlotTaken, slot)
	}
	if w.r.teams > 0 {
		team = w.balancedTeam(team)
	}
	w.seated[slot] = true
	w.players[slot] = Player{Slot: slot, Team: team, RespawnIn: 1}
	return nil
}

// balancedTeam is Join's team rule for team play.
func (w *World) balancedTeam(want uint8) uint8 {
	var count [MaxTeams]int
	for i := range w.r.maxPlayers {
		if w.seated[i] {
			count[w.players[i].Team]++
		}
	}
	limit := (w.r.maxPlayers + w.r.teams - 1) / w.r.teams
	if int(want) < w.r.teams && count[want] < limit {
		return want
	}
	best := 0
	for t := 1; t < w.r.teams; t++ {
		if count[t] < count[best] {
			best = t
		}
	}
	return uint8(best)
}

// canHit reports whether a's shots damage b: never themselves, and a teammate only with
// friendly fire.
func (w *World) canHit(a, b uint8) bool {
	if a == b {
		return false
	}
	return w.r.teams == 0 || w.r.friendlyFire || w.players[a].Team != w.players[b].Team
}

// Leave removes the player in slot and the shots they fired.
func (w *World) Leave(slot uint8) {
	if int(slot) >= w.r.maxPlayers || !w.seated[slot] {
		return
	}
	w.seated[slot] = false
	w.players[slot] = Player{}
	shots := w.shots[:0]
	for _, p := range w.shots {
		if p.Owner != slot {
			shots = append(shots, p)
		}
	}
	w.shots = shots
	beams := w.beams[:0]
	for _, b := range w.beams {
		if b.Owner != slot {
			beams = append(beams, b)
		}
	}
	w.beams = beams
}

// Step advances the match one tick. inputs[slot] is the input of the player in slot; seated
// players past the end of inputs get the zero Input. The returned events are valid until the
// next Step. After the match is over Step does nothing.
//
// Order within a tick, all in slot order: timers and respawns; movement; fire (every
// player alive after movement fires, so two players can trade kills in one tick); hitscan
// is resolved against other players' positions at the shooter's ViewTick (lag
// compensation, at most MaxRewindMillis back); projectiles fly and hit; beams fade;
// positions are recorded; the match ends on the score or time limit.
func (w *World) Step(inputs []Input) []Event {
	w.events = w.events[:0]
	if w.over != EndNone {
		return nil
	}
	w.tick++
	n := w.r.maxPlayers
	var fired [MaxPlayers]bool
	for i := range n {
		if !w.seated[i] {
			continue
		}
		p := &w.players[i]
		in := inputFor(inputs, i)
		p.FireCooldown = max(p.FireCooldown-1, 0)
		p.AltCooldown = max(p.AltCooldown-1, 0)
		p.Protected = max(p.Protected-1, 0)
		if !p.Alive {
			p.RespawnIn--
			if p.RespawnIn <= 0 {
				w.spawn(p)
			}
		}
		movePlayer(&w.r, w.m, p, in)
		fired[i] = p.Alive
	}
	for i := range n {
		if !fired[i] {
			continue
		}
		in := inputFor(inputs, i)
		p := &w.players[i]
		if in.Fire && p.FireCooldown == 0 {
			p.FireCooldown = w.r.fireCooldown
			p.Protected = 0
			w.fireProjectile(p)
		}
		if in.AltFire && p.AltCooldown == 0 {
			p.AltCooldown = w.r.altCooldown
			p.Protected = 0
			w.fireRail(p, in)
		}
	}
	w.moveShots()
	beams := w.beams[:0]
	for _, b := range w.beams {
		if int32(w.tick-b.SpawnTick) < w.r.beamLife {
			beams = append(beams, b)
		}
	}
	w.beams = beams
	w.record()
	w.checkEnd()
	return w.events
}

func inputFor(inputs []Input, slot int) Input {
	if slot < len(inputs) {
		return inputs[slot]
	}
	return Input{}
}

// random returns the next value of the world's splitmix64 generator.
func (w *World) random() uint64 {
	w.rng += 0x9e3779b97f4a7c15
	z := w.rng
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// spawn revives p at the spawn point farthest from the living players, ties broken at random.
// In a two-team match on a map with spawn points in both halves, team 0 spawns in the west
// half and team 1 in the east (points on the centre line belong to neither), unless every
// point there is within a player's width of a living player: then any point will do.
func (w *World) spawn(p *Player) {
	pick := -1
	if side := w.sides[min(p.Team, 1)]; side != nil {
		j, d := w.farthestSpawn(p, side)
		if d >= 4*int64(playerRadius)*int64(playerRadius) {
			pick = j
		}
	}
	if pick < 0 {
		pick, _ = w.farthestSpawn(p, nil)
	}
	s := w.m.Spawns[pick]
	p.Alive = true
	p.X, p.Y = s.X*SubPixels, s.Y*SubPixels
	p.VX, p.VY = 0, 0
	p.Health = maxHealth
	p.RespawnIn = 0
	p.Protected = w.r.protect
	w.events = append(w.events, Event{Kind: EventSpawn, Tick: w.tick, Player: p.Slot, X: p.X, Y: p.Y})
}

// farthestSpawn returns the index of the spawn point (among only, or all if only is nil)
// whose nearest living player other than p is farthest away, and that squared distance.
// Ties go to the first candidate after a random starting point.
func (w *World) farthestSpawn(p *Player, only []int) (int, int64) {
	spawns := w.m.Spawns
	n := len(spawns)
	if only != nil {
		n = len(only)
	}
	start := int(w.random() % uint64(n))
	best, bestD := -1, int64(-1)
	for k := range n {
		j := (start + k) % n
		if only != nil {
			j = only[j]
		}
		sx, sy := spawns[j].X*SubPixels, spawns[j].Y*SubPixels
		d := int64(1) << 62
		for i := range w.r.maxPlayers {
			q := &w.players[i]
			if !w.seated[i] || !q.Alive || q == p {
				continue
			}
			dx, dy := int64(q.X-sx), int64(q.Y-sy)
			d = min(d, dx*dx+dy*dy)
		}
		if d > bestD {
			best, bestD = j, d
		}
	}
	return best, bestD
}

// allocID returns an entity ID for a shot that no live shot uses.
func (w *World) allocID() uint16 {
	for {
		id := w.nextID
		w.nextID++
		if w.nextID == 0 {
			w.nextID = MaxPlayers
		}
		used := false
		for i := range w.shots {
			used = used || w.shots[i].ID == id
		}
		for i := range w.beams {
			used = used || w.beams[i].ID == id
		}
		if !used {
			return id
		}
	}
}

func (w *World) fireProjectile(p *Player) {
	if len(w.shots)+len(w.beams) >= MaxShots {
		return
	}
	dx, dy := Direction(p.Aim)
	const off = playerRadius + projectileRadius + SubPixels
	x := p.X + int32(int64(dx)*off/unitQ)
	y := p.Y + int32(int64(dy)*off/unitQ)
	if !w.m.clear(x, y, projectileRadius) {
		return // muzzle inside a wall: the shot fizzles
	}
	w.shots = append(w.shots, Projectile{
		ID: w.allocID(), Owner: p.Slot, X0: x, Y0: y,
		VX:        int32(int64(dx) * int64(w.r.projSpeed) / unitQ),
		VY:        int32(int64(dy) * int64(w.r.projSpeed) / unitQ),
		SpawnTick: w.tick,
	})
}

// moveShots flies every projectile from its position last tick to this tick's in steps of
// at most 4 pixels, so it cannot pass through a wall or a player, and removes those that hit.
func (w *World) moveShots() {
	const stepLen = 4 * SubPixels
	const reach = playerRadius + projectileRadius
	var walls [MaxWalls]int
	var targets [MaxPlayers]int
	kept := w.shots[:0]
	for _, s := range w.shots {
		age := int32(w.tick - s.SpawnTick)
		if age > w.r.projLife {
			continue
		}
		x1, y1 := s.At(w.tick)
		x0, y0 := x1, y1
		if age > 0 {
			x0, y0 = s.At(w.tick - 1)
		}
		// Broad phase: walls and players near the segment's bounding box.
		bx0, bx1 := min(x0, x1)-projectileRadius, max(x0, x1)+projectileRadius
		by0, by1 := min(y0, y1)-projectileRadius, max(y0, y1)+projectileRadius
		nw := 0
		for i := range w.m.Walls {
			b := wallBox(w.m.Walls[i])
			if b.x0 <= bx1 && b.x1 >= bx0 && b.y0 <= by1 && b.y1 >= by0 {
				walls[nw] = i
				nw++
			}
		}
		nt := 0
		for i := range w.r.maxPlayers {
			q := &w.players[i]
			if w.seated[i] && q.Alive && w.canHit(s.Owner, uint8(i)) &&
				q.X+playerRadius >= bx0 && q.X-playerRadius <= bx1 && q.Y+playerRadius >= by0 && q.Y-playerRadius <= by1 {
				targets[nt] = i
				nt++
			}
		}
		steps := max(1, (max(abs32(x1-x0), abs32(y1-y0))+stepLen-1)/stepLen)
		hit := false
		for k := int32(1); k <= steps && !hit; k++ {
			px := x0 + int32(int64(x1-x0)*int64(k)/int64(steps))
			py := y0 + int32(int64(y1-y0)*int64(k)/int64(steps))
			if px < 0 || py < 0 || px > w.m.Width*SubPixels || py > w.m.Height*SubPixels {
				hit = true
				break
			}
			for _, wi := range walls[:nw] {
				if circleHitsBox(px, py, projectileRadius, wallBox(w.m.Walls[wi])) {
					hit = true
					break
				}
			}
			if hit {
				break
			}
			for _, ti := range targets[:nt] {
				q := &w.players[ti]
				if !q.Alive {
					continue
				}
				dx, dy := int64(q.X-px), int64(q.Y-py)
				if dx*dx+dy*dy < reach*reach {
					w.damage(s.Owner, q, WeaponLauncher, projectileDamage)
					hit = true
					break
				}
			}
		}
		if !hit && age < w.r.projLife {
			kept = append(kept, s)
		}
	}
	w.shots = kept
}

func abs32(v int32) int32 {
	if v < 0 {
		return -v
	}
	return v
}

// damage applies a hit by attacker's weapon to victim, killing it at zero health.
func (w *World) damage(attacker uint8, victim *Player, weapon Weapon, dmg int32) {
	if victim.Protected > 0 || !victim.Alive {
		return
	}
	victim.Health = max(victim.Health-dmg, 0)
	w.events = append(w.events, Event{Kind: EventHit, Tick: w.tick, Player: attacker, Victim: victim.Slot,
		Weapon: weapon, Damage: dmg, Health: victim.Health})
	if victim.Health > 0 {
		return
	}
	victim.Alive = false
	victim.VX, victim.VY = 0, 0
	victim.RespawnIn = w.r.respawn
	victim.Deaths++
	if a := &w.players[attacker]; w.seated[attacker] && attacker != victim.Slot &&
		(w.r.teams == 0 || a.Team != victim.Team) {
		a.Score++
		a.Kills++
	}
	w.events = append(w.events, Event{Kind: EventKill, Tick: w.tick, Player: attacker, Victim: victim.Slot, Weapon: weapon})
}

// record stores this tick's positions for lag compensation.
func (w *World) record() {
	f := &w.hist[int(w.tick%uint32(len(w.hist)))]
	f.tick, f.valid = w.tick, true
	for i := range w.r.maxPlayers {
		p := &w.players[i]
		f.x[i], f.y[i], f.alive[i] = p.X, p.Y, w.seated[i] && p.Alive
	}
}

// frame returns the recorded positions of tick, if still kept.
func (w *World) frame(tick uint32) *histFrame {
	f := &w.hist[int(tick%uint32(len(w.hist)))]
	if !f.valid || f.tick != tick {
		return nil
	}
	return f
}

func (w *World) checkEnd() {
	switch {
	case w.r.scoreLimit > 0 && w.r.teams > 0:
		for t := range w.r.teams {
			if w.TeamScore(t) >= w.r.scoreLimit {
				w.over = EndScoreLimit
			}
		}
	case w.r.scoreLimit > 0:
		for i := range w.r.maxPlayers {
			if w.seated[i] && w.players[i].Score >= w.r.scoreLimit {
				w.over = EndScoreLimit
			}
		}
	}
	if w.over == EndNone && w.r.timeLimit > 0 && w.tick >= w.r.timeLimit {
		w.over = EndTimeLimit
	}
	if w.over != EndNone {
		w.events = append(w.events, Event{Kind: EventMatchEnd, Tick: w.tick, Reason: w.over})
	}
}

// AppendState appends a canonical binary form of the whole world state (everything that
// influences future Steps) to b. Two worlds with equal AppendState behave identically.
func (w *World) AppendState(b []byte) []byte {
	le := binary.LittleEndian
	b = le.AppendUint32(b, w.tick)
	b = le.AppendUint64(b, w.rng)
	b = le.AppendUint16(b, w.nextID)
	b = append(b, byte(w.over))
	for i := range w.r.maxPlayers {
		if !w.seated[i] {
			b = append(b, 0)
			continue
		}
		p := &w.players[i]
		b = append(b, 1, p.Team, boolByte(p.Alive))
		for _, v := range [...]int32{p.X, p.Y, p.VX, p.VY, int32(p.Aim), p.Health, p.Score, p.Kills, p.Deaths,
			p.FireCooldown, p.AltCooldown, p.RespawnIn, p.Protected} {
			b = le.AppendUint32(b, uint32(v))
		}
	}
	b = le.AppendUint32(b, uint32(len(w.shots)))
	for _, s := range w.shots {
		b = le.AppendUint16(b, s.ID)
		b = append(b, s.Owner)
		for _, v := range [...]int32{s.X0, s.Y0, s.VX, s.VY, int32(s.SpawnTick)} {
			b = le.AppendUint32(b, uint32(v))
		}
	}
	b = le.AppendUint32(b, uint32(len(w.beams)))
	for _, s := range w.beams {
		b = le.AppendUint16(b, s.ID)
		b = append(b, s.Owner)
		for _, v := range [...]int32{int32(s.Victim), s.X0, s.Y0, s.X1, s.Y1, int32(s.SpawnTick)} {
			b = le.AppendUint32(b, uint32(v))
		}
	}
	for i := range w.hist {
		f := &w.hist[i]
		b = le.AppendUint32(b, f.tick)
		b = append(b, boolByte(f.valid))
		for j := range w.r.maxPlayers {
			b = le.AppendUint32(b, uint32(f.x[j]))
			b = le.AppendUint32(b, uint32(f.y[j]))
			b = append(b, boolByte(f.alive[j]))
		}
	}
	return b
}

// Hash returns a 64-bit FNV-1a hash of AppendState, for determinism checks.
func (w *World) Hash() uint64 {
	h := fnv.New64a()
	h.Write(w.AppendState(nil))
	return h.Sum64()
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}
