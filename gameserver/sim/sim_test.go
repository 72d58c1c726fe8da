package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/skirmish-go/skirmish/assets"
	"github.com/stretchr/testify/require"
)

func arenaMap(t testing.TB) *Map {
	t.Helper()
	src, err := assets.Map("arena")
	require.NoError(t, err)
	m, err := ParseMap(src)
	require.NoError(t, err)
	return m
}

// boxMap is an empty 1000x600 room with one wall block in the middle.
func boxMap() *Map {
	return &Map{Name: "box", Width: 1000, Height: 600,
		Walls:  []Rect{{X: 450, Y: 250, W: 100, H: 100}},
		Spawns: []Point{{X: 100, Y: 100}, {X: 900, Y: 500}, {X: 100, Y: 500}, {X: 900, Y: 100}}}
}

func TestDirection(t *testing.T) {
	for a := 0; a < 1<<16; a++ {
		dx, dy := Direction(uint16(a))
		rad := float64(a) / 65536 * 2 * math.Pi
		if math.Abs(math.Cos(rad)*unitQ-float64(dx)) > 1.01 || math.Abs(math.Sin(rad)*unitQ-float64(dy)) > 1.01 {
			t.Fatalf("Direction(%d) = %d, %d", a, dx, dy)
		}
	}
	dx, dy := Direction(0)
	require.Equal(t, [2]int32{unitQ, 0}, [2]int32{dx, dy})
	dx, dy = Direction(TurnQuarter)
	require.Equal(t, [2]int32{0, unitQ}, [2]int32{dx, dy})
}

func TestIsqrt(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for range 10000 {
		x := rng.Int64N(1 << 62)
		r := isqrt(x)
		require.LessOrEqual(t, r*r, x)
		require.Greater(t, (r+1)*(r+1), x)
	}
	require.Equal(t, int64(0), isqrt(0))
	require.Equal(t, int64(3), isqrt(15))
	require.Equal(t, int64(4), isqrt(16))
}

func TestInputRoundTrip(t *testing.T) {
	in := Input{MoveX: -127, MoveY: 64, Aim: 40000, Fire: true, AltFire: true, ViewTick: 65000, ViewFrac: 200}
	b, err := in.AppendBinary([]byte{9})
	require.NoError(t, err)
	require.Len(t, b, 1+InputSize)
	got, n, err := ParseInput(b[1:])
	require.NoError(t, err)
	require.Equal(t, InputSize, n)
	require.Equal(t, in, got)
	_, _, err = ParseInput(b[1:InputSize])
	require.Error(t, err)
	bad := append([]byte(nil), b[1:]...)
	bad[0] |= 0x80
	_, _, err = ParseInput(bad)
	require.ErrorIs(t, err, ErrBadInput)
	bad[0], bad[1] = 0, 0x80 // -128 reads as -127
	got, _, err = ParseInput(bad)
	require.NoError(t, err)
	require.Equal(t, int8(-127), got.MoveX)
}

func FuzzParseInput(f *testing.F) {
	b, _ := Input{MoveX: 1, MoveY: -1, Aim: 7, Fire: true, ViewTick: 3, ViewFrac: 4}.AppendBinary(nil)
	f.Add(b)
	f.Add([]byte{})
	f.Add([]byte{0xff, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		in, n, err := ParseInput(b)
		if err != nil {
			return
		}
		out, err := in.AppendBinary(nil)
		require.NoError(t, err)
		again, _, err := ParseInput(out)
		require.NoError(t, err)
		require.Equal(t, in, again)
		require.Equal(t, InputSize, n)
	})
}

func TestArenaMap(t *testing.T) {
	m := arenaMap(t)
	require.Equal(t, int32(1600), m.Width)
	require.GreaterOrEqual(t, len(m.Spawns), 16)
	requireConnected(t, m)
	large := loadMap(t, "large")
	require.Equal(t, MaxSpawns, len(large.Spawns), "a spawn point for each of 64 players")
	require.LessOrEqual(t, large.Width*SubPixels, int32(0xffff), "positions fit the snapshot's 16-bit fields")
	require.LessOrEqual(t, large.Height*SubPixels, int32(0xffff))
	requireConnected(t, large)
}

