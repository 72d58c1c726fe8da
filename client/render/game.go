package render

import (
	"errors"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"time"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/inpututil"

	"github.com/skirmish-go/skirmish/client"
	"github.com/skirmish-go/skirmish/client/render/view"
)

// Options configures a Game. The zero value opens a 1280×720 window on the connect screen.
type Options struct {
	// Name and Lobby prefill the connect screen (Lobby defaults to 127.0.0.1:7000).
	Name, Lobby string
	// AutoConnect connects at start with Name and Lobby, as if Connect were clicked.
	AutoConnect bool
	// AutoQuickMatch joins the quick match queue as soon as the lobby is reached, and after
	// each match's results; QuickMatchMode is its mode ("" = the backend's default).
	AutoQuickMatch bool
	QuickMatchMode string
	// Autoplay means the backend plays the local player: the Game sends no controls.
	Autoplay bool
	// Screenshot, when set, saves the frame drawn After the first frame as a PNG at this path
	// and ends the game. With AfterMatch, After counts from the first frame of a match instead,
	// so the picture shows the match however long the queue took.
	Screenshot string
	After      time.Duration
	AfterMatch bool
	// ActionShot, with AfterMatch, holds the Screenshot past After until at least two living
	// players are well inside the view, for up to ActionShotGrace more (default 15 s; then
	// the frame is taken anyway): the local player alone at a spawn point is a poor picture
	// of a match.
	ActionShot      bool
	ActionShotGrace time.Duration
	// ScreenshotTimeout, if positive, bounds the wait for the Screenshot from the first frame:
	// past it the frame on screen is saved anyway and Run returns an error wrapping
	// ErrScreenshotTimeout with the lobby's status line.
	ScreenshotTimeout time.Duration
	// NetGraph starts with the net graph (F3) shown.
	NetGraph bool
	// WindowWidth and WindowHeight are the initial window size; default 1280×720.
	WindowWidth, WindowHeight int
	// Now is the clock for Screenshot's timing; default time.Now.
	Now func() time.Time
}

// ErrScreenshotTimeout means Options.ScreenshotTimeout passed before the screenshot was due
// (with AfterMatch: no match started in time).
var ErrScreenshotTimeout = errors.New("render: screenshot not due before the timeout")

// screenKind is which screen is up.
type screenKind uint8

const (
	screenConnect screenKind = iota
	screenLobby
	screenJoining // match stage, no scene yet
	screenMatch
	screenResults
)

func (k screenKind) String() string {
	switch k {
	case screenConnect:
		return "connect"
	case screenLobby:
		return "lobby"
	case screenJoining:
		return "joining"
	case screenMatch:
		return "match"
	case screenResults:
		return "results"
	}
	return fmt.Sprintf("screen(%d)", uint8(k))
}

// Game is the ebiten.Game of the Skirmish client. Create it with NewGame; run it with Run or
// ebiten.RunGame.
type Game struct {
	b   Backend
	opt Options
	res *resources

	w, h   int
	screen screenKind
	lobby  client.LobbyView
	scene  *client.Scene

	ui      uiState
	cam     view.Camera
	camPos  client.Vec
	camInit bool
	aim     float64 // the local player's aim from the mouse this frame, if aimSet
	aimSet  bool

	typedAt   time.Time          // last keystroke or focus change (the caret blinks a while after)
	typedIn   fieldID            // the field focused at typedAt
	wasInRoom bool               // in a room at the last lobby Update (entering one focuses its chat)
	leave     view.LeaveDialog   // the match's Esc dialog
	final     []client.ScoreLine // the results table, ranked (reused)
	minimap   *ebiten.Image      // the minimap's own layer (drawn faded over the player)

	showScores bool
	pinScores  bool // show the scoreboard without Tab held (tests)
	showNet    bool
	net        view.NetHistory

	start        time.Time
	matchStart   time.Time // first frame of the current match (zero outside one)
	frames       int
	shotDone     bool
	shotErr      error
	shotTried    int  // frame of the last action shot that failed the match check
	queued       bool // AutoQuickMatch sent for this stay in the lobby
	resultsTicks int  // Updates spent on the results screen
	runes        []rune
	watch        watchState // the lobby's Watch list (spectate.go)

	// menu is what this frame's menu screen shows; drawn is the one last drawn. Equal, the
	// menu is not drawn again (the screen keeps its pixels: SetScreenClearedEveryFrame(false)).
	menu      view.MenuFrame
	drawn     view.MenuFrame
	hasDrawn  bool
	menuDraws int // menu frames drawn (tests)

	// A replay's screen (ReplayGame) drives this Game: its controls bar is drawn over the
	// match before a screenshot is taken, and it names the HUD's keys and the results button.
	overlay      func(dst *ebiten.Image)
	keyHint      string // "" = the live match's (view.KeyHint)
	resultsLabel string // "" = "Back to lobby"
}

