package render

import (
	"fmt"
	"image/color"
	"math"
	"strings"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/inpututil"
	"github.com/hajimehoshi/ebiten/v2/text/v2"
	"github.com/hajimehoshi/ebiten/v2/vector"

	"github.com/skirmish-go/skirmish/client"
	"github.com/skirmish-go/skirmish/client/render/view"
)

// fieldID names the text fields.
type fieldID uint8

const (
	fieldNone fieldID = iota
	fieldName
	fieldAddr
	fieldCode
	fieldChat
	fieldMatchChat
)

// Field lengths in runes.
const (
	maxNameLen = 16
	maxAddrLen = 64
	maxCodeLen = 8
	maxChatLen = 120
)

// uiState is the screens' own state: focus and field contents.
type uiState struct {
	focus                                  fieldID
	name, addr, code, lobbyChat, matchChat string
}

func (g *Game) fieldValue(id fieldID) *string {
	switch id {
	case fieldName:
		return &g.ui.name
	case fieldAddr:
		return &g.ui.addr
	case fieldCode:
		return &g.ui.code
	case fieldChat:
		return &g.ui.lobbyChat
	case fieldMatchChat:
		return &g.ui.matchChat
	}
	return nil
}

// editFocused applies this frame's typing to the focused field and reports whether Enter was
// pressed.
func (g *Game) editFocused() (enter bool) {
	v := g.fieldValue(g.ui.focus)
	if v == nil {
		return false
	}
	limit := map[fieldID]int{fieldName: maxNameLen, fieldAddr: maxAddrLen, fieldCode: maxCodeLen}[g.ui.focus]
	if limit == 0 {
		limit = maxChatLen
	}
	g.runes = ebiten.AppendInputChars(g.runes[:0])
	back := 0
	if d := inpututil.KeyPressDuration(ebiten.KeyBackspace); d == 1 || (d > 30 && d%3 == 0) {
		back = 1
	}
	if len(g.runes) > 0 || back > 0 {
		g.typedAt = g.opt.Now()
	}
	*v = view.EditLine(*v, g.runes, back, limit)
	if g.ui.focus == fieldCode {
		*v = strings.ToUpper(*v)
	}
	return inpututil.IsKeyJustPressed(ebiten.KeyEnter) || inpututil.IsKeyJustPressed(ebiten.KeyKPEnter)
}

// clicked reports a left click inside r this frame.
func clicked(r view.Rect) bool {
	if !inpututil.IsMouseButtonJustPressed(ebiten.MouseButtonLeft) {
		return false
	}
	x, y := ebiten.CursorPosition()
	return r.Contains(float64(x), float64(y))
}

// ---------------------------------------------------------------------------------------------
// Connect screen

func (g *Game) updateConnect() {
	l := view.LayoutConnect(float64(g.w), float64(g.h))
	switch {
	case clicked(l.NameField):
		g.ui.focus = fieldName
	case clicked(l.AddrField):
		g.ui.focus = fieldAddr
	}
	if g.ui.focus != fieldName && g.ui.focus != fieldAddr {
		g.ui.focus = fieldName
	}
	if inpututil.IsKeyJustPressed(ebiten.KeyTab) {
		if g.ui.focus == fieldName {
			g.ui.focus = fieldAddr
		} else {
			g.ui.focus = fieldName
		}
	}
	enter := g.editFocused()
	busy := g.lobby.Stage == client.StageConnecting
	if !busy && (enter || clicked(l.Connect)) && strings.TrimSpace(g.ui.name) != "" {
		g.b.Connect(strings.TrimSpace(g.ui.addr), strings.TrimSpace(g.ui.name))
	}
}

