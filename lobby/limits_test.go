package lobby

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/lobby/glicko"
	"github.com/skirmish-go/skirmish/lobby/proto"
)

// A connection that keeps sending over its rate is closed after MaxDropped drops in a row.
func TestRateLimitedDisconnect(t *testing.T) {
	cfg := testConfig()
	cfg.MsgRate, cfg.MsgBurst = 1, 3 // MaxDropped defaults to 3 bursts: 9
	srv, addr := startLobby(t, cfg)
	require.Equal(t, 9, srv.cfg.MaxDropped)
	r := dialRaw(t, addr)
	var b strings.Builder
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&b, `{"type":"ping","id":%d}`+"\n", i)
	}
	r.write(b.String())
	pongs, limited := 0, 0
	last := proto.Message{}
	require.NoError(t, r.nc.SetReadDeadline(time.Now().Add(waitFor)))
	for range 50 {
		line, err := r.lr.ReadLine()
		if err != nil {
			var ne net.Error
			require.False(t, errors.As(err, &ne) && ne.Timeout(), "connection not closed")
			break
		}
		m, err := proto.Decode(line)
		require.NoError(t, err)
		switch {
		case m.Type == proto.TypePong:
			pongs++
		case m.Code == proto.CodeRateLimited:
			limited++
		}
		last = m
	}
	assert.Equal(t, 3, pongs, "the burst")
	assert.Equal(t, 9, limited, "closed on the 9th drop in a row")
	assert.Contains(t, last.Message, "closing")
}

// An allowed message resets the count of drops in a row.
func TestRateLimitedRecovers(t *testing.T) {
	s := New(Config{MsgRate: 1, MsgBurst: 1})
	c := newConn(s, nil, netip.Addr{})
	now := time.Unix(1000, 0)
	require.True(t, c.allow(now))
	require.False(t, c.allow(now))
	require.True(t, c.allow(now.Add(time.Second)), "refilled")
}

func TestSourceOf(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"192.0.2.7", "192.0.2.7"},
		{"2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::"},
		{"2001:db8:1:2::1", "2001:db8:1:2::"},
		{"fe80::1%eth0", "fe80::"},
		{"::1", "::"},
	} {
		got := sourceOf(netip.MustParseAddr(tc.in), 64)
		assert.Equal(t, tc.want, got.String(), tc.in)
	}
	assert.Equal(t, "2001:db8::1", sourceOf(netip.MustParseAddr("2001:db8::1"), 128).String())
}

type remoteConn struct {
	net.Conn
	ra net.Addr
}

func (c remoteConn) RemoteAddr() net.Addr { return c.ra }

// Per-IP limits count a whole IPv6 /64 as one source.
func TestPerIPLimitGroupsIPv6By64(t *testing.T) {
	cfg := testConfig()
	cfg.MaxConnsPerIP = 2
	s := New(cfg)
	defer s.Close()
	// dial hands the lobby one end of a pipe from ip; the returned channel gets what the lobby
	// writes before closing (a refusal), read concurrently because pipes do not buffer.
	dial := func(ip string) <-chan string {
		server, client := net.Pipe()
		got := make(chan string, 1)
		go func() {
			_ = client.SetReadDeadline(time.Now().Add(waitFor))
			b, _ := io.ReadAll(client)
			got <- string(b)
		}()
		t.Cleanup(func() { client.Close() })
		s.accept(remoteConn{server, &net.TCPAddr{IP: net.ParseIP(ip), Port: 1234}})
		return got
	}
	refused := func(got <-chan string) string {
		m, err := proto.Decode([]byte(strings.TrimSpace(<-got)))
		require.NoError(t, err)
		return m.Code
	}
	dial("2001:db8:0:1::1")
	dial("2001:db8:0:1::2")
	assert.Equal(t, proto.CodeTooManyConns, refused(dial("2001:db8:0:1:ffff::3")), "same /64")
	dial("2001:db8:0:2::1") // another /64 is another source
	s.mu.Lock()
	n := len(s.conns)
	s.mu.Unlock()
	assert.Equal(t, 3, n)
}

// flakyStore fails every call that reaches the network while down is set.
type flakyStore struct {
	Store
	down atomic.Bool
}

var errDown = errors.New("store down (test)")

