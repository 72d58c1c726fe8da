package view

import (
	"hash/fnv"
	"io"
	"strconv"
	"time"

	"github.com/skirmish-go/skirmish/client"
)

// MenuFrame is everything a menu screen (connect, lobby, joining) draws from. Two equal
// MenuFrames draw the same picture, so the renderer redraws a menu only when its MenuFrame
// changes: a static menu then costs a few updates a second instead of a full frame at the
// display's rate (with the screen kept between frames, Ebiten skips presenting it too).
type MenuFrame struct {
	Screen uint8
	W, H   int
	// Lobby is HashLobby of the lobby view shown.
	Lobby uint64
	// Focus and Fields are the focused text field and the fields' contents.
	Focus  uint8
	Fields string
	// CursorX and CursorY place the mouse (buttons light up under it); Blink is the text
	// cursor's phase.
	CursorX, CursorY int
	Blink            bool
	// Extra is anything else drawn (the frame rate line under F3).
	Extra string
}

// CaretBlinkFor is how long after the last keystroke (or focus change) the text cursor
// blinks; then it stays on, so an idle menu has nothing to redraw.
const CaretBlinkFor = 5 * time.Second

// CaretOn says whether the text cursor shows at now, the last keystroke having been at
// typed: on for half a second, off for half, from the keystroke on, and steady after
// CaretBlinkFor.
func CaretOn(now, typed time.Time) bool {
	d := now.Sub(typed)
	return d < 0 || d >= CaretBlinkFor || d/(500*time.Millisecond)%2 == 0
}

// HashLobby hashes what the menus draw of a lobby view: a change that shows changes the
// hash. The queue's wait counts in whole seconds (the clock shows seconds), and chat ages
// are left out (lobby chat does not fade).
func HashLobby(lv client.LobbyView) uint64 {
	h := fnv.New64a()
	w := func(ss ...string) {
		for _, s := range ss {
			io.WriteString(h, s)
			h.Write([]byte{0})
		}
	}
	b := func(v bool) string { return strconv.FormatBool(v) }
	n := func(v int) string { return strconv.Itoa(v) }
	w(n(int(lv.Stage)), lv.Status, b(lv.Error), lv.PlayerName, n(int(lv.Link)), n(lv.LinkAttempt),
		n(lv.MatchAttempt), n(lv.MatchAttempts))
	for _, m := range lv.Modes {
		w(m)
	}
	w(n(len(lv.Rooms)))
	for _, r := range lv.Rooms {
		w(r.Code, r.Name, r.Mode, n(r.Players), n(r.MaxPlayers), b(r.InMatch))
	}
	w(n(len(lv.Live)))
	for _, m := range lv.Live {
		w(m.MatchID, m.Mode, n(m.Players), n(m.MaxPlayers), n(int(m.Elapsed/time.Second)), m.Leaders)
	}
	q := lv.Queue
	w(b(q.Queued), q.Mode, n(int(q.Waited/time.Second)), n(q.Found), n(q.Needed))
	chat := func(lines []client.ChatLine) {
		w(n(len(lines)))
		for _, l := range lines {
			w(l.From, l.Text, b(l.System))
		}
	}
	chat(lv.Chat)
	if r := lv.Room; r != nil {
		w("room", r.Code, r.Name, r.Mode, b(r.Private), n(r.MaxPlayers))
		for _, m := range r.Members {
			w(m.Name, n(int(m.Team)), b(m.Ready), b(m.Host), b(m.You))
		}
		chat(r.Chat)
	}
	return h.Sum64()
}
