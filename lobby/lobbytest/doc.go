// Package lobbytest helps tests that need a lobby but no game server: StartLobby serves a
// lobby on loopback; RegisterServer registers a game server that exists only as its
// registration (game, modes, capacity, heartbeats), speaking the protocol of
// lobby/PROTOCOL.md as a real one does, so the lobby offers its modes; SelfSignedTLS makes a
// certificate for a TLS lobby on 127.0.0.1.
//
// It imports nothing of the game server; tests that need a real one use cmd/stacktest.
package lobbytest
