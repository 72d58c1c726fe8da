package lobbylink

import (
	"slices"

	"github.com/skirmish-go/skirmish/gameserver"
	"github.com/skirmish-go/skirmish/lobby/proto"
)

// Modes converts a game's declared modes to what a registration carries (Config.Game and
// Config.Modes).
func Modes(def gameserver.GameDef) (game string, modes []proto.ModeInfo) {
	for _, m := range def.Modes {
		modes = append(modes, proto.ModeInfo{Name: m.Name, Title: m.Title, MinPlayers: m.MinPlayers,
			MaxPlayers: m.MaxPlayers, Teams: m.Teams, FillMS: m.FillTimeout.Milliseconds()})
	}
	return def.Name, modes
}

// Sink returns a gameserver.ResultSink that reports every finished match through l, which
// queues results and resends them until the lobby acknowledges them.
func Sink(l *Link) gameserver.ResultSink { return sink{l} }

type sink struct{ link *Link }

func (s sink) ReportResult(r gameserver.MatchReport) { s.link.ReportResult(MatchResult(r)) }

// MatchResult converts a game server's match report to the lobby's result: one line per seat
// that had a player, ranked by score (1 = best, ties share a rank), or in a team mode
// (r.Teams > 0) by the team's total score, teammates sharing their team's rank; seats missing
// from the scoreboard (a game that ended before scoring them) rank after everyone.
func MatchResult(r gameserver.MatchReport) proto.MatchResult {
	out := proto.MatchResult{MatchID: r.MatchID, Replay: r.Replay}
	seen := make(map[uint8]bool)
	for _, s := range r.Result.Scores {
		seen[s.Slot] = true
		out.Players = append(out.Players, proto.PlayerResult{PlayerID: r.PlayerIDs[s.Slot], Name: s.Name,
			Team: int(s.Team), Score: s.Score})
	}
	scored := len(out.Players)
	if r.Teams > 0 {
		totals := make(map[int]int)
		for _, p := range out.Players {
			totals[p.Team] += p.Score
		}
		for i := range out.Players {
			rank := 1
			for _, total := range totals {
				if total > totals[out.Players[i].Team] {
					rank++
				}
			}
			out.Players[i].Rank = rank
		}
		scored = len(totals)
	} else {
		for i := range out.Players {
			rank := 1
			for j := range scored {
				if out.Players[j].Score > out.Players[i].Score {
					rank++
				}
			}
			out.Players[i].Rank = rank
		}
	}
	var rest []uint8
	for slot := range r.PlayerIDs {
		if !seen[slot] {
			rest = append(rest, slot)
		}
	}
	slices.Sort(rest)
	for _, slot := range rest {
		out.Players = append(out.Players, proto.PlayerResult{PlayerID: r.PlayerIDs[slot], Rank: scored + 1})
	}
	return out
}
