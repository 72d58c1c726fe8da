// Hostile-traffic tests: the server under floods and forgeries. Linux only: they send from several loopback addresses
// (127.0.0.2 and up), which Linux routes without configuration.

//go:build linux && !race

package gameserver_test

import (
	"context"
	"encoding/binary"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/client/bot"
	"github.com/skirmish-go/skirmish/client/flood"
	"github.com/skirmish-go/skirmish/cmd/stacktest"
	"github.com/skirmish-go/skirmish/gameserver"
	"github.com/skirmish-go/skirmish/gameserver/wire"
	"github.com/skirmish-go/skirmish/netcode/secure"
)

// hostileStack is a lobby, one Arena game server and its lobbylink, in this process on loopback.
type hostileStack struct {
	key       secure.Key
	lobbyAddr string
	gameAddr  netip.AddrPort
	gs        *gameserver.Server
}

func startHostileStack(t *testing.T) *hostileStack {
	t.Helper()
	st := stacktest.StartStack(t, stacktest.Options{
		Modes: []gameserver.ModeSpec{{Name: "ffa", Title: "Free for all", MinPlayers: 2, MaxPlayers: 8,
			FillTimeout: 500 * time.Millisecond}},
	})
	return &hostileStack{key: st.Key, lobbyAddr: st.LobbyAddr, gameAddr: st.GameAddr, gs: st.Game}
}

// metricLines returns the game server's Prometheus lines whose names contain any of names.
func (s *hostileStack) metricLines(names ...string) string {
	rec := httptest.NewRecorder()
	s.gs.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	var out []string
	for l := range strings.SplitSeq(rec.Body.String(), "\n") {
		if strings.HasPrefix(l, "#") {
			continue
		}
		for _, n := range names {
			if strings.Contains(l, n) {
				out = append(out, l)
				break
			}
		}
	}
	return strings.Join(out, "; ")
}

// floodTicket seats each of the flood's real sessions alone in a match of its own, so its
// tampered and replayed packets hit a live connection.
func floodTicket(clientID uint64) [wire.UserDataBytes]byte {
	var id [16]byte
	binary.LittleEndian.PutUint64(id[:], clientID)
	copy(id[8:], "hostile!")
	ud, err := wire.Ticket{MatchID: id, Players: 2, Mode: "ffa", Name: "flood", PlayerID: clientID}.Marshal()
	if err != nil {
		panic(err)
	}
	return ud
}

type progressSignal struct {
	once  sync.Once
	first chan struct{}
}

func (w *progressSignal) Write(b []byte) (int, error) {
	w.once.Do(func() { close(w.first) })
	return len(b), nil
}

// TestHostileFloodWhileBotsPlay: 16 bots play Arena through the real lobby and game server
// while at least 20,000 junk and forged packets per second hit the game port.
func TestHostileFloodWhileBotsPlay(t *testing.T) {
	const rate = 24_000
	play := 5 * time.Second
	if testing.Short() {
		play = 3 * time.Second
	}
	st := startHostileStack(t)
	ctx, cancel := context.WithTimeout(t.Context(), 28*time.Second)
	defer cancel()
	floodCtx, stopFlood := context.WithCancel(ctx)
	defer stopFlood()

	progress := &progressSignal{first: make(chan struct{})}
	floodSum := make(chan flood.Summary, 1)
	floodErr := make(chan error, 1)
	go func() {
		s, err := flood.Run(floodCtx, flood.Config{
			Game: st.gameAddr.String(), Key: &st.key, Rate: rate, Duration: 20 * time.Second, Sources: 4,
			Kinds: flood.UDPKinds, Progress: progress, Seed: 3, UserData: floodTicket,
			SourceIPs: []netip.Addr{netip.MustParseAddr("127.0.0.2"), netip.MustParseAddr("127.0.0.3")},
		})
		floodErr <- err
		floodSum <- s
	}()
	select {
	case <-progress.first: // the flood has been running for a second
	case <-ctx.Done():
		t.Fatal("flood did not start")
	}
	sum, err := bot.Run(ctx, bot.Config{Lobby: st.lobbyAddr, N: 16, Duration: play, Mode: "ffa", Seed: 11, MatchTimeout: 15 * time.Second})
	require.NoError(t, err)
	status := st.gs.Status()
	stopFlood()
	require.NoError(t, <-floodErr)
	fs := <-floodSum

	budget := 1000.0 / float64(status.TickHz)
	t.Logf("flood: %.1fs, %d packets (%.0f/s), %d replies, %d B in, amplified sources %d",
		fs.Seconds, fs.Sent, fs.PacketsPerSecond(), fs.Replies, fs.BytesIn, fs.AmplifiedSources)
	for _, k := range flood.UDPKinds {
		if ks := fs.Kinds[k]; ks != nil {
			t.Logf("  %-9s sent %6d replies %4d errors %d %s", k, ks.Sent, ks.Replies, ks.Errors, ks.Note)
		}
	}
	t.Logf("bots: %d/%d matched, %d disconnects, %d failed, %.1f snapshots/s, input delivery %.4f, rtt p99 %.1f ms, errors %v",
		sum.Matched, sum.Bots, sum.Disconnects, sum.Failed, sum.SnapshotRateHz, sum.InputDelivery, sum.RTTMsP99, sum.Errors)
	t.Logf("game server: %d matches, %d players, tick p99 %.2f ms (budget %.2f ms at %d Hz)",
		status.Matches, status.Players, status.TickP99Milli, budget, status.TickHz)
	t.Logf("game server metrics: %s", st.metricLines("invalid_packets", "rejected_connections", "dropped_packets", "slipped_ticks"))

	assert.GreaterOrEqual(t, fs.PacketsPerSecond(), 20_000.0, "flood rate")
	assert.Zero(t, fs.AmplifiedSources)
	assert.True(t, sum.OK(), "errors: %v", sum.Errors)
	assert.Equal(t, 16, sum.Matched)
	assert.Zero(t, sum.Disconnects)
	assert.Greater(t, sum.SnapshotRateHz, 20.0, "server sends 30 Hz")
	assert.Positive(t, status.TickP99Milli)
	assert.Less(t, status.TickP99Milli, budget, "tick p99 within the tick budget")
}
