package gameserver_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/gameserver"
	"github.com/skirmish-go/skirmish/gameserver/replay"
	"github.com/skirmish-go/skirmish/gameserver/replay/verify"
	"github.com/skirmish-go/skirmish/gameserver/sim"
	"github.com/skirmish-go/skirmish/gameserver/wire"
	"github.com/skirmish-go/skirmish/netcode/netsim"
)

// memReplays is a ReplayStore in memory.
type memReplays struct {
	mu    sync.Mutex
	files map[string][]byte
}

func (m *memReplays) Save(name string, f io.WriterTo) error {
	var b bytes.Buffer
	if _, err := f.WriteTo(&b); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.files == nil {
		m.files = map[string][]byte{}
	}
	m.files[name] = b.Bytes()
	return nil
}

func (m *memReplays) get(name string) []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.files[name]
}

// playArena plays a short Arena match of players bots over lossy links, one of whom leaves
// early, on a server that records replays into store, and returns the match's report.
func playArena(t *testing.T, store gameserver.ReplayStore, players, seconds int) gameserver.MatchReport {
	network := netsim.NewNetwork()
	serverConn, err := network.Listen("127.0.0.1:7001")
	require.NoError(t, err)
	reported := make(chan gameserver.MatchReport, 1)
	srv, err := gameserver.New(serverConn, gameserver.Config{Game: shortArena(t, seconds), Key: gameserver.TestKey,
		Logger: quiet(), Replays: store,
		Results: gameserver.ResultSinkFunc(func(r gameserver.MatchReport) { reported <- r })})
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	addr := serverConn.LocalAddr().(*net.UDPAddr).AddrPort()
	imp := netsim.Impairment{Loss: 0.05, Latency: 30 * time.Millisecond, Jitter: 10 * time.Millisecond}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	done := make(chan error, players)
	schema := mustSchema(t)
	for i := range players {
		raw, err := network.Listen("127.0.0.1:0")
		require.NoError(t, err)
		conn := netsim.Wrap(raw, netsim.Config{Send: imp, Recv: imp, Seed: int64(200 + i)})
		tk := wire.Ticket{MatchID: [16]byte{0x7e, 0x57}, Slot: uint8(i), Team: uint8(i % 2), Players: uint8(players),
			Mode: "ffa", Name: fmt.Sprintf("bot%d", i), PlayerID: uint64(500 + i)}
		ud, err := tk.Marshal()
		require.NoError(t, err)
		go func() {
			pctx := ctx
			if i == players-1 { // the last bot leaves early (the server notices when it times out)
				var c context.CancelFunc
				pctx, c = context.WithTimeout(ctx, time.Duration(seconds)*time.Second/5)
				defer c()
			}
			cl, err := gameserver.DialTestClient(pctx, conn, addr, ud)
			if err != nil {
				done <- err
				return
			}
			defer cl.Close()
			c := gameserver.NewTestClient(cl, schema, func(seq uint16) []byte { return botInput(uint8(i), seq) })
			err = c.Play(pctx, time.Second/60, time.Second)
			if pctx.Err() != nil && ctx.Err() == nil {
				err = nil
			}
			done <- err
		}()
	}
	for range players {
		require.NoError(t, <-done)
	}
	report := <-reported
	require.NoError(t, srv.Close())
	require.ErrorIs(t, <-served, gameserver.ErrServerClosed)
	return report
}

// TestMatchRecordsReplay: a match's replay holds its configuration, its players' joins and
// leaves, a checksum every second and the result the server reported.
func TestMatchRecordsReplay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := &memReplays{}
		const players, seconds = 4, 10
		report := playArena(t, store, players, seconds)
		file := store.get(replay.Name(report.MatchID))
		require.NotNil(t, file, "no replay named after match %s", report.MatchID)
		assert.Equal(t, replay.Name(report.MatchID), report.Replay, "the report names the replay")
		rep, err := replay.Read(bytes.NewReader(file))
		require.NoError(t, err)

		h := rep.Header
		assert.Equal(t, "ffa", h.Mode)
		assert.Equal(t, "arena", h.Map)
		assert.Equal(t, 60, h.TickRate)
		assert.Equal(t, players, h.MaxPlayers)
		assert.Equal(t, 60, h.ChecksumEvery)
		assert.Equal(t, [16]byte{0x7e, 0x57}, h.MatchID)
		end := rep.End()
		assert.Equal(t, report.Ticks, end.Tick)
		assert.Equal(t, report.Result, end.Result)
		assert.Equal(t, "time_limit", end.Result.Reason)
		require.Len(t, end.Result.Scores, players, "the player who left keeps a row")
		assert.True(t, end.Result.Scores[players-1].Left, "slot %d left", players-1)

		joins, leaves, sums, inputs := map[uint8]string{}, 0, 0, 0
		for _, r := range rep.Records {
			switch r.Kind {
			case replay.KindJoin:
				joins[r.Player.Slot] = r.Player.Name
			case replay.KindLeave:
				leaves++
				assert.Equal(t, uint8(players-1), r.Player.Slot)
			case replay.KindChecksum:
				sums++
				assert.Zero(t, r.Tick%60, "checksum at tick %d", r.Tick)
			case replay.KindInputs:
				inputs++
			}
		}
		assert.Len(t, joins, players)
		assert.Equal(t, "bot2", joins[2])
		assert.Equal(t, 1, leaves)
		assert.Equal(t, seconds, sums)
		assert.Greater(t, inputs, seconds*60/2, "inputs records")
		t.Logf("%d players, %d s: %d-byte replay, %d ticks, %+v", players, seconds, len(file), end.Tick, end.Result)
	})
}

