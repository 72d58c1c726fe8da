// Package proto defines the lobby's wire protocol: newline-delimited JSON over TCP.
//
// Every line is one JSON object with a "type". A request carries an "id" (a positive integer
// chosen by the sender) and its reply echoes it; events pushed by the lobby carry no id. A
// player or game server starts with "hello", which names the [ProtocolVersion]. Errors are
// {"type":"error","id":…,"code":"…","message":"…"} with a code from the Code* constants.
// Lines longer than [MaxLineBytes] are rejected by [LineReader] without being buffered.
//
// All messages share one flat [Message] struct whose fields are omitted when empty, so a
// person can type any of them into nc; lobby/PROTOCOL.md lists each one with an example.
//
// Game servers authenticate with a challenge: the lobby sends a random nonce, the server
// answers with [ServerMAC], an HMAC-SHA256 under the shared key over the nonce and the
// server's registration fields. The key itself never crosses the wire.
package proto
