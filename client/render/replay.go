package render

import (
	"image/color"
	"math"
	"time"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/inpututil"
	"github.com/hajimehoshi/ebiten/v2/text/v2"

	"github.com/skirmish-go/skirmish/client"
	"github.com/skirmish-go/skirmish/client/playback"
	"github.com/skirmish-go/skirmish/client/render/view"
)

// ReplayGame is the replay screen (cmd/client -replay): a recorded match played by a
// playback.Player and drawn by a Game with the live match's view (HUD, scoreboard on Tab,
// kill feed, minimap, results at the end), plus a controls bar at the bottom: the time,
// speed, followed player and a progress bar to click.
//
// Keys: Space pauses; - and + (or [ and ]) change the speed (0.25× to 8×); ← and → seek 5 s
// (held, they repeat), Home and End jump to the start and the end; 1 to 9 follow the n-th
// player, Tab the next one (Shift+Tab the previous; the scoreboard shows while Tab is held),
// a click on a player follows them; 0 (or dragging the view, or WASD) frees the camera; Esc
// closes the replay. A click or drag on the progress bar seeks.
type ReplayGame struct {
	g    *Game
	p    *playback.Player
	now  func() time.Time
	last time.Time

	scene client.Scene
	free  client.Vec // the free camera's centre
	quit  bool

	press     bool       // the left button is down on the view (not the bar)
	pressAt   [2]float64 // where it went down
	dragged   bool       // it moved far enough to be a drag (free camera), not a click
	scrubbing bool       // the left button went down on the progress bar
	bar       view.ReplayBar
}

// maxFrameTime bounds the playback time one Update advances: after a stall (a window drag)
// the replay goes on from where it was rather than jumping.
const maxFrameTime = 250 * time.Millisecond

// NewReplayGame prepares the replay screen for p. From opt it uses the screenshot options
// (Screenshot, After, ActionShot, ScreenshotTimeout, with After counted from the first frame),
// NetGraph, the window size and Now.
func NewReplayGame(p *playback.Player, opt Options) (*ReplayGame, error) {
	rg := &ReplayGame{p: p}
	opt.AutoConnect, opt.AutoQuickMatch = false, false
	opt.Autoplay = true // nobody to control: no crosshair, no controls
	g, err := NewGame(replayBackend{rg}, opt)
	if err != nil {
		return nil, err
	}
	g.keyHint, g.resultsLabel = view.ReplayHint, "Close replay"
	g.overlay = rg.drawBar
	rg.g, rg.now = g, g.opt.Now
	p.Scene(&rg.scene)
	rg.free = rg.scene.World.Scale(0.5)
	return rg, nil
}

// RunReplay opens the window and plays the replay until the window closes, Esc, or the
// screenshot is taken; see [Run].
func RunReplay(rg *ReplayGame) error { return run(rg, rg.g, "Skirmish — replay") }

// Layout implements ebiten.Game.
func (rg *ReplayGame) Layout(w, h int) (int, int) { return rg.g.Layout(w, h) }

// Update implements ebiten.Game: the playback keys and mouse, the playback clock, then the
// match view's own Update (camera, scoreboard, net graph, results, screenshot).
func (rg *ReplayGame) Update() error {
	if rg.quit || inpututil.IsKeyJustPressed(ebiten.KeyEscape) {
		return ebiten.Termination
	}
	now := rg.now()
	if !rg.last.IsZero() {
		rg.p.Advance(min(now.Sub(rg.last), maxFrameTime))
	}
	rg.last = now
	rg.bar = view.LayoutReplayBar(float64(rg.g.w), float64(rg.g.h))
	rg.keys()
	rg.mouse()
	rg.p.Scene(&rg.scene)

	err := rg.g.Update()
	rg.g.ui.focus = fieldNone // a replay has no chat to type into
	if rg.p.Status().Follow < 0 {
		rg.freeCamera()
	}
	if rg.quit {
		return ebiten.Termination
	}
	return err
}

