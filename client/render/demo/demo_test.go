package demo

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/client"
)

// clock is a manual clock for the demo.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// run advances the clock in frame-sized steps, polling the backend like the renderer does.
func run(b *Backend, c *clock, d time.Duration) {
	for end := c.t.Add(d); c.t.Before(end); {
		c.t = c.t.Add(Tick)
		b.Lobby()
		b.Scene()
	}
}

func newTest(cfg Config) (*Backend, *clock) {
	c := &clock{t: time.Unix(1000, 0)}
	cfg.Now = c.now
	return New(cfg), c
}

func TestLobbyFlowToQuickMatch(t *testing.T) {
	b, c := newTest(Config{})
	assert.Equal(t, client.StageOffline, b.Lobby().Stage)
	assert.Nil(t, b.Scene())

	b.Connect("127.0.0.1:7000", "  ")
	assert.True(t, b.Lobby().Error, "an empty name is refused")
	b.Connect("127.0.0.1:7000", "Ada")
	assert.Equal(t, client.StageConnecting, b.Lobby().Stage)
	run(b, c, time.Second)
	lv := b.Lobby()
	require.Equal(t, client.StageLobby, lv.Stage)
	assert.Equal(t, "Ada", lv.PlayerName)
	assert.NotEmpty(t, lv.Rooms)
	assert.NotEmpty(t, lv.Modes)

	b.QuickMatch("ffa")
	run(b, c, time.Second)
	lv = b.Lobby()
	assert.True(t, lv.Queue.Queued)
	assert.Equal(t, "ffa", lv.Queue.Mode)
	assert.Greater(t, lv.Queue.Waited, 900*time.Millisecond)
	b.CancelQueue()
	assert.False(t, b.Lobby().Queue.Queued)

	b.QuickMatch("")
	run(b, c, 3*time.Second)
	require.Equal(t, client.StageMatch, b.Lobby().Stage)
	s := b.Scene()
	require.NotNil(t, s)
	assert.Equal(t, "teams", s.Mode)
	assert.Equal(t, 2, s.Teams)
	assert.Len(t, s.Players, 8)
	assert.NotEmpty(t, s.Walls)
	local := 0
	for _, p := range s.Players {
		if p.Local {
			local++
			assert.Equal(t, "Ada", p.Name)
		}
		assert.True(t, p.Pos.X > 0 && p.Pos.Y > 0 && p.Pos.X < s.World.X && p.Pos.Y < s.World.Y)
	}
	assert.Equal(t, 1, local)

	b.LeaveMatch()
	assert.Equal(t, client.StageLobby, b.Lobby().Stage)
	assert.Nil(t, b.Scene())
}

func TestRooms(t *testing.T) {
	b, c := newTest(Config{Seed: 3})
	b.Connect("x", "Ada")
	run(b, c, time.Second)

	b.JoinRoom("nope")
	lv := b.Lobby()
	assert.True(t, lv.Error)
	assert.Nil(t, lv.Room)

	b.JoinRoom(lv.Rooms[0].Code)
	lv = b.Lobby()
	require.NotNil(t, lv.Room)
	assert.Equal(t, lv.Rooms[0].Code, lv.Room.Code)
	b.LeaveRoom()
	assert.Nil(t, b.Lobby().Room)

	b.CreateRoom(true)
	lv = b.Lobby()
	require.NotNil(t, lv.Room)
	assert.True(t, lv.Room.Private)
	assert.Len(t, lv.Room.Code, 4)
	b.Chat("hello room")
	lv = b.Lobby()
	assert.Equal(t, "hello room", lv.Room.Chat[len(lv.Room.Chat)-1].Text)

	// the lobby view is a copy: changing it does not change the backend
	lv.Room.Members[0].Name = "changed"
	assert.NotEqual(t, "changed", b.Lobby().Room.Members[0].Name)

	b.Ready(true)
	for i := 0; i < 60 && b.Lobby().Stage != client.StageMatch; i++ {
		run(b, c, time.Second)
	}
	require.Equal(t, client.StageMatch, b.Lobby().Stage, "the bots get ready and the match starts")
}

