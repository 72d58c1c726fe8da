package view

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/assets/palette"
	"github.com/skirmish-go/skirmish/client"
)

func TestCameraRoundTrip(t *testing.T) {
	world := client.Vec{X: 2000, Y: 1300}
	for _, size := range [][2]float64{{1280, 720}, {1920, 1080}, {800, 1200}, {640, 480}} {
		c := NewCamera(world, client.Vec{X: 1000, Y: 650}, size[0], size[1])
		p := client.Vec{X: 1234.5, Y: 567.25}
		x, y := c.ToScreen(p)
		q := c.ToWorld(x, y)
		assert.InDelta(t, p.X, q.X, 1e-9)
		assert.InDelta(t, p.Y, q.Y, 1e-9)
		// the focus is at the screen's centre when not clamped
		cx, cy := c.ToScreen(client.Vec{X: 1000, Y: 650})
		assert.InDelta(t, size[0]/2, cx, 1e-9)
		assert.InDelta(t, size[1]/2, cy, 1e-9)
		// at least the minimum view is visible
		assert.GreaterOrEqual(t, size[0]/c.Scale, ViewWidth-1e-9)
		assert.GreaterOrEqual(t, size[1]/c.Scale, ViewHeight-1e-9)
	}
}

func TestCameraScalesWithWindow(t *testing.T) {
	world := client.Vec{X: 2000, Y: 1300}
	small := NewCamera(world, client.Vec{X: 1000, Y: 650}, 1280, 720)
	big := NewCamera(world, client.Vec{X: 1000, Y: 650}, 2560, 1440)
	assert.InDelta(t, 2*small.Scale, big.Scale, 1e-9, "same view of the world, twice the pixels")
}

func TestCameraClampsAtArenaEdge(t *testing.T) {
	world := client.Vec{X: 2000, Y: 1300}
	c := NewCamera(world, client.Vec{X: 0, Y: 0}, 1280, 720)
	// the top-left screen corner shows at most EdgeMargin outside the arena
	p := c.ToWorld(0, 0)
	assert.InDelta(t, -EdgeMargin, p.X, 1e-6)
	assert.InDelta(t, -EdgeMargin, p.Y, 1e-6)
	c = NewCamera(world, world, 1280, 720)
	p = c.ToWorld(1280, 720)
	assert.InDelta(t, world.X+EdgeMargin, p.X, 1e-6)
	assert.InDelta(t, world.Y+EdgeMargin, p.Y, 1e-6)
	// a small arena is centred
	tiny := client.Vec{X: 300, Y: 200}
	c = NewCamera(tiny, client.Vec{X: 0, Y: 0}, 1280, 720)
	assert.Equal(t, client.Vec{X: 150, Y: 100}, c.Center)
}

func TestCameraVisible(t *testing.T) {
	c := NewCamera(client.Vec{X: 2000, Y: 1300}, client.Vec{X: 1000, Y: 650}, 1280, 720)
	assert.True(t, c.Visible(990, 640, 20, 20, 0))
	assert.False(t, c.Visible(0, 0, 20, 20, 0))
	assert.True(t, c.Visible(0, 0, 20, 20, 1000))
}

func TestAimAndMove(t *testing.T) {
	assert.InDelta(t, 0, AimAngle(client.Vec{}, client.Vec{X: 5}), 1e-12)
	assert.InDelta(t, math.Pi/2, AimAngle(client.Vec{}, client.Vec{Y: 5}), 1e-12, "y down: pointing down is +90°")
	assert.Equal(t, client.Vec{}, MoveVector(true, true, false, false))
	v := MoveVector(true, false, false, true)
	assert.InDelta(t, 1, v.Len(), 1e-12, "diagonals are not faster")
	assert.Less(t, v.Y, 0.0)
	assert.Greater(t, v.X, 0.0)
}

func TestFormatClock(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0:00", -time.Second: "0:00", 300 * time.Second: "5:00", 299500 * time.Millisecond: "5:00",
		61 * time.Second: "1:01", 9 * time.Second: "0:09", 100 * time.Millisecond: "0:01",
	} {
		assert.Equal(t, want, FormatClock(d), d)
	}
}

