package lobby

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/client/lobbyclient"
	"github.com/skirmish-go/skirmish/lobby/proto"
)

func TestHelloPingPresence(t *testing.T) {
	_, addr := startLobby(t, testConfig())
	r := dialRaw(t, addr)
	w := r.req(map[string]any{"type": "hello", "version": 1, "role": "player", "name": "ada"})
	require.Equal(t, proto.TypeWelcome, w.Type)
	assert.Equal(t, "ada", w.Name)
	assert.NotZero(t, w.PlayerID)
	require.NotNil(t, w.Rating)
	assert.InDelta(t, 1500, w.Rating.Rating, 0.001)

	assert.Equal(t, proto.TypePong, r.req(map[string]any{"type": "ping"}).Type)
	helloRaw(t, addr, "bob")
	p := r.req(map[string]any{"type": "presence"})
	require.Equal(t, proto.TypePresence, p.Type)
	assert.Equal(t, 2, p.Online)

	// Blank lines and CRLF are fine (nc, telnet).
	r.write("\n  \r\n")
	r.next++
	r.write(fmt.Sprintf(`{"type":"ping","id":%d}`+"\r\n", r.next))
	assert.Equal(t, proto.TypePong, r.read().Type)
}

func TestSplitAndCoalescedReads(t *testing.T) {
	_, addr := startLobby(t, testConfig())
	r := dialRaw(t, addr)
	// Three requests in one write.
	r.write(`{"type":"hello","id":1,"version":1,"name":"ada"}` + "\n" + `{"type":"ping","id":2}` + "\n" + `{"type":"presence","id":3}` + "\n")
	for i, typ := range []string{proto.TypeWelcome, proto.TypePong, proto.TypePresence} {
		m := r.read()
		assert.Equal(t, typ, m.Type)
		assert.Equal(t, uint64(i+1), m.ID)
	}
	// One request a byte at a time, then the end of one and the start of the next together.
	line := `{"type":"ping","id":4}` + "\n" + `{"type":"ping","id":5}` + "\n"
	for i := 0; i < 10; i++ {
		r.write(line[i : i+1])
	}
	r.write(line[10:30])
	r.write(line[30:])
	assert.Equal(t, uint64(4), r.read().ID)
	assert.Equal(t, uint64(5), r.read().ID)
}

