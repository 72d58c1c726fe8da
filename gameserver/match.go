package gameserver

import (
	"errors"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/skirmish-go/skirmish/gameserver/snapshot"
	"github.com/skirmish-go/skirmish/gameserver/wire"
	"github.com/skirmish-go/skirmish/netcode"
)

// maxCatchUpTicks bounds the ticks one wake-up of a match runs when the loop fell behind (a GC
// pause, a descheduled process, a slow Step). Running every missed tick would burst snapshots at
// the clients and starve the other matches sharing the cores, which then fall behind too; past
// the cap the match lets the time go (its clock slips, counted in slipped_ticks_total), which
// players see as a brief slow-down instead of a spiral.
const maxCatchUpTicks = 5

// ctlEvent is a connect (connect true) or disconnect routed to a match. Control events are
// never dropped: they queue in a slice bounded by the connections the server accepts.
type ctlEvent struct {
	connect bool
	index   int
	connID  uint64
	addr    netip.AddrPort
	ticket  wire.Ticket
	reason  error
}

// inPayload is one decrypted payload for a match, queued by the connection layer's goroutine
// for the match loop. data is the match's own copy: its buffer is reused by a later payload
// once the loop has handled this one. at is when it arrived (the Endpoint's RTT samples).
type inPayload struct {
	index  int
	connID uint64
	at     time.Time
	data   []byte
}

// clientConn is one connection seated in a match: its channel state, inputs and the newest
// snapshot it acknowledged.
type clientConn struct {
	index   int
	connID  uint64
	addr    netip.AddrPort
	ep      *netcode.Endpoint
	in      inputBuffer
	ackTick uint32 // newest snapshot tick acknowledged; 0 = none
	// lastSnap is the last Snapshot message sent, kept to repeat it byte for byte
	// (redundancy); repeat says it has not been repeated yet.
	lastSnap []byte
	repeat   bool
	// queued says messages are waiting in ep for the next flush (a reliable event, a chat
	// line, a repeat); between snapshots only such clients are flushed, so no packet goes out
	// just to carry acknowledgements.
	queued  bool
	dropped uint64                    // in.dropped already counted in metrics
	send    func(packet []byte) error // made once: a closure per Flush would allocate
}

type seat struct {
	known  bool // a player has sat here; player is valid
	joined bool // Game.Join called and no Leave since
	player Player
	id     uint64 // lobby player ID from the ticket
	conn   *clientConn
	// left is the player's score row when they left (the game forgets a player who
	// leaves); the final result lists it, marked Left, unless they came back.
	left *PlayerScore
}

type matchState uint8

const (
	stateRunning matchState = iota
	stateEnding             // MatchEnd sent; servicing connections for EndGrace
)

// match is one running game. Everything but the inbox, the control queue and end is owned by
// the server's match loop (loop.go).
type match struct {
	inputFree bool // the game ignores input (InputFree): wake for snapshot ticks only
	s         *Server
	ticket    wire.Ticket
	id        string
	game      Game
	schema    *snapshot.Schema
	log       *slog.Logger

	// inbox holds the payloads that arrived since the loop last ran the match, at most
	// Config.InboxSize (beyond, a payload is dropped and counted). The loop swaps it with
	// inSpare, so the slots and their buffers are reused and a payload costs no allocation.
	inMu    sync.Mutex
	inbox   []inPayload
	inSpare []inPayload

	ctlMu  sync.Mutex
	ctl    []ctlEvent
	endReq string

	started   bool // start has run
	state     matchState
	seats     []seat
	connected int
	tick      uint32
	tickDur   time.Duration
	base      time.Time // tickTime(baseTick) == base
	baseTick  uint32
	startedAt time.Time
	emptyAt   time.Time // when the match last became empty
	aloneAt   time.Time // since when one player is left of several; zero when not
	endAt     time.Time
	nextFlush time.Time

	// packetsOut and bytesOut count what the match sent since its last wake; they go to the
	// shared Prometheus counters once per wake rather than once per packet.
	packetsOut, bytesOut uint64

	// rosterDue says the seats changed since the last Roster broadcast; rosterAt is when the
	// next may go (see rosterInterval).
	rosterDue bool
	rosterAt  time.Time

	hist      history
	rec       *recorder // the match's replay; nil when the server keeps none
	enc       *snapshot.Encoder
	inputs    []PlayerInput
	inputMsgs [][]byte // ParseInputInto's array, so parsing an Input allocates nothing
	msg       []byte

	// Spectators (spectate.go): specs and feed are the match loop's; specCount, closed and
	// live are guarded by s.mu.
	specs     []*spectatorConn
	feed      *spectatorFeed
	specCount int
	closed    bool
	live      LiveMatch
	liveAt    time.Time
}