func TestOrdinal(t *testing.T) {
	for n, want := range map[int]string{1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 11: "11th", 12: "12th", 13: "13th", 21: "21st", 102: "102nd"} {
		assert.Equal(t, want, Ordinal(n))
	}
}

func testScene() *client.Scene {
	return &client.Scene{
		Mode: "ffa", World: client.Vec{X: 1000, Y: 1000}, ScoreLimit: 20,
		Players: []client.ScenePlayer{
			{Slot: 0, Name: "Ada", Score: 3, Kills: 3, Deaths: 1, Local: true, Alive: true, Health: 80, MaxHealth: 100},
			{Slot: 1, Name: "Bob", Score: 5, Kills: 5, Deaths: 2},
			{Slot: 2, Name: "Cy", Score: 3, Kills: 4, Deaths: 0},
			{Slot: 3, Name: "Di", Score: 0},
		},
	}
}

func TestStandingsAndRank(t *testing.T) {
	s := testScene()
	lines := Standings(s)
	var names []string
	for _, l := range lines {
		names = append(names, l.Name)
	}
	assert.Equal(t, []string{"Bob", "Cy", "Ada", "Di"}, names, "score, then kills")
	assert.Equal(t, "3rd of 4", RankText(s), "ranked as the scoreboard: Cy has the same score and more kills")
	s.Players[2].Kills, s.Players[2].Deaths = 3, 1
	assert.Equal(t, "2nd of 4", RankText(s), "equal score, kills and deaths share the better rank")
	assert.Equal(t, "Score 3 / 20", ScoreText(s))
	s.Players[0].Local = false
	assert.Equal(t, "", RankText(s))
	assert.Equal(t, "Spectating / 20", ScoreText(s))
}

func TestTeamTexts(t *testing.T) {
	s := testScene()
	s.Teams, s.TeamScores = 2, []int{12, 9}
	assert.Equal(t, "Red 12  ·  Blue 9 / 20", ScoreText(s))
	assert.Equal(t, "Red team wins", WinnerText(s))
	s.TeamScores = []int{9, 9}
	assert.Equal(t, "Draw", WinnerText(s))
	s.Teams = 0
	s.Final = []client.ScoreLine{{Name: "Bob", Score: 1}, {Name: "Ada", Local: true}}
	assert.Equal(t, "Bob wins", WinnerText(s))
	s.Final[0].Local = true
	assert.Equal(t, "You win!", WinnerText(s))
}

// TestWinnerTextRanksFinalScores: the server sends the final scores in slot order; the winner
// is the best by score, then kills, then fewer deaths, never simply the first line.
func TestWinnerTextRanksFinalScores(t *testing.T) {
	s := &client.Scene{Mode: "ffa", MatchOver: true, Final: []client.ScoreLine{
		{Slot: 0, Name: "you", Score: 0, Local: true},
		{Slot: 1, Name: "bot-1", Score: 5, Kills: 5},
		{Slot: 2, Name: "bot-2", Score: 2, Kills: 2},
	}}
	assert.Equal(t, "bot-1 wins", WinnerText(s))
	s.Final = []client.ScoreLine{
		{Slot: 0, Name: "amy", Score: 4, Kills: 4, Deaths: 3},
		{Slot: 1, Name: "you", Score: 4, Kills: 5, Deaths: 3, Local: true},
	}
	assert.Equal(t, "You win!", WinnerText(s), "equal score: more kills wins")
	s.Final = []client.ScoreLine{
		{Slot: 0, Name: "amy", Score: 4, Kills: 4, Deaths: 3},
		{Slot: 1, Name: "bea", Score: 4, Kills: 4, Deaths: 1},
	}
	assert.Equal(t, "bea wins", WinnerText(s), "equal score and kills: fewer deaths wins")
}

