package lobby

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"time"

	"github.com/skirmish-go/skirmish/gameserver/wire"
	"github.com/skirmish-go/skirmish/lobby/glicko"
	"github.com/skirmish-go/skirmish/lobby/proto"
)

// seat is a player about to be placed in a match.
type seat struct {
	PlayerID uint64
	Name     string
	Rating   float64
	Since    time.Time
}

// formGroups splits one queue into matches. Tickets are taken oldest first as anchors; an
// anchor gathers the untaken tickets nearest its rating within its window, which starts at
// base and widens by widen per second of the anchor's wait (the anchor is the oldest, so its
// window is the widest of the group). A group forms at once when it reaches MaxPlayers, or
// with at least MinPlayers once the anchor has waited FillTimeout.
func formGroups(ts []QueueTicket, m Mode, now time.Time, base, widen, maxWin float64) [][]int {
	n := len(ts)
	byRating := make([]int, n)
	for i := range byRating {
		byRating[i] = i
	}
	sort.SliceStable(byRating, func(a, b int) bool { return ts[byRating[a]].Rating < ts[byRating[b]].Rating })
	pos := make([]int, n)
	for p, i := range byRating {
		pos[i] = p
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return ts[order[a]].Since.Before(ts[order[b]].Since) })
	taken := make([]bool, n)
	var groups [][]int
	group := make([]int, 0, m.MaxPlayers)
	for _, a := range order {
		if taken[a] {
			continue
		}
		wait := now.Sub(ts[a].Since)
		win := min(base+widen*wait.Seconds(), maxWin)
		r := ts[a].Rating
		group = append(group[:0], a)
		lo, hi := pos[a]-1, pos[a]+1
		for len(group) < m.MaxPlayers {
			for lo >= 0 && taken[byRating[lo]] {
				lo--
			}
			for hi < n && taken[byRating[hi]] {
				hi++
			}
			dl, dh := -1.0, -1.0
			if lo >= 0 {
				dl = r - ts[byRating[lo]].Rating
			}
			if hi < n {
				dh = ts[byRating[hi]].Rating - r
			}
			okL, okH := lo >= 0 && dl <= win, hi < n && dh <= win
			switch {
			case okL && (!okH || dl <= dh):
				group = append(group, byRating[lo])
				lo--
			case okH:
				group = append(group, byRating[hi])
				hi++
			default:
				lo, hi = -1, n // nobody else in the window
			}
			if lo < 0 && hi >= n {
				break
			}
		}
		if len(group) == m.MaxPlayers || (len(group) >= m.MinPlayers && wait >= m.FillTimeout) {
			for _, i := range group {
				taken[i] = true
			}
			groups = append(groups, slices.Clone(group))
		}
	}
	return groups
}

// allocator tracks free seats of live game servers during one pass.
type allocator struct {
	servers []*serverLoad
}

type serverLoad struct {
	info ServerInfo
	used int
}

func (s *Server) newAllocator(ctx context.Context) (*allocator, error) {
	a := &allocator{}
	if s.cfg.SealToken == nil {
		return a, nil
	}
	servers, err := s.store.Servers(ctx)
	if err != nil {
		return nil, fmt.Errorf("list servers: %w", err)
	}
	matches, err := s.store.Matches(ctx)
	if err != nil {
		return nil, fmt.Errorf("list matches: %w", err)
	}
	// A new match's seats count until its players had time to redeem their tokens; after
	// that the server's heartbeat says what is taken (a match nobody joined holds nothing).
	now := s.cfg.Now()
	seats := map[string]int{}
	for _, m := range matches {
		if now.Sub(m.Start) < s.cfg.SeatReservation {
			seats[m.Server] += len(m.Players)
		}
	}
	for _, si := range servers {
		if now.Sub(si.LastSeen) > s.cfg.HeartbeatTimeout || !si.Disconnected.IsZero() {
			continue
		}
		a.servers = append(a.servers, &serverLoad{info: si, used: max(si.Players, seats[si.Name])})
	}
	return a, nil
}