func newMatch(s *Server, t wire.Ticket, game Game) *match {
	id := t.MatchIDString()
	log := s.log.With("match", id, "mode", t.Mode)
	inputFree := false
	if f, ok := game.(InputFree); ok {
		inputFree = f.InputFree()
	}
	return &match{
		inputFree: inputFree,
		s:         s,
		ticket:    t,
		id:        id,
		game:      game,
		schema:    game.Schema(),
		enc:       snapshot.NewEncoder(game.Schema()),
		log:       log,
		rec:       newRecorder(s, t, game, log),
		seats:     make([]seat, t.Players),
		tickDur:   time.Second / time.Duration(s.cfg.Tick),
		inputs:    make([]PlayerInput, 0, t.Players),

		inputMsgs: make([][]byte, 0, wire.MaxInputsPerMessage),
	}
}

// control queues a connect or disconnect for the match loop.
func (m *match) control(ev ctlEvent) {
	m.ctlMu.Lock()
	m.ctl = append(m.ctl, ev)
	m.ctlMu.Unlock()
	m.signal()
}

// end asks the match to end now with reason (if it has not ended yet).
func (m *match) end(reason string) {
	m.ctlMu.Lock()
	if m.endReq == "" {
		m.endReq = reason
	}
	m.ctlMu.Unlock()
	m.signal()
}

func (m *match) signal() { m.s.wakeLoop() }

// enqueue copies a payload into the inbox for the loop; false if the inbox is full.
func (m *match) enqueue(index int, connID uint64, at time.Time, payload []byte) bool {
	m.inMu.Lock()
	defer m.inMu.Unlock()
	n := len(m.inbox)
	if n >= m.s.cfg.InboxSize {
		return false
	}
	if n < cap(m.inbox) {
		m.inbox = m.inbox[:n+1] // reuse the slot's buffer
	} else {
		m.inbox = append(m.inbox, inPayload{})
	}
	p := &m.inbox[n]
	p.index, p.connID, p.at = index, connID, at
	p.data = append(p.data[:0], payload...)
	return true
}

// handleInbox handles the payloads queued since the last call, in arrival order.
func (m *match) handleInbox() {
	m.inMu.Lock()
	q := m.inbox
	m.inbox = m.inSpare[:0]
	m.inMu.Unlock()
	for i := range q {
		m.handlePayload(&q[i])
	}
	m.inMu.Lock()
	m.inSpare = q[:0]
	m.inMu.Unlock()
}

func (m *match) now() time.Time { return m.s.cfg.Now() }

// tickTime is when tick n is due.
func (m *match) tickTime(n uint32) time.Time {
	return m.base.Add(time.Duration(n-m.baseTick) * time.Second / time.Duration(m.s.cfg.Tick))
}

// start begins the match's clock at the newest tick instant of the server's grid, so the
// matches of a server tick together.
func (m *match) start(now time.Time) {
	m.started = true
	m.startedAt, m.emptyAt = now, now
	m.base = m.s.alignTick(now)
	m.log.Info("match started", "players", m.ticket.Players)
}

