package gameserver

// Test hooks for the external tests (package gameserver_test), which can import packages that
// import gameserver, such as gameserver/arena.

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/gameserver/snapshot"
	"github.com/skirmish-go/skirmish/gameserver/wire"
	"github.com/skirmish-go/skirmish/netcode"
	"github.com/skirmish-go/skirmish/netcode/secure"
)

var TestKey = testKey

// TestClient is the headless test client.
type TestClient struct{ h *headless }

func NewTestClient(l interface {
	Send([]byte) error
	Payloads() <-chan []byte
	Done() <-chan struct{}
}, schema *snapshot.Schema, makeInput func(seq uint16) []byte) *TestClient {
	h := newHeadless(l, schema)
	h.makeInput = makeInput
	return &TestClient{h: h}
}

func (c *TestClient) Play(ctx context.Context, tick, linger time.Duration) error {
	return c.h.play(ctx, tick, linger)
}
func (c *TestClient) End() *wire.MatchEnd    { return c.h.end }
func (c *TestClient) Snapshots() int         { return c.h.snapshots }
func (c *TestClient) FirstTick() uint32      { return c.h.firstTick }
func (c *TestClient) DecodeErrors() int      { return c.h.decodeErrs }
func (c *TestClient) Events() int            { return c.h.events }
func (c *TestClient) Welcome() *wire.Welcome { return c.h.welcome }

func DialTestClient(ctx context.Context, conn net.PacketConn, server netip.AddrPort, userData [wire.UserDataBytes]byte) (*secure.Client, error) {
	return dialTestClient(ctx, conn, server, userData)
}

// MatchBench drives one match's loop directly, without sockets or crypto: ServerTick is the
// server's work for one tick (inputs, Game.Step, a snapshot for every client when due,
// packetising through each Endpoint); ClientWork is the clients' side (acks, the next input),
// to run with the benchmark timer stopped.
type MatchBench struct {
	m       *match
	clients []*benchClient
	input   func(slot uint8, seq uint16) []byte
	seq     uint16
	now     time.Time

	Snapshots             int
	DeltaBytes, FullBytes int // Snapshot message bytes for client 0, summed
	JSONBytes             int
	lastCounted           uint32
	noStats               bool // skip the byte counts above (recording runs measure the replay)
}

type benchClient struct {
	ep    *netcode.Endpoint
	inbox [][]byte
}

type benchTransport struct{ b *MatchBench }

func (benchTransport) Serve() error { return nil }
func (t benchTransport) Send(index int, p []byte) error {
	c := t.b.clients[index]
	c.inbox = append(c.inbox, slices.Clone(p))
	return nil
}
func (benchTransport) Disconnect(int) {}
func (benchTransport) Close() error   { return nil }

func NewMatchBench(tb testing.TB, factory GameFactory, mode string, players int, input func(slot uint8, seq uint16) []byte) *MatchBench {
	return NewRecordedMatchBench(tb, factory, mode, players, input, nil)
}

// NewRecordedMatchBench is NewMatchBench on a server that keeps replays in store.
func NewRecordedMatchBench(tb testing.TB, factory GameFactory, mode string, players int, input func(slot uint8, seq uint16) []byte, store ReplayStore) *MatchBench {
	b := &MatchBench{input: input, now: time.Unix(1_700_000_000, 0), noStats: store != nil}
	s, err := newServer(nil, Config{Game: factory, Key: testKey, Logger: quietLogger(), Now: func() time.Time { return b.now },
		Replays: store},
		func(_ net.PacketConn, _ *Config, _ handlers) (transport, error) { return benchTransport{b}, nil })
	require.NoError(tb, err)
	tk := wire.Ticket{MatchID: [16]byte{0xbe}, Players: uint8(players), Mode: mode}
	game, err := factory(mode, players, seedOf(tk.MatchID)) // the seed a server derives, as replays record
	require.NoError(tb, err)
	b.m = newMatch(s, tk, game)
	b.m.base = b.now
	for i := range players {
		tk.Slot, tk.Name, tk.PlayerID = uint8(i), "bot", uint64(i)
		b.clients = append(b.clients, &benchClient{ep: netcode.NewEndpoint(netcode.EndpointConfig{})})
		b.m.connect(b.now, ctlEvent{connect: true, index: i, connID: uint64(i + 1), ticket: tk})
	}
	return b
}

// ClientWork delivers what the server sent, acknowledges the newest snapshot (as a client
// would), and queues each player's next input.
func (b *MatchBench) ClientWork() {
	m := b.m
	for i, c := range b.clients {
		for _, p := range c.inbox {
			_ = c.ep.Receive(b.now, p)
		}
		c.inbox = c.inbox[:0]
		for {
			if _, ok := c.ep.NextUnreliable(); !ok {
				break
			}
		}
		for {
			if _, ok := c.ep.NextReliable(); !ok {
				break
			}
		}
		sc := m.seats[i].conn
		_ = c.ep.Flush(b.now, func(p []byte) error { return sc.ep.Receive(b.now, p) })
		if m.hist.count > 0 {
			sc.ackTick = m.hist.snaps[(m.hist.count-1)%historySize].Tick
		}
		sc.in.add(b.seq, b.input(uint8(i), b.seq), m.tick)
	}
	b.seq++
	if m.hist.count > 0 && !b.noStats {
		cur := &m.hist.snaps[(m.hist.count-1)%historySize]
		if cur.Tick != b.lastCounted {
			b.lastCounted = cur.Tick
			b.Snapshots++
			b.DeltaBytes += len(m.seats[0].conn.lastSnap)
			full, err := m.schema.AppendDelta(nil, nil, cur)
			if err == nil {
				b.FullBytes += len(full) + 16 // wire.Snapshot header
			}
			b.JSONBytes += len(m.schema.AppendJSON(nil, cur))
		}
	}
	b.now = b.now.Add(m.tickDur)
}

// ServerTick runs one tick of the match.
func (b *MatchBench) ServerTick() { b.m.step(b.now, false) }

// Over reports whether the game ended.
func (b *MatchBench) Over() bool { _, over := b.m.game.Over(); return over }

// Tick is the match's tick.
func (b *MatchBench) Tick() uint32 { return b.m.tick }

// Finish ends the match as the server does (result reported, replay saved) and returns the
// result: the game's own if it is over, else reason with the scores so far.
func (b *MatchBench) Finish(reason string) Result {
	res := b.m.forcedResult(reason)
	b.m.finishGame(b.now, res, true)
	b.m.s.saves.Wait() // the replay is saved off the match loop
	return res
}
