package lobby

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/skirmish-go/skirmish/lobby/proto"
)

// Store health. One goroutine (healthLoop) renews this instance's liveness lease
// ("instance:<Instance>") every InstanceTTL/3; that write doubles as the store's health check.
// When it fails the lobby is unhealthy (/healthz 503, skirmish_lobby_store_up 0): the
// matchmaker and sweeper pause, requests that need the store get "internal" (a game server's
// result is then not acknowledged, so it is sent again), and the loop retries with
// exponential backoff and jitter (storeRetryMin..storeRetryMax) until the store answers.
// Any request that sees a store error kicks the loop to check at once.
const (
	storeRetryMin = 50 * time.Millisecond
	storeRetryMax = time.Second
)

// subscriber is a Store whose event subscription can break (redisstore): events published
// while it is down would never reach this instance's players, so the lobby is unhealthy then.
type subscriber interface{ Subscribed() bool }

var errNotSubscribed = errors.New("lobby: store event subscription is down")

func instanceLock(instance string) string { return "instance:" + instance }

// instanceOf is the instance part of a session id ("<instance>-<n>").
func instanceOf(session string) string {
	if i := strings.LastIndexByte(session, '-'); i > 0 {
		return session[:i]
	}
	return session
}

// Healthy reports whether the lobby is serving and its store answers.
func (s *Server) Healthy() bool { return !s.shuttingDown() && !s.storeDown.Load() }

// storeFailed notes a store error a request or loop saw: the health loop checks now.
func (s *Server) storeFailed(err error) {
	if err == nil || errors.Is(err, ErrNotFound) || errors.Is(err, ErrExists) {
		return
	}
	select {
	case s.storeKick <- struct{}{}:
	default:
	}
}

// storeUpSince is when the store was last found reachable again (or the lobby started):
// time before it does not count against game servers' heartbeats or instances' leases.
func (s *Server) storeUpSince() time.Time { return time.Unix(0, s.storeUp.Load()) }

func (s *Server) healthLoop() {
	defer s.bgWG.Done()
	every := s.cfg.InstanceTTL / 3
	backoff := storeRetryMin
	var downAt time.Time
	t := time.NewTimer(0) // renew the lease at once
	defer t.Stop()
	for {
		kick := s.storeKick
		if s.storeDown.Load() {
			kick = nil // while down, retries follow the backoff only
		}
		select {
		case <-s.quit:
			return
		case <-kick:
			t.Stop()
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), max(every, time.Second))
		ok, err := s.store.Lock(ctx, instanceLock(s.cfg.Instance), s.cfg.Instance, s.cfg.InstanceTTL)
		if err == nil && !ok {
			s.log.Error("lobby: another process uses this instance name", "instance", s.cfg.Instance)
		}
		if sub, isSub := s.store.(subscriber); err == nil && isSub && !sub.Subscribed() {
			err = errNotSubscribed
		}
		if err == nil {
			err = s.checkEpoch(ctx)
		}
		cancel()
		wait := every
		switch {
		case err != nil && !s.storeDown.Load():
			downAt = time.Now()
			s.storeDown.Store(true)
			s.metrics.storeUp.Set(0)
			backoff = storeRetryMin
			s.log.Warn("lobby: store unavailable; unhealthy, retrying with backoff", "err", err)
			wait = backoff
		case err != nil:
			backoff = min(2*backoff, storeRetryMax)
			wait = backoff/2 + rand.N(backoff/2+1)
			s.log.Debug("lobby: store still unavailable", "err", err, "retry_in", wait)
		case s.storeDown.Load():
			s.storeUp.Store(s.cfg.Now().UnixNano())
			s.storeDown.Store(false)
			s.metrics.storeUp.Set(1)
			s.log.Info("lobby: store reachable again; healthy", "down_for", time.Since(downAt).Round(time.Millisecond))
		}
		t.Reset(wait)
	}
}

// instanceAlive reports whether a lobby instance holds its liveness lease (cached per call
// site in alive).
func (s *Server) instanceAlive(ctx context.Context, instance string, alive map[string]bool) (bool, error) {
	if instance == s.cfg.Instance {
		return true, nil
	}
	if v, ok := alive[instance]; ok {
		return v, nil
	}
	owner, err := s.store.LockOwner(ctx, instanceLock(instance))
	if err != nil {
		return false, err
	}
	if alive != nil {
		alive[instance] = owner == instance
	}
	return owner == instance, nil
}

