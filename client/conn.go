package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/skirmish-go/skirmish/gameserver/snapshot"
	"github.com/skirmish-go/skirmish/gameserver/wire"
	"github.com/skirmish-go/skirmish/netcode"
)

// Transport carries the payloads of one game connection. *secure.Client is the real one.
type Transport interface {
	Send(payload []byte) error
	Payloads() <-chan []byte
	Done() <-chan struct{}
	Err() error
	Close() error
}

// Errors of a game connection.
var (
	// ErrDisconnected is returned by [Conn.Run] when the connection ended before the match did.
	ErrDisconnected = errors.New("client: disconnected from the game server")
	// ErrProtocol reports a message the client cannot use (wrong protocol version, a welcome
	// for a game it has no rules for).
	ErrProtocol = errors.New("client: game protocol error")
	// ErrDenied is returned by [Conn.Run] when the game server refused the connection (its
	// reason follows: an unknown mode, a full server, a finished match).
	ErrDenied = errors.New("client: game server refused the connection")
)

// ConnConfig configures a [Conn]. The zero value is the default.
type ConnConfig struct {
	// Rules makes the game's rules from the welcome; default [NewArenaRules].
	Rules RulesFactory
	// Interp and Predict tune the interpolation of the world and the prediction of the local
	// player.
	Interp  InterpConfig
	Predict PredictConfig
	// Endpoint configures the channel layer.
	Endpoint netcode.EndpointConfig
	// Wire, if set, counts the socket's bytes for [Stats]; otherwise the payloads are counted.
	Wire *WireCounter
	// Logger receives protocol problems; default slog.Default().
	Logger *slog.Logger
}

// lossyLink is the measured packet loss above which inputs go out every tick instead of
// with every snapshot interval: a lost packet then delays the inputs it carried by one tick
// rather than by a snapshot interval, which keeps the server's input buffer (and so the
// player's input latency) short on lossy links.
const lossyLink = 0.02

// maxCatchUpTicks bounds the input ticks one Update runs after the caller stalled (a GC pause,
// a minimised window, a thousand bots on a busy machine): sending a burst of stale inputs
// would only make the server drop them to bound latency, so past the cap the client lets the
// time go (and the server repeats inputs for those ticks). Eight ticks (133 ms at 60 Hz) fit in
// the server's input buffer and cover a caller updating at 30 Hz that missed a few updates.
const maxCatchUpTicks = 8

// maxKillFeed and maxChat bound the kept lines; effectLife is the default lifetime of effects.
const (
	maxKillFeed = 8
	maxChat     = 50
	effectLife  = 500 * time.Millisecond
	feedLife    = 8 * time.Second
)

type timedFeed struct {
	at time.Time
	e  KillFeedEntry
}

type timedChat struct {
	at time.Time
	c  ChatLine
}

type timedEffect struct {
	at time.Time
	e  SceneEffect
}

