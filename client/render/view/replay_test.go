package view

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/skirmish-go/skirmish/client"
)

func TestReplayBarLayout(t *testing.T) {
	for _, sz := range [][2]float64{{1280, 720}, {1920, 1080}, {800, 600}, {640, 480}} {
		w, h := sz[0], sz[1]
		b := LayoutReplayBar(w, h)
		hud := LayoutHUD(w, h, false)
		assert.Positive(t, b.Track.W, "%v", sz)
		assert.True(t, b.Panel.X >= 0 && b.Panel.X+b.Panel.W <= w && b.Panel.Y+b.Panel.H <= h, "%v: on screen", sz)
		for _, r := range []Rect{hud.Health, hud.Minimap, hud.KeyHint} {
			overlap := b.Panel.X < r.X+r.W && r.X < b.Panel.X+b.Panel.W && b.Panel.Y < r.Y+r.H && r.Y < b.Panel.Y+b.Panel.H
			assert.False(t, overlap, "%v: the bar clears the HUD's %+v", sz, r)
		}
		assert.Equal(t, 0.0, b.SeekFraction(b.Track.X-50))
		assert.Equal(t, 1.0, b.SeekFraction(b.Track.X+b.Track.W+50))
		assert.InDelta(t, 0.5, b.SeekFraction(b.Track.X+b.Track.W/2), 1e-9)
	}
}

func TestReplayStatusText(t *testing.T) {
	assert.Equal(t, "Playing 1× 0:42 / 5:00 · following Ada",
		ReplayStatusText(ReplayStatus{Pos: 42*time.Second + 900*time.Millisecond, End: 5 * time.Minute, Speed: 1, Following: "Ada"}))
	assert.Equal(t, "Paused 0.25× 1:00 / 1:05 · free camera · desync at 0:31",
		ReplayStatusText(ReplayStatus{Pos: time.Minute, End: 65 * time.Second, Speed: 0.25, Paused: true, Mismatch: 31 * time.Second}))
	assert.Equal(t, "8", SpeedText(8))
	assert.Equal(t, "0.5", SpeedText(0.5))
}

func TestPlayerAt(t *testing.T) {
	s := &client.Scene{World: client.Vec{X: 2000, Y: 1300}, Players: []client.ScenePlayer{
		{Slot: 3, Pos: client.Vec{X: 1000, Y: 650}, Alive: true},
		{Slot: 5, Pos: client.Vec{X: 1030, Y: 650}, Alive: true},
		{Slot: 7, Pos: client.Vec{X: 1200, Y: 650}},
	}}
	c := NewCamera(s.World, client.Vec{X: 1000, Y: 650}, 1280, 720)
	x, y := c.ToScreen(client.Vec{X: 1005, Y: 652})
	slot, ok := PlayerAt(s, c, x, y)
	assert.True(t, ok)
	assert.Equal(t, uint8(3), slot, "the nearest")
	x, y = c.ToScreen(client.Vec{X: 1200, Y: 650})
	_, ok = PlayerAt(s, c, x, y)
	assert.False(t, ok, "the dead are not picked")
	x, y = c.ToScreen(client.Vec{X: 1500, Y: 200})
	_, ok = PlayerAt(s, c, x, y)
	assert.False(t, ok)
}