// purgeOrphanTickets drops queue tickets whose session is gone: queued on an instance whose
// lease ran out (killed), or on this one by a connection that no longer exists (its cleanup
// failed while the store was down). Without it the matchmaker would seat ghosts.
func (s *Server) purgeOrphanTickets(ctx context.Context) {
	if s.cfg.Now().Sub(s.storeUpSince()) < s.cfg.InstanceTTL {
		return // leases may not have been renewed since the store came back
	}
	keys, err := s.store.QueueKeys(ctx)
	if err != nil {
		s.storeFailed(err)
		return
	}
	alive := map[string]bool{}
	for _, key := range keys {
		tickets, err := s.store.Queued(ctx, key)
		if err != nil {
			s.storeFailed(err)
			return
		}
		for _, t := range tickets {
			if t.Owner == "" {
				continue
			}
			inst := instanceOf(t.Owner)
			orphan := false
			if inst == s.cfg.Instance {
				s.mu.Lock()
				c := s.players[t.PlayerID]
				orphan = c == nil || c.id != t.Owner
				s.mu.Unlock()
			} else {
				ok, err := s.instanceAlive(ctx, inst, alive)
				if err != nil {
					s.storeFailed(err)
					return
				}
				orphan = !ok
			}
			if orphan {
				if _, err := s.store.Dequeue(ctx, t.PlayerID); err != nil {
					s.storeFailed(err)
					return
				}
				s.log.Info("lobby: dropped orphaned queue ticket", "player", t.Name, "session", t.Owner)
			}
		}
	}
}

// checkEpoch asks an EpochStore for its epoch. When it changed, the store lost its state (a
// Redis restarted without persistence): every local player session of an older epoch is
// closed with state_lost, since its nickname, queue ticket, room and match went with the
// state, and ids of the new epoch never repeat its id. Its player logs in again.
func (s *Server) checkEpoch(ctx context.Context) error {
	es, ok := s.store.(EpochStore)
	if !ok {
		return nil
	}
	s.epochMu.Lock()
	e, err := es.Epoch(ctx)
	if err != nil || e == s.epoch {
		s.epochMu.Unlock()
		return err
	}
	old := s.epoch
	s.epoch = e
	var stale []*conn
	s.mu.Lock()
	for _, c := range s.players {
		if c.epoch != e {
			stale = append(stale, c)
		}
	}
	s.mu.Unlock()
	s.epochMu.Unlock()
	s.metrics.stateLost.Inc()
	s.log.Error("lobby: the store lost its state (restarted without persistence?); closing the sessions it held",
		"old_epoch", old, "epoch", e, "sessions", len(stale))
	for _, c := range stale {
		c.s.metrics.errors.WithLabelValues(proto.CodeStateLost).Inc()
		c.send(proto.ErrorMessage(0, proto.CodeStateLost, "the lobby lost its shared state; log in again"))
		c.sendAndClose(nil)
	}
	return nil
}

// assignID gives c the player id of name and registers c as that player's session here. The
// id is handed out under the store's current epoch: when the store reports its state lost,
// the lobby adopts the new epoch (closing the sessions of the old one) and asks again.
func (s *Server) assignID(ctx context.Context, c *conn, name string) (uint64, error) {
	for attempt := 0; ; attempt++ {
		s.epochMu.RLock()
		id, err := s.store.PlayerID(ctx, name)
		if err == nil {
			s.mu.Lock()
			c.playerID, c.name, c.epoch = id, name, s.epoch
			if old := s.players[id]; old != nil {
				old.close() // cannot happen while names are unique and ids are not reused; be safe
			}
			s.players[id] = c
			s.mu.Unlock()
		}
		s.epochMu.RUnlock()
		if !errors.Is(err, ErrStateLost) || attempt > 0 {
			return id, err
		}
		if err := s.checkEpoch(ctx); err != nil {
			return 0, err
		}
	}
}

// unassignID undoes assignID for a hello that failed after it.
func (s *Server) unassignID(c *conn) {
	s.mu.Lock()
	if s.players[c.playerID] == c {
		delete(s.players, c.playerID)
	}
	c.playerID, c.name = 0, ""
	s.mu.Unlock()
}