func TestColours(t *testing.T) {
	// team mode: by team; free-for-all: by slot
	assert.Equal(t, palette.Teams[1], PlayerColor(2, 1, 0))
	assert.Equal(t, palette.Teams[5], PlayerColor(0, 1, 5))
	assert.Equal(t, palette.Teams[1], PlayerColor(0, 0, uint8(len(palette.Teams)+1)), "slots wrap around the palette")
	assert.Equal(t, palette.Good, HealthColor(100, 100))
	assert.Equal(t, palette.Bad, HealthColor(10, 100))
	assert.NotEqual(t, HealthColor(50, 100), HealthColor(100, 100))
	assert.Equal(t, 0.0, HealthFraction(5, 0))
	assert.Equal(t, 1.0, HealthFraction(150, 100))
	// team hues are far enough apart for the screenshot check to tell them apart
	for i, a := range palette.Teams {
		ha, sa, _ := hsv(a)
		assert.Greater(t, sa, 0.55, "team %d is saturated", i)
		for j, b := range palette.Teams[i+1:] {
			hb, _, _ := hsv(b)
			d := math.Abs(ha - hb)
			d = math.Min(d, 360-d)
			assert.Greater(t, d, 15.0, "teams %d and %d", i, i+1+j)
		}
	}
}

func TestFadeAndEffects(t *testing.T) {
	assert.Equal(t, 1.0, FadeAlpha(0, 6*time.Second))
	assert.InDelta(t, 0.5, FadeAlpha(5500*time.Millisecond, 6*time.Second), 1e-9)
	assert.Equal(t, 0.0, FadeAlpha(7*time.Second, 6*time.Second))
	e := client.SceneEffect{Kind: client.EffectDeath, Age: DeathLife / 2}
	assert.InDelta(t, 0.5, EffectProgress(e), 1e-9)
	e.Life = DeathLife / 4
	assert.Equal(t, 1.0, EffectProgress(e))
	assert.Equal(t, BeamLife, EffectLife(client.SceneEffect{Kind: client.EffectBeam}))
}

func TestNetLines(t *testing.T) {
	lines := NetLines(client.NetStats{RTT: 42 * time.Millisecond, Loss: 0.1, KbpsIn: 96.5, KbpsOut: 20,
		SnapshotRate: 30, InterpDelay: 100 * time.Millisecond, PredictionError: 0.25})
	require.Len(t, lines, 7)
	assert.Equal(t, "ping   42 ms", lines[0])
	assert.Equal(t, "loss  10.0 %", lines[1])
	assert.Contains(t, lines[2], "96.5 kbps")
	assert.Contains(t, lines[4], "30.0 Hz")
	assert.Contains(t, lines[5], "100 ms")
	assert.Contains(t, lines[6], "0.25")
}

func TestNetHistory(t *testing.T) {
	var h NetHistory
	assert.Equal(t, 0, h.Len())
	for i := 0; i < DefaultNetHistory+5; i++ {
		h.Push(client.NetStats{KbpsIn: float64(i)})
	}
	require.Equal(t, DefaultNetHistory, h.Len())
	assert.Equal(t, 5.0, h.At(0).KbpsIn, "oldest kept")
	assert.Equal(t, float64(DefaultNetHistory+4), h.At(DefaultNetHistory-1).KbpsIn)
	assert.Equal(t, float64(DefaultNetHistory+4), h.Max(func(n client.NetStats) float64 { return n.KbpsIn }))
	assert.Equal(t, 50.0, GraphScale(42, 10))
	assert.Equal(t, 200.0, GraphScale(101, 10))
	assert.Equal(t, 10.0, GraphScale(0, 10))
	assert.Equal(t, 1.0, GraphScale(0.3, 1))
}

func TestEditLine(t *testing.T) {
	assert.Equal(t, "abc", EditLine("ab", []rune{'c'}, 0, 10))
	assert.Equal(t, "a", EditLine("abc", nil, 2, 10))
	assert.Equal(t, "", EditLine("a", nil, 5, 10))
	assert.Equal(t, "abcd", EditLine("ab", []rune("cdef"), 0, 4))
	assert.Equal(t, "ab", EditLine("ab", []rune{'\n', '\t', 0x7f}, 0, 10), "no control characters")
	assert.Equal(t, "héé", EditLine("hé", []rune("é"), 0, 3), "limit counts runes")
}

