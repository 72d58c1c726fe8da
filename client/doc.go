// Package client is Skirmish's headless client core: everything a player's program does except
// drawing, shared by the Ebiten front end (package client/render, cmd/client) and the bots
// (package client/bot, cmd/bots). It never imports Ebiten, so bots build without cgo.
//
// # Pieces
//
//   - [Session] is a whole player: the lobby session (package client/lobbyclient: hello, quick
//     match, rooms, chat), then, on match_found, the game connection. Its methods are the
//     render package's Backend: Lobby() and Scene() once per frame, actions that never block,
//     SetControls for the keyboard and mouse.
//   - [DialGame] opens the game connection with the connect token from match_found: a UDP
//     socket (optionally wrapped by netcode/netsim to impair it, and always counted by a
//     [WireCounter] for "bytes on the wire"), the netcode.io handshake (netcode/secure.Dial),
//     and a [Conn] on top, which runs a netcode.Endpoint (reliable-ordered and
//     unreliable-sequenced messages) over the secure payloads. When match_found announces a
//     KCP server ([DialConfig.Transport] "kcp"), the handshake is netcode/kcp's with the same
//     token, and the session's reliable messages feed the same Conn (dial_kcp.go).
//   - [Conn] is the match: the message flow of gameserver/wire, prediction, interpolation,
//     events and statistics. [Conn.Run] drives it from a tick channel (one shared ticker for a
//     thousand bots) and the incoming payloads; [Conn.Update] and [Conn.HandlePayload] are the
//     same steps for callers with their own loop. Time is always passed in.
//   - [Rules] is the game-specific half ([NewArenaRules] for Arena): input encoding, the
//     local player's movement (sim.PredictPlayer, bit-exact with the server), and snapshot
//     entities and events turned into a [Scene].
//
// # One tick
//
// At the server's tick rate (from the Welcome), [Conn.Update] samples the [Controls], encodes
// them as one input with the next input sequence and steps the [Predictor] with it. At the
// snapshot rate (every tick once the measured loss reaches 2 %) it sends one packet: a
// wire.Input carrying every input the server has not yet processed (up to
// wire.MaxInputsPerMessage: redundancy, so a lost packet loses no input), the newest snapshot
// tick received (the acknowledgement the server deltas against), and whatever the channel
// has queued. No packet goes out between those.
//
// # One snapshot
//
// A wire.Snapshot carries a delta (gameserver/snapshot) against a baseline the client
// acknowledged; the client finds that baseline among the last 32 snapshots it kept (the
// [Interpolator]'s buffer doubles as the baseline store) and decodes it. The snapshot's
// last processed input sequence drives reconciliation (before the prediction is next used, so
// a burst of snapshots costs one replay): the [Predictor] resets the local
// player to the server's state, drops the processed inputs, replays the rest, and turns the
// difference between the old and the new prediction into a visual offset that fades out
// exponentially (50 ms time constant), so a correction glides instead of snapping; beyond
// PredictConfig.SnapDistance (a respawn) it jumps. The local player is drawn one tick behind,
// between the positions before and after the newest input, so it moves by the same amount on
// every rendered frame however the display's frame rate falls against the 60 Hz tick.
//
// # Reconnecting
//
// A [Session] whose game connection drops before the match ends asks the lobby for a fresh
// token to the same match and seat and reconnects (up to 5 tries, 0.25 s to 4 s apart); a quick
// match or room request answered "in_match", or a lobby welcome naming a running match, takes
// the player back into that match instead of queueing. While it reconnects, LobbyView's
// MatchAttempt counts the tries, and a Scene's Silence says how long the server has been
// quiet (the renderer says "connection lost" after a second).
//
// A lobby connection that drops is dialled again on its own, with backoff, for
// [SessionConfig.LobbyReconnectFor] (LobbyView.Link is LinkReconnecting meanwhile); then the
// session goes back to StageOffline with why. Errors reach the player as sentences
// ([PlayerText]); the Go error goes to the log.
//
// # Interpolation
//
// Everything but the local player is drawn between two snapshots, a delay behind the newest
// one the link can be expected to have delivered. The delay starts at 100 ms and adapts: it
// covers as many snapshot intervals as it takes for that many consecutive losses to be
// unlikely (1e-3 per frame) plus the recent peak lateness (jitter) over the fastest path; a
// clean link shrinks it to two intervals. It changes by slewing the render clock at most 10 %,
// so motion never jumps. When the link starves it, the interpolator extrapolates for up to
// 50 ms, then holds ([Sample.Gap]).
//
// # Statistics
//
// [Conn.Stats] reports RTT and loss (from the channel layer), kbps in and out on the wire,
// snapshot rate, interpolation delay, prediction error (world units are pixels here) and
// state age: how old the newest server state on screen is (the interpolation's distance from
// the freshest arrival plus half the RTT). [Conn.Report] has the totals a bot run aggregates,
// including input delivery (the share of server ticks that simulated a real input of ours
// rather than a repeat, exactly as the server counted it: wire.Snapshot's InputsApplied and
// RepeatedInputs of the newest snapshot) and the reliable-channel probe (own chat lines
// relayed back by the server, exactly once and in order). A server that refuses the
// connection says why (wire.Denied): [Conn.Run] returns [ErrDenied] with its reason.
package client