// arenaGames is the game registry of cmd/replay, for tests: Arena at any tick rate.
func arenaGames(t testing.TB, seconds int) verify.Games {
	return func(game string, tickRate int) (gameserver.GameFactory, error) {
		if game != "" && game != "arena" {
			return nil, fmt.Errorf("no game %q", game)
		}
		return shortArena(t, seconds), nil
	}
}

// TestReplayVerifies: a match played over lossy links, with a player leaving, re-simulates
// from its replay to the same checksums and result.
func TestReplayVerifies(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := &memReplays{}
		const seconds = 10
		report := playArena(t, store, 4, seconds)
		file := store.get(replay.Name(report.MatchID))
		require.NotNil(t, file)
		v, err := verify.Bytes(file, arenaGames(t, seconds))
		require.NoError(t, err)
		assert.True(t, v.OK(), "%+v", v)
		assert.Equal(t, report.Ticks, v.Ticks)
		assert.Equal(t, seconds, v.Checksums)
		assert.InDelta(t, float64(seconds), v.DurationS, 0.01)
	})
}

// viewInput is a bot input as a real client makes it: the aim turns a little every tick and
// the view tick and fraction follow the interpolated server time, so nearly every input
// differs from the one before.
func viewInput(slot uint8, seq uint16) []byte {
	b := botInput(slot, seq)
	x := uint32(seq)*2654435761 ^ uint32(slot)*40503
	binary.LittleEndian.PutUint16(b[3:], uint16(seq)*37+uint16(slot)*4099) // aim
	binary.LittleEndian.PutUint16(b[5:], seq-6)                            // view tick: ~100 ms behind
	b[7] = byte(x >> 13)                                                   // view fraction
	return b
}

// recordBench plays an Arena match of players for seconds in-process (no sockets) on a server
// that records it, and returns the replay and the result.
func recordBench(t *testing.T, players, seconds int) ([]byte, gameserver.Result) {
	store := &memReplays{}
	mb := gameserver.NewRecordedMatchBench(t, shortArena(t, seconds), "ffa", players, viewInput, store)
	for !mb.Over() {
		mb.ClientWork()
		mb.ServerTick()
	}
	res := mb.Finish("time_limit")
	file := store.get(replay.Name(fmt.Sprintf("%032x", [16]byte{0xbe})))
	require.NotNil(t, file)
	return file, res
}

// TestReplaySize5Min16Players records a 5-minute 16-player Arena match and checks its replay
// stays small (README states the size) and verifies.
func TestReplaySize5Min16Players(t *testing.T) {
	file, res := recordBench(t, 16, 300)
	rep, err := replay.Read(bytes.NewReader(file))
	require.NoError(t, err)
	assert.Equal(t, res, rep.End().Result)
	assert.Equal(t, uint32(300*60), rep.End().Tick)
	kills := 0
	for _, s := range res.Scores {
		kills += s.Kills
	}
	t.Logf("5 min, 16 players, %d kills: %d-byte replay (%.1f KiB)", kills, len(file), float64(len(file))/1024)
	assert.Less(t, len(file), 1<<20, "a 5-minute 16-player replay over 1 MiB")
	v, err := verify.Bytes(file, arenaGames(t, 300))
	require.NoError(t, err)
	assert.True(t, v.OK(), "%+v", v)
	assert.Equal(t, 300, v.Checksums)
	t.Logf("verified in %.2f s: %+v", v.SimS, v)
}

// TestChangedInputsFailAtNextChecksum: changing the inputs of one tick makes verification
// fail at the first checksum after that tick, and not before.
func TestChangedInputsFailAtNextChecksum(t *testing.T) {
	file, _ := recordBench(t, 8, 30)
	rep, err := replay.Read(bytes.NewReader(file))
	require.NoError(t, err)
	const changeAt = 1000 // inputs of the Step from tick 1000; checksums every 60 ticks
	changed := false
	for i := range rep.Records {
		r := &rep.Records[i]
		if r.Kind != replay.KindInputs || r.Tick < changeAt {
			continue
		}
		for j := range r.Inputs {
			if d := r.Inputs[j].Data; len(d) == sim.InputSize {
				d[1], d[2] = 127-d[1], 127-d[2] // move the other way
				changed = true
			}
		}
		require.Equal(t, uint32(changeAt), r.Tick)
		break
	}
	require.True(t, changed)
	var b bytes.Buffer
	require.NoError(t, replay.Encode(&b, rep))
	v, err := verify.Bytes(b.Bytes(), arenaGames(t, 30))
	require.NoError(t, err)
	assert.False(t, v.ChecksumsOK)
	assert.False(t, v.OK())
	assert.Equal(t, uint32(1020), v.FirstMismatch, "%+v", v) // the first multiple of 60 after 1000
	t.Logf("%+v", v)

	// The untouched file verifies, so the change is what failed.
	v, err = verify.Bytes(file, arenaGames(t, 30))
	require.NoError(t, err)
	assert.True(t, v.OK(), "%+v", v)
}

// TestVerifyTruncated: a truncated replay is a clean error, whichever byte it ends at.
func TestVerifyTruncated(t *testing.T) {
	file, _ := recordBench(t, 2, 3)
	for _, n := range []int{0, 5, 10, 11, len(file) / 3, len(file) - 1} {
		_, err := verify.Bytes(file[:n], arenaGames(t, 3))
		require.Error(t, err, "%d of %d bytes", n, len(file))
		assert.True(t, errors.Is(err, replay.ErrTruncated) || errors.Is(err, replay.ErrCorrupt), "%d bytes: %v", n, err)
	}
}
