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
