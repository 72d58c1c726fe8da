package render

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"strings"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/inpututil"
	"github.com/hajimehoshi/ebiten/v2/text/v2"
	"github.com/hajimehoshi/ebiten/v2/vector"

	"github.com/skirmish-go/skirmish/assets/palette"
	"github.com/skirmish-go/skirmish/client"
	"github.com/skirmish-go/skirmish/client/render/view"
)

// Sprite geometry: player and gun sprites are 96 px for 48 world units around a body of radius
// 16 (2 px a unit); floor tiles are 128 px for 128 units; wall tiles 64 px for 64 units.
const (
	spriteUnitsPerPx = 0.5
	floorTileUnits   = 128.0
	wallTileUnits    = 64.0
)

// updateCamera follows the local player (or the arena's centre when there is none), easing so
// corrections and respawns do not jerk the view.
func (g *Game) updateCamera(s *client.Scene) {
	focus := s.World.Scale(0.5)
	if lp := view.Local(s); lp != nil {
		focus = lp.Pos
	}
	if fp := followed(s); fp != nil {
		focus = fp.Pos
	}
	if !g.camInit || focus.Sub(g.camPos).Len() > 400 {
		g.camPos, g.camInit = focus, true
	} else {
		g.camPos = g.camPos.Lerp(focus, 0.25)
	}
	g.cam = view.NewCamera(s.World, g.camPos, float64(g.w), float64(g.h))
}

func (g *Game) updateMatch() {
	s := g.scene
	g.aimSet = false
	g.updateCamera(s)
	g.showScores = ebiten.IsKeyPressed(ebiten.KeyTab) || g.pinScores
	// chat: Enter opens, Enter sends, Escape closes; outside chat Escape asks to leave
	if g.ui.focus != fieldMatchChat {
		esc := inpututil.IsKeyJustPressed(ebiten.KeyEscape)
		confirm := inpututil.IsKeyJustPressed(ebiten.KeyEnter) || inpututil.IsKeyJustPressed(ebiten.KeyKPEnter) ||
			inpututil.IsKeyJustPressed(ebiten.KeyY)
		wasOpen := g.leave.Open
		if g.leave.Key(esc, confirm, s.Alone || s.Silence >= view.SilenceLimit) {
			g.b.SetControls(client.Controls{})
			g.b.LeaveMatch()
			return
		}
		if g.leave.Open || wasOpen {
			g.b.SetControls(client.Controls{}) // no fighting behind the dialog
			return
		}
	}
	if s.Spectator {
		g.updateSpectate(s)
		return
	}
	if g.ui.focus == fieldMatchChat {
		enter := g.editFocused()
		if inpututil.IsKeyJustPressed(ebiten.KeyEscape) {
			g.ui.focus, g.ui.matchChat = fieldNone, ""
		} else if enter {
			if strings.TrimSpace(g.ui.matchChat) != "" {
				g.b.Chat(g.ui.matchChat)
			}
			g.ui.focus, g.ui.matchChat = fieldNone, ""
		}
	} else {
		g.ui.focus = fieldNone
		if inpututil.IsKeyJustPressed(ebiten.KeyEnter) || inpututil.IsKeyJustPressed(ebiten.KeyT) {
			g.ui.focus = fieldMatchChat
			g.runes = ebiten.AppendInputChars(g.runes[:0]) // drop the key that opened chat
		}
	}
	if g.opt.Autoplay {
		return
	}
	var c client.Controls
	lp := view.Local(s)
	if lp != nil {
		mx, my := ebiten.CursorPosition()
		c.Aim = view.AimAngle(lp.Pos, g.cam.ToWorld(float64(mx), float64(my)))
		g.aim, g.aimSet = c.Aim, true
	}
	if g.ui.focus != fieldMatchChat {
		k := ebiten.IsKeyPressed
		c.Move = view.MoveVector(k(ebiten.KeyW) || k(ebiten.KeyArrowUp), k(ebiten.KeyS) || k(ebiten.KeyArrowDown),
			k(ebiten.KeyA) || k(ebiten.KeyArrowLeft), k(ebiten.KeyD) || k(ebiten.KeyArrowRight))
		c.Fire = ebiten.IsMouseButtonPressed(ebiten.MouseButtonLeft) || k(ebiten.KeySpace)
		c.AltFire = ebiten.IsMouseButtonPressed(ebiten.MouseButtonRight) || k(ebiten.KeyShift)
	}
	g.b.SetControls(c)
}