// service runs what is due at now: control events, the queued payloads, the ticks due. It
// reports whether the match is finished (its players released; the loop then removes it).
func (m *match) service(now time.Time) bool {
	m.handleControl(now)
	m.handleInbox()
	if m.advance(now) {
		m.close()
		return true
	}
	return false
}

func (m *match) nextDeadline() time.Time {
	if m.state == stateEnding {
		if m.endAt.Before(m.nextFlush) {
			return m.endAt
		}
		return m.nextFlush
	}
	next := m.tick + 1
	if m.inputFree && m.state == stateRunning && !m.repeatPending() {
		// Nothing to do before the next snapshot tick that cannot wait for it: its pass runs
		// the ticks between (see InputFree).
		rate, tick := uint64(m.s.cfg.SnapshotRate), uint64(m.s.cfg.Tick)
		for n := uint64(next); n < uint64(next)+tick; n++ {
			if n*rate/tick > (n-1)*rate/tick {
				next = uint32(n)
				break
			}
		}
	}
	return m.tickTime(next)
}

// repeatPending reports whether a client is owed a repeat of the last snapshot on the next
// tick (repeatSnapshots would send it one).
func (m *match) repeatPending() bool {
	if m.s.cfg.SnapshotRedundancy == RedundancyOff {
		return false
	}
	for i := range m.seats {
		c := m.seats[i].conn
		if c == nil || !c.repeat {
			continue
		}
		if m.s.cfg.SnapshotRedundancy == RedundancyAuto &&
			(m.tick-c.ackTick > maxRepeatAckAge || c.ep.Loss() < AutoRedundancyLoss) {
			continue
		}
		return true
	}
	return false
}

// publishCounters moves the match's packet counters into the server's metrics.
func (m *match) publishCounters() {
	if m.packetsOut > 0 {
		m.s.metrics.packetsOut.Add(float64(m.packetsOut))
		m.s.metrics.bytesOut.Add(float64(m.bytesOut))
		m.packetsOut, m.bytesOut = 0, 0
	}
}

// advance runs the ticks due at now and reports whether the match is finished.
func (m *match) advance(now time.Time) bool {
	defer m.publishCounters()
	m.ctlMu.Lock()
	reason := m.endReq
	m.ctlMu.Unlock()
	if reason != "" {
		if m.state == stateRunning {
			m.finishGame(now, m.forcedResult(reason), true)
		} else if m.spectatorsBehind() {
			m.releaseHeld(m.tick) // the spectators get the match end now
			m.flushSpectators(now)
		}
		m.endAt = now // also cuts short a grace period already running
	}
	if m.state == stateRunning {
		for ran := 0; !now.Before(m.tickTime(m.tick + 1)); ran++ {
			if ran == maxCatchUpTicks {
				behind := now.Sub(m.tickTime(m.tick+1))/m.tickDur + 1
				m.s.metrics.slippedTicks.Add(float64(behind))
				m.log.Warn("match fell behind; slipping", "ticks", int64(behind))
				m.base, m.baseTick = m.s.alignTick(now), m.tick
				break
			}
			m.step(now, ran > 0)
			if res, over := m.game.Over(); over {
				m.finishGame(now, res, false)
				break
			}
		}
	}
	if m.state == stateRunning && m.connected == 0 && now.Sub(m.emptyAt) >= m.s.cfg.EmptyTimeout {
		m.finishGame(now, m.forcedResult("abandoned"), false)
	}
	if m.state == stateRunning && !m.aloneAt.IsZero() && now.Sub(m.aloneAt) >= m.s.cfg.AloneTimeout {
		m.finishGame(now, m.forcedResult("players_left"), false)
	}
	if m.state == stateEnding {
		if !now.Before(m.endAt) {
			return true
		}
		if !now.Before(m.nextFlush) {
			m.flushAll(now)
			m.nextFlush = now.Add(m.tickDur)
			if m.spectatorsBehind() {
				// The spectators still see the match's last seconds: serve them on the tick
				// grid the match ran on.
				tick := m.tick + uint32(now.Sub(m.tickTime(m.tick))/m.tickDur)
				m.serveSpectators(now, tick)
				m.nextFlush = m.tickTime(tick + 1)
			} else {
				m.flushSpectators(now)
			}
		}
	}
	return false
}

