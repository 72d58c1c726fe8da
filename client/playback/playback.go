package playback

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"time"

	"github.com/skirmish-go/skirmish/client"
	"github.com/skirmish-go/skirmish/gameserver/arena"
	"github.com/skirmish-go/skirmish/gameserver/replay"
	"github.com/skirmish-go/skirmish/gameserver/sim"
	"github.com/skirmish-go/skirmish/gameserver/snapshot"
	"github.com/skirmish-go/skirmish/gameserver/wire"
)

// ErrUnknownGame reports a replay of a game this client cannot play (it plays Arena).
var ErrUnknownGame = errors.New("playback: replay of a game this client cannot play")

// Speeds are the playback speeds, slowest first; 1 is real time.
var Speeds = []float64{0.25, 0.5, 1, 2, 4, 8}

// KeyframeEvery is the time between keyframes, in seconds of the match (so a number of
// ticks at its tick rate).
const KeyframeEvery = 5 // seconds

// feedLife and effectLife match the live client's kill feed and effect lifetimes
// (client.Conn), in match time.
const (
	feedLife    = 8 * time.Second
	effectLife  = 500 * time.Millisecond
	maxKillFeed = 8
)

// Open reads the replay file at path; see [Load].
func Open(path string) (*Player, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p, err := Load(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// Load reads a whole replay from r and prepares its playback at tick 0, paused off, at 1×,
// following the first player to join.
func Load(r io.Reader) (*Player, error) {
	rep, err := replay.Read(r)
	if err != nil {
		return nil, err
	}
	h := rep.Header
	if h.Game != "" && h.Game != "arena" {
		return nil, fmt.Errorf("%w: %q", ErrUnknownGame, h.Game)
	}
	end := rep.End()
	if end.Kind != replay.KindEnd {
		return nil, fmt.Errorf("playback: %w: no end record", replay.ErrTruncated)
	}
	cfg, err := arena.ModeConfig(h.Mode, h.MaxPlayers, h.TickRate)
	if err != nil {
		return nil, fmt.Errorf("playback: %w", err)
	}
	m, err := arena.LoadMap(h.Mode)
	if err != nil {
		return nil, fmt.Errorf("playback: %w", err)
	}
	rules, err := client.NewArenaRules(wire.Welcome{Mode: h.Mode, Players: uint8(h.MaxPlayers), TickRate: uint16(h.TickRate)})
	if err != nil {
		return nil, fmt.Errorf("playback: %w", err)
	}
	w, err := sim.NewWorld(cfg, m, h.Seed)
	if err != nil {
		return nil, fmt.Errorf("playback: %w", err)
	}
	p := &Player{h: h, recs: rep.Records, end: end.Tick, result: end.Result, rules: rules,
		tickDur: time.Second / time.Duration(h.TickRate), speed: slices.Index(Speeds, 1), follow: -1,
		keyEvery: uint32(KeyframeEvery * h.TickRate)}
	for _, r := range rep.Records {
		if r.Kind == replay.KindJoin {
			p.follow = int(r.Player.Slot)
			break
		}
	}
	p.st = &state{world: w}
	p.keys = append(p.keys, p.st.clone())
	p.advanceTo(0)
	return p, nil
}

// slotInput is a slot's input in effect, as the replay's Inputs records set it.
type slotInput struct {
	present, repeated bool
	data              []byte
}

// state is everything the re-simulation at one tick is: a keyframe is a clone of it.
type state struct {
	world *sim.World
	in    arena.Inputs
	slots [replay.MaxPlayers]slotInput
	names [256]string
	next  int    // index of the next record to apply
	tick  uint32 // the world's tick; the records at it are applied
}

func (s *state) clone() *state {
	c := *s
	c.world = s.world.Clone()
	for i := range c.slots {
		c.slots[i].data = slices.Clone(s.slots[i].data)
	}
	return &c
}

type timedFeed struct {
	tick uint32
	e    client.KillFeedEntry
}

type timedEffect struct {
	tick uint32
	e    client.SceneEffect
}

// Player plays one replay. It is not safe for concurrent use: the front end calls it from
// its one goroutine.
type Player struct {
	h       replay.Header
	recs    []replay.Record
	end     uint32
	result  wire.Result
	rules   client.Rules
	tickDur time.Duration

	st       *state
	keys     []*state // keys[i] is the state at tick i*keyEvery
	keyEvery uint32
	feed     []timedFeed
	effects  []timedEffect
	prev     snapshot.Snapshot // the world at st.tick-1 (or st.tick at 0)
	cur      snapshot.Snapshot // the world at st.tick
	scratch  client.Scene

	pos      float64 // the shown moment, in ticks, 0..end
	speed    int     // index in Speeds
	paused   bool
	follow   int    // followed slot, -1: free camera
	mismatch uint32 // first checksum tick that did not match (0: none)
	problem  string // why the re-simulation is not the recorded match ("": it is)
	stepped  int    // Steps run (tests)
	evSnap   snapshot.Snapshot
}

// Status is the playback's state, for the front end's controls bar.
type Status struct {
	// Tick is the tick of the re-simulated world: the shown moment rounded up (the scene
	// blends the tick before into it). End is the last tick.
	Tick, End uint32
	Pos       float64 // the shown moment in ticks (fractional)
	TickRate  int
	Speed     float64 // one of Speeds
	Paused    bool
	// Follow is the followed slot, -1 for a free camera.
	Follow int
	// Mismatch is the first tick whose recorded checksum the re-simulation did not match
	// (0: none so far); Problem says what went wrong ("" while all is well).
	Mismatch uint32
	Problem  string
}

// Header is the replay's header: the match's game, mode, seed, start and tick rate.
func (p *Player) Header() replay.Header { return p.h }

// Result is the match's recorded result.
func (p *Player) Result() wire.Result { return p.result }

// Status returns the playback's state.
func (p *Player) Status() Status {
	return Status{Tick: p.st.tick, End: p.end, Pos: p.pos, TickRate: p.h.TickRate, Speed: Speeds[p.speed],
		Paused: p.paused, Follow: p.follow, Mismatch: p.mismatch, Problem: p.problem}
}

// Time converts ticks to match time.
func (p *Player) Time(ticks float64) time.Duration { return time.Duration(ticks * float64(p.tickDur)) }

// TogglePause pauses or resumes. At the end, resuming starts again from the beginning.
func (p *Player) TogglePause() {
	if p.paused && p.pos >= float64(p.end) {
		p.Seek(0)
	}
	p.paused = !p.paused
}

// SetPaused pauses or resumes.
func (p *Player) SetPaused(paused bool) { p.paused = paused }

// Faster and Slower step the speed through Speeds.
func (p *Player) Faster() { p.speed = min(p.speed+1, len(Speeds)-1) }

// Slower: see [Player.Faster].
func (p *Player) Slower() { p.speed = max(p.speed-1, 0) }

// SetSpeed picks the speed in Speeds closest to x.
func (p *Player) SetSpeed(x float64) {
	best := 0
	for i, s := range Speeds {
		if math.Abs(s-x) < math.Abs(Speeds[best]-x) {
			best = i
		}
	}
	p.speed = best
}

// Advance moves the shown moment on by dt of real time at the current speed (nothing while
// paused) and re-simulates up to it. Past the end it stays at the end, paused.
func (p *Player) Advance(dt time.Duration) {
	if p.paused || dt <= 0 {
		return
	}
	p.seekPos(p.pos + float64(dt)/float64(p.tickDur)*Speeds[p.speed])
	if p.pos >= float64(p.end) {
		p.paused = true
	}
}

// Seek jumps to tick (clamped to 0..End).
func (p *Player) Seek(tick float64) { p.seekPos(tick) }

// SeekBy jumps by d of match time (negative: back).
func (p *Player) SeekBy(d time.Duration) { p.seekPos(p.pos + float64(d)/float64(p.tickDur)) }

func (p *Player) seekPos(pos float64) {
	pos = max(0, min(pos, float64(p.end)))
	if r := math.Round(pos); math.Abs(pos-r) < 1e-4 {
		pos = r // frame times in whole nanoseconds are not whole ticks: no drift below a tick
	}
	p.pos = pos
	target := uint32(math.Ceil(pos))
	if target == p.st.tick {
		return
	}
	// Re-simulate from a keyframe when going back, or when one is much closer than the
	// world: from at least the kill feed's lifetime before the target, so the feed and the
	// effects shown there are all regenerated.
	window := uint32(feedLife / p.tickDur)
	from := uint32(0)
	if target > window {
		from = target - window
	}
	if k := min(int(from/p.keyEvery), len(p.keys)-1); target < p.st.tick || p.keys[k].tick > p.st.tick {
		p.st = p.keys[k].clone()
		p.feed, p.effects = p.feed[:0], p.effects[:0]
	}
	p.advanceTo(target)
}

// Follow makes the view follow slot (a present player); -1 is the free camera.
func (p *Player) Follow(slot int) {
	if slot < 0 {
		p.follow = -1
		return
	}
	if slot > 255 {
		return
	}
	if _, ok := p.st.world.Player(uint8(slot)); ok {
		p.follow = slot
	}
}

// FollowNext follows the next present player in slot order (dir +1) or the previous one
// (-1), from the followed one or, with a free camera, from the start.
func (p *Player) FollowNext(dir int) {
	slots := p.Slots()
	if len(slots) == 0 {
		return
	}
	i := slices.Index(slots, p.follow)
	switch {
	case i < 0 && dir < 0:
		i = len(slots) - 1
	case i < 0:
		i = 0
	default:
		i = (i + dir + len(slots)) % len(slots)
	}
	p.follow = slots[i]
}

// Slots lists the slots of the players in the match at the shown tick, ascending.
func (p *Player) Slots() []int {
	var out []int
	for slot := range p.st.world.MaxPlayers() {
		if _, ok := p.st.world.Player(uint8(slot)); ok {
			out = append(out, slot)
		}
	}
	return out
}

// Name is the name of the player in slot.
func (p *Player) Name(slot int) string {
	if slot < 0 || slot > 255 {
		return ""
	}
	return p.st.names[slot]
}

// World is the re-simulated world at the tick Status().Tick rounds up to (tests, tools).
// Do not change it.
func (p *Player) World() *sim.World { return p.st.world }

// advanceTo re-simulates forward to tick target (≥ the state's tick; the End tick at most).
func (p *Player) advanceTo(target uint32) {
	st := p.st
	target = min(target, p.end)
	for {
		p.applyRecords()
		if st.tick >= target {
			break
		}
		if st.tick+1 == target {
			p.prev = p.snap(p.prev)
		}
		p.step()
	}
	p.cur = p.snap(p.cur)
	if p.prev.Tick+1 != p.cur.Tick {
		p.prev = p.snap(p.prev) // no tick before (the start, a keyframe): no blending
	}
}

// applyRecords applies the records at the state's tick: joins, leaves, input changes, and
// checks a checksum. A keyframe is kept at the first pass over its tick.
func (p *Player) applyRecords() {
	st := p.st
	for st.next < len(p.recs) && p.recs[st.next].Tick <= st.tick {
		r := &p.recs[st.next]
		st.next++
		switch r.Kind {
		case replay.KindJoin:
			pl := r.Player
			if err := st.world.Join(pl.Slot, pl.Team); err != nil && p.problem == "" {
				p.problem = fmt.Sprintf("tick %d: join of slot %d refused: %v", st.tick, pl.Slot, err)
			}
			st.names[pl.Slot] = pl.Name
			st.in.Reset(pl.Slot)
		case replay.KindLeave:
			st.world.Leave(r.Player.Slot)
		case replay.KindInputs:
			for _, in := range r.Inputs {
				s := &st.slots[in.Slot]
				s.present, s.repeated = !in.Absent, in.Repeated
				s.data = append(s.data[:0], in.Data...)
			}
		case replay.KindChecksum:
			if got := st.world.Hash(); got != r.Checksum && p.mismatch == 0 {
				p.mismatch = r.Tick
				if p.problem == "" {
					p.problem = fmt.Sprintf("checksum at tick %d: simulated %016x, recorded %016x", r.Tick, got, r.Checksum)
				}
			}
		}
	}
	if st.tick%p.keyEvery == 0 && int(st.tick/p.keyEvery) == len(p.keys) {
		p.keys = append(p.keys, st.clone())
	}
}

// step runs one Step of the world, as the game server did, and keeps its events as kill
// feed lines and effects.
func (p *Player) step() {
	st := p.st
	if _, over := st.world.Over(); over {
		st.tick++ // the match ended early: the world stands still to the End tick
		return
	}
	st.in.Begin()
	for i := range p.h.MaxPlayers {
		if s := &st.slots[i]; s.present {
			st.in.Set(uint8(i), s.data, s.repeated)
		}
	}
	events := st.world.Step(st.in.Step())
	st.tick++
	p.stepped++
	if len(events) == 0 {
		return
	}
	p.evSnap = p.snap(p.evSnap)
	sc := &p.scratch
	var buf [64]byte
	for i := range events {
		e := arena.EventFromSim(&events[i])
		data, err := e.Append(buf[:0])
		if err != nil {
			continue
		}
		sc.KillFeed, sc.Effects = sc.KillFeed[:0], sc.Effects[:0]
		p.rules.Event(sc, data, &st.names, &p.evSnap)
		for _, k := range sc.KillFeed {
			p.feed = append(p.feed, timedFeed{st.tick, k})
		}
		for _, fx := range sc.Effects {
			p.effects = append(p.effects, timedEffect{st.tick, fx})
		}
	}
	// Forget what can no longer show.
	cut := func(tick uint32, life time.Duration) bool { return p.Time(float64(st.tick-tick)) >= life }
	p.feed = slices.DeleteFunc(p.feed, func(f timedFeed) bool { return cut(f.tick, feedLife) })
	if n := len(p.feed); n > 4*maxKillFeed {
		p.feed = append(p.feed[:0], p.feed[n-maxKillFeed:]...)
	}
	p.effects = slices.DeleteFunc(p.effects, func(f timedEffect) bool {
		return cut(f.tick, cmp(f.e.Life, effectLife))
	})
}

func cmp(life, def time.Duration) time.Duration {
	if life > 0 {
		return life
	}
	return def
}

// snap returns the world now as a snapshot, reusing dst's entities.
func (p *Player) snap(dst snapshot.Snapshot) snapshot.Snapshot {
	dst.Tick = p.st.tick
	dst.Entities = arena.AppendEntities(dst.Entities[:0], p.st.world)
	return dst
}

// Scene fills sc with the match at the shown moment: the world (players, projectiles,
// beams) blended between the two ticks around it, the followed player marked Local (the
// HUD and camera follow it), the kill feed and effects of the moments before, and at the
// end the recorded result. It reuses sc's slices.
func (p *Player) Scene(sc *client.Scene) {
	sc.Mode = p.h.Mode
	sc.Players, sc.Projectiles, sc.Effects = sc.Players[:0], sc.Projectiles[:0], sc.Effects[:0]
	alpha := 1.0
	if p.cur.Tick > p.prev.Tick {
		alpha = 1 - (float64(p.cur.Tick) - p.pos)
	}
	p.rules.FillScene(sc, &p.prev, &p.cur, alpha, &p.st.names)
	for i := range sc.Players {
		sc.Players[i].Local = int(sc.Players[i].Slot) == p.follow
	}
	for _, fx := range p.effects {
		age := p.Time(p.pos - float64(fx.tick))
		if age < 0 || age >= cmp(fx.e.Life, effectLife) {
			continue
		}
		e := fx.e
		e.Age += age
		sc.Effects = append(sc.Effects, e)
	}
	sc.KillFeed = sc.KillFeed[:0]
	for _, f := range p.feed {
		if age := p.Time(p.pos - float64(f.tick)); age >= 0 && age < feedLife {
			e := f.e
			e.Age = age
			sc.KillFeed = append(sc.KillFeed, e)
		}
	}
	if n := len(sc.KillFeed); n > maxKillFeed {
		sc.KillFeed = append(sc.KillFeed[:0], sc.KillFeed[n-maxKillFeed:]...)
	}
	sc.Chat = sc.Chat[:0]
	sc.Net, sc.Silence, sc.Alone = client.NetStats{}, 0, false
	sc.MatchOver = p.pos >= float64(p.end)
	sc.Final, sc.EndReason = sc.Final[:0], ""
	if sc.MatchOver {
		sc.EndReason = p.result.Reason
		for _, s := range p.result.Scores {
			sc.Final = append(sc.Final, client.ScoreLine{Slot: s.Slot, Team: s.Team, Name: s.Name, Score: s.Score,
				Kills: s.Kills, Deaths: s.Deaths, Left: s.Left, Local: int(s.Slot) == p.follow})
		}
		client.SortScores(sc.Final)
		if sc.Teams > 1 {
			sc.TeamScores = sc.TeamScores[:0]
			for range sc.Teams {
				sc.TeamScores = append(sc.TeamScores, 0)
			}
			for _, l := range sc.Final {
				if int(l.Team) < sc.Teams {
					sc.TeamScores[l.Team] += l.Score
				}
			}
		}
	}
}