func (g *Game) drawConnect(dst *ebiten.Image) {
	g.drawMenuBackground(dst)
	s := g.uiScale()
	l := view.LayoutConnect(float64(g.w), float64(g.h))
	g.drawTitle(dst, l.Title)
	g.panel(dst, l.Panel, "")
	small := g.res.face(faceSmall, s)
	drawText(dst, "PLAYER NAME", small, l.NameField.X, l.NameField.Y-13*s, text.AlignStart, colDim, false)
	g.field(dst, l.NameField, g.ui.name, "your name", g.ui.focus == fieldName)
	drawText(dst, "LOBBY ADDRESS", small, l.AddrField.X, l.AddrField.Y-13*s, text.AlignStart, colDim, false)
	g.field(dst, l.AddrField, g.ui.addr, "127.0.0.1:7000", g.ui.focus == fieldAddr)
	busy := g.lobby.Stage == client.StageConnecting
	label := "Connect"
	if busy {
		label = "Connecting…"
	}
	g.button(dst, l.Connect, label, true, !busy && strings.TrimSpace(g.ui.name) != "")
	g.status(dst, l.Status, g.lobby.Status, g.lobby.Error, text.AlignCenter, view.ConnectStatusLines)
	hint := "Tab switches fields · Enter connects · F3 frame rate"
	drawText(dst, fitText(hint, small, float64(g.w)-24*s), small, float64(g.w)/2, l.Hint.Y+l.Hint.H/2, text.AlignCenter, colDim, false)
}

func (g *Game) drawTitle(dst *ebiten.Image, r view.Rect) {
	s := g.uiScale()
	f := g.res.face(faceTitle, s)
	x, y := r.X+r.W/2, r.Y+r.H/2
	// a soft glow behind the title
	op := &ebiten.DrawImageOptions{}
	op.GeoM.Translate(-32, -32)
	op.GeoM.Scale(10*s, 2.4*s)
	op.GeoM.Translate(x, y)
	op.ColorScale.ScaleWithColor(color.NRGBA{255, 150, 60, 255})
	op.ColorScale.ScaleAlpha(0.16)
	op.Blend = ebiten.BlendLighter
	op.Filter = ebiten.FilterLinear
	dst.DrawImage(g.res.glow, op)
	drawText(dst, "SKIRMISH", f, x+3*s, y+4*s, text.AlignCenter, color.NRGBA{0, 0, 0, 140}, false)
	drawText(dst, "SKIRMISH", f, x, y, text.AlignCenter, colAccent, false)
	drawText(dst, "fast arena fights over honest netcode", g.res.face(faceNormal, s), x, y+58*s, text.AlignCenter, colDim, false)
}

// status draws a status line in r, red for errors, wrapped to at most lines lines (each
// 22 px at UI scale 1, the first at r's top).
func (g *Game) status(dst *ebiten.Image, r view.Rect, msg string, isErr bool, align text.Align, lines int) {
	if msg == "" {
		return
	}
	c := color.Color(colDim)
	if isErr {
		c = colBad
	}
	x, w := r.X, r.W
	if align == text.AlignCenter {
		// centred lines may use the screen's width, not only their panel's
		w = float64(g.w) - 48*g.uiScale()
		x = r.X + r.W/2
	}
	us := g.uiScale()
	f := g.res.face(faceNormal, us)
	lineH := math.Min(22*us, r.H)
	for i, ln := range wrapText(msg, f, w, lines) {
		drawText(dst, ln, f, x, r.Y+lineH/2+float64(i)*lineH, align, c, false)
	}
}

// ---------------------------------------------------------------------------------------------
// Lobby screen

func (g *Game) lobbyLayout() view.LobbyLayout {
	return view.LayoutLobby(float64(g.w), float64(g.h), len(g.lobby.Modes), len(g.lobby.Rooms))
}

