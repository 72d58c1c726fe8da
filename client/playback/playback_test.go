package playback

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/client"
	"github.com/skirmish-go/skirmish/client/playback/playbacktest"
	"github.com/skirmish-go/skirmish/gameserver"
	"github.com/skirmish-go/skirmish/gameserver/arena/arenahost"
	"github.com/skirmish-go/skirmish/gameserver/replay"
	"github.com/skirmish-go/skirmish/gameserver/replay/verify"
)

// The match most tests play: 6 players for 40 s, one leaving at 12 s and a newcomer taking
// the seat at 20 s.
var testMatch = playbacktest.Match{Mode: "ffa", Players: 6, Seconds: 40, Seed: 11, LeaveAt: 720, JoinAt: 1200}

func recordMatch(t testing.TB, m playbacktest.Match) []byte {
	t.Helper()
	file, err := playbacktest.Record(m)
	require.NoError(t, err)
	return file
}

func serverGames(game string, tickRate int) (gameserver.GameFactory, error) {
	if game != "arena" {
		return nil, errors.New("unknown game")
	}
	return arenahost.Factory(tickRate), nil
}

// straight re-simulates the replay with the game server's own Arena (arenahost.Game), from
// the start to the end in one pass, and returns the world's hash at every tick.
func straight(t testing.TB, file []byte) []uint64 {
	t.Helper()
	rep, err := replay.Read(bytes.NewReader(file))
	require.NoError(t, err)
	h := rep.Header
	g, err := arenahost.NewGame(h.Mode, h.MaxPlayers, h.TickRate, h.Seed)
	require.NoError(t, err)
	type slot struct {
		present, repeated bool
		data              []byte
	}
	var slots [replay.MaxPlayers]slot
	var hashes []uint64
	tick := uint32(0)
	for _, r := range rep.Records {
		for tick < r.Tick {
			hashes = append(hashes, g.Checksum())
			var in []gameserver.PlayerInput
			for i := range h.MaxPlayers {
				if s := slots[i]; s.present {
					in = append(in, gameserver.PlayerInput{Slot: uint8(i), Input: s.data, Repeated: s.repeated})
				}
			}
			g.Step(in)
			tick++
		}
		switch r.Kind {
		case replay.KindJoin:
			require.NoError(t, g.Join(gameserver.Player{Slot: r.Player.Slot, Team: r.Player.Team, Name: r.Player.Name}))
		case replay.KindLeave:
			g.Leave(r.Player.Slot)
		case replay.KindInputs:
			for _, in := range r.Inputs {
				slots[in.Slot] = slot{!in.Absent, in.Repeated, append([]byte(nil), in.Data...)}
			}
		}
	}
	return append(hashes, g.Checksum())
}

// The recorded test match is a true replay: the server-side verifier accepts it.
func TestRecordedMatchVerifies(t *testing.T) {
	rep, err := verify.Bytes(recordMatch(t, testMatch), serverGames)
	require.NoError(t, err)
	require.True(t, rep.OK(), "%+v", rep)
	require.Equal(t, 40, rep.Checksums)
}