// Conn is one game connection: it samples controls every tick, predicts the local player and
// sends every unacknowledged input with the newest snapshot tick received; it decodes
// snapshots against their baselines, reconciles the prediction with each, interpolates the
// rest of the world, and keeps the reliable events (kill feed, chat, match end) and the
// connection's statistics.
//
// Time is passed in (now). Its methods are safe for concurrent use: [Conn.Run] (or a caller's
// own loop over [Conn.Update] and [Conn.HandlePayload]) drives it, while a renderer reads
// [Conn.Scene] from another goroutine.
type Conn struct {
	cfg ConnConfig
	tr  Transport
	log *slog.Logger

	mu       sync.Mutex
	ep       *netcode.Endpoint
	rules    Rules
	schema   *snapshot.Schema
	welcome  wire.Welcome
	welcomed bool
	names    [256]string
	teams    [256]uint8
	// seated and online are the roster's seats that have had a player and those connected
	// now: a player whose seat goes offline left (Scene.Alone, a line in the chat).
	seated, online [256]bool

	interp  *Interpolator[*snapshot.Snapshot]
	pred    *Predictor[PlayerState]
	tickDur time.Duration
	next    time.Time // when the next input tick is due; zero before the first Update
	seq     uint32    // sequence of the newest input made
	newest  uint32    // newest snapshot tick received
	hasSnap bool
	lastCtl Controls

	// sendEvery is how many input ticks one input packet covers (the tick rate over the
	// snapshot rate from the welcome); sinceSend counts the ticks since the last packet.
	sendEvery int
	sinceSend int
	// flushNow asks the next Update to flush even without an input packet due (a chat line
	// was queued).
	flushNow bool

	// input delivery, from the newest snapshot's counters (exact, as counted by the server)
	inApplied  uint32 // server ticks that simulated a real input of ours
	inRepeated uint32 // server ticks that repeated our last input because the next was late
	denied     string // the server's reason, when it refused the connection

	feed    []timedFeed
	chat    []timedChat
	effects []timedEffect
	scratch Scene

	chatSent      []string // own chat lines awaiting their echo, in order
	reliableSent  uint64
	reliableEcho  uint64
	reliableOrder bool

	firstSnap, lastSnap time.Time

	result   *wire.Result
	resultAt time.Time

	stats       Stats
	net         NetStats
	netAt       time.Time
	inMeter     meter
	outMeter    meter
	snapMeter   meter
	predErrors  Histogram
	stateAges   Histogram
	stateAge    time.Duration
	lastRecv    time.Time // when the last payload arrived (Scene.Silence)
	payloadIn   uint64
	payloadOut  uint64
	baselineMis uint64
	badMessages uint64

	recon    pendingRecon
	free     []*snapshot.Snapshot // decoded snapshots evicted from the interpolator, for reuse
	inputBuf []byte
	msgBuf   []byte
	inputs   [][]byte
	sendErr  error

	// spectating (spectate.go): the newest snapshot tick acknowledged, and the followed player
	ackSent     uint32
	follow      uint8
	followSet   bool
	followDelta int
}

// NewConn returns a connection over tr, which must already be connected (see [DialGame]).
func NewConn(tr Transport, cfg ConnConfig) *Conn {
	if cfg.Rules == nil {
		cfg.Rules = NewArenaRules
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	c := &Conn{
		cfg:           cfg,
		tr:            tr,
		log:           log,
		ep:            netcode.NewEndpoint(cfg.Endpoint),
		interp:        NewInterpolator[*snapshot.Snapshot](cfg.Interp),
		tickDur:       time.Second / 60,
		sendEvery:     1,
		reliableOrder: true,
		inputs:        make([][]byte, 0, wire.MaxInputsPerMessage),
	}
	return c
}

// Update runs the input ticks due at now with controls ctl: each samples ctl and predicts
// the local player; every sendEvery ticks (the snapshot interval, or every tick on a lossy
// link) one packet carries the inputs the server has not processed, with the channel's
// acknowledgements and reliable messages. No packet goes out between those, so a client
// sends about as many packets as it receives.
func (c *Conn) Update(now time.Time, ctl Controls) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reconcile()
	c.lastCtl = ctl
	if c.spectating() {
		c.updateSpectator(now)
		return
	}
	if c.next.IsZero() {
		c.next = now
	}
	// A tick is due once now is within half a tick of it: callers wake on their own ticker
	// (Ebiten's frame, the bots' shared ticker) with jitter around the tick times, and a strict
	// comparison would turn that jitter into skipped ticks followed by double ones, which the
	// server sees as a late input (repeated) and then a burst.
	sent := false
	if c.welcomed && !now.Before(c.next.Add(-c.tickDur/2)) {
		es := c.ep.Stats()
		every := c.sendEvery
		if es.Loss >= lossyLink {
			every = 1
		}
		for ran := 0; !now.Before(c.next.Add(-c.tickDur / 2)); ran++ {
			if ran == maxCatchUpTicks {
				c.next = now.Add(c.tickDur)
				break
			}
			c.tick(now, c.next, ctl, es.RTT)
			c.next = c.next.Add(c.tickDur)
		}
		// One packet for the ticks just run, once a packet is due: a caller updating less
		// often than every tick (the bots, at the snapshot rate) still sends one packet.
		if c.sinceSend >= every {
			c.sinceSend = 0
			sent = c.sendInputs()
		}
	}
	if sent || c.flushNow || !c.welcomed {
		c.flushNow = false
		c.flush(now)
	}
	c.inMeter.record(now, c.bytesIn())
	c.outMeter.record(now, c.bytesOut())
	c.snapMeter.record(now, c.stats.SnapshotsReceived)
}