func TestErrorCodesPlayer(t *testing.T) {
	cfg := testConfig()
	cfg.MsgBurst = 200 // rate limit tested on its own
	cfg.MsgRate = 1000
	_, addr := startLobby(t, cfg)
	r := dialRaw(t, addr)

	r.expectErr(map[string]any{"type": "queue", "mode": "duel"}, proto.CodeHelloFirst)
	r.expectErr(map[string]any{"type": "hello", "version": 99, "name": "x"}, proto.CodeBadVersion)
	r.expectErr(map[string]any{"type": "hello", "version": 1, "name": ""}, proto.CodeBadName)
	r.expectErr(map[string]any{"type": "hello", "version": 1, "name": strings.Repeat("n", 33)}, proto.CodeBadName)
	r.expectErr(map[string]any{"type": "hello", "version": 1, "name": "a\tb"}, proto.CodeBadName)
	r.expectErr(map[string]any{"type": "hello", "version": 1, "role": "admin", "name": "x"}, proto.CodeBadRequest)
	helloRaw(t, addr, "taken")
	r.expectErr(map[string]any{"type": "hello", "version": 1, "name": "taken"}, proto.CodeNameTaken)
	require.Equal(t, proto.TypeWelcome, r.req(map[string]any{"type": "hello", "version": 1, "name": "me"}).Type)
	r.expectErr(map[string]any{"type": "hello", "version": 1, "name": "me2"}, proto.CodeAlreadyHello)
	r.expectErr(map[string]any{"type": "dance"}, proto.CodeUnknownType)
	r.expectErr(map[string]any{"type": "heartbeat"}, proto.CodeUnknownType)

	// bad_request: not JSON, no type.
	r.write("this is not json\n")
	m := r.read()
	assert.Equal(t, proto.CodeBadRequest, m.Code)
	r.write(`{"id":7}` + "\n")
	assert.Equal(t, proto.CodeBadRequest, r.read().Code)

	r.expectErr(map[string]any{"type": "queue", "mode": "chess"}, proto.CodeBadMode)
	r.expectErr(map[string]any{"type": "cancel_queue"}, proto.CodeNotQueued)
	require.Equal(t, proto.TypeQueued, r.req(map[string]any{"type": "queue", "mode": "duel", "region": "eu"}).Type)
	r.expectErr(map[string]any{"type": "queue", "mode": "duel", "region": "eu"}, proto.CodeAlreadyQueued)
	require.Equal(t, proto.TypeOK, r.req(map[string]any{"type": "cancel_queue"}).Type)

	r.expectErr(map[string]any{"type": "room_leave"}, proto.CodeNotInRoom)
	r.expectErr(map[string]any{"type": "room_ready", "ready": true}, proto.CodeNotInRoom)
	r.expectErr(map[string]any{"type": "room_start"}, proto.CodeNotInRoom)
	r.expectErr(map[string]any{"type": "chat", "text": "hi"}, proto.CodeNotInRoom)
	r.expectErr(map[string]any{"type": "room_join", "room_id": "nope"}, proto.CodeRoomNotFound)
	r.expectErr(map[string]any{"type": "room_join", "join_code": "ZZZZZZ"}, proto.CodeRoomNotFound)
	r.expectErr(map[string]any{"type": "room_join"}, proto.CodeBadRequest)
	r.expectErr(map[string]any{"type": "room_create", "mode": "chess"}, proto.CodeBadMode)
	room := r.req(map[string]any{"type": "room_create", "mode": "duel"})
	require.Equal(t, proto.TypeRoom, room.Type)
	r.expectErr(map[string]any{"type": "room_create", "mode": "duel"}, proto.CodeInRoom)
	r.expectErr(map[string]any{"type": "queue", "mode": "duel"}, proto.CodeInRoom)
	r.expectErr(map[string]any{"type": "chat", "text": ""}, proto.CodeBadText)
	r.expectErr(map[string]any{"type": "chat", "text": strings.Repeat("x", proto.MaxChatLen+1)}, proto.CodeBadText)
	r.expectErr(map[string]any{"type": "room_start"}, proto.CodeNotEnough)

	other := helloRaw(t, addr, "other")
	require.Equal(t, proto.TypeRoom, other.req(map[string]any{"type": "room_join", "room_id": room.Room.ID}).Type)
	other.expectErr(map[string]any{"type": "room_start"}, proto.CodeNotHost)
	third := helloRaw(t, addr, "third")
	third.expectErr(map[string]any{"type": "room_join", "room_id": room.Room.ID}, proto.CodeRoomFull)
	r.expectErr(map[string]any{"type": "room_start"}, proto.CodeNoServer) // no game server yet

	r.expectErr(map[string]any{"type": "reconnect", "match_id": "00"}, proto.CodeNoMatch)
}

func TestLineTooLong(t *testing.T) {
	_, addr := startLobby(t, testConfig())
	r := dialRaw(t, addr)
	r.write(`{"type":"ping","text":"` + strings.Repeat("a", proto.MaxLineBytes) + "\"}\n")
	m := r.read()
	assert.Equal(t, proto.CodeLineTooLong, m.Code)
	r.expectClosed()
}

