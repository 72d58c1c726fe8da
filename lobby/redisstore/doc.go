// Package redisstore is a lobby.Store on Redis (github.com/redis/go-redis/v9), so any number of
// lobby processes on any number of machines act as one lobby: they share nicknames, the queue,
// rooms, the game server registry, running matches, history and ratings, elect one matchmaker
// and one sweeper through leases (SET NX PX), and reach players on other instances through a
// pub/sub channel.
//
// Layout (every key under a prefix, default "skirmish:"; values are JSON):
//
//	name:<nick>          string owner (session id), PX ttl     online  zset nick → lease end (ms)
//	ids                  hash nick → player id                 nextid  counter
//	epoch                string, the name of the state (Store.Epoch)
//	queue                hash player id → ticket               qkey    hash player id → "mode|region"
//	q:<mode>|<region>    zset player id → queued since (ms)    qkeys   set of "mode|region"
//	room:<id>            string room                           roomcode:<code> string room id
//	rooms                zset room id → created (ms)
//	servers              hash name → server                    matches hash id → match
//	inmatch              hash player id → match id             history:<player id> list, newest first
//	ratings              hash player id → rating               lock:<name> string owner, PX ttl
//	                                                           (lock:instance:<lobby> is a lobby's liveness lease)
//	events               pub/sub channel of lobby.Event
//
// FinishMatch (end a match, store ratings, push history) is one Lua script, so a result is
// stored whole or not at all. The event subscription reconnects by itself after a Redis
// restart; Subscribed reports false until it has, and the lobby stays unhealthy meanwhile.
//
// Lost state: a Redis without persistence comes back empty after a restart, and one restored
// from an RDB snapshot comes back older. The epoch key notices both: PlayerID allocates only
// while the epoch this process adopted is there and the id counter has not gone below an id
// it has seen; otherwise it returns lobby.ErrStateLost, the lobby calls Epoch, which starts a
// new epoch and raises the counter to the current time in microseconds in one script, and the
// lobby closes the sessions of the old epoch (lobby.EpochStore). So an id is never handed to
// two players, but what the lost state held (names online, queues, rooms, running matches,
// history and ratings) is gone: for "nothing is lost", run Redis with appendonly yes.
//
// Read-modify-write operations are Lua scripts (atomic on the server) or WATCH/MULTI
// transactions (UpdateRoom, which runs a Go callback). Scripts build key names from the
// prefix, so this store targets a single Redis node (or a primary with replicas), not Cluster.
package redisstore
