// Package lobby is Skirmish's lobby: one TCP port (TLS optional) speaking newline-delimited
// JSON (package [github.com/skirmish-go/skirmish/lobby/proto], documented in PROTOCOL.md) to
// players and game servers.
//
// # Pieces
//
//   - [Server] accepts connections and runs one reader goroutine and one writer goroutine per
//     connection. The writer drains a bounded queue; a client whose queue fills is dropped, so a
//     slow reader never blocks anyone else. Limits: max connections, max per IP (IPv6: per
//     /64), a handshake deadline, an idle deadline, a message rate per connection (messages
//     over it are dropped; a second bucket of drops, [Config.MaxDropped], closes a connection
//     that keeps it up). A connection the lobby closes is closed gracefully: its last line
//     (the error saying why) is flushed, writing is shut down, and what the peer still sends
//     is read and discarded for a moment, so no reset destroys that line.
//   - Players say hello with a nickname, then queue for a quick match, or create, list and join
//     rooms (public, or private behind a join code), ready up, chat and start.
//   - The matchmaker (one loop, every [Config.MatchInterval]) groups queued players of one mode
//     and region by Glicko-2 rating (package glicko): the oldest ticket anchors a group and takes
//     the nearest ratings within a window that widens with its wait; a group starts at once when
//     full, or with the mode's minimum after the fill timeout.
//   - Allocation picks the least loaded registered game server of the region with free seats.
//     A server's load is what its heartbeat reports, or more while a new match's seats are
//     reserved ([Config.SeatReservation], the token's lifetime plus a margin): after that a
//     match nobody joined holds no seat. The lobby then seals one netcode.io connect token per
//     player with [Config.SealToken] (user data is a gameserver/wire.Ticket) and sends
//     match_found. While the match runs, a player can ask for a fresh token to the same seat
//     (reconnect).
//   - Game servers say hello as role "server", answer an HMAC-SHA256 challenge under the shared
//     key, heartbeat their load, and report results, which update ratings and history. A server
//     silent for [Config.HeartbeatTimeout] is dropped by the sweeper: its matches end and their
//     players get match_ended with reason server_lost.
//   - All shared state lives behind [Store] ([MemoryStore] by default). A store outside the
//     process lets several lobby instances act as one: see the Store doc. Each instance holds
//     a liveness lease ("instance:<Config.Instance>", [Config.InstanceTTL]); when an instance
//     dies its players can log in elsewhere under the same nickname once the lease runs out,
//     and the sweeper drops the queue tickets it left behind.
//   - Store health: renewing that lease is also the health check. While it fails (Redis down
//     or restarting) the lobby is unhealthy (/healthz 503), pauses the matchmaker and sweeper,
//     answers requests that need the store with "internal", and retries with backoff. A game
//     server's result is acknowledged only after [Store.FinishMatch] stored it, so game
//     servers resend until the store is back and nothing is lost; heartbeats missed during an
//     outage do not count against game servers.
//
// [Server.Shutdown] and [Server.Close] behave as in net/http; [Server.Handler] serves
// Prometheus metrics on /metrics and liveness on /healthz.
package lobby