func TestRateLimited(t *testing.T) {
	cfg := testConfig()
	cfg.MsgRate, cfg.MsgBurst = 1, 3
	_, addr := startLobby(t, cfg)
	r := dialRaw(t, addr)
	var b strings.Builder
	for i := 1; i <= 5; i++ {
		fmt.Fprintf(&b, `{"type":"ping","id":%d}`+"\n", i)
	}
	r.write(b.String())
	codes := []string{}
	for range 5 {
		m := r.read()
		codes = append(codes, m.Type+"/"+m.Code)
	}
	assert.Equal(t, []string{"pong/", "pong/", "pong/", "error/rate_limited", "error/rate_limited"}, codes)
}

func TestConnectionLimits(t *testing.T) {
	cfg := testConfig()
	cfg.MaxConnsPerIP = 2
	_, addr := startLobby(t, cfg)
	a, b := helloRaw(t, addr, "a"), helloRaw(t, addr, "b")
	_, _ = a, b
	c := dialRaw(t, addr)
	m := c.read()
	assert.Equal(t, proto.CodeTooManyConns, m.Code)
	c.expectClosed()

	cfg = testConfig()
	cfg.MaxConns = 1
	_, addr = startLobby(t, cfg)
	helloRaw(t, addr, "a")
	c = dialRaw(t, addr)
	assert.Equal(t, proto.CodeServerFull, c.read().Code)
	c.expectClosed()
}

func TestHandshakeAndIdleTimeout(t *testing.T) {
	cfg := testConfig()
	cfg.HandshakeTimeout = 100 * time.Millisecond
	cfg.IdleTimeout = 200 * time.Millisecond
	_, addr := startLobby(t, cfg)
	r := dialRaw(t, addr)
	assert.Equal(t, proto.CodeHelloFirst, r.read().Code)
	r.expectClosed()
	p := helloRaw(t, addr, "idle")
	p.expectClosed()
}

func TestInternalError(t *testing.T) {
	cfg := testConfig()
	cfg.Store = failingStore{NewMemoryStore()}
	_, addr := startLobby(t, cfg)
	r := helloRaw(t, addr, "ada")
	r.expectErr(map[string]any{"type": "presence"}, proto.CodeInternal)
}

type failingStore struct{ *MemoryStore }

func (failingStore) Presence(context.Context) (Presence, error) {
	return Presence{}, errors.New("disk on fire")
}

