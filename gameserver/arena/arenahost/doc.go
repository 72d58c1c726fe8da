// Package arenahost makes the Arena game (rules in gameserver/sim, shared codecs in
// gameserver/arena) a gameserver.Game: the server-side half, which clients never link.
//
// [Def] is Arena as a game server hosts it: the name "arena", its modes (arena.Modes as
// gameserver.ModeSpec, announced to the lobby) and a factory ([Factory]; [New] at 60 Hz).
// [Game] decodes each player's input bytes (sim.Input's 8-byte encoding; a missing or
// unparsable input repeats the player's last, without re-firing the alt weapon), steps the
// world, turns the world into snapshot entities and its events into arena.Event bytes.
package arenahost