// Draw implements ebiten.Game: the Game draws the match and (its overlay) the controls bar.
func (rg *ReplayGame) Draw(screen *ebiten.Image) { rg.g.Draw(screen) }

func (rg *ReplayGame) keys() {
	p := rg.p
	pressed := inpututil.IsKeyJustPressed
	repeat := func(k ebiten.Key) bool { // just pressed, then every 6th Update after half a second
		d := inpututil.KeyPressDuration(k)
		return d == 1 || d > 30 && d%6 == 0
	}
	switch {
	case pressed(ebiten.KeySpace):
		p.TogglePause()
	case pressed(ebiten.KeyMinus) || pressed(ebiten.KeyKPSubtract) || pressed(ebiten.KeyBracketLeft):
		p.Slower()
	case pressed(ebiten.KeyEqual) || pressed(ebiten.KeyKPAdd) || pressed(ebiten.KeyBracketRight):
		p.Faster()
	case repeat(ebiten.KeyArrowLeft):
		p.SeekBy(-5 * time.Second)
	case repeat(ebiten.KeyArrowRight):
		p.SeekBy(5 * time.Second)
	case pressed(ebiten.KeyHome):
		p.Seek(0)
	case pressed(ebiten.KeyEnd):
		p.Seek(float64(p.Status().End))
	case pressed(ebiten.KeyTab):
		if ebiten.IsKeyPressed(ebiten.KeyShift) {
			p.FollowNext(-1)
		} else {
			p.FollowNext(1)
		}
	case pressed(ebiten.Key0) || pressed(ebiten.KeyNumpad0):
		rg.freeFromView()
	}
	for i := range 9 {
		if pressed(ebiten.Key1+ebiten.Key(i)) || pressed(ebiten.KeyNumpad1+ebiten.Key(i)) {
			if slots := p.Slots(); i < len(slots) {
				p.Follow(slots[i])
			}
		}
	}
	k := ebiten.IsKeyPressed
	move := view.MoveVector(k(ebiten.KeyW), k(ebiten.KeyS), k(ebiten.KeyA), k(ebiten.KeyD))
	if move != (client.Vec{}) {
		if p.Status().Follow >= 0 {
			rg.freeFromView()
		}
		rg.free = rg.free.Add(move.Scale(900.0 / tps))
	}
}

// freeFromView frees the camera where the view is now.
func (rg *ReplayGame) freeFromView() {
	if rg.g.camInit {
		rg.free = rg.g.cam.Center
	}
	rg.p.Follow(-1)
}

func (rg *ReplayGame) mouse() {
	mx, my := ebiten.CursorPosition()
	x, y := float64(mx), float64(my)
	down := ebiten.IsMouseButtonPressed(ebiten.MouseButtonLeft)
	if inpututil.IsMouseButtonJustPressed(ebiten.MouseButtonLeft) {
		switch {
		case rg.bar.Panel.Contains(x, y):
			rg.scrubbing = true
		case !rg.g.showScores && !rg.scene.MatchOver:
			rg.press, rg.pressAt, rg.dragged = true, [2]float64{x, y}, false
		}
	}
	if rg.scrubbing {
		rg.p.Seek(rg.bar.SeekFraction(x) * float64(rg.p.Status().End))
		rg.scrubbing = down
		return
	}
	if !rg.press {
		return
	}
	const dragPixels = 6
	if !rg.dragged && math.Hypot(x-rg.pressAt[0], y-rg.pressAt[1]) > dragPixels {
		rg.dragged = true
		rg.freeFromView()
	}
	if rg.dragged && rg.g.camInit && rg.g.cam.Scale > 0 {
		dx, dy := inputDelta(x, y, rg.pressAt)
		rg.free = rg.free.Sub(client.Vec{X: dx, Y: dy}.Scale(1 / rg.g.cam.Scale))
		rg.pressAt = [2]float64{x, y}
	}
	if !down {
		if !rg.dragged && rg.g.camInit {
			if slot, ok := view.PlayerAt(&rg.scene, rg.g.cam, x, y); ok {
				rg.p.Follow(int(slot))
			}
		}
		rg.press = false
	}
}

