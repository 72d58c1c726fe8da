package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/skirmish-go/skirmish/lobby"
	"github.com/skirmish-go/skirmish/lobby/glicko"
	"github.com/skirmish-go/skirmish/lobby/proto"
)

// DefaultPrefix starts every key.
const DefaultPrefix = "skirmish:"

// Store is a lobby.Store on Redis.
type Store struct {
	rdb    *redis.Client
	p      string
	mu     sync.Mutex
	closed bool

	subscribed atomic.Bool

	epochMu sync.Mutex
	epoch   string        // the epoch this store adopted last (Epoch); "" before the first call
	maxID   atomic.Uint64 // the highest player id this store has handed out or read
}

var _ lobby.Store = (*Store)(nil)

// Open connects to a redis:// URL and checks the connection with PING.
func Open(ctx context.Context, url, prefix string) (*Store, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redisstore: %w", err)
	}
	s := New(redis.NewClient(opt), prefix)
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		s.rdb.Close()
		return nil, fmt.Errorf("redisstore: ping %s: %w", opt.Addr, err)
	}
	return s, nil
}

// New uses an existing client; prefix "" means DefaultPrefix. Close closes the client.
func New(rdb *redis.Client, prefix string) *Store {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return &Store{rdb: rdb, p: prefix}
}

// Client returns the underlying client.
func (s *Store) Client() *redis.Client { return s.rdb }

func (s *Store) k(parts ...string) string { return s.p + strings.Join(parts, "") }

func idStr(id uint64) string { return strconv.FormatUint(id, 10) }

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("redisstore: %s: %w", op, err)
}

var claimScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur and cur ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
return 1`)

var refreshScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
end
return 1`)

