package view

import (
	"math"

	"github.com/skirmish-go/skirmish/client"
)

// Rect is a screen rectangle in pixels.
type Rect struct{ X, Y, W, H float64 }

// Contains reports whether (x, y) lies inside r.
func (r Rect) Contains(x, y float64) bool {
	return x >= r.X && y >= r.Y && x < r.X+r.W && y < r.Y+r.H
}

// Inset returns r shrunk by d on every side.
func (r Rect) Inset(d float64) Rect {
	return Rect{r.X + d, r.Y + d, math.Max(0, r.W-2*d), math.Max(0, r.H-2*d)}
}

// Row returns the i-th of rows of height h stacked from r's top with gap between them.
func (r Rect) Row(i int, h, gap float64) Rect {
	return Rect{r.X, r.Y + float64(i)*(h+gap), r.W, h}
}

// SplitX splits r at fraction f of its width, leaving gap between the halves.
func (r Rect) SplitX(f, gap float64) (left, right Rect) {
	lw := (r.W - gap) * f
	return Rect{r.X, r.Y, lw, r.H}, Rect{r.X + lw + gap, r.Y, r.W - lw - gap, r.H}
}

// UIScale is the factor applied to every UI size: 1 at 1280×720, following the smaller ratio
// of the window to that, within 0.75..2.5 so text stays readable.
func UIScale(w, h float64) float64 {
	return math.Max(0.75, math.Min(2.5, math.Min(w/1280, h/720)))
}

// ConnectLayout is where the connect screen's parts go. Status holds two lines of text
// (the second under the first); Hint is the key line at the bottom.
type ConnectLayout struct {
	Title, Panel, NameField, AddrField, Connect, Demo, Status, Hint Rect
}

// ConnectStatusLines is how many lines the connect screen's status may wrap to.
const ConnectStatusLines = 2

// LayoutConnect places the connect screen on a w×h screen: the panel a third of the way
// down, but high enough that the status lines and the key hint fit under it.
func LayoutConnect(w, h float64) ConnectLayout {
	s := UIScale(w, h)
	pw, ph := math.Min(520*s, w-32*s), 290*s
	lineH := 22 * s
	below := 10*s + ConnectStatusLines*lineH + 6*s + 16*s + 4*s // gap, status, gap, hint, margin
	p := Rect{(w - pw) / 2, math.Min(math.Max(h*0.32, 150*s), h-ph-below), pw, ph}
	in := p.Inset(28 * s)
	fh := 44 * s
	status := Rect{p.X, p.Y + ph + 10*s, pw, ConnectStatusLines * lineH}
	return ConnectLayout{
		Title:     Rect{0, math.Max(0, p.Y-130*s), w, math.Min(100*s, p.Y)},
		Panel:     p,
		NameField: Rect{in.X, in.Y + 26*s, in.W, fh},
		AddrField: Rect{in.X, in.Y + 26*s + fh + 34*s, in.W, fh},
		Connect:   Rect{in.X, in.Y + in.H - fh, in.W, fh},
		Status:    status,
		Hint:      Rect{0, status.Y + status.H + 6*s, w, 16 * s},
	}
}

// LobbyLayout is where the lobby screen's parts go.
type LobbyLayout struct {
	Header Rect
	// Left column: quick match.
	Play       Rect
	ModeButton []Rect
	Cancel     Rect
	// Middle: public rooms, create, join by code.
	Rooms      Rect
	RoomRow    []Rect
	CreatePub  Rect
	CreatePriv Rect
	CodeField  Rect
	Join       Rect
	// Right: the current room (or lobby chat when in none).
	Room      Rect
	Ready     Rect
	Leave     Rect
	Chat      Rect
	ChatField Rect
	Status    Rect
}

// LobbyRowHeight is the height of one room row at UI scale 1.
const LobbyRowHeight = 34.0