func TestMatchPlaysAndEnds(t *testing.T) {
	b, c := newTest(Config{MatchLength: 40 * time.Second, Seed: 1})
	b.StartMatch("Ada")
	sawBolt, sawBeam, sawDeath := false, false, false
	for i := 0; i < 50*60 && !b.Scene().MatchOver; i++ {
		run(b, c, Tick)
		s := b.Scene()
		sawBolt = sawBolt || len(s.Projectiles) > 0
		for _, e := range s.Effects {
			sawBeam = sawBeam || e.Kind == client.EffectBeam
			sawDeath = sawDeath || e.Kind == client.EffectDeath
		}
		for _, p := range s.Players {
			if p.Alive {
				require.False(t, blocked(p.Pos, playerRadius-1), "player %s inside a wall at %v", p.Name, p.Pos)
			}
		}
	}
	s := b.Scene()
	require.True(t, s.MatchOver)
	assert.True(t, sawBolt && sawBeam && sawDeath, "bolt %v beam %v death %v", sawBolt, sawBeam, sawDeath)
	assert.NotEmpty(t, s.KillFeed)
	assert.Contains(t, []string{"time_limit", "score_limit"}, s.EndReason)
	require.Len(t, s.Final, 8)
	for i := 1; i < len(s.Final); i++ {
		assert.GreaterOrEqual(t, s.Final[i-1].Score, s.Final[i].Score)
	}
	total := s.TeamScores[0] + s.TeamScores[1]
	kills := 0
	for _, p := range s.Players {
		kills += p.Kills
	}
	assert.Equal(t, kills, total, "every kill scores for the killer's team")
}

func TestLocalControlsMoveThePlayer(t *testing.T) {
	b, c := newTest(Config{Seed: 2})
	b.StartMatch("Ada")
	start := localOf(b.Scene()).Pos
	b.SetControls(client.Controls{Move: client.Vec{X: 0, Y: 1}, Aim: math.Pi / 2})
	run(b, c, 500*time.Millisecond)
	p := localOf(b.Scene())
	if p.Alive {
		assert.Greater(t, p.Pos.Y, start.Y+40, "moved down")
		assert.InDelta(t, math.Pi/2, p.Angle, 1e-9)
	}
}

func TestDeterministic(t *testing.T) {
	a, ca := newTest(Config{Seed: 9})
	b, cb := newTest(Config{Seed: 9})
	a.StartMatch("Ada")
	b.StartMatch("Ada")
	run(a, ca, 5*time.Second)
	run(b, cb, 5*time.Second)
	assert.Equal(t, a.Scene().Players, b.Scene().Players)
}

func TestCatchUpIsBounded(t *testing.T) {
	b, c := newTest(Config{})
	b.StartMatch("Ada")
	left := b.Scene().TimeLeft
	c.t = c.t.Add(time.Hour) // a long stall
	s := b.Scene()
	assert.False(t, s.MatchOver, "a stall skips time instead of fast-forwarding the match")
	assert.InDelta(t, float64(left-maxCatchUpTicks*Tick), float64(s.TimeLeft), float64(time.Millisecond))
}

func localOf(s *client.Scene) client.ScenePlayer {
	for _, p := range s.Players {
		if p.Local {
			return p
		}
	}
	return client.ScenePlayer{}
}

func TestGeometry(t *testing.T) {
	w := client.Wall{X: 10, Y: 10, W: 10, H: 10}
	d, ok := rayRect(client.Vec{X: 0, Y: 15}, client.Vec{X: 1}, w)
	assert.True(t, ok)
	assert.InDelta(t, 10, d, 1e-9)
	_, ok = rayRect(client.Vec{X: 0, Y: 25}, client.Vec{X: 1}, w)
	assert.False(t, ok)
	d, ok = rayCircle(client.Vec{}, client.Vec{X: 1}, client.Vec{X: 10}, 2)
	assert.True(t, ok)
	assert.InDelta(t, 8, d, 1e-9)
	_, ok = rayCircle(client.Vec{}, client.Vec{X: -1}, client.Vec{X: 10}, 2)
	assert.False(t, ok)
	// pushed out of an interior wall, which blocks the line across it
	iw := Arena.Walls[len(Arena.Walls)-1]
	centre := client.Vec{X: iw.X + iw.W/2, Y: iw.Y + iw.H/2}
	p := collide(centre, playerRadius)
	assert.False(t, blocked(p, playerRadius-0.01), "%v", p)
	assert.False(t, clearLine(centre.Sub(client.Vec{X: iw.W + 50}), centre.Add(client.Vec{X: iw.W + 50})))
	sp := Arena.Spawns[0]
	assert.False(t, blocked(sp, playerRadius), "spawns are free")
	assert.True(t, clearLine(sp, sp.Add(client.Vec{X: 5, Y: 5})))
}