var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[2])
end
return 1`)

func (s *Store) ClaimName(ctx context.Context, name, owner string, ttl time.Duration) (bool, error) {
	until := time.Now().Add(ttl).UnixMilli()
	n, err := claimScript.Run(ctx, s.rdb, []string{s.k("name:", name), s.k("online")},
		owner, ttl.Milliseconds(), until, name).Int()
	return n == 1, wrap("claim name", err)
}

func (s *Store) RefreshName(ctx context.Context, name, owner string, ttl time.Duration) error {
	until := time.Now().Add(ttl).UnixMilli()
	return wrap("refresh name", refreshScript.Run(ctx, s.rdb, []string{s.k("name:", name), s.k("online")},
		owner, ttl.Milliseconds(), until, name).Err())
}

func (s *Store) ReleaseName(ctx context.Context, name, owner string) error {
	return wrap("release name", releaseScript.Run(ctx, s.rdb, []string{s.k("name:", name), s.k("online")},
		owner, name).Err())
}

// playerIDScript returns a nickname's id, allocating the next one on first use, but only while
// the store still holds the state this process adopted: KEYS[3] (epoch) must equal ARGV[2],
// and the counter must not have gone back below ARGV[3], the highest id this process has seen
// (an older snapshot restored). Otherwise it returns -1 and allocates nothing.
var playerIDScript = redis.NewScript(`
if redis.call('GET', KEYS[3]) ~= ARGV[2] then return -1 end
if tonumber(redis.call('GET', KEYS[2]) or '0') < tonumber(ARGV[3]) then return -1 end
local id = redis.call('HGET', KEYS[1], ARGV[1])
if id then return tonumber(id) end
id = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], ARGV[1], id)
return id`)

// epochScript returns the current epoch (KEYS[1]), or starts a new one (ARGV[1]) when there is
// none or the id counter (KEYS[2]) is below ARGV[3], the highest id this process has seen; a
// new epoch raises the counter to at least ARGV[2] in the same step, so no id of an earlier
// epoch is ever handed out again. Values stay strings: Lua numbers would print as 1.7e+15.
var epochScript = redis.NewScript(`
local e = redis.call('GET', KEYS[1])
local cur = redis.call('GET', KEYS[2])
local n = tonumber(cur or '0')
if e and n >= tonumber(ARGV[3]) then return e end
redis.call('SET', KEYS[1], ARGV[1])
if n < tonumber(ARGV[2]) then redis.call('SET', KEYS[2], ARGV[2]) end
return ARGV[1]`)

// Epoch implements lobby.EpochStore: it returns the name of the state this Redis holds, and
// starts a new one when the state is gone (Redis restarted without persistence, or FLUSHALL)
// or rolled back (restarted from an older snapshot: the id counter is below an id this store
// has handed out). A new epoch raises the player id counter to the current time in Unix
// microseconds (or above the highest id this store has seen, if that is larger): ids of the
// lost state were counted up from an earlier epoch's start one per new nickname, so they stay
// below it unless more than one nickname per microsecond was registered, and no id is handed
// to two players. PlayerID refuses (lobby.ErrStateLost) from the moment the adopted epoch is
// gone until Epoch is called again.
func (s *Store) Epoch(ctx context.Context) (string, error) {
	s.epochMu.Lock()
	defer s.epochMu.Unlock()
	return s.epochLocked(ctx)
}

func (s *Store) epochLocked(ctx context.Context) (string, error) {
	seen := s.maxID.Load()
	seed := max(uint64(time.Now().UnixMicro()), seen)
	e, err := epochScript.Run(ctx, s.rdb, []string{s.k("epoch"), s.k("nextid")},
		newEpoch(), strconv.FormatUint(seed, 10), strconv.FormatUint(seen, 10)).Text()
	if err != nil {
		return "", wrap("epoch", err)
	}
	s.epoch = e
	return e, nil
}

func newEpoch() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// PlayerID returns the nickname's id, allocating one on first use; lobby.ErrStateLost if the
// state this store adopted (Epoch) is gone, until Epoch is called again.
func (s *Store) PlayerID(ctx context.Context, name string) (uint64, error) {
	s.epochMu.Lock()
	epoch := s.epoch
	var err error
	if epoch == "" { // first use: adopt the current epoch (or start the first)
		epoch, err = s.epochLocked(ctx)
	}
	s.epochMu.Unlock()
	if err != nil {
		return 0, err
	}
	id, err := playerIDScript.Run(ctx, s.rdb, []string{s.k("ids"), s.k("nextid"), s.k("epoch")},
		name, epoch, strconv.FormatUint(s.maxID.Load(), 10)).Int64()
	if err != nil {
		return 0, wrap("player id", err)
	}
	if id < 0 {
		return 0, fmt.Errorf("redisstore: player id of %q: epoch %s gone: %w", name, epoch, lobby.ErrStateLost)
	}
	for { // remember the highest id seen, to notice a counter that went back
		cur := s.maxID.Load()
		if uint64(id) <= cur || s.maxID.CompareAndSwap(cur, uint64(id)) {
			break
		}
	}
	return uint64(id), nil
}

func (s *Store) Presence(ctx context.Context) (lobby.Presence, error) {
	pipe := s.rdb.Pipeline()
	online := pipe.ZCount(ctx, s.k("online"), strconv.FormatInt(time.Now().UnixMilli(), 10), "+inf")
	queued := pipe.HLen(ctx, s.k("queue"))
	matches := pipe.HLen(ctx, s.k("matches"))
	servers := pipe.HLen(ctx, s.k("servers"))
	pipe.ZRemRangeByScore(ctx, s.k("online"), "-inf", "("+strconv.FormatInt(time.Now().UnixMilli(), 10))
	if _, err := pipe.Exec(ctx); err != nil {
		return lobby.Presence{}, wrap("presence", err)
	}
	return lobby.Presence{Online: int(online.Val()), Queued: int(queued.Val()), Matches: int(matches.Val()),
		Servers: int(servers.Val())}, nil
}

func qkey(k lobby.QueueKey) string { return k.Mode + "|" + k.Region }

var enqueueScript = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
redis.call('SADD', KEYS[4], ARGV[3])
return 1`)

func (s *Store) Enqueue(ctx context.Context, t lobby.QueueTicket) error {
	b, err := json.Marshal(t)
	if err != nil {
		return wrap("enqueue", err)
	}
	key := qkey(t.Key())
	n, err := enqueueScript.Run(ctx, s.rdb, []string{s.k("queue"), s.k("qkey"), s.k("q:", key), s.k("qkeys")},
		idStr(t.PlayerID), b, key, t.Since.UnixMilli()).Int()
	if err != nil {
		return wrap("enqueue", err)
	}
	if n == 0 {
		return fmt.Errorf("redisstore: enqueue player %d: %w", t.PlayerID, lobby.ErrExists)
	}
	return nil
}

