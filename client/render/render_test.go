package render

import (
	"errors"
	"flag"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/client"
	"github.com/skirmish-go/skirmish/client/render/demo"
	"github.com/skirmish-go/skirmish/client/render/view"
)

// This test opens a real window, so it needs a display: CI runs it under xvfb-run (Ebiten
// panics at package init without one).
//
//	xvfb-run -a go test ./client/render -shots /tmp/shots   # keep the PNGs to look at

var shotDir = flag.String("shots", "", "directory to keep the screenshots of TestScreens in")

// fakeClock is advanced by the harness, so the demo and the Game see the same, exact time.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

// step is one thing the harness does at an Update count.
type step struct {
	at   int
	do   func(h *harness)
	shot string // capture the next drawn frame under this name
}

// harness wraps a Game: it drives the demo backend through the screens on a script, advancing
// a fake clock a fixed amount every Update, and captures frames from Draw.
type harness struct {
	g       *Game
	b       *demo.Backend
	clk     *fakeClock
	script  []step
	updates int
	pending string
	shots   map[string]*image.RGBA
	started time.Time
}

// perUpdate is how much fake time one Update takes: ten demo ticks (the demo's catch-up cap), so the script runs in
// few frames even on a slow software-GL display.
const perUpdate = 10 * demo.Tick

func (h *harness) Update() error {
	if time.Since(h.started) > 2*time.Minute {
		return errors.New("harness: out of time")
	}
	if h.pending != "" {
		// hold the script (and the clock) until Draw has captured the frame; Ebiten may
		// call Update several times between two Draws
		return h.g.Update()
	}
	h.clk.t = h.clk.t.Add(perUpdate)
	h.updates++
	for _, s := range h.script {
		if s.at == h.updates {
			if s.do != nil {
				s.do(h)
			}
			if s.shot != "" {
				h.pending = s.shot
			}
		}
	}
	return h.g.Update()
}

func (h *harness) Draw(screen *ebiten.Image) {
	h.g.Draw(screen)
	if h.pending != "" {
		h.shots[h.pending] = Capture(screen)
		h.pending = ""
	}
}

func (h *harness) Layout(w, ht int) (int, int) { return h.g.Layout(w, ht) }

// TestScreens walks the client through the connect screen, the lobby, a match and its
// results in one window, checks each frame with CheckMatchScreenshot (only the match may pass)
// and checks that Options.Screenshot writes a PNG and ends the game.
func TestScreens(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	b := demo.New(demo.Config{Seed: 4, MatchLength: 5 * time.Second, Autoplay: true, Now: clk.now})
	shotPath := filepath.Join(t.TempDir(), "final.png")
	g, err := NewGame(b, Options{Name: "Ada", Autoplay: true, Screenshot: shotPath, After: 10 * time.Second, Now: clk.now})
	require.NoError(t, err)
	u := func(d time.Duration) int { return int(d / perUpdate) }
	h := &harness{g: g, b: b, clk: clk, shots: map[string]*image.RGBA{}, started: time.Now(), script: []step{
		{at: u(300 * time.Millisecond), shot: "connect"},
		{at: u(500 * time.Millisecond), do: func(h *harness) { h.b.Connect("127.0.0.1:7000", "Ada") }},
		{at: u(1300 * time.Millisecond), shot: "lobby"},
		{at: u(1400 * time.Millisecond), do: func(h *harness) { h.b.CreateRoom(true) }},
		{at: u(1600 * time.Millisecond), shot: "room"},
		{at: u(1700 * time.Millisecond), do: func(h *harness) { h.b.LeaveRoom(); h.b.QuickMatch("tdm") }},
		// queued 2 s, then a 5 s match; the bots need a few seconds to meet
		{at: u(5600 * time.Millisecond), shot: "match-1"},
		{at: u(6000 * time.Millisecond), shot: "match-2"},
		{at: u(6400 * time.Millisecond), shot: "match-3"},
		{at: u(6800 * time.Millisecond), shot: "match-4"},
		{at: u(6900 * time.Millisecond), do: func(h *harness) { h.g.showNet, h.g.pinScores = true, true }},
		{at: u(7100 * time.Millisecond), shot: "match-overlays"},
		{at: u(7200 * time.Millisecond), do: func(h *harness) { h.g.showNet, h.g.pinScores = false, false }},
		{at: u(9500 * time.Millisecond), shot: "results"},
	}}
	ebiten.SetWindowSize(1280, 720)
	ebiten.SetWindowTitle("Skirmish test")
	ebiten.SetScreenClearedEveryFrame(false) // as Run does: unchanged menus are not drawn again
	require.NoError(t, ebiten.RunGame(h))
	require.NoError(t, g.shotErr)

	for _, name := range []string{"connect", "lobby", "room", "match-1", "match-2", "match-3", "match-4", "match-overlays", "results"} {
		require.Contains(t, h.shots, name, "frame %s was drawn", name)
		if *shotDir != "" {
			require.NoError(t, writePNG(h.shots[name], filepath.Join(*shotDir, name+".png")))
		}
	}
	// every match frame shows the arena; with the camera on one player, at least one of them
	// shows more than one player (bots come and go from view)
	passed := 0
	for _, name := range []string{"match-1", "match-2", "match-3", "match-4"} {
		err := CheckMatchScreenshot(h.shots[name])
		if err != nil {
			require.ErrorIs(t, err, view.ErrTooFewPlayers, "%s shows the arena", name)
		} else {
			passed++
		}
		st := view.AnalyzeScreenshot(h.shots[name])
		t.Logf("%s: floor %.2f walls %.2f players %d teams %d: %v", name, st.Floor, st.Wall, st.Players, st.Teams, err)
	}
	assert.Positive(t, passed, "a match in progress with more than one player")
	for _, name := range []string{"connect", "lobby", "room", "results"} {
		err := CheckMatchScreenshot(h.shots[name])
		assert.ErrorIs(t, err, view.ErrMenuScreen, "%s is not a match", name)
		t.Logf("%s: %v", name, err)
	}

	// Options.Screenshot wrote the frame at After and stopped the game
	f, err := os.Open(shotPath)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	assert.Equal(t, h.shots["results"].Bounds().Size(), img.Bounds().Size())
	assert.Equal(t, client.StageMatch, b.Lobby().Stage)
}