// Playing, seeking back and forth and playing on: the world at every tick shown equals the
// game server's straight re-simulation at that tick, and every recorded checksum matches.
func TestSeekEqualsStraightResimulation(t *testing.T) {
	file := recordMatch(t, testMatch)
	want := straight(t, file)
	p, err := Load(bytes.NewReader(file))
	require.NoError(t, err)
	end := p.Status().End
	require.Equal(t, uint32(len(want)-1), end)

	check := func(what string) {
		t.Helper()
		tick := p.World().Tick()
		require.Equal(t, p.Status().Tick, tick, "%s: the world is at the shown tick", what)
		require.Equal(t, want[tick], p.World().Hash(), "%s: world at tick %d", what, tick)
	}
	check("start")
	// Play the first 15 s frame by frame (60 fps at 1×), past the leave at 12 s.
	for range 15 * 60 {
		p.Advance(time.Second / 60)
		require.Equal(t, want[p.World().Tick()], p.World().Hash())
	}
	require.Equal(t, uint32(900), p.Status().Tick)
	// Back 5 s, twice; forward 5 s; to the start; far ahead past the rejoin; back into the
	// middle of a keyframe interval; to the end.
	for i, d := range []time.Duration{-5 * time.Second, -5 * time.Second, 5 * time.Second} {
		p.SeekBy(d)
		check([]string{"back 5 s", "back again", "forward 5 s"}[i])
	}
	for _, tick := range []float64{0, 1, 1900, 1234, 301, 2399, float64(end), 17} {
		p.Seek(tick)
		check("seek")
	}
	// 8× from tick 17 to the end, at 60 fps.
	p.SetSpeed(8)
	assert.Equal(t, 8.0, p.Status().Speed)
	for !p.Status().Paused {
		p.Advance(time.Second / 60)
		check("8x")
	}
	st := p.Status()
	assert.Equal(t, end, st.Tick, "stops at the end, paused")
	assert.Zero(t, st.Mismatch)
	assert.Empty(t, st.Problem)
}

// Seeking back re-simulates from a keyframe, not from the start: at most the kill feed's
// window plus one keyframe interval of ticks.
func TestSeekBackUsesKeyframes(t *testing.T) {
	p, err := Load(bytes.NewReader(recordMatch(t, testMatch)))
	require.NoError(t, err)
	p.Seek(float64(p.Status().End))
	keys := len(p.keys)
	require.Equal(t, int(p.Status().End/p.keyEvery)+1, keys, "one keyframe each 5 s")
	stepsBefore := p.stepped
	p.Seek(2000)
	window := int(feedLife / p.tickDur)
	assert.LessOrEqual(t, p.stepped-stepsBefore, window+int(p.keyEvery))
	assert.Positive(t, p.stepped-stepsBefore)
	assert.Equal(t, keys, len(p.keys), "no keyframe twice")
}

// The scene at a moment of the replay is the live match view's: the players with their
// names, the followed one marked local, the kill feed, and at the end the recorded result.
func TestScene(t *testing.T) {
	p, err := Load(bytes.NewReader(recordMatch(t, testMatch)))
	require.NoError(t, err)
	assert.Equal(t, 0, p.Status().Follow, "follows the first player to join")
	var sc client.Scene
	kills := 0
	for p.Status().Tick < 1500 {
		p.Advance(time.Second / 30)
		p.Scene(&sc)
		kills = max(kills, len(sc.KillFeed))
	}
	assert.Positive(t, kills, "the bots fragged each other, the feed showed it")
	assert.Len(t, sc.Players, 6)
	assert.Equal(t, "ffa", sc.Mode)
	assert.NotEmpty(t, sc.Walls)
	assert.Positive(t, sc.TimeLeft)
	locals := 0
	for _, pl := range sc.Players {
		assert.NotEmpty(t, pl.Name)
		if pl.Local {
			locals++
			assert.Equal(t, uint8(0), pl.Slot)
		}
	}
	assert.Equal(t, 1, locals)
	assert.False(t, sc.MatchOver)

	p.FollowNext(1)
	assert.Equal(t, 1, p.Status().Follow)
	p.FollowNext(-1)
	p.FollowNext(-1)
	assert.Equal(t, 5, p.Status().Follow, "wraps round")
	p.Follow(-1)
	p.Scene(&sc)
	for _, pl := range sc.Players {
		assert.False(t, pl.Local, "free camera: nobody is followed")
	}
	assert.Equal(t, "late", p.Name(5), "the newcomer took the seat")

	p.Seek(float64(p.Status().End))
	p.Scene(&sc)
	require.True(t, sc.MatchOver)
	assert.Equal(t, p.Result().Reason, sc.EndReason)
	assert.Len(t, sc.Final, len(p.Result().Scores))
	for i := 1; i < len(sc.Final); i++ {
		assert.LessOrEqual(t, client.CompareScores(sc.Final[i-1], sc.Final[i]), 0, "ranked best first")
	}
}

