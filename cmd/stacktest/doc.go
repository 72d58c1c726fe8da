// Package stacktest starts an in-process lobby and real game servers registered with it
// through lobbylink, all on 127.0.0.1 with ephemeral ports, for tests that drive the whole
// stack (bots, the client session, hostile traffic, several games behind one lobby).
// StartStack waits until the game server has registered, so a match can be found at once, and
// stops everything in t.Cleanup.
//
// It lives beside cmd/internal/stack (which it wires the way the mains do) but outside lobby/,
// so that the lobby's packages import nothing of the game server, and outside cmd/internal/, so
// that tests under client/ and gameserver/ may import it. Only tests import it: no main links
// it (cmd/server's layering test checks the client side).
package stacktest