func TestQuickMatchResultAndHistory(t *testing.T) {
	srv, addr := startLobby(t, testConfig())
	gs := startGameServer(t, []string{addr}, "gs1", "eu", 8)
	gs.waitRegistered(t)
	waitServers(t, srv, 1)

	ctx := context.Background()
	a, b := player(t, addr, "ada"), player(t, addr, "bob")
	require.NoError(t, a.QuickMatch(ctx, "duel", "eu"))
	require.NoError(t, b.QuickMatch(ctx, "duel", "eu"))
	ma, mb := event(t, a, proto.TypeMatchFound), event(t, b, proto.TypeMatchFound)
	assert.Equal(t, ma.MatchID, mb.MatchID)
	assert.Equal(t, "127.0.0.1:7001", ma.Server)
	assert.Equal(t, "udp", ma.Transport)
	assert.Equal(t, 2, ma.Players)
	ta, tb := ticketOf(t, ma.Token), ticketOf(t, mb.Token)
	assert.Equal(t, ma.MatchID, ta.MatchIDString())
	assert.NotEqual(t, ta.Slot, tb.Slot)
	assert.NotEqual(t, ta.Team, tb.Team)
	assert.Equal(t, "ada", ta.Name)
	assert.Equal(t, "duel", ta.Mode)
	assert.Equal(t, ma.Slot, int(ta.Slot))

	// In a match: no queueing; reconnect gets a fresh token for the same seat.
	err := a.QuickMatch(ctx, "duel", "eu")
	require.ErrorIs(t, err, &proto.Error{Code: proto.CodeInMatch})
	re, err := a.Reconnect(ctx, ma.MatchID)
	require.NoError(t, err)
	assert.Equal(t, ma.Slot, re.Slot)
	assert.Equal(t, ta, ticketOf(t, re.Token))
	// A player whose lobby connection dropped learns the match from welcome.
	require.NoError(t, a.Close())
	a2, err := lobbyclient.Dial(ctx, addr, nil)
	require.NoError(t, err)
	defer a2.Close()
	var w lobbyclient.Welcome
	require.Eventually(t, func() bool { // the old session's nickname is released asynchronously
		w, err = a2.Hello(ctx, "ada")
		return err == nil
	}, waitFor, 5*time.Millisecond)
	assert.Equal(t, ma.MatchID, w.MatchID)
	a = a2
	c := player(t, addr, "cy")
	_, err = c.Reconnect(ctx, ma.MatchID)
	require.ErrorIs(t, err, &proto.Error{Code: proto.CodeNoMatch})

	gs.link.ReportResult(proto.MatchResult{MatchID: ma.MatchID, Players: []proto.PlayerResult{
		{PlayerID: ta.PlayerID, Rank: 1, Score: 10}, {PlayerID: tb.PlayerID, Rank: 2, Score: 3}},
		Replay: ma.MatchID + ".replay"})
	select {
	case id := <-gs.acked:
		assert.Equal(t, ma.MatchID, id)
	case <-time.After(waitFor):
		t.Fatal("no result ack")
	}
	ea, eb := event(t, a, proto.TypeMatchEnded), event(t, b, proto.TypeMatchEnded)
	assert.Equal(t, proto.ReasonFinished, ea.Reason)
	assert.Greater(t, ea.Rating.Rating, 1500.0)
	assert.Less(t, eb.Rating.Rating, 1500.0)
	hist, rating, err := a.History(ctx)
	require.NoError(t, err)
	require.Len(t, hist, 1)
	assert.Equal(t, ma.MatchID, hist[0].MatchID)
	assert.Equal(t, ma.MatchID+".replay", hist[0].Replay, "the history links the result to its replay")
	assert.Equal(t, ea.Rating.Rating, rating.Rating)
	assert.Equal(t, 0, gs.link.Unacked())

	// After the match the players may queue again.
	require.NoError(t, a.QuickMatch(ctx, "duel", "eu"))
}

func TestMatchNeedsServerInRegion(t *testing.T) {
	srv, addr := startLobby(t, testConfig())
	gs := startGameServer(t, []string{addr}, "us1", "us", 8)
	gs.waitRegistered(t)
	waitServers(t, srv, 1)
	ctx := context.Background()
	a, b := player(t, addr, "ada"), player(t, addr, "bob")
	require.NoError(t, a.QuickMatch(ctx, "duel", "eu"))
	require.NoError(t, b.QuickMatch(ctx, "duel", "eu"))
	// No eu server: they stay queued; an eu server arrives and they get their match.
	p, err := a.Presence(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, p.Queued)
	eu := startGameServer(t, []string{addr}, "eu1", "eu", 8)
	eu.waitRegistered(t)
	m := event(t, a, proto.TypeMatchFound)
	event(t, b, proto.TypeMatchFound)
	found, err := srv.store.Match(ctx, m.MatchID)
	require.NoError(t, err)
	assert.Equal(t, "eu1", found.Server)
}

func TestFFAFillTimeout(t *testing.T) {
	srv, addr := startLobby(t, testConfig())
	gs := startGameServer(t, []string{addr}, "gs", "", 16)
	gs.waitRegistered(t)
	waitServers(t, srv, 1)
	ctx := context.Background()
	ps := []*lobbyclient.Client{player(t, addr, "p1"), player(t, addr, "p2"), player(t, addr, "p3")}
	start := time.Now()
	for _, p := range ps {
		require.NoError(t, p.QuickMatch(ctx, "ffa", ""))
	}
	var id string
	for _, p := range ps {
		m := event(t, p, proto.TypeMatchFound)
		assert.Equal(t, 3, m.Players)
		if id == "" {
			id = m.MatchID
		}
		assert.Equal(t, id, m.MatchID)
	}
	assert.GreaterOrEqual(t, time.Since(start), 250*time.Millisecond, "3 of max 4 waits for the fill timeout")
}