func (g *Game) drawMatch(dst *ebiten.Image, s *client.Scene) {
	if !g.camInit {
		g.updateCamera(s)
	}
	dst.Fill(palette.Void)
	g.drawFloor(dst, s)
	g.drawWalls(dst, s)
	g.drawGroundEffects(dst, s)
	g.drawPlayers(dst, s)
	g.drawProjectiles(dst, s)
	g.drawAirEffects(dst, s)
	g.drawLabels(dst, s)
	g.net.Push(s.Net)
	if s.MatchOver {
		return
	}
	g.drawHUD(dst, s)
	if s.Spectator {
		g.drawSpectator(dst, s)
	}
	if g.showScores {
		g.drawScoreboard(dst, s, view.Standings(s), 0.16, "SCOREBOARD")
	}
	if g.showNet {
		g.drawNetGraph(dst, s)
	}
	g.drawBanners(dst, s)
	if g.leave.Open {
		g.drawLeaveDialog(dst)
	}
	if !g.opt.Autoplay && !g.leave.Open && !s.Spectator {
		g.drawCrosshair(dst)
	}
}

// drawBanners says what is wrong with the match, under the clock: the connection is lost
// (the picture froze), or everyone else left.
func (g *Game) drawBanners(dst *ebiten.Image, s *client.Scene) {
	msg := view.SilenceText(s)
	if msg == "" {
		msg = view.AloneText(s)
	}
	if msg == "" {
		return
	}
	us := g.uiScale()
	f := g.res.face(faceBold, us)
	w := float64(g.w)
	msg = fitText(msg, f, w-60*us)
	tw := textWidth(msg, f) + 32*us
	r := view.Rect{X: (w - tw) / 2, Y: 100 * us, W: tw, H: 36 * us}
	g.fillRound(dst, r, 8*us, color.NRGBA{60, 10, 16, 220})
	drawText(dst, msg, f, w/2, r.Y+r.H/2, text.AlignCenter, colText, false)
	hint := "Esc: leave the match"
	drawText(dst, hint, g.res.face(faceSmall, us), w/2, r.Y+r.H+14*us, text.AlignCenter, colText, true)
}

// drawLeaveDialog draws the Esc dialog in the middle of the screen.
func (g *Game) drawLeaveDialog(dst *ebiten.Image) {
	us := g.uiScale()
	w, h := float64(g.w), float64(g.h)
	normal, small := g.res.face(faceNormal, us), g.res.face(faceSmall, us)
	pw := math.Min(w-40*us, math.Max(420*us, textWidth(view.LeaveDialogText, normal)+48*us))
	r := view.Rect{X: (w - pw) / 2, Y: h/2 - 70*us, W: pw, H: 140 * us}
	vector.DrawFilledRect(dst, 0, 0, float32(w), float32(h), color.NRGBA{0, 0, 0, 110}, false)
	g.fillRound(dst, r, 12*us, color.NRGBA{12, 10, 22, 240})
	g.strokeRound(dst, r, 12*us, 1.2*us, color.NRGBA{255, 255, 255, 40})
	drawText(dst, view.LeaveDialogTitle, g.res.face(faceLarge, us), w/2, r.Y+34*us, text.AlignCenter, colAccent, false)
	drawText(dst, fitText(view.LeaveDialogText, normal, pw-24*us), normal, w/2, r.Y+74*us, text.AlignCenter, colText, false)
	drawText(dst, view.LeaveDialogKeys, small, w/2, r.Y+110*us, text.AlignCenter, colDim, false)
}

// drawFloor tiles the floor over the visible part of the arena.
func (g *Game) drawFloor(dst *ebiten.Image, s *client.Scene) {
	c := g.cam
	x0, y0 := math.Max(0, c.Center.X-c.ScreenW/2/c.Scale), math.Max(0, c.Center.Y-c.ScreenH/2/c.Scale)
	x1, y1 := math.Min(s.World.X, c.Center.X+c.ScreenW/2/c.Scale), math.Min(s.World.Y, c.Center.Y+c.ScreenH/2/c.Scale)
	for ty := math.Floor(y0/floorTileUnits) * floorTileUnits; ty < y1; ty += floorTileUnits {
		for tx := math.Floor(x0/floorTileUnits) * floorTileUnits; tx < x1; tx += floorTileUnits {
			w := math.Min(floorTileUnits, s.World.X-tx)
			h := math.Min(floorTileUnits, s.World.Y-ty)
			src := g.res.floor
			if w < floorTileUnits || h < floorTileUnits {
				src = g.res.floor.SubImage(image.Rect(0, 0, int(math.Ceil(w)), int(math.Ceil(h)))).(*ebiten.Image)
			}
			op := &ebiten.DrawImageOptions{Filter: ebiten.FilterLinear}
			op.GeoM.Scale(c.Scale*1.001, c.Scale*1.001) // overlap a hair so no seams show
			sx, sy := c.ToScreen(client.Vec{X: tx, Y: ty})
			op.GeoM.Translate(sx, sy)
			dst.DrawImage(src, op)
		}
	}
	// the arena's rim: a faint light line where floor meets void
	ax, ay := c.ToScreen(client.Vec{})
	bx, by := c.ToScreen(s.World)
	vector.StrokeRect(dst, float32(ax), float32(ay), float32(bx-ax), float32(by-ay), 2, color.NRGBA{90, 100, 130, 120}, aa)
}