// NextTick returns when the next input tick is due (zero before the first Update).
func (c *Conn) NextTick() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.next
}

func (c *Conn) bytesIn() uint64 {
	if c.cfg.Wire != nil {
		return c.cfg.Wire.BytesIn.Load()
	}
	return c.payloadIn
}

func (c *Conn) bytesOut() uint64 {
	if c.cfg.Wire != nil {
		return c.cfg.Wire.BytesOut.Load()
	}
	return c.payloadOut
}

// tick makes and predicts one input, for the tick scheduled at at.
func (c *Conn) tick(now, at time.Time, ctl Controls, rtt time.Duration) {
	s := c.interp.Sample(now)
	if s.OK {
		c.stateAge = s.Age + rtt/2
		c.stateAges.Add(float64(c.stateAge) / float64(time.Millisecond))
	}
	c.inputBuf = c.rules.AppendInput(c.inputBuf[:0], ctl, s.RenderTick)
	c.seq++
	c.pred.Apply(at, c.seq, c.inputBuf)
	c.stats.InputsSent++
	c.sinceSend++
}

// sendInputs queues the input message: every input the server has not processed (up to
// wire.MaxInputsPerMessage) and the newest snapshot tick received. It reports whether it did.
func (c *Conn) sendInputs() bool {
	pend := c.pred.pending
	if len(pend) == 0 {
		return false
	}
	if len(pend) > wire.MaxInputsPerMessage {
		pend = pend[len(pend)-wire.MaxInputsPerMessage:]
	}
	c.inputs = c.inputs[:0]
	for _, p := range pend {
		c.inputs = append(c.inputs, p.input)
	}
	msg := wire.Input{AckTick: c.newest, FirstSeq: uint16(pend[0].seq), Inputs: c.inputs}
	var err error
	if c.msgBuf, err = msg.Append(c.msgBuf[:0]); err != nil {
		c.log.Error("client: encode input", "err", err)
		return false
	}
	if err := c.ep.SendUnreliable(c.msgBuf); err != nil {
		c.log.Error("client: send input", "err", err)
	}
	return true
}

func (c *Conn) flush(now time.Time) {
	err := c.ep.Flush(now, func(p []byte) error {
		c.payloadOut += uint64(len(p))
		c.stats.PacketsOut++
		return c.tr.Send(p)
	})
	if err != nil && c.sendErr == nil {
		c.sendErr = err
		c.log.Debug("client: flush", "err", err)
	}
}

// HandlePayload processes one payload received from the server at now.
func (c *Conn) HandlePayload(now time.Time, p []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.payloadIn += uint64(len(p))
	c.stats.PacketsIn++
	c.lastRecv = now
	if err := c.ep.Receive(now, p); err != nil {
		c.badMessages++
		return
	}
	for {
		msg, ok := c.ep.NextReliable()
		if !ok {
			break
		}
		c.handleReliable(now, msg)
	}
	for {
		msg, ok := c.ep.NextUnreliable()
		if !ok {
			break
		}
		c.handleUnreliable(now, msg)
	}
}

