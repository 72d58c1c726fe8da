package gameserver

import (
	"net/netip"
	"time"

	"github.com/skirmish-go/skirmish/gameserver/snapshot"
	"github.com/skirmish-go/skirmish/gameserver/wire"
	"github.com/skirmish-go/skirmish/netcode"
)

// Spectators
//
// A connection whose ticket carries the spectator flag (wire.Ticket.Spectator, sealed by the
// lobby's spectate request) watches a running match: it takes no seat, counts against no
// player capacity, and its packets never reach the game (Input messages from it are counted
// invalid and dropped). It receives, on the same netcode.io port:
//
//   - Welcome with Slot wire.SpectatorSlot, then the Roster (again on every change);
//   - the match's snapshots Config.SpectatorDelay late (default 3 s, so watching a friend's
//     match live cannot be used to tell them where their opponents are), at the players'
//     snapshot rate, delta-encoded against the newest one it acknowledged (wire.SpectatorAck);
//   - the game's broadcast events, the roster's changes and MatchEnd with the same delay: a
//     match that ends goes on serving its spectators the last seconds they have not seen
//     yet, then MatchEnd, then closes after Config.EndGrace (a match the server ends, as on
//     shutdown, sends them what it holds at once).
//
// Cost to players: nothing per spectator. While a match has spectators it keeps a second ring,
// spectatorFeed, with copies of its snapshots for the delay plus historySize more (the
// spectators' possible baselines), and beside each snapshot the delta encodings its players
// were sent. A spectator's stream is that ring replayed the delay later: when a spectator's
// baseline is one the players used for that tick (the common case, since a spectator
// acknowledges as often as a player does), it is sent the very bytes encoded for the players;
// otherwise the feed's own Encoder encodes the snapshot once per distinct baseline, shared by
// every spectator using it. Spectators are served after the players' packets of the tick have
// gone out.
//
// Limits: Config.MaxSpectators per match (default 16) and Capacity/4 + MaxSpectators per
// server; a spectator beyond either is refused with wire.Denied "spectators_full". A
// spectator for a match the server does not run is refused with "no_match": spectators never
// start a match.

// Defaults of the spectator fields of Config.
const (
	DefaultSpectatorDelay = 3 * time.Second
	DefaultMaxSpectators  = 16
)

// Reasons a spectator is refused (wire.Denied, and the rejected_total metric).
const (
	DeniedSpectatorsFull = "spectators_full"
	DeniedNoMatch        = "no_match"
)

// maxFeedEvents bounds the messages (game events, rosters, the match end) a match holds back
// for its spectators (those of the delay). An Arena match sends a few per second; past the
// bound the oldest are dropped.
const maxFeedEvents = 1024

// spectatorRoom is how many spectators the whole server admits: the transport is sized for
// them on top of the players, so spectators can never take a player's connection slot.
func spectatorRoom(cfg *Config) int {
	if cfg.MaxSpectators < 0 {
		return 0
	}
	return cfg.Capacity/4 + cfg.MaxSpectators
}

// spectatorConn is one spectator of a match, owned by the match loop.
type spectatorConn struct {
	index    int
	connID   uint64
	addr     netip.AddrPort
	ep       *netcode.Endpoint
	ackTick  uint32 // newest snapshot tick it acknowledged; 0 = none
	sentTick uint32 // newest snapshot tick sent; 0 = none
	lastSnap []byte
	send     func(packet []byte) error
}

// feedSnap is one snapshot the feed holds: the state, and the deltas encoded for the players
// at its tick (base tick 0 with full set: the full snapshot).
type feedSnap struct {
	snap snapshot.Snapshot
	encs []feedEnc
	buf  []byte
}

type feedEnc struct {
	base       uint32
	full       bool
	start, end int
}

// feedMsg is a reliable message held back for the spectators until its tick is shown.
type feedMsg struct {
	tick uint32
	msg  []byte
}

// spectatorFeed is a match's delayed stream for its spectators; see the section above.
type spectatorFeed struct {
	delayTicks uint32
	ring       []feedSnap
	count      uint64 // snapshots ever pushed
	cur        *feedSnap
	enc        *snapshot.Encoder
	encTick    uint32 // tick enc was last Reset to; 0 = none
	held       []feedMsg
}

func newSpectatorFeed(cfg *Config, schema *snapshot.Schema) *spectatorFeed {
	delayTicks := uint32((cfg.SpectatorDelay*time.Duration(cfg.Tick) + time.Second - 1) / time.Second)
	snaps := int(delayTicks)*cfg.SnapshotRate/cfg.Tick + historySize + 2
	return &spectatorFeed{delayTicks: delayTicks, ring: make([]feedSnap, snaps), enc: snapshot.NewEncoder(schema)}
}