// drawWalls draws each wall's drop shadow, its plated top and lit edges.
func (g *Game) drawWalls(dst *ebiten.Image, s *client.Scene) {
	c := g.cam
	for _, w := range s.Walls {
		if !c.Visible(w.X, w.Y, w.W, w.H, 30) {
			continue
		}
		x, y := c.ToScreen(client.Vec{X: w.X, Y: w.Y})
		off := 10 * c.Scale
		vector.DrawFilledRect(dst, float32(x+off), float32(y+off*1.2), float32(w.W*c.Scale), float32(w.H*c.Scale), color.NRGBA{0, 0, 0, 90}, aa)
	}
	for _, w := range s.Walls {
		if !c.Visible(w.X, w.Y, w.W, w.H, 0) {
			continue
		}
		for ty := 0.0; ty < w.H; ty += wallTileUnits {
			for tx := 0.0; tx < w.W; tx += wallTileUnits {
				tw, th := math.Min(wallTileUnits, w.W-tx), math.Min(wallTileUnits, w.H-ty)
				src := g.res.wall.SubImage(image.Rect(0, 0, int(math.Ceil(tw)), int(math.Ceil(th)))).(*ebiten.Image)
				op := &ebiten.DrawImageOptions{Filter: ebiten.FilterLinear}
				op.GeoM.Scale(c.Scale*1.001, c.Scale*1.001)
				sx, sy := c.ToScreen(client.Vec{X: w.X + tx, Y: w.Y + ty})
				op.GeoM.Translate(sx, sy)
				dst.DrawImage(src, op)
			}
		}
		x, y := c.ToScreen(client.Vec{X: w.X, Y: w.Y})
		ww, wh := w.W*c.Scale, w.H*c.Scale
		e := math.Max(2, 4*c.Scale)
		light, dark := palette.WallLight, palette.WallDark
		// lit from the top left: bright top and left rims, dark bottom and right
		vector.DrawFilledRect(dst, float32(x), float32(y+wh-e), float32(ww), float32(e), dark, aa)
		vector.DrawFilledRect(dst, float32(x+ww-e), float32(y), float32(e), float32(wh), dark, aa)
		vector.DrawFilledRect(dst, float32(x), float32(y), float32(ww), float32(e*0.7), light, aa)
		vector.DrawFilledRect(dst, float32(x), float32(y), float32(e*0.6), float32(wh), color.NRGBA{light.R, light.G, light.B, 150}, aa)
		vector.StrokeRect(dst, float32(x), float32(y), float32(ww), float32(wh), 1, color.NRGBA{dark.R, dark.G, dark.B, 255}, aa)
	}
}

// sprite draws img centred at world point p, rotated by angle, scaled so that one sprite pixel
// is unitsPerPx world units times k, tinted with tint (nil = none), blended additively if add.
func (g *Game) sprite(dst, img *ebiten.Image, p client.Vec, angle, unitsPerPx, k float64, tint color.Color, alpha float64, add bool) {
	b := img.Bounds()
	op := &ebiten.DrawImageOptions{Filter: ebiten.FilterLinear}
	op.GeoM.Translate(-float64(b.Dx())/2, -float64(b.Dy())/2)
	op.GeoM.Rotate(angle)
	sc := unitsPerPx * k * g.cam.Scale
	op.GeoM.Scale(sc, sc)
	x, y := g.cam.ToScreen(p)
	op.GeoM.Translate(x, y)
	if tint != nil {
		op.ColorScale.ScaleWithColor(tint)
	}
	op.ColorScale.ScaleAlpha(float32(alpha))
	if add {
		op.Blend = ebiten.BlendLighter
	}
	dst.DrawImage(img, op)
}

func radius(p *client.ScenePlayer) float64 {
	if p.Radius > 0 {
		return p.Radius
	}
	return view.DefaultRadius
}

func (g *Game) colourOf(s *client.Scene, team, slot uint8) color.RGBA {
	return view.PlayerColor(s.Teams, team, slot)
}

func (g *Game) drawPlayers(dst *ebiten.Image, s *client.Scene) {
	for i := range s.Players {
		p := &s.Players[i]
		if !p.Alive {
			continue
		}
		r := radius(p)
		if !g.cam.Visible(p.Pos.X-r, p.Pos.Y-r, 2*r, 2*r, 40) {
			continue
		}
		k := r / view.DefaultRadius
		col := g.colourOf(s, p.Team, p.Slot)
		g.sprite(dst, g.res.shadow, p.Pos.Add(client.Vec{X: 4, Y: 7}), 0, 1.1, k, nil, 1, false)
		// a pool of team light on the floor
		g.sprite(dst, g.res.glow, p.Pos, 0, 1.6, k, col, 0.16, true)
		if p.Local {
			g.sprite(dst, g.res.ring, p.Pos, 0, 0.92, k, color.White, 0.55, false)
		}
		angle := p.Angle
		if p.Local && g.aimSet {
			// the mouse's aim this frame: the scene's is the one sent with the last input tick
			angle = g.aim
		}
		g.sprite(dst, g.res.player, p.Pos, angle, spriteUnitsPerPx, k, col, 1, false)
		g.sprite(dst, g.res.gun, p.Pos, angle, spriteUnitsPerPx, k, nil, 1, false)
	}
}

