package lobby

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/client/lobbyclient"
	"github.com/skirmish-go/skirmish/lobby/proto"
)

// fakeClock is a Config.Now that moves only when told.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// noEvent asserts that c gets no event of type typ for a while (many matchmaker passes).
func noEvent(t *testing.T, c *lobbyclient.Client, typ string, why string) {
	t.Helper()
	timer := time.NewTimer(300 * time.Millisecond)
	defer timer.Stop()
	for {
		select {
		case m, ok := <-c.Events():
			require.True(t, ok, "events closed: %v", c.Err())
			require.NotEqual(t, typ, m.Type, why)
		case <-timer.C:
			return
		}
	}
}

// Players who take match_found and never connect hold their seats only until their tokens
// could no longer be redeemed (plus a margin); after that the game server's own count, from
// its heartbeat, decides what is free.
func TestUnredeemedSeatsReleased(t *testing.T) {
	clock := &fakeClock{now: time.Now()}
	cfg := testConfig()
	cfg.Now = clock.Now
	cfg.HeartbeatTimeout = time.Hour // the clock jumps; the server must not look silent
	cfg.SeatReservation = 45 * time.Second
	srv, addr := startLobby(t, cfg)
	gs := startGameServer(t, []string{addr}, "gs", "", 2)
	gs.waitRegistered(t)
	waitServers(t, srv, 1)
	ctx := context.Background()
	queue := func(names ...string) []*lobbyclient.Client {
		var out []*lobbyclient.Client
		for _, n := range names {
			c := player(t, addr, n)
			require.NoError(t, c.QuickMatch(ctx, "duel", ""))
			out = append(out, c)
		}
		return out
	}
	load := func(players int) { // what the server reports, as seen by the lobby
		gs.link.SetLoad(players, players/2)
		require.Eventually(t, func() bool {
			ss, err := srv.store.Servers(ctx)
			return err == nil && len(ss) == 1 && ss[0].Players == players
		}, waitFor, 5*time.Millisecond)
	}

	// Two throwaway players fill the server (capacity 2) and never connect.
	ab := queue("ada", "bob")
	event(t, ab[0], proto.TypeMatchFound)
	event(t, ab[1], proto.TypeMatchFound)
	cd := queue("cat", "dan")
	noEvent(t, cd[0], proto.TypeMatchFound, "the server's 2 seats are reserved")

	// Their tokens expire; the server reports nobody: the seats are free again.
	clock.Advance(cfg.SeatReservation + time.Second)
	event(t, cd[0], proto.TypeMatchFound)
	event(t, cd[1], proto.TypeMatchFound)

	// The server's real occupancy wins over the lobby's count, both ways.
	clock.Advance(cfg.SeatReservation + time.Second)
	load(2) // cat and dan did connect
	ef := queue("eve", "fay")
	noEvent(t, ef[0], proto.TypeMatchFound, "the server reports itself full")
	load(0)
	m := event(t, ef[0], proto.TypeMatchFound)
	assert.NotEmpty(t, m.MatchID)
}
