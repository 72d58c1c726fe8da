package gameserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skirmish-go/skirmish/gameserver/snapshot"
	"github.com/skirmish-go/skirmish/gameserver/wire"
	"github.com/skirmish-go/skirmish/netcode"
	"github.com/skirmish-go/skirmish/netcode/secure"
)

// ---------------------------------------------------------------------------------------------
// testGame: a tiny deterministic Game. Mode "ticks:N" ends the match (time_limit) after N ticks;
// any other mode runs until the server ends it. Input byte 0 is added to the player's score each
// tick; each input's bytes are recorded so tests can check what was applied.

type testGame struct {
	mu       sync.Mutex // tests read state from other goroutines
	limit    uint32
	tick     uint32
	players  map[uint8]*testPlayer
	joins    []uint8
	leaves   []uint8
	repeated int
	applied  map[uint8][]byte // slot → every non-repeated input's byte 1 (the client's seq low byte)
	repeats  map[uint8]int    // slot → ticks that repeated a real input (after the first one)
}

type testPlayer struct {
	p     Player
	score int
}

var testSchema = &snapshot.Schema{Kinds: []snapshot.KindSpec{{Name: "player", Fields: []snapshot.FieldSpec{
	{Name: "score", Bits: 24}, {Name: "tick", Bits: 24},
}}}}

func newTestGame(mode string, maxPlayers int, seed uint64) (Game, error) {
	g := &testGame{players: map[uint8]*testPlayer{}, applied: map[uint8][]byte{}, repeats: map[uint8]int{}}
	if n, ok := strings.CutPrefix(mode, "ticks:"); ok {
		v, err := strconv.Atoi(n)
		if err != nil {
			return nil, fmt.Errorf("test game: mode %q: %w", mode, err)
		}
		g.limit = uint32(v)
	}
	return g, nil
}

func (g *testGame) Schema() *snapshot.Schema { return testSchema }

func (g *testGame) Join(p Player) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.players[p.Slot]; ok {
		return errors.New("test game: seat taken")
	}
	g.players[p.Slot] = &testPlayer{p: p}
	g.joins = append(g.joins, p.Slot)
	return nil
}

func (g *testGame) Leave(slot uint8) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.players, slot)
	g.leaves = append(g.leaves, slot)
}

func (g *testGame) Step(inputs []PlayerInput) []Event {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.tick++
	for _, in := range inputs {
		pl := g.players[in.Slot]
		if pl == nil {
			panic("input for a player not seated")
		}
		if in.Repeated {
			g.repeated++
			if len(in.Input) > 0 {
				g.repeats[in.Slot]++
			}
		}
		if len(in.Input) >= 2 {
			pl.score += int(in.Input[0])
			if !in.Repeated {
				g.applied[in.Slot] = append(g.applied[in.Slot], in.Input[1])
			}
		}
	}
	if g.tick%60 == 0 {
		return []Event{{To: Broadcast, Data: []byte("second")}}
	}
	return nil
}

func (g *testGame) AppendEntities(dst []snapshot.Entity) []snapshot.Entity {
	g.mu.Lock()
	defer g.mu.Unlock()
	for slot := range 64 {
		if pl := g.players[uint8(slot)]; pl != nil {
			e := snapshot.Entity{ID: uint16(slot) + 1}
			e.Fields[0], e.Fields[1] = int32(pl.score), int32(g.tick&0xffffff)
			dst = append(dst, e)
		}
	}
	return dst
}

func (g *testGame) Scores() []PlayerScore {
	var s []PlayerScore
	for slot := range 64 {
		if pl := g.players[uint8(slot)]; pl != nil {
			s = append(s, PlayerScore{Slot: pl.p.Slot, Team: pl.p.Team, Name: pl.p.Name, Score: pl.score})
		}
	}
	return s
}

func (g *testGame) Over() (Result, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.limit == 0 || g.tick < g.limit {
		return Result{}, false
	}
	return Result{Reason: "time_limit", Scores: g.Scores()}, true
}

// gameRecorder keeps the games a factory made, by mode.
type gameRecorder struct {
	mu    sync.Mutex
	games []*testGame
}

func (r *gameRecorder) factory(mode string, maxPlayers int, seed uint64) (Game, error) {
	g, err := newTestGame(mode, maxPlayers, seed)
	if err == nil {
		r.mu.Lock()
		r.games = append(r.games, g.(*testGame))
		r.mu.Unlock()
	}
	return g, err
}

func (r *gameRecorder) game(i int) *testGame {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.games[i]
}

// resultRecorder is a ResultSink for tests.
type resultRecorder struct {
	mu      sync.Mutex
	reports []MatchReport
	got     chan struct{} // one token per report
}

func (r *resultRecorder) ReportResult(m MatchReport) {
	r.mu.Lock()
	r.reports = append(r.reports, m)
	r.mu.Unlock()
	r.got <- struct{}{}
}

func (r *resultRecorder) all() []MatchReport {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.reports)
}

