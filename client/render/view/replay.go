package view

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/skirmish-go/skirmish/client"
)

// ReplayKeys is the key line of the replay screen's controls bar.
const ReplayKeys = "Space pause · - + speed · ← → 5 s · Home End · 1-9 Tab click follow · 0 drag WASD free · Esc quit"

// ReplayHint replaces the live match's key hint (bottom right) during a replay.
const ReplayHint = "Tab scores · F3 net"

// ReplayBar is where the replay's controls bar goes: the bottom centre, between the health
// panel and the key hint, at the health panel's height; Track is the progress bar in it.
type ReplayBar struct {
	Panel, Track Rect
}

// LayoutReplayBar lays out the controls bar of a w×h screen.
func LayoutReplayBar(w, h float64) ReplayBar {
	us := UIScale(w, h)
	hud := LayoutHUD(w, h, false)
	pad := 18 * us
	x0 := hud.Health.X + hud.Health.W + pad
	x1 := hud.KeyHint.X - pad
	if x1-x0 < 240*us { // narrow window: the whole width, above the HUD's bottom row
		x0, x1 = pad, w-pad
		return ReplayBar{Panel: Rect{x0, hud.Minimap.Y - 8*us - 64*us, x1 - x0, 64 * us},
			Track: Rect{x0 + 14*us, hud.Minimap.Y - 8*us - 64*us + 28*us, x1 - x0 - 28*us, 10 * us}}
	}
	p := Rect{x0, hud.Health.Y, x1 - x0, hud.Health.H}
	return ReplayBar{Panel: p, Track: Rect{p.X + 14*us, p.Y + 28*us, p.W - 28*us, 10 * us}}
}

// SeekFraction is where on the track x falls, 0 (start) to 1 (end).
func (b ReplayBar) SeekFraction(x float64) float64 {
	if b.Track.W <= 0 {
		return 0
	}
	return math.Max(0, math.Min(1, (x-b.Track.X)/b.Track.W))
}

// ReplayStatus is what the controls bar says about the playback.
type ReplayStatus struct {
	Pos, End time.Duration
	Speed    float64
	Paused   bool
	// Following is the followed player's name; "" is the free camera.
	Following string
	// Mismatch, when set, says the re-simulation left the recorded match at that time.
	Mismatch time.Duration
}

// ReplayStatusText is the controls bar's first line: "Playing 1× 0:42 / 5:00 · following Ada".
func ReplayStatusText(s ReplayStatus) string {
	state := "Playing"
	if s.Paused {
		state = "Paused"
	}
	who := "free camera"
	if s.Following != "" {
		who = "following " + s.Following
	}
	line := fmt.Sprintf("%s %s× %s / %s · %s", state, SpeedText(s.Speed), elapsedClock(s.Pos), elapsedClock(s.End), who)
	if s.Mismatch > 0 {
		line += " · desync at " + elapsedClock(s.Mismatch)
	}
	return line
}

// SpeedText formats a playback speed: "0.25", "0.5", "1", "8".
func SpeedText(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

// elapsedClock formats a time into the match, rounding down (FormatClock counts a clock
// down and rounds up).
func elapsedClock(d time.Duration) string {
	s := int(max(d, 0) / time.Second)
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// PlayerAt returns the slot of the living player under the screen point (x, y), if any: the
// nearest whose body (with a margin, for a quick click) covers it.
func PlayerAt(s *client.Scene, c Camera, x, y float64) (uint8, bool) {
	w := c.ToWorld(x, y)
	best, bestD := uint8(0), math.Inf(1)
	for i := range s.Players {
		p := &s.Players[i]
		r := p.Radius
		if r <= 0 {
			r = 16
		}
		if d := p.Pos.Sub(w).Len(); p.Alive && d <= r*1.5 && d < bestD {
			best, bestD = p.Slot, d
		}
	}
	return best, !math.IsInf(bestD, 1)
}