// requireConnected checks that every spawn point reaches every other: a flood fill on a 4 px
// grid of clear positions.
func requireConnected(t *testing.T, m *Map) {
	t.Helper()
	// Every spawn point reaches every other: flood fill on a 4 px grid of clear positions.
	const cell = 4
	gw, gh := int(m.Width/cell), int(m.Height/cell)
	seen := make([]bool, gw*gh)
	start := m.Spawns[0]
	queue := []int{int(start.Y/cell)*gw + int(start.X/cell)}
	seen[queue[0]] = true
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		cx, cy := c%gw, c/gw
		for _, d := range [4][2]int{{1, 0}, {-1, 0}, {0, 1}, {0, -1}} {
			nx, ny := cx+d[0], cy+d[1]
			if nx < 0 || ny < 0 || nx >= gw || ny >= gh || seen[ny*gw+nx] {
				continue
			}
			if !m.Clear(int32(nx*cell), int32(ny*cell), PlayerRadius) {
				continue
			}
			seen[ny*gw+nx] = true
			queue = append(queue, ny*gw+nx)
		}
	}
	for i, s := range m.Spawns {
		require.True(t, seen[int(s.Y/cell)*gw+int(s.X/cell)], "spawn %d unreachable", i)
	}
}

func TestParseMapRejects(t *testing.T) {
	for _, src := range []string{
		`{`,
		`{"name":"x","width":100,"height":1000,"walls":[],"spawns":[{"x":50,"y":50}]}`,
		`{"name":"x","width":1000,"height":1000,"walls":[],"spawns":[]}`,
		`{"name":"x","width":1000,"height":1000,"walls":[{"x":900,"y":0,"w":200,"h":10}],"spawns":[{"x":50,"y":50}]}`,
		`{"name":"x","width":1000,"height":1000,"walls":[{"x":0,"y":0,"w":100,"h":100}],"spawns":[{"x":50,"y":50}]}`,
		`{"name":"x","width":1000,"height":1000,"spawns":[{"x":50,"y":50}],"extra":1}`,
	} {
		_, err := ParseMap([]byte(src))
		require.ErrorIs(t, err, ErrBadMap, src)
	}
}

// spawnAt seats a player and puts it at (x, y) pixels, alive and unprotected.
func spawnAt(t testing.TB, w *World, slot uint8, x, y int32) *Player {
	t.Helper()
	if !w.seated[slot] {
		require.NoError(t, w.Join(slot, 0))
	}
	p := &w.players[slot]
	p.Alive, p.Health, p.RespawnIn, p.Protected = true, maxHealth, 0, 0
	p.X, p.Y, p.VX, p.VY = x*SubPixels, y*SubPixels, 0, 0
	return p
}

func TestMovementAccelerationAndFriction(t *testing.T) {
	m := boxMap()
	cfg := Config{}
	r := cfg.rules()
	p := Player{Alive: true, X: 200 * SubPixels, Y: 300 * SubPixels}
	ticks := 0
	for p.VX < r.maxSpeed {
		PredictPlayer(cfg, m, &p, Input{MoveX: MaxMove})
		ticks++
		require.Less(t, ticks, 30, "reaches top speed")
	}
	require.Greater(t, ticks, 3, "acceleration is not instant")
	require.Equal(t, r.maxSpeed, p.VX)
	require.Zero(t, p.VY)
	// Diagonal movement is no faster than straight.
	q := Player{Alive: true, X: 200 * SubPixels, Y: 300 * SubPixels}
	for range 40 {
		PredictPlayer(cfg, m, &q, Input{MoveX: MaxMove, MoveY: MaxMove})
	}
	speed := math.Hypot(float64(q.VX), float64(q.VY))
	require.InDelta(t, float64(r.maxSpeed), speed, 1.5)
	// Friction stops it.
	ticks = 0
	for p.VX != 0 {
		PredictPlayer(cfg, m, &p, Input{})
		ticks++
		require.Less(t, ticks, 30)
	}
	// Dead players do not move.
	d := Player{X: 300 * SubPixels, Y: 300 * SubPixels}
	PredictPlayer(cfg, m, &d, Input{MoveX: MaxMove})
	require.Equal(t, int32(300*SubPixels), d.X)
}

