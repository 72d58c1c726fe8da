// Package replay is the file format of a recorded match: what a game server writes when a
// match ends, and what tools and clients read to verify or play it again.
//
// A game's simulation is deterministic, so a match is fully described by its configuration
// (game, mode, seed, players) and the inputs the server applied on every tick. A replay holds
// exactly that, plus a checksum of the world every second (so a re-simulation can tell where
// it diverged) and the final result. Only changes are stored: an input that equals the slot's
// input of the tick before costs nothing, one that differs costs its changed bytes.
//
// The pieces:
//
//   - [Encoder] records a match in memory as it runs ([Encoder.Join], [Encoder.Leave],
//     [Encoder.Tick], [Encoder.Checksum], [Encoder.End]) and writes the file with
//     [Encoder.WriteTo].
//   - [Reader] reads a file as a stream of [Record]s with bounded memory; [Read] reads a
//     whole (bounded) file into a [Replay]. Corrupt or truncated files are errors, never panics.
//   - [Dir] is a directory of replays with a retention bound, written atomically.
//   - Package gameserver/replay/verify re-simulates a replay with the game's own code.
//
// This package imports nothing of gameserver itself, so a client can read replays.
//
// # File layout (version 1)
//
// All integers in the body are unsigned LEB128 varints ("uv") unless a width is given; fixed
// widths are little endian; "str" is uv length + bytes.
//
//	+----------+------------+--------------------------------------------------+
//	| magic    | version    | body, compressed as one DEFLATE stream (RFC 1951) |
//	| 8 bytes  | uint16 LE  |                                                  |
//	| SKRPLAY\n| = 1        |                                                  |
//	+----------+------------+--------------------------------------------------+
//
// The body, after decompression:
//
//	header:
//	  game         str ≤ MaxNameBytes      the game's name ("arena"); "" means the default game
//	  mode         str ≤ MaxNameBytes
//	  map          str ≤ MaxNameBytes      "" when the game does not name one
//	  match ID     16 bytes
//	  seed         uint64
//	  start        varint (zig-zag)        Unix milliseconds
//	  tick rate    uv 1..MaxTickRate       ticks per second
//	  max players  uv 1..MaxPlayers
//	  checksum     uv 0..MaxTickRate*60    ticks between world checksums; 0: none
//	records, in tick order, each:
//	  kind         1 byte
//	  tick delta   uv                      tick = previous record's tick + delta (first: 0 + delta)
//	  payload:
//	    Join     (1)  slot 1 byte | team 1 byte | name str ≤ MaxNameBytes
//	    Leave    (2)  slot 1 byte
//	    Inputs   (3)  count uv 1..max players | count × entry, slots ascending
//	    Checksum (4)  sum uint64
//	    End      (5)  reason str | scores uv ≤ MaxPlayers | each: slot 1 | team 1 |
//	                  flags 1 (bit 0: left before the end; other bits zero) | name str |
//	                  score, kills, deaths varints (zig-zag, within int32)
//	crc          uint32                  CRC-32 (IEEE) of every body byte before it
//
// The body ends right after the CRC, and the file right after the DEFLATE stream.
//
// Each Inputs entry is the new input of one slot, in effect from that tick's Step on:
//
//	slot   1 byte
//	flags  1 byte: bit 0 repeated (the server had no fresh input and repeated the last),
//	               bit 1 absent (the slot passes no input to Step from now on),
//	               bit 2 xor (below), other bits zero
//	absent: nothing more
//	xor:    mask uv | one byte per set bit of mask, lowest first: the new bytes XOR the
//	        slot's previous bytes (same length, ≤ 64; mask bit i = byte i changed)
//	else:   length uv ≤ MaxInputBytes | bytes
//
// Ticks: a record at tick t happens after t Steps. A Checksum at t hashes the world after
// Step t; Join and Leave at t happen before Step t+1; Inputs at t are the inputs of Step t+1
// (the one that takes the world from t to t+1); End at t says the match ended after t Steps.
// The inputs of one Step are the present slots in ascending order.
//
// Limits (checked before anything is read or allocated): at most MaxTicks ticks in all,
// one Inputs record per tick, checksums at increasing ticks.
package replay