func (g *Game) updateLobby() {
	l := g.lobbyLayout()
	inRoom := g.lobby.Room != nil
	switch {
	case clicked(l.CodeField):
		g.ui.focus = fieldCode
	case inRoom && clicked(l.ChatField):
		g.ui.focus = fieldChat
	}
	// chat is a room's (the lobby relays no lobby-wide chat): outside one, typing goes to the
	// room code field
	if g.ui.focus != fieldCode && g.ui.focus != fieldChat || (!inRoom && g.ui.focus == fieldChat) || inRoom != g.wasInRoom {
		g.ui.focus = fieldCode
		if inRoom {
			g.ui.focus = fieldChat // just in a room: its chat
		}
	}
	g.wasInRoom = inRoom
	enter := g.editFocused()
	for i, r := range l.ModeButton {
		if clicked(r) && !g.lobby.Queue.Queued && g.lobby.Room == nil {
			g.b.QuickMatch(g.lobby.Modes[i])
		}
	}
	if g.lobby.Queue.Queued && (clicked(l.Cancel) || inpututil.IsKeyJustPressed(ebiten.KeyEscape)) {
		g.b.CancelQueue()
	}
	for i, r := range l.RoomRow {
		if clicked(r) && g.lobby.Room == nil {
			g.b.JoinRoom(g.lobby.Rooms[i].Code)
		}
	}
	if g.lobby.Room == nil {
		g.updateWatch(watchPanel(l))
		if clicked(l.CreatePub) {
			g.b.CreateRoom(false)
		}
		if clicked(l.CreatePriv) {
			g.b.CreateRoom(true)
		}
		if (clicked(l.Join) || (enter && g.ui.focus == fieldCode)) && g.ui.code != "" {
			g.b.JoinRoom(g.ui.code)
			g.ui.code = ""
		}
	} else {
		if clicked(l.Ready) {
			g.b.Ready(!g.selfReady())
		}
		if clicked(l.Leave) {
			g.b.LeaveRoom()
		}
	}
	if enter && inRoom && g.ui.focus == fieldChat && strings.TrimSpace(g.ui.lobbyChat) != "" {
		g.b.Chat(g.ui.lobbyChat)
		g.ui.lobbyChat = ""
	}
}

func (g *Game) selfReady() bool {
	if g.lobby.Room == nil {
		return false
	}
	for _, m := range g.lobby.Room.Members {
		if m.You {
			return m.Ready
		}
	}
	return false
}