// step runs one tick: inputs, Game.Step, events, a snapshot when due, and a flush. catchingUp
// says the tick is late (the loop is running the ticks it missed): then no snapshot is
// repeated, since redundancy would only add to the load that made it late.
func (m *match) step(now time.Time, catchingUp bool) {
	start := time.Now()
	m.inputs = m.inputs[:0]
	repeated := 0
	for i := range m.seats {
		st := &m.seats[i]
		if !st.joined {
			continue
		}
		pi := PlayerInput{Slot: st.player.Slot, Repeated: true}
		if c := st.conn; c != nil {
			pi.Input, pi.Repeated = c.in.pop(m.tick)
			if pi.Repeated && c.in.started {
				repeated++
			}
			if d := c.in.dropped - c.dropped; d > 0 {
				m.s.metrics.droppedInputs.Add(float64(d))
				c.dropped = c.in.dropped
			}
		}
		m.inputs = append(m.inputs, pi)
	}
	if repeated > 0 {
		m.s.metrics.repeatedInputs.Add(float64(repeated))
	}
	m.rec.inputs(m.tick, m.inputs)
	events := m.game.Step(m.inputs)
	m.tick++
	m.rec.stepped(m.tick)
	for _, ev := range events {
		m.sendEvent(ev)
		m.feedEvent(ev)
	}
	m.sendRosterDue(now)
	rate, tick := uint64(m.s.cfg.SnapshotRate), uint64(m.s.cfg.Tick)
	if n := uint64(m.tick); n*rate/tick > (n-1)*rate/tick {
		m.sendSnapshots()
		m.flushAll(now)
		m.serveSpectators(now, m.tick)
		m.publishLive(now)
	} else {
		if m.s.cfg.SnapshotRedundancy != RedundancyOff && !catchingUp {
			m.repeatSnapshots()
		}
		m.flushQueued(now)
	}
	d := time.Since(start)
	m.s.metrics.tickDuration.Observe(d.Seconds())
	m.s.ticks.add(d)
}

func (m *match) sendSnapshots() {
	cur := m.hist.next(m.tick)
	cur.Entities = m.game.AppendEntities(cur.Entities)
	m.feedSnapshot(cur)
	// Clients that acknowledged the same snapshot get the same bytes: one encoding per
	// distinct baseline, not per client.
	m.enc.Reset(cur)
	met := m.s.metrics
	for i := range m.seats {
		c := m.seats[i].conn
		if c == nil {
			continue
		}
		base := m.hist.baseline(c.ackTick, m.tick)
		delta, err := m.enc.Encode(base)
		if err != nil {
			m.log.Error("snapshot encode", "err", err)
			return
		}
		m.feedEncoding(base, delta)
		snap := wire.Snapshot{HasInput: c.in.applied, LastInputSeq: c.in.lastSeq,
			InputsApplied: c.in.real, RepeatedInputs: c.in.repeated, Delta: delta}
		if c.lastSnap, err = snap.Append(c.lastSnap[:0]); err != nil {
			m.log.Error("snapshot too large", "bytes", len(delta), "err", err)
			return
		}
		if err := c.ep.SendUnreliable(c.lastSnap); err != nil {
			m.log.Error("snapshot send", "slot", i, "err", err)
			continue
		}
		c.repeat = true
		if m.s.reliable {
			// Every payload arrives (KCP): this snapshot is the next baseline, acknowledged by
			// construction, and a repeat would only add bytes.
			c.ackTick, c.repeat = m.tick, false
		}
		if base == nil {
			met.snapFull.Inc()
			met.snapFullBytes.Add(float64(len(c.lastSnap)))
		} else {
			met.snapDelta.Inc()
			met.snapDeltaBytes.Add(float64(len(c.lastSnap)))
		}
	}
}

