// Package flood is Skirmish's hostile-traffic generator: it attacks a game server's UDP port and
// a lobby's TCP port the way a public server is attacked on day one, so tests and operators can
// prove that legitimate players keep playing through it. It only ever aims at loopback
// (127.0.0.0/8 and ::1): [Run] refuses any other target with [ErrNotLoopback], and it never
// resolves host names (only "localhost" is accepted as a name).
//
// # Kinds
//
// UDP game port (netcode.io 1.02 packets, see package netcode/secure):
//
//   - junk: random bytes of random length (1..1500).
//   - forged: well-formed connection requests (right version, protocol id and a future expiry)
//     whose sealed private token is random bytes: it never opens.
//   - expired: requests whose token has expired (real tokens minted in the past with the key,
//     or forged ones without it).
//   - replayed: a few real tokens (needs the key) sent from many source addresses: only the
//     first address may use a token.
//   - wrongaddr: real tokens (needs the key) that name another server's address.
//   - tampered: with the key, one real session is established and its encrypted packets are
//     resent from the same address with a fresh sequence number and one bit flipped (they pass
//     the replay window and fail the AEAD); without it, random encrypted-looking payload
//     packets from addresses without a session.
//   - replay: the same session's packets resent verbatim (the replay window drops them).
//
// Lobby TCP port (newline-delimited JSON, lobby/PROTOCOL.md): silent (connect, never speak),
// slowloris (half a line, one byte at a time, never a newline), hugeline (a 1 MiB line),
// badjson (lines that are not JSON), unknown (unknown message types), storm (hello, then
// requests far above the message rate).
//
// # Bounds
//
// Every run is bounded in rate ([Config.Rate] packets per second in total, split evenly over
// the UDP kinds, at most [MaxRate]), count ([Config.Count]), time ([Config.Duration], at most
// [MaxDuration]) and connections ([Config.Conns], at most [MaxConns]). Each UDP kind sends from
// its own sockets, so replies and bytes are counted per kind; [Summary] reports, per kind, what
// was sent, the replies, bytes in and out, errors, and for the lobby the connections the server
// closed and the error codes it sent before closing them. [Summary.AmplifiedSources] counts
// source sockets that received more bytes than they sent (a netcode.io server must keep it 0).
//
// cmd/flood is the command-line front end; tests in lobby, netcode/secure and gameserver
// (hostile_*_test.go) run it in-process against real servers.
package flood
