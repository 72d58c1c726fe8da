package lobby

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/skirmish-go/skirmish/lobby/glicko"
	"github.com/skirmish-go/skirmish/lobby/proto"
)

// MemoryStore is a Store in process memory: the default, for one lobby process. Name and lock
// ttls are ignored (the process owns everything it holds).
type MemoryStore struct {
	mu        sync.Mutex
	names     map[string]string
	ids       map[string]uint64
	nextID    uint64
	queue     map[uint64]QueueTicket
	rooms     map[string]Room
	codes     map[string]string
	servers   map[string]ServerInfo
	matches   map[string]Match
	inMatch   map[uint64]string
	history   map[uint64][]proto.MatchRecord
	ratings   map[uint64]glicko.Rating
	locks     map[string]lease
	subs      map[int]func(Event)
	nextSub   int
	maxRecent int
}

type lease struct {
	owner string
	until time.Time
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{
		names: map[string]string{}, ids: map[string]uint64{}, queue: map[uint64]QueueTicket{},
		rooms: map[string]Room{}, codes: map[string]string{}, servers: map[string]ServerInfo{},
		matches: map[string]Match{}, inMatch: map[uint64]string{}, history: map[uint64][]proto.MatchRecord{},
		ratings: map[uint64]glicko.Rating{}, locks: map[string]lease{}, subs: map[int]func(Event){},
		maxRecent: 100,
	}
}

var _ Store = (*MemoryStore)(nil)

func (s *MemoryStore) ClaimName(_ context.Context, name, owner string, _ time.Duration) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o, ok := s.names[name]; ok && o != owner {
		return false, nil
	}
	s.names[name] = owner
	return true, nil
}

func (s *MemoryStore) RefreshName(context.Context, string, string, time.Duration) error { return nil }

func (s *MemoryStore) ReleaseName(_ context.Context, name, owner string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.names[name] == owner {
		delete(s.names, name)
	}
	return nil
}

func (s *MemoryStore) PlayerID(_ context.Context, name string) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, ok := s.ids[name]; ok {
		return id, nil
	}
	s.nextID++
	s.ids[name] = s.nextID
	return s.nextID, nil
}

func (s *MemoryStore) Presence(context.Context) (Presence, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Presence{Online: len(s.names), Queued: len(s.queue), Matches: len(s.matches), Servers: len(s.servers)}, nil
}

func (s *MemoryStore) Enqueue(_ context.Context, t QueueTicket) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.queue[t.PlayerID]; ok {
		return fmt.Errorf("enqueue player %d: %w", t.PlayerID, ErrExists)
	}
	s.queue[t.PlayerID] = t
	return nil
}

func (s *MemoryStore) Dequeue(_ context.Context, id uint64) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.queue[id]
	delete(s.queue, id)
	return ok, nil
}

func (s *MemoryStore) QueueKeys(context.Context) ([]QueueKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[QueueKey]bool{}
	var keys []QueueKey
	for _, t := range s.queue {
		if k := t.Key(); !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	return keys, nil
}

func (s *MemoryStore) Queued(_ context.Context, key QueueKey) ([]QueueTicket, error) {
	s.mu.Lock()
	var out []QueueTicket
	for _, t := range s.queue {
		if t.Key() == key {
			out = append(out, t)
		}
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b QueueTicket) int {
		if c := a.Since.Compare(b.Since); c != 0 {
			return c
		}
		return int(a.PlayerID) - int(b.PlayerID)
	})
	return out, nil
}

func (s *MemoryStore) TakeTickets(_ context.Context, ids []uint64) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		if _, ok := s.queue[id]; !ok {
			return false, nil
		}
	}
	for _, id := range ids {
		delete(s.queue, id)
	}
	return true, nil
}

func cloneRoom(r Room) Room {
	r.Members = slices.Clone(r.Members)
	return r
}

func (s *MemoryStore) CreateRoom(_ context.Context, r Room) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.rooms[r.ID]; ok {
		return fmt.Errorf("room %s: %w", r.ID, ErrExists)
	}
	if r.JoinCode != "" {
		if _, ok := s.codes[r.JoinCode]; ok {
			return fmt.Errorf("room code %s: %w", r.JoinCode, ErrExists)
		}
		s.codes[r.JoinCode] = r.ID
	}
	s.rooms[r.ID] = cloneRoom(r)
	return nil
}

func (s *MemoryStore) Room(_ context.Context, id string) (Room, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.rooms[id]
	if !ok {
		return Room{}, fmt.Errorf("room %s: %w", id, ErrNotFound)
	}
	return cloneRoom(r), nil
}

func (s *MemoryStore) RoomByCode(ctx context.Context, code string) (Room, error) {
	s.mu.Lock()
	id, ok := s.codes[code]
	s.mu.Unlock()
	if !ok {
		return Room{}, fmt.Errorf("room code %s: %w", code, ErrNotFound)
	}
	return s.Room(ctx, id)
}

func (s *MemoryStore) UpdateRoom(_ context.Context, id string, fn func(*Room) error) (Room, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.rooms[id]
	if !ok {
		return Room{}, fmt.Errorf("room %s: %w", id, ErrNotFound)
	}
	r = cloneRoom(r)
	if err := fn(&r); err != nil {
		return Room{}, err
	}
	if len(r.Members) == 0 {
		delete(s.rooms, id)
		delete(s.codes, r.JoinCode)
		return r, nil
	}
	s.rooms[id] = cloneRoom(r)
	return r, nil
}

