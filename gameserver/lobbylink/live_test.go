package lobbylink

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/gameserver"
	"github.com/skirmish-go/skirmish/lobby/proto"
)

func TestLiveMatches(t *testing.T) {
	var scores []gameserver.PlayerScore
	for i := range 20 {
		scores = append(scores, gameserver.PlayerScore{Slot: uint8(i), Team: uint8(i % 2), Name: string(rune('a' + i)), Score: i})
	}
	ms := []gameserver.LiveMatch{
		{MatchID: "b", Mode: "ffa", Seats: 4, Players: 3, Spectators: 1, Elapsed: time.Second},
		{MatchID: "a", Mode: "tdm", Seats: 20, Players: 20, Elapsed: time.Minute, Scores: scores},
	}
	got := LiveMatches(ms, "eu", 16)
	require.Len(t, got, 2)
	assert.Equal(t, "a", got[0].MatchID, "the longest running first")
	assert.Len(t, got[0].Scores, proto.MaxLiveScores, "the scoreboard is cut")
	assert.Equal(t, proto.LiveScore{Name: "t", Team: 1, Score: 19}, got[0].Scores[0], "best first")
	assert.Equal(t, proto.LiveMatch{MatchID: "b", Mode: "ffa", Region: "eu", Players: 3, MaxPlayers: 4, Spectators: 1,
		MaxSpectators: 16, ElapsedMS: 1000}, got[1])

	many := make([]gameserver.LiveMatch, 100)
	assert.Len(t, LiveMatches(many, "", 1), proto.MaxLivePerServer)
}

// TestFitLive: a heartbeat whose summaries would exceed the line limit sends fewer of them.
func TestFitLive(t *testing.T) {
	long := strings.Repeat("<", proto.MaxNameLen) // six bytes each in JSON
	var ms []proto.LiveMatch
	for range proto.MaxLivePerServer {
		m := proto.LiveMatch{MatchID: strings.Repeat("f", 32), Mode: "large", Players: 64, MaxPlayers: 64}
		for range proto.MaxLiveScores {
			m.Scores = append(m.Scores, proto.LiveScore{Name: long, Team: 1, Score: 99999})
		}
		ms = append(ms, m)
	}
	hb := &proto.Message{Type: proto.TypeHeartbeat, Players: 1, Live: ms}
	_, err := proto.Append(nil, hb)
	require.ErrorIs(t, err, proto.ErrLineTooLong, "the test's summaries are too long")
	hb.Live = fitLive(hb)
	require.NotEmpty(t, hb.Live)
	assert.Less(t, len(hb.Live), len(ms))
	_, err = proto.Append(nil, hb)
	require.NoError(t, err)

	small := &proto.Message{Type: proto.TypeHeartbeat, Live: ms[:2]}
	assert.Len(t, fitLive(small), 2, "what fits is sent whole")
}
