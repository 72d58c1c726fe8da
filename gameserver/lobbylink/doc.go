// Package lobbylink is the game server's side of the lobby protocol (lobby/proto). A Link
// connects to one of the configured lobbies (trying them in order, failing over to the next),
// registers by answering the lobby's challenge with an HMAC-SHA256 under the shared key,
// heartbeats its load every second, and reports match results, resending each until the lobby
// acknowledges it: unacknowledged results survive reconnects. Run owns the connection and
// reconnects with jittered exponential backoff until its context ends or Close is called.
//
// With Config.TLSConfig the link speaks TLS, as a lobby with a certificate does. A TLS mismatch
// (a TLS lobby answering plain text with tls_required, or a plain lobby answering a TLS
// handshake with a line that is not TLS) is ErrProtocolMismatch: retrying cannot fix it, so
// Run returns it unless the link has registered before.
package lobbylink