func (g *Game) drawProjectiles(dst *ebiten.Image, s *client.Scene) {
	for _, pr := range s.Projectiles {
		if !g.cam.Visible(pr.Pos.X, pr.Pos.Y, 0, 0, 30) {
			continue
		}
		col := g.colourOf(s, pr.Team, pr.Owner)
		g.sprite(dst, g.res.glow, pr.Pos, 0, 0.55, 1, col, 0.55, true)
		g.sprite(dst, g.res.bolt, pr.Pos, pr.Angle, 0.6, 1, lighten(col, 0.55), 1, false)
	}
}

// lighten mixes c with white.
func lighten(c color.RGBA, f float64) color.RGBA {
	m := func(v uint8) uint8 { return uint8(float64(v) + (255-float64(v))*f) }
	return color.RGBA{m(c.R), m(c.G), m(c.B), c.A}
}

// drawGroundEffects draws what lies on the floor under the players: death scorch and rings.
func (g *Game) drawGroundEffects(dst *ebiten.Image, s *client.Scene) {
	for _, e := range s.Effects {
		t := view.EffectProgress(e)
		col := g.colourOf(s, e.Team, e.Team)
		switch e.Kind {
		case client.EffectDeath:
			g.sprite(dst, g.res.shadow, e.Pos, 0, 1.2, 1, nil, 0.8*(1-t), false)
			g.sprite(dst, g.res.ring, e.Pos, 0, 0.4+2.2*t, 1, col, 1-t, false)
		case client.EffectSpawn:
			g.sprite(dst, g.res.ring, e.Pos, 0, 1.6-1.2*t, 1, col, 1-t, true)
		}
	}
}

// drawAirEffects draws flashes, sparks and beams over the players.
func (g *Game) drawAirEffects(dst *ebiten.Image, s *client.Scene) {
	for _, e := range s.Effects {
		t := view.EffectProgress(e)
		col := g.colourOf(s, e.Team, e.Team)
		switch e.Kind {
		case client.EffectHit:
			g.sprite(dst, g.res.glow, e.Pos, 0, 0.5+0.4*t, 1, col, 0.9*(1-t), true)
			g.sprite(dst, g.res.ring, e.Pos, 0, 0.25+0.5*t, 1, lighten(col, 0.5), 1-t, false)
		case client.EffectDeath:
			g.sprite(dst, g.res.glow, e.Pos, 0, 1.5+1.5*t, 1, col, 1-t, true)
			for i := 0; i < 10; i++ {
				a := float64(i)*2*math.Pi/10 + math.Mod(e.Pos.X*0.37+e.Pos.Y*0.11, 1.0)
				d := 10 + 70*math.Sqrt(t)
				p := e.Pos.Add(client.Vec{X: math.Cos(a) * d, Y: math.Sin(a) * d})
				g.sprite(dst, g.res.spark, p, a, 0.7, 1, lighten(col, 0.3), 1-t, true)
			}
		case client.EffectBeam:
			ax, ay := g.cam.ToScreen(e.Pos)
			bx, by := g.cam.ToScreen(e.To)
			sc := g.cam.Scale
			vector.StrokeLine(dst, float32(ax), float32(ay), float32(bx), float32(by), float32(10*sc*(1-t)+1), withAlpha(col, 0.35*(1-t)), aa)
			vector.StrokeLine(dst, float32(ax), float32(ay), float32(bx), float32(by), float32(3*sc*(1-t)+0.5), withAlpha(lighten(col, 0.7), 1-t), aa)
		case client.EffectSpawn:
			g.sprite(dst, g.res.glow, e.Pos, 0, 1.2, 1, col, 0.5*(1-t), true)
		}
	}
}

// drawLabels draws names and health bars above living players, in screen pixels.
func (g *Game) drawLabels(dst *ebiten.Image, s *client.Scene) {
	us := g.uiScale()
	f := g.res.face(faceSmall, us)
	for i := range s.Players {
		p := &s.Players[i]
		if !p.Alive {
			continue
		}
		x, y := g.cam.ToScreen(p.Pos)
		top := y - (radius(p)+10)*g.cam.Scale
		bw, bh := 46*us, 5*us
		bx, by := x-bw/2, top-bh
		vector.DrawFilledRect(dst, float32(bx-1), float32(by-1), float32(bw+2), float32(bh+2), color.NRGBA{0, 0, 0, 190}, false)
		frac := view.HealthFraction(p.Health, p.MaxHealth)
		vector.DrawFilledRect(dst, float32(bx), float32(by), float32(bw*frac), float32(bh), view.HealthColor(p.Health, p.MaxHealth), false)
		nc := color.Color(colText)
		if p.Local {
			nc = colAccent
		}
		drawText(dst, p.Name, f, x, by-10*us, text.AlignCenter, nc, true)
	}
}

