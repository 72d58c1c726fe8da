package client

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/gameserver/snapshot"
	"github.com/skirmish-go/skirmish/gameserver/wire"
	"github.com/skirmish-go/skirmish/netcode"
)

// scriptedLink is a Conn talking to the scripted fakeServer over a clean link with a fixed
// lag, one step per 60 Hz tick, on a clock the test owns.
type scriptedLink struct {
	t     *testing.T
	c     *Conn
	tr    *fakeTransport
	srv   *fakeServer
	now   time.Time
	k     int
	up    []delayed
	down  []delayed
	quiet bool // the server has died: it neither receives nor sends
}

const scriptedLag = 3 // ticks, one way

func newScriptedLink(t *testing.T) *scriptedLink {
	tr := newFakeTransport()
	c := NewConn(tr, ConnConfig{Rules: newFakeRules})
	rules, _ := newFakeRules(wire.Welcome{})
	srv := &fakeServer{t: t, ep: netcode.NewEndpoint(netcode.EndpointConfig{}), schema: rules.Schema(),
		inputs: map[uint16][]byte{}, hist: map[uint32]*snapshot.Snapshot{}, counters: map[uint32][2]uint32{}}
	m := &scriptedLink{t: t, c: c, tr: tr, srv: srv, now: time.Unix(9000, 0)}
	w := wire.Welcome{Version: wire.ProtocolVersion, Slot: 0, Players: 3, TickRate: 60, SnapshotRate: 30, Mode: "ffa"}
	m.sendReliable(&w)
	return m
}

type appender interface{ Append([]byte) ([]byte, error) }

func (m *scriptedLink) sendReliable(msg appender) {
	b, err := msg.Append(nil)
	require.NoError(m.t, err)
	require.NoError(m.t, m.srv.ep.SendReliable(b))
}

// run steps n ticks.
func (m *scriptedLink) run(n int) {
	const dt = time.Second / 60
	for range n {
		m.k++
		m.now = m.now.Add(dt)
		keep := m.up[:0]
		for _, d := range m.up {
			if d.due > m.k {
				keep = append(keep, d)
			} else if !m.quiet {
				m.srv.receive(m.now, d.data)
			}
		}
		m.up = keep
		keep = m.down[:0]
		for _, d := range m.down {
			if d.due <= m.k {
				m.c.HandlePayload(m.now, d.data)
			} else {
				keep = append(keep, d)
			}
		}
		m.down = keep
		if !m.quiet {
			if snap := m.srv.step(); snap != nil {
				require.NoError(m.t, m.srv.ep.SendUnreliable(snap))
			}
			require.NoError(m.t, m.srv.ep.Flush(m.now, func(p []byte) error {
				m.down = append(m.down, delayed{m.k + scriptedLag, append([]byte(nil), p...)})
				return nil
			}))
		}
		m.c.Update(m.now, Controls{Move: Vec{X: 1}})
		for _, p := range m.tr.take() {
			m.up = append(m.up, delayed{m.k + scriptedLag, p})
		}
	}
}

func (m *scriptedLink) scene() *Scene {
	var sc Scene
	m.c.Scene(m.now, &sc)
	return &sc
}

// TestSceneRanksFinalScores: the server sends the final scores in slot order; the scene's
// results table is ranked (score, kills, fewer deaths), so its first line is the winner, and
// a player who left stays on it, marked.
func TestSceneRanksFinalScores(t *testing.T) {
	m := newScriptedLink(t)
	m.run(30)
	m.sendReliable(&wire.MatchEnd{Result: wire.Result{Reason: "score_limit", Scores: []wire.PlayerScore{
		{Slot: 0, Name: "you", Score: 0, Deaths: 5},
		{Slot: 1, Name: "bot-1", Score: 5, Kills: 5, Deaths: 1},
		{Slot: 2, Name: "bot-2", Score: 2, Kills: 2, Deaths: 0, Left: true},
		{Slot: 3, Name: "bot-3", Score: 2, Kills: 3, Deaths: 4},
	}}})
	m.run(10)
	sc := m.scene()
	require.True(t, sc.MatchOver)
	var names []string
	for _, l := range sc.Final {
		names = append(names, l.Name)
	}
	assert.Equal(t, []string{"bot-1", "bot-3", "bot-2", "you"}, names)
	assert.True(t, sc.Final[2].Left, "bot-2 left before the end and is still listed")
	assert.True(t, sc.Final[3].Local)
}

// TestScenePingOfLocalPlayer: the scoreboard's PING column shows the local player's round
// trip (the net graph's), not "-".
func TestScenePingOfLocalPlayer(t *testing.T) {
	m := newScriptedLink(t)
	m.run(120)
	sc := m.scene()
	require.NotZero(t, sc.Net.RTT)
	var local *ScenePlayer
	for i := range sc.Players {
		if sc.Players[i].Local {
			local = &sc.Players[i]
		}
	}
	require.NotNil(t, local)
	assert.Equal(t, sc.Net.RTT, local.Ping)
	assert.InDelta(t, float64(2*scriptedLag*time.Second/60), float64(local.Ping), float64(40*time.Millisecond))
}

// TestSceneSilence: when the server stops sending, the scene says for how long, so the
// renderer can say "connection lost" within a second instead of showing a frozen picture.
func TestSceneSilence(t *testing.T) {
	m := newScriptedLink(t)
	m.run(60)
	assert.Less(t, m.scene().Silence, 100*time.Millisecond, "packets flowing")
	m.quiet = true
	m.run(66) // 1.1 s
	assert.GreaterOrEqual(t, m.scene().Silence, time.Second)
}

// TestSceneTellsWhoLeft: the roster's connected flags become chat lines ("X left the
// match", "X is back"), and Alone once every other player has gone.
func TestSceneTellsWhoLeft(t *testing.T) {
	m := newScriptedLink(t)
	roster := func(aConnected, bConnected bool) {
		m.sendReliable(&wire.Roster{Players: []wire.RosterEntry{
			{Slot: 0, Name: "you", Connected: true},
			{Slot: 1, Name: "amy", Connected: aConnected},
			{Slot: 2, Name: "bea", Connected: bConnected},
		}})
		m.run(10)
	}
	m.run(10)
	roster(true, true)
	sc := m.scene()
	assert.False(t, sc.Alone)
	assert.Empty(t, sc.Chat)

	roster(false, true)
	sc = m.scene()
	assert.False(t, sc.Alone, "bea is still here")
	require.Len(t, sc.Chat, 1)
	assert.Equal(t, ChatLine{Text: "amy left the match", System: true}, withoutAge(sc.Chat[0]))

	roster(false, false)
	sc = m.scene()
	assert.True(t, sc.Alone)
	require.Len(t, sc.Chat, 2)
	assert.Equal(t, "bea left the match", sc.Chat[1].Text)

	roster(true, false)
	sc = m.scene()
	assert.False(t, sc.Alone)
	assert.Equal(t, "amy is back", sc.Chat[2].Text)
}

func withoutAge(l ChatLine) ChatLine { l.Age = 0; return l }
