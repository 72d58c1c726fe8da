package render

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/skirmish-go/skirmish/client"
	"github.com/skirmish-go/skirmish/client/render/demo"
	"github.com/skirmish-go/skirmish/client/render/view"
)

// TestScreenshotDue covers when Options.Screenshot's frame is taken: After from the first
// frame, or with AfterMatch from the match's first frame; with ActionShot only once two
// players are in view, unless the grace ran out; and ScreenshotTimeout.
func TestScreenshotDue(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	world := client.Vec{X: 2000, Y: 1300}
	alone := &client.Scene{World: world, Players: []client.ScenePlayer{
		{Slot: 0, Pos: client.Vec{X: 1000, Y: 650}, Alive: true, Local: true},
		{Slot: 1, Pos: client.Vec{X: 1900, Y: 100}, Alive: true},
	}}
	fight := &client.Scene{World: world, Players: []client.ScenePlayer{
		{Slot: 0, Pos: client.Vec{X: 1000, Y: 650}, Alive: true, Local: true},
		{Slot: 1, Pos: client.Vec{X: 1150, Y: 600}, Alive: true},
	}}
	newGame := func(opt Options) *Game {
		// no NewGame: it makes images, which Ebiten refuses once TestScreens' RunGame is over
		opt.defaults()
		return &Game{b: demo.New(demo.Config{}), opt: opt, w: opt.WindowWidth, h: opt.WindowHeight, start: t0}
	}
	inMatch := func(g *Game, at time.Time, s *client.Scene) {
		g.screen, g.scene, g.matchStart = screenMatch, s, at
		g.cam = view.NewCamera(s.World, client.Vec{X: 1000, Y: 650}, float64(g.w), float64(g.h))
	}
	due := func(g *Game, at time.Duration) [2]bool {
		d, to := g.screenshotDue(t0.Add(at))
		return [2]bool{d, to}
	}

	g := newGame(Options{Screenshot: "x.png", After: 3 * time.Second})
	assert.Equal(t, [2]bool{false, false}, due(g, 2*time.Second))
	assert.Equal(t, [2]bool{true, false}, due(g, 3*time.Second), "from the first frame, whatever the screen")

	g = newGame(Options{Screenshot: "x.png", After: 10 * time.Second, AfterMatch: true, ScreenshotTimeout: time.Minute})
	assert.Equal(t, [2]bool{false, false}, due(g, 30*time.Second), "no match yet")
	inMatch(g, t0.Add(20*time.Second), alone)
	assert.Equal(t, [2]bool{false, false}, due(g, 29*time.Second))
	assert.Equal(t, [2]bool{true, false}, due(g, 30*time.Second), "10 s into the match")

	g = newGame(Options{Screenshot: "x.png", After: 10 * time.Second, AfterMatch: true, ActionShot: true, ScreenshotTimeout: time.Minute})
	inMatch(g, t0.Add(20*time.Second), alone)
	assert.Equal(t, [2]bool{false, false}, due(g, 30*time.Second), "waits for an opponent in view")
	assert.Equal(t, [2]bool{true, false}, due(g, 45*time.Second), "the grace (15 s) ran out")
	inMatch(g, t0.Add(20*time.Second), fight)
	assert.Equal(t, [2]bool{false, false}, due(g, 29*time.Second))
	assert.Equal(t, [2]bool{true, false}, due(g, 30*time.Second))

	g = newGame(Options{Screenshot: "x.png", After: 10 * time.Second, AfterMatch: true, ScreenshotTimeout: time.Minute})
	g.screen = screenLobby
	assert.Equal(t, [2]bool{false, true}, due(g, time.Minute), "never matched")
}

// TestMenuRedrawsOnlyOnChange: a menu is drawn again only when what it shows changes (the
// lobby view, the fields, the text cursor's blink, the window).
func TestMenuRedrawsOnlyOnChange(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	opt := Options{Now: clk.now}
	opt.defaults()
	g := &Game{b: demo.New(demo.Config{}), opt: opt, w: 1280, h: 720, screen: screenLobby,
		lobby: client.LobbyView{Stage: client.StageLobby, PlayerName: "ada", Modes: []string{"ffa"}}}
	assert.True(t, g.menuChanged(g.menuFrame()), "the first frame is drawn")
	for range 10 {
		assert.False(t, g.menuChanged(g.menuFrame()), "nothing changed: not drawn again")
	}
	g.lobby.Status = "Search cancelled"
	assert.True(t, g.menuChanged(g.menuFrame()), "a new status line")
	assert.False(t, g.menuChanged(g.menuFrame()))
	g.ui.code = "K"
	assert.True(t, g.menuChanged(g.menuFrame()), "typing")
	g.ui.focus = fieldCode
	g.typedAt = clk.t
	g.menuChanged(g.menuFrame())
	clk.t = clk.t.Add(500 * time.Millisecond)
	assert.True(t, g.menuChanged(g.menuFrame()), "the text cursor blinks after typing")
	clk.t = clk.t.Add(view.CaretBlinkFor)
	g.menuChanged(g.menuFrame())
	for range 10 {
		clk.t = clk.t.Add(250 * time.Millisecond)
		assert.False(t, g.menuChanged(g.menuFrame()), "then it stays on: an idle menu draws nothing")
	}
	f := g.menuFrame()
	f.W = 640
	assert.True(t, g.menuChanged(f), "a resized window")
	g.screen = screenMatch
	assert.Equal(t, view.MenuFrame{}, g.menuFrame())
}