func TestSpeedPauseControls(t *testing.T) {
	p, err := Load(bytes.NewReader(recordMatch(t, playbacktest.Match{Seconds: 10, Seed: 2})))
	require.NoError(t, err)
	p.Advance(time.Second)
	assert.Equal(t, uint32(60), p.Status().Tick)
	p.Slower()
	p.Slower()
	p.Slower()
	assert.Equal(t, 0.25, p.Status().Speed)
	p.Advance(time.Second)
	assert.Equal(t, uint32(75), p.Status().Tick)
	for range 10 {
		p.Faster()
	}
	assert.Equal(t, 8.0, p.Status().Speed)
	p.TogglePause()
	p.Advance(time.Second)
	assert.Equal(t, uint32(75), p.Status().Tick, "paused")
	p.TogglePause()
	p.Advance(time.Second)
	assert.Equal(t, uint32(75+480), p.Status().Tick)
	p.Advance(time.Minute)
	assert.Equal(t, p.Status().End, p.Status().Tick)
	assert.True(t, p.Status().Paused, "paused at the end")
	p.TogglePause()
	assert.Equal(t, uint32(0), p.Status().Tick, "play again from the start")
	assert.False(t, p.Status().Paused)
}

// A replay whose inputs were changed still plays, but says where it stopped matching.
func TestTamperedReplayShowsMismatch(t *testing.T) {
	rep, err := replay.Read(bytes.NewReader(recordMatch(t, testMatch)))
	require.NoError(t, err)
	changed := uint32(0)
	for i := range rep.Records {
		r := &rep.Records[i]
		if r.Kind == replay.KindInputs && r.Tick >= 600 && len(r.Inputs[0].Data) > 0 {
			r.Inputs[0].Data = append([]byte(nil), r.Inputs[0].Data...)
			r.Inputs[0].Data[1] ^= 0x40 // another move
			changed = r.Tick
			break
		}
	}
	require.NotZero(t, changed)
	var b bytes.Buffer
	require.NoError(t, replay.Encode(&b, rep))
	p, err := Load(&b)
	require.NoError(t, err)
	p.Seek(float64(p.Status().End))
	st := p.Status()
	require.NotZero(t, st.Mismatch)
	assert.Greater(t, st.Mismatch, changed)
	assert.LessOrEqual(t, st.Mismatch, changed+60, "the first checksum after the change")
	assert.Contains(t, st.Problem, "checksum")
}

func TestLoadErrors(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "missing.replay"))
	assert.ErrorIs(t, err, os.ErrNotExist)

	file := recordMatch(t, playbacktest.Match{Seconds: 3})
	_, err = Load(bytes.NewReader(file[:len(file)/2]))
	assert.Error(t, err)
	bad := bytes.Clone(file)
	bad[len(bad)/2] ^= 0xff
	_, err = Load(bytes.NewReader(bad))
	assert.Error(t, err)
	_, err = Load(bytes.NewReader([]byte("not a replay at all")))
	assert.ErrorIs(t, err, replay.ErrNotReplay)
	_, err = Load(bytes.NewReader(nil))
	assert.Error(t, err)

	rep, err := replay.Read(bytes.NewReader(file))
	require.NoError(t, err)
	rep.Header.Game = "walkers"
	var b bytes.Buffer
	require.NoError(t, replay.Encode(&b, rep))
	_, err = Load(&b)
	assert.ErrorIs(t, err, ErrUnknownGame)
}

// FuzzLoad: any bytes load or fail with an error, and a loaded replay plays to its end.
func FuzzLoad(f *testing.F) {
	file, err := playbacktest.Record(playbacktest.Match{Players: 2, Seconds: 2})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(file)
	f.Add(file[:len(file)-3])
	f.Add([]byte(replay.Magic))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Load(io.LimitReader(bytes.NewReader(b), 1<<20))
		if err != nil {
			return
		}
		if p.Status().End > 10*60*60 {
			return // a long (valid) match: not worth simulating here
		}
		p.Seek(float64(p.Status().End))
		var sc client.Scene
		p.Scene(&sc)
	})
}
