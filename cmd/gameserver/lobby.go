package main

import (
	"slices"

	"github.com/skirmish-go/skirmish/gameserver"
	"github.com/skirmish-go/skirmish/gameserver/lobbylink"
	"github.com/skirmish-go/skirmish/lobby/proto"
)

// lobbySink reports match results through the lobby link, which queues and resends them.
type lobbySink struct{ link *lobbylink.Link }

func (s lobbySink) ReportResult(r gameserver.MatchReport) { s.link.ReportResult(toProtoResult(r)) }

// toProtoResult converts a match report to the lobby's result: one line per seat that had a
// player, ranked by score (1 = best, ties share a rank); seats missing from the scoreboard
// (a game without Scorer that ended early) rank after everyone with score 0.
func toProtoResult(r gameserver.MatchReport) proto.MatchResult {
	out := proto.MatchResult{MatchID: r.MatchID}
	seen := make(map[uint8]bool)
	for _, s := range r.Result.Scores {
		seen[s.Slot] = true
		out.Players = append(out.Players, proto.PlayerResult{PlayerID: r.PlayerIDs[s.Slot], Name: s.Name,
			Team: int(s.Team), Score: s.Score})
	}
	scored := len(out.Players)
	for i := range out.Players {
		rank := 1
		for j := range scored {
			if out.Players[j].Score > out.Players[i].Score {
				rank++
			}
		}
		out.Players[i].Rank = rank
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
