package lobby

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"time"

	"github.com/skirmish-go/skirmish/lobby/proto"
)

func (c *conn) handleServer(ctx context.Context, m *proto.Message) bool {
	s := c.s
	if c.server == nil {
		if m.Type != proto.TypeAuth {
			c.replyErr(m.ID, proto.CodeHelloFirst, "answer the challenge with auth first")
			return false
		}
		return c.auth(ctx, m)
	}
	switch m.Type {
	case proto.TypeHello, proto.TypeAuth:
		c.replyErr(m.ID, proto.CodeAlreadyHello, "registered already")
	case proto.TypeHeartbeat:
		c.server.Players, c.server.Matches = max(m.Players, 0), max(m.Matches, 0)
		if m.Capacity > 0 {
			c.server.Capacity = m.Capacity
		}
		c.server.LastSeen = s.cfg.Now()
		c.server.Instance = s.cfg.Instance
		c.server.Live = m.Live[:min(len(m.Live), proto.MaxLivePerServer)]
		if err := s.store.PutServer(ctx, *c.server); err != nil {
			s.storeFailed(err)
			s.log.Warn("lobby: heartbeat", "server", c.server.Name, "err", err)
		}
	case proto.TypeMatchResult:
		if m.Result == nil || m.Result.MatchID == "" {
			c.replyErr(m.ID, proto.CodeBadRequest, "result with match_id required")
			return false
		}
		if s.storeDown.Load() { // not acknowledged: the server sends it again
			s.metrics.errors.WithLabelValues(proto.CodeInternal).Inc()
			c.send(proto.ErrorMessage(m.ID, proto.CodeInternal, "store unavailable; send again later"))
			return false
		}
		match, err := s.store.Match(ctx, m.Result.MatchID)
		switch {
		case err == nil && match.Server != c.server.Name:
			c.replyErr(m.ID, proto.CodeNoMatch, "match runs on another server")
			return false
		case err == nil:
			if err := s.endMatch(ctx, match.ID, proto.ReasonFinished, m.Result); err != nil {
				return c.internal(m.ID, "store result", err) // not acknowledged: the server resends
			}
		case !errors.Is(err, ErrNotFound):
			return c.internal(m.ID, "find match", err)
		}
		// Unknown or already ended: acknowledge, so the server stops resending.
		c.send(&proto.Message{Type: proto.TypeResultAck, ID: m.ID, MatchID: m.Result.MatchID})
	default:
		c.replyErr(m.ID, proto.CodeUnknownType, "unknown type for a game server")
	}
	return false
}

func (c *conn) auth(ctx context.Context, m *proto.Message) bool {
	s := c.s
	var zero [32]byte
	fail := func(msg string) bool {
		s.log.Warn("lobby: game server auth failed", "conn", c.id, "ip", c.ip, "why", msg)
		c.replyErr(m.ID, proto.CodeAuthFailed, msg)
		c.sendAndClose(nil)
		return false
	}
	if s.cfg.Key == zero {
		return fail("this lobby has no key for game servers")
	}
	if !proto.CheckServerMAC(s.cfg.Key, c.nonce, m) {
		return fail("bad mac")
	}
	if !validName(m.Name, proto.MaxNameLen) || len(m.Region) > proto.MaxModeLen || m.Capacity <= 0 {
		c.replyErr(m.ID, proto.CodeBadRequest, "name, region and capacity > 0 required")
		return false
	}
	if _, err := netip.ParseAddrPort(m.Addr); err != nil {
		c.replyErr(m.ID, proto.CodeBadRequest, "addr must be ip:port")
		return false
	}
	transport := m.Transport
	if transport == "" {
		transport = "udp"
	}
	if transport != "udp" && transport != "kcp" {
		c.replyErr(m.ID, proto.CodeBadRequest, "transport must be udp or kcp")
		return false
	}
	c.server = &ServerInfo{Name: m.Name, Region: m.Region, Addr: m.Addr, Transport: transport, Capacity: m.Capacity,
		LastSeen: s.cfg.Now(), Instance: s.cfg.Instance}
	if err := s.store.PutServer(ctx, *c.server); err != nil {
		c.server = nil
		return c.internal(m.ID, "register", err)
	}
	s.log.Info("lobby: game server registered", "name", m.Name, "region", m.Region, "addr", m.Addr, "capacity", m.Capacity)
	c.send(&proto.Message{Type: proto.TypeWelcome, ID: m.ID, Version: proto.ProtocolVersion, Role: proto.RoleServer, Name: m.Name})
	return false
}

// sweepOnce drops game servers that missed their heartbeats and ends their matches (first
// the matches, then the server, so a crash in between leaves nothing orphaned).
func (s *Server) sweepOnce(ctx context.Context) {
	servers, err := s.store.Servers(ctx)
	if err != nil {
		s.storeFailed(err)
		s.log.Warn("lobby: servers", "err", err)
		return
	}
	now := s.cfg.Now()
	up := s.storeUpSince()
	var dead []string
	for _, si := range servers {
		// Heartbeats could not be stored while the store was down: count from its return.
		silent := now.Sub(si.LastSeen) > s.cfg.HeartbeatTimeout && now.Sub(up) > s.cfg.HeartbeatTimeout
		gone := !si.Disconnected.IsZero() && now.Sub(si.Disconnected) > s.cfg.HeartbeatTimeout/2
		if silent || gone {
			dead = append(dead, si.Name)
			s.log.Warn("lobby: game server lost", "name", si.Name, "last_seen", si.LastSeen)
		}
	}
	s.metrics.servers.Set(float64(len(servers) - len(dead)))
	matches, err := s.store.Matches(ctx)
	if err != nil {
		s.log.Warn("lobby: matches", "err", err)
		return
	}
	running := 0
	for _, m := range matches {
		if slices.Contains(dead, m.Server) {
			if err := s.endMatch(ctx, m.ID, proto.ReasonServerLost, nil); err != nil {
				s.storeFailed(err)
				s.log.Warn("lobby: end match", "err", err)
				return // the server stays registered, so the next sweep ends its matches
			}
			continue
		}
		if now.Sub(m.Start) > s.cfg.MaxMatchDuration {
			if err := s.endMatch(ctx, m.ID, proto.ReasonExpired, nil); err != nil {
				s.storeFailed(err)
				s.log.Warn("lobby: end match", "err", err)
			}
			continue
		}
		running++
	}
	s.metrics.matches.Set(float64(running))
	defer s.purgeOrphanTickets(ctx)
	for _, name := range dead {
		if err := s.store.DeleteServer(ctx, name); err != nil {
			s.log.Warn("lobby: delete server", "err", err)
		}
	}
}

// serverDisconnected shortens the life of a game server whose connection to this instance
// ended: unless it registers again (with any instance) within HeartbeatTimeout/2, the sweeper
// declares it lost and its players hear server_lost, instead of after a full heartbeat
// timeout. A crashed process closes its socket at once, so players learn of it sooner.
func (s *Server) serverDisconnected(name string, lastSeen time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	servers, err := s.store.Servers(ctx)
	if err != nil {
		s.storeFailed(err)
		return
	}
	for _, si := range servers {
		if si.Name != name || si.Instance != s.cfg.Instance || !si.LastSeen.Equal(lastSeen) {
			continue // registered again (here or elsewhere) already
		}
		si.Disconnected = s.cfg.Now()
		if err := s.store.PutServer(ctx, si); err != nil {
			s.storeFailed(err)
			return
		}
		s.log.Warn("lobby: game server connection lost; lost unless it registers again", "name", name,
			"within", s.cfg.HeartbeatTimeout/2)
	}
}