func TestWallCollisionSlides(t *testing.T) {
	m := boxMap()
	cfg := Config{}
	// Running right and down into the block's left face: stopped in X, keeps sliding in Y.
	p := Player{Alive: true, X: 420 * SubPixels, Y: 280 * SubPixels}
	for range 60 {
		PredictPlayer(cfg, m, &p, Input{MoveX: MaxMove, MoveY: 40})
	}
	require.LessOrEqual(t, p.X, int32(450-PlayerRadius)*SubPixels, "never inside the wall")
	require.Greater(t, p.Y, int32(300*SubPixels), "slid along the wall")
	// Random walks never end overlapping a wall or leaving the map.
	rng := rand.New(rand.NewPCG(2, 3))
	q := Player{Alive: true, X: 100 * SubPixels, Y: 100 * SubPixels}
	var in Input
	for i := range 20000 {
		if i%20 == 0 {
			in = Input{MoveX: int8(rng.IntN(255) - 127), MoveY: int8(rng.IntN(255) - 127)}
		}
		PredictPlayer(cfg, m, &q, in)
		if !m.clear(q.X, q.Y, playerRadius) {
			t.Fatalf("tick %d: inside a wall at %d,%d", i, q.X, q.Y)
		}
	}
	// The same on the arena map with corners and narrow gaps.
	am := arenaMap(t)
	q = Player{Alive: true, X: am.Spawns[0].X * SubPixels, Y: am.Spawns[0].Y * SubPixels}
	for i := range 20000 {
		if i%15 == 0 {
			in = Input{MoveX: int8(rng.IntN(255) - 127), MoveY: int8(rng.IntN(255) - 127)}
		}
		PredictPlayer(cfg, am, &q, in)
		if !am.clear(q.X, q.Y, playerRadius) {
			t.Fatalf("tick %d: inside a wall at %d,%d", i, q.X, q.Y)
		}
	}
}

func TestPredictionMatchesServer(t *testing.T) {
	m := arenaMap(t)
	cfg := Config{MaxPlayers: 2}
	w, err := NewWorld(cfg, m, 7)
	require.NoError(t, err)
	require.NoError(t, w.Join(0, 0))
	w.Step(nil)
	client, ok := w.Player(0)
	require.True(t, ok)
	rng := rand.New(rand.NewPCG(4, 5))
	inputs := make([]Input, 1)
	for i := range 3000 {
		if i%10 == 0 {
			inputs[0] = Input{MoveX: int8(rng.IntN(255) - 127), MoveY: int8(rng.IntN(255) - 127), Aim: uint16(rng.Uint32())}
		}
		w.Step(inputs)
		PredictPlayer(cfg, m, &client, inputs[0])
		server, _ := w.Player(0)
		require.Equal(t, [4]int32{server.X, server.Y, server.VX, server.VY}, [4]int32{client.X, client.Y, client.VX, client.VY}, "tick %d", i)
	}
}

