package lobby

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/client/lobbyclient"
	"github.com/skirmish-go/skirmish/gameserver/lobbylink"
	"github.com/skirmish-go/skirmish/gameserver/wire"
	"github.com/skirmish-go/skirmish/lobby/proto"
)

var testKey = [32]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32}

// fakeSeal stands in for netcode/secure: the token is "TOKEN" + the user data, so tests can
// read the Ticket back.
func fakeSeal(clientID uint64, addr netip.AddrPort, ud [256]byte) ([]byte, error) {
	return append([]byte("TOKEN"), ud[:]...), nil
}

func ticketOf(t *testing.T, tok []byte) wire.Ticket {
	t.Helper()
	require.True(t, bytes.HasPrefix(tok, []byte("TOKEN")), "token %q", tok)
	tk, err := wire.ParseTicket(tok[5:])
	require.NoError(t, err)
	return tk
}

const waitFor = 5 * time.Second

func testConfig() Config {
	return Config{
		Key: testKey, SealToken: fakeSeal, Logger: slog.New(slog.DiscardHandler),
		HeartbeatTimeout: 400 * time.Millisecond, SweepInterval: 50 * time.Millisecond,
		MatchInterval: 20 * time.Millisecond,
	}
}

// testGame and testModes are what startGameServer's servers offer.
const testGame = "testgame"

func testModes() []proto.ModeInfo {
	return []proto.ModeInfo{
		{Name: "duel", Title: "Duel", MinPlayers: 2, MaxPlayers: 2, Teams: 2, FillMS: 1000},
		{Name: "ffa", Title: "Free for all", MinPlayers: 2, MaxPlayers: 4, FillMS: 300},
	}
}

// startLobby serves a lobby on a loopback port and stops it when the test ends.
func startLobby(t testing.TB, cfg Config) (*Server, string) {
	t.Helper()
	srv := New(cfg)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	t.Cleanup(func() {
		require.NoError(t, srv.Close())
		require.ErrorIs(t, <-errc, ErrServerClosed)
	})
	return srv, l.Addr().String()
}

// raw is a line-level test client, what a person with nc would do.
type raw struct {
	t    testing.TB
	nc   net.Conn
	lr   *proto.LineReader
	next uint64
}

func dialRaw(t testing.TB, addr string) *raw {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { nc.Close() })
	return &raw{t: t, nc: nc, lr: proto.NewLineReader(nc, 0)}
}

func (r *raw) write(s string) {
	r.t.Helper()
	_, err := r.nc.Write([]byte(s))
	require.NoError(r.t, err)
}

// read returns the next message, failing after waitFor.
func (r *raw) read() proto.Message {
	r.t.Helper()
	require.NoError(r.t, r.nc.SetReadDeadline(time.Now().Add(waitFor)))
	line, err := r.lr.ReadLine()
	require.NoError(r.t, err)
	m, err := proto.Decode(line)
	require.NoError(r.t, err, "line %q", line)
	return m
}

// readType skips messages until one of type typ (bounded).
func (r *raw) readType(typ string) proto.Message {
	r.t.Helper()
	for range 50 {
		if m := r.read(); m.Type == typ {
			return m
		}
	}
	r.t.Fatalf("no %s message", typ)
	return proto.Message{}
}

// req sends a request (a JSON object without id) and returns the reply with its id.
func (r *raw) req(obj map[string]any) proto.Message {
	r.t.Helper()
	r.next++
	obj["id"] = r.next
	b, err := json.Marshal(obj)
	require.NoError(r.t, err)
	r.write(string(b) + "\n")
	for range 50 {
		m := r.read()
		if m.ID == r.next {
			return m
		}
	}
	r.t.Fatal("no reply")
	return proto.Message{}
}

func (r *raw) expectErr(obj map[string]any, code string) proto.Message {
	r.t.Helper()
	m := r.req(obj)
	require.Equal(r.t, proto.TypeError, m.Type, "%+v", m)
	require.Equal(r.t, code, m.Code, "%+v", m)
	require.NotEmpty(r.t, m.Message)
	return m
}