func (g *Game) drawCrosshair(dst *ebiten.Image) {
	mx, my := ebiten.CursorPosition()
	x, y := float32(mx), float32(my)
	s := float32(g.uiScale())
	for _, d := range [][4]float32{{-12, 0, -5, 0}, {5, 0, 12, 0}, {0, -12, 0, -5}, {0, 5, 0, 12}} {
		vector.StrokeLine(dst, x+d[0]*s+1, y+d[1]*s+1, x+d[2]*s+1, y+d[3]*s+1, 2*s, color.NRGBA{0, 0, 0, 150}, aa)
		vector.StrokeLine(dst, x+d[0]*s, y+d[1]*s, x+d[2]*s, y+d[3]*s, 2*s, color.NRGBA{255, 255, 255, 230}, aa)
	}
}

// ---------------------------------------------------------------------------------------------
// HUD

func (g *Game) drawHUD(dst *ebiten.Image, s *client.Scene) {
	us := g.uiScale()
	w, h := float64(g.w), float64(g.h)
	pad := 18 * us

	// top centre: the clock and the score
	// one panel behind the clock and the score line under it, so names and effects passing
	// beneath never make them hard to read
	clock := view.FormatClock(s.TimeLeft)
	big := g.res.face(faceLarge, us)
	cw := math.Max(120*us, textWidth(clock, big)+48*us)
	cr := view.Rect{X: w/2 - cw/2, Y: pad * 0.6, W: cw, H: 40 * us}
	sw := g.drawScoreLine(nil, s, 0, 0) + 28*us
	back := view.Rect{X: w/2 - math.Max(cw, sw)/2, Y: cr.Y, W: math.Max(cw, sw), H: cr.H + 30*us}
	g.fillRound(dst, back, 10*us, colHUDBack)
	tc := color.Color(colText)
	if s.TimeLeft < 30e9 {
		tc = colBad
	}
	drawText(dst, clock, big, w/2, cr.Y+cr.H/2, text.AlignCenter, tc, false)
	g.drawScoreLine(dst, s, w/2, cr.Y+cr.H+12*us)

	// top left: mode and rank
	small, normal := g.res.face(faceSmall, us), g.res.face(faceNormal, us)
	drawText(dst, strings.ToUpper(view.ModeName(g.lobby.ModeInfo, s.Mode)), g.res.face(faceBold, us), pad, pad+8*us, text.AlignStart, colAccent, true)
	if rt := view.RankText(s); rt != "" {
		drawText(dst, "Rank "+rt, normal, pad, pad+32*us, text.AlignStart, colText, true)
	}

	// top right: kill feed
	g.drawKillFeed(dst, s, w-pad, pad+8*us)

	// bottom left: health, kills and deaths
	if lp := view.Local(s); lp != nil {
		hr := view.LayoutHUD(w, h, false).Health
		g.fillRound(dst, hr, 10*us, colHUDBack)
		drawText(dst, "HEALTH", small, hr.X+14*us, hr.Y+16*us, text.AlignStart, colDim, false)
		hp := fmt.Sprintf("%d", max(0, lp.Health))
		drawText(dst, hp, big, hr.X+14*us, hr.Y+42*us, text.AlignStart, view.HealthColor(lp.Health, lp.MaxHealth), false)
		bar := view.Rect{X: hr.X + 78*us, Y: hr.Y + 36*us, W: hr.W - 92*us, H: 12 * us}
		g.fillRound(dst, bar, 4*us, color.NRGBA{255, 255, 255, 30})
		if f := view.HealthFraction(lp.Health, lp.MaxHealth); f > 0 {
			g.fillRound(dst, view.Rect{X: bar.X, Y: bar.Y, W: bar.W * f, H: bar.H}, 4*us, view.HealthColor(lp.Health, lp.MaxHealth))
		}
		kd := fmt.Sprintf("K %d   D %d   S %d", lp.Kills, lp.Deaths, lp.Score)
		drawText(dst, kd, small, hr.X+hr.W-14*us, hr.Y+16*us, text.AlignEnd, colText, false)
		if !lp.Alive {
			g.drawCentered(dst, view.RespawnText(lp), big, w/2, h*0.36, colBad)
		}
	}

	// chat above the health panel (and above its input while typing)
	hl := view.LayoutHUD(w, h, g.ui.focus == fieldMatchChat)
	// faint over the local player, as the minimap is
	chatAlpha := 1.0
	if lp := view.Local(s); lp != nil && lp.Alive && g.ui.focus != fieldMatchChat {
		x, y := g.cam.ToScreen(lp.Pos)
		if hl.ChatRect(w, h, hl.ChatLines).Covers(x, y, (radius(lp)+12)*g.cam.Scale) {
			chatAlpha = 0.3
		}
	}
	g.drawChatLinesAlpha(dst, s.Chat, pad, hl.ChatBottom, hl.ChatField.W, hl.ChatLines, true, chatAlpha)
	if g.ui.focus == fieldMatchChat {
		g.field(dst, hl.ChatField, g.ui.matchChat, "", true)
	}

	// bottom right: the minimap over the key hints; faint while the local player is under it
	alpha := 1.0
	if lp := view.Local(s); lp != nil && lp.Alive {
		x, y := g.cam.ToScreen(lp.Pos)
		if hl.Minimap.Covers(x, y, (radius(lp)+12)*g.cam.Scale) {
			alpha = 0.3
		}
	}
	g.drawMinimap(dst, s, hl.Minimap, alpha)
	hint := view.KeyHint(s)
	if g.keyHint != "" {
		hint = g.keyHint
	}
	hw := textWidth(hint, small) + 16*us
	kr := view.Rect{X: w - pad - hw + 8*us, Y: hl.KeyHint.Y, W: hw, H: hl.KeyHint.H}
	g.fillRound(dst, kr, 6*us, colHUDBack)
	drawText(dst, hint, small, w-pad, kr.Y+kr.H/2, text.AlignEnd, colDim, false)
}

