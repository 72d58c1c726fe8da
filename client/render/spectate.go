package render

import (
	"fmt"
	"image/color"
	"strings"
	"time"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/inpututil"
	"github.com/hajimehoshi/ebiten/v2/text/v2"
	"github.com/hajimehoshi/ebiten/v2/vector"

	"github.com/skirmish-go/skirmish/client"
	"github.com/skirmish-go/skirmish/client/render/view"
)

// Watcher is what a Backend offers for spectating (client.Session does; the offline demo does
// not): the lobby's "Watch" list of running matches and the spectator view's choice of the
// player to follow. The Game uses it when the Backend has it.
type Watcher interface {
	// RefreshLive fetches the running matches into LobbyView.Live.
	RefreshLive()
	// Spectate watches a running match; its Scene then has Spectator set.
	Spectate(matchID string)
	// Follow moves the camera to the next (delta > 0) or previous player; FollowSlot to one.
	Follow(delta int)
	FollowSlot(slot uint8)
}

// watchRefresh is how often the lobby screen refreshes its Watch list.
const watchRefresh = 5 * time.Second

// maxWatchRows is how many running matches the Watch panel lists.
const maxWatchRows = 6

// watchState is the Watch list's own state.
type watchState struct {
	refreshed time.Time
}

// watchPanel is the Watch list's panel: the room column (room and chat) while in no room.
func watchPanel(l view.LobbyLayout) view.Rect {
	r := l.Room
	r.H = l.Chat.Y + l.Chat.H - r.Y
	return r
}

// followed returns the player a spectator's camera follows, or nil.
func followed(s *client.Scene) *client.ScenePlayer {
	for i := range s.Players {
		if s.Players[i].Followed {
			return &s.Players[i]
		}
	}
	return nil
}

// watchRows lays out the Watch panel's rows inside panel r.
func (g *Game) watchRows(r view.Rect, n int) []view.Rect {
	s := g.uiScale()
	in := r.Inset(16 * s)
	top := view.Rect{X: in.X, Y: in.Y + 44*s, W: in.W, H: in.H - 44*s}
	var rows []view.Rect
	for i := range min(n, maxWatchRows) {
		row := top.Row(i, 48*s, 6*s)
		if row.Y+row.H > in.Y+in.H {
			break
		}
		rows = append(rows, row)
	}
	return rows
}

// updateWatch refreshes the Watch list now and then and spectates a clicked match.
func (g *Game) updateWatch(panel view.Rect) {
	w, ok := g.b.(Watcher)
	if !ok {
		return
	}
	if now := time.Now(); now.Sub(g.watch.refreshed) >= watchRefresh {
		g.watch.refreshed = now
		w.RefreshLive()
	}
	for i, r := range g.watchRows(panel, len(g.lobby.Live)) {
		if clicked(r) {
			w.Spectate(g.lobby.Live[i].MatchID)
		}
	}
}

// drawWatch draws the Watch panel: running matches, click one to spectate it.
func (g *Game) drawWatch(dst *ebiten.Image, panel view.Rect) {
	s := g.uiScale()
	g.panel(dst, panel, "WATCH LIVE")
	normal, small := g.res.face(faceNormal, s), g.res.face(faceSmall, s)
	in := panel.Inset(16 * s)
	live := g.lobby.Live
	if _, ok := g.b.(Watcher); !ok || len(live) == 0 {
		for i, line := range []string{"Play now with Quick Match,", "join a public room from the list,",
			"or enter a friend's room code.", "", "Rooms have their own chat;", "running matches show here to watch."} {
			drawText(dst, fitText(line, normal, in.W), normal, in.X, in.Y+60*s+float64(i)*26*s, text.AlignStart, colDim, false)
		}
		return
	}
	mx, my := ebiten.CursorPosition()
	for i, r := range g.watchRows(panel, len(live)) {
		m := live[i]
		fill := color.NRGBA{255, 255, 255, 10}
		if r.Contains(float64(mx), float64(my)) {
			fill = color.NRGBA{255, 255, 255, 34}
		}
		g.fillRound(dst, r, 6*s, fill)
		head := fmt.Sprintf("%s  %d/%d  %s", strings.ToUpper(view.ModeName(g.lobby.ModeInfo, m.Mode)), m.Players, m.MaxPlayers,
			view.FormatClock(m.Elapsed))
		drawText(dst, head, normal, r.X+10*s, r.Y+r.H*0.32, text.AlignStart, colText, false)
		lead := m.Leaders
		if lead == "" {
			lead = "no score yet"
		}
		drawText(dst, fitText(lead, small, r.W*0.7), small, r.X+10*s, r.Y+r.H*0.74, text.AlignStart, colDim, false)
		drawText(dst, "Watch", small, r.X+r.W-10*s, r.Y+r.H/2, text.AlignEnd, colAccent, false)
	}
}

// updateSpectate handles a spectator's keys and clicks: ←/→ (or Q/E, Space) switch the
// followed player, a click on a player follows them (Escape leaves, as for a player).
func (g *Game) updateSpectate(s *client.Scene) {
	w, ok := g.b.(Watcher)
	if !ok {
		return
	}
	just := inpututil.IsKeyJustPressed
	switch {
	case just(ebiten.KeyArrowRight) || just(ebiten.KeyE) || just(ebiten.KeySpace):
		w.Follow(1)
	case just(ebiten.KeyArrowLeft) || just(ebiten.KeyQ):
		w.Follow(-1)
	}
	if inpututil.IsMouseButtonJustPressed(ebiten.MouseButtonLeft) {
		mx, my := ebiten.CursorPosition()
		at := g.cam.ToWorld(float64(mx), float64(my))
		best, bestD := -1, 3*view.DefaultRadius
		for i := range s.Players {
			if d := s.Players[i].Pos.Sub(at).Len(); d < bestD {
				best, bestD = i, d
			}
		}
		if best >= 0 {
			w.FollowSlot(s.Players[best].Slot)
		}
	}
}

// drawSpectator marks the followed player and draws the spectator's bar at the bottom.
func (g *Game) drawSpectator(dst *ebiten.Image, s *client.Scene) {
	us := g.uiScale()
	name := "—"
	if p := followed(s); p != nil {
		name = p.Name
		x, y := g.cam.ToScreen(p.Pos)
		r := p.Radius
		if r <= 0 {
			r = view.DefaultRadius
		}
		vector.StrokeCircle(dst, float32(x), float32(y), float32((r+10)*g.cam.Scale), float32(2*us), colAccent, aa)
	}
	w, h := float64(g.w), float64(g.h)
	big, small := g.res.face(faceBold, us), g.res.face(faceSmall, us)
	line := "WATCHING " + strings.ToUpper(name)
	hint := "delayed · ←/→ or click a player to switch · Tab scores · Esc lobby"
	bw := max(textWidth(line, big), textWidth(hint, small)) + 40*us
	back := view.Rect{X: w/2 - bw/2, Y: h - 78*us, W: bw, H: 58 * us}
	g.fillRound(dst, back, 10*us, colHUDBack)
	drawText(dst, line, big, w/2, back.Y+20*us, text.AlignCenter, colAccent, false)
	drawText(dst, hint, small, w/2, back.Y+42*us, text.AlignCenter, colDim, false)
}