// push records the players' snapshot of this tick.
func (f *spectatorFeed) push(cur *snapshot.Snapshot) {
	fs := &f.ring[f.count%uint64(len(f.ring))]
	f.count++
	fs.snap.CopyFrom(cur)
	fs.encs, fs.buf = fs.encs[:0], fs.buf[:0]
	f.cur = fs
}

// noteEncoding records the delta the players got for the snapshot last pushed.
func (f *spectatorFeed) noteEncoding(base *snapshot.Snapshot, delta []byte) {
	fs := f.cur
	if fs == nil {
		return
	}
	e := feedEnc{full: base == nil}
	if base != nil {
		e.base = base.Tick
	}
	for _, x := range fs.encs {
		if x.full == e.full && x.base == e.base {
			return
		}
	}
	e.start = len(fs.buf)
	fs.buf = append(fs.buf, delta...)
	e.end = len(fs.buf)
	fs.encs = append(fs.encs, e)
}

// find returns the held snapshot of tick, or nil.
func (f *spectatorFeed) find(tick uint32) *feedSnap {
	n := min(f.count, uint64(len(f.ring)))
	for i := range n {
		fs := &f.ring[(f.count-1-i)%uint64(len(f.ring))]
		if fs.snap.Tick == tick {
			return fs
		}
	}
	return nil
}

// delayed returns the newest held snapshot at or before tick, or nil.
func (f *spectatorFeed) delayed(tick uint32) *feedSnap {
	n := min(f.count, uint64(len(f.ring)))
	for i := range n {
		fs := &f.ring[(f.count-1-i)%uint64(len(f.ring))]
		if int32(fs.snap.Tick-tick) <= 0 {
			return fs
		}
	}
	return nil
}

// encode returns d's delta against base for spectators: the players' bytes when they used the
// same baseline, else one encoding per distinct baseline per tick.
func (f *spectatorFeed) encode(d *feedSnap, base *feedSnap) ([]byte, error) {
	for _, e := range d.encs {
		if (base == nil && e.full) || (base != nil && !e.full && e.base == base.snap.Tick) {
			return d.buf[e.start:e.end:e.end], nil
		}
	}
	if f.encTick != d.snap.Tick {
		f.enc.Reset(&d.snap)
		f.encTick = d.snap.Tick
	}
	if base == nil {
		return f.enc.Encode(nil)
	}
	return f.enc.Encode(&base.snap)
}

// spectating reports whether the match records a feed (it has spectators).
func (m *match) spectating() bool { return len(m.specs) > 0 }

// feedSnapshot records cur for the spectators; feedEncoding the delta the players got.
func (m *match) feedSnapshot(cur *snapshot.Snapshot) {
	if m.spectating() {
		m.feed.push(cur)
	} else if m.feed != nil {
		m.feed.cur = nil
	}
}

func (m *match) feedEncoding(base *snapshot.Snapshot, delta []byte) {
	if m.spectating() {
		m.feed.noteEncoding(base, delta)
	}
}

// feedEvent holds a broadcast game event back for the spectators until its tick is shown.
func (m *match) feedEvent(ev Event) {
	if !m.spectating() || ev.To != Broadcast {
		return
	}
	e := wire.GameEvent{Data: ev.Data}
	msg, err := e.Append(nil)
	if err != nil {
		return
	}
	m.feedHold(msg)
}

// feedHold holds msg, a reliable message of the current tick, back for the spectators.
func (m *match) feedHold(msg []byte) {
	f := m.feed
	if len(f.held) >= maxFeedEvents {
		f.held = append(f.held[:0], f.held[1:]...)
	}
	f.held = append(f.held, feedMsg{tick: m.tick, msg: msg})
}

// spectatorsDelayed sends msg (a Roster or MatchEnd of the current tick) to the spectators
// when they are shown this tick.
func (m *match) spectatorsDelayed(msg []byte) {
	if m.spectating() {
		m.feedHold(append([]byte(nil), msg...))
	}
}

// serveSpectators sends every spectator the snapshot (and held messages) of the tick the delay
// before tick, then flushes them. It runs on snapshot ticks, after the players' packets went
// out, and, once the match has ended, on every tick until the spectators have seen the end.
func (m *match) serveSpectators(now time.Time, tick uint32) {
	if !m.spectating() || tick <= m.feed.delayTicks {
		return
	}
	f := m.feed
	shown := tick - f.delayTicks
	d := f.delayed(shown)
	m.releaseHeld(shown)
	for _, sp := range m.specs {
		if d != nil && sp.sentTick != d.snap.Tick {
			m.sendSpectatorSnapshot(sp, d)
		}
		m.flushSpectator(sp, now)
	}
}