func (g *Game) drawLobby(dst *ebiten.Image) {
	g.drawMenuBackground(dst)
	s := g.uiScale()
	l := g.lobbyLayout()
	lv := g.lobby
	// header
	vector.DrawFilledRect(dst, 0, 0, float32(l.Header.W), float32(l.Header.H), color.NRGBA{0, 0, 0, 90}, false)
	vector.DrawFilledRect(dst, 0, float32(l.Header.H-2*s), float32(l.Header.W), float32(2*s), colAccent, false)
	drawText(dst, "SKIRMISH", g.res.face(faceHuge, s), 24*s, l.Header.H/2, text.AlignStart, colAccent, false)
	who, wc := "Signed in as "+lv.PlayerName, color.Color(colText)
	if lv.Link == client.LinkReconnecting {
		who, wc = fmt.Sprintf("Lobby connection lost · reconnecting… (attempt %d)", max(1, lv.LinkAttempt)), colBad
	}
	hf := g.res.face(faceNormal, s)
	drawText(dst, fitText(who, hf, l.Header.W*0.55), hf, l.Header.W-24*s, l.Header.H/2, text.AlignEnd, wc, false)

	normal, small := g.res.face(faceNormal, s), g.res.face(faceSmall, s)
	// quick match
	g.panel(dst, l.Play, "QUICK MATCH")
	for i, r := range l.ModeButton {
		g.button(dst, r, lv.ModeLabel(i), i == 0, !lv.Queue.Queued && lv.Room == nil)
	}
	if lv.Queue.Queued {
		drawText(dst, "Searching… "+view.FormatClock(lv.Queue.Waited), normal, l.Cancel.X, l.Cancel.Y-20*s, text.AlignStart, colAccent, false)
		if lv.Queue.Needed > 0 {
			drawText(dst, fmt.Sprintf("%d of %d players found", lv.Queue.Found, lv.Queue.Needed), small,
				l.Cancel.X, l.Cancel.Y+l.Cancel.H+18*s, text.AlignStart, colDim, false)
		}
		g.button(dst, l.Cancel, "Cancel", false, true)
	}

	// rooms
	g.panel(dst, l.Rooms, "PUBLIC ROOMS")
	mx, my := ebiten.CursorPosition()
	for i, r := range l.RoomRow {
		room := lv.Rooms[i]
		fill := color.NRGBA{255, 255, 255, 10}
		if lv.Room == nil && r.Contains(float64(mx), float64(my)) {
			fill = color.NRGBA{255, 255, 255, 34}
		}
		g.fillRound(dst, r, 6*s, fill)
		name := room.Name
		if name == "" {
			name = "Room " + room.Code
		}
		drawText(dst, fitText(name, normal, r.W*0.5), normal, r.X+10*s, r.Y+r.H/2, text.AlignStart, colText, false)
		info := fmt.Sprintf("%s  %d/%d", strings.ToUpper(room.Mode), room.Players, room.MaxPlayers)
		c := colDim
		if room.InMatch {
			info += "  ● live"
			c = colBad
		}
		drawText(dst, info, small, r.X+r.W-10*s, r.Y+r.H/2, text.AlignEnd, c, false)
	}
	if len(lv.Rooms) == 0 {
		for i, ln := range wrapText("No public rooms yet — create one!", normal, l.Rooms.W-32*s, 2) {
			drawText(dst, ln, normal, l.Rooms.X+16*s, l.Rooms.Y+70*s+float64(i)*22*s, text.AlignStart, colDim, false)
		}
	}
	free := lv.Room == nil
	g.button(dst, l.CreatePub, "Create room", false, free)
	g.button(dst, l.CreatePriv, "Private room", false, free)
	g.field(dst, l.CodeField, g.ui.code, "room code", g.ui.focus == fieldCode)
	g.button(dst, l.Join, "Join", false, free && g.ui.code != "")

	// current room
	if r := lv.Room; r != nil {
		title := "ROOM " + r.Code
		if r.Private {
			title += " · PRIVATE"
		}
		g.panel(dst, l.Room, title)
		in := l.Room.Inset(16 * s)
		info := fmt.Sprintf("%s · %d/%d", view.ModeName(lv.ModeInfo, r.Mode), len(r.Members), r.MaxPlayers)
		if r.Name != "" {
			info = r.Name + " · " + info
		}
		drawText(dst, fitText(info, small, in.W), small,
			in.X, in.Y+36*s, text.AlignStart, colDim, false)
		for i, m := range r.Members {
			y := in.Y + 62*s + float64(i)*26*s
			if y > l.Ready.Y-16*s {
				break
			}
			vector.DrawFilledCircle(dst, float32(in.X+7*s), float32(y), float32(5*s), view.PlayerColor(2, m.Team, 0), aa)
			name := m.Name
			if m.Host {
				name += " (host)"
			}
			c := colText
			if m.You {
				c = colAccent
			}
			drawText(dst, name, normal, in.X+20*s, y, text.AlignStart, c, false)
			rs, rc := "not ready", colDim
			if m.Ready {
				rs, rc = "READY", colGood
			}
			drawText(dst, rs, small, in.X+in.W, y, text.AlignEnd, rc, false)
		}
		label := "Ready"
		if g.selfReady() {
			label = "Not ready"
		}
		g.button(dst, l.Ready, label, !g.selfReady(), true)
		g.button(dst, l.Leave, "Leave", false, true)
	} else {
		// no room, no chat (the lobby relays chat within rooms only): the column lists the
		// running matches to watch, or explains
		g.drawWatch(dst, watchPanel(l))
	}

	// room chat
	if lv.Room != nil {
		g.panel(dst, l.Chat, "ROOM CHAT")
		g.drawChatLines(dst, lv.Room.Chat, l.Chat.X+16*s, l.ChatField.Y-16*s, l.Chat.W-32*s, int((l.ChatField.Y-l.Chat.Y-56*s)/(22*s)), false)
		g.field(dst, l.ChatField, g.ui.lobbyChat, "say something (Enter)", g.ui.focus == fieldChat)
	}
	g.status(dst, l.Status, lv.Status, lv.Error, text.AlignStart, 1)
}