func TestProjectileHitsAndDespawns(t *testing.T) {
	w, err := NewWorld(Config{MaxPlayers: 4}, boxMap(), 1)
	require.NoError(t, err)
	shooter := spawnAt(t, w, 0, 100, 300)
	victim := spawnAt(t, w, 1, 300, 300)
	in := make([]Input, 2)
	in[0] = Input{Aim: 0, Fire: true}
	evs := w.Step(in)
	require.Empty(t, eventsOf(evs, EventHit))
	require.Len(t, w.Projectiles(), 1)
	shot := w.Projectiles()[0]
	require.Equal(t, uint8(0), shot.Owner)
	require.GreaterOrEqual(t, shot.ID, uint16(MaxPlayers))
	in[0].Fire = false
	var hit []Event
	for range 30 {
		hit = append(hit, eventsOf(w.Step(in), EventHit)...)
		if len(hit) > 0 {
			break
		}
	}
	require.Len(t, hit, 1)
	require.Equal(t, Event{Kind: EventHit, Tick: hit[0].Tick, Player: 0, Victim: 1, Weapon: WeaponLauncher,
		Damage: projectileDamage, Health: maxHealth - projectileDamage}, hit[0])
	require.Empty(t, w.Projectiles(), "despawned on hit")
	require.Equal(t, int32(maxHealth-projectileDamage), victim.Health)
	_ = shooter

	// Into a wall: the block's left face is at x=450.
	spawnAt(t, w, 1, 300, 100) // out of the line of fire
	spawnAt(t, w, 0, 380, 300)
	in[0] = Input{Aim: 0, Fire: true}
	w.Step(in)
	require.Len(t, w.Projectiles(), 1)
	in[0].Fire = false
	for range 10 {
		w.Step(in)
	}
	require.Empty(t, w.Projectiles(), "despawned on the wall")

	// Lifetime: fire along the long axis of an empty map; it expires before reaching the end.
	big := &Map{Name: "long", Width: 4000, Height: 400, Spawns: []Point{{X: 50, Y: 50}}}
	w, err = NewWorld(Config{MaxPlayers: 2}, big, 1)
	require.NoError(t, err)
	spawnAt(t, w, 0, 100, 200)
	w.Step([]Input{{Fire: true}})
	life := w.r.projLife
	for range life - 1 {
		w.Step(nil)
	}
	require.Len(t, w.Projectiles(), 1)
	w.Step(nil)
	require.Empty(t, w.Projectiles(), "expired")
}

