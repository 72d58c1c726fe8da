// Package secure is Skirmish's connection layer: netcode.io 1.02 (the
// "NETCODE 1.02" standard of github.com/mas-bandwidth/netcode, STANDARD.md),
// written from the standard and checked against the reference netcode.c.
// It decides who may talk to a game server at all; what they say (the
// channel layer of package netcode) travels inside its payload packets.
//
// # How the pieces fit
//
// The lobby and every game server share one secret [Key]. When the lobby
// sends a player to a match it calls [GenerateConnectToken] with that key,
// the protocol id (0x534b49524d495348, "SKIRMISH"), the game server's
// address(es), a client id and 256 bytes of user data (match id, player id,
// team ...), and hands the 2048-byte token to the client over its TLS/TCP
// session:
//
//	tok, err := secure.GenerateConnectToken(key, secure.TokenParams{
//		ProtocolID:  protocolID,
//		ClientID:    playerID,
//		ServerAddrs: []netip.AddrPort{gameAddr},
//		UserData:    ud, // ExpireAfter 30 s and TimeoutSeconds 5 by default
//	})
//
// The client calls [Dial] with a net.PacketConn and the token. Dial walks the
// token's server list in order: it sends connection requests at 10 Hz, answers
// the server's challenge with responses at 10 Hz, and returns once a
// keep-alive arrives. A denied or silent server moves it on to the next
// address, carrying its packet sequence on (every server of a token shares
// one client-to-server key, and the sequence is the nonce); the last failure
// is returned as [ErrConnectionDenied] or [ErrConnectTimedOut];
// [ErrTokenExpired] if the token's lifetime (expire − create, counted from
// Dial) runs out first, [ErrInvalidToken] if the token cannot be read. As in
// the reference, Dial never compares the expire timestamp with the client's
// own clock: expiry is the server's call, so a client whose clock runs ahead
// still connects.
//
// The game server runs [NewServer] on any net.PacketConn (a UDP socket, a
// netsim conn in tests) and [Server.Serve]. It opens the token with the shared
// key, needs no call back to the lobby, and reports clients through three
// callbacks: OnConnect, OnPayload, OnDisconnect (reason [ErrDisconnected],
// [ErrConnectionTimedOut] or [ErrKicked]). [Server.Send] and [Client.Send]
// carry opaque payloads of 1..1200 bytes, encrypted and authenticated.
//
// # Concurrency
//
// Serve owns the server's state. One reader goroutine reads the conn with
// ReadFromUDPAddrPort where the conn has it (*net.UDPConn; no allocation),
// else ReadFrom (a *net.UDPAddr becomes a netip.AddrPort with AddrPort(), no
// string formatting), drops junk by size and prefix before any locking or
// cryptography, and processes the rest itself, with no hand-off to another
// goroutine per packet; the Serve goroutine ticks at 10 Hz for keep-alives and
// timeouts. An owner that reads the socket in its own loop (the game server,
// once per tick) passes what it read to [Server.HandleDatagram] instead. The
// callbacks run on whichever goroutine processed the packet (or on Serve's
// tick), one at a time and in order, with no lock held, so they may call Send,
// Disconnect or Close (not HandleDatagram).
// An OnPayload payload is only valid during the call. Send, Disconnect,
// NumClients, Clients and Stats are safe from any goroutine. Close sends
// disconnects to every client, closes the conn and makes Serve return
// [ErrServerClosed]; it does not wait for Serve. A Client runs two goroutines
// (reader and ticker loop) that Close stops and waits for. NewServer and
// Dial take ownership of the conn.
//
// # What is implemented (all of the 1.02 standard)
//
//   - Connect token: 2048-byte public part; private part of 1024 bytes sealed
//     with XChaCha20-Poly1305 (random 24-byte nonce; associated data version
//     info | protocol id | expire timestamp), server addresses as type 1
//     (IPv4) and 2 (IPv6, eight little-endian uint16 groups), per-connection
//     client-to-server and server-to-client keys, timeout, user data.
//   - The seven packet types. Request (prefix 0, 1078 bytes, unencrypted) and
//     denied, challenge, response, keep-alive, payload, disconnect: prefix byte
//     (sequence bytes << 4 | type), sequence with high zero bytes omitted and
//     written least significant first, data sealed with ChaCha20-Poly1305 IETF
//     under the direction's key, nonce [0 0 0 0] | sequence (LE), associated
//     data version info | protocol id | prefix byte.
//   - Challenge tokens: client id and user data in 300 bytes, sealed with
//     ChaCha20-Poly1305 IETF under a random per-server key, nonce from the
//     challenge sequence, no associated data.
//   - Server request processing in the standard's order: size, version,
//     protocol id, expiry (all before cryptography), then per-source rate
//     limit, private token decrypt and parse, our address in the token,
//     address or client id already connected, token already used from another
//     address (a bounded table keyed by the token's tag), full → denied,
//     encryption mapping, challenge. Responses: decrypt, challenge token,
//     checks, full → denied, slot, keep-alive. Replies before a connection
//     are never larger than the packet that caused them (denied 25 bytes,
//     challenge 333, keep-alive 26 against requests of 1078 and responses
//     of at least 326).
//   - Replay protection: 256-entry window per direction on keep-alive,
//     payload and disconnect packets, checked before decryption and advanced
//     after it, with the overflow fix of IMPLEMENTERS.md §1 (subtraction-side
//     test) and a valid bit per entry instead of the UINT64_MAX marker.
//   - A keep-alive when nothing has gone to the peer for 100 ms (the
//     reference's rule: a side sending payloads at 10 Hz or more, such as a
//     client's acks or the server's snapshots, sends none); timeouts from the token
//     (none if zero or negative, on either end, as in netcode.c; -1 is what
//     the reference writes for "no timeout"); the reference's "never expires"
//     expire timestamp 2^64−1 ([NeverExpires]) accepted by client and server;
//     10 redundant disconnect packets; until a client has
//     confirmed its slot, each payload to it is preceded by a keep-alive; the
//     server's connectionless sequence starts at 1<<63 as in netcode.c.
//   - Client state machine with the standard's states ([ClientState]).
//
// Deviations: none on the wire. Behaviour beyond the standard: per-source
// rate limit on request and response packets (default 32 per second, bounded
// memory; sources beyond 4096 per second share one budget); half-open
// mappings capped at 4×MaxClients and, for tokens without a timeout, expiring
// with the token (never, for a token that never expires); when the cap is
// reached, the mapping heard from longest ago gives way to a newcomer if its
// client has been quiet for a second (a live client resends at 10 Hz); a
// token whose TimeoutSeconds is 0 in [TokenParams] gets the default 5 (write
// -1 for none).
//
// # Performance
//
// On the shared 2-core AMD EPYC build machine (load average ~15 while
// measured, so runs vary; best and worst of several runs):
//
//	BenchmarkPayloadSealOpen             460-2200 ns/op  0 allocs/op  seal + header parse + replay check + open, 100-byte payload
//	BenchmarkServerPayload               530-2500 ns/op  0 allocs/op  a connected client's payload through the server's receive path
//	BenchmarkServerReceiveUDP            12-21 µs/op     0 allocs/op  the same from a client's sendto to OnPayload over loopback
//	BenchmarkServerSendClientReceiveUDP  9-34 µs/op      0 allocs/op  Server.Send to the client's OnPayload over loopback
//	BenchmarkRoundTripUDP                35-99 µs/op     0 allocs/op  a payload up and one down through Serve and a Dial'ed client
//	BenchmarkHandshake                   20-34 µs/op     38 allocs    token generation + request + challenge + response + keep-alive,
//	                                                                  in memory: 30,000-50,000 handshakes per second per core
//
// The loopback figures are mostly the two system calls a datagram costs.
// The per-packet path allocates nothing (tests assert it with
// testing.AllocsPerRun over real sockets): a conn that offers
// ReadFromUDPAddrPort (*net.UDPConn) is read with it, since ReadFrom
// allocates the source address; seal and open work in place; the server
// hands OnPayload a view of its read buffer. A client's [Client.Payloads]
// hands out a copy per payload; [ClientConfig.OnPayload] receives a view
// instead, with no allocation.
//
// Tests run over netcode/netsim inside testing/synctest (virtual time), with
// 10 % loss, duplication, reordering and jitter on both directions.
package secure