// takeScript removes every listed player (ARGV) from the queue, or none if one is missing.
// KEYS[1] queue, KEYS[2] qkey; ARGV[1] is the key prefix for the per-queue zsets.
var takeScript = redis.NewScript(`
for i = 2, #ARGV do
  if redis.call('HEXISTS', KEYS[1], ARGV[i]) == 0 then return 0 end
end
for i = 2, #ARGV do
  local k = redis.call('HGET', KEYS[2], ARGV[i])
  redis.call('HDEL', KEYS[1], ARGV[i])
  redis.call('HDEL', KEYS[2], ARGV[i])
  if k then redis.call('ZREM', ARGV[1] .. k, ARGV[i]) end
end
return 1`)

func (s *Store) take(ctx context.Context, ids []uint64) (bool, error) {
	args := make([]any, 0, len(ids)+1)
	args = append(args, s.k("q:"))
	for _, id := range ids {
		args = append(args, idStr(id))
	}
	n, err := takeScript.Run(ctx, s.rdb, []string{s.k("queue"), s.k("qkey")}, args...).Int()
	return n == 1, err
}

func (s *Store) Dequeue(ctx context.Context, id uint64) (bool, error) {
	ok, err := s.take(ctx, []uint64{id})
	return ok, wrap("dequeue", err)
}

func (s *Store) TakeTickets(ctx context.Context, ids []uint64) (bool, error) {
	if len(ids) == 0 {
		return true, nil
	}
	ok, err := s.take(ctx, ids)
	return ok, wrap("take tickets", err)
}

func (s *Store) QueueKeys(ctx context.Context) ([]lobby.QueueKey, error) {
	members, err := s.rdb.SMembers(ctx, s.k("qkeys")).Result()
	if err != nil {
		return nil, wrap("queue keys", err)
	}
	var out []lobby.QueueKey
	for _, m := range members {
		n, err := s.rdb.ZCard(ctx, s.k("q:", m)).Result()
		if err != nil {
			return nil, wrap("queue keys", err)
		}
		if n == 0 {
			s.rdb.SRem(ctx, s.k("qkeys"), m) // racy but harmless: Enqueue adds it back
			continue
		}
		mode, region, _ := strings.Cut(m, "|")
		out = append(out, lobby.QueueKey{Mode: mode, Region: region})
	}
	return out, nil
}

func (s *Store) Queued(ctx context.Context, key lobby.QueueKey) ([]lobby.QueueTicket, error) {
	ids, err := s.rdb.ZRange(ctx, s.k("q:", qkey(key)), 0, -1).Result()
	if err != nil || len(ids) == 0 {
		return nil, wrap("queued", err)
	}
	vals, err := s.rdb.HMGet(ctx, s.k("queue"), ids...).Result()
	if err != nil {
		return nil, wrap("queued", err)
	}
	out := make([]lobby.QueueTicket, 0, len(vals))
	for _, v := range vals {
		str, ok := v.(string)
		if !ok {
			continue // taken meanwhile
		}
		var t lobby.QueueTicket
		if err := json.Unmarshal([]byte(str), &t); err != nil {
			return nil, wrap("queued: decode", err)
		}
		out = append(out, t)
	}
	return out, nil
}

var createRoomScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if ARGV[3] ~= '' and redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
if ARGV[3] ~= '' then redis.call('SET', KEYS[2], ARGV[3]) end
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[4])
return 1`)

func (s *Store) CreateRoom(ctx context.Context, r lobby.Room) error {
	b, err := json.Marshal(r)
	if err != nil {
		return wrap("create room", err)
	}
	code := ""
	if r.JoinCode != "" {
		code = r.ID
	}
	n, err := createRoomScript.Run(ctx, s.rdb, []string{s.k("room:", r.ID), s.k("roomcode:", r.JoinCode), s.k("rooms")},
		b, r.Created.UnixMilli(), code, r.ID).Int()
	if err != nil {
		return wrap("create room", err)
	}
	if n == 0 {
		return fmt.Errorf("redisstore: room %s: %w", r.ID, lobby.ErrExists)
	}
	return nil
}

func decodeRoom(id, v string, err error) (lobby.Room, error) {
	if errors.Is(err, redis.Nil) {
		return lobby.Room{}, fmt.Errorf("redisstore: room %s: %w", id, lobby.ErrNotFound)
	}
	if err != nil {
		return lobby.Room{}, wrap("room", err)
	}
	var r lobby.Room
	return r, wrap("room: decode", json.Unmarshal([]byte(v), &r))
}

func (s *Store) Room(ctx context.Context, id string) (lobby.Room, error) {
	v, err := s.rdb.Get(ctx, s.k("room:", id)).Result()
	return decodeRoom(id, v, err)
}

func (s *Store) RoomByCode(ctx context.Context, code string) (lobby.Room, error) {
	id, err := s.rdb.Get(ctx, s.k("roomcode:", code)).Result()
	if errors.Is(err, redis.Nil) {
		return lobby.Room{}, fmt.Errorf("redisstore: room code %s: %w", code, lobby.ErrNotFound)
	}
	if err != nil {
		return lobby.Room{}, wrap("room by code", err)
	}
	return s.Room(ctx, id)
}

// UpdateRoom runs fn inside WATCH/MULTI and retries when another instance wrote the room in
// between, so fn may run more than once.
func (s *Store) UpdateRoom(ctx context.Context, id string, fn func(*lobby.Room) error) (lobby.Room, error) {
	key := s.k("room:", id)
	var out lobby.Room
	for range 50 {
		err := s.rdb.Watch(ctx, func(tx *redis.Tx) error {
			v, err := tx.Get(ctx, key).Result()
			r, err := decodeRoom(id, v, err)
			if err != nil {
				return err
			}
			if err := fn(&r); err != nil {
				return err
			}
			out = r
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				if len(r.Members) == 0 {
					p.Del(ctx, key)
					if r.JoinCode != "" {
						p.Del(ctx, s.k("roomcode:", r.JoinCode))
					}
					p.ZRem(ctx, s.k("rooms"), id)
					return nil
				}
				b, err := json.Marshal(r)
				if err != nil {
					return err
				}
				p.Set(ctx, key, b, 0)
				return nil
			})
			return err
		}, key)
		if errors.Is(err, redis.TxFailedErr) {
			continue
		}
		return out, err
	}
	return lobby.Room{}, fmt.Errorf("redisstore: update room %s: too much contention", id)
}

func (s *Store) ListRooms(ctx context.Context, mode string, limit int) ([]lobby.Room, error) {
	ids, err := s.rdb.ZRange(ctx, s.k("rooms"), 0, -1).Result()
	if err != nil || len(ids) == 0 {
		return nil, wrap("list rooms", err)
	}
	var out []lobby.Room
	for start := 0; start < len(ids) && (limit <= 0 || len(out) < limit); start += 256 {
		chunk := ids[start:min(start+256, len(ids))]
		keys := make([]string, len(chunk))
		for i, id := range chunk {
			keys[i] = s.k("room:", id)
		}
		vals, err := s.rdb.MGet(ctx, keys...).Result()
		if err != nil {
			return nil, wrap("list rooms", err)
		}
		for _, v := range vals {
			str, ok := v.(string)
			if !ok {
				continue
			}
			var r lobby.Room
			if err := json.Unmarshal([]byte(str), &r); err != nil {
				return nil, wrap("list rooms: decode", err)
			}
			if !r.Private && (mode == "" || r.Mode == mode) && (limit <= 0 || len(out) < limit) {
				out = append(out, r)
			}
		}
	}
	return out, nil
}

func (s *Store) PutServer(ctx context.Context, si lobby.ServerInfo) error {
	b, err := json.Marshal(si)
	if err != nil {
		return wrap("put server", err)
	}
	return wrap("put server", s.rdb.HSet(ctx, s.k("servers"), si.Name, b).Err())
}

func (s *Store) Servers(ctx context.Context) ([]lobby.ServerInfo, error) {
	m, err := s.rdb.HGetAll(ctx, s.k("servers")).Result()
	if err != nil {
		return nil, wrap("servers", err)
	}
	out := make([]lobby.ServerInfo, 0, len(m))
	for _, v := range m {
		var si lobby.ServerInfo
		if err := json.Unmarshal([]byte(v), &si); err != nil {
			return nil, wrap("servers: decode", err)
		}
		out = append(out, si)
	}
	return out, nil
}

func (s *Store) DeleteServer(ctx context.Context, name string) error {
	return wrap("delete server", s.rdb.HDel(ctx, s.k("servers"), name).Err())
}

func (s *Store) PutMatch(ctx context.Context, m lobby.Match) error {
	b, err := json.Marshal(m)
	if err != nil {
		return wrap("put match", err)
	}
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, s.k("matches"), m.ID, b)
		for _, pl := range m.Players {
			p.HSet(ctx, s.k("inmatch"), idStr(pl.PlayerID), m.ID)
		}
		return nil
	})
	return wrap("put match", err)
}

func (s *Store) Match(ctx context.Context, id string) (lobby.Match, error) {
	v, err := s.rdb.HGet(ctx, s.k("matches"), id).Result()
	if errors.Is(err, redis.Nil) {
		return lobby.Match{}, fmt.Errorf("redisstore: match %s: %w", id, lobby.ErrNotFound)
	}
	if err != nil {
		return lobby.Match{}, wrap("match", err)
	}
	var m lobby.Match
	return m, wrap("match: decode", json.Unmarshal([]byte(v), &m))
}

func (s *Store) PlayerMatch(ctx context.Context, id uint64) (string, error) {
	v, err := s.rdb.HGet(ctx, s.k("inmatch"), idStr(id)).Result()
	if errors.Is(err, redis.Nil) {
		return "", fmt.Errorf("redisstore: match of player %d: %w", id, lobby.ErrNotFound)
	}
	return v, wrap("player match", err)
}

// endScript deletes a match (returning it) and the players' inmatch entries that name it.
var endScript = redis.NewScript(`
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v then return false end
redis.call('HDEL', KEYS[1], ARGV[1])
for i = 2, #ARGV do
  if redis.call('HGET', KEYS[2], ARGV[i]) == ARGV[1] then redis.call('HDEL', KEYS[2], ARGV[i]) end