func eventsOf(evs []Event, kind EventKind) []Event {
	var out []Event
	for _, e := range evs {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

func TestKillRespawnAndScore(t *testing.T) {
	w, err := NewWorld(Config{MaxPlayers: 2}, boxMap(), 1)
	require.NoError(t, err)
	spawnAt(t, w, 0, 100, 300)
	victim := spawnAt(t, w, 1, 300, 300)
	victim.Health = 10
	in := []Input{{Fire: true}, {}}
	var kills []Event
	for range 30 {
		kills = append(kills, eventsOf(w.Step(in), EventKill)...)
	}
	require.Len(t, kills, 1)
	require.Equal(t, uint8(0), kills[0].Player)
	require.Equal(t, uint8(1), kills[0].Victim)
	p0, _ := w.Player(0)
	p1, _ := w.Player(1)
	require.Equal(t, int32(1), p0.Score)
	require.Equal(t, int32(1), p1.Deaths)
	require.False(t, p1.Alive)
	var spawned []Event
	for range w.r.respawn + 1 {
		spawned = append(spawned, eventsOf(w.Step(nil), EventSpawn)...)
	}
	require.Len(t, spawned, 1)
	p1, _ = w.Player(1)
	require.True(t, p1.Alive)
	require.Equal(t, int32(maxHealth), p1.Health)
	require.Positive(t, p1.Protected)
}

// The same input streams give bit-identical worlds: 16 players playing, joining and leaving
// for 3600 ticks, the state hashed every tick on two independent runs.
func TestDeterminism(t *testing.T) {
	for _, cfg := range []Config{
		{MaxPlayers: 16, ScoreLimit: -1, TimeLimit: -1},
		{MaxPlayers: 16, ScoreLimit: -1, TimeLimit: -1, Teams: 2},
		{MaxPlayers: 16, ScoreLimit: -1, TimeLimit: -1, Teams: 2, FriendlyFire: true},
	} {
		t.Run(fmt.Sprintf("teams=%d,ff=%v", cfg.Teams, cfg.FriendlyFire), func(t *testing.T) { testDeterminism(t, cfg) })
	}
}

func testDeterminism(t *testing.T, cfg Config) {
	run := func() []uint64 {
		w, err := NewWorld(cfg, arenaMap(t), 42)
		require.NoError(t, err)
		rng := rand.New(rand.NewPCG(9, 9))
		inputs := make([]Input, 16)
		var hashes []uint64
		for i := range 16 {
			require.NoError(t, w.Join(uint8(i), uint8(i%2)))
		}
		for tick := range 3600 {
			for i := range inputs {
				if rng.IntN(20) == 0 {
					inputs[i] = Input{MoveX: int8(rng.IntN(255) - 127), MoveY: int8(rng.IntN(255) - 127),
						Aim: uint16(rng.Uint32()), Fire: rng.IntN(2) == 0, AltFire: rng.IntN(10) == 0,
						ViewTick: uint16(w.Tick() - uint32(rng.IntN(30))), ViewFrac: uint8(rng.Uint32())}
				}
			}
			if tick%500 == 250 {
				slot := uint8(rng.IntN(16))
				w.Leave(slot)
				require.NoError(t, w.Join(slot, 0))
			}
			w.Step(inputs)
			if tick%8 == 0 || tick == 3599 {
				hashes = append(hashes, w.Hash())
			}
		}
		return hashes
	}
	a, b := run(), run()
	require.Equal(t, a, b)
	require.NotEqual(t, a[10], a[11])
	require.Len(t, a, 451)
}

// rewindScene: a target running sideways at top speed past a shooter 400 px away. It
// returns the world after enough ticks for history, the target's position history (pixels
// ×16 per tick) and the shooter's slot 0 / target slot 1.
func rewindScene(t *testing.T) (*World, map[uint32][2]int32) {
	big := &Map{Name: "open", Width: 2000, Height: 1400, Spawns: []Point{{X: 50, Y: 50}}}
	w, err := NewWorld(Config{MaxPlayers: 2, ScoreLimit: -1}, big, 1)
	require.NoError(t, err)
	spawnAt(t, w, 0, 1000, 1200)
	spawnAt(t, w, 1, 400, 800)
	hist := map[uint32][2]int32{}
	in := []Input{{}, {MoveX: MaxMove}}
	for range 60 {
		w.Step(in)
		p, _ := w.Player(1)
		hist[w.Tick()] = [2]int32{p.X, p.Y}
	}
	return w, hist
}

func railAt(t *testing.T, w *World, aimAt [2]int32, view uint32, frac uint8) []Event {
	t.Helper()
	s, _ := w.Player(0)
	in := []Input{{AltFire: true, Aim: AimAt(s.X, s.Y, aimAt[0], aimAt[1]), ViewTick: uint16(view), ViewFrac: frac},
		{MoveX: MaxMove}}
	return w.Step(in)
}

// At 150 ms round trip the shooter sees the target 9 ticks in the past (plus a fraction of
// interpolation); aiming at what it sees registers a hit although the target has moved on
// by more than its own width.
func TestLagCompensationHitAt150ms(t *testing.T) {
	w, hist := rewindScene(t)
	now := w.Tick()
	view := now - 9
	a, b := hist[view], hist[view+1]
	seen := [2]int32{a[0] + (b[0]-a[0])/2, a[1]} // frac 128: half way to the next tick
	cur := hist[now]
	require.Greater(t, cur[0]-seen[0], int32(2*playerRadius), "the target moved more than its width")
	evs := railAt(t, w, seen, view, 128)
	hits := eventsOf(evs, EventHit)
	require.Len(t, hits, 1)
	require.Equal(t, WeaponRail, hits[0].Weapon)
	require.Equal(t, uint8(1), hits[0].Victim)
	require.Len(t, w.Beams(), 1)
	require.Equal(t, int16(1), w.Beams()[0].Victim)

	// Without lag compensation (view = now) the same shot misses.
	w2, hist2 := rewindScene(t)
	require.Equal(t, hist, hist2)
	require.Empty(t, eventsOf(railAt(t, w2, seen, w2.Tick(), 0), EventHit))
}

// A shooter claiming to see 400 ms (24 ticks) back is resolved 250 ms (15 ticks) back: the
// shot at where the target was 24 ticks ago misses, one at the 15-tick position hits.
func TestLagCompensationClampedAt400ms(t *testing.T) {
	w, hist := rewindScene(t)
	now := w.Tick()
	in := Input{ViewTick: uint16(now - 24), ViewFrac: 77}
	tick, frac := w.RewindTo(in)
	require.Equal(t, now-15, tick)
	require.Zero(t, frac)
	require.Equal(t, 15, Config{}.MaxRewindTicks())
	require.Empty(t, eventsOf(railAt(t, w, hist[now-24], now-24, 0), EventHit), "400 ms of rewind is clamped")

	w, hist = rewindScene(t)
	now = w.Tick()
	require.Len(t, eventsOf(railAt(t, w, hist[now-15], now-24, 0), EventHit), 1, "resolved at 250 ms")

	// A view in the future is the present.
	tick, _ = w.RewindTo(Input{ViewTick: uint16(w.Tick() + 5)})
	require.Equal(t, w.Tick(), tick)
}

func TestMatchEndScoreLimit(t *testing.T) {
	w, err := NewWorld(Config{MaxPlayers: 2, ScoreLimit: 2}, boxMap(), 1)
	require.NoError(t, err)
	for kill := range 2 {
		spawnAt(t, w, 0, 100, 300)
		v := spawnAt(t, w, 1, 300, 300)
		v.Health = 1
		in := []Input{{Fire: true}, {}}
		for range 40 {
			w.Step(in)
			if p, _ := w.Player(1); !p.Alive {
				break
			}
		}
		_, over := w.Over()
		require.Equal(t, kill == 1, over, "kill %d", kill)
	}
	reason, over := w.Over()
	require.True(t, over)
	require.Equal(t, EndScoreLimit, reason)
	require.Equal(t, "score_limit", reason.String())
	tick := w.Tick()
	require.Nil(t, w.Step(nil))
	require.Equal(t, tick, w.Tick(), "no ticks after the end")
	require.ErrorIs(t, w.Join(1, 0), ErrMatchIsOver)
}

func TestMatchEndTimeLimit(t *testing.T) {
	w, err := NewWorld(Config{MaxPlayers: 2, TimeLimit: 2, TickRate: 30}, boxMap(), 1)
	require.NoError(t, err)
	require.NoError(t, w.Join(0, 0))
	var ends []Event
	for range 60 {
		_, over := w.Over()
		require.False(t, over)
		ends = append(ends, eventsOf(w.Step(nil), EventMatchEnd)...)
	}
	require.Len(t, ends, 1)
	require.Equal(t, EndTimeLimit, ends[0].Reason)
	require.Equal(t, uint32(60), ends[0].Tick)
}

func TestJoinLeave(t *testing.T) {
	w, err := NewWorld(Config{MaxPlayers: 2}, boxMap(), 1)
	require.NoError(t, err)
	require.NoError(t, w.Join(1, 0))
	require.ErrorIs(t, w.Join(1, 0), ErrSlotTaken)
	require.ErrorIs(t, w.Join(2, 0), ErrBadSlot)
	evs := w.Step(nil)
	require.Len(t, eventsOf(evs, EventSpawn), 1)
	spawnAt(t, w, 0, 100, 300)
	w.Step([]Input{{Fire: true}})
	require.Len(t, w.Projectiles(), 1)
	w.Leave(0)
	require.Empty(t, w.Projectiles(), "a leaving player's shots go with them")
	_, ok := w.Player(0)
	require.False(t, ok)
	w.Leave(0) // twice is fine
}
