package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/gameserver"
	"github.com/skirmish-go/skirmish/gameserver/arena/arenahost"
	"github.com/skirmish-go/skirmish/gameserver/replay"
	"github.com/skirmish-go/skirmish/gameserver/sim"
	"github.com/skirmish-go/skirmish/gameserver/walkers/walkershost"
	"github.com/skirmish-go/skirmish/gameserver/wire"
)

// recordMatch plays an Arena mode headless to its end with four random players (two teams
// where the mode has teams), the way a game server calls the game, records it, and writes
// the replay to a file.
func recordMatch(t *testing.T, mode string) (path string, res wire.Result) {
	const players, rate = 4, 60
	h := replay.Header{Game: "arena", Mode: mode, Seed: 42, MatchID: [16]byte{0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
		0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}, TickRate: rate, MaxPlayers: players, ChecksumEvery: rate}
	g, err := arenahost.NewGame(h.Mode, players, rate, h.Seed)
	require.NoError(t, err)
	h.Map = g.MapName()
	enc, err := replay.NewEncoder(h)
	require.NoError(t, err)
	for s := range uint8(players) {
		p := gameserver.Player{Slot: s, Team: s % 2, Name: "p" + string('0'+rune(s))}
		require.NoError(t, g.Join(p))
		require.NoError(t, enc.Join(0, replay.Player{Slot: p.Slot, Team: p.Team, Name: p.Name}))
	}
	r := rand.New(rand.NewPCG(7, 7))
	var tick uint32
	ins := make([]gameserver.PlayerInput, players)
	rins := make([]replay.Input, players)
	for {
		for s := range ins {
			b, _ := sim.Input{MoveX: int8(r.IntN(255) - 127), MoveY: int8(r.IntN(255) - 127), Aim: uint16(r.Uint32()),
				Fire: r.IntN(3) == 0, ViewTick: uint16(tick)}.AppendBinary(nil)
			ins[s] = gameserver.PlayerInput{Slot: uint8(s), Input: b}
			rins[s] = replay.Input{Slot: uint8(s), Data: b}
		}
		require.NoError(t, enc.Tick(tick, rins))
		g.Step(ins)
		tick++
		if tick%rate == 0 {
			require.NoError(t, enc.Checksum(tick, g.Checksum()))
		}
		if res, over := g.Over(); over {
			require.NoError(t, enc.End(tick, res))
			path = filepath.Join(t.TempDir(), replay.Name("00112233445566778899aabbccddeeff"))
			f, err := os.Create(path)
			require.NoError(t, err)
			_, err = enc.WriteTo(f)
			require.NoError(t, err)
			require.NoError(t, f.Close())
			return path, res
		}
	}
}

func TestVerifyPrintsOneJSONLine(t *testing.T) {
	path, _ := recordMatch(t, "quick")
	var out, errOut bytes.Buffer
	require.NoError(t, run([]string{"-verify", path}, &out, &errOut))
	require.Equal(t, 1, strings.Count(out.String(), "\n"), out.String())
	var got map[string]any
	require.NoError(t, json.Unmarshal(out.Bytes(), &got))
	assert.Equal(t, true, got["checksums_ok"])
	assert.Equal(t, true, got["result_ok"])
	assert.Equal(t, float64(60*60), got["ticks"]) // quick: 60 s
	assert.Equal(t, float64(60), got["duration_s"])
	assert.Equal(t, float64(60), got["checksums"])
	assert.Contains(t, got, "sim_s")
	assert.NotContains(t, got, "first_mismatch_tick")
}

func TestVerifyMismatchExitsWithReport(t *testing.T) {
	path, _ := recordMatch(t, "quick")
	f, err := os.Open(path)
	require.NoError(t, err)
	rep, err := replay.Read(f)
	f.Close()
	require.NoError(t, err)
	// A different recorded result: the simulation's no longer matches.
	end := &rep.Records[len(rep.Records)-1]
	end.Result.Scores[0].Kills += 5
	var b bytes.Buffer
	require.NoError(t, replay.Encode(&b, rep))
	require.NoError(t, os.WriteFile(path, b.Bytes(), 0o644))

	var out, errOut bytes.Buffer
	err = run([]string{"-verify", path}, &out, &errOut)
	require.ErrorIs(t, err, errMismatch)
	var got map[string]any
	require.NoError(t, json.Unmarshal(out.Bytes(), &got), out.String())
	assert.Equal(t, true, got["checksums_ok"])
	assert.Equal(t, false, got["result_ok"])
	assert.Contains(t, got["problem"], "result")
}

func TestUnreadableFileIsAnError(t *testing.T) {
	path, _ := recordMatch(t, "quick")
	file, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, file[:len(file)-7], 0o644))
	var out bytes.Buffer
	err = run([]string{"-verify", path}, &out, &out)
	require.Error(t, err)
	assert.False(t, errors.Is(err, errMismatch))
	assert.ErrorIs(t, err, replay.ErrTruncated)
	assert.Empty(t, out.String(), "no JSON for a file that cannot be read")
	assert.NotContains(t, err.Error(), "\n")

	require.Error(t, run([]string{"-verify", filepath.Join(t.TempDir(), "missing.replay")}, &out, &out))
	require.Error(t, run([]string{}, &out, &out), "no file named")
}