func TestTexts(t *testing.T) {
	assert.Equal(t, "", QueueText(client.QueueState{}, client.ArenaModes()))
	assert.Equal(t, "Searching for a Team battle match… 0:05  (3/8 players)",
		QueueText(client.QueueState{Queued: true, Mode: "teams", Waited: 5 * time.Second, Found: 3, Needed: 8}, client.ArenaModes()))
	assert.Equal(t, "Room K7 · Free for all · 2/6 · in match", RoomLine(client.RoomSummary{Code: "K7", Mode: "ffa", Players: 2, MaxPlayers: 6, InMatch: true}, client.ArenaModes()))
	assert.Equal(t, "Score limit reached", EndReasonText("score_limit"))
	assert.Equal(t, "weird", EndReasonText("weird"))
	assert.Equal(t, "You were eliminated · respawn in 1.5s", RespawnText(&client.ScenePlayer{RespawnIn: 1500 * time.Millisecond}))
	assert.Equal(t, "-", PingText(0))
	assert.Equal(t, "35", PingText(35*time.Millisecond))
	assert.False(t, AllReady(nil))
	assert.False(t, AllReady(&client.RoomView{Members: []client.RoomMember{{Ready: true}}}))
	assert.True(t, AllReady(&client.RoomView{Members: []client.RoomMember{{Ready: true}, {Ready: true}}}))
}

// inside reports whether r lies within a w×h screen.
func inside(r Rect, w, h float64) bool {
	return r.X >= 0 && r.Y >= 0 && r.X+r.W <= w+1e-9 && r.Y+r.H <= h+1e-9 && r.W > 0 && r.H > 0
}

func overlap(a, b Rect) bool {
	return a.X < b.X+b.W && b.X < a.X+a.W && a.Y < b.Y+b.H && b.Y < a.Y+a.H
}

func TestLayoutsFitTheScreen(t *testing.T) {
	for _, size := range [][2]float64{{1280, 720}, {1920, 1080}, {1024, 768}, {2560, 1440}, {640, 400}, {800, 600}} {
		w, h := size[0], size[1]
		c := LayoutConnect(w, h)
		for _, r := range []Rect{c.Title, c.Panel, c.NameField, c.AddrField, c.Connect, c.Status, c.Hint} {
			assert.True(t, inside(r, w, h), "connect %v in %vx%v", r, w, h)
		}
		assert.False(t, overlap(c.NameField, c.AddrField))
		assert.False(t, overlap(c.AddrField, c.Connect))
		assert.False(t, overlap(c.Panel, c.Status), "status under the panel at %vx%v", w, h)
		assert.False(t, overlap(c.Status, c.Hint), "status above the key hint at %vx%v", w, h)
		assert.False(t, overlap(c.Title, c.Panel))

		l := LayoutLobby(w, h, 3, 50)
		require.Len(t, l.ModeButton, 3)
		assert.NotEmpty(t, l.RoomRow)
		assert.Less(t, len(l.RoomRow), 50, "rows that do not fit are left out")
		all := []Rect{l.Play, l.Rooms, l.Room, l.Chat, l.Ready, l.Leave, l.CreatePub, l.CreatePriv, l.CodeField, l.Join, l.ChatField, l.Cancel, l.Status}
		all = append(all, l.ModeButton...)
		all = append(all, l.RoomRow...)
		for _, r := range all {
			assert.True(t, inside(r, w, h), "lobby %v in %vx%v", r, w, h)
		}
		for _, p := range [][2]Rect{{l.Play, l.Rooms}, {l.Rooms, l.Room}, {l.Room, l.Chat}, {l.CreatePub, l.CreatePriv}, {l.CodeField, l.Join}, {l.Ready, l.Leave}} {
			assert.False(t, overlap(p[0], p[1]), "%v and %v", p[0], p[1])
		}
		for _, r := range l.RoomRow {
			assert.False(t, overlap(r, l.CreatePub))
		}

		sb := LayoutScoreboard(w, h, 100, 0.16)
		assert.True(t, inside(sb.Panel, w, h), "scoreboard fits")
		for _, r := range sb.Rows {
			assert.True(t, inside(r, w, h))
		}
	}
	assert.Equal(t, 1.0, UIScale(1280, 720))
	assert.Equal(t, 1.5, UIScale(1920, 1080))
	assert.Equal(t, 0.75, UIScale(320, 200))
}

func TestRectHelpers(t *testing.T) {
	r := Rect{10, 10, 100, 50}
	assert.True(t, r.Contains(10, 10))
	assert.False(t, r.Contains(110, 10))
	assert.Equal(t, Rect{20, 20, 80, 30}, r.Inset(10))
	assert.Equal(t, Rect{10, 10 + 2*(20+5), 100, 20}, r.Row(2, 20, 5))
	a, b := r.SplitX(0.5, 10)
	assert.Equal(t, Rect{10, 10, 45, 50}, a)
	assert.Equal(t, Rect{65, 10, 45, 50}, b)
}