// maxRepeatAckAge is how stale (in ticks) a client's newest snapshot acknowledgement may be for
// RedundancyAuto to repeat snapshots to it. A client that acknowledges nothing for half a
// second is not losing packets, it is not keeping up (an overloaded machine, a stalled
// process): its unacknowledged packets look like loss, and repeating would double what it is
// already failing to read.
const maxRepeatAckAge = 30

// repeatSnapshots sends the last snapshot again, byte for byte, to the clients the redundancy
// policy picks. The repeat is not brought up to date (its input acknowledgement and counters
// stay those of its tick): a client that lost the first copy reconciles the state of that tick
// against the input applied at that tick, which is what makes the reconciliation exact.
func (m *match) repeatSnapshots() {
	for i := range m.seats {
		c := m.seats[i].conn
		if c == nil || !c.repeat {
			continue
		}
		if m.s.cfg.SnapshotRedundancy == RedundancyAuto &&
			(m.tick-c.ackTick > maxRepeatAckAge || c.ep.Loss() < AutoRedundancyLoss) {
			continue
		}
		c.repeat = false
		if err := c.ep.SendUnreliable(c.lastSnap); err != nil {
			continue
		}
		c.queued = true
		m.s.metrics.snapRepeat.Inc()
		m.s.metrics.snapRepeatBytes.Add(float64(len(c.lastSnap)))
	}
}

// sendReliable queues msg on c's reliable channel; a client whose window is full has not
// acknowledged anything for a long time and is disconnected.
func (m *match) sendReliable(c *clientConn, msg []byte) {
	c.queued = true
	if err := c.ep.SendReliable(msg); err != nil {
		m.log.Warn("reliable send failed; disconnecting", "addr", c.addr, "err", err)
		if errors.Is(err, netcode.ErrWindowFull) {
			m.s.disconnect(c.index, c.connID)
		}
	}
}

func (m *match) sendEvent(ev Event) {
	var err error
	e := wire.GameEvent{Data: ev.Data}
	if m.msg, err = e.Append(m.msg[:0]); err != nil {
		m.log.Error("game event", "err", err)
		return
	}
	for i := range m.seats {
		c := m.seats[i].conn
		if c != nil && (ev.To == Broadcast || ev.To == int(m.seats[i].player.Slot)) {
			m.sendReliable(c, m.msg)
		}
	}
}

func (m *match) broadcast(msg []byte) {
	for i := range m.seats {
		if c := m.seats[i].conn; c != nil {
			m.sendReliable(c, msg)
		}
	}
}

func (m *match) flushAll(now time.Time) {
	for i := range m.seats {
		if c := m.seats[i].conn; c != nil {
			m.flush(c, now)
		}
	}
}

// flushQueued flushes the clients with messages queued since the last flush. Between
// snapshots that is all that goes out: acknowledgements and reliable resends wait for the next
// snapshot's packet (at most one snapshot interval), which halves the packets of a match.
func (m *match) flushQueued(now time.Time) {
	for i := range m.seats {
		if c := m.seats[i].conn; c != nil && c.queued {
			m.flush(c, now)
		}
	}
}

// flush sends what c's Endpoint has due. A send error (the connection is going away) is
// logged; the disconnect arrives as a control event.
func (m *match) flush(c *clientConn, now time.Time) {
	c.queued = false
	err := c.ep.Flush(now, c.send)
	if err != nil {
		m.log.Debug("flush", "addr", c.addr, "err", err)
	}
}

func (m *match) handleControl(now time.Time) {
	m.ctlMu.Lock()
	evs := m.ctl
	m.ctl = nil
	m.ctlMu.Unlock()
	for _, ev := range evs {
		if ev.connect {
			m.connect(now, ev)
		} else {
			m.disconnect(now, ev)
		}
	}
}