end
return v`)

func (s *Store) EndMatch(ctx context.Context, id string) (lobby.Match, bool, error) {
	m, err := s.Match(ctx, id)
	if errors.Is(err, lobby.ErrNotFound) {
		return lobby.Match{}, false, nil
	}
	if err != nil {
		return lobby.Match{}, false, err
	}
	args := []any{id}
	for _, p := range m.Players {
		args = append(args, idStr(p.PlayerID))
	}
	v, err := endScript.Run(ctx, s.rdb, []string{s.k("matches"), s.k("inmatch")}, args...).Text()
	if errors.Is(err, redis.Nil) {
		return lobby.Match{}, false, nil // another instance ended it first
	}
	if err != nil {
		return lobby.Match{}, false, wrap("end match", err)
	}
	var out lobby.Match
	if err := json.Unmarshal([]byte(v), &out); err != nil {
		return lobby.Match{}, false, wrap("end match: decode", err)
	}
	return out, true, nil
}

func (s *Store) Matches(ctx context.Context) ([]lobby.Match, error) {
	m, err := s.rdb.HGetAll(ctx, s.k("matches")).Result()
	if err != nil {
		return nil, wrap("matches", err)
	}
	out := make([]lobby.Match, 0, len(m))
	for _, v := range m {
		var mt lobby.Match
		if err := json.Unmarshal([]byte(v), &mt); err != nil {
			return nil, wrap("matches: decode", err)
		}
		out = append(out, mt)
	}
	return out, nil
}

// MaxHistory is how many records are kept per player.
const MaxHistory = 100

func (s *Store) AddHistory(ctx context.Context, rec proto.MatchRecord) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return wrap("add history", err)
	}
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for _, pl := range rec.Players {
			k := s.k("history:", idStr(pl.PlayerID))
			p.LPush(ctx, k, b)
			p.LTrim(ctx, k, 0, MaxHistory-1)
		}
		return nil
	})
	return wrap("add history", err)
}

func (s *Store) History(ctx context.Context, id uint64, n int) ([]proto.MatchRecord, error) {
	if n <= 0 {
		return nil, nil
	}
	vals, err := s.rdb.LRange(ctx, s.k("history:", idStr(id)), 0, int64(n-1)).Result()
	if err != nil {
		return nil, wrap("history", err)
	}
	out := make([]proto.MatchRecord, 0, len(vals))
	for _, v := range vals {
		var r proto.MatchRecord
		if err := json.Unmarshal([]byte(v), &r); err != nil {
			return nil, wrap("history: decode", err)
		}
		out = append(out, r)
	}
	return out, nil
}

func (s *Store) Ratings(ctx context.Context, ids []uint64) (map[uint64]glicko.Rating, error) {
	out := make(map[uint64]glicko.Rating, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	fields := make([]string, len(ids))
	for i, id := range ids {
		fields[i] = idStr(id)
	}
	vals, err := s.rdb.HMGet(ctx, s.k("ratings"), fields...).Result()
	if err != nil {
		return nil, wrap("ratings", err)
	}
	for i, v := range vals {
		str, ok := v.(string)
		if !ok {
			continue
		}
		var r glicko.Rating
		if err := json.Unmarshal([]byte(str), &r); err != nil {
			return nil, wrap("ratings: decode", err)
		}
		out[ids[i]] = r
	}
	return out, nil
}

func (s *Store) PutRatings(ctx context.Context, r map[uint64]glicko.Rating) error {
	if len(r) == 0 {
		return nil
	}
	args := make([]any, 0, 2*len(r))
	for id, v := range r {
		b, err := json.Marshal(v)
		if err != nil {
			return wrap("put ratings", err)
		}
		args = append(args, idStr(id), b)
	}
	return wrap("put ratings", s.rdb.HSet(ctx, s.k("ratings"), args...).Err())
}

var lockScript = redis.NewScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0`)