func (s *MemoryStore) ListRooms(_ context.Context, mode string, limit int) ([]Room, error) {
	s.mu.Lock()
	var out []Room
	for _, r := range s.rooms {
		if !r.Private && (mode == "" || r.Mode == mode) {
			out = append(out, cloneRoom(r))
		}
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b Room) int { return a.Created.Compare(b.Created) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (s *MemoryStore) PutServer(_ context.Context, si ServerInfo) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.servers[si.Name] = si
	return nil
}

func (s *MemoryStore) Servers(context.Context) ([]ServerInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ServerInfo, 0, len(s.servers))
	for _, si := range s.servers {
		out = append(out, si)
	}
	slices.SortFunc(out, func(a, b ServerInfo) int {
		if a.Name < b.Name {
			return -1
		}
		if a.Name > b.Name {
			return 1
		}
		return 0
	})
	return out, nil
}

func (s *MemoryStore) DeleteServer(_ context.Context, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.servers, name)
	return nil
}

func cloneMatch(m Match) Match {
	m.Players = slices.Clone(m.Players)
	return m
}

func (s *MemoryStore) PutMatch(_ context.Context, m Match) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.matches[m.ID] = cloneMatch(m)
	for _, p := range m.Players {
		s.inMatch[p.PlayerID] = m.ID
	}
	return nil
}

func (s *MemoryStore) Match(_ context.Context, id string) (Match, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.matches[id]
	if !ok {
		return Match{}, fmt.Errorf("match %s: %w", id, ErrNotFound)
	}
	return cloneMatch(m), nil
}

func (s *MemoryStore) PlayerMatch(_ context.Context, id uint64) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.inMatch[id]
	if !ok {
		return "", fmt.Errorf("match of player %d: %w", id, ErrNotFound)
	}
	return m, nil
}

func (s *MemoryStore) EndMatch(_ context.Context, id string) (Match, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.matches[id]
	if !ok {
		return Match{}, false, nil
	}
	delete(s.matches, id)
	for _, p := range m.Players {
		if s.inMatch[p.PlayerID] == id {
			delete(s.inMatch, p.PlayerID)
		}
	}
	return m, true, nil
}

func (s *MemoryStore) Matches(context.Context) ([]Match, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Match, 0, len(s.matches))
	for _, m := range s.matches {
		out = append(out, cloneMatch(m))
	}
	return out, nil
}

func (s *MemoryStore) AddHistory(_ context.Context, rec proto.MatchRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range rec.Players {
		h := append(s.history[p.PlayerID], rec)
		if len(h) > s.maxRecent {
			h = h[len(h)-s.maxRecent:]
		}
		s.history[p.PlayerID] = h
	}
	return nil
}

func (s *MemoryStore) History(_ context.Context, id uint64, n int) ([]proto.MatchRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.history[id]
	out := make([]proto.MatchRecord, 0, min(n, len(h)))
	for i := len(h) - 1; i >= 0 && len(out) < n; i-- {
		out = append(out, h[i])
	}
	return out, nil
}

func (s *MemoryStore) Ratings(_ context.Context, ids []uint64) (map[uint64]glicko.Rating, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[uint64]glicko.Rating, len(ids))
	for _, id := range ids {
		if r, ok := s.ratings[id]; ok {
			out[id] = r
		}
	}
	return out, nil
}

func (s *MemoryStore) PutRatings(_ context.Context, r map[uint64]glicko.Rating) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, v := range r {
		s.ratings[id] = v
	}
	return nil
}

func (s *MemoryStore) Lock(_ context.Context, name, owner string, ttl time.Duration) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if l, ok := s.locks[name]; ok && l.owner != owner && now.Before(l.until) {
		return false, nil
	}
	s.locks[name] = lease{owner, now.Add(ttl)}
	return true, nil
}

func (s *MemoryStore) Publish(_ context.Context, ev Event) error {
	s.mu.Lock()
	fns := make([]func(Event), 0, len(s.subs))
	for _, fn := range s.subs {
		fns = append(fns, fn)
	}
	s.mu.Unlock()
	for _, fn := range fns {
		fn(ev)
	}
	return nil
}

func (s *MemoryStore) Subscribe(_ context.Context, fn func(Event)) (func(), error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.nextSub
	s.nextSub++
	s.subs[id] = fn
	return func() {
		s.mu.Lock()
		delete(s.subs, id)
		s.mu.Unlock()
	}, nil
}

// Close does nothing; the state stays readable.
func (s *MemoryStore) Close() error { return nil }

// NameOwner returns the session holding name, or ErrNotFound.
func (s *MemoryStore) NameOwner(_ context.Context, name string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o, ok := s.names[name]; ok {
		return o, nil
	}
	return "", ErrNotFound
}

// LockOwner returns the holder of a live lease, or "" if none holds it.
func (s *MemoryStore) LockOwner(_ context.Context, name string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l, ok := s.locks[name]; ok && time.Now().Before(l.until) {
		return l.owner, nil
	}
	return "", nil
}

// FinishMatch ends a running match, stores ratings and adds rec to history, all at once.
func (s *MemoryStore) FinishMatch(_ context.Context, id string, ratings map[uint64]glicko.Rating, rec proto.MatchRecord) (Match, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.matches[id]
	if !ok {
		return Match{}, false, nil
	}
	delete(s.matches, id)
	for _, p := range m.Players {
		if s.inMatch[p.PlayerID] == id {
			delete(s.inMatch, p.PlayerID)
		}
	}
	for pid, r := range ratings {
		s.ratings[pid] = r
	}
	for _, p := range rec.Players {
		h := append(s.history[p.PlayerID], rec)
		if len(h) > s.maxRecent {
			h = h[len(h)-s.maxRecent:]
		}
		s.history[p.PlayerID] = h
	}
	return m, true, nil
}