// ---------------------------------------------------------------------------------------------
// fakeTransport stands in for secure.Server: connections are made by the test, payloads go
// straight to per-client channels, and all callbacks run on the Serve goroutine as in secure.

type fakeTransport struct {
	h      handlers
	events chan func()
	quit   chan struct{}
	once   sync.Once

	mu      sync.Mutex
	clients map[int]*fakeLink
	kicked  []int
}

type fakeLink struct {
	tr       *fakeTransport
	index    int
	payloads chan []byte
	done     chan struct{}
	doneOnce sync.Once
}

func (l *fakeLink) Send(p []byte) error {
	p = slices.Clone(p)
	select {
	case l.tr.events <- func() { l.tr.h.payload(peer{index: l.index}, p) }:
		return nil
	case <-l.done:
		return net.ErrClosed
	}
}
func (l *fakeLink) Payloads() <-chan []byte { return l.payloads }
func (l *fakeLink) Done() <-chan struct{}   { return l.done }
func (l *fakeLink) end()                    { l.doneOnce.Do(func() { close(l.done) }) }

func newFakeFactory(tr **fakeTransport) transportFactory {
	return func(_ net.PacketConn, _ *Config, h handlers) (transport, error) {
		*tr = &fakeTransport{h: h, events: make(chan func(), 1024), quit: make(chan struct{}), clients: map[int]*fakeLink{}}
		return *tr, nil
	}
}

func (f *fakeTransport) Serve() error {
	for {
		select {
		case ev := <-f.events:
			ev()
		case <-f.quit:
			return errors.New("fake closed")
		}
	}
}

// connect opens a client connection for ticket at index.
func (f *fakeTransport) connect(t testing.TB, index int, tk wire.Ticket) *fakeLink {
	ud, err := tk.Marshal()
	require.NoError(t, err)
	l := &fakeLink{tr: f, index: index, payloads: make(chan []byte, 1024), done: make(chan struct{})}
	f.mu.Lock()
	f.clients[index] = l
	f.mu.Unlock()
	f.events <- func() { f.h.connect(peer{index: index, id: uint64(index), userData: ud}) }
	return l
}

// hangUp ends a client's connection as a timeout would.
func (f *fakeTransport) hangUp(index int) {
	f.mu.Lock()
	l := f.clients[index]
	delete(f.clients, index)
	f.mu.Unlock()
	if l != nil {
		l.end()
		f.events <- func() { f.h.disconnect(peer{index: index}, errors.New("timed out")) }
	}
}

func (f *fakeTransport) Send(index int, p []byte) error {
	f.mu.Lock()
	l := f.clients[index]
	f.mu.Unlock()
	if l == nil {
		return errors.New("fake: not connected")
	}
	select {
	case l.payloads <- slices.Clone(p):
	default:
	}
	return nil
}

func (f *fakeTransport) Disconnect(index int) {
	f.mu.Lock()
	l := f.clients[index]
	delete(f.clients, index)
	f.kicked = append(f.kicked, index)
	f.mu.Unlock()
	if l != nil {
		l.end()
		go func() {
			select {
			case f.events <- func() { f.h.disconnect(peer{index: index}, errors.New("kicked")) }:
			case <-f.quit:
			}
		}()
	}
}

func (f *fakeTransport) Close() error {
	f.once.Do(func() { close(f.quit) })
	return nil
}

// ---------------------------------------------------------------------------------------------
// headless is the test client: a link (secure.Client or fakeLink), a netcode.Endpoint, the wire
// messages and the snapshot codec, playing one input per tick.

type link interface {
	Send(payload []byte) error
	Payloads() <-chan []byte
	Done() <-chan struct{}
}

type headless struct {
	link   link
	ep     *netcode.Endpoint
	schema *snapshot.Schema

	// inputs
	nextSeq   uint16
	pending   []pendingInput // sent, not yet acknowledged by the server
	processed uint16
	hasProc   bool
	inputByte byte // byte 0 of every input
	// makeInput, when set, makes the game input of sequence seq instead of the test game's.
	makeInput func(seq uint16) []byte

	// snapshots: the last 32 received, as baselines
	ring       [historySize]snapshot.Snapshot
	ringN      int
	scratch    snapshot.Snapshot
	newest     uint32
	firstTick  uint32
	snapshots  int
	full       int
	decodeErrs int

	// lastSnap is the newest snapshot decoded (Delta cleared); raw, when keepRaw is set,
	// every snapshot message received, copied.
	lastSnap wire.Snapshot
	keepRaw  bool
	raw      [][]byte

	welcome *wire.Welcome
	roster  wire.Roster
	rosters int // Roster messages received
	events  int
	chats   []wire.Chat
	end     *wire.MatchEnd
	msg     []byte
}

type pendingInput struct {
	seq  uint16
	data []byte
}

func newHeadless(l link, schema *snapshot.Schema) *headless {
	return &headless{link: l, ep: netcode.NewEndpoint(netcode.EndpointConfig{}), schema: schema, inputByte: 1}
}

func (h *headless) flush(now time.Time) error {
	return h.ep.Flush(now, h.link.Send)
}

