package gameserver

import (
	"time"
)

// The match loop. One goroutine drives every match of the server, on one timer: it wakes when
// the earliest match is due, runs each match that is due (its control events, the payloads
// queued since the last wake, the ticks due), and sleeps again. Matches start on a common grid
// of tick instants (the server's epoch + k/Tick), so a server with many matches wakes once per
// tick for all of them rather than once per match, and everything one wake sends leaves in one
// sendmmsg batch (sendBatcher) from this goroutine, without waking a writer.
//
// Before the loop, each match had its own goroutine and timer, and each payload travelled from
// the connection layer's goroutine to the match's through a channel: a wake-up per packet and
// one per match per tick. A profile of 64 Arena bots showed a third of the server's CPU in the
// Go scheduler and futexes.

// sendBatcher is implemented by a transport whose writes can be held and sent as one batch
// (the secure transport on a real UDP socket, through batchConn).
type sendBatcher interface {
	// holdSends makes writes queue until releaseSends.
	holdSends()
	// releaseSends sends what queued since holdSends from the calling goroutine.
	releaseSends()
}

// readGater is implemented by a transport whose reads can be gated to the loop's passes (the
// secure transport on a real UDP socket: batchConn's readGate).
type readGater interface {
	// gateReads turns gating on (while the loop runs) or off.
	gateReads(on bool)
	// openReads lets the reader take what has arrived.
	openReads()
}

// readDrainer is a readGater whose loop can read the socket itself: drainReads takes what has
// arrived and processes it (decrypt, checks, the payload callbacks) on the loop's goroutine,
// so while the gate is on, the loop's one wake-up per tick does all the receiving too, with no
// reader goroutine woken and no hand-off per datagram. It reports false, having read nothing,
// where it cannot (no recvmmsg; or the reader goroutine was in a read when the gate went on:
// it hands out that batch itself and then waits at the gate).
type readDrainer interface {
	drainReads() bool
}

// readLead is how long before a pass the loop opens the read gate: enough for the reader and
// the connection layer to take, decrypt and queue what arrived since the last pass, so it is
// handled in this pass; a datagram arriving within readLead of a pass waits for the next one.
const readLead = time.Millisecond

// startLoopLocked starts the match loop if it is not running; s.mu held.
func (s *Server) startLoopLocked() {
	if s.loopRunning {
		s.wakeLoop()
		return
	}
	s.loopRunning = true
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.loop()
	}()
}

// wakeLoop makes the loop look at its matches now (a new match, a control event, an end).
func (s *Server) wakeLoop() {
	select {
	case s.loopWake <- struct{}{}:
	default:
	}
}

// loop runs until no match is left. The goroutine owns every match's state but its inbox,
// control queue and end request.
func (s *Server) loop() {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	batcher, _ := s.tr.(sendBatcher)
	gater, _ := s.tr.(readGater)
	drainer, _ := s.tr.(readDrainer)
	if gater != nil {
		gater.gateReads(true)
	}
	draining := false // the last pass drained the socket itself: no read gate to open ahead
	var ms []*match
	for {
		s.mu.Lock()
		if len(s.matchList) == 0 {
			s.loopRunning = false
			if gater != nil {
				gater.gateReads(false) // under s.mu: a loop starting now gates after this
			}
			s.mu.Unlock()
			return
		}
		ms = append(ms[:0], s.matchList...)
		s.mu.Unlock()

		if batcher != nil {
			batcher.holdSends()
		}
		if drainer != nil {
			// What arrived since the last pass, handled here; replies (handshakes) leave in
			// this pass's batch.
			draining = drainer.drainReads()
		}
		now := s.cfg.Now()
		var next time.Time
		var done []*match
		for _, m := range ms {
			if !m.started {
				m.start(now)
			}
			if m.service(now) {
				done = append(done, m)
				continue
			}
			if d := m.nextDeadline(); next.IsZero() || d.Before(next) {
				next = d
			}
		}
		if batcher != nil {
			batcher.releaseSends()
		}
		for _, m := range done {
			s.removeMatch(m)
		}
		for i := range ms {
			ms[i] = nil // no match outlives its removal here
		}
		if next.IsZero() {
			continue // every match ended: look again (and exit if none is left)
		}
		if gater != nil && !draining {
			// Sleep until readLead before the pass, open the read gate, then sleep until it.
			timer.Reset(max(next.Add(-readLead).Sub(s.cfg.Now()), 0))
			select {
			case <-s.loopWake:
				gater.openReads()
				continue
			case <-timer.C:
			}
			gater.openReads()
		}
		timer.Reset(max(next.Sub(s.cfg.Now()), 0))
		select {
		case <-s.loopWake:
		case <-timer.C:
		}
	}
}

// alignTick returns the newest instant of the server's tick grid (epoch + k/Tick) not after t.
func (s *Server) alignTick(t time.Time) time.Time {
	d := t.Sub(s.epoch)
	if d <= 0 {
		return s.epoch
	}
	tick := int64(s.cfg.Tick)
	sec, rem := int64(d/time.Second), int64(d%time.Second)
	k := sec*tick + rem*tick/int64(time.Second)
	return s.epoch.Add(time.Duration(k/tick)*time.Second + time.Duration(k%tick)*time.Second/time.Duration(tick))
}