func TestRooms(t *testing.T) {
	srv, addr := startLobby(t, testConfig())
	ctx := context.Background()
	host, guest, stranger := player(t, addr, "host"), player(t, addr, "guest"), player(t, addr, "stranger")

	priv, err := host.CreateRoom(ctx, lobbyclient.RoomOptions{Name: "secret", Mode: "ffa", Private: true})
	require.NoError(t, err)
	require.Len(t, priv.JoinCode, 6)
	assert.Equal(t, "host", priv.Host)
	rooms, err := stranger.ListRooms(ctx, "")
	require.NoError(t, err)
	assert.Empty(t, rooms, "private rooms are not listed")
	_, err = stranger.JoinRoom(ctx, priv.ID)
	require.ErrorIs(t, err, &proto.Error{Code: proto.CodeRoomNotFound}, "private rooms join by code only")
	joined, err := guest.JoinRoomByCode(ctx, priv.JoinCode)
	require.NoError(t, err)
	assert.Len(t, joined.Members, 2)
	upd := event(t, host, proto.TypeRoom)
	assert.Len(t, upd.Room.Members, 2)

	require.NoError(t, guest.Chat(ctx, "hello room"))
	chat := event(t, host, proto.TypeChat)
	assert.Equal(t, "guest", chat.From)
	assert.Equal(t, "hello room", chat.Text)

	// Host leaves: host passes to guest.
	require.NoError(t, host.LeaveRoom(ctx))
	upd = event(t, guest, proto.TypeRoom)
	assert.Equal(t, "guest", upd.Room.Host)
	assert.Len(t, upd.Room.Members, 1)

	// Public room: listed, joined by id; all ready starts it.
	pub, err := stranger.CreateRoom(ctx, lobbyclient.RoomOptions{Mode: "duel", Region: "eu"})
	require.NoError(t, err)
	rooms, err = host.ListRooms(ctx, "duel")
	require.NoError(t, err)
	require.Len(t, rooms, 1)
	assert.Empty(t, rooms[0].JoinCode)
	_, err = host.JoinRoom(ctx, pub.ID)
	require.NoError(t, err)
	gs := startGameServer(t, []string{addr}, "gs", "eu", 8)
	gs.waitRegistered(t)
	waitServers(t, srv, 1)
	require.NoError(t, stranger.Ready(ctx, true))
	require.NoError(t, host.Ready(ctx, true))
	m1, m2 := event(t, stranger, proto.TypeMatchFound), event(t, host, proto.TypeMatchFound)
	assert.Equal(t, m1.MatchID, m2.MatchID)
	_, err = player(t, addr, "late").JoinRoom(ctx, pub.ID)
	require.ErrorIs(t, err, &proto.Error{Code: proto.CodeRoomStarted})
	require.ErrorIs(t, host.Ready(ctx, false), &proto.Error{Code: proto.CodeRoomStarted})
	require.ErrorIs(t, stranger.StartRoom(ctx), &proto.Error{Code: proto.CodeRoomStarted})

	// The result reopens the room; the host can start it again by hand.
	gs.link.ReportResult(proto.MatchResult{MatchID: m1.MatchID, Players: []proto.PlayerResult{}})
	event(t, host, proto.TypeMatchEnded)
	require.Eventually(t, func() bool {
		r, err := srv.store.Room(ctx, pub.ID)
		return err == nil && r.MatchID == ""
	}, waitFor, 5*time.Millisecond)
	require.NoError(t, stranger.StartRoom(ctx))
	event(t, host, proto.TypeMatchFound)
}