func (m *match) connect(now time.Time, ev ctlEvent) {
	t := ev.ticket
	if t.Spectator {
		m.connectSpectator(now, ev)
		return
	}
	if m.state != stateRunning || int(t.Slot) >= len(m.seats) {
		m.s.disconnect(ev.index, ev.connID)
		return
	}
	st := &m.seats[t.Slot]
	if old := st.conn; old != nil {
		// A second connection for the same seat replaces the first (a player reconnecting
		// before the old connection timed out).
		m.log.Info("connection replaced", "slot", t.Slot, "old", old.addr, "new", ev.addr)
		m.s.disconnect(old.index, old.connID)
		st.conn = nil
		m.connected--
		m.s.addPlayers(-1)
	}
	if !st.joined {
		p := Player{Slot: t.Slot, Team: t.Team, Name: t.Name}
		if err := m.game.Join(p); err != nil {
			m.log.Warn("join refused by game", "slot", t.Slot, "err", err)
			m.s.metrics.rejected.WithLabelValues("game_join").Inc()
			m.s.disconnect(ev.index, ev.connID)
			return
		}
		st.known, st.joined, st.player, st.id, st.left = true, true, p, t.PlayerID, nil
		m.rec.join(m.tick, p)
	}
	c := &clientConn{index: ev.index, connID: ev.connID, addr: ev.addr, ep: netcode.NewEndpoint(netcode.EndpointConfig{})}
	c.send = func(p []byte) error {
		m.packetsOut++
		m.bytesOut += uint64(len(p))
		return m.s.tr.Send(c.index, p)
	}
	st.conn = c
	m.connected++
	m.s.addPlayers(1)
	m.updateAlone(now)
	m.log.Info("player connected", "slot", t.Slot, "name", t.Name, "addr", ev.addr, "player_id", t.PlayerID)

	w := wire.Welcome{Version: wire.ProtocolVersion, Slot: t.Slot, Team: st.player.Team, Players: uint8(len(m.seats)),
		TickRate: uint16(m.s.cfg.Tick), SnapshotRate: uint16(m.s.cfg.SnapshotRate), Tick: m.tick,
		MatchID: m.ticket.MatchID, Mode: m.ticket.Mode}
	var err error
	if m.msg, err = w.Append(m.msg[:0]); err == nil {
		m.sendReliable(c, m.msg)
	}
	// The newcomer gets the roster now; everyone else with the next broadcast.
	if m.msg, err = m.roster().Append(m.msg[:0]); err == nil {
		m.sendReliable(c, m.msg)
	}
	m.rosterDue = true
	m.flush(c, now)
}

func (m *match) disconnect(now time.Time, ev ctlEvent) {
	for i := range m.seats {
		st := &m.seats[i]
		if st.conn == nil || st.conn.connID != ev.connID {
			continue
		}
		m.log.Info("player disconnected", "slot", st.player.Slot, "reason", ev.reason)
		st.conn = nil
		m.connected--
		m.s.addPlayers(-1)
		if m.connected == 0 {
			m.emptyAt = now
		}
		if st.joined && m.state == stateRunning {
			st.left = m.scoreOf(st.player.Slot)
			m.game.Leave(st.player.Slot)
			m.rec.leave(m.tick, st.player.Slot)
			st.joined = false
		}
		m.updateAlone(now)
		m.rosterDue = true
		return
	}
	m.dropSpectator(ev.connID)
}

// updateAlone notes when the match is down to one connected player after others have sat
// in it (they left): past Config.AloneTimeout it ends as "players_left", so the last
// player is not kept waiting for the time limit. The timeout outlasts a dropped player's
// reconnection.
func (m *match) updateAlone(now time.Time) {
	seated := 0
	for i := range m.seats {
		if m.seats[i].known {
			seated++
		}
	}
	switch alone := m.connected == 1 && seated >= 2; {
	case !alone:
		m.aloneAt = time.Time{}
	case m.aloneAt.IsZero():
		m.aloneAt = now
	}
}