func (c *Conn) handleReliable(now time.Time, msg []byte) {
	typ, err := wire.PeekType(msg)
	if err != nil {
		c.badMessages++
		return
	}
	switch typ {
	case wire.MsgWelcome:
		w, _, err := wire.ParseWelcome(msg)
		if err != nil {
			c.badMessages++
			return
		}
		if err := c.onWelcome(w); err != nil {
			c.log.Error("client: welcome", "err", err)
			c.badMessages++
		}
	case wire.MsgRoster:
		r, _, err := wire.ParseRoster(msg)
		if err != nil {
			c.badMessages++
			return
		}
		c.onRoster(now, r)
	case wire.MsgGameEvent:
		e, _, err := wire.ParseGameEvent(msg)
		if err != nil || c.rules == nil {
			c.badMessages++
			return
		}
		c.scratch.KillFeed, c.scratch.Effects = c.scratch.KillFeed[:0], c.scratch.Effects[:0]
		var latest *snapshot.Snapshot
		if c.hasSnap {
			latest, _ = c.interp.Find(c.newest)
		}
		c.rules.Event(&c.scratch, e.Data, &c.names, latest)
		for _, k := range c.scratch.KillFeed {
			c.feed = append(c.feed, timedFeed{now, k})
		}
		if n := len(c.feed); n > maxKillFeed {
			c.feed = append(c.feed[:0], c.feed[n-maxKillFeed:]...)
		}
		for _, fx := range c.scratch.Effects {
			c.effects = append(c.effects, timedEffect{now, fx})
		}
	case wire.MsgChat:
		m, _, err := wire.ParseChat(msg)
		if err != nil {
			c.badMessages++
			return
		}
		c.addChat(now, ChatLine{From: c.names[m.From], Text: m.Text})
		if c.welcomed && m.From == c.welcome.Slot {
			c.onEcho(m.Text)
		}
	case wire.MsgMatchEnd:
		m, _, err := wire.ParseMatchEnd(msg)
		if err != nil {
			c.badMessages++
			return
		}
		c.result, c.resultAt = &m.Result, now
	case wire.MsgDenied:
		d, _, err := wire.ParseDenied(msg)
		if err != nil {
			c.badMessages++
			return
		}
		c.denied = d.Reason
		c.log.Warn("client: game server refused the connection", "reason", d.Reason)
	default:
		c.badMessages++
	}
}

// onRoster takes the match's seats: names and teams, and who left or came back (a system
// line in the match chat; the renderer tells a player left alone).
func (c *Conn) onRoster(now time.Time, r wire.Roster) {
	for _, p := range r.Players {
		c.names[p.Slot], c.teams[p.Slot] = p.Name, p.Team
		mine := c.welcomed && p.Slot == c.welcome.Slot
		was, had := c.online[p.Slot], c.seated[p.Slot]
		c.seated[p.Slot], c.online[p.Slot] = true, p.Connected
		switch {
		case mine || !had || was == p.Connected:
		case was:
			c.addChat(now, ChatLine{Text: p.Name + " left the match", System: true})
		default:
			c.addChat(now, ChatLine{Text: p.Name + " is back", System: true})
		}
	}
}

// alone reports whether every other player who sat in the match has left it.
func (c *Conn) alone() bool {
	if !c.welcomed {
		return false
	}
	others := false
	for slot := range c.seated {
		if !c.seated[slot] || slot == int(c.welcome.Slot) {
			continue
		}
		if c.online[slot] {
			return false
		}
		others = true
	}
	return others
}

func (c *Conn) addChat(now time.Time, l ChatLine) {
	c.chat = append(c.chat, timedChat{now, l})
	if n := len(c.chat); n > maxChat {
		c.chat = append(c.chat[:0], c.chat[n-maxChat:]...)
	}
}