func TestPlayersInView(t *testing.T) {
	world := client.Vec{X: 2000, Y: 1300}
	c := NewCamera(world, client.Vec{X: 1000, Y: 650}, 1280, 720)
	s := &client.Scene{World: world, Players: []client.ScenePlayer{
		{Slot: 0, Pos: client.Vec{X: 1000, Y: 650}, Alive: true, Local: true}, // centre
		{Slot: 1, Pos: client.Vec{X: 1100, Y: 700}, Alive: true},              // near
		{Slot: 2, Pos: client.Vec{X: 1150, Y: 600}, Alive: false},             // dead
		{Slot: 3, Pos: client.Vec{X: 1800, Y: 650}, Alive: true},              // off screen
		{Slot: 4, Pos: c.ToWorld(1270, 360), Alive: true, Radius: 16},         // cut by the edge
	}}
	assert.Equal(t, 2, c.PlayersInView(s, 0))
	// a margin the size of the HUD leaves out a player near the edge
	s.Players[1].Pos = c.ToWorld(1280-40, 360)
	assert.Equal(t, 2, c.PlayersInView(s, 0))
	assert.Equal(t, 1, c.PlayersInView(s, 0.12*720))
	assert.Zero(t, c.PlayersInView(&client.Scene{}, 0))
}

// TestLayoutHUD: at every window size down to 640×400 the chat input does not cover the
// chat lines, the minimap stays clear of the key hint and the health panel, and everything is
// on screen.
func TestLayoutHUD(t *testing.T) {
	for _, size := range [][2]float64{{640, 400}, {800, 600}, {1280, 720}, {1920, 1080}} {
		w, h := size[0], size[1]
		for _, open := range []bool{false, true} {
			l := LayoutHUD(w, h, open)
			for _, r := range []Rect{l.Health, l.ChatField, l.Minimap, l.KeyHint} {
				assert.True(t, inside(r, w, h), "%v in %vx%v", r, w, h)
			}
			assert.False(t, overlap(l.Minimap, l.KeyHint), "minimap over the key hint at %vx%v", w, h)
			assert.False(t, overlap(l.Minimap, l.Health), "minimap over health at %vx%v", w, h)
			assert.False(t, overlap(l.ChatField, l.Health))
			assert.LessOrEqual(t, l.ChatBottom, l.Health.Y, "chat lines above the health panel")
			if open {
				assert.LessOrEqual(t, l.ChatBottom, l.ChatField.Y, "chat lines above the open input at %vx%v", w, h)
			}
		}
		cr := LayoutHUD(w, h, false).ChatRect(w, h, LayoutHUD(w, h, false).ChatLines)
		assert.True(t, inside(cr, w, h))
		assert.False(t, overlap(cr, l0(w, h).Health), "chat lines over the health panel at %vx%v", w, h)
		if h < 600 {
			assert.Equal(t, 3, LayoutHUD(w, h, false).ChatLines, "fewer chat lines on a short screen")
		}
		// The minimap is at most a fifth of the width: at the screen's centre (where the
		// camera keeps the player unless it is clamped at the arena's edge) it hides nothing.
		l := LayoutHUD(w, h, false)
		assert.LessOrEqual(t, l.Minimap.W, w*0.2+1e-9)
		assert.False(t, l.Minimap.Covers(w/2, h/2, 40))
	}
	r := Rect{100, 100, 50, 50}
	assert.True(t, r.Covers(120, 120, 1))
	assert.True(t, r.Covers(95, 120, 6), "a disc reaching in from the side")
	assert.False(t, r.Covers(90, 120, 6))
}