// drawMinimap draws the whole arena into r: walls, living players as dots (the local one
// ringed) and the camera's view.
func (g *Game) drawMinimap(screen *ebiten.Image, s *client.Scene, r view.Rect, alpha float64) {
	if s.World.X <= 0 || s.World.Y <= 0 || r.W < 1 || r.H < 1 {
		return
	}
	// Drawn into its own image at r's size, then onto the screen with alpha: faded as a
	// whole while the local player is under it.
	iw, ih := int(math.Ceil(r.W)), int(math.Ceil(r.H))
	if g.minimap == nil || g.minimap.Bounds().Dx() != iw || g.minimap.Bounds().Dy() != ih {
		if g.minimap != nil {
			g.minimap.Deallocate()
		}
		g.minimap = ebiten.NewImage(iw, ih)
	}
	dst := g.minimap
	dst.Clear()
	shown := r
	defer func() {
		op := &ebiten.DrawImageOptions{}
		op.GeoM.Translate(math.Round(shown.X), math.Round(shown.Y))
		op.ColorScale.ScaleAlpha(float32(alpha))
		screen.DrawImage(dst, op)
	}()
	r.X, r.Y = 0, 0
	us := g.uiScale()
	g.fillRound(dst, r, 8*us, colHUDBack)
	in := r.Inset(8 * us)
	k := math.Min(in.W/s.World.X, in.H/s.World.Y)
	ox, oy := in.X+(in.W-s.World.X*k)/2, in.Y+(in.H-s.World.Y*k)/2
	at := func(p client.Vec) (float32, float32) { return float32(ox + p.X*k), float32(oy + p.Y*k) }
	fb := palette.FloorBase
	vector.DrawFilledRect(dst, float32(ox), float32(oy), float32(s.World.X*k), float32(s.World.Y*k), color.NRGBA{fb.R, fb.G, fb.B, 200}, false)
	for _, w := range s.Walls {
		x, y := at(client.Vec{X: w.X, Y: w.Y})
		vector.DrawFilledRect(dst, x, y, float32(math.Max(1, w.W*k)), float32(math.Max(1, w.H*k)), color.NRGBA{110, 120, 150, 255}, false)
	}
	c := g.cam
	// the camera's view, clipped to the arena (the camera may look a little past its edge)
	clip := func(p client.Vec) client.Vec {
		return client.Vec{X: math.Max(0, math.Min(s.World.X, p.X)), Y: math.Max(0, math.Min(s.World.Y, p.Y))}
	}
	vx, vy := at(clip(c.ToWorld(0, 0)))
	vx1, vy1 := at(clip(c.ToWorld(c.ScreenW, c.ScreenH)))
	vector.StrokeRect(dst, vx, vy, vx1-vx, vy1-vy, 1, color.NRGBA{255, 255, 255, 90}, false)
	for i := range s.Players {
		p := &s.Players[i]
		if !p.Alive {
			continue
		}
		x, y := at(p.Pos)
		if p.Local {
			vector.DrawFilledCircle(dst, x, y, float32(4.5*us), color.White, false)
		}
		vector.DrawFilledCircle(dst, x, y, float32(3*us), g.colourOf(s, p.Team, p.Slot), false)
	}
}

