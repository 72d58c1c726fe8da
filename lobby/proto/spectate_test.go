package proto

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"
)

var liveSeeds = []string{
	`{"type":"heartbeat","players":3,"matches":1,"capacity":64,"live":[{"match_id":"5f0c","mode":"ffa","players":3,"max_players":4,"spectators":1,"max_spectators":16,"elapsed_ms":61000,"scores":[{"name":"ada","score":7},{"name":"bob","team":1,"score":2}]}]}`,
	`{"type":"live_list","id":4,"mode":"ffa"}`,
	`{"type":"live_matches","id":4,"live":[{"match_id":"5f0c","mode":"ffa","region":"eu","players":3,"max_players":4,"elapsed_ms":1000}]}`,
	`{"type":"spectate","id":5,"match_id":"5f0c"}`,
	`{"type":"spectate","id":5,"server":"127.0.0.1:7001","transport":"udp","token":"AAEC","match_id":"5f0c","mode":"ffa","players":4}`,
	`{"type":"live_matches","live":[]}`,
	`{"type":"live_matches","live":[{"match_id":"","mode":"","players":0,"max_players":0,"elapsed_ms":0,"scores":[]}]}`,
	`{"type":"live_matches","live":[{"scores":[{"score":"x"}]}]}`,
}

// FuzzDecodeLive: heartbeats with live summaries and the spectate messages decode without
// panicking, and what decodes re-encodes to an equal message.
func FuzzDecodeLive(f *testing.F) {
	for _, s := range liveSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		m, err := Decode(line)
		if err != nil {
			return
		}
		b, err := Append(nil, &m)
		if err != nil {
			return // over the line limit once re-encoded
		}
		m2, err := Decode(bytes.TrimSuffix(b, []byte("\n")))
		require.NoError(t, err)
		if !reflect.DeepEqual(m, m2) {
			t.Fatalf("round trip of %q: %+v != %+v", line, m, m2)
		}
	})
}

func TestLiveDecodes(t *testing.T) {
	m, err := Decode([]byte(liveSeeds[0]))
	require.NoError(t, err)
	require.Len(t, m.Live, 1)
	require.Equal(t, LiveMatch{MatchID: "5f0c", Mode: "ffa", Players: 3, MaxPlayers: 4, Spectators: 1, MaxSpectators: 16,
		ElapsedMS: 61000, Scores: []LiveScore{{Name: "ada", Score: 7}, {Name: "bob", Team: 1, Score: 2}}}, m.Live[0])
	m, err = Decode([]byte(`{"type":"live_matches","live":[]}`))
	require.NoError(t, err)
	require.Nil(t, m.Live, "an empty list is absent, as Append writes it")
}