func (s *Store) Lock(ctx context.Context, name, owner string, ttl time.Duration) (bool, error) {
	n, err := lockScript.Run(ctx, s.rdb, []string{s.k("lock:", name)}, owner, ttl.Milliseconds()).Int()
	return n == 1, wrap("lock", err)
}

func (s *Store) Publish(ctx context.Context, ev lobby.Event) error {
	b, err := json.Marshal(ev)
	if err != nil {
		return wrap("publish", err)
	}
	return wrap("publish", s.rdb.Publish(ctx, s.k("events"), b).Err())
}

// Subscribe receives events on a goroutine of its own until stop, which waits for it. When the
// subscription's connection breaks (Redis restarted) it reconnects and subscribes again,
// retrying with backoff; Subscribed reports false meanwhile, and events published then are
// lost (pub/sub does not queue).
func (s *Store) Subscribe(ctx context.Context, fn func(lobby.Event)) (func(), error) {
	ps := s.rdb.Subscribe(ctx, s.k("events"))
	if _, err := ps.Receive(ctx); err != nil { // the subscription confirmation
		ps.Close()
		return nil, wrap("subscribe", err)
	}
	s.subscribed.Store(true)
	done := make(chan struct{})
	quit := make(chan struct{})
	rctx, cancel := context.WithCancel(context.Background())
	go func() {
		defer close(done)
		backoff := 50 * time.Millisecond
		for {
			msg, err := ps.Receive(rctx)
			if err != nil {
				s.subscribed.Store(false)
				select {
				case <-quit:
					return
				case <-time.After(backoff):
				}
				backoff = min(2*backoff, time.Second)
				continue // the next Receive reconnects and subscribes again
			}
			backoff = 50 * time.Millisecond
			switch m := msg.(type) {
			case *redis.Subscription:
				s.subscribed.Store(m.Kind == "subscribe")
			case *redis.Message:
				var ev lobby.Event
				if err := json.Unmarshal([]byte(m.Payload), &ev); err != nil {
					continue
				}
				fn(ev)
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(quit)
			cancel()
			ps.Close()
			<-done
			s.subscribed.Store(false)
		})
	}, nil
}