func TestInfo(t *testing.T) {
	path, res := recordMatch(t, "quick")
	var out bytes.Buffer
	require.NoError(t, run([]string{"-info", path}, &out, &out))
	var got struct {
		MatchID string `json:"match_id"`
		Game    string `json:"game"`
		Mode    string `json:"mode"`
		Map     string `json:"map"`
		Players []struct {
			Slot     uint8  `json:"slot"`
			Name     string `json:"name"`
			JoinTick uint32 `json:"join_tick"`
		} `json:"players"`
		Ticks     uint32      `json:"ticks"`
		Checksums int         `json:"checksums"`
		Result    wire.Result `json:"result"`
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &got), out.String())
	assert.Equal(t, "00112233445566778899aabbccddeeff", got.MatchID)
	assert.Equal(t, "arena", got.Game)
	assert.Equal(t, "quick", got.Mode)
	assert.Equal(t, "arena", got.Map)
	assert.Len(t, got.Players, 4)
	assert.Equal(t, "p2", got.Players[2].Name)
	assert.Equal(t, uint32(3600), got.Ticks)
	assert.Equal(t, 60, got.Checksums)
	assert.Equal(t, res, got.Result)
}

// TestVerifyTeams: a team mode (teams kept balanced, no friendly fire) re-simulates exactly.
func TestVerifyTeams(t *testing.T) {
	path, res := recordMatch(t, "teams")
	var out bytes.Buffer
	require.NoError(t, run([]string{"-verify", path}, &out, &out), out.String())
	var got map[string]any
	require.NoError(t, json.Unmarshal(out.Bytes(), &got))
	assert.Equal(t, true, got["checksums_ok"])
	assert.Equal(t, true, got["result_ok"])
	assert.NotEmpty(t, res.Scores)
}

// recordWalkers records a walkers match as a game server does (players joining and one
// leaving, no input, a checksum a second) until the server ends it, and writes the file.
func recordWalkers(t *testing.T) string {
	const rate, seconds = 60, 20
	h := replay.Header{Game: walkershost.Name, Mode: "walkers", Seed: 9, MatchID: [16]byte{0xee}, TickRate: rate,
		MaxPlayers: 8, ChecksumEvery: rate}
	g, err := walkershost.New(h.Mode, h.MaxPlayers, h.Seed)
	require.NoError(t, err)
	sum, ok := g.(gameserver.Checksummer)
	require.True(t, ok, "walkers computes checksums")
	enc, err := replay.NewEncoder(h)
	require.NoError(t, err)
	var departed []gameserver.PlayerScore // the server lists those who left, as they stood
	for tick := uint32(0); tick < rate*seconds; tick++ {
		if tick%(2*rate) == 0 && tick/(2*rate) < 6 {
			p := gameserver.Player{Slot: uint8(tick / (2 * rate)), Name: fmt.Sprintf("w%d", tick/(2*rate))}
			require.NoError(t, g.Join(p))
			require.NoError(t, enc.Join(tick, replay.Player{Slot: p.Slot, Name: p.Name}))
		}
		if tick == 9*rate {
			for _, sc := range g.(gameserver.Scorer).Scores() {
				if sc.Slot == 1 {
					sc.Left = true
					departed = append(departed, sc)
				}
			}
			g.Leave(1)
			require.NoError(t, enc.Leave(tick, 1))
		}
		require.NoError(t, enc.Tick(tick, nil))
		g.Step(nil)
		if (tick+1)%rate == 0 {
			require.NoError(t, enc.Checksum(tick+1, sum.Checksum()))
		}
	}
	res := gameserver.Result{Reason: "abandoned", Scores: append(g.(gameserver.Scorer).Scores(), departed...)}
	require.NoError(t, enc.End(rate*seconds, res))
	path := filepath.Join(t.TempDir(), replay.Name("ee000000000000000000000000000000"))
	f, err := os.Create(path)
	require.NoError(t, err)
	_, err = enc.WriteTo(f)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	return path
}

// TestVerifyWalkersChecksums: a walkers replay carries a checksum a second and -verify checks
// each; a replay whose recorded world differs from the re-simulated one fails at that second.
func TestVerifyWalkersChecksums(t *testing.T) {
	path := recordWalkers(t)
	var out bytes.Buffer
	require.NoError(t, run([]string{"-verify", path}, &out, &out), out.String())
	var got map[string]any
	require.NoError(t, json.Unmarshal(out.Bytes(), &got))
	assert.Equal(t, float64(20), got["checksums"])
	assert.Equal(t, true, got["checksums_ok"])
	assert.Equal(t, true, got["result_ok"])

	// The recorded world at second 12 is not the re-simulated one.
	f, err := os.Open(path)
	require.NoError(t, err)
	rep, err := replay.Read(f)
	f.Close()
	require.NoError(t, err)
	for i := range rep.Records {
		if r := &rep.Records[i]; r.Kind == replay.KindChecksum && r.Tick == 12*60 {
			r.Checksum ^= 1
		}
	}
	var b bytes.Buffer
	require.NoError(t, replay.Encode(&b, rep))
	require.NoError(t, os.WriteFile(path, b.Bytes(), 0o644))
	out.Reset()
	require.ErrorIs(t, run([]string{"-verify", path}, &out, &out), errMismatch)
	got = nil
	require.NoError(t, json.Unmarshal(out.Bytes(), &got), out.String())
	assert.Equal(t, false, got["checksums_ok"])
	assert.Equal(t, float64(12*60), got["first_mismatch_tick"])
	assert.Equal(t, true, got["result_ok"])
}