func inputDelta(x, y float64, from [2]float64) (float64, float64) { return x - from[0], y - from[1] }

// freeCamera points the Game's camera at the free camera's centre (kept inside the arena).
func (rg *ReplayGame) freeCamera() {
	g, w := rg.g, rg.scene.World
	rg.free = client.Vec{X: math.Max(0, math.Min(w.X, rg.free.X)), Y: math.Max(0, math.Min(w.Y, rg.free.Y))}
	g.cam = view.NewCamera(w, rg.free, float64(g.w), float64(g.h))
	g.camPos, g.camInit = rg.free, true
}

// drawBar draws the controls bar: the status line, the progress bar and the keys.
func (rg *ReplayGame) drawBar(dst *ebiten.Image) {
	g := rg.g
	st := rg.p.Status()
	b := view.LayoutReplayBar(float64(g.w), float64(g.h))
	us := g.uiScale()
	g.fillRound(dst, b.Panel, 10*us, colHUDBack)
	vs := view.ReplayStatus{Pos: rg.p.Time(st.Pos), End: rg.p.Time(float64(st.End)), Speed: st.Speed, Paused: st.Paused}
	if st.Follow >= 0 {
		vs.Following = rg.p.Name(st.Follow)
	}
	if st.Mismatch > 0 {
		vs.Mismatch = rg.p.Time(float64(st.Mismatch))
	}
	small := g.res.face(faceSmall, us)
	line := fitText(view.ReplayStatusText(vs), small, b.Panel.W-28*us)
	drawText(dst, "REPLAY", small, b.Panel.X+b.Panel.W-14*us, b.Panel.Y+14*us, text.AlignEnd, colAccent, false)
	drawText(dst, line, small, b.Panel.X+14*us, b.Panel.Y+14*us, text.AlignStart, colText, false)
	t := b.Track
	g.fillRound(dst, t, t.H/2, color.NRGBA{255, 255, 255, 40})
	if st.End > 0 {
		f := st.Pos / float64(st.End)
		g.fillRound(dst, view.Rect{X: t.X, Y: t.Y, W: math.Max(t.H, t.W*f), H: t.H}, t.H/2, colAccent)
		if st.Mismatch > 0 {
			mx := t.X + t.W*float64(st.Mismatch)/float64(st.End)
			g.fillRound(dst, view.Rect{X: mx - 1.5*us, Y: t.Y - 3*us, W: 3 * us, H: t.H + 6*us}, 1, colBad)
		}
	}
	keys := fitText(view.ReplayKeys, small, b.Panel.W-28*us)
	drawText(dst, keys, small, b.Panel.X+14*us, b.Panel.Y+b.Panel.H-12*us, text.AlignStart, colDim, false)
}

// replayBackend is the Backend a replay's Game draws: always in the match, the scene the
// playback filled; every command but LeaveMatch (the results' button: close the replay)
// does nothing.
type replayBackend struct{ rg *ReplayGame }

func (b replayBackend) Lobby() client.LobbyView {
	return client.LobbyView{Stage: client.StageMatch, Status: "Replay", ModeInfo: client.ArenaModes()}
}
func (b replayBackend) Scene() *client.Scene          { return &b.rg.scene }
func (b replayBackend) Connect(addr, name string)     {}
func (b replayBackend) QuickMatch(mode string)        {}
func (b replayBackend) CancelQueue()                  {}
func (b replayBackend) CreateRoom(private bool)       {}
func (b replayBackend) JoinRoom(code string)          {}
func (b replayBackend) LeaveRoom()                    {}
func (b replayBackend) Ready(ready bool)              {}
func (b replayBackend) Chat(text string)              {}
func (b replayBackend) SetControls(c client.Controls) {}
func (b replayBackend) LeaveMatch()                   { b.rg.quit = true }

var _ Backend = replayBackend{}
