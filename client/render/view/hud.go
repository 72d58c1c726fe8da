package view

import (
	"fmt"
	"image/color"
	"math"
	"strings"
	"time"

	"github.com/skirmish-go/skirmish/assets/palette"
	"github.com/skirmish-go/skirmish/client"
	"github.com/skirmish-go/skirmish/lobby/proto"
)

// DefaultRadius is a player's body radius when the scene leaves it 0.
const DefaultRadius = 16.0

// Default lifetimes of effects whose Life is 0, and of HUD lines.
const (
	HitLife      = 300 * time.Millisecond
	DeathLife    = 900 * time.Millisecond
	BeamLife     = 250 * time.Millisecond
	SpawnLife    = 500 * time.Millisecond
	KillFeedLife = 6 * time.Second
	ChatLife     = 10 * time.Second
	// KillFeedLines and ChatLines are how many lines the match HUD shows at most.
	KillFeedLines = 5
	ChatLines     = 6
)

// IsTeamMode reports whether players are coloured by team rather than by slot.
func IsTeamMode(s *client.Scene) bool { return s.Teams >= 2 }

// PlayerColor is the colour a player, its projectiles and effects are drawn in: its team's in
// team modes, its slot's in free-for-all.
func PlayerColor(teams int, team, slot uint8) color.RGBA {
	if teams >= 2 {
		return palette.Team(int(team))
	}
	return palette.Team(int(slot))
}

// HealthColor goes from green (full) through amber to red (empty).
func HealthColor(health, maxHealth int) color.RGBA {
	f := HealthFraction(health, maxHealth)
	switch {
	case f > 0.6:
		return palette.Good
	case f > 0.3:
		return color.RGBA{250, 196, 56, 255}
	}
	return palette.Bad
}

// HealthFraction is health/maxHealth in 0..1 (0 when maxHealth is not positive).
func HealthFraction(health, maxHealth int) float64 {
	if maxHealth <= 0 {
		return 0
	}
	return math.Max(0, math.Min(1, float64(health)/float64(maxHealth)))
}