// TestLeaveDialog: Esc asks, Enter leaves, Esc again stays; alone or with the connection
// lost, Esc leaves at once.
func TestLeaveDialog(t *testing.T) {
	var d LeaveDialog
	assert.False(t, d.Key(false, true, false), "Enter alone opens chat, not a leave")
	assert.False(t, d.Open)
	assert.False(t, d.Key(true, false, false))
	assert.True(t, d.Open, "Esc asks")
	assert.False(t, d.Key(true, false, false))
	assert.False(t, d.Open, "Esc again stays")
	d.Key(true, false, false)
	assert.True(t, d.Key(false, true, false), "Enter leaves")
	assert.False(t, d.Open)
	assert.True(t, d.Key(true, false, true), "alone: Esc leaves at once")
	assert.Contains(t, KeyHint(&client.Scene{}), "Esc leave")
}

func TestMatchBanners(t *testing.T) {
	s := &client.Scene{Silence: 900 * time.Millisecond}
	assert.Empty(t, SilenceText(s))
	s.Silence = 1100 * time.Millisecond
	assert.Contains(t, SilenceText(s), "Connection lost")
	s.MatchOver = true
	assert.Empty(t, SilenceText(s), "a finished match is not lost")
	assert.Empty(t, AloneText(&client.Scene{}))
	assert.Contains(t, AloneText(&client.Scene{Alone: true}), "Everyone else has left")
	title, detail := JoiningText(client.LobbyView{})
	assert.Equal(t, "Joining the match…", title)
	assert.Empty(t, detail)
	title, detail = JoiningText(client.LobbyView{MatchAttempt: 2, MatchAttempts: 5})
	assert.Equal(t, "Connection lost", title)
	assert.Equal(t, "Reconnecting to the match… attempt 2 of 5", detail)
	assert.Equal(t, "59 fps · 30 tps", FrameRateText(59.4, 30))
}

// TestHashLobby: the menus redraw when what they show changes, and only then.
func TestHashLobby(t *testing.T) {
	lv := client.LobbyView{Stage: client.StageLobby, Status: "connected as ada", PlayerName: "ada",
		Modes: []string{"ffa"}, Queue: client.QueueState{Queued: true, Mode: "ffa", Waited: 5200 * time.Millisecond}}
	h := HashLobby(lv)
	same := lv
	same.Queue.Waited = 5900 * time.Millisecond
	assert.Equal(t, h, HashLobby(same), "the clock shows whole seconds")
	for name, f := range map[string]func(*client.LobbyView){
		"status":  func(v *client.LobbyView) { v.Status = "search cancelled" },
		"error":   func(v *client.LobbyView) { v.Error = true },
		"second":  func(v *client.LobbyView) { v.Queue.Waited = 6 * time.Second },
		"rooms":   func(v *client.LobbyView) { v.Rooms = []client.RoomSummary{{Code: "K7"}} },
		"room":    func(v *client.LobbyView) { v.Room = &client.RoomView{Code: "K7"} },
		"link":    func(v *client.LobbyView) { v.Link = client.LinkReconnecting },
		"attempt": func(v *client.LobbyView) { v.MatchAttempt = 1 },
	} {
		v := lv
		f(&v)
		assert.NotEqual(t, h, HashLobby(v), name)
	}
	withChat := lv
	withChat.Room = &client.RoomView{Chat: []client.ChatLine{{From: "bo", Text: "hi", Age: time.Second}}}
	older := withChat
	older.Room = &client.RoomView{Chat: []client.ChatLine{{From: "bo", Text: "hi", Age: time.Minute}}}
	assert.Equal(t, HashLobby(withChat), HashLobby(older), "chat ages are not drawn")
}

func TestDepartedTexts(t *testing.T) {
	assert.Equal(t, "Everyone else left", EndReasonText("players_left"))
	assert.Equal(t, "bo (left)", ScoreName(client.ScoreLine{Name: "bo", Left: true}))
	assert.Equal(t, "bo", ScoreName(client.ScoreLine{Name: "bo"}))
}

func TestCaretOn(t *testing.T) {
	t0 := time.Unix(100, 0)
	assert.True(t, CaretOn(t0, t0))
	assert.False(t, CaretOn(t0.Add(600*time.Millisecond), t0))
	assert.True(t, CaretOn(t0.Add(1100*time.Millisecond), t0))
	for d := CaretBlinkFor; d < CaretBlinkFor+3*time.Second; d += 100 * time.Millisecond {
		assert.True(t, CaretOn(t0.Add(d), t0), "steady after %v", d)
	}
}

func l0(w, h float64) HUDLayout { return LayoutHUD(w, h, false) }
