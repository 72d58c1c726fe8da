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
// Read-modify-write operations are Lua scripts (atomic on the server) or WATCH/MULTI
// transactions (UpdateRoom, which runs a Go callback). Scripts build key names from the
// prefix, so this store targets a single Redis node (or a primary with replicas), not Cluster.
package redisstore