// onEcho matches a chat line of ours relayed back by the server against the lines sent: the
// reliable channel must deliver each exactly once and in order.
func (c *Conn) onEcho(text string) {
	for i, s := range c.chatSent {
		if s == text {
			if i != 0 {
				c.reliableOrder = false
			}
			c.reliableEcho++
			c.chatSent = append(c.chatSent[:i], c.chatSent[i+1:]...)
			return
		}
	}
	c.reliableOrder = false // a line we did not send, or a duplicate
}

func (c *Conn) onWelcome(w wire.Welcome) error {
	if w.Version != wire.ProtocolVersion {
		return fmt.Errorf("%w: protocol version %d, want %d", ErrProtocol, w.Version, wire.ProtocolVersion)
	}
	if c.welcomed && c.welcome.Slot == w.Slot && c.welcome.MatchID == w.MatchID {
		return nil // the same match again (a replaced connection): keep the state
	}
	rules, err := c.cfg.Rules(w)
	if err != nil {
		return fmt.Errorf("%w: rules for mode %q: %w", ErrProtocol, w.Mode, err)
	}
	c.welcome, c.welcomed, c.rules, c.schema = w, true, rules, rules.Schema()
	if w.TickRate > 0 {
		c.tickDur = time.Second / time.Duration(w.TickRate)
	}
	every := 0
	if w.TickRate > 0 && w.SnapshotRate > 0 {
		every = max(int(w.TickRate/w.SnapshotRate), 1)
	}
	c.sendEvery = max(every, 1)
	c.sinceSend = c.sendEvery - 1 // the first input goes out at once
	c.interp = NewInterpolator[*snapshot.Snapshot](c.cfg.Interp)
	c.interp.SetRates(int(w.TickRate), every)
	pc := c.cfg.Predict
	pc.Tick = c.tickDur // the shown position is interpolated over the server's tick
	c.pred = NewPredictor(pc, rules.Step, rules.Position)
	c.recon = pendingRecon{}
	c.hasSnap, c.newest = false, 0
	c.inApplied, c.inRepeated = 0, 0
	return nil
}

func (c *Conn) handleUnreliable(now time.Time, msg []byte) {
	typ, err := wire.PeekType(msg)
	if err != nil || typ != wire.MsgSnapshot || !c.welcomed {
		c.badMessages++
		return
	}
	m, _, err := wire.ParseSnapshot(msg)
	if err != nil {
		c.badMessages++
		return
	}
	tick, baseTick, hasBase, err := snapshot.PeekTicks(m.Delta)
	if err != nil {
		c.badMessages++
		return
	}
	if c.interp.Has(tick) {
		return // a redundant repeat, or older than everything kept: nothing to decode
	}
	var base *snapshot.Snapshot
	if hasBase {
		var ok bool
		if base, ok = c.interp.Find(baseTick); !ok {
			c.baselineMis++
			return
		}
	}
	var out *snapshot.Snapshot
	if n := len(c.free); n > 0 {
		out, c.free = c.free[n-1], c.free[:n-1]
	} else {
		out = new(snapshot.Snapshot)
	}
	if err := c.schema.ParseDelta(m.Delta, base, out); err != nil {
		c.free = append(c.free, out)
		c.badMessages++
		return
	}
	added, old, had := c.interp.AddEvict(now, tick, out)
	if had {
		c.free = append(c.free, old) // no longer a baseline nor interpolated: reuse it
	}
	if !added {
		c.free = append(c.free, out)
		return
	}
	c.stats.SnapshotsReceived++
	if c.firstSnap.IsZero() {
		c.firstSnap = now
	}
	c.lastSnap = now
	if c.hasSnap && int32(tick-c.newest) <= 0 {
		return // older than one already used: good for interpolation only
	}
	c.hasSnap, c.newest = true, tick

	// Input delivery: the server counts, per connection, the ticks it simulated with one of
	// our real inputs and the ticks it had to repeat the last one; the newest snapshot's
	// counters are exact up to its tick (and stop when we leave: no snapshot comes after).
	c.inApplied, c.inRepeated = m.InputsApplied, m.RepeatedInputs

	st, ok := c.rules.Player(out, c.welcome.Slot)
	if !ok {
		return
	}
	var processed uint32
	if m.HasInput {
		processed = c.seq - uint32(uint16(c.seq)-m.LastInputSeq)
	} else {
		processed = c.seq - uint32(len(c.pred.pending))
	}
	// Reconcile lazily, before the prediction is next used: when several snapshots arrive
	// between two updates (a stalled process, a burst), only the newest costs a replay.
	c.recon = pendingRecon{st: st, processed: processed, at: now, ok: true}
}