// expectClosed reads until EOF (bounded), so a closed connection is seen as closed.
func (r *raw) expectClosed() {
	r.t.Helper()
	require.NoError(r.t, r.nc.SetReadDeadline(time.Now().Add(waitFor)))
	for range 100 {
		if _, err := r.lr.ReadLine(); err != nil {
			var ne net.Error
			require.False(r.t, errors.As(err, &ne) && ne.Timeout(), "connection not closed: %v", err)
			return
		}
	}
	r.t.Fatal("connection not closed")
}

func helloRaw(t testing.TB, addr, name string) *raw {
	r := dialRaw(t, addr)
	m := r.req(map[string]any{"type": "hello", "version": proto.ProtocolVersion, "name": name})
	require.Equal(t, proto.TypeWelcome, m.Type, "%+v", m)
	return r
}

func player(t testing.TB, addr, name string) *lobbyclient.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	c, err := lobbyclient.Dial(ctx, addr, nil)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	_, err = c.Hello(ctx, name)
	require.NoError(t, err)
	return c
}

// event waits for the next event of type typ on c (others are skipped).
func event(t testing.TB, c *lobbyclient.Client, typ string) proto.Message {
	t.Helper()
	timer := time.NewTimer(waitFor)
	defer timer.Stop()
	for {
		select {
		case m, ok := <-c.Events():
			require.True(t, ok, "events closed waiting for %s: %v", typ, c.Err())
			if m.Type == typ {
				return m
			}
		case <-timer.C:
			t.Fatalf("no %s event", typ)
		}
	}
}

// gameServer is a fake game server that registers through lobbylink.
type gameServer struct {
	link  *lobbylink.Link
	cfg   lobbylink.Config
	reg   chan string
	acked chan string
	stop  context.CancelFunc
	done  chan error
	once  sync.Once
}

func startGameServer(t testing.TB, lobbies []string, name, region string, capacity int, opts ...func(*lobbylink.Config)) *gameServer {
	t.Helper()
	g := &gameServer{reg: make(chan string, 16), acked: make(chan string, 16), done: make(chan error, 1)}
	g.cfg = lobbylink.Config{
		Lobbies: lobbies, Key: testKey, Name: name, Region: region, Addr: "127.0.0.1:7001", Capacity: capacity,
		Game: testGame, Modes: testModes(),
		HeartbeatInterval: 50 * time.Millisecond, BackoffMin: 10 * time.Millisecond, BackoffMax: 100 * time.Millisecond,
		Logger:        slog.New(slog.DiscardHandler),
		OnRegistered:  func(l string) { g.reg <- l },
		OnResultAcked: func(id string) { g.acked <- id },
	}
	for _, o := range opts {
		o(&g.cfg)
	}
	g.link = lobbylink.New(g.cfg)
	ctx, cancel := context.WithCancel(context.Background())
	g.stop = cancel
	go func() { g.done <- g.link.Run(ctx) }()
	t.Cleanup(g.kill)
	return g
}

func (g *gameServer) kill() {
	g.once.Do(func() {
		g.stop()
		<-g.done
		g.link.Close()
	})
}

func (g *gameServer) waitRegistered(t testing.TB) string {
	t.Helper()
	select {
	case l := <-g.reg:
		return l
	case <-time.After(waitFor):
		t.Fatal("game server did not register")
		return ""
	}
}

// waitServers waits until the lobby sees n live servers (the registration is asynchronous
// to the link's callback by at most one message).
func waitServers(t testing.TB, srv *Server, n int) {
	t.Helper()
	require.Eventually(t, func() bool {
		p, err := srv.store.Presence(context.Background())
		return err == nil && p.Servers == n
	}, waitFor, 5*time.Millisecond)
}

func netListen() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }
