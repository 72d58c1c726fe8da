package bot

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/client"
)

func angleDiff(a, b float64) float64 {
	d := math.Mod(a-b+3*math.Pi, 2*math.Pi) - math.Pi
	return math.Abs(d)
}

func TestBrainAimsAtNearestAndShoots(t *testing.T) {
	b := NewBrain(BrainConfig{Seed: 1, AimError: 1e-9})
	v := View{
		Self: client.Vec{X: 500, Y: 500}, SelfAlive: true, World: client.Vec{X: 2000, Y: 2000},
		Enemies: []Enemy{
			{Slot: 1, Pos: client.Vec{X: 500, Y: 900}, Alive: true}, // 400 below
			{Slot: 2, Pos: client.Vec{X: 700, Y: 500}, Alive: true}, // 200 right: nearest
			{Slot: 3, Pos: client.Vec{X: 550, Y: 500}, Alive: false},
		},
	}
	c := b.Think(v)
	slot, ok := b.Target()
	require.True(t, ok)
	assert.Equal(t, uint8(2), slot)
	assert.Less(t, angleDiff(c.Aim, 0), 0.01, "aims right")
	assert.True(t, c.Fire)
	assert.InDelta(t, 1, c.Move.Len(), 1e-9)
}

func TestBrainHoldsFireWithoutLineOfSight(t *testing.T) {
	b := NewBrain(BrainConfig{Seed: 2})
	v := View{
		Self: client.Vec{X: 100, Y: 500}, SelfAlive: true,
		Enemies: []Enemy{{Slot: 1, Pos: client.Vec{X: 400, Y: 500}, Alive: true}},
		Walls:   []client.Wall{{X: 200, Y: 300, W: 50, H: 400}},
	}
	c := b.Think(v)
	assert.False(t, c.Fire, "a wall is in the way")
	v.Enemies[0].Pos = client.Vec{X: 100, Y: 800}
	assert.True(t, b.Think(v).Fire)
	v.Enemies[0].Pos = client.Vec{X: 1500, Y: 500}
	v.Walls = nil
	assert.False(t, b.Think(v).Fire, "out of range")
}

func TestBrainDodgesWalls(t *testing.T) {
	// Enemy straight right behind a wall right in front: the bot must not walk into the wall.
	wall := client.Wall{X: 130, Y: 0, W: 40, H: 1000}
	for seed := range uint64(20) {
		b := NewBrain(BrainConfig{Seed: seed})
		v := View{
			Self: client.Vec{X: 100, Y: 500}, SelfAlive: true, World: client.Vec{X: 2000, Y: 1000},
			Enemies: []Enemy{{Slot: 1, Pos: client.Vec{X: 900, Y: 500}, Alive: true}},
			Walls:   []client.Wall{wall},
		}
		c := b.Think(v)
		assert.LessOrEqual(t, c.Move.X, 0.05, "seed %d: does not push into the wall ahead", seed)
	}
}

func TestBrainWandersInsideTheWorld(t *testing.T) {
	// Integrate a simple motion model: the bot never leaves the world or enters a wall.
	walls := []client.Wall{{X: 300, Y: 300, W: 200, H: 200}}
	b := NewBrain(BrainConfig{Seed: 9})
	pos := client.Vec{X: 100, Y: 100}
	for range 3000 {
		c := b.Think(View{Self: pos, SelfAlive: true, World: client.Vec{X: 800, Y: 800}, Walls: walls})
		next := pos.Add(c.Move.Scale(4))
		if !clear(View{World: client.Vec{X: 800, Y: 800}, Walls: walls}, next, 0, 0, 14) {
			continue // the game's collision would stop us here
		}
		pos = next
	}
	assert.Greater(t, pos.X, 0.0)
	assert.Less(t, pos.X, 800.0)
	assert.Greater(t, pos.Y, 0.0)
	assert.Less(t, pos.Y, 800.0)
}

func TestBrainDeadDoesNothing(t *testing.T) {
	b := NewBrain(BrainConfig{})
	assert.Equal(t, client.Controls{}, b.Think(View{SelfAlive: false, Enemies: []Enemy{{Alive: true}}}))
}

