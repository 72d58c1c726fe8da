package lobbylink

import (
	"cmp"
	"slices"

	"github.com/skirmish-go/skirmish/gameserver"
	"github.com/skirmish-go/skirmish/lobby/proto"
)

// SetLive records the running matches' summaries for the next heartbeat (field "live"), which
// the lobby lists to players looking for a match to watch. At most proto.MaxLivePerServer are
// sent.
func (l *Link) SetLive(live []proto.LiveMatch) {
	if len(live) > proto.MaxLivePerServer {
		live = live[:proto.MaxLivePerServer]
	}
	l.mu.Lock()
	l.live = live
	l.mu.Unlock()
}

// LiveMatches converts a game server's running matches to the lobby's summaries: the longest
// running first, each scoreboard best first and cut to proto.MaxLiveScores lines.
// maxSpectators is the server's per-match limit (gameserver.Config.MaxSpectators).
func LiveMatches(ms []gameserver.LiveMatch, region string, maxSpectators int) []proto.LiveMatch {
	slices.SortFunc(ms, func(a, b gameserver.LiveMatch) int {
		return cmp.Or(cmp.Compare(b.Elapsed, a.Elapsed), cmp.Compare(a.MatchID, b.MatchID))
	})
	out := make([]proto.LiveMatch, 0, min(len(ms), proto.MaxLivePerServer))
	for _, m := range ms {
		if len(out) == proto.MaxLivePerServer {
			break
		}
		lm := proto.LiveMatch{MatchID: m.MatchID, Mode: m.Mode, Region: region, Players: m.Players,
			MaxPlayers: m.Seats, Spectators: m.Spectators, MaxSpectators: max(maxSpectators, 0),
			ElapsedMS: m.Elapsed.Milliseconds()}
		scores := slices.Clone(m.Scores)
		slices.SortStableFunc(scores, func(a, b gameserver.PlayerScore) int { return cmp.Compare(b.Score, a.Score) })
		for _, s := range scores[:min(len(scores), proto.MaxLiveScores)] {
			lm.Scores = append(lm.Scores, proto.LiveScore{Name: s.Name, Team: int(s.Team), Score: s.Score})
		}
		out = append(out, lm)
	}
	return out
}

// fitLive returns hb's live summaries, the longest prefix with which hb encodes within the
// lobby's line limit (names of '<' escape to six bytes each, so a count bound alone is not
// enough): a heartbeat too long would be refused and end the link.
func fitLive(hb *proto.Message) []proto.LiveMatch {
	live := hb.Live
	for len(live) > 0 {
		m := *hb
		m.Live = live
		if _, err := proto.Append(nil, &m); err == nil {
			return live
		}
		live = live[:len(live)/2]
	}
	return nil
}