// drawScoreLine draws the score under the clock, centred at x: team scores as coloured
// numbers, or the local player's score. It returns the line's width; with dst nil it only
// measures.
func (g *Game) drawScoreLine(dst *ebiten.Image, s *client.Scene, x, y float64) float64 {
	us := g.uiScale()
	f := g.res.face(faceBold, us)
	if view.IsTeamMode(s) && len(s.TeamScores) >= 2 {
		parts := make([]string, len(s.TeamScores))
		total := 0.0
		for i, v := range s.TeamScores {
			parts[i] = fmt.Sprintf("%s %d", view.TeamName(i), v)
			total += textWidth(parts[i], f)
		}
		gap := 22 * us
		total += gap * float64(len(parts)-1)
		if s.ScoreLimit > 0 {
			total += gap + textWidth(fmt.Sprintf("to %d", s.ScoreLimit), f)
		}
		if dst == nil {
			return total
		}
		xx := x - total/2
		for i, p := range parts {
			drawText(dst, p, f, xx, y, text.AlignStart, lighten(palette.Team(i), 0.15), true)
			xx += textWidth(p, f) + gap
		}
		if s.ScoreLimit > 0 {
			drawText(dst, fmt.Sprintf("to %d", s.ScoreLimit), f, xx, y, text.AlignStart, colDim, true)
		}
		return total
	}
	line := view.ScoreText(s)
	if dst != nil {
		drawText(dst, line, f, x, y, text.AlignCenter, colText, true)
	}
	return textWidth(line, f)
}

func (g *Game) drawKillFeed(dst *ebiten.Image, s *client.Scene, right, top float64) {
	us := g.uiScale()
	f := g.res.face(faceSmall, us)
	feed := s.KillFeed
	if len(feed) > view.KillFeedLines {
		feed = feed[len(feed)-view.KillFeedLines:]
	}
	row := 0
	for i := len(feed) - 1; i >= 0; i-- {
		e := feed[i]
		a := view.FadeAlpha(e.Age, view.KillFeedLife)
		if a <= 0 {
			continue
		}
		weapon := " → "
		if e.Weapon != "" {
			weapon = " [" + e.Weapon + "] "
		}
		wk, ww, wv := textWidth(e.Killer, f), textWidth(weapon, f), textWidth(e.Victim, f)
		total := wk + ww + wv
		y := top + float64(row)*26*us
		row++
		g.fillRound(dst, view.Rect{X: right - total - 16*us, Y: y - 11*us, W: total + 16*us, H: 22 * us}, 6*us, withAlpha(color.RGBA{8, 10, 16, 170}, a))
		x := right - total - 8*us
		drawText(dst, e.Killer, f, x, y, text.AlignStart, withAlpha(lighten(g.colourOf(s, e.KillerTeam, e.KillerTeam), 0.2), a), false)
		drawText(dst, weapon, f, x+wk, y, text.AlignStart, withAlpha(colDim, a), false)
		drawText(dst, e.Victim, f, x+wk+ww, y, text.AlignStart, withAlpha(lighten(g.colourOf(s, e.VictimTeam, e.VictimTeam), 0.2), a), false)
	}
}

// drawScoreboard draws a table of lines (Tab, and the results screen).
func (g *Game) drawScoreboard(dst *ebiten.Image, s *client.Scene, lines []client.ScoreLine, top float64, title string) {
	us := g.uiScale()
	l := view.LayoutScoreboard(float64(g.w), float64(g.h), len(lines), top)
	g.fillRound(dst, l.Panel, 12*us, color.NRGBA{12, 10, 22, 225})
	g.strokeRound(dst, l.Panel, 12*us, 1.2*us, color.NRGBA{255, 255, 255, 30})
	hf, f := g.res.face(faceBold, us), g.res.face(faceNormal, us)
	hy := l.Header.Y + l.Header.H/2
	drawText(dst, title, hf, l.Columns[0]-14*us, hy, text.AlignStart, colAccent, false)
	for i, h := range []string{"SCORE", "K", "D", "PING"} {
		drawText(dst, h, g.res.face(faceSmall, us), l.Columns[i+1], hy, text.AlignCenter, colDim, false)
	}
	for i, r := range l.Rows {
		ln := lines[i]
		if ln.Local {
			g.fillRound(dst, r, 6*us, color.NRGBA{255, 196, 72, 40})
		} else if i%2 == 0 {
			g.fillRound(dst, r, 6*us, color.NRGBA{255, 255, 255, 8})
		}
		y := r.Y + r.H/2
		col := g.colourOf(s, ln.Team, ln.Slot)
		vector.DrawFilledCircle(dst, float32(l.Columns[0]-8*us), float32(y), float32(5*us), col, aa)
		tc := color.Color(colText)
		if ln.Left {
			tc = colDim
		}
		name := fitText(fmt.Sprintf("%d. %s", i+1, view.ScoreName(ln)), f, l.Columns[1]-l.Columns[0]-30*us)
		drawText(dst, name, f, l.Columns[0]+4*us, y, text.AlignStart, tc, false)
		for j, v := range []string{fmt.Sprint(ln.Score), fmt.Sprint(ln.Kills), fmt.Sprint(ln.Deaths), view.PingText(ln.Ping)} {
			drawText(dst, v, f, l.Columns[j+1], y, text.AlignCenter, tc, false)
		}
	}
}

