package lobbylink

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/skirmish-go/skirmish/gameserver"
	"github.com/skirmish-go/skirmish/lobby/proto"
)

func TestMatchResultRanksByScore(t *testing.T) {
	r := gameserver.MatchReport{MatchID: "ab", Replay: "ab.replay", PlayerIDs: map[uint8]uint64{0: 10, 1: 11, 2: 12, 3: 13},
		Result: gameserver.Result{Reason: "score_limit", Scores: []gameserver.PlayerScore{
			{Slot: 0, Name: "a", Score: 5}, {Slot: 1, Name: "b", Team: 1, Score: 9}, {Slot: 2, Name: "c", Score: 5}}}}
	assert.Equal(t, proto.MatchResult{MatchID: "ab", Players: []proto.PlayerResult{
		{PlayerID: 10, Name: "a", Rank: 2, Score: 5},
		{PlayerID: 11, Name: "b", Team: 1, Rank: 1, Score: 9},
		{PlayerID: 12, Name: "c", Rank: 2, Score: 5},
		{PlayerID: 13, Rank: 4},
	}, Replay: "ab.replay"}, MatchResult(r))
}

// In a team mode the players rank by their team's total, teammates sharing a rank: team 1's
// top scorer does not outrank team 0, which scored more in all.
func TestMatchResultRanksByTeamTotal(t *testing.T) {
	r := gameserver.MatchReport{MatchID: "cd", Teams: 2, PlayerIDs: map[uint8]uint64{0: 10, 1: 11, 2: 12, 3: 13, 4: 14},
		Result: gameserver.Result{Reason: "score_limit", Scores: []gameserver.PlayerScore{
			{Slot: 0, Name: "a", Score: 4}, {Slot: 1, Name: "b", Team: 1, Score: 9},
			{Slot: 2, Name: "c", Score: 6}, {Slot: 3, Name: "d", Team: 1, Score: 0}}}}
	assert.Equal(t, proto.MatchResult{MatchID: "cd", Players: []proto.PlayerResult{
		{PlayerID: 10, Name: "a", Rank: 1, Score: 4},
		{PlayerID: 11, Name: "b", Team: 1, Rank: 2, Score: 9},
		{PlayerID: 12, Name: "c", Rank: 1, Score: 6},
		{PlayerID: 13, Name: "d", Team: 1, Rank: 2, Score: 0},
		{PlayerID: 14, Rank: 3},
	}}, MatchResult(r))

	// Equal totals: both teams share rank 1.
	r.Result.Scores[3].Score = 1
	res := MatchResult(r)
	for _, p := range res.Players[:4] {
		assert.Equal(t, 1, p.Rank, "player %d", p.PlayerID)
	}
}