// pendingRecon is the newest snapshot's verdict on the local player, not yet applied.
type pendingRecon struct {
	st        PlayerState
	processed uint32
	at        time.Time
	ok        bool
}

// reconcile applies the pending snapshot to the prediction (see handleUnreliable).
func (c *Conn) reconcile() {
	if !c.recon.ok || c.pred == nil {
		return
	}
	r := c.recon
	c.recon.ok = false
	prev, had := c.pred.State()
	e := c.pred.Reconcile(r.at, r.st, r.processed)
	// A death or a respawn is not a misprediction of movement: the client cannot predict it
	// and the glide is skipped (SnapDistance); keep it out of the error statistics.
	if now, _ := c.pred.State(); had && prev.Alive && now.Alive {
		c.predErrors.Add(e)
	}
}

// SendChat sends a line of chat to the match (reliable, ordered).
func (c *Conn) SendChat(text string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := wire.Chat{Text: text}
	b, err := m.Append(nil)
	if err != nil {
		return err
	}
	if err := c.ep.SendReliable(b); err != nil {
		return fmt.Errorf("client: send chat: %w", err)
	}
	c.flushNow = true
	c.reliableSent++
	c.chatSent = append(c.chatSent, text)
	return nil
}

// Welcome returns the server's welcome and whether it has arrived.
func (c *Conn) Welcome() (wire.Welcome, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.welcome, c.welcomed
}

// Result returns the match's result once the server has sent it.
func (c *Conn) Result() (wire.Result, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.result == nil {
		return wire.Result{}, false
	}
	return *c.result, true
}

// Scene fills sc with the world to draw at now: the other players interpolated, the local
// player predicted (with its correction gliding), effects, kill feed, chat, scores, and the
// net stats. It reuses sc's slices.
func (c *Conn) Scene(now time.Time, sc *Scene) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fillWorld(now, sc)
	c.fillEvents(now, sc)
	if now.Sub(c.netAt) >= netStatsEvery || c.netAt.IsZero() {
		st := c.statsLocked(now)
		c.net = NetStats{RTT: st.RTT, Loss: st.Loss, KbpsIn: st.KbpsIn, KbpsOut: st.KbpsOut,
			SnapshotRate: st.SnapshotRate, InterpDelay: st.InterpDelay, PredictionError: st.PredictionError}
		c.netAt = now
	}
	sc.Net = c.net
	// The server does not send the others' round trips; ours is the game connection's.
	for i := range sc.Players {
		if sc.Players[i].Local {
			sc.Players[i].Ping = c.net.RTT
		}
	}
	for i := range sc.Final {
		if sc.Final[i].Local {
			sc.Final[i].Ping = c.net.RTT
		}
	}
	sc.Silence = 0
	if !c.lastRecv.IsZero() && now.After(c.lastRecv) {
		sc.Silence = now.Sub(c.lastRecv)
	}
	sc.Alone = c.result == nil && c.alone()
}

// netStatsEvery is how often Scene recomputes the net graph's figures.
const netStatsEvery = 100 * time.Millisecond

// World fills only the world part of sc (mode, arena, players, projectiles, effects from
// snapshots): what a bot's brain looks at, without the kill feed, chat, results and net
// stats of [Conn.Scene].
func (c *Conn) World(now time.Time, sc *Scene) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fillWorld(now, sc)
}

