// Package lobbytest starts an in-process lobby and a game server registered with it through
// lobbylink, all on 127.0.0.1 with ephemeral ports, for tests that drive the whole stack
// (bots, the client session, hostile traffic). StartStack waits until the game server has
// registered, so a match can be found at once, and stops everything in t.Cleanup. SelfSignedTLS
// makes a certificate for a TLS lobby on 127.0.0.1.
package lobbytest