// pick reserves n seats on the least loaded server of region ("" = any) with room for them.
func (a *allocator) pick(region string, n int) *ServerInfo {
	var best *serverLoad
	for _, sl := range a.servers {
		if region != "" && sl.info.Region != region || sl.info.Capacity-sl.used < n {
			continue
		}
		if best == nil || sl.used*best.info.Capacity < best.used*sl.info.Capacity {
			best = sl
		}
	}
	if best == nil {
		return nil
	}
	best.used += n
	return &best.info
}

// matchOnce is one matchmaker pass over every queue.
func (s *Server) matchOnce(ctx context.Context) {
	keys, err := s.store.QueueKeys(ctx)
	if err != nil {
		s.log.Warn("lobby: queue keys", "err", err)
		return
	}
	if len(keys) == 0 {
		s.metrics.queued.Set(0)
		return
	}
	alloc, err := s.newAllocator(ctx)
	if err != nil {
		s.log.Warn("lobby: allocator", "err", err)
		return
	}
	now := s.cfg.Now()
	total := 0
	for _, key := range keys {
		mode, ok := s.cfg.Modes[key.Mode]
		if !ok {
			continue
		}
		tickets, err := s.store.Queued(ctx, key)
		if err != nil {
			s.log.Warn("lobby: queued", "err", err)
			continue
		}
		total += len(tickets)
		for _, g := range formGroups(tickets, mode, now, s.cfg.SkillWindow, s.cfg.SkillWiden, s.cfg.SkillWindowMax) {
			srv := alloc.pick(key.Region, len(g))
			if srv == nil {
				s.log.Debug("lobby: no game server with free seats", "mode", key.Mode, "region", key.Region)
				break
			}
			ids := make([]uint64, len(g))
			seats := make([]seat, len(g))
			for i, ti := range g {
				t := tickets[ti]
				ids[i] = t.PlayerID
				seats[i] = seat{PlayerID: t.PlayerID, Name: t.Name, Rating: t.Rating, Since: t.Since}
			}
			ok, err := s.store.TakeTickets(ctx, ids)
			if err != nil || !ok {
				continue
			}
			total -= len(g)
			if _, err := s.createMatch(ctx, srv, key.Mode, mode, key.Region, seats, ""); err != nil {
				s.log.Error("lobby: create match", "err", err)
				for _, ti := range g { // back in the queue, with their place kept
					if err := s.store.Enqueue(ctx, tickets[ti]); err != nil {
						s.log.Error("lobby: requeue", "player", tickets[ti].Name, "err", err)
					}
				}
			}
		}
	}
	s.metrics.queued.Set(float64(total))
}

// startRoom starts a room's match; by is the player asking (0: everybody is ready). A
// non-empty code is the error reply for the player.
func (s *Server) startRoom(ctx context.Context, roomID string, by uint64) (string, error) {
	r, err := s.store.Room(ctx, roomID)
	if errors.Is(err, ErrNotFound) {
		return proto.CodeRoomNotFound, err
	}
	if err != nil {
		return "", err
	}
	mode := s.cfg.Modes[r.Mode]
	switch {
	case by != 0 && r.Host != by:
		return proto.CodeNotHost, errors.New("only the host starts the room")
	case r.MatchID != "":
		return proto.CodeRoomStarted, errors.New("the room's match is running")
	case len(r.Members) < mode.MinPlayers:
		return proto.CodeNotEnough, fmt.Errorf("%s needs %d players", r.Mode, mode.MinPlayers)
	}
	alloc, err := s.newAllocator(ctx)
	if err != nil {
		return "", err
	}
	srv := alloc.pick(r.Region, len(r.Members))
	if srv == nil {
		return proto.CodeNoServer, errors.New("no game server with free seats")
	}
	matchID := randomHex(16)
	r, err = s.store.UpdateRoom(ctx, roomID, func(r *Room) error {
		if r.MatchID != "" {
			return refuse(proto.CodeRoomStarted, "the room's match is running")
		}
		r.MatchID = matchID
		return nil
	})
	var pe *proto.Error
	if errors.As(err, &pe) {
		return pe.Code, err
	}
	if err != nil {
		return "", err
	}
	ids := make([]uint64, len(r.Members))
	for i, mem := range r.Members {
		ids[i] = mem.PlayerID
	}
	ratings, _ := s.store.Ratings(ctx, ids)
	seats := make([]seat, len(r.Members))
	for i, mem := range r.Members {
		rt, ok := ratings[mem.PlayerID]
		if !ok {
			rt = glicko.New()
		}
		seats[i] = seat{PlayerID: mem.PlayerID, Name: mem.Name, Rating: rt.Rating}
	}
	if _, err := s.createMatchID(ctx, matchID, srv, r.Mode, mode, r.Region, seats, r.ID); err != nil {
		_, _ = s.store.UpdateRoom(ctx, roomID, func(r *Room) error { r.MatchID = ""; return nil })
		return "", err
	}
	s.publish(ctx, Event{Room: r.ID, Msg: proto.Message{Type: proto.TypeRoom, Room: r.Wire(true)}})
	return "", nil
}

