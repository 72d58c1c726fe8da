// Package snapshot encodes a game world as entities and sends it as small deltas.
//
// A game describes its entity kinds in a [Schema]: each [KindSpec] lists up to [MaxFields]
// integer fields with their bit widths (the range of the quantised value). Every tick the
// game server collects the world as a [Snapshot] (entities sorted by ID) and, for each
// client, calls [Schema.AppendDelta] against the newest snapshot that client acknowledged
// (its baseline), or with a nil baseline for a full snapshot. The client reads the ticks
// with [PeekTicks], finds its copy of that baseline and calls [Schema.ParseDelta]. Both sides
// keep a window of past snapshots (the server per client, the client its received ones);
// the codec itself is stateless. A server sending one tick to many clients should use an
// [Encoder]: snapshot bytes depend only on the baseline, so it encodes each distinct
// baseline once per tick (about 7x less CPU at 64 players than encoding per client).
// [Schema.AppendJSON] writes the same world as JSON, to
// compare sizes and to debug.
//
// # Wire layout
//
// A byte-aligned header, then a bit stream written with netcode.BitWriter (least
// significant bit first, the last byte padded with zero bits):
//
//	byte 0     ProtocolVersion<<4 | flags (bit 0: has baseline)
//	varint     tick (encoding/binary's unsigned varint, shortest form: 3 bytes below
//	           2^21 ticks, 9.7 hours at 60 Hz)
//	varint     tick - baseline tick, ≤ MaxBaselineAge (only with a baseline; 1 byte below 128)
//	bits       for each baseline entity, in ID order:
//	             0                unchanged (every field equals its prediction)
//	             1 1              removed (gone, or its ID now has another kind)
//	             1 0 r [mask] ... changed: r=1 reuses the mask of the previous changed
//	                              entity of the same kind, r=0 is followed by one bit
//	                              per field of the kind; then each field whose bit is set
//	             (a field's prediction is its baseline value, or for a field with a
//	             RateField, baseline value + baseline rate × ticks elapsed)
//	bits       created entities: count (gamma code), then for each, in ID order:
//	             ID gap (gamma code of ID - previous ID - 1), kind (just enough bits for
//	             the schema's kinds), every field raw in its Bits
//
// A changed field is coded relative to its prediction with z = zigzag(value - prediction):
// "0"+4 bits for z < 16, "10"+8 bits for z < 256, "110"+12 bits for z < 4096, otherwise
// "111" and the raw value in the field's Bits. Fields of 6 bits or fewer are always raw.
// The gamma code of v writes n-1 one bits, a zero and the low n-1 bits of v+1 (n its bit
// length): 0 costs one bit, so an unchanged world costs one bit per entity.
//
// A full snapshot (no baseline) is the header and the creation list alone.
//
// A [Schema] with a [Codec] keeps the header and replaces the bit stream after it with the
// game's own (gameserver/walkers codes walkers against the straight line each is walking). Everything a
// decoder reads is checked: version, kinds, value ranges, ID order and collisions, at most
// [MaxEntities] entities (checked against the remaining input before any growth), no
// trailing bytes. Encoding allocates nothing when the destination has capacity, and
// decoding nothing once out has grown to the world's size.
package snapshot