// scoreOf returns slot's row of the game's scoreboard, marked Left, or nil.
func (m *match) scoreOf(slot uint8) *PlayerScore {
	sc, ok := m.game.(Scorer)
	if !ok {
		return nil
	}
	for _, row := range sc.Scores() {
		if row.Slot == slot {
			row.Left = true
			return &row
		}
	}
	return nil
}

// withDeparted adds to a result's scores the rows of the players who left before the end
// (and did not come back), so the final table names everyone who played.
func (m *match) withDeparted(scores []PlayerScore) []PlayerScore {
	scores = slices.Clip(scores)
	for i := range m.seats {
		left := m.seats[i].left
		if left == nil || slices.ContainsFunc(scores, func(p PlayerScore) bool { return p.Slot == left.Slot }) {
			continue
		}
		scores = append(scores, *left)
	}
	return scores
}

// rosterInterval spaces Roster broadcasts: when 64 players connect within a second, one
// broadcast per connect would send each client 64 rosters of up to 64 names (about 25 kB,
// more than a minute of walkers' snapshots); coalesced, a few.
const rosterInterval = 500 * time.Millisecond

// sendRosterDue broadcasts the roster if the seats changed and the last broadcast is
// rosterInterval old.
func (m *match) sendRosterDue(now time.Time) {
	if !m.rosterDue || now.Before(m.rosterAt) {
		return
	}
	m.rosterDue, m.rosterAt = false, now.Add(rosterInterval)
	m.sendRoster()
}

func (m *match) sendRoster() {
	var err error
	if m.msg, err = m.roster().Append(m.msg[:0]); err == nil {
		m.broadcast(m.msg)
		m.spectatorsDelayed(m.msg)
	}
}

func (m *match) roster() *wire.Roster {
	var r wire.Roster
	for i := range m.seats {
		st := &m.seats[i]
		if st.known {
			r.Players = append(r.Players, wire.RosterEntry{Slot: st.player.Slot, Team: st.player.Team,
				Connected: st.conn != nil, Name: st.player.Name})
		}
	}
	return &r
}

func (m *match) handlePayload(p *inPayload) {
	var c *clientConn
	for i := range m.seats {
		if sc := m.seats[i].conn; sc != nil && sc.connID == p.connID {
			c = sc
			break
		}
	}
	if c == nil {
		m.handleSpectatorPayload(p.at, p.connID, p.data)
		return
	}
	if err := c.ep.Receive(p.at, p.data); err != nil {
		m.s.metrics.invalidPackets.Inc()
		return
	}
	for {
		msg, ok := c.ep.NextUnreliable()
		if !ok {
			break
		}
		m.handleInput(c, msg)
		c.ep.RecycleUnreliable(msg) // the input buffer keeps copies: reuse the message's buffer
	}
	for {
		msg, ok := c.ep.NextReliable()
		if !ok {
			break
		}
		m.handleReliable(c, msg)
	}
}

func (m *match) handleInput(c *clientConn, msg []byte) {
	if len(msg) > 0 && wire.MsgType(msg[0]) == wire.MsgSpectatorAck {
		// A player of a game with no input (walkers) acknowledges snapshots alone, as a
		// spectator does.
		a, _, err := wire.ParseSpectatorAck(msg)
		if err != nil {
			m.s.metrics.invalidPackets.Inc()
			return
		}
		m.ack(c, a.AckTick)
		return
	}
	in, _, err := wire.ParseInputInto(msg, m.inputMsgs)
	if err != nil {
		m.s.metrics.invalidPackets.Inc()
		return
	}
	m.ack(c, in.AckTick)
	if m.state != stateRunning {
		return
	}
	for i, data := range in.Inputs {
		c.in.add(in.FirstSeq+uint16(i), data, m.tick)
	}
}