// LayoutLobby places the lobby screen on a w×h screen for modes quick-match modes and rooms
// public rooms (rows that do not fit are not placed).
func LayoutLobby(w, h float64, modes, rooms int) LobbyLayout {
	s := UIScale(w, h)
	pad, gap := 24*s, 16*s
	var l LobbyLayout
	l.Header = Rect{0, 0, w, 64 * s}
	body := Rect{pad, l.Header.H + gap, w - 2*pad, h - l.Header.H - gap - pad - 34*s}
	l.Status = Rect{pad, h - pad - 26*s, w - 2*pad, 26 * s}
	colW := (body.W - 2*gap) / 3
	left := Rect{body.X, body.Y, colW * 0.8, body.H}
	mid := Rect{left.X + left.W + gap, body.Y, colW * 1.1, body.H}
	right := Rect{mid.X + mid.W + gap, body.Y, body.X + body.W - (mid.X + mid.W + gap), body.H}

	bh := 46 * s
	l.Play = left
	in := left.Inset(16 * s)
	y := in.Y + 40*s
	for i := 0; i < modes; i++ {
		l.ModeButton = append(l.ModeButton, Rect{in.X, y, in.W, bh})
		y += bh + 10*s
	}
	l.Cancel = Rect{in.X, y + 40*s, in.W, bh}

	l.Rooms = mid
	in = mid.Inset(16 * s)
	l.CodeField = Rect{in.X, in.Y + in.H - bh, in.W * 0.62, bh}
	l.Join = Rect{in.X + in.W*0.62 + 10*s, l.CodeField.Y, in.W*0.38 - 10*s, bh}
	l.CreatePub = Rect{in.X, l.CodeField.Y - bh - 12*s, (in.W - 10*s) / 2, bh}
	l.CreatePriv = Rect{l.CreatePub.X + l.CreatePub.W + 10*s, l.CreatePub.Y, l.CreatePub.W, bh}
	rowTop := in.Y + 40*s
	rh := LobbyRowHeight * s
	for i := 0; i < rooms; i++ {
		r := Rect{in.X, rowTop + float64(i)*(rh+6*s), in.W, rh}
		if r.Y+r.H > l.CreatePub.Y-12*s {
			break
		}
		l.RoomRow = append(l.RoomRow, r)
	}

	roomH := right.H * 0.45
	l.Room = Rect{right.X, right.Y, right.W, roomH}
	in = l.Room.Inset(16 * s)
	l.Ready = Rect{in.X, in.Y + in.H - bh, (in.W - 10*s) / 2, bh}
	l.Leave = Rect{l.Ready.X + l.Ready.W + 10*s, l.Ready.Y, l.Ready.W, bh}
	l.Chat = Rect{right.X, right.Y + roomH + gap, right.W, right.H - roomH - gap}
	in = l.Chat.Inset(16 * s)
	l.ChatField = Rect{in.X, in.Y + in.H - bh, in.W, bh}
	return l
}

// ScoreboardLayout is the Tab scoreboard (and the results table): a panel with a header row
// and one row a player.
type ScoreboardLayout struct {
	Panel, Header Rect
	Rows          []Rect
	// Columns are the x of the name, score, kills, deaths and ping columns.
	Columns [5]float64
}

// LayoutScoreboard places a scoreboard of n rows centred on a w×h screen, its top at top
// (a fraction of h).
func LayoutScoreboard(w, h float64, n int, top float64) ScoreboardLayout {
	s := UIScale(w, h)
	rh := 32 * s
	pw := math.Min(w-40*s, 640*s)
	maxRows := int(math.Max(1, (h*(1-top)-100*s)/rh))
	if n > maxRows {
		n = maxRows
	}
	ph := 60*s + float64(n)*rh + 16*s
	p := Rect{(w - pw) / 2, h * top, pw, ph}
	var l ScoreboardLayout
	l.Panel = p
	l.Header = Rect{p.X + 16*s, p.Y + 16*s, pw - 32*s, 32 * s}
	for i := 0; i < n; i++ {
		l.Rows = append(l.Rows, Rect{p.X + 8*s, p.Y + 60*s + float64(i)*rh, pw - 16*s, rh})
	}
	in := p.Inset(24 * s)
	l.Columns = [5]float64{in.X + 20*s, in.X + in.W*0.55, in.X + in.W*0.68, in.X + in.W*0.80, in.X + in.W*0.92}
	return l
}