func (m *match) sendSpectatorSnapshot(sp *spectatorConn, d *feedSnap) {
	var base *feedSnap
	if sp.ackTick != 0 && int32(d.snap.Tick-sp.ackTick) > 0 {
		base = m.feed.find(sp.ackTick)
	}
	delta, err := m.feed.encode(d, base)
	if err != nil {
		m.log.Error("spectator snapshot encode", "err", err)
		return
	}
	snap := wire.Snapshot{Delta: delta}
	if sp.lastSnap, err = snap.Append(sp.lastSnap[:0]); err != nil {
		m.log.Error("spectator snapshot too large", "bytes", len(delta), "err", err)
		return
	}
	if err := sp.ep.SendUnreliable(sp.lastSnap); err != nil {
		return
	}
	sp.sentTick = d.snap.Tick
	m.s.metrics.snapSpectator.Inc()
	m.s.metrics.snapSpectatorBytes.Add(float64(len(sp.lastSnap)))
}

// releaseHeld sends the held messages of ticks up to tick to every spectator.
func (m *match) releaseHeld(tick uint32) {
	f := m.feed
	n := 0
	for n < len(f.held) && int32(f.held[n].tick-tick) <= 0 {
		m.spectatorsReliable(f.held[n].msg)
		n++
	}
	if n > 0 {
		f.held = append(f.held[:0], f.held[n:]...)
	}
}

// spectatorsBehind reports whether the spectators have yet to be shown the match's end.
func (m *match) spectatorsBehind() bool {
	return m.spectating() && len(m.feed.held) > 0
}

// spectatorsReliable queues msg on every spectator's reliable channel. A spectator whose
// window is full has stopped acknowledging and is disconnected.
func (m *match) spectatorsReliable(msg []byte) {
	var gone []uint64
	for _, sp := range m.specs {
		if err := sp.ep.SendReliable(msg); err != nil {
			m.log.Info("spectator reliable send failed; disconnecting", "addr", sp.addr, "err", err)
			m.s.disconnect(sp.index, sp.connID)
			gone = append(gone, sp.connID)
		}
	}
	// The server forgot the connection, so no disconnect event will come: drop it here.
	for _, id := range gone {
		m.dropSpectator(id)
	}
}

func (m *match) flushSpectator(sp *spectatorConn, now time.Time) {
	if err := sp.ep.Flush(now, sp.send); err != nil {
		m.log.Debug("spectator flush", "addr", sp.addr, "err", err)
	}
}

func (m *match) flushSpectators(now time.Time) {
	for _, sp := range m.specs {
		m.flushSpectator(sp, now)
	}
}

// connectSpectator seats nobody: it welcomes a spectator and starts the feed.
func (m *match) connectSpectator(now time.Time, ev ctlEvent) {
	if m.state != stateRunning {
		m.s.disconnect(ev.index, ev.connID)
		m.spectatorGone()
		return
	}
	if m.feed == nil {
		m.feed = newSpectatorFeed(&m.s.cfg, m.schema)
	}
	sp := &spectatorConn{index: ev.index, connID: ev.connID, addr: ev.addr, ep: netcode.NewEndpoint(netcode.EndpointConfig{})}
	sp.send = func(p []byte) error {
		m.packetsOut++
		m.bytesOut += uint64(len(p))
		return m.s.tr.Send(sp.index, p)
	}
	m.specs = append(m.specs, sp)
	m.log.Info("spectator connected", "name", ev.ticket.Name, "addr", ev.addr, "player_id", ev.ticket.PlayerID,
		"spectators", len(m.specs))
	w := wire.Welcome{Version: wire.ProtocolVersion, Slot: wire.SpectatorSlot, Players: uint8(len(m.seats)),
		TickRate: uint16(m.s.cfg.Tick), SnapshotRate: uint16(m.s.cfg.SnapshotRate), Tick: m.tick - min(m.tick, m.feed.delayTicks),
		MatchID: m.ticket.MatchID, Mode: m.ticket.Mode}
	var err error
	if m.msg, err = w.Append(m.msg[:0]); err == nil {
		_ = sp.ep.SendReliable(m.msg)
	}
	if m.msg, err = m.roster().Append(m.msg[:0]); err == nil {
		_ = sp.ep.SendReliable(m.msg)
	}
	m.flushSpectator(sp, now)
}

// dropSpectator forgets the spectator with connID, if there is one.
func (m *match) dropSpectator(connID uint64) {
	for i, sp := range m.specs {
		if sp.connID == connID {
			m.specs = append(m.specs[:i], m.specs[i+1:]...)
			m.log.Info("spectator disconnected", "addr", sp.addr, "spectators", len(m.specs))
			m.spectatorGone()
			if len(m.specs) == 0 {
				m.feed.held = m.feed.held[:0]
			}
			return
		}
	}
}

