// Package kcp is Skirmish's KCP transport option: the same authenticated
// client–server session as the UDP path, carried over kcp-go
// (github.com/xtaci/kcp-go/v5), so that every message is reliable and
// ordered. It is for games that want that (turn-based, lockstep, card and
// board games, mobile links with bursty loss) and accept its cost; the
// default real-time path stays netcode/secure plus the netcode channels.
//
// kcp-go's types do not leave this package: a game server calls [Listen] on
// any net.PacketConn (a UDP socket, a netsim.Conn) and [Listener.Accept]s
// [*Session]s; a client calls [Dial] with its connect token and gets the
// same [*Session]. A session exposes the token's [Session.ClientID] and
// [Session.UserData], [Session.Send] and [Session.Receive] of whole
// messages (up to [MaxMessageBytes]), deadlines, [Session.Done] and
// [Session.Err], and [Session.Close]. kcp-go's errors are translated at the
// boundary: its io.ErrClosedPipe becomes net.ErrClosed and its timeouts
// become errors that match os.ErrDeadlineExceeded and are net.Error
// timeouts. [Session.Conn] gives a byte-stream net.Conn view of a session
// (it passes golang.org/x/net/nettest.TestConn).
//
// # KCP settings
//
// Every session runs kcp-go in message mode (SetStreamMode(false)) with fast
// mode NoDelay(1, 10, 2, 1) (no delayed ACKs, a 10 ms tick, fast resend
// after 2 duplicate ACKs, no congestion window), ACKs sent at once, send and
// receive windows of 256 segments and a 1200-byte MTU ([Options]). Optional
// Reed-Solomon FEC ([FEC], a flag.Value for "-kcp-fec data,parity") adds
// parity packets so that losses inside a group are repaired without waiting
// for a retransmission; both ends must agree on it. kcp-go's own packet
// encryption (BlockCrypt) is not used: it is keyed per listener, and we need
// a key per connect token.
//
// # Handshake
//
// The stream carries frames: a 5-byte header and a body.
//
//	[type] (uint8)  [body length] (uint32, little-endian)  [body]
//
//	0x01 hello      client → server, body 1081 bytes:
//	                [protocol version] (uint8) [client salt] (16 bytes)
//	                [protocol id] (uint64) [expire timestamp] (uint64)
//	                [connect token nonce] (24 bytes) [sealed private token] (1024 bytes)
//	0x02 welcome    server → client, body 44 bytes:
//	                [server salt] (16 bytes), then sealed: [client id] (uint64) [timeout seconds] (int32), [tag] (16)
//	0x03 denied     server → client, body 1 byte: [DenyReason]; the server then drops the session
//	0x04 message    either way: sealed message, 16..64 KiB+16 bytes
//	0x05 keep-alive either way: sealed empty body (16-byte tag), sent after a quiet KeepAlive interval
//	0x06 close      either way: sealed empty body; answered by a close
//
// Lengths are checked against their type's limit before a body is read or
// allocated; anything else drops the session. The client's first frame is
// the hello: the public fields of its netcode.io connect token that the
// server needs to open the private part (see netcode/secure). The server
// checks, cheapest first: the protocol version, the protocol id, the expire
// timestamp against its clock, that the private part opens under the shared
// key (the protocol id and expiry are its associated data, so they cannot be
// changed), that its own public address ([ServerConfig.PublicAddr]) is in
// the token, that the token has not been used from another address (keyed
// by the private part's tag, remembered until expiry), that no session with
// the client id is open, and that there is room. On failure it sends a
// denial, keeps KCP up for half a second so it is retransmitted, and drops
// the session; [Dial] reports a [*DeniedError] with the reason. No game
// traffic flows before the welcome, and nothing the server sends before it
// (KCP ACKs, a denial) is larger than the hello.
//
// # Message authentication
//
// Every frame after the hello is sealed with ChaCha20-Poly1305. The keys
// are per session: HKDF-SHA256 of the token's client-to-server
// (server-to-client) key, salted with both sides' random salts, so a token
// used twice from one address before it expires never reuses a nonce. The
// nonce is 4 zero bytes and the direction's message counter (uint64,
// little-endian, from 0; the welcome is the server's frame 0); the
// associated data is the frame header (and the server salt for the
// welcome). KCP delivers in order exactly once, so the counter must match:
// a forged, tampered, replayed, dropped or reordered frame fails to open and
// the session is dropped ([ErrAuthFailed]). KCP has no checksum of its own
// here, so this is also what catches corruption.
//
// Nothing for the token's timeout (keep-alives included) ends a session
// with [ErrTimedOut]. [Session.Close] sends a close and waits (up to
// [Options.Linger]) for the answering close, which proves the peer read
// everything before it; the peer's Receive returns io.EOF after the last
// message.
//
// # Cost against the UDP snapshot path
//
// Each message costs 21 bytes of framing and tag plus a 24-byte KCP segment
// header (the UDP path pays its netcode.io packet header and tag once per
// packet). With ACKs sent at once the receiver answers each packet with a
// 24-byte ACK, and every lost packet is sent again, so under loss KCP sends
// about 1/(1-loss) of the data, and FEC adds parity/data more up front. The
// latency cost is head-of-line blocking: a lost packet holds back every
// later message until its retransmission (one RTO, at least 10 ms plus the
// RTT), where the UDP path would just use the next snapshot. Measured by
// TestPacedLatency (200-byte messages at 60 Hz, 3 ± 2 ms one-way, loopback,
// -race, a shared 2-core machine): 0 % loss p50 4–5 ms, p99 30–36 ms, 1.3x
// the message bytes on the wire; 30 % loss each way p50 18–25 ms, p99
// 100–112 ms, 2.0x.
// Bulk: 2,000 messages (12–300 B) each way at once at 30 % loss take
// 0.5–5 s on the same machine depending on its load.
//
// # Snapshots in KCP mode
//
// The game server's snapshot deltas normally use as baseline the last
// snapshot the client acknowledged. In KCP mode every snapshot arrives, in
// order, so the baseline is acknowledged by construction: the server deltas
// each snapshot against the previous one it sent to that client and never
// needs a full resend, and the client keeps only the last snapshot it
// applied.
//
// # Denial of service
//
// kcp-go creates a session for any datagram of 24 bytes or more from a new
// address before anything is authenticated. A session that does not present
// a valid hello within [ServerConfig.HandshakeTimeout] is dropped, and at
// most [ServerConfig.MaxPendingHandshakes] are in progress; beyond that new
// ones are dropped at once. This is weaker than netcode.io's stateless
// checks on the UDP path: a spoofing sender can occupy the pending slots, and
// an off-path sender that spoofs a client's address can reset its KCP
// conversation (kcp-go replaces a session when a new conversation starts
// from the same address). The tokens still keep everyone the lobby did not
// send out of the game.
package kcp
