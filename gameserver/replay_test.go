package gameserver_test

import (
	"bytes"
	"context"
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