func (f *flakyStore) err() error {
	if f.down.Load() {
		return errDown
	}
	return nil
}
func (f *flakyStore) Lock(ctx context.Context, name, owner string, ttl time.Duration) (bool, error) {
	if err := f.err(); err != nil {
		return false, err
	}
	return f.Store.Lock(ctx, name, owner, ttl)
}
func (f *flakyStore) Match(ctx context.Context, id string) (Match, error) {
	if err := f.err(); err != nil {
		return Match{}, err
	}
	return f.Store.Match(ctx, id)
}
func (f *flakyStore) PutServer(ctx context.Context, si ServerInfo) error {
	if err := f.err(); err != nil {
		return err
	}
	return f.Store.PutServer(ctx, si)
}
func (f *flakyStore) Servers(ctx context.Context) ([]ServerInfo, error) {
	if err := f.err(); err != nil {
		return nil, err
	}
	return f.Store.Servers(ctx)
}
func (f *flakyStore) FinishMatch(ctx context.Context, id string, r map[uint64]glicko.Rating, rec proto.MatchRecord) (Match, bool, error) {
	if err := f.err(); err != nil {
		return Match{}, false, err
	}
	return f.Store.FinishMatch(ctx, id, r, rec)
}

// While the store is down the lobby is unhealthy and does not acknowledge results; game
// servers are not declared dead for the outage; afterwards the result lands once.
func TestStoreOutageKeepsResults(t *testing.T) {
	fs := &flakyStore{Store: NewMemoryStore()}
	cfg := testConfig()
	cfg.Store = fs
	cfg.InstanceTTL = 300 * time.Millisecond
	srv, addr := startLobby(t, cfg)
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	health := func() int {
		resp, err := http.Get(hs.URL + "/healthz")
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusOK, health())

	gs := startGameServer(t, []string{addr}, "gs1", "eu", 8)
	gs.waitRegistered(t)
	waitServers(t, srv, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 2*waitFor)
	defer cancel()
	a, b := player(t, addr, "ada"), player(t, addr, "bob")
	require.NoError(t, a.QuickMatch(ctx, "duel", "eu"))
	require.NoError(t, b.QuickMatch(ctx, "duel", "eu"))
	ma, mb := event(t, a, proto.TypeMatchFound), event(t, b, proto.TypeMatchFound)
	ta, tb := ticketOf(t, ma.Token), ticketOf(t, mb.Token)

	fs.down.Store(true)
	downAt := time.Now()
	require.Eventually(t, func() bool { return health() == http.StatusServiceUnavailable }, waitFor, 5*time.Millisecond)
	t.Logf("store down: /healthz 503 after %v", time.Since(downAt).Round(time.Millisecond))
	gs.link.ReportResult(proto.MatchResult{MatchID: ma.MatchID, Players: []proto.PlayerResult{
		{PlayerID: ta.PlayerID, Rank: 1, Score: 10}, {PlayerID: tb.PlayerID, Rank: 2, Score: 3}}})
	// Stay down longer than the heartbeat timeout, with the result refused at least twice.
	require.Eventually(t, func() bool {
		return time.Since(downAt) > 2*cfg.HeartbeatTimeout &&
			testutilCounter(srv, proto.CodeInternal) >= 2
	}, waitFor, 10*time.Millisecond)
	require.Equal(t, 1, gs.link.Unacked(), "no ack while the store is down")

	fs.down.Store(false)
	upAt := time.Now()
	require.Eventually(t, func() bool { return health() == http.StatusOK }, waitFor, 5*time.Millisecond)
	select {
	case id := <-gs.acked:
		assert.Equal(t, ma.MatchID, id)
	case <-time.After(waitFor):
		t.Fatal("no result ack after the store came back")
	}
	t.Logf("store back: healthy and result acked %v later", time.Since(upAt).Round(time.Millisecond))
	ea := event(t, a, proto.TypeMatchEnded)
	assert.Equal(t, proto.ReasonFinished, ea.Reason, "not server_lost: the outage is not the server's")
	assert.Greater(t, ea.Rating.Rating, 1500.0)
	hist, _, err := a.History(ctx)
	require.NoError(t, err)
	require.Len(t, hist, 1)
	assert.Equal(t, ma.MatchID, hist[0].MatchID)
}

func testutilCounter(s *Server, code string) float64 {
	var m dto.Metric
	if err := s.metrics.errors.WithLabelValues(code).Write(&m); err != nil {
		return 0
	}
	return m.GetCounter().GetValue()
}