func (c *Conn) fillWorld(now time.Time, sc *Scene) {
	c.reconcile()
	sc.Mode, sc.Teams, sc.Spectator = c.welcome.Mode, 0, false
	sc.Players, sc.Projectiles, sc.Effects = sc.Players[:0], sc.Projectiles[:0], sc.Effects[:0]
	if c.rules != nil {
		if s := c.interp.Sample(now); s.OK {
			c.rules.FillScene(sc, s.From, s.To, s.Alpha, &c.names)
		}
		if c.spectating() {
			c.markFollowed(sc)
			return
		}
		st, predicted := c.pred.State()
		for i := range sc.Players {
			p := &sc.Players[i]
			if p.Slot != c.welcome.Slot {
				continue
			}
			p.Local = true
			if predicted && st.Alive && p.Alive {
				p.Pos = c.pred.Shown(now)
				p.Angle = c.lastCtl.Aim
			}
		}
	}
}

func (c *Conn) fillEvents(now time.Time, sc *Scene) {
	for i := 0; i < len(c.effects); {
		age := now.Sub(c.effects[i].at)
		life := c.effects[i].e.Life
		if life == 0 {
			life = effectLife
		}
		if age >= life {
			c.effects = append(c.effects[:i], c.effects[i+1:]...)
			continue
		}
		fx := c.effects[i].e
		fx.Age = fx.Age + age
		sc.Effects = append(sc.Effects, fx)
		i++
	}
	sc.KillFeed = sc.KillFeed[:0]
	for _, f := range c.feed {
		if age := now.Sub(f.at); age < feedLife {
			e := f.e
			e.Age = age
			sc.KillFeed = append(sc.KillFeed, e)
		}
	}
	sc.Chat = sc.Chat[:0]
	for _, l := range c.chat {
		ln := l.c
		ln.Age = now.Sub(l.at)
		sc.Chat = append(sc.Chat, ln)
	}
	sc.MatchOver = c.result != nil
	sc.Final, sc.EndReason = sc.Final[:0], ""
	if c.result != nil {
		sc.EndReason = c.result.Reason
		for _, s := range c.result.Scores {
			sc.Final = append(sc.Final, ScoreLine{Slot: s.Slot, Team: s.Team, Name: s.Name, Score: s.Score,
				Kills: s.Kills, Deaths: s.Deaths, Left: s.Left, Local: c.welcomed && s.Slot == c.welcome.Slot})
		}
		SortScores(sc.Final) // the server sends slot order; the results table shows rank order
		if sc.Teams > 1 {
			sc.TeamScores = teamTotals(sc.TeamScores[:0], sc.Teams, sc.Final)
		}
	}
}

// Stats returns the connection's measurements at now.
func (c *Conn) Stats(now time.Time) Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.statsLocked(now)
}

func (c *Conn) statsLocked(now time.Time) Stats {
	s := c.stats
	es := c.ep.Stats()
	s.RTT, s.Loss = es.RTT, es.Loss
	s.SnapshotLoss = c.interp.Loss()
	s.KbpsIn = c.inMeter.rate(now) * 8 / 1000
	s.KbpsOut = c.outMeter.rate(now) * 8 / 1000
	s.SnapshotRate = c.snapMeter.rate(now)
	s.InterpDelay = c.interp.Delay()
	c.reconcile()
	if c.pred != nil {
		s.PredictionError = c.pred.LastError()
		s.Pending = c.pred.Pending()
	}
	s.StateAge = c.stateAge
	s.BytesIn, s.BytesOut = c.bytesIn(), c.bytesOut()
	s.InterpSamples, _, s.InterpGaps = c.interp.Gaps()
	return s
}