// ack records that c holds the snapshot of tick, its next delta baseline.
func (m *match) ack(c *clientConn, tick uint32) {
	if tick > c.ackTick && tick <= m.tick {
		c.ackTick = tick
	}
}

func (m *match) handleReliable(c *clientConn, msg []byte) {
	typ, _ := wire.PeekType(msg)
	switch typ {
	case wire.MsgChat:
		chat, _, err := wire.ParseChat(msg)
		if err != nil {
			m.s.metrics.invalidPackets.Inc()
			return
		}
		for i := range m.seats {
			if m.seats[i].conn == c {
				chat.From = m.seats[i].player.Slot
			}
		}
		if m.msg, err = chat.Append(m.msg[:0]); err == nil {
			m.broadcast(m.msg)
		}
	default:
		m.s.metrics.invalidPackets.Inc()
	}
}

// forcedResult is the result of a match ended by the server rather than the game.
func (m *match) forcedResult(reason string) Result {
	if res, over := m.game.Over(); over {
		return res
	}
	r := Result{Reason: reason}
	if sc, ok := m.game.(Scorer); ok {
		r.Scores = sc.Scores()
	}
	return r
}

// finishGame sends MatchEnd to the players (to the spectators after their delay, see
// spectate.go), reports the result, and starts the grace period in which the connections stay
// up so MatchEnd is delivered (reliably) before they close.
func (m *match) finishGame(now time.Time, res Result, immediate bool) {
	m.state = stateEnding
	m.endAt = now.Add(m.s.cfg.EndGrace)
	if immediate {
		m.endAt = now
	}
	m.nextFlush = now.Add(m.tickDur)
	res.Scores = m.withDeparted(res.Scores)
	end := wire.MatchEnd{Result: res}
	var err error
	if m.msg, err = end.Append(m.msg[:0]); err != nil {
		m.log.Error("match end", "err", err)
	} else {
		m.broadcast(m.msg)
		m.spectatorsDelayed(m.msg)
	}
	if m.spectating() {
		if immediate {
			// The server is ending the match now: no time to show the spectators the rest.
			m.releaseHeld(m.tick)
		} else if m.spectatorsBehind() {
			// Closing waits until they have seen the end, plus the grace to deliver it.
			m.endAt = m.tickTime(m.tick + m.feed.delayTicks).Add(m.s.cfg.EndGrace)
		}
	}
	m.flushAll(now)
	m.flushSpectators(now)
	m.s.metrics.matchesEnded.WithLabelValues(res.Reason).Inc()
	m.log.Info("match ended", "reason", res.Reason, "ticks", m.tick, "duration", now.Sub(m.startedAt))
	ids := make(map[uint8]uint64)
	for i := range m.seats {
		if m.seats[i].known {
			ids[m.seats[i].player.Slot] = m.seats[i].id
		}
	}
	report := MatchReport{MatchID: m.id, Mode: m.ticket.Mode, PlayerIDs: ids, Region: m.s.cfg.Region,
		Result: res, StartedAt: m.startedAt, EndedAt: now, Ticks: m.tick}
	if spec, ok := m.s.cfg.Def.Mode(m.ticket.Mode); ok {
		report.Teams = spec.Teams
	}
	if m.rec == nil {
		m.s.reportResult(report)
		return
	}
	// Saving the replay writes and syncs a file: off the match loop, which every other match
	// shares. The result, which names the replay, follows the save; Drain and Close wait for it.
	rec, tick := m.rec, m.tick
	m.rec = nil
	m.s.saves.Add(1)
	go func() {
		defer m.s.saves.Done()
		report.Replay = rec.end(tick, res)
		m.s.reportResult(report)
	}()
}

// close releases the match's players; removeMatch (called by the loop) disconnects them.
func (m *match) close() {
	m.closeSpectators()
	if m.connected > 0 {
		m.s.addPlayers(-m.connected)
		m.connected = 0
	}
}