// sendInput makes this tick's input and sends every unacknowledged one.
func (h *headless) sendInput(now time.Time) error {
	in := pendingInput{seq: h.nextSeq, data: []byte{h.inputByte, byte(h.nextSeq)}}
	if h.makeInput != nil {
		in.data = h.makeInput(h.nextSeq)
	}
	h.nextSeq++
	h.pending = append(h.pending, in)
	if len(h.pending) > wire.MaxInputsPerMessage {
		h.pending = h.pending[len(h.pending)-wire.MaxInputsPerMessage:]
	}
	m := wire.Input{AckTick: h.newest, FirstSeq: h.pending[0].seq}
	for i := range h.pending {
		m.Inputs = append(m.Inputs, h.pending[i].data)
	}
	var err error
	if h.msg, err = m.Append(h.msg[:0]); err != nil {
		return err
	}
	if err := h.ep.SendUnreliable(h.msg); err != nil {
		return err
	}
	return h.flush(now)
}

func (h *headless) findBaseline(tick uint32) *snapshot.Snapshot {
	for i := range min(h.ringN, historySize) {
		if h.ring[i].Tick == tick {
			return &h.ring[i]
		}
	}
	return nil
}

func (h *headless) receive(now time.Time, payload []byte) error {
	if err := h.ep.Receive(now, payload); err != nil {
		return fmt.Errorf("endpoint receive: %w", err)
	}
	for {
		msg, ok := h.ep.NextUnreliable()
		if !ok {
			break
		}
		snap, _, err := wire.ParseSnapshot(msg)
		if err != nil {
			return err
		}
		if h.keepRaw {
			h.raw = append(h.raw, slices.Clone(msg))
		}
		if snap.HasInput {
			h.processed, h.hasProc = snap.LastInputSeq, true
			for len(h.pending) > 0 && !netcode.SequenceGreaterThan(h.pending[0].seq, snap.LastInputSeq) {
				h.pending = h.pending[1:]
			}
		}
		tick, base, hasBase, err := snapshot.PeekTicks(snap.Delta)
		if err != nil {
			return err
		}
		if tick <= h.newest {
			continue
		}
		var baseline *snapshot.Snapshot
		if hasBase {
			if baseline = h.findBaseline(base); baseline == nil {
				h.decodeErrs++
				continue
			}
		} else {
			h.full++
		}
		if err := h.schema.ParseDelta(snap.Delta, baseline, &h.scratch); err != nil {
			h.decodeErrs++
			continue
		}
		slot := &h.ring[h.ringN%historySize]
		h.ringN++
		slot.Tick = h.scratch.Tick
		slot.Entities = append(slot.Entities[:0], h.scratch.Entities...)
		h.newest = tick
		h.lastSnap = snap
		h.lastSnap.Delta = nil
		if h.firstTick == 0 {
			h.firstTick = tick
		}
		h.snapshots++
	}
	for {
		msg, ok := h.ep.NextReliable()
		if !ok {
			break
		}
		typ, err := wire.PeekType(msg)
		if err != nil {
			return err
		}
		switch typ {
		case wire.MsgWelcome:
			w, _, err := wire.ParseWelcome(msg)
			if err != nil {
				return err
			}
			h.welcome = &w
		case wire.MsgRoster:
			if h.roster, _, err = wire.ParseRoster(msg); err != nil {
				return err
			}
			h.rosters++
		case wire.MsgGameEvent:
			h.events++
		case wire.MsgChat:
			c, _, err := wire.ParseChat(msg)
			if err != nil {
				return err
			}
			h.chats = append(h.chats, c)
		case wire.MsgMatchEnd:
			e, _, err := wire.ParseMatchEnd(msg)
			if err != nil {
				return err
			}
			h.end = &e
		default:
			return fmt.Errorf("unexpected message %v", typ)
		}
	}
	return nil
}

// play sends one input per tick and handles what arrives until MatchEnd arrives (then it
// keeps acknowledging for linger), the connection ends, or ctx is done.
func (h *headless) play(ctx context.Context, tick time.Duration, linger time.Duration) error {
	tk := time.NewTicker(tick)
	defer tk.Stop()
	var endAt <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-h.link.Done():
			return nil
		case <-endAt:
			return nil
		case p := <-h.link.Payloads():
			if err := h.receive(time.Now(), p); err != nil {
				return err
			}
			if h.end != nil && endAt == nil {
				endAt = time.After(linger)
			}
		case <-tk.C:
			if h.welcome == nil || h.end != nil {
				if err := h.flush(time.Now()); err != nil {
					return err
				}
				continue
			}
			if err := h.sendInput(time.Now()); err != nil {
				return err
			}
		}
	}
}

var testKey = secure.Key{1, 2, 3, 4, 5, 6, 7, 8}

func ticket(match byte, slot, players uint8, mode string) wire.Ticket {
	return wire.Ticket{MatchID: [16]byte{match}, Slot: slot, Team: slot % 2, Players: players, Mode: mode,
		Name: fmt.Sprintf("p%d", slot), PlayerID: uint64(slot) + 100}
}