func (s *Server) createMatch(ctx context.Context, srv *ServerInfo, modeName string, mode Mode, region string, seats []seat, roomID string) (*Match, error) {
	return s.createMatchID(ctx, randomHex(16), srv, modeName, mode, region, seats, roomID)
}

// createMatchID seats the players (teams balanced by a snake draft on rating), stores the
// match and sends every player match_found with a connect token.
func (s *Server) createMatchID(ctx context.Context, id string, srv *ServerInfo, modeName string, mode Mode, region string, seats []seat, roomID string) (*Match, error) {
	now := s.cfg.Now()
	sorted := slices.Clone(seats)
	slices.SortStableFunc(sorted, func(a, b seat) int {
		switch {
		case a.Rating > b.Rating:
			return -1
		case a.Rating < b.Rating:
			return 1
		}
		return 0
	})
	m := &Match{ID: id, Mode: modeName, Region: region, Server: srv.Name, Addr: srv.Addr, Transport: srv.Transport,
		RoomID: roomID, Start: now}
	teams := mode.Teams
	for i, st := range sorted {
		team := i
		if teams > 0 {
			round, k := i/teams, i%teams
			team = k
			if round%2 == 1 {
				team = teams - 1 - k
			}
		}
		m.Players = append(m.Players, MatchPlayer{PlayerID: st.PlayerID, Name: st.Name, Team: team})
	}
	slices.SortStableFunc(m.Players, func(a, b MatchPlayer) int { return a.Team - b.Team })
	for i := range m.Players {
		m.Players[i].Slot = i
	}
	if err := s.store.PutMatch(ctx, *m); err != nil {
		return nil, fmt.Errorf("store match: %w", err)
	}
	s.metrics.started.WithLabelValues(modeName).Inc()
	for _, st := range seats {
		if !st.Since.IsZero() {
			s.metrics.queueWait.Observe(now.Sub(st.Since).Seconds())
		}
	}
	for _, p := range m.Players {
		mf, err := s.matchFound(m, p)
		if err != nil {
			s.log.Error("lobby: seal token", "match", m.ID, "player", p.Name, "err", err)
			continue
		}
		s.publish(ctx, Event{To: p.PlayerID, Msg: *mf})
	}
	s.log.Info("lobby: match", "match", m.ID, "mode", modeName, "server", srv.Name, "players", len(m.Players))
	return m, nil
}

// matchFound seals a fresh connect token for one seat of a match.
func (s *Server) matchFound(m *Match, p MatchPlayer) (*proto.Message, error) {
	if s.cfg.SealToken == nil {
		return nil, errors.New("no token sealer configured")
	}
	addr, err := netip.ParseAddrPort(m.Addr)
	if err != nil {
		return nil, fmt.Errorf("server address %q: %w", m.Addr, err)
	}
	t := wire.Ticket{Slot: uint8(p.Slot), Team: uint8(p.Team), Players: uint8(len(m.Players)), Mode: m.Mode,
		Name: p.Name, PlayerID: p.PlayerID}
	if _, err := hex.Decode(t.MatchID[:], []byte(m.ID)); err != nil {
		return nil, fmt.Errorf("match id %q: %w", m.ID, err)
	}
	ud, err := t.Marshal()
	if err != nil {
		return nil, err
	}
	tok, err := s.cfg.SealToken(p.PlayerID, addr, ud)
	if err != nil {
		return nil, err
	}
	return &proto.Message{Type: proto.TypeMatchFound, Server: m.Addr, Transport: m.Transport, Token: tok,
		MatchID: m.ID, Mode: m.Mode, Slot: p.Slot, Team: p.Team, Players: len(m.Players)}, nil
}