// spectatorGone gives back one spectator place of the match.
func (m *match) spectatorGone() {
	m.s.mu.Lock()
	if m.specCount > 0 {
		m.specCount--
		m.s.spectators--
	}
	m.s.mu.Unlock()
}

// closeSpectators gives back the places of the spectators still counted when the match ends,
// and stops the server admitting more.
func (m *match) closeSpectators() {
	m.s.mu.Lock()
	m.s.spectators -= m.specCount
	m.specCount = 0
	m.closed = true
	m.s.mu.Unlock()
}

// handleSpectatorPayload reads what a spectator sent: acknowledgements only. Inputs and
// anything else are invalid, and nothing a spectator sends reaches the game.
func (m *match) handleSpectatorPayload(now time.Time, connID uint64, data []byte) {
	var sp *spectatorConn
	for _, s := range m.specs {
		if s.connID == connID {
			sp = s
			break
		}
	}
	if sp == nil {
		return
	}
	if err := sp.ep.Receive(now, data); err != nil {
		m.s.metrics.invalidPackets.Inc()
		return
	}
	for {
		msg, ok := sp.ep.NextUnreliable()
		if !ok {
			break
		}
		a, _, err := wire.ParseSpectatorAck(msg)
		sp.ep.RecycleUnreliable(msg)
		if err != nil {
			m.s.metrics.invalidPackets.Inc()
			continue
		}
		// Only a snapshot it was sent can be a baseline.
		if int32(a.AckTick-sp.ackTick) > 0 && int32(a.AckTick-sp.sentTick) <= 0 {
			sp.ackTick = a.AckTick
		}
	}
	for {
		if _, ok := sp.ep.NextReliable(); !ok {
			break
		}
		m.s.metrics.invalidPackets.Inc()
	}
}

// connectSpectator admits a spectator's connection to a running match, within the limits,
// or refuses it.
func (s *Server) connectSpectator(p peer, t wire.Ticket) {
	s.mu.Lock()
	m := s.matches[t.MatchID]
	reason := ""
	switch {
	case m == nil || m.closed:
		reason = DeniedNoMatch
	case m.ticket.Players != t.Players || m.ticket.Mode != t.Mode:
		reason = "ticket_mismatch"
	case s.cfg.MaxSpectators < 0 || m.specCount >= s.cfg.MaxSpectators || s.spectators >= spectatorRoom(&s.cfg):
		reason = DeniedSpectatorsFull
	}
	if reason != "" {
		s.mu.Unlock()
		s.reject(p, reason, nil)
		return
	}
	m.specCount++
	s.spectators++
	s.nextConnID++
	id := s.nextConnID
	s.clients[p.index] = clientRef{m: m, connID: id}
	s.mu.Unlock()
	m.control(ctlEvent{connect: true, index: p.index, connID: id, addr: p.addr, ticket: t})
}

// LiveMatch is a running match as the lobby lists it for people who might watch it.
type LiveMatch struct {
	MatchID    string // 32 hex digits
	Mode       string
	Seats      int // players the match was made for
	Players    int // connected now
	Spectators int
	Elapsed    time.Duration
	Scores     []PlayerScore // the scoreboard so far, if the game is a Scorer
}

// liveEvery is how often (in seconds of match time) a match refreshes its LiveMatch.
const liveEvery = time.Second

// publishLive refreshes the match's LiveMatch, at most once per liveEvery.
func (m *match) publishLive(now time.Time) {
	if now.Sub(m.liveAt) < liveEvery && !m.liveAt.IsZero() {
		return
	}
	m.liveAt = now
	lm := LiveMatch{MatchID: m.id, Mode: m.ticket.Mode, Seats: len(m.seats), Players: m.connected,
		Elapsed: now.Sub(m.startedAt)}
	if sc, ok := m.game.(Scorer); ok {
		lm.Scores = sc.Scores()
	}
	m.s.mu.Lock()
	lm.Spectators = m.specCount
	m.live = lm
	m.s.mu.Unlock()
}

// LiveMatches lists the running matches (refreshed once a second each), for the lobby's list
// of matches to watch. Safe for concurrent use.
func (s *Server) LiveMatches() []LiveMatch {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]LiveMatch, 0, len(s.matches))
	for _, m := range s.matches {
		if m.live.MatchID == "" || m.closed {
			continue
		}
		lm := m.live
		lm.Spectators = m.specCount
		out = append(out, lm)
	}
	return out
}

// SpectatorLimits returns the spectators one match admits (negative: none) and their delay.
func (s *Server) SpectatorLimits() (perMatch int, delay time.Duration) {
	return s.cfg.MaxSpectators, s.cfg.SpectatorDelay
}