// NetHistory keeps the last samples of the net stats for the net graph, oldest first.
// The zero value is empty and holds up to DefaultNetHistory samples.
type NetHistory struct {
	buf  []client.NetStats
	next int
	full bool
}

// DefaultNetHistory is how many samples a NetHistory keeps (two seconds of frames at 60 fps).
const DefaultNetHistory = 120

// Push records one sample, dropping the oldest when full.
func (h *NetHistory) Push(n client.NetStats) {
	if h.buf == nil {
		h.buf = make([]client.NetStats, DefaultNetHistory)
	}
	h.buf[h.next] = n
	h.next = (h.next + 1) % len(h.buf)
	if h.next == 0 {
		h.full = true
	}
}

// Len is the number of samples held.
func (h *NetHistory) Len() int {
	if h.full {
		return len(h.buf)
	}
	return h.next
}

// At returns sample i, 0 being the oldest held.
func (h *NetHistory) At(i int) client.NetStats {
	if h.full {
		return h.buf[(h.next+i)%len(h.buf)]
	}
	return h.buf[i]
}

// Max returns the largest value of f over the held samples (0 when empty).
func (h *NetHistory) Max(f func(client.NetStats) float64) float64 {
	m := 0.0
	for i := 0; i < h.Len(); i++ {
		m = math.Max(m, f(h.At(i)))
	}
	return m
}

// GraphScale rounds a graph's top value up to a friendly 1, 2 or 5 × 10^k, at least min.
func GraphScale(v, min float64) float64 {
	v = math.Max(v, min)
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// HUDLayout is where the match HUD's corner pieces go on a w×h screen.
type HUDLayout struct {
	// Health is the bottom-left panel; ChatField the chat input above it (when open), and
	// ChatBottom the baseline under the newest chat line: above the input when it is open
	// (chatOpen), else above the health panel.
	Health, ChatField Rect
	ChatBottom        float64
	// ChatLines is how many chat lines show: fewer on a short screen, where they would
	// cover much of the arena.
	ChatLines int
	// Minimap sits in the bottom-right corner over the key hint line (KeyHint, with a backdrop
	// so walls under it do not swallow it).
	Minimap, KeyHint Rect
}

// LayoutHUD places the HUD's bottom pieces on a w×h screen.
func LayoutHUD(w, h float64, chatOpen bool) HUDLayout {
	us := UIScale(w, h)
	pad := 18 * us
	var l HUDLayout
	l.Health = Rect{pad, h - pad - 64*us, math.Min(280*us, w*0.4), 64 * us}
	l.ChatField = Rect{pad, l.Health.Y - 12*us - 38*us, math.Min(420*us, w-2*pad), 38 * us}
	l.ChatBottom = l.Health.Y - 8*us
	l.ChatLines = ChatLines
	if h < 600 {
		l.ChatLines = 3
	}
	if chatOpen {
		l.ChatBottom = l.ChatField.Y - 4*us
	}
	// The minimap keeps the arena's shape (about 3:2) and takes at most a fifth of the
	// screen's width, so at small sizes it leaves the view around the player free.
	mw := math.Min(200*us, w*0.2)
	mh := mw * 0.65
	l.KeyHint = Rect{w - pad - math.Min(240*us, w*0.45), h - pad - 20*us, math.Min(240*us, w*0.45), 20 * us}
	l.Minimap = Rect{w - pad - mw, l.KeyHint.Y - 8*us - mh, mw, mh}
	return l
}

// ChatRect is the screen area the chat lines take (n lines of 22 px at UI scale 1 above
// ChatBottom).
func (l HUDLayout) ChatRect(w, h float64, n int) Rect {
	us := UIScale(w, h)
	top := l.ChatBottom - float64(n)*22*us
	return Rect{l.ChatField.X, top, l.ChatField.W, l.ChatBottom - top}
}

// Covers reports whether r hides any of a disc of radius rad at (x, y), in pixels.
func (r Rect) Covers(x, y, rad float64) bool {
	cx := math.Max(r.X, math.Min(x, r.X+r.W))
	cy := math.Max(r.Y, math.Min(y, r.Y+r.H))
	return math.Hypot(x-cx, y-cy) < rad
}