// endMatch ends a running match exactly once: ratings (for a result) and history are stored
// with the match's end in one atomic store step (Store.FinishMatch), then the players get
// match_ended and the room its state. An error means nothing was stored: a game server's
// result must not be acknowledged then, so that it is sent again. A match that has ended
// already is not an error.
func (s *Server) endMatch(ctx context.Context, id, reason string, res *proto.MatchResult) error {
	m, err := s.store.Match(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("end match %s: %w", id, err)
	}
	now := s.cfg.Now()
	rec := proto.MatchRecord{MatchID: m.ID, Mode: m.Mode, Region: m.Region, Server: m.Server,
		StartMS: m.Start.UnixMilli(), EndMS: now.UnixMilli(), Reason: reason}
	ids := make([]uint64, len(m.Players))
	for i, p := range m.Players {
		ids[i] = p.PlayerID
	}
	ratings, err := s.store.Ratings(ctx, ids)
	if err != nil {
		return fmt.Errorf("end match %s: ratings: %w", id, err)
	}
	for _, id := range ids {
		if _, ok := ratings[id]; !ok {
			ratings[id] = glicko.New()
		}
	}
	ranks := map[uint64]proto.PlayerResult{}
	if res != nil {
		rec.Replay = res.Replay
		for _, pr := range res.Players {
			ranks[pr.PlayerID] = pr
		}
	}
	next := map[uint64]glicko.Rating{}
	if res != nil && len(ranks) > 0 {
		worst := 0
		for _, pr := range ranks {
			worst = max(worst, pr.Rank)
		}
		gp := make([]glicko.Player, len(m.Players))
		for i, p := range m.Players {
			rank := worst + 1 // not reported: ranked last
			if pr, ok := ranks[p.PlayerID]; ok {
				rank = pr.Rank
			}
			gp[i] = glicko.Player{Rating: ratings[p.PlayerID], Team: p.Team, Rank: rank}
		}
		updated := glicko.UpdateMatch(gp)
		for i, p := range m.Players {
			next[p.PlayerID] = updated[i]
			ratings[p.PlayerID] = updated[i]
		}
	}
	for _, p := range m.Players {
		pr := ranks[p.PlayerID]
		rec.Players = append(rec.Players, proto.PlayerResult{PlayerID: p.PlayerID, Name: p.Name, Team: p.Team,
			Rank: pr.Rank, Score: pr.Score, Rating: ratings[p.PlayerID].Rating})
	}
	m, ok, err := s.store.FinishMatch(ctx, id, next, rec)
	if err != nil {
		return fmt.Errorf("end match %s: %w", id, err)
	}
	if !ok {
		return nil // someone else ended it
	}
	s.metrics.ended.WithLabelValues(reason).Inc()
	for _, p := range m.Players {
		r := ratings[p.PlayerID]
		s.publish(ctx, Event{To: p.PlayerID, Msg: proto.Message{Type: proto.TypeMatchEnded, MatchID: m.ID,
			Reason: reason, Rating: &proto.Rating{Rating: r.Rating, RD: r.RD, Volatility: r.Volatility}}})
	}
	if m.RoomID != "" {
		r, err := s.store.UpdateRoom(ctx, m.RoomID, func(r *Room) error {
			if r.MatchID == m.ID {
				r.MatchID = ""
				for i := range r.Members {
					r.Members[i].Ready = false
				}
			}
			return nil
		})
		if err == nil {
			s.publish(ctx, Event{Room: r.ID, Msg: proto.Message{Type: proto.TypeRoom, Room: r.Wire(true)}})
		}
	}
	s.log.Info("lobby: match ended", "match", m.ID, "reason", reason)
	return nil
}