// drawNetGraph draws the F3 panel: the numbers and two graphs (ping and prediction error).
func (g *Game) drawNetGraph(dst *ebiten.Image, s *client.Scene) {
	us := g.uiScale()
	f := g.res.face(faceMono, us)
	lines := append(view.NetLines(s.Net), view.FrameRateText(ebiten.ActualFPS(), ebiten.ActualTPS()))
	pw, ph := 250*us, (float64(len(lines))*18+130)*us
	r := view.Rect{X: 18 * us, Y: 80 * us, W: pw, H: ph}
	g.fillRound(dst, r, 8*us, color.NRGBA{0, 0, 0, 185})
	for i, ln := range lines {
		drawText(dst, ln, f, r.X+12*us, r.Y+16*us+float64(i)*18*us, text.AlignStart, colGood, false)
	}
	gy := r.Y + float64(len(lines))*18*us + 22*us
	g.graph(dst, view.Rect{X: r.X + 12*us, Y: gy, W: pw - 24*us, H: 44 * us}, "ping ms",
		func(n client.NetStats) float64 { return float64(n.RTT.Milliseconds()) }, 50, colGood)
	g.graph(dst, view.Rect{X: r.X + 12*us, Y: gy + 56*us, W: pw - 24*us, H: 44 * us}, "pred err u",
		func(n client.NetStats) float64 { return n.PredictionError }, 1, colAccent)
}

func (g *Game) graph(dst *ebiten.Image, r view.Rect, label string, f func(client.NetStats) float64, min float64, col color.RGBA) {
	us := g.uiScale()
	vector.DrawFilledRect(dst, float32(r.X), float32(r.Y), float32(r.W), float32(r.H), color.NRGBA{255, 255, 255, 14}, false)
	top := view.GraphScale(g.net.Max(f), min)
	n := g.net.Len()
	for i := 0; i < n; i++ {
		v := math.Min(1, f(g.net.At(i))/top)
		x := r.X + r.W*float64(i)/float64(view.DefaultNetHistory)
		bh := v * r.H
		vector.DrawFilledRect(dst, float32(x), float32(r.Y+r.H-bh), float32(math.Max(1, r.W/view.DefaultNetHistory)), float32(bh), withAlpha(col, 0.8), false)
	}
	sf := g.res.face(faceSmall, us*0.85)
	drawText(dst, label, sf, r.X+4*us, r.Y+8*us, text.AlignStart, colText, true)
	drawText(dst, fmt.Sprintf("%g", top), sf, r.X+r.W-4*us, r.Y+8*us, text.AlignEnd, colText, true)
}

// ---------------------------------------------------------------------------------------------
// Results

func (g *Game) updateResults() {
	l := g.resultsButton()
	g.resultsTicks++
	// unattended runs go back to the lobby (and queue again) after five seconds of results
	if clicked(l) || inpututil.IsKeyJustPressed(ebiten.KeyEnter) || inpututil.IsKeyJustPressed(ebiten.KeyEscape) ||
		(g.opt.AutoQuickMatch && g.resultsTicks >= 5*60) {
		g.b.LeaveMatch()
	}
}

func (g *Game) resultsButton() view.Rect {
	us := g.uiScale()
	r := view.Rect{X: float64(g.w)/2 - 120*us, Y: float64(g.h) - 90*us, W: 240 * us, H: 48 * us}
	if g.overlay != nil {
		r.Y -= 84 * us // above a replay's controls bar
	}
	return r
}

func (g *Game) drawResults(dst *ebiten.Image, s *client.Scene) {
	us := g.uiScale()
	w, h := float64(g.w), float64(g.h)
	mb := palette.MenuBottom
	vector.DrawFilledRect(dst, 0, 0, float32(w), float32(h), color.NRGBA{mb.R, mb.G, mb.B, 225}, false)
	title := view.WinnerText(s)
	tc := colAccent
	if view.IsTeamMode(s) && len(s.TeamScores) >= 2 && title != "Draw" {
		best := 0
		for i, v := range s.TeamScores {
			if v > s.TeamScores[best] {
				best = i
			}
		}
		tc = lighten(palette.Team(best), 0.1)
	}
	g.drawCentered(dst, title, g.res.face(faceHuge, us*1.3), w/2, h*0.08, tc)
	g.drawCentered(dst, view.ResultSubtitle(s, g.lobby.ModeInfo), g.res.face(faceNormal, us), w/2, h*0.08+44*us, colDim)
	// ranked here too, whoever filled the scene (the demo's backend, a server's slot order)
	lines := append(g.final[:0], s.Final...)
	view.SortScores(lines)
	g.final = lines
	if len(lines) == 0 {
		lines = view.Standings(s)
	}
	g.drawScoreboard(dst, s, lines, 0.2, "FINAL SCORES")
	label := "Back to lobby"
	if g.resultsLabel != "" {
		label = g.resultsLabel
	}
	g.button(dst, g.resultsButton(), label, true, true)
}