func TestBrainDeterministic(t *testing.T) {
	v := View{Self: client.Vec{X: 500, Y: 500}, SelfAlive: true, Enemies: []Enemy{{Slot: 1, Pos: client.Vec{X: 900, Y: 700}, Alive: true}}}
	a, b := NewBrain(BrainConfig{Seed: 5}), NewBrain(BrainConfig{Seed: 5})
	for range 100 {
		require.Equal(t, a.Think(v), b.Think(v))
	}
}

func TestViewOfTeams(t *testing.T) {
	sc := &client.Scene{Teams: 2, Players: []client.ScenePlayer{
		{Slot: 0, Team: 0, Local: true, Alive: true, Pos: client.Vec{X: 1, Y: 2}},
		{Slot: 1, Team: 0, Alive: true},
		{Slot: 2, Team: 1, Alive: true},
	}}
	v := ViewOf(sc)
	assert.Equal(t, client.Vec{X: 1, Y: 2}, v.Self)
	require.Len(t, v.Enemies, 1)
	assert.Equal(t, uint8(2), v.Enemies[0].Slot)
	sc.Teams = 0
	assert.Len(t, ViewOf(sc).Enemies, 2)
}

func TestSummaryJSONFields(t *testing.T) {
	var r1, r2 botResult
	r1.matched, r2.matched = true, true
	r1.playing, r2.playing = 10*time.Second, 10*time.Second
	r1.rep = client.Report{SnapshotsReceived: 300, InputTicks: 600, InputReal: 600, ReliableSent: 5,
		ReliableDelivered: 5, ReliableInOrder: true, BytesIn: 100000, BytesOut: 50000}
	r2.rep = client.Report{SnapshotsReceived: 270, InputTicks: 600, InputReal: 594, ReliableSent: 5,
		ReliableDelivered: 4, ReliableInOrder: true, BytesIn: 80000, BytesOut: 30000}
	r1.rtts.Add(20)
	r2.rtts.Add(40)
	r1.rep.StateAges.Add(120)
	r1.rep.PredictionErrors.Add(0.5)
	s := summarize([]botResult{r1, r2, {err: assert.AnError}}, 11*time.Second)

	var m map[string]any
	require.NoError(t, json.Unmarshal(s.JSON(), &m))
	for _, k := range []string{"bots", "matched", "disconnects", "duration_s", "snapshot_rate_hz",
		"input_delivery", "reliable_sent", "reliable_delivered", "reliable_in_order",
		"down_bytes_per_s", "up_bytes_per_s", "rtt_ms_p50", "rtt_ms_p99", "state_age_ms_p99",
		"prediction_error_p99"} {
		assert.Contains(t, m, k)
	}
	assert.EqualValues(t, 3, m["bots"])
	assert.EqualValues(t, 2, m["matched"])
	assert.InDelta(t, 28.5, m["snapshot_rate_hz"], 1e-9)
	assert.InDelta(t, 1194.0/1200, m["input_delivery"], 1e-9)
	assert.EqualValues(t, 10, m["reliable_sent"])
	assert.EqualValues(t, 9, m["reliable_delivered"])
	assert.Equal(t, true, m["reliable_in_order"])
	assert.InDelta(t, 9000, m["down_bytes_per_s"], 1e-9)
	assert.InDelta(t, 4000, m["up_bytes_per_s"], 1e-9)
	assert.InDelta(t, 40, m["rtt_ms_p99"], 1e-9)
	assert.False(t, s.OK(), "one bot failed to reach a match")
	assert.Contains(t, s.String(), "matched 2")
}

func TestRunRejectsUnknownTransport(t *testing.T) {
	_, err := Run(t.Context(), Config{Transport: "tcp"})
	require.Error(t, err)
}

func TestTickHubFansOutAndStops(t *testing.T) {
	h := newTickHub(time.Millisecond)
	a, b := h.subscribe(), h.subscribe()
	for range 3 {
		<-a
		<-b
	}
	h.unsubscribe(a)
	h.stop()
	h.stop()
}