// Subscribed reports whether the event subscription is connected; the lobby reports itself
// unhealthy while it is not.
func (s *Store) Subscribed() bool { return s.subscribed.Load() }

// Close closes the Redis client; safe to call more than once.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return wrap("close", s.rdb.Close())
}

// finishScript ends a match, stores ratings and pushes the history record in one step.
// KEYS[1] matches, KEYS[2] inmatch, KEYS[3] ratings, KEYS[4..] history lists.
// ARGV[1] match id, ARGV[2] record, ARGV[3] history cap, ARGV[4] n ratings, then n
// (player id, rating) pairs, then the match's player ids.
var finishScript = redis.NewScript(`
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v then return false end
redis.call('HDEL', KEYS[1], ARGV[1])
local n = tonumber(ARGV[4])
local i = 5
for _ = 1, n do
  redis.call('HSET', KEYS[3], ARGV[i], ARGV[i+1])
  i = i + 2
end
for j = i, #ARGV do
  if redis.call('HGET', KEYS[2], ARGV[j]) == ARGV[1] then redis.call('HDEL', KEYS[2], ARGV[j]) end
end
for k = 4, #KEYS do
  redis.call('LPUSH', KEYS[k], ARGV[2])
  redis.call('LTRIM', KEYS[k], 0, tonumber(ARGV[3]) - 1)
end
return v`)

// FinishMatch ends a match, stores ratings and adds the history record atomically (one Lua
// script), so a result is either fully stored or not at all.
func (s *Store) FinishMatch(ctx context.Context, id string, ratings map[uint64]glicko.Rating, rec proto.MatchRecord) (lobby.Match, bool, error) {
	m, err := s.Match(ctx, id)
	if errors.Is(err, lobby.ErrNotFound) {
		return lobby.Match{}, false, nil
	}
	if err != nil {
		return lobby.Match{}, false, err
	}
	recJSON, err := json.Marshal(rec)
	if err != nil {
		return lobby.Match{}, false, wrap("finish match", err)
	}
	keys := []string{s.k("matches"), s.k("inmatch"), s.k("ratings")}
	for _, pl := range rec.Players {
		keys = append(keys, s.k("history:", idStr(pl.PlayerID)))
	}
	args := []any{id, recJSON, MaxHistory, len(ratings)}
	for pid, r := range ratings {
		b, err := json.Marshal(r)
		if err != nil {
			return lobby.Match{}, false, wrap("finish match", err)
		}
		args = append(args, idStr(pid), b)
	}
	for _, p := range m.Players {
		args = append(args, idStr(p.PlayerID))
	}
	v, err := finishScript.Run(ctx, s.rdb, keys, args...).Text()
	if errors.Is(err, redis.Nil) {
		return lobby.Match{}, false, nil // another instance ended it first
	}
	if err != nil {
		return lobby.Match{}, false, wrap("finish match", err)
	}
	var out lobby.Match
	if err := json.Unmarshal([]byte(v), &out); err != nil {
		return lobby.Match{}, false, wrap("finish match: decode", err)
	}
	return out, true, nil
}

// NameOwner returns the session holding name, or lobby.ErrNotFound.
func (s *Store) NameOwner(ctx context.Context, name string) (string, error) {
	v, err := s.rdb.Get(ctx, s.k("name:", name)).Result()
	if errors.Is(err, redis.Nil) {
		return "", fmt.Errorf("redisstore: name %q: %w", name, lobby.ErrNotFound)
	}
	return v, wrap("name owner", err)
}

// LockOwner returns the holder of a lease, or "" when nobody holds it.
func (s *Store) LockOwner(ctx context.Context, name string) (string, error) {
	v, err := s.rdb.Get(ctx, s.k("lock:", name)).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	return v, wrap("lock owner", err)
}

// Ping checks that Redis answers; the lobby's health check uses it.
func (s *Store) Ping(ctx context.Context) error { return wrap("ping", s.rdb.Ping(ctx).Err()) }
