// Package gameserver is Skirmish's authoritative game server: many concurrent matches on one UDP
// port, each ticking a [Game] at a fixed rate and streaming every client delta-compressed
// snapshots, with metrics, health and a graceful drain for operations.
//
// # Pieces
//
//   - [Server] owns the port (a net.PacketConn from the caller: a UDP socket, or a netsim conn in
//     tests) through a netcode/secure Server: netcode.io handshakes with the lobby's connect
//     tokens, per-packet AEAD, timeouts. It routes each connection to its match.
//   - The server hosts one [GameDef] (Config.Def, for example arenahost.Def): a game's name, its
//     modes ([ModeSpec]: players, teams, fill timeout, announced to the lobby by
//     gameserver/lobbylink) and the factory of its matches. A ticket for a mode the GameDef does
//     not declare, or for more players than the mode seats, starts no match.
//   - A match is one [Game] (made by Config.Def.New) plus its seats. The
//     connect token's user data is a [wire.Ticket] (match ID, mode, seats, slot, team, name);
//     the first player of a match ID starts the match, later players join it. A second
//     connection for the same match and slot replaces the first (a reconnect).
//   - Inside a connection, a netcode.Endpoint carries two channels: unreliable-sequenced for
//     [wire.Input] or [wire.SpectatorAck] (up) and [wire.Snapshot] (down), reliable-ordered for [wire.Welcome],
//     [wire.Roster], [wire.GameEvent], [wire.Chat] and [wire.MatchEnd].
//
// # Threading
//
// secure.Server calls OnConnect, OnDisconnect and OnPayload from its Serve goroutine. The
// server copies each payload, with its arrival time, into the owning match's bounded inbox (a
// slice of at most Config.InboxSize whose slots and buffers are reused; when it is full the
// payload is dropped and counted, so a flood never blocks the socket or grows memory) without
// waking anyone; connects and disconnects go to a separate control queue that is never dropped
// (it is bounded by the connections secure accepts). One goroutine, the match loop (loop.go),
// drives every match on one timer: when the earliest match is due it runs each match that is
// due (control events, then the queued payloads, then the ticks due) and sleeps again. It owns
// all match state, Games, Endpoints and buffers. Matches start on a common grid of tick
// instants, so many matches cost one wake-up per tick, not one per match. Server-wide state
// (the match table, the index → match routes, counts) sits behind one mutex that no one holds
// while calling out.
//
// # The loop
//
// Tick n is due at start + n/Tick. When the loop wakes it runs every tick that is due, at
// most maxCatchUpTicks in a row; further behind, the clock slips (counted). One tick:
//
//  1. inputs: each seated player's input buffer hands out one input by sequence. The buffer
//     waits out jitter (a late input repeats the last one and is applied when it comes, which
//     deepens the buffer by a tick), skips an input lost beyond the redundancy window, and
//     sizes itself from the measured arrival lateness of the last 256 inputs: when its delay
//     has stayed above that target for a second it drops one input (shrinks by one tick); past
//     maxBufferedInputs it drops to half, so input latency stays bounded. Real and repeated
//     ticks are counted per connection and sent in every snapshot (exact input delivery).
//  2. Game.Step(inputs); the returned events go out on the reliable channel.
//  3. when a snapshot is due (SnapshotRate of Tick ticks, evenly spread), Game.AppendEntities
//     fills the next slot of the match's ring of the last 32 snapshots, and each client gets it
//     delta-encoded against the newest snapshot it acknowledged (its Input messages carry that
//     tick), or whole when it acknowledged none or the ring no longer holds it; a
//     snapshot.Encoder encodes each distinct baseline once per tick, not once per client. The
//     message also carries the last input sequence applied for that client, which the client
//     uses to drop inputs from its redundancy window and to reconcile its prediction. On the
//     tick between two snapshots, clients whose measured loss is ≥ 2 % (and whose
//     acknowledgements are fresh) get the last snapshot again, byte for byte ([Redundancy]),
//     so a loss costs them one tick rather than one snapshot interval.
//  4. on a snapshot tick every Endpoint is flushed (queued messages, resends, acks); between
//     snapshots only those with something queued (an event, a repeat), so no packet carries
//     acknowledgements alone.
//
// Sockets: on a real UDP socket (batchConn) the loop holds the server's writes during a pass
// and sends them from its own goroutine with sendmmsg when the pass ends (writes outside a pass,
// such as handshake replies, go through a writer goroutine); reads take up to 64 datagrams per
// recvmmsg into fixed buffers; the socket's buffers are enlarged. While matches run, the loop
// reads the socket itself at the start of each pass (batchConn's drain: recvmmsg without
// waiting, each datagram checked, decrypted and queued to its match by netcode/secure's
// HandleDatagram on the loop's goroutine) and the reader goroutine sleeps at a gate, so one
// wake-up per pass does all the receiving. A game that ignores input ([InputFree]; walkers)
// is woken only for its snapshot ticks, the ticks between running in the same pass. A
// thousand clients cost a handful of system calls per tick, and the per-packet path (read, decrypt, dispatch to the
// match, parse, and each snapshot's encode and send) allocates nothing.
//
// When Game.Over reports a result, the match sends MatchEnd to everyone, reports the result to
// Config.Results ([ResultSink]; gameserver/lobbylink in production), keeps servicing its
// connections for Config.EndGrace so MatchEnd is delivered, then disconnects them and is
// removed. A match with no connected player for Config.EmptyTimeout ends as "abandoned"; one
// whose other players all left, with one player alone in it for Config.AloneTimeout, ends as
// "players_left". A player who leaves keeps their row in the final scores (PlayerScore.Left).
// A finished match's ID is refused for 10 minutes, so a still-valid token cannot restart it.
//
// # Message flow
//
//	client                                server
//	  |-- netcode.io request/response -->|  token → wire.Ticket → match (started if new)
//	  |<-------- Denied, disconnect ------|  refused (unknown mode, capacity, ...): logged, counted
//	  |<-------- Welcome, Roster --------|  reliable
//	  |--- Input (ack tick, inputs) ---->|  unreliable, at the snapshot rate (lossy: every tick)
//	  |--- or SpectatorAck (ack tick) -->|  unreliable, 10 Hz, from a player with no input
//	  |<-- Snapshot (last input, delta) -|  unreliable, SnapshotRate
//	  |<------ GameEvent, Chat ----------|  reliable
//	  |<---------- MatchEnd -------------|  reliable, then disconnect after EndGrace
//
// # KCP transport
//
// With Config.Transport "kcp" the game port speaks netcode/kcp instead of netcode.io: the same
// connect tokens (checked by kcp.Listen before any game traffic), and the same Endpoint
// packets, each carried as one reliable, ordered KCP message (transport_kcp.go). Handlers run
// on Serve's goroutine as with secure; each session has a bounded send queue drained by its
// own writer, so Send never blocks a match, and a session whose queue overflows is dropped.
// Since every snapshot arrives, the match deltas each one against the previous snapshot it
// sent to that client (acknowledged by construction) instead of the client's acknowledgement,
// and never repeats one. Config.KCP sets FEC and windows; clients must use the same FEC.
//
// # Spectators
//
// A connection whose ticket has the spectator flag watches a running match: no seat, no input,
// the match's snapshots and events Config.SpectatorDelay late, at most Config.MaxSpectators per
// match ("spectators_full" beyond). The delayed stream replays the match's own snapshots and
// reuses the players' encodings; see spectate.go. [Server.LiveMatches] summarises the running
// matches for the lobby's list of matches to watch (lobbylink heartbeats it).
//
// # Operations
//
// [Server.Handler] serves /healthz (503 while draining), /metrics and /status ([Status] as
// JSON). [Server.Drain] stops new matches and waits for the running ones; [Server.Close] ends
// everything. Prometheus series (namespace skirmish_gameserver_):
//
//	tick_duration_seconds       histogram of one tick (inputs, Step, snapshots, flush)
//	players, matches            gauges: connected players, running matches
//	matches_started_total       counter
//	matches_ended_total         counter by reason
//	packets_in_total, packets_out_total, bytes_in_total, bytes_out_total
//	dropped_packets_total       payloads dropped because a match inbox was full
//	invalid_packets_total       payloads and messages that did not parse, bad tickets
//	rejected_connections_total  by reason: bad_ticket, draining, capacity, match_finished,
//	                            unknown_mode (the Game has no such mode), ticket_mismatch, ...
//	repeated_inputs_total       ticks a connected player's input was missing
//	dropped_inputs_total        inputs discarded to bound input latency
//	slipped_ticks_total         ticks skipped past maxCatchUpTicks
//	snapshots_total, snapshot_bytes_total   by kind: full, delta, repeat, spectator
//
// plus the Go runtime and process collectors.
package gameserver
