package bot

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/client/lobbyclient"
	"github.com/skirmish-go/skirmish/cmd/stacktest"
	"github.com/skirmish-go/skirmish/gameserver"
	"github.com/skirmish-go/skirmish/gameserver/snapshot"
	"github.com/skirmish-go/skirmish/gameserver/walkers/walkershost"
	"github.com/skirmish-go/skirmish/lobby/proto"
)

// tagGame is a second game for the two-games test: a Game with no rules that ends when the
// server ends it. Only its declaration matters here (the lobby matches by it).
type tagGame struct{}

var tagSchema = &snapshot.Schema{Kinds: []snapshot.KindSpec{{Name: "tagger", Fields: []snapshot.FieldSpec{{Name: "x", Bits: 8}}}}}

func (tagGame) Schema() *snapshot.Schema                               { return tagSchema }
func (tagGame) Join(gameserver.Player) error                           { return nil }
func (tagGame) Leave(uint8)                                            {}
func (tagGame) Step([]gameserver.PlayerInput) []gameserver.Event       { return nil }
func (tagGame) AppendEntities(dst []snapshot.Entity) []snapshot.Entity { return dst }
func (tagGame) Over() (gameserver.Result, bool)                        { return gameserver.Result{}, false }
func newTag(string, int, uint64) (gameserver.Game, error)              { return tagGame{}, nil }
func tagDef() gameserver.GameDef {
	return gameserver.GameDef{Name: "tag", New: newTag, Modes: []gameserver.ModeSpec{
		{Name: "tag", Title: "Tag", MinPlayers: 1, MaxPlayers: 8, FillTimeout: 100 * time.Millisecond}}}
}

// One lobby, an Arena game server and a server of another game: the lobby lists both games'
// modes, -mode is checked against that list, bots for Arena's mode play on the Arena server and
// a player of the other game's mode is sent to the other server.
func TestTwoGamesBehindOneLobby(t *testing.T) {
	st := stacktest.StartStack(t, stacktest.Options{})
	tagServer, tagAddr := st.AddGameServer(t, "gs-tag", stacktest.Options{Game: tagDef()})
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()

	ffa, err := CheckMode(ctx, st.LobbyAddr, "ffa")
	require.NoError(t, err)
	assert.Equal(t, "arena", ffa.Game)
	tag, err := CheckMode(ctx, st.LobbyAddr, "tag")
	require.NoError(t, err)
	assert.Equal(t, proto.ModeInfo{Name: "tag", Title: "Tag", Game: "tag", MinPlayers: 1, MaxPlayers: 8, FillMS: 100}, tag)
	_, err = CheckMode(ctx, st.LobbyAddr, "chess")
	require.ErrorIs(t, err, ErrUnknownMode)
	assert.ErrorContains(t, err, "ffa (Free for all, arena, 2-4 players), tag (Tag, tag, 1-8 players)")

	sum, err := Run(ctx, Config{Lobby: st.LobbyAddr, N: 2, Duration: 2 * time.Second, Mode: "ffa", Seed: 3})
	require.NoError(t, err)
	assert.True(t, sum.OK(), "errors: %v", sum.Errors)
	assert.Equal(t, 2, sum.Matched)
	assert.Equal(t, "1", matchesStarted(t, st.Game), "the Arena match ran on the Arena server")
	assert.Equal(t, "0", matchesStarted(t, tagServer), "and not on the other game's")

	c, err := lobbyclient.Dial(ctx, st.LobbyAddr, nil)
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Hello(ctx, "tagger")
	require.NoError(t, err)
	require.NoError(t, c.QuickMatch(ctx, "tag", ""))
	for {
		select {
		case m, ok := <-c.Events():
			require.True(t, ok, "lobby connection: %v", c.Err())
			if m.Type != proto.TypeMatchFound {
				continue
			}
			assert.Equal(t, tagAddr.String(), m.Server, "the tag match is on the tag server")
			assert.Equal(t, "tag", m.Mode)
			return
		case <-ctx.Done():
			t.Fatal("no match_found for tag")
		}
	}
}

// The two games of the stack behind one lobby: an Arena game server and a walkers one. The
// lobby lists both games' modes, and bots of each mode play on their own game's server.
func TestArenaAndWalkersBehindOneLobby(t *testing.T) {
	st := stacktest.StartStack(t, stacktest.Options{})
	walkersServer, _ := st.AddGameServer(t, "gs-walkers", stacktest.Options{Game: walkershost.Def(60)})
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()

	ffa, err := CheckMode(ctx, st.LobbyAddr, "ffa")
	require.NoError(t, err)
	assert.Equal(t, "arena", ffa.Game)
	w, err := CheckMode(ctx, st.LobbyAddr, "walkers")
	require.NoError(t, err)
	assert.Equal(t, "walkers", w.Game)
	assert.Equal(t, 64, w.MaxPlayers)

	for _, run := range []struct {
		mode string
		n    int
	}{{"ffa", 2}, {"walkers", 4}} {
		sum, err := Run(ctx, Config{Lobby: st.LobbyAddr, N: run.n, Duration: 2 * time.Second, Mode: run.mode, Seed: 3})
		require.NoError(t, err, run.mode)
		assert.True(t, sum.OK(), "%s: errors: %v", run.mode, sum.Errors)
		assert.Equal(t, run.n, sum.Matched, run.mode)
	}
	assert.Equal(t, "1", matchesStarted(t, st.Game), "the ffa match ran on the Arena server")
	assert.Equal(t, "1", matchesStarted(t, walkersServer), "the walkers match on the walkers server")
}

// matchesStarted reads the game server's matches_started_total counter.
func matchesStarted(t *testing.T, gs *gameserver.Server) string {
	t.Helper()
	rec := httptest.NewRecorder()
	gs.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for l := range strings.SplitSeq(rec.Body.String(), "\n") {
		if v, ok := strings.CutPrefix(l, "skirmish_gameserver_matches_started_total "); ok {
			return v
		}
	}
	t.Fatal("no matches_started_total metric")
	return ""
}