func TestGameServerLost(t *testing.T) {
	srv, addr := startLobby(t, testConfig())
	gs := startGameServer(t, []string{addr}, "gs", "eu", 8)
	gs.waitRegistered(t)
	waitServers(t, srv, 1)
	ctx := context.Background()
	a, b := player(t, addr, "ada"), player(t, addr, "bob")
	require.NoError(t, a.QuickMatch(ctx, "duel", "eu"))
	require.NoError(t, b.QuickMatch(ctx, "duel", "eu"))
	m := event(t, a, proto.TypeMatchFound)
	event(t, b, proto.TypeMatchFound)

	killed := time.Now()
	gs.kill()
	e := event(t, a, proto.TypeMatchEnded)
	assert.Equal(t, proto.ReasonServerLost, e.Reason)
	assert.Equal(t, m.MatchID, e.MatchID)
	assert.Less(t, time.Since(killed), 5*time.Second)
	assert.Equal(t, proto.ReasonServerLost, event(t, b, proto.TypeMatchEnded).Reason)
	_, err := a.Reconnect(ctx, m.MatchID)
	require.ErrorIs(t, err, &proto.Error{Code: proto.CodeNoMatch})
	require.NoError(t, a.QuickMatch(ctx, "duel", "eu"), "players may requeue")
	hist, _, err := a.History(ctx)
	require.NoError(t, err)
	require.Len(t, hist, 1)
	assert.Equal(t, proto.ReasonServerLost, hist[0].Reason)
}

func TestGameServerAuth(t *testing.T) {
	_, addr := startLobby(t, testConfig())
	r := dialRaw(t, addr)
	ch := r.req(map[string]any{"type": "hello", "version": 1, "role": "server"})
	require.Equal(t, proto.TypeChallenge, ch.Type)
	require.Len(t, ch.Nonce, 32)
	r.expectErr(map[string]any{"type": "heartbeat"}, proto.CodeHelloFirst)
	auth := &proto.Message{Type: proto.TypeAuth, Name: "gs", Region: "eu", Addr: "127.0.0.1:7001", Transport: "udp", Capacity: 4}
	var wrong [32]byte
	r.expectErr(map[string]any{"type": "auth", "name": "gs", "region": "eu", "addr": "127.0.0.1:7001",
		"transport": "udp", "capacity": 4, "mac": proto.ServerMAC(wrong, ch.Nonce, auth)}, proto.CodeAuthFailed)
	r.expectClosed()

	// The right MAC registers; bad fields are refused.
	r = dialRaw(t, addr)
	ch = r.req(map[string]any{"type": "hello", "version": 1, "role": "server"})
	bad := *auth
	bad.Addr = "example.com:1"
	r.expectErr(map[string]any{"type": "auth", "name": "gs", "region": "eu", "addr": bad.Addr, "transport": "udp",
		"capacity": 4, "mac": proto.ServerMAC(testKey, ch.Nonce, &bad)}, proto.CodeBadRequest)
	w := r.req(map[string]any{"type": "auth", "name": "gs", "region": "eu", "addr": auth.Addr, "transport": "udp",
		"capacity": 4, "mac": proto.ServerMAC(testKey, ch.Nonce, auth)})
	require.Equal(t, proto.TypeWelcome, w.Type, "%+v", w)
	r.write(`{"type":"heartbeat","players":1,"matches":0}` + "\n")
	r.expectErr(map[string]any{"type": "match_result"}, proto.CodeBadRequest)
	ack := r.req(map[string]any{"type": "match_result", "result": map[string]any{"match_id": "unknown", "players": []any{}}})
	assert.Equal(t, proto.TypeResultAck, ack.Type)
	r.expectErr(map[string]any{"type": "queue", "mode": "duel"}, proto.CodeUnknownType)
	r.expectErr(map[string]any{"type": "hello", "version": 1, "role": "server"}, proto.CodeAlreadyHello)
}

