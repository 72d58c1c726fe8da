// Package netcode is Skirmish's channel layer: everything between the bytes
// of a UDP payload and the messages a game sends. It owns no socket and
// reads no clock; packets come in and go out through the caller, and time is
// passed in, so every piece is testable without a network (package
// [github.com/skirmish-go/skirmish/netcode/netsim] simulates one). The
// connection layer (handshake, encryption) lives in netcode/secure and
// carries these packets as its payloads.
//
// The design follows Glenn Fiedler's reliable.io and yojimbo ("reliable
// ordered messages") and borrows quic-go's wire and ack-handling style.
//
// # Layers
//
// From the bottom up:
//
//   - Bit packing: [BitWriter] and [BitReader] pack values at bit
//     granularity (bounded integers, bit-level varints and zigzag deltas,
//     quantised floats and angles), allocation-free, with sticky errors. The
//     snapshot codec builds on them.
//   - Wire primitives: [PacketHeader], QUIC-style varints ([AppendVarint],
//     [ParseVarint]). Encoders append to a caller's buffer; decoders are
//     Parse(b) (v, n, err) and return io.ErrUnexpectedEOF on short input.
//   - Sequence numbers: 16-bit, compared wrap-aware with
//     [SequenceGreaterThan] / [SequenceLessThan]; [SequenceBuffer] keeps
//     per-sequence state in a ring.
//   - Estimators: [RTTStats] (smoothed RTT and RTT variance as in RFC 6298),
//     packet loss over a window of packets, and sent / received /
//     acknowledged bandwidth, reported by [Endpoint.Stats].
//   - Channels: an [Endpoint] numbers and acknowledges packets and carries
//     two message channels over them, with fragmentation.
//
// # Packet layout
//
// Every packet is a 5- to 9-byte [PacketHeader] followed by zero or more chunks:
//
//	 0                1         2         3         4         5 ...
//	+----------------+---------+---------+---------+---------+------------------+
//	| version | form |  sequence (BE16)  |     ack (BE16)    | ack bits         |
//	+----------------+---------+---------+---------+---------+------------------+
//	  ProtocolVersion<<4 | form                                0, 1, 2 or 4 bytes
//	  (form 0: all 32 ack bits set, 1: bits 0..7 in one byte, 2: 0..15, 3: all)
//
//	chunk: kind (1 byte), then
//	  0x01 reliable message      id u16 | len varint | data
//	  0x02 reliable fragment     id u16 | index varint | count varint | len varint | data
//	  0x03 unreliable message    seq u16 | len varint | data
//	  0x04 unreliable fragment   seq u16 | index varint | count varint | fragsize varint | len varint | data
//
// A packet with no chunks is ack-only. [ProtocolVersion] is bumped on every
// incompatible change to this layout.
//
// # Acks and ack bits
//
// Each side numbers its packets 0, 1, 2, ... wrapping at 65536. Every header
// carries Ack, the newest sequence received from the peer, and AckBits, in
// which bit i (least significant first) says whether Ack-1-i was received
// too. So each header acknowledges up to 33 packets, and each packet is
// acknowledged by every header the peer sends while it is among the peer's
// 33 newest: losing an ack costs nothing as long as one of the following
// headers arrives. There are no ack packets as such: acks ride on whatever
// the peer sends, and [Endpoint.Flush] adds a header-only packet when
// something that carried messages arrived and nothing else is going out.
// Ack-only packets are not themselves acknowledged (or acks would echo
// forever), so they count for neither loss nor RTT.
//
// A packet that arrives out of order (older than the newest already
// received) cannot be named by Ack in the regular headers, so Flush also
// sends a small ack-only header naming it (at most 8 per Flush). That keeps
// a packet overtaken by more than 32 others from counting as lost, and
// gives every packet a header that names it.
//
// The sender keeps a record of each packet (send time, size, the reliable
// fragments in it) in a [SequenceBuffer]. An ack marks the record; the
// first header whose Ack names a packet gives one RTT sample (headers that
// only cover it in AckBits may have waited). A packet is counted lost once
// the peer's acks have moved 33 past it without covering it, or when it
// leaves the 1024-packet record; a late ack for it (from a straggler
// header) takes that back.
//
// # Channels
//
// Reliable-ordered ([Endpoint.SendReliable], [Endpoint.NextReliable]):
// each message gets consecutive 16-bit ids, one per fragment. Every Flush
// sends the fragments never sent and those unacknowledged for longer than
// the resend delay (smoothed RTT + 4·RTTVar, 20 ms to 2 s, 250 ms before the
// first sample); a fragment is done when any packet that carried it is
// acknowledged. At most ReliableWindow fragments (default 256) are in
// flight; beyond that SendReliable returns [ErrWindowFull]. The receiver
// keeps fragments in a window twice that size and delivers whole messages
// in id order, each exactly once.
//
// Unreliable-sequenced ([Endpoint.SendUnreliable],
// [Endpoint.NextUnreliable]): a queued message goes out in the next Flush
// and is never resent. Each carries a 16-bit sequence; the receiver drops a
// message older than or equal to the newest one it has accepted, so the
// newest always wins (snapshots) and nothing is delivered twice.
//
// # Fragmentation
//
// A message that does not fit one packet (MaxPacketSize, default 1200
// bytes, minus the header and chunk overhead: 1176 data bytes per fragment)
// is split into at most [MaxFragments] (256) fragments; MaxMessageSize
// (default 64 KiB, 56 fragments) bounds the whole message, and
// [ErrMessageTooLarge] reports anything bigger. Reliable fragments each take
// a window slot and are put back together in order. Unreliable fragments
// are reassembled in at most four partial-message slots, each a buffer of
// MaxMessageSize bytes allocated once and reused, so reassembly memory is
// bounded by 4 × MaxMessageSize whatever arrives. A partial message is
// evicted when a newer message completes, when a newer one needs its slot,
// or one second after its first fragment. Fragment counts and sizes are
// checked against the limits before anything is stored; a malformed packet
// is rejected whole by [Endpoint.Receive] with an error wrapping
// [ErrMalformed] (or io.ErrUnexpectedEOF, [ErrUnsupportedVersion]) and
// changes nothing.
//
// # Use
//
// One goroutine owns an Endpoint:
//
//	ep := netcode.NewEndpoint(netcode.EndpointConfig{})
//	// on every datagram from the peer:
//	if err := ep.Receive(now, payload); err != nil { /* count and drop */ }
//	for m, ok := ep.NextReliable(); ok; m, ok = ep.NextReliable() { ... }
//	// on every tick:
//	ep.SendUnreliable(snapshot)
//	ep.Flush(now, func(p []byte) error { return conn.Send(p) })
//
// The RTT estimate includes however long the peer waits between receiving
// a packet and flushing: flush soon after Receive for a tight estimate.
package netcode