// drawChatLines draws the last n lines of chat upwards from baseline y.
func (g *Game) drawChatLines(dst *ebiten.Image, lines []client.ChatLine, x, y, w float64, n int, fade bool) {
	g.drawChatLinesAlpha(dst, lines, x, y, w, n, fade, 1)
}

// drawChatLinesAlpha is drawChatLines at opacity alpha.
func (g *Game) drawChatLinesAlpha(dst *ebiten.Image, lines []client.ChatLine, x, y, w float64, n int, fade bool, alpha float64) {
	s := g.uiScale()
	f := g.res.face(faceSmall, s)
	if n <= 0 {
		return
	}
	start := max(0, len(lines)-n)
	row := 0
	for i := len(lines) - 1; i >= start; i-- {
		ln := lines[i]
		a := alpha
		if fade {
			a *= view.FadeAlpha(ln.Age, view.ChatLife)
			if a <= 0 {
				continue
			}
		}
		yy := y - float64(row)*22*s - 8*s
		row++
		if ln.System {
			drawText(dst, fitText(ln.Text, f, w), f, x, yy, text.AlignStart, withAlpha(colDim, a), fade)
			continue
		}
		who := ln.From + ": "
		drawText(dst, who, f, x, yy, text.AlignStart, withAlpha(colAccent, a), fade)
		drawText(dst, fitText(ln.Text, f, w-textWidth(who, f)), f, x+textWidth(who, f), yy, text.AlignStart, withAlpha(colText, a), fade)
	}
}

// withAlpha scales a colour's opacity by a in 0..1.
func withAlpha(c color.RGBA, a float64) color.NRGBA {
	return color.NRGBA{c.R, c.G, c.B, uint8(float64(c.A) * a)}
}

// ---------------------------------------------------------------------------------------------
// Joining (or rejoining) a match

func (g *Game) updateJoining() {
	if inpututil.IsKeyJustPressed(ebiten.KeyEscape) {
		g.b.LeaveMatch()
	}
}

func (g *Game) drawJoining(dst *ebiten.Image) {
	g.drawMenuBackground(dst)
	s := g.uiScale()
	w, h := float64(g.w), float64(g.h)
	title, detail := view.JoiningText(g.lobby)
	tc := color.Color(colText)
	if g.lobby.MatchAttempt > 0 {
		tc = colBad
	}
	g.drawCentered(dst, title, g.res.face(faceLarge, s), w/2, h/2-20*s, tc)
	normal := g.res.face(faceNormal, s)
	if detail != "" {
		g.drawCentered(dst, detail, normal, w/2, h/2+16*s, colText)
	}
	if st := g.lobby.Status; st != "" {
		c := color.Color(colDim)
		if g.lobby.Error {
			c = colBad
		}
		drawText(dst, fitText(st, normal, w-48*s), normal, w/2, h/2+46*s, text.AlignCenter, c, false)
	}
	drawText(dst, "Esc: back to the lobby", g.res.face(faceSmall, s), w/2, h-22*s, text.AlignCenter, colDim, false)
}

// drawFrameRate draws the F3 frame rate line in a menu's top-left corner.
func (g *Game) drawFrameRate(dst *ebiten.Image) {
	s := g.uiScale()
	drawText(dst, view.FrameRateText(ebiten.ActualFPS(), ebiten.ActualTPS()), g.res.face(faceMono, s),
		8*s, g.h2(), text.AlignStart, colGood, true)
}

// h2 is the y of a line in the bottom-left corner.
func (g *Game) h2() float64 { return float64(g.h) - 12*g.uiScale() }