func TestLobbyLinkFailoverAndResend(t *testing.T) {
	// The first lobby address refuses connections; the link fails over to the second.
	dead := startDeadAddr(t)
	srv, addr := startLobby(t, testConfig())
	gs := startGameServer(t, []string{dead, addr}, "gs", "eu", 8)
	// A result reported before registration is kept and sent once registered.
	gs.link.ReportResult(proto.MatchResult{MatchID: "early"})
	assert.Equal(t, addr, gs.waitRegistered(t))
	select {
	case id := <-gs.acked:
		assert.Equal(t, "early", id)
	case <-time.After(waitFor):
		t.Fatal("no ack")
	}
	waitServers(t, srv, 1)
}

// startDeadAddr returns a loopback address nothing listens on.
func startDeadAddr(t *testing.T) string {
	srv := httptest.NewServer(http.NotFoundHandler())
	a := srv.Listener.Addr().String()
	srv.Close()
	return a
}

func TestShutdown(t *testing.T) {
	srv := New(testConfig())
	l, err := netListen()
	require.NoError(t, err)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	c := player(t, l.Addr().String(), "ada")
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	sd := make(chan error, 1)
	go func() { sd <- srv.Shutdown(ctx) }()
	m := event(t, c, proto.TypeShutdown)
	assert.Equal(t, proto.CodeShuttingDown, m.Code)
	require.NoError(t, c.Close()) // the client goes; Shutdown completes
	require.NoError(t, <-sd)
	require.ErrorIs(t, <-errc, ErrServerClosed)
	require.ErrorIs(t, srv.Serve(l), ErrServerClosed)
	require.NoError(t, srv.Close())
	require.NoError(t, srv.Close())
}

func TestHealthAndMetrics(t *testing.T) {
	srv, addr := startLobby(t, testConfig())
	helloRaw(t, addr, "ada")
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	get := func(path string) (int, string) {
		resp, err := http.Get(hs.URL + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}
	code, body := get("/healthz")
	assert.Equal(t, 200, code)
	assert.Equal(t, "ok\n", body)
	_, body = get("/metrics")
	assert.Contains(t, body, "skirmish_lobby_connections 1")
	assert.Contains(t, body, `skirmish_lobby_messages_total{type="hello"} 1`)
}

func TestSlowClientDropped(t *testing.T) {
	cfg := testConfig()
	cfg.SendQueue = 4
	srv, addr := startLobby(t, cfg)
	r := helloRaw(t, addr, "slow") // never reads again
	fast := player(t, addr, "fast")
	srv.mu.Lock()
	var c *conn
	for cc := range srv.conns {
		if cc.name == "slow" {
			c = cc
		}
	}
	srv.mu.Unlock()
	require.NotNil(t, c)
	big := &proto.Message{Type: proto.TypeChat, Text: strings.Repeat("x", 60000)}
	for i := 0; i < 10000; i++ {
		select {
		case <-c.done:
			i = 10000
		default:
			c.send(big)
		}
	}
	select {
	case <-c.done:
	case <-time.After(waitFor):
		t.Fatal("slow client not dropped")
	}
	_, err := fast.Ping(context.Background())
	require.NoError(t, err, "others unaffected")
	_ = r
}

func TestMatchExpires(t *testing.T) {
	cfg := testConfig()
	cfg.MaxMatchDuration = 100 * time.Millisecond
	srv, addr := startLobby(t, cfg)
	gs := startGameServer(t, []string{addr}, "gs", "", 8)
	gs.waitRegistered(t)
	waitServers(t, srv, 1)
	ctx := context.Background()
	a, b := player(t, addr, "ada"), player(t, addr, "bob")
	require.NoError(t, a.QuickMatch(ctx, "duel", ""))
	require.NoError(t, b.QuickMatch(ctx, "duel", ""))
	event(t, a, proto.TypeMatchFound)
	assert.Equal(t, proto.ReasonExpired, event(t, a, proto.TypeMatchEnded).Reason)
}