// tps is the Update rate, menus included: Ebiten reads the mouse once a frame and inpututil
// once an Update, so at a lower rate a quick click (pressed and released within a frame) is
// lost. Menus save their work in Draw instead (Game.menuChanged).
const tps = 60

// NewGame prepares a Game drawing b. It decodes the embedded art.
func NewGame(b Backend, opt Options) (*Game, error) {
	opt.defaults()
	res, err := loadResources()
	if err != nil {
		return nil, err
	}
	g := &Game{b: b, opt: opt, res: res, w: opt.WindowWidth, h: opt.WindowHeight}
	g.ui.name = opt.Name
	g.ui.addr = opt.Lobby
	g.showNet = opt.NetGraph
	g.ui.focus = fieldName
	if opt.Name != "" {
		g.ui.focus = fieldNone
	}
	if opt.AutoConnect {
		b.Connect(opt.Lobby, opt.Name)
	}
	return g, nil
}

// defaults fills the zero fields.
func (opt *Options) defaults() {
	if opt.Lobby == "" {
		opt.Lobby = "127.0.0.1:7000"
	}
	if opt.WindowWidth <= 0 || opt.WindowHeight <= 0 {
		opt.WindowWidth, opt.WindowHeight = 1280, 720
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.ActionShotGrace <= 0 {
		opt.ActionShotGrace = 15 * time.Second
	}
}

// Run opens the window and runs g until the window closes, the screenshot is taken, or an
// error. It returns the screenshot's error, if any.
func Run(g *Game) error { return run(g, g, "Skirmish") }

// run runs eg, whose drawing is g's, in the window titled title.
func run(eg ebiten.Game, g *Game, title string) error {
	ebiten.SetWindowTitle(title)
	ebiten.SetWindowSize(g.opt.WindowWidth, g.opt.WindowHeight)
	ebiten.SetWindowResizingMode(ebiten.WindowResizingModeEnabled)
	ebiten.SetTPS(tps)
	ebiten.SetVsyncEnabled(true)
	// Menus redraw only when what they show changes (see Game.menuChanged); the screen keeps
	// its pixels in between, and Ebiten skips presenting an unchanged screen (and sleeps to
	// the next frame). A match draws every frame and fills the whole screen first.
	// FPSModeVsyncOffMinimum would also stop the idle frame loop (1.0 % CPU instead of 4.5 %
	// on the name screen under Xvfb) but turns GLFW's sticky mouse buttons off: a quick click
	// (a touchpad tap, xdotool) is then lost between two frames.
	ebiten.SetScreenClearedEveryFrame(false)
	err := ebiten.RunGame(eg)
	if g.shotErr != nil {
		return g.shotErr // Update ended the game with it
	}
	if err != nil {
		return fmt.Errorf("render: %w", err)
	}
	return nil
}

// Layout uses the window's real pixels, so the picture is sharp at any size and on high-DPI
// screens; everything is laid out from the screen size.
func (g *Game) Layout(outsideWidth, outsideHeight int) (int, int) {
	s := 1.0
	if m := ebiten.Monitor(); m != nil {
		s = m.DeviceScaleFactor()
	}
	return max(1, int(math.Ceil(float64(outsideWidth)*s))), max(1, int(math.Ceil(float64(outsideHeight)*s)))
}

// Update reads the backend's views, picks the screen and handles its input.
func (g *Game) Update() error {
	if g.shotDone {
		if g.shotErr != nil {
			return g.shotErr
		}
		return ebiten.Termination
	}
	if g.start.IsZero() {
		g.start = g.opt.Now()
	}
	g.lobby = g.b.Lobby()
	g.scene = nil
	switch g.lobby.Stage {
	case client.StageOffline, client.StageConnecting:
		g.screen = screenConnect
		g.queued = false
	case client.StageLobby:
		g.screen = screenLobby
	case client.StageMatch:
		g.scene = g.b.Scene()
		switch {
		case g.scene == nil:
			g.screen = screenJoining
		case g.scene.MatchOver:
			g.screen = screenResults
		default:
			g.screen = screenMatch
		}
	}
	if g.screen != screenMatch {
		g.leave = view.LeaveDialog{}
	}
	if g.screen != screenMatch && g.screen != screenResults {
		g.camInit, g.aimSet = false, false
		g.matchStart = time.Time{}
	} else if g.matchStart.IsZero() {
		g.matchStart = g.opt.Now()
	}
	if g.screen != screenResults {
		g.resultsTicks = 0
	}
	if inpututil.IsKeyJustPressed(ebiten.KeyF3) {
		g.showNet = !g.showNet
	}
	switch g.screen {
	case screenConnect:
		g.updateConnect()
	case screenLobby:
		if g.opt.AutoQuickMatch && !g.queued && !g.lobby.Queue.Queued {
			g.queued = true
			g.b.QuickMatch(g.opt.QuickMatchMode)
		}
		g.updateLobby()
	case screenMatch:
		g.queued = false
		g.updateMatch()
	case screenJoining:
		g.updateJoining()
	case screenResults:
		g.updateResults()
	}
	if g.ui.focus != g.typedIn {
		g.typedAt, g.typedIn = g.opt.Now(), g.ui.focus
	}
	g.menu = g.menuFrame()
	return nil
}

// isMenu reports whether the screen is a menu (redrawn only on change).
func (k screenKind) isMenu() bool {
	return k == screenConnect || k == screenLobby || k == screenJoining
}

// menuFrame is what the current menu screen shows (zero outside menus).
func (g *Game) menuFrame() view.MenuFrame {
	if !g.screen.isMenu() {
		return view.MenuFrame{}
	}
	mx, my := ebiten.CursorPosition()
	f := view.MenuFrame{Screen: uint8(g.screen), W: g.w, H: g.h, Lobby: view.HashLobby(g.lobby),
		Focus: uint8(g.ui.focus), Fields: g.ui.name + "\x00" + g.ui.addr + "\x00" + g.ui.code + "\x00" + g.ui.lobbyChat,
		CursorX: mx, CursorY: my, Blink: g.ui.focus != fieldNone && view.CaretOn(g.opt.Now(), g.typedAt)}
	if g.showNet {
		f.Extra = view.FrameRateText(ebiten.ActualFPS(), ebiten.ActualTPS())
	}
	return f
}

// menuChanged reports whether the menu frame f differs from the one drawn last, and
// records it as drawn.
func (g *Game) menuChanged(f view.MenuFrame) bool {
	if g.hasDrawn && f == g.drawn {
		return false
	}
	g.drawn, g.hasDrawn = f, true
	return true
}

// Draw draws the current screen, and saves it when the screenshot is due.
func (g *Game) Draw(screen *ebiten.Image) {
	b := screen.Bounds()
	g.w, g.h = b.Dx(), b.Dy()
	if g.screen.isMenu() {
		g.menu.W, g.menu.H = g.w, g.h
		// A skipped frame shows the last one only while the screen is kept (Run sets it so;
		// a caller running the Game itself may not).
		if g.menuChanged(g.menu) || ebiten.IsScreenClearedEveryFrame() {
			g.menuDraws++
			switch g.screen {
			case screenConnect:
				g.drawConnect(screen)
			case screenLobby:
				g.drawLobby(screen)
			case screenJoining:
				g.drawJoining(screen)
			}
			if g.showNet {
				g.drawFrameRate(screen)
			}
		}
	} else {
		g.hasDrawn = false // back in a menu, draw it at once
		switch g.screen {
		case screenMatch:
			g.drawMatch(screen, g.scene)
		case screenResults:
			g.drawMatch(screen, g.scene)
			g.drawResults(screen, g.scene)
		}
		if g.overlay != nil {
			g.overlay(screen)
		}
	}
	g.frames++
	if g.opt.Screenshot == "" || g.shotDone || g.frames <= 2 {
		return
	}
	switch due, timedOut := g.screenshotDue(g.opt.Now()); {
	case due && g.opt.ActionShot:
		// An action shot is a frame that shows the match as CheckMatchScreenshot sees it (two
		// players clear of effects and of each other); until the timeout, a frame that does
		// not is passed over and another tried a few frames later. A client that never
		// reaches a match still saves what it shows at the timeout, with the error.
		if g.shotTried != 0 && g.frames-g.shotTried < actionShotRetryFrames {
			return
		}
		img := Capture(screen)
		if CheckMatchScreenshot(img) != nil {
			g.shotTried = g.frames
			return
		}
		g.shotErr = writePNG(img, g.opt.Screenshot)
		g.shotDone = true
	case due:
		g.shotErr = savePNG(screen, g.opt.Screenshot)
		g.shotDone = true
	case timedOut:
		err := fmt.Errorf("%w (%v; screen %s, status %q)", ErrScreenshotTimeout, g.opt.ScreenshotTimeout, g.screen, g.lobby.Status)
		g.shotErr = errors.Join(err, savePNG(screen, g.opt.Screenshot))
		g.shotDone = true
	}
}

// screenshotDue says whether the frame drawn at now is Options.Screenshot's (due), or the
// wait for it has passed Options.ScreenshotTimeout.
func (g *Game) screenshotDue(now time.Time) (due, timedOut bool) {
	from := g.start
	if g.opt.AfterMatch {
		from = g.matchStart
	}
	if !from.IsZero() {
		elapsed := now.Sub(from)
		if elapsed >= g.opt.After && g.actionReady(elapsed) {
			return true, false
		}
	}
	return false, g.opt.ScreenshotTimeout > 0 && now.Sub(g.start) >= g.opt.ScreenshotTimeout
}

// actionReady reports whether the ActionShot rule lets the screenshot be taken, elapsed after
// the first frame of the match: two players well inside the view (clear of the HUD's corners),
// or the grace has run out.
func (g *Game) actionReady(elapsed time.Duration) bool {
	if !g.opt.ActionShot || !g.opt.AfterMatch || elapsed >= g.opt.After+g.opt.ActionShotGrace {
		return true
	}
	return g.screen == screenMatch && g.scene != nil && g.cam.PlayersInView(g.scene, 0.12*float64(g.h)) >= 2
}

// actionShotRetryFrames is how many frames pass before another try at an action shot whose
// last frame failed the match check (reading the screen back costs a GPU round trip).
const actionShotRetryFrames = 15

// savePNG writes the screen's pixels to path.
func savePNG(screen *ebiten.Image, path string) error {
	return writePNG(Capture(screen), path)
}

// writePNG writes img to path as PNG.
func writePNG(img image.Image, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("render: screenshot: %w", err)
	}
	if err := png.Encode(f, img); err != nil {
		return errors.Join(fmt.Errorf("render: screenshot %s: %w", path, err), f.Close())
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("render: screenshot: %w", err)
	}
	return nil
}

// Capture copies an image's pixels (the screen, in Draw) into an opaque image.RGBA.
func Capture(img *ebiten.Image) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	img.ReadPixels(out.Pix)
	for i := 3; i < len(out.Pix); i += 4 {
		out.Pix[i] = 0xff
	}
	return out
}

func (g *Game) uiScale() float64 { return view.UIScale(float64(g.w), float64(g.h)) }