// FormatClock formats a match clock as m:ss, rounding up so 0:00 means the end.
func FormatClock(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int((d + time.Second - 1) / time.Second)
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// EffectLife is e.Life, or the default for its kind when 0.
func EffectLife(e client.SceneEffect) time.Duration {
	if e.Life > 0 {
		return e.Life
	}
	switch e.Kind {
	case client.EffectDeath:
		return DeathLife
	case client.EffectBeam:
		return BeamLife
	case client.EffectSpawn:
		return SpawnLife
	}
	return HitLife
}

// EffectProgress is how far through its life an effect is, 0..1.
func EffectProgress(e client.SceneEffect) float64 {
	return math.Max(0, math.Min(1, float64(e.Age)/float64(EffectLife(e))))
}

// FadeAlpha is the opacity of a HUD line of the given age that lives life: fully opaque, then
// fading out over its last second.
func FadeAlpha(age, life time.Duration) float64 {
	const fade = time.Second
	switch {
	case age >= life:
		return 0
	case age <= life-fade:
		return 1
	}
	return float64(life-age) / float64(fade)
}

// Local returns the local player, or nil.
func Local(s *client.Scene) *client.ScenePlayer {
	for i := range s.Players {
		if s.Players[i].Local {
			return &s.Players[i]
		}
	}
	return nil
}

// Standings returns the scene's players as scoreboard lines, best first (score, then kills,
// then fewer deaths, then name).
func Standings(s *client.Scene) []client.ScoreLine {
	lines := make([]client.ScoreLine, 0, len(s.Players))
	for _, p := range s.Players {
		lines = append(lines, client.ScoreLine{Slot: p.Slot, Team: p.Team, Name: p.Name, Score: p.Score,
			Kills: p.Kills, Deaths: p.Deaths, Ping: p.Ping, Local: p.Local})
	}
	SortScores(lines)
	return lines
}

// SortScores sorts scoreboard lines best first (client.CompareScores: score, kills, fewer
// deaths, name).
func SortScores(lines []client.ScoreLine) { client.SortScores(lines) }

// RankText says where the local player stands: "1st of 6", ranked as the scoreboard ranks
// (score, then kills, then fewer deaths). Players equal on all three share the better rank.
func RankText(s *client.Scene) string {
	lp := Local(s)
	if lp == nil || len(s.Players) == 0 {
		return ""
	}
	line := func(p *client.ScenePlayer) client.ScoreLine {
		return client.ScoreLine{Score: p.Score, Kills: p.Kills, Deaths: p.Deaths}
	}
	rank := 1
	for i := range s.Players {
		if client.CompareScores(line(&s.Players[i]), line(lp)) < 0 {
			rank++
		}
	}
	return fmt.Sprintf("%s of %d", Ordinal(rank), len(s.Players))
}

// Ordinal formats n as 1st, 2nd, 3rd, 4th, 11th, 21st...
func Ordinal(n int) string {
	suffix := "th"
	if n%100 < 11 || n%100 > 13 {
		switch n % 10 {
		case 1:
			suffix = "st"
		case 2:
			suffix = "nd"
		case 3:
			suffix = "rd"
		}
	}
	return fmt.Sprintf("%d%s", n, suffix)
}

// ScoreText is the HUD's score line: the local player's (or, in team modes, the teams') score
// against the limit: "Score 7 / 20", "Red 12 : 9 Blue / 30".
func ScoreText(s *client.Scene) string {
	limit := ""
	if s.ScoreLimit > 0 {
		limit = fmt.Sprintf(" / %d", s.ScoreLimit)
	}
	if IsTeamMode(s) && len(s.TeamScores) >= 2 {
		parts := make([]string, len(s.TeamScores))
		for i, v := range s.TeamScores {
			parts[i] = fmt.Sprintf("%s %d", TeamName(i), v)
		}
		return strings.Join(parts, "  ·  ") + limit
	}
	lp := Local(s)
	if lp == nil {
		return "Spectating" + limit
	}
	return fmt.Sprintf("Score %d%s", lp.Score, limit)
}

// TeamName names team t after its colour.
func TeamName(t int) string {
	names := []string{"Red", "Blue", "Green", "Amber", "Violet", "Cyan", "Pink", "Orange"}
	if t < 0 {
		t = -t
	}
	return names[t%len(names)]
}

// ModeName is the long name of a mode for titles: the title the lobby lists for it in modes
// (client.LobbyView.ModeInfo), else the mode's own name ("Match" when there is none).
func ModeName(modes []proto.ModeInfo, mode string) string {
	if mode == "" {
		return "Match"
	}
	if t := client.ModeTitle(modes, mode); t != "" {
		return t
	}
	return mode
}

// RespawnText is shown while the local player is dead.
func RespawnText(p *client.ScenePlayer) string {
	if p.RespawnIn <= 0 {
		return "You were eliminated"
	}
	return fmt.Sprintf("You were eliminated · respawn in %.1fs", p.RespawnIn.Seconds())
}

// EndReasonText explains why a match ended.
func EndReasonText(reason string) string {
	switch reason {
	case "score_limit":
		return "Score limit reached"
	case "time_limit":
		return "Time is up"
	case "abandoned":
		return "Match abandoned"
	case "players_left":
		return "Everyone else left"
	case "drained":
		return "Server shutting down"
	case "":
		return "Match over"
	}
	return reason
}

// WinnerText names the winner of a finished match: a team in team modes, else the best player.
func WinnerText(s *client.Scene) string {
	if IsTeamMode(s) && len(s.TeamScores) >= 2 {
		best, tie := 0, false
		for i, v := range s.TeamScores {
			switch {
			case v > s.TeamScores[best]:
				best, tie = i, false
			case i != best && v == s.TeamScores[best]:
				tie = true
			}
		}
		if tie {
			return "Draw"
		}
		return TeamName(best) + " team wins"
	}
	if len(s.Final) == 0 {
		return "Match over"
	}
	// The best line by the client's ranking, not the first: the server lists the final
	// scores in slot order.
	best := s.Final[0]
	for _, l := range s.Final[1:] {
		if client.CompareScores(l, best) < 0 {
			best = l
		}
	}
	if best.Local {
		return "You win!"
	}
	return best.Name + " wins"
}

// NetLines are the net graph's text lines.
func NetLines(n client.NetStats) []string {
	return []string{
		fmt.Sprintf("ping %4d ms", n.RTT.Milliseconds()),
		fmt.Sprintf("loss %5.1f %%", n.Loss*100),
		fmt.Sprintf("in  %6.1f kbps", n.KbpsIn),
		fmt.Sprintf("out %6.1f kbps", n.KbpsOut),
		fmt.Sprintf("snap %5.1f Hz", n.SnapshotRate),
		fmt.Sprintf("interp %3d ms", n.InterpDelay.Milliseconds()),
		fmt.Sprintf("pred err %5.2f u", n.PredictionError),
	}
}

// ScoreName is a scoreboard line's name: marked when the player left before the end.
func ScoreName(l client.ScoreLine) string {
	if l.Left {
		return l.Name + " (left)"
	}
	return l.Name
}

// PingText formats a ping for the scoreboard ("-" when unknown).
func PingText(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return fmt.Sprintf("%d", d.Milliseconds())
}

// QueueText describes the matchmaking queue; modes are the lobby's (for the mode's title).
func QueueText(q client.QueueState, modes []proto.ModeInfo) string {
	if !q.Queued {
		return ""
	}
	s := fmt.Sprintf("Searching for a %s match… %s", ModeName(modes, q.Mode), FormatClock(q.Waited))
	if q.Needed > 0 {
		s += fmt.Sprintf("  (%d/%d players)", q.Found, q.Needed)
	}
	return s
}

// RoomLine is one row of the public room list; modes are the lobby's (for the mode's title).
func RoomLine(r client.RoomSummary, modes []proto.ModeInfo) string {
	state := "open"
	if r.InMatch {
		state = "in match"
	}
	name := r.Name
	if name == "" {
		name = "Room " + r.Code
	}
	return fmt.Sprintf("%s · %s · %d/%d · %s", name, ModeName(modes, r.Mode), r.Players, r.MaxPlayers, state)
}

// AllReady reports whether every member of a room is ready (and there are at least two).
func AllReady(r *client.RoomView) bool {
	if r == nil || len(r.Members) < 2 {
		return false
	}
	for _, m := range r.Members {
		if !m.Ready {
			return false
		}
	}
	return true
}

// EditLine applies typed characters and a backspace count to a one-line text field, keeping at
// most max runes and dropping control characters.
func EditLine(s string, typed []rune, backspaces, max int) string {
	r := []rune(s)
	for ; backspaces > 0 && len(r) > 0; backspaces-- {
		r = r[:len(r)-1]
	}
	for _, c := range typed {
		if c < 0x20 || c == 0x7f || len(r) >= max {
			continue
		}
		r = append(r, c)
	}
	return string(r)
}

// FrameRateText is the F3 frame rate line: frames drawn and updates run per second.
func FrameRateText(fps, tps float64) string {
	return fmt.Sprintf("%.0f fps · %.0f tps", fps, tps)
}

// SilenceLimit is how long a silent game server may leave the picture frozen before the
// match screen says the connection is lost.
const SilenceLimit = time.Second

// SilenceText explains a frozen match ("" while the server is heard from): the connection
// is lost, and what happens next (the client gives the server a few seconds, then
// reconnects on its own).
func SilenceText(s *client.Scene) string {
	if s.Silence < SilenceLimit || s.MatchOver {
		return ""
	}
	return fmt.Sprintf("Connection lost · no word from the server for %d s · reconnecting soon", int(s.Silence/time.Second))
}

// AloneText tells a player that everyone else left ("" otherwise).
func AloneText(s *client.Scene) string {
	if !s.Alone || s.MatchOver {
		return ""
	}
	return "Everyone else has left · the match ends shortly"
}

// JoiningText is the joining screen's title and the line under it: the first join, or a
// lost match connection being re-established (and which attempt).
func JoiningText(lv client.LobbyView) (title, detail string) {
	if lv.MatchAttempt == 0 {
		return "Joining the match…", ""
	}
	detail = fmt.Sprintf("Reconnecting to the match… attempt %d", lv.MatchAttempt)
	if lv.MatchAttempts > 0 {
		detail += fmt.Sprintf(" of %d", lv.MatchAttempts)
	}
	return "Connection lost", detail
}

// LeaveDialog is the match screen's Esc dialog: Esc asks "Leave the match?", Enter (or Y)
// leaves, Esc again stays. The zero value is closed.
type LeaveDialog struct{ Open bool }

// Key applies one frame's keys and reports whether the player leaves now. direct (the
// player is alone, or the connection is lost) makes Esc leave without asking.
func (d *LeaveDialog) Key(esc, confirm, direct bool) (leave bool) {
	switch {
	case esc && direct:
		d.Open = false
		return true
	case esc:
		d.Open = !d.Open
	case d.Open && confirm:
		d.Open = false
		return true
	}
	return false
}

// LeaveDialogText is the Esc dialog's question and its keys.
const (
	LeaveDialogTitle = "Leave the match?"
	LeaveDialogText  = "It goes on without you; Quick Match takes you back while it runs."
	LeaveDialogKeys  = "Enter: leave · Esc: stay"
)

// KeyHint is the match HUD's key line.
func KeyHint(s *client.Scene) string {
	if s.Alone || s.Silence >= SilenceLimit {
		return "Esc leave now · Tab scores · F3 net"
	}
	return "Esc leave · Tab scores · F3 net · Enter chat"
}