// Report is a connection's totals for a load run (see package client/bot).
type Report struct {
	Welcomed          bool
	SnapshotsReceived uint64
	InputTicks        uint64 // server ticks with our input applied or repeated (wire.Snapshot counters)
	InputReal         uint64 // of those, ticks the server simulated with our real input
	ReliableSent      uint64 // own chat lines sent
	ReliableDelivered uint64 // own chat lines relayed back by the server
	ReliableInOrder   bool
	BytesIn, BytesOut uint64
	PredictionErrors  Histogram // world units (pixels)
	StateAges         Histogram // milliseconds
	RTT               time.Duration
	MatchOver         bool
	BaselineMissing   uint64
	BadMessages       uint64
	// FirstSnapshot and LastSnapshot are when the first and the last snapshot arrived.
	FirstSnapshot, LastSnapshot time.Time
}

// Report returns the connection's totals.
func (c *Conn) Report() Report {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reconcile()
	r := Report{
		Welcomed:          c.welcomed,
		SnapshotsReceived: c.stats.SnapshotsReceived,
		InputTicks:        uint64(c.inApplied) + uint64(c.inRepeated),
		InputReal:         uint64(c.inApplied),
		ReliableSent:      c.reliableSent,
		ReliableDelivered: c.reliableEcho,
		ReliableInOrder:   c.reliableOrder,
		BytesIn:           c.bytesIn(),
		BytesOut:          c.bytesOut(),
		RTT:               c.ep.Stats().RTT,
		MatchOver:         c.result != nil,
		BaselineMissing:   c.baselineMis,
		BadMessages:       c.badMessages,
		FirstSnapshot:     c.firstSnap,
		LastSnapshot:      c.lastSnap,
	}
	r.PredictionErrors.Merge(&c.predErrors)
	r.StateAges.Merge(&c.stateAges)
	return r
}

// InputSource supplies the controls of each tick; a bot's brain or the keyboard.
type InputSource func(now time.Time) Controls

// endGrace is how long Run keeps servicing the connection after the match ended, so the
// MatchEnd's acknowledgement reaches the server before we leave.
const endGrace = 500 * time.Millisecond

// Run drives the connection until ctx is done, the match ends or the connection drops:
// payloads as they arrive, and an input tick whenever ticks delivers a time (nil: its own
// ticker at the server's tick rate). input supplies the controls (nil: none).
// It returns nil when the match ended normally, ctx.Err() when cancelled, and an error
// wrapping [ErrDisconnected] when the connection ended first. It closes the transport.
func (c *Conn) Run(ctx context.Context, ticks <-chan time.Time, input InputSource) error {
	defer c.tr.Close()
	if ticks == nil {
		t := time.NewTicker(c.tickDur)
		defer t.Stop()
		ticks = t.C
	}
	payloads := c.tr.Payloads()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case p, ok := <-payloads:
			if !ok {
				payloads = nil
				continue
			}
			c.HandlePayload(time.Now(), p)
		case now := <-ticks:
			now = time.Now() // the channel's time may be stale if we were busy
			var ctl Controls
			if input != nil {
				ctl = input(now)
			}
			c.Update(now, ctl)
			c.mu.Lock()
			over := c.result != nil && now.Sub(c.resultAt) >= endGrace
			c.mu.Unlock()
			if over {
				return nil
			}
		case <-c.tr.Done():
			// Drain what arrived before the end.
			for {
				select {
				case p, ok := <-payloads:
					if ok {
						c.HandlePayload(time.Now(), p)
						continue
					}
				default:
				}
				break
			}
			c.mu.Lock()
			over, denied := c.result != nil, c.denied
			c.mu.Unlock()
			if over {
				return nil
			}
			if denied != "" {
				return fmt.Errorf("%w: %s", ErrDenied, denied)
			}
			return fmt.Errorf("%w: %w", ErrDisconnected, c.tr.Err())
		}
	}
}

// Close ends the connection (the transport sends its disconnect packets). Safe twice.
func (c *Conn) Close() error { return c.tr.Close() }
