package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/client/bot"
	"github.com/skirmish-go/skirmish/client/lobbyclient"
	"github.com/skirmish-go/skirmish/gameserver"
	"github.com/skirmish-go/skirmish/lobby/proto"
)

// sessions gives bots (package client/bot) lobby sessions that outlive the bot: the bot plays
// the match, the test reads what the lobby says afterwards and queues again with the session.
type sessions struct {
	t     *testing.T
	mu    sync.Mutex
	byBot map[string]*lobbyclient.Client
	found chan proto.Message // every match_found, with Name set to the bot's name
}

func newSessions(t *testing.T) *sessions {
	return &sessions{t: t, byBot: map[string]*lobbyclient.Client{}, found: make(chan proto.Message, 64)}
}

func (s *sessions) dial(ctx context.Context, addr string) (bot.Matchmaker, error) {
	c, err := lobbyclient.Dial(ctx, addr, nil)
	if err != nil {
		return nil, err
	}
	s.t.Cleanup(func() { c.Close() })
	return &sessionMatchmaker{s: s, c: c}, nil
}

func (s *sessions) get(name string) *lobbyclient.Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byBot[name]
}

type sessionMatchmaker struct {
	s *sessions
	c *lobbyclient.Client
}

func (m *sessionMatchmaker) QuickMatch(ctx context.Context, name, mode string) (bot.Match, error) {
	if _, err := m.c.Hello(ctx, name); err != nil {
		return bot.Match{}, err
	}
	m.s.mu.Lock()
	m.s.byBot[name] = m.c
	m.s.mu.Unlock()
	if err := m.c.QuickMatch(ctx, mode, ""); err != nil {
		return bot.Match{}, err
	}
	for {
		select {
		case <-ctx.Done():
			return bot.Match{}, ctx.Err()
		case ev, ok := <-m.c.Events():
			if !ok {
				return bot.Match{}, fmt.Errorf("lobby session ended: %w", m.c.Err())
			}
			if ev.Type != proto.TypeMatchFound {
				continue
			}
			ev.Name = name
			m.s.found <- ev
			return bot.Match{Server: ev.Server, Transport: ev.Transport, Token: ev.Token, MatchID: ev.MatchID}, nil
		}
	}
}

// Close leaves the session to the test (closed at cleanup).
func (m *sessionMatchmaker) Close() error { return nil }

// runBots plays n bots in this process until the returned stop is called.
func runBots(t *testing.T, lobbyAddr, names string, n int, s *sessions) (stop func() bot.Summary) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan bot.Summary, 1)
	go func() {
		sum, _ := bot.Run(ctx, bot.Config{Lobby: lobbyAddr, N: n, Mode: "duel", Duration: time.Minute,
			MatchTimeout: 20 * time.Second, Names: names, Matchmaker: s.dial})
		done <- sum
	}()
	var once sync.Once
	var sum bot.Summary
	stop = func() bot.Summary {
		once.Do(func() {
			cancel()
			select {
			case sum = <-done:
			case <-time.After(20 * time.Second):
				t.Error("bots did not stop within 20 s")
			}
		})
		return sum
	}
	t.Cleanup(func() { stop() })
	return stop
}

// status reads a game server's /status.
func status(t *testing.T, httpAddr string) gameserver.Status {
	_, body := httpGet("http://" + httpAddr + "/status")
	var st gameserver.Status
	_ = json.Unmarshal([]byte(body), &st)
	return st
}

// A game server is killed with SIGKILL while bots play a match on it: the players' lobby
// sessions get match_ended server_lost within 5 s and can queue again (and are matched on
// the other game server).
func TestGameServerSIGKILLMidMatch(t *testing.T) {
	_, addr := startLobby(t, "lobby")
	type gs struct {
		p          *proc
		game, http string
	}
	servers := map[string]*gs{}
	for _, name := range []string{"gs-a", "gs-b"} {
		httpAddr := loop(freePort(t, "tcp"))
		p, game := startGameServer(t, name, addr, "-http-addr", httpAddr, "-capacity", "4")
		servers[game] = &gs{p: p, game: game, http: httpAddr}
	}
	watch, _ := player(t, addr, "watcher")
	eventually(t, 10*time.Second, "both game servers registered", func() bool { return presence(watch).Servers == 2 })

	s := newSessions(t)
	stopBots := runBots(t, addr, "kill", 2, s)
	var found []proto.Message
	for range 2 {
		select {
		case m := <-s.found:
			found = append(found, m)
		case <-time.After(20 * time.Second):
			t.Fatal("bots were not matched")
		}
	}
	require.Equal(t, found[0].MatchID, found[1].MatchID)
	victim := servers[found[0].Server]
	require.NotNil(t, victim, "match on %s", found[0].Server)
	var survivor *gs
	for _, g := range servers {
		if g != victim {
			survivor = g
		}
	}
	eventually(t, 15*time.Second, "both bots playing on the game server", func() bool {
		st := status(t, victim.http)
		return st.Matches == 1 && st.Players == 2
	})

	killed := time.Now()
	victim.p.signal(syscall.SIGKILL)
	var told []time.Duration
	for _, m := range found {
		c := s.get(m.Name)
		ended := event(t, c, proto.TypeMatchEnded, 10*time.Second)
		told = append(told, time.Since(killed))
		assert.Equal(t, proto.ReasonServerLost, ended.Reason)
		assert.Equal(t, m.MatchID, ended.MatchID)
	}
	require.Equal(t, -1, victim.p.exit(5*time.Second), "killed by a signal")
	for _, d := range told {
		assert.Less(t, d, 5*time.Second, "players told within 5 s")
	}

	// Queue again with the same sessions: matched on the surviving server.
	requeued := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for _, m := range found {
		require.NoError(t, s.get(m.Name).QuickMatch(ctx, "duel", ""), m.Name)
	}
	var again []string
	for _, m := range found {
		mf := event(t, s.get(m.Name), proto.TypeMatchFound, 15*time.Second)
		assert.Equal(t, survivor.game, mf.Server)
		again = append(again, mf.MatchID)
	}
	assert.Equal(t, again[0], again[1])
	rematch := time.Since(requeued)
	sum := stopBots()
	t.Logf("game server SIGKILL mid-match: players told (match_ended server_lost) after %v and %v (lobby: connection lost + 2 s grace to re-register); requeued and matched on the other server in %v; bots: matched %d, disconnected %d",
		told[0].Round(time.Millisecond), told[1].Round(time.Millisecond), rematch.Round(time.Millisecond), sum.Matched, sum.Disconnects)
}
